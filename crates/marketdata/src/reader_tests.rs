//! Tests of the reader on small inline files: every format, gzip, detection, forcing, the
//! bar interval, and errors with their file:line.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use flywheel_core::{Price, Qty, Side, Timestamp};

use super::*;

fn p(s: &str) -> Price {
    s.parse().unwrap()
}
fn q(s: &str) -> Qty {
    s.parse().unwrap()
}
fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

pub(super) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A reader that returns one byte per `read` call, so every token crosses a buffer refill.
struct Trickle<R>(R);

impl<R: Read> Read for Trickle<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(1);
        self.0.read(&mut buf[..n])
    }
}

pub(super) fn reader(name: &str, data: &[u8]) -> Result<MarketDataReader, DataError> {
    MarketDataReader::from_reader(Cursor::new(data.to_vec()), name)
}

fn read_all(name: &str, data: &[u8]) -> Result<Vec<MarketEvent>, DataError> {
    reader(name, data)?.collect()
}

fn trade(ms: i64, price: &str, qty: &str, side: Option<Side>) -> MarketEvent {
    MarketEvent::Trade(Trade {
        ts: t(ms),
        price: p(price),
        qty: q(qty),
        taker_side: side,
    })
}

fn bar(open_ms: i64, close_ms: i64, ohlc: [&str; 4], volume: Option<&str>) -> MarketEvent {
    MarketEvent::Bar(Bar {
        open_time: t(open_ms),
        close_time: t(close_ms),
        open: p(ohlc[0]),
        high: p(ohlc[1]),
        low: p(ohlc[2]),
        close: p(ohlc[3]),
        volume: volume.map(q),
    })
}

const T0: i64 = 1_631_917_380_000; // 2021-09-17T22:23:00Z
const M: i64 = 60_000;

pub(super) const FREQTRADE: &str = "[[1631917380000,0.2412,0.2414,0.241,0.2414,267830.0],\
[1631917440000,0.2413,0.2414,0.2412,0.2413,205995.4000000004],\
[1631917500000,0.2414,0.2414,0.2411,0.2413,1e-06]]";

const TARDIS: &str = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount
coinbase,DOGE-USD,1760054400172744,1760054400220266,151769426,buy,0.24864,1121.7
coinbase,DOGE-USD,1760054400172744,1760054400220278,151769427,sell,0.24863,4.5
coinbase,DOGE-USD,1760054400225893,1760054400272437,151769428,buy,0.24865,1e-06
";

pub(super) const KRAKEN_HEADER: &str = "TS,PRICE,VOLUME
1688169649,18.89000,2.50000000
1688169649,18.89000,2.50000000
1688169651,18.90000,1.32485427
";

pub(super) const KRAKEN_BARE: &str = "1688169649,18.89000,2.50000000
1688169651.25,18.90000,1.32485427
";

