//! Reads every real file in `shared/data` and checks the facts its README lists: row counts,
//! first/last prices and times, price extremes, taker side counts and total sizes.
//! Skips with a message when the folder is absent.

use flywheel_core::{Price, Qty, Side, Timestamp};
use flywheel_marketdata::{open, Format, MarketEvent};

mod common;
use common::data_dir;

struct Expect {
    file: &'static str,
    format: Format,
    rows: usize,
    /// First and last time: bar open times, or trade times (ISO, UTC).
    first_time: &'static str,
    last_time: &'static str,
    /// First open / last close (bars) or first / last trade price.
    first_price: &'static str,
    last_price: &'static str,
    /// Lowest low and highest high (bars) or lowest and highest trade price.
    min_price: &'static str,
    max_price: &'static str,
    /// Taker buy and sell counts (trades with a side).
    sides: Option<(usize, usize)>,
    /// Missing-bar gaps (open-time steps longer than one minute) in bar files.
    gaps: usize,
    /// Exact total trade size. The README's totals are float sums rounded to 4 decimals
    /// (e.g. 841,380,878.9001); these exact ones were computed independently with Python's
    /// `decimal` module and agree with the README to its rounding. (Bar volume totals of DOGE
    /// exceed the `Fixed` range and are not checked.)
    total_size: Option<&'static str>,
}

const EXPECTED: &[Expect] = &[
    Expect {
        file: "binance_DOGEUSDT_1m_2021-04-02_2021-05-14.json.gz",
        format: Format::FreqtradeJson,
        rows: 61_272,
        first_time: "2021-04-02T00:00:00Z",
        last_time: "2021-05-14T20:25:00Z",
        first_price: "0.0621509",
        last_price: "0.57259",
        min_price: "0.0550864",
        max_price: "0.73995",
        sides: None,
        gaps: 2,
        total_size: None,
    },
    Expect {
        file: "binance_DOGEUSDT_1m_2021-05-15_2021-06-15.json.gz",
        format: Format::FreqtradeJson,
        rows: 44_446,
        first_time: "2021-05-15T15:25:00Z",
        last_time: "2021-06-15T12:10:00Z",
        first_price: "0.51592",
        last_price: "0.32598",
        min_price: "0.21111",
        max_price: "0.5489",
        sides: None,
        gaps: 0,
        total_size: None,
    },
    Expect {
        file: "binance_DOGEUSDT_1m_2021-09-17_2021-10-17.json.gz",
        format: Format::FreqtradeJson,
        rows: 43_079,
        first_time: "2021-09-17T22:23:00Z",
        last_time: "2021-10-17T22:21:00Z",
        first_price: "0.2412",
        last_price: "0.2376",
        min_price: "0.194",
        max_price: "0.2719",
        sides: None,
        gaps: 1,
        total_size: None,
    },
    Expect {
        file: "binance_SOLUSDT_1m_2021-04-02_2021-05-14.json.gz",
        format: Format::FreqtradeJson,
        rows: 61_278,
        first_time: "2021-04-02T00:00:00Z",
        last_time: "2021-05-14T20:31:00Z",
        first_price: "19.0443",
        last_price: "41.997",
        min_price: "18.345",
        max_price: "49.99",
        sides: None,
        gaps: 2,
        total_size: None,
    },
    Expect {
        file: "binance_SOLUSDT_1m_2021-05-15_2021-06-15.json.gz",
        format: Format::FreqtradeJson,
        rows: 44_093,
        first_time: "2021-05-15T21:19:00Z",
        last_time: "2021-06-15T12:11:00Z",
        first_price: "42.525",
        last_price: "40.847",
        min_price: "19.117",
        max_price: "58.38",
        sides: None,
        gaps: 0,
        total_size: None,
    },
    Expect {
        file: "coinbase_DOGE-USD_trades_2025-10-10.csv.gz",
        format: Format::TardisCsv,
        rows: 266_395,
        first_time: "2025-10-10T00:00:00.172Z",
        last_time: "2025-10-10T23:59:58.708Z",
        first_price: "0.24864",
        last_price: "0.19638",
        min_price: "0.15",
        max_price: "0.25412",
        sides: Some((128_156, 138_239)),
        gaps: 0,
        total_size: Some("841380878.9"),
    },
    Expect {
        file: "gemini_DOGEUSD_trades_2025-10-10.csv.gz",
        format: Format::TardisCsv,
        rows: 8_348,
        first_time: "2025-10-10T00:05:30.510Z",
        last_time: "2025-10-10T23:59:54.822Z",
        first_price: "0.24891",
        last_price: "0.20096",
        min_price: "0.18188",
        max_price: "0.25391",
        sides: Some((4_032, 4_316)),
        gaps: 0,
        total_size: Some("20647221.427723"),
    },
    Expect {
        file: "gemini_SOLUSD_trades_2025-10-10.csv.gz",
        format: Format::TardisCsv,
        rows: 12_764,
        first_time: "2025-10-10T00:00:02.762Z",
        last_time: "2025-10-10T23:59:52.818Z",
        first_price: "221.052",
        last_price: "190.667",
        min_price: "172.1",
        max_price: "224.47",
        sides: Some((6_146, 6_618)),
        gaps: 0,
        total_size: Some("86788.970906"),
    },
    Expect {
        file: "kraken_SOLUSD_timesales_2023-07-01_excerpt.csv",
        format: Format::KrakenCsv,
        rows: 813,
        first_time: "2023-07-01T00:00:49Z",
        last_time: "2023-07-01T02:46:45Z",
        first_price: "18.89",
        last_price: "18.31",
        min_price: "18.31",
        max_price: "19",
        sides: None,
        gaps: 0,
        total_size: Some("22445.20306321"),
    },
];

