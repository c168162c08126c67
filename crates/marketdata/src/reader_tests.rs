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

#[path = "reader_error_tests.rs"]
mod errors;
pub(super) use errors::{assert_errors, ErrorCase};