/// (name, content, detected format, bar interval, events)
type FormatCase = (&'static str, Vec<u8>, Format, Option<i64>, Vec<MarketEvent>);

#[test]
fn formats_table() {
    let s = 1_688_169_649_000;
    let tardis_t = 1_760_054_400_172;
    let cases: Vec<FormatCase> =
        vec![
        (
            "freqtrade json",
            FREQTRADE.into(),
            Format::FreqtradeJson,
            Some(M),
            vec![
                bar(T0, T0 + M, ["0.2412", "0.2414", "0.241", "0.2414"], Some("267830")),
                bar(
                    T0 + M,
                    T0 + 2 * M,
                    ["0.2413", "0.2414", "0.2412", "0.2413"],
                    Some("205995.4"),
                ),
                bar(
                    T0 + 2 * M,
                    T0 + 3 * M,
                    ["0.2414", "0.2414", "0.2411", "0.2413"],
                    Some("0.000001"),
                ),
            ],
        ),
        (
            "freqtrade json pretty, strings, no volume, null volume, extra fields",
            b"\n  [\n [ 1631917380000 , \"1.5\", \"2\", \"1\", \"1.5\" ],\n\
              [1631917680000, 1.5, 2, 1, 1.5, null],\r\n\
              [1631917980000, 1.5, 2, 1, 1.5, 10, 1631918039999, \"15\", 7]\n]\n"
                .to_vec(),
            Format::FreqtradeJson,
            Some(5 * M),
            vec![
                bar(T0, T0 + 5 * M, ["1.5", "2", "1", "1.5"], None),
                bar(T0 + 5 * M, T0 + 10 * M, ["1.5", "2", "1", "1.5"], None),
                bar(T0 + 10 * M, T0 + 15 * M, ["1.5", "2", "1", "1.5"], Some("10")),
            ],
        ),
        (
            "freqtrade json empty array",
            b" [ ] ".to_vec(),
            Format::FreqtradeJson,
            Some(DEFAULT_BAR_INTERVAL_MS),
            vec![],
        ),
        (
            "tardis trades",
            TARDIS.into(),
            Format::TardisCsv,
            None,
            vec![
                trade(tardis_t, "0.24864", "1121.7", Some(Side::Buy)),
                trade(tardis_t, "0.24863", "4.5", Some(Side::Sell)),
                trade(tardis_t + 53, "0.24865", "0.000001", Some(Side::Buy)),
            ],
        ),
        (
            "tardis reordered columns and unknown side",
            b"price,amount,side,timestamp,local_timestamp\n1.5,2,unknown,1000000,1000001\n"
                .to_vec(),
            Format::TardisCsv,
            None,
            vec![trade(1000, "1.5", "2", None)],
        ),
        (
            "kraken with header, repeated identical rows kept",
            KRAKEN_HEADER.into(),
            Format::KrakenCsv,
            None,
            vec![
                trade(s, "18.89", "2.5", None),
                trade(s, "18.89", "2.5", None),
                trade(s + 2000, "18.9", "1.32485427", None),
            ],
        ),
        (
            "kraken headerless, fractional seconds",
            KRAKEN_BARE.into(),
            Format::KrakenCsv,
            None,
            vec![
                trade(s, "18.89", "2.5", None),
                trade(s + 2250, "18.9", "1.32485427", None),
            ],
        ),
        (
            "generic trades with side, ms time",
            b"time,price,qty,side\n1688169649000,18.89,1,S\n".to_vec(),
            Format::KrakenCsv,
            None,
            vec![trade(s, "18.89", "1", Some(Side::Sell))],
        ),
        (
            "ohlc seconds",
            b"time,open,high,low,close,volume\n1631917380,1,2,0.5,1.5,10\n1631917440,1.5,2,1,1,0\n"
                .to_vec(),
            Format::OhlcCsv,
            Some(M),
            vec![
                bar(T0, T0 + M, ["1", "2", "0.5", "1.5"], Some("10")),
                bar(T0 + M, T0 + 2 * M, ["1.5", "2", "1", "1"], Some("0")),
            ],
        ),
        (
            "ohlc milliseconds, short upper-case names, no volume",
            b"TS,O,H,L,C\n1631917380000,1,2,0.5,1.5\n".to_vec(),
            Format::OhlcCsv,
            Some(DEFAULT_BAR_INTERVAL_MS),
            vec![bar(T0, T0 + M, ["1", "2", "0.5", "1.5"], None)],
        ),
        (
            "ohlc iso times, reordered, extra column, spaces",
            b"Close, Date, Open, High, Low, V, trades\n\
              1.5, 2021-09-17T22:23:00Z, 1, 2, 0.5, 3, 7\n\
              1.5, 2021-09-17 23:23:00, 1, 2, 0.5, 3, 7\n\
              1.5, 2021-09-18T00:23:00.000+00:00, 1, 2, 0.5, 3, 7\n"
                .to_vec(),
            Format::OhlcCsv,
            Some(60 * M),
            vec![
                bar(T0, T0 + 60 * M, ["1", "2", "0.5", "1.5"], Some("3")),
                bar(T0 + 60 * M, T0 + 120 * M, ["1", "2", "0.5", "1.5"], Some("3")),
                bar(T0 + 120 * M, T0 + 180 * M, ["1", "2", "0.5", "1.5"], Some("3")),
            ],
        ),
        (
            "crlf line endings",
            b"time,open,high,low,close\r\n1631917380,1,2,0.5,1.5\r\n".to_vec(),
            Format::OhlcCsv,
            Some(DEFAULT_BAR_INTERVAL_MS),
            vec![bar(T0, T0 + M, ["1", "2", "0.5", "1.5"], None)],
        ),
        (
            "utf-8 bom and blank lines",
            b"\xEF\xBB\xBFTS,PRICE,VOLUME\n\n1688169649,18.89,2.5\n\n".to_vec(),
            Format::KrakenCsv,
            None,
            vec![trade(s, "18.89", "2.5", None)],
        ),
    ];
    for (name, data, format, interval, want) in cases {
        for (compressed, trickle) in [(false, false), (true, false), (false, true), (true, true)] {
            let input = if compressed {
                gzip(&data)
            } else {
                data.clone()
            };
            let how = format!("case {name} (gzip {compressed}, one byte per read {trickle})");
            let r = if trickle {
                MarketDataReader::from_reader(Trickle(Cursor::new(input)), "data")
            } else {
                reader("data", &input)
            };
            let r = r.unwrap_or_else(|e| panic!("{how}: {e}"));
            assert_eq!(r.format(), format, "{how}");
            assert_eq!(r.bar_interval(), interval, "{how}");
            let got: Vec<MarketEvent> = r
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| panic!("{how}: {e}"));
            assert_eq!(got, want, "{how}");
        }
    }
}

