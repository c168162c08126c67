//! Table-driven tests of the OHLC import variants: header spellings, timestamp units and
//! forms, Binance kline archives, Kraken OHLCVT files, and the errors for a missing column,
//! a non-UTC offset and an unreadable row (file:line).

use std::io::Cursor;

use flywheel_marketdata::{Format, MarketDataReader, MarketEvent};

/// 2024-01-01T00:00:00Z in milliseconds.
const T: i64 = 1_704_067_200_000;
const M: i64 = 60_000;

/// `(open time ms, close price)` of bars.
type Bars = Vec<(i64, String)>;

/// `(open time ms, close price)` of every bar of `data`, and the detected format.
fn bars(data: &str) -> Result<(Format, Bars), String> {
    let r = MarketDataReader::from_reader(Cursor::new(data.as_bytes().to_vec()), "f.csv")
        .map_err(|e| e.to_string())?;
    let format = r.format();
    let mut out = Vec::new();
    for ev in r {
        match ev.map_err(|e| e.to_string())? {
            MarketEvent::Bar(b) => out.push((b.open_time.millis(), b.close.to_string())),
            MarketEvent::Trade(_) => return Err("a trade, not a bar".into()),
        }
    }
    Ok((format, out))
}

fn kline(open_ms: &str, close: &str) -> String {
    format!("{open_ms},1.0,2.0,0.5,{close},100.0,{open_ms}9,150.0,42,50.0,75.0,0\n")
}

#[test]
fn header_and_timestamp_variants_load() {
    let two = |t0: i64| vec![(t0, "1.5".to_string()), (t0 + M, "1.25".to_string())];
    let cases: Vec<(&str, String, Format, Bars)> = vec![
        (
            "Open Time header, ms",
            format!("Open Time,Open,High,Low,Close,Volume\n{T},1,2,0.5,1.5,10\n{},1,2,0.5,1.25,10\n", T + M),
            Format::OhlcCsv,
            two(T),
        ),
        (
            "upper case, spaces around names, seconds",
            format!(" TIMESTAMP , OPEN , HIGH , LOW , CLOSE \n{},1,2,0.5,1.5\n{},1,2,0.5,1.25\n", T / 1000, T / 1000 + 60),
            Format::OhlcCsv,
            two(T),
        ),
        (
            "dashes in names, microseconds",
            format!("open-time,open,high,low,close\n{},1,2,0.5,1.5\n{},1,2,0.5,1.25\n", T * 1000, (T + M) * 1000),
            Format::OhlcCsv,
            two(T),
        ),
        (
            "date column, nanoseconds",
            format!("date,open,high,low,close\n{},1,2,0.5,1.5\n{},1,2,0.5,1.25\n", T as i128 * 1_000_000, (T + M) as i128 * 1_000_000),
            Format::OhlcCsv,
            two(T),
        ),
        (
            "time column, YYYY-MM-DD HH:MM:SS",
            "time,open,high,low,close\n2024-01-01 00:00:00,1,2,0.5,1.5\n2024-01-01 00:01:00,1,2,0.5,1.25\n".to_string(),
            Format::OhlcCsv,
            two(T),
        ),
        (
            "ISO 8601 with Z and with +00:00",
            "Date,Open,High,Low,Close\n2024-01-01T00:00:00Z,1,2,0.5,1.5\n2024-01-01T00:01:00+00:00,1,2,0.5,1.25\n".to_string(),
            Format::OhlcCsv,
            two(T),
        ),
        (
            "Binance klines, milliseconds",
            kline(&T.to_string(), "1.5") + &kline(&(T + M).to_string(), "1.25"),
            Format::BinanceKlines,
            two(T),
        ),
        (
            "Binance klines, microseconds (2025 on)",
            kline(&(T * 1000).to_string(), "1.5") + &kline(&((T + M) * 1000).to_string(), "1.25"),
            Format::BinanceKlines,
            two(T),
        ),
        (
            "Binance klines with their header line",
            "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n".to_string()
                + &kline(&T.to_string(), "1.5") + &kline(&(T + M).to_string(), "1.25"),
            Format::OhlcCsv,
            two(T),
        ),
        (
            "Kraken OHLCVT, seconds",
            format!("{},1.0,2.0,0.5,1.5,10.5,7\n{},1.0,2.0,0.5,1.25,3,2\n", T / 1000, T / 1000 + 60),
            Format::KrakenOhlcvt,
            two(T),
        ),
    ];
    for (name, data, format, want) in cases {
        for crlf in [false, true] {
            let data = if crlf {
                data.replace('\n', "\r\n")
            } else {
                data.clone()
            };
            let (got_format, got) = bars(&data).unwrap_or_else(|e| panic!("case {name}: {e}"));
            assert_eq!(got_format, format, "case {name}");
            assert_eq!(got, want, "case {name} (crlf {crlf})");
        }
    }
}