/// Milliseconds of a `YYYY-MM-DDTHH:MM:SS[.mmm]Z` literal (test-local, days-from-civil).
fn iso_ms(s: &str) -> i64 {
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().expect("digits");
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let (hh, mm, ss) = (n(11, 13), n(14, 16), n(17, 19));
    let ms = if s.as_bytes()[19] == b'.' {
        n(20, 23)
    } else {
        0
    };
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000 + ms
}

#[test]
fn real_files_match_the_readme() {
    let Some(dir) = data_dir() else {
        println!("skipping: ../shared/data not found (set FLYWHEEL_DATA_DIR to point at it)");
        return;
    };
    for want in EXPECTED {
        let path = dir.join(want.file);
        if !path.exists() {
            println!("skipping {}: not present", path.display());
            continue;
        }
        let reader = open(&path).unwrap_or_else(|e| panic!("{e}"));
        let name = want.file;
        assert_eq!(reader.format(), want.format, "{name}");
        let interval = reader.bar_interval();
        if want.format == Format::FreqtradeJson {
            assert_eq!(interval, Some(60_000), "{name}: 1m bars");
        } else {
            assert_eq!(interval, None, "{name}");
        }

        let mut rows = 0usize;
        let mut first: Option<(Timestamp, Price)> = None;
        let mut last: Option<(Timestamp, Price)> = None;
        let mut min = Price::from_raw(i64::MAX);
        let mut max = Price::ZERO;
        let (mut buys, mut sells) = (0usize, 0usize);
        let mut total = Qty::ZERO;
        let mut gaps = 0usize;
        let mut prev_open: Option<Timestamp> = None;
        for event in reader {
            let event = event.unwrap_or_else(|e| panic!("{e}"));
            rows += 1;
            match event {
                MarketEvent::Bar(b) => {
                    assert_eq!(
                        b.close_time.millis_since(b.open_time),
                        60_000,
                        "{name}: close = open + 1m"
                    );
                    if prev_open.is_some_and(|p| b.open_time.millis_since(p) > 60_000) {
                        gaps += 1;
                    }
                    prev_open = Some(b.open_time);
                    first.get_or_insert((b.open_time, b.open));
                    last = Some((b.open_time, b.close));
                    min = min.min(b.low);
                    max = max.max(b.high);
                }
                MarketEvent::Trade(t) => {
                    first.get_or_insert((t.ts, t.price));
                    last = Some((t.ts, t.price));
                    min = min.min(t.price);
                    max = max.max(t.price);
                    total += t.qty;
                    match t.taker_side {
                        Some(Side::Buy) => buys += 1,
                        Some(Side::Sell) => sells += 1,
                        None => {}
                    }
                }
            }
        }
        let (first, last) = (first.unwrap(), last.unwrap());
        let p = |s: &str| s.parse::<Price>().unwrap();
        assert_eq!(rows, want.rows, "{name}: rows");
        assert_eq!(
            first.0.millis(),
            iso_ms(want.first_time),
            "{name}: first time"
        );
        assert_eq!(last.0.millis(), iso_ms(want.last_time), "{name}: last time");
        assert_eq!(first.1, p(want.first_price), "{name}: first price");
        assert_eq!(last.1, p(want.last_price), "{name}: last price");
        assert_eq!(min, p(want.min_price), "{name}: min price");
        assert_eq!(max, p(want.max_price), "{name}: max price");
        match want.sides {
            Some((b, s)) => assert_eq!((buys, sells), (b, s), "{name}: taker sides"),
            None => assert_eq!((buys, sells), (0, 0), "{name}: no sides"),
        }
        assert_eq!(gaps, want.gaps, "{name}: gaps");
        if let Some(t) = want.total_size {
            assert_eq!(total, t.parse::<Qty>().unwrap(), "{name}: exact total size");
        }
        println!(
            "{name}: {rows} events, {} .. {}, first {} last {}",
            want.first_time, want.last_time, first.1, last.1
        );
    }
}