#[test]
fn multi_member_gzip_is_read_whole() {
    let mut data = gzip(b"TS,PRICE,VOLUME\n1,2,3\n");
    data.extend(gzip(b"2,2,3\n"));
    assert_eq!(read_all("x.gz", &data).unwrap().len(), 2);
}

#[test]
fn bar_interval_table() {
    fn json(times: &[i64]) -> String {
        let bars: Vec<String> = times.iter().map(|t| format!("[{t},1,1,1,1,1]")).collect();
        format!("[{}]", bars.join(","))
    }
    let first16_then_minute: Vec<i64> =
        (0..16).map(|i| i * 5 * M).chain([16 * 5 * M + M]).collect();
    let cases: Vec<(&str, Vec<i64>, i64)> = vec![
        (
            "one bar defaults to a minute",
            vec![0],
            DEFAULT_BAR_INTERVAL_MS,
        ),
        ("minute bars", vec![0, M, 2 * M], M),
        ("gap before the regular step", vec![0, 10 * M, 11 * M], M),
        ("hour bars", vec![0, 60 * M, 120 * M], 60 * M),
        ("only the first 16 bars count", first16_then_minute, 5 * M),
    ];
    for (name, times, want) in cases {
        let times: Vec<i64> = times.iter().map(|d| T0 + d).collect();
        let r = reader("b.json", json(&times).as_bytes()).unwrap();
        assert_eq!(r.bar_interval(), Some(want), "case {name}");
        let bars: Vec<MarketEvent> = r.collect::<Result<_, _>>().unwrap();
        assert_eq!(bars.len(), times.len(), "case {name}");
        for (ev, open) in bars.iter().zip(&times) {
            let MarketEvent::Bar(b) = ev else {
                panic!("case {name}: not a bar")
            };
            assert_eq!(b.open_time, t(*open), "case {name}");
            assert_eq!(b.close_time, t(open + want), "case {name}");
            assert_eq!(ev.time(), b.close_time, "case {name}");
        }
    }
}