#[test]
fn import_errors_name_the_place_and_the_columns() {
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "missing low column",
            "Open Time,Open,High,Close,Volume\n1,1,2,1,1\n".to_string(),
            &["f.csv:1:", "without low", "found columns open_time, open, high, close, volume", "needs time, open, high, low, close"],
        ),
        (
            "missing time column",
            "Open,High,Low,Close\n1,2,0.5,1\n".to_string(),
            &["f.csv:1:", "without time (one of time, timestamp", "found columns open, high, low, close"],
        ),
        (
            "trades header without volume",
            "time,price,side\n1,2,buy\n".to_string(),
            &["f.csv:1:", "trades header without volume", "found columns time, price, side"],
        ),
        (
            "unknown header lists its columns",
            "foo,bar\n1,2\n".to_string(),
            &["f.csv:1:", "unrecognized CSV header \"foo,bar\""],
        ),
        (
            "headerless with 5 fields",
            "1,2,3,4,5\n".to_string(),
            &["f.csv:1:", "headerless CSV with 5 fields", "Binance klines (12"],
        ),
        (
            "non-UTC offset",
            "time,open,high,low,close\n2024-01-01T00:00:00Z,1,2,0.5,1\n2024-01-01T02:01:00+02:00,1,2,0.5,1\n".to_string(),
            &["f.csv:3: time \"2024-01-01T02:01:00+02:00\": offset +02:00 is not UTC", "Z or +00:00"],
        ),
        (
            "unreadable Binance kline row",
            kline(&T.to_string(), "1.5") + &kline(&(T + M).to_string(), "1.25") + &kline(&(T + 2 * M).to_string(), "abc"),
            &["f.csv:3:", "close \"abc\" is not a decimal number"],
        ),
        (
            "Kraken OHLCVT row with a field missing",
            format!("{},1.0,2.0,0.5,1.5,10.5,7\n{},1.0,2.0,0.5,1.25,3\n", T / 1000, T / 1000 + 60),
            &["f.csv:2:", "expected 7 fields"],
        ),
    ];
    for (name, data, wants) in cases {
        let err = bars(&data)
            .err()
            .unwrap_or_else(|| panic!("case {name}: loaded"));
        for want in wants {
            assert!(err.contains(want), "case {name}: {err:?} lacks {want:?}");
        }
        assert!(!err.contains('\n'), "case {name}: one line: {err:?}");
    }
}

#[test]
fn forced_formats_check_the_layout() {
    let seven = format!("{},1.0,2.0,0.5,1.5,10.5,7\n", T / 1000);
    let twelve = kline(&T.to_string(), "1.5");
    let cases: [(&str, &str, Format, Result<Format, &str>); 4] = [
        ("klines forced on klines", &twelve, Format::BinanceKlines, Ok(Format::BinanceKlines)),
        ("ohlcvt forced on ohlcvt", &seven, Format::KrakenOhlcvt, Ok(Format::KrakenOhlcvt)),
        (
            "klines forced on 7 fields",
            &seven,
            Format::BinanceKlines,
            Err("f.csv:1: format binance-klines is a headerless CSV of 12 fields; the first line has 7"),
        ),
        (
            "ohlcvt forced on 12 fields",
            &twelve,
            Format::KrakenOhlcvt,
            Err("format kraken-ohlcvt is a headerless CSV of 7 fields"),
        ),
    ];
    for (name, data, format, want) in cases {
        let got = MarketDataReader::from_reader_as(
            Cursor::new(data.as_bytes().to_vec()),
            "f.csv",
            Some(format),
        )
        .map(|r| r.format())
        .map_err(|e| e.to_string());
        match (got, want) {
            (Ok(f), Ok(w)) => assert_eq!(f, w, "case {name}"),
            (Err(e), Err(w)) => assert!(e.contains(w), "case {name}: {e}"),
            (got, want) => panic!("case {name}: got {got:?}, want {want:?}"),
        }
    }
}