#[test]
fn forced_format_table() {
    let cases: [(&str, &str, Format, Result<usize, &str>); 6] = [
        (
            "kraken forced on headerless",
            KRAKEN_BARE,
            Format::KrakenCsv,
            Ok(2),
        ),
        (
            "kraken forced on header",
            KRAKEN_HEADER,
            Format::KrakenCsv,
            Ok(3),
        ),
        ("tardis forced on tardis", TARDIS, Format::TardisCsv, Ok(3)),
        (
            "ohlc forced on tardis",
            TARDIS,
            Format::OhlcCsv,
            Err("f.csv:1: format ohlc-csv needs a header"),
        ),
        (
            "tardis forced on kraken",
            KRAKEN_HEADER,
            Format::TardisCsv,
            Err("f.csv:1: format tardis-csv needs a header"),
        ),
        (
            "json forced on csv",
            TARDIS,
            Format::FreqtradeJson,
            Err("f.csv:1:1: expected '[' starting a freqtrade JSON array"),
        ),
    ];
    for (name, data, format, want) in cases {
        let got = MarketDataReader::from_reader_as(Cursor::new(data), "f.csv", Some(format))
            .and_then(|r| {
                assert_eq!(r.format(), format, "case {name}");
                r.collect::<Result<Vec<_>, _>>()
            });
        match (got, want) {
            (Ok(events), Ok(n)) => assert_eq!(events.len(), n, "case {name}"),
            (Err(e), Err(msg)) => assert!(
                e.to_string().starts_with(msg),
                "case {name}: got {e}, want {msg}"
            ),
            (got, want) => panic!("case {name}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn errors_table() {
    let truncated_gzip = {
        let mut rows = String::from(TARDIS);
        for i in 0..5000i64 {
            rows.push_str(&format!(
                "coinbase,DOGE-USD,{},1,{i},buy,0.25,1\n",
                1_760_054_400_300_000 + i * 1000
            ));
        }
        let gz = gzip(rows.as_bytes());
        gz[..gz.len() / 2].to_vec()
    };
    let gzip_missing_trailer = {
        let gz = gzip(TARDIS.as_bytes());
        gz[..gz.len() - 4].to_vec()
    };
    let cases: Vec<ErrorCase> = vec![
        (
            "bad price",
            "data.csv",
            b"TS,PRICE,VOLUME\n1,2,3\n2,abc,3\n".to_vec(),
            r#"data.csv:3: price "abc" is not a decimal number"#,
        ),
        (
            "bad volume in tardis",
            "t.csv",
            format!("{TARDIS}coinbase,DOGE-USD,1760054400225893,1,2,buy,0.2,1.2.3\n").into(),
            r#"t.csv:5: amount "1.2.3" is not a decimal number"#,
        ),
        (
            "missing column",
            "t.csv",
            b"exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
              coinbase,DOGE-USD,1760054400172744,1760054400220266,151769426,buy,0.24864\n"
                .to_vec(),
            "t.csv:2: expected 8 fields (as in the header), found 7",
        ),
        (
            "missing column headerless",
            "k.csv",
            b"1,2,3\n2,2\n".to_vec(),
            "k.csv:2: expected 3 fields (as in the first line), found 2",
        ),
        (
            "backwards time",
            "k.csv",
            b"TS,PRICE,VOLUME\n1688169651,1,1\n1688169651,1,1\n1688169650,1,1\n".to_vec(),
            "k.csv:4: time 2023-07-01T00:00:50Z (1688169650000 ms) is before the previous \
             row's 2023-07-01T00:00:51Z (1688169651000 ms) (time goes backwards)",
        ),
        (
            "bad timestamp",
            "t.csv",
            format!("{TARDIS}coinbase,DOGE-USD,17600x,1,2,buy,0.2,1\n").into(),
            r#"t.csv:5: timestamp "17600x" is not an integer number of microseconds"#,
        ),
        (
            "bad side",
            "t.csv",
            format!("{TARDIS}coinbase,DOGE-USD,1760054400225893,1,2,long,0.2,1\n").into(),
            r#"t.csv:5: side "long" is not buy or sell"#,
        ),
        (
            "zero price",
            "k.csv",
            b"1,0,3\n".to_vec(),
            "k.csv:1: price 0 is not positive",
        ),
        (
            "zero size",
            "k.csv",
            b"1,1,0.000\n".to_vec(),
            "k.csv:1: size 0 is not positive",
        ),
        (
            "negative price",
            "k.csv",
            b"1,-1,1\n".to_vec(),
            "k.csv:1: price -1 is not positive",
        ),
        (
            "high below close",
            "b.csv",
            b"time,open,high,low,close\n1631917380,1,1.4,0.5,1.5\n".to_vec(),
            "b.csv:2: high 1.4 is below max(open 1, close 1.5)",
        ),
        (
            "low above open",
            "b.csv",
            b"time,open,high,low,close\n1631917380,1,2,1.1,1.5\n".to_vec(),
            "b.csv:2: low 1.1 is above min(open 1, close 1.5)",
        ),
        (
            "negative volume",
            "b.csv",
            b"time,open,high,low,close,volume\n1631917380,1,2,1,1.5,-3\n".to_vec(),
            "b.csv:2: volume -3 is negative",
        ),
        (
            "duplicate bar",
            "b.csv",
            b"time,open,high,low,close\n1631917380,1,2,1,1.5\n1631917380,1,2,1,1.5\n".to_vec(),
            "b.csv:3: bar open time 2021-09-17T22:23:00Z (1631917380000 ms) repeats the previous bar's",
        ),
        (
            "bad iso time",
            "b.csv",
            b"time,open,high,low,close\n2021-09-31T00:00:00Z,1,2,1,1.5\n".to_vec(),
            r#"b.csv:2: time "2021-09-31T00:00:00Z" is neither a unix time nor an ISO-8601 date-time (day 31 is out of range for 2021-09)"#,
        ),
        (
            "time before 1970",
            "b.csv",
            b"time,open,high,low,close\n1960-01-01,1,2,1,1.5\n".to_vec(),
            "b.csv:2: time -315619200000 ms is outside 1970-01-01..9999-12-31",
        ),
        (
            "bad json number",
            "d.json",
            b"[[1631917380000,1,2,1,1],\n [1631917440000, 1, x, 1, 1]]".to_vec(),
            "d.json:2:21: bar 2: expected a number, found 'x'",
        ),
        (
            "bad json decimal",
            "d.json",
            b"[[1631917380000,1,2,1,1],[1631917440000,1,\"2..0\",1,1]]".to_vec(),
            r#"d.json:1:43: bar 2: high "2..0" is not a decimal number"#,
        ),
        (
            "json bar too short",
            "d.json",
            b"[[1631917380000,1,2,1]]".to_vec(),
            "d.json:1:2: bar 1 has 4 fields; expected [open_time, open, high, low, close, volume]",
        ),
        (
            "json invalid bar",
            "d.json",
            b"[[1631917380000,1,2,1,1],\n[1631917440000,1,2,3,1,1]]".to_vec(),
            "d.json:2:1: low 3 is above min(open 1, close 1)",
        ),
        (
            "truncated json",
            "d.json",
            b"[[1631917380000,1,2,1,1,5],\n[1631917440000,1,2,1,1,5],\n[1631917500000,1,2,1"
                .to_vec(),
            "d.json:3:21: unexpected end of file inside the JSON array (truncated file?)",
        ),
        (
            "truncated json after a bar",
            "d.json",
            b"[[1631917380000,1,2,1,1,5],\n".to_vec(),
            "d.json:2:1: unexpected end of file inside the JSON array (truncated file?)",
        ),
        (
            "json trailing garbage",
            "d.json",
            b"[[1631917380000,1,2,1,1,5]]\n]".to_vec(),
            "d.json:2:1: unexpected ']' after the end of the JSON array",
        ),
        (
            "json missing comma",
            "d.json",
            b"[[1631917380000,1,2,1,1,5] [1631917440000,1,2,1,1,5]]".to_vec(),
            "d.json:1:28: expected ',' or ']' after a bar, found '['",
        ),
        (
            "json time not integer",
            "d.json",
            b"[[1.6e12,1,2,1,1,5]]".to_vec(),
            r#"d.json:1:3: bar 1: open time "1.6e12" is not an integer number of milliseconds"#,
        ),
        (
            "truncated gzip",
            "t.csv.gz",
            truncated_gzip,
            "t.csv.gz:",
        ),
        (
            "gzip missing its trailer",
            "t.csv.gz",
            gzip_missing_trailer,
            "t.csv.gz:5: read error: unexpected end of file (truncated or corrupt file?)",
        ),
        (
            "truncated gzip header",
            "t.csv.gz",
            gzip(TARDIS.as_bytes())[..5].to_vec(),
            "t.csv.gz:1: read error:",
        ),
        ("empty", "e.csv", b"".to_vec(), "e.csv: the file is empty"),
        (
            "whitespace only",
            "e.csv",
            b" \n\n ".to_vec(),
            "e.csv: the file is empty",
        ),
        (
            "unknown header",
            "u.csv",
            b"a,b,c\n1,2,3\n".to_vec(),
            r#"u.csv:1: unrecognized CSV header "a,b,c": expected a Tardis trades header"#,
        ),
        (
            "headerless with five fields",
            "u.csv",
            b"1,2,3,4,5\n".to_vec(),
            "u.csv:1: headerless CSV with 5 fields",
        ),
    ];
    assert_errors(cases);
}

/// (name, file name, content, expected message start)
pub(super) type ErrorCase = (&'static str, &'static str, Vec<u8>, &'static str);

/// Each case must fail with a one-line message starting with the expected text, naming the
/// file; the same when every byte arrives in its own read.
pub(super) fn assert_errors(cases: Vec<ErrorCase>) {
    for (name, file, data, want) in cases {
        let got = read_all(file, &data);
        let err = match got {
            Ok(events) => panic!(
                "case {name}: expected an error, got {} events",
                events.len()
            ),
            Err(e) => e,
        };
        let msg = err.to_string();
        assert!(
            msg.starts_with(want),
            "case {name}:\n got: {msg}\nwant: {want}"
        );
        assert!(
            !msg.contains('\n'),
            "case {name}: message spans lines: {msg}"
        );
        assert_eq!(err.file(), file, "case {name}");
        // The same error when every byte arrives in its own read (buffer refills mid-token).
        let trickled = MarketDataReader::from_reader(Trickle(Cursor::new(data)), file)
            .and_then(|r| r.collect::<Result<Vec<_>, _>>());
        let err = trickled.expect_err(name).to_string();
        assert!(
            err.starts_with(want),
            "case {name} (one byte per read):\n got: {err}\nwant: {want}"
        );
    }
}

#[test]
fn truncated_gzip_names_a_line_after_the_rows_read() {
    let mut rows = String::from(TARDIS);
    for i in 0..5000i64 {
        rows.push_str(&format!(
            "coinbase,DOGE-USD,{},1,{i},buy,0.25,1\n",
            1_760_054_400_300_000 + i * 1000
        ));
    }
    let gz = gzip(rows.as_bytes());
    let mut r = reader("t.csv.gz", &gz[..gz.len() / 2]).unwrap();
    let ok = r.by_ref().take_while(Result::is_ok).count();
    assert!(ok > 10, "read {ok} rows before the error");
    // `take_while` consumed the error; read again from scratch to inspect it.
    let err = reader("t.csv.gz", &gz[..gz.len() / 2])
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    assert!(
        matches!(err, DataError::Read { .. } | DataError::Row { .. }),
        "{err}"
    );
    let line = err.line().unwrap();
    assert!(line as usize > ok, "line {line} vs {ok} rows: {err}");
    assert!(r.next().is_none(), "fused after the error");
}

#[test]
fn error_after_the_probe_comes_after_the_good_bars_and_fuses() {
    let data = b"[[1631917380000,1,2,1,1,5],[1631917440000,1,2,1,1,5],[1631917500000,1,2,1,x]]";
    let mut r = reader("d.json", data).unwrap();
    assert_eq!(r.bar_interval(), Some(M));
    assert!(matches!(r.next(), Some(Ok(MarketEvent::Bar(_)))));
    assert!(matches!(r.next(), Some(Ok(MarketEvent::Bar(_)))));
    let err = r.next().unwrap().unwrap_err();
    assert!(err.to_string().starts_with("d.json:1:"), "{err}");
    assert_eq!(err.line(), Some(1));
    assert!(r.next().is_none());
    assert!(r.next().is_none());
}

#[test]
fn open_reads_a_file_and_names_it_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    // A gzip file whose name does not say so: detection is by content.
    let path = dir.path().join("trades.dat");
    std::fs::write(&path, gzip(TARDIS.as_bytes())).unwrap();
    let r = open(&path).unwrap();
    assert_eq!(r.format(), Format::TardisCsv);
    assert_eq!(r.name(), path.display().to_string());
    assert_eq!(r.count(), 3);

    let r = open_as(&path, Format::TardisCsv).unwrap();
    assert_eq!(r.count(), 3);

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "TS,PRICE,VOLUME\n1,x,1\n").unwrap();
    let err = open(&bad).unwrap().find_map(Result::err).unwrap();
    assert_eq!(
        err.to_string(),
        format!("{}:2: price \"x\" is not a decimal number", bad.display())
    );

    let missing = dir.path().join("missing.csv");
    let err = open(&missing).unwrap_err();
    assert!(matches!(err, DataError::Open { .. }));
    assert!(
        err.to_string()
            .starts_with(&format!("{}: ", missing.display())),
        "{err}"
    );
}

#[test]
fn large_stream_is_read_in_order() {
    // Bigger than every buffer, to cross buffer boundaries mid-token.
    let mut json = String::from("[");
    let n = 20_000;
    for i in 0..n {
        if i > 0 {
            json.push_str(",\n");
        }
        json.push_str(&format!(
            "[{},0.1{i},0.2{i},0.05{i},0.1{i},{i}.5]",
            T0 + i * M
        ));
    }
    json.push(']');
    for data in [json.as_bytes().to_vec(), gzip(json.as_bytes())] {
        let mut count = 0i64;
        for ev in reader("big.json", &data).unwrap() {
            let MarketEvent::Bar(b) = ev.unwrap() else {
                panic!("not a bar")
            };
            assert_eq!(b.open_time, t(T0 + count * M));
            assert_eq!(b.open, p(&format!("0.1{count}")));
            assert_eq!(b.volume, Some(q(&format!("{count}.5"))));
            count += 1;
        }
        assert_eq!(count, n);
    }
}

#[test]
fn reader_and_error_can_cross_threads() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync + std::error::Error + 'static>() {}
    send::<MarketDataReader>();
    send_sync::<DataError>();
}

#[test]
fn debug_is_implemented() {
    let r = reader("k.csv", KRAKEN_BARE.as_bytes()).unwrap();
    let s = format!("{r:?}");
    assert!(s.contains("kraken") || s.contains("KrakenCsv"), "{s}");
}
