//! The price sanity check end to end over small in-memory files (so locations are real
//! file:line), and its config: defaults, parsing, validation.

use std::io::Cursor;

use flywheel_core::{Price, Ratio};

use super::*;
use crate::{MarketDataReader, MarketEvent};

/// A SOL day around $200: ten ordinary prints (the start batch is the first nine).
const SOL: [&str; 10] = [
    "200.10", "200.31", "199.95", "200.02", "200.40", "199.80", "200.15", "200.07", "200.22",
    "200.05",
];

fn p(s: &str) -> Price {
    s.parse().unwrap()
}

fn cfg(mode: SanityMode, max_ratio: &str, window: u32) -> PriceSanityConfig {
    PriceSanityConfig {
        mode,
        max_ratio: max_ratio.parse().unwrap(),
        window,
        max_gap_sec: DEFAULT_MAX_GAP_SEC,
    }
}

fn skip() -> PriceSanityConfig {
    PriceSanityConfig::default()
}

fn reject() -> PriceSanityConfig {
    cfg(SanityMode::Reject, "10", 101)
}

/// A Kraken CSV (`TS,PRICE,VOLUME` header on line 1, so price i is on line i + 2).
fn kraken(prices: &[&str]) -> Vec<u8> {
    let mut s = String::from("TS,PRICE,VOLUME\n");
    for (i, price) in prices.iter().enumerate() {
        s.push_str(&format!("{},{price},1\n", 1_688_169_649 + i));
    }
    s.into_bytes()
}

fn with(base: &[&'static str], more: &[&'static str]) -> Vec<&'static str> {
    [base, more].concat()
}

struct Run {
    /// Prices passed on (a trade's price, a bar's close).
    passed: Vec<Price>,
    /// The error that ended the stream.
    err: Option<String>,
    stats: SanityStats,
}

fn run(name: &str, data: Vec<u8>, config: &PriceSanityConfig) -> Run {
    let reader = MarketDataReader::from_reader(Cursor::new(data), name).unwrap();
    let mut filter = SanityFilter::new(reader, config).unwrap();
    let mut passed = Vec::new();
    let mut err = None;
    for item in filter.by_ref() {
        match item {
            Ok(MarketEvent::Trade(t)) => passed.push(t.price),
            Ok(MarketEvent::Bar(b)) => passed.push(b.close),
            Err(e) => err = Some(e.to_string()),
        }
    }
    assert!(filter.next().is_none(), "fused");
    Run {
        passed,
        err,
        stats: filter.stats().clone(),
    }
}

struct Case {
    name: &'static str,
    config: PriceSanityConfig,
    prices: Vec<&'static str>,
    /// Events passed on.
    passed: usize,
    skipped: u64,
    /// `SkippedPrint` display of the first skipped event.
    first: Option<&'static str>,
    /// Start of the error message that ended the stream.
    err: Option<&'static str>,
}

#[test]
fn trades_table() {
    let doge_crash = vec![
        "0.25", "0.24", "0.22", "0.2", "0.18", "0.16", "0.15", "0.17", "0.19",
    ];
    let flat: Vec<&str> = vec!["200"; 9];
    let cases = vec![
        Case {
            name: "SOL fat finger at 1.23e8 after the start",
            config: skip(),
            prices: with(&SOL, &["123000000", "200.11"]),
            passed: 11,
            skipped: 1,
            first: Some("k.csv:12: price 123000000 (median 200.1)"),
            err: None,
        },
        Case {
            name: "a bad first print is caught by the start batch",
            config: skip(),
            prices: with(&["123000000"], &SOL),
            passed: 10,
            skipped: 1,
            first: Some("k.csv:2: price 123000000 (median 200.1)"),
            err: None,
        },
        Case {
            name: "a 5e6 spike in DOGE",
            config: skip(),
            prices: vec!["0.2486", "0.2487", "0.2485", "5000000", "0.2486", "0.2484"],
            passed: 5,
            skipped: 1,
            first: Some("k.csv:5: price 5000000 (median 0.2486)"),
            err: None,
        },
        Case {
            name: "a 9e9 price",
            config: skip(),
            prices: with(&SOL, &["9000000000"]),
            passed: 10,
            skipped: 1,
            first: Some("k.csv:12: price 9000000000 (median 200.1)"),
            err: None,
        },
        Case {
            name: "a print far below",
            config: skip(),
            prices: with(&SOL, &["0.0002"]),
            passed: 10,
            skipped: 1,
            first: Some("k.csv:12: price 0.0002 (median 200.07)"),
            err: None,
        },
        Case {
            name: "several rows of one bad taker order",
            config: skip(),
            prices: with(&SOL, &["123000000", "123000000", "123000000", "200.2"]),
            passed: 11,
            skipped: 3,
            first: Some("k.csv:12: price 123000000 (median 200.1)"),
            err: None,
        },
        Case {
            name: "a real crash day stays inside 10x",
            config: skip(),
            prices: doge_crash.clone(),
            passed: 9,
            skipped: 0,
            first: None,
            err: None,
        },
        Case {
            name: "exactly max_ratio times the median is inside, one unit more is out",
            config: skip(),
            prices: with(&flat, &["2000", "2000.000000001", "20", "19.999999999"]),
            passed: 11,
            skipped: 2,
            first: Some("k.csv:12: price 2000.000000001 (median 200)"),
            err: None,
        },
        Case {
            name: "reject names file:line, price and median",
            config: reject(),
            prices: with(&SOL, &["123000000", "200.11"]),
            passed: 10,
            skipped: 0,
            first: None,
            err: Some(
                "k.csv:12: price 123000000 is more than 10× the median 200.1 of the last 10 \
                 accepted prices (price sanity check, mode reject",
            ),
        },
        Case {
            name: "reject in the start batch comes after the good prints before it",
            config: reject(),
            prices: with(&["200.1", "0.02"], &SOL),
            passed: 1,
            skipped: 0,
            first: None,
            err: Some(
                "k.csv:3: price 0.02 is less than 1/10 of the median 200.1 of the first 9 prices",
            ),
        },
        Case {
            name: "off passes everything",
            config: cfg(SanityMode::Off, "10", 101),
            prices: with(&["123000000"], &SOL),
            passed: 11,
            skipped: 0,
            first: None,
            err: None,
        },
        Case {
            name: "a sustained move ends the stream in skip mode too",
            config: cfg(SanityMode::Skip, "10", 5),
            prices: with(&SOL, &["5000"; 20]),
            passed: 10,
            skipped: 15,
            first: Some("k.csv:12: price 5000 (median 200.07)"),
            err: Some("k.csv:27: 16 prints in a row (the first at k.csv:12) are outliers"),
        },
        Case {
            name: "window 1 compares with the last accepted print",
            config: cfg(SanityMode::Skip, "2", 1),
            prices: vec!["100", "150", "400", "250", "600"],
            passed: 3,
            skipped: 2,
            first: Some("k.csv:4: price 400 (median 150)"),
            err: None,
        },
        Case {
            name: "fewer prints than the start batch",
            config: skip(),
            prices: vec!["200", "201", "123000000"],
            passed: 2,
            skipped: 1,
            first: Some("k.csv:4: price 123000000 (median 201)"),
            err: None,
        },
        Case {
            name: "two prints, one bad: no majority, both pass",
            config: skip(),
            prices: vec!["123000000", "200"],
            passed: 2,
            skipped: 0,
            first: None,
            err: None,
        },
        Case {
            name: "no prints",
            config: skip(),
            prices: vec![],
            passed: 0,
            skipped: 0,
            first: None,
            err: None,
        },
        Case {
            name: "a reader error passes through after the good prints",
            config: skip(),
            prices: with(&SOL, &["x", "200"]),
            passed: 10,
            skipped: 0,
            first: None,
            err: Some(r#"k.csv:12: price "x" is not a decimal number"#),
        },
        Case {
            name: "a reader error inside the start batch",
            config: skip(),
            prices: vec!["200", "123000000", "x", "200"],
            passed: 2,
            skipped: 0,
            first: None,
            err: Some(r#"k.csv:4: price "x" is not a decimal number"#),
        },
    ];
    for c in cases {
        let r = run("k.csv", kraken(&c.prices), &c.config);
        let name = c.name;
        assert_eq!(
            r.passed.len(),
            c.passed,
            "case {name}: passed {:?}",
            r.passed
        );
        assert_eq!(r.stats.skipped, c.skipped, "case {name}");
        assert_eq!(
            r.stats
                .first_skipped
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            c.first,
            "case {name}"
        );
        match (&r.err, c.err) {
            (None, None) => {}
            (Some(got), Some(want)) => {
                assert!(
                    got.starts_with(want),
                    "case {name}:\n got: {got}\nwant: {want}"
                );
                assert!(!got.contains('\n'), "case {name}: one line");
            }
            (got, want) => panic!("case {name}: error {got:?}, want {want:?}"),
        }
        // Nothing is lost silently: every event judged was passed on, skipped or the error.
        let judged = r.passed.len() as u64 + r.stats.skipped;
        if c.config.mode != SanityMode::Off && r.err.is_none() {
            assert_eq!(r.stats.checked, judged, "case {name}");
        }
    }
}

#[test]
fn passed_prices_keep_order_and_value() {
    let r = run(
        "k.csv",
        kraken(&with(&SOL, &["123000000", "200.11"])),
        &skip(),
    );
    let want: Vec<Price> = with(&SOL, &["200.11"]).iter().map(|s| p(s)).collect();
    assert_eq!(r.passed, want);
}

#[test]
fn bars_table() {
    /// A freqtrade JSON file, one bar per line (bar i on line i + 2), `[t, o, h, l, c]`.
    fn json(bars: &[[&str; 4]]) -> Vec<u8> {
        let rows: Vec<String> = bars
            .iter()
            .enumerate()
            .map(|(i, [o, h, l, c])| {
                format!(
                    "[{},{o},{h},{l},{c}]",
                    1_631_917_380_000i64 + 60_000 * i as i64
                )
            })
            .collect();
        format!("[\n{}\n]", rows.join(",\n")).into_bytes()
    }
    let ok = ["200", "201", "199", "200.5"];
    let base = vec![ok; 10];
    /// (name, bars, passed, first skipped)
    type Case<'a> = (&'a str, Vec<[&'a str; 4]>, usize, Option<&'a str>);
    let cases: Vec<Case> = vec![
        ("clean bars", base.clone(), 10, None),
        (
            "a wick to 5e6",
            [base.clone(), vec![["200", "5000000", "199", "200"]]].concat(),
            10,
            Some("d.json:12:1: high 5000000 (median 200.5)"),
        ),
        (
            "a wick far down",
            [base.clone(), vec![["200", "201", "0.001", "200"]]].concat(),
            10,
            Some("d.json:12:1: low 0.001 (median 200.5)"),
        ),
        (
            "a bar all at a bad level",
            [base.clone(), vec![["9000000000"; 4]], vec![ok]].concat(),
            11,
            Some("d.json:12:1: high 9000000000 (median 200.5)"),
        ),
    ];
    for (name, bars, passed, first) in cases {
        let r = run("d.json", json(&bars), &skip());
        assert_eq!(r.err, None, "case {name}");
        assert_eq!(r.passed.len(), passed, "case {name}");
        assert_eq!(
            r.stats
                .first_skipped
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            first,
            "case {name}"
        );
    }
}

#[test]
fn admit_without_look_ahead_accepts_the_first_print() {
    // The pure judge on its own (e.g. a live feed): nothing to compare the first print with.
    let mut s = PriceSanity::new(&skip()).unwrap();
    let trade = |price: &str| {
        MarketEvent::Trade(crate::Trade {
            ts: flywheel_core::Timestamp::from_millis(0),
            price: p(price),
            qty: "1".parse().unwrap(),
            taker_side: None,
        })
    };
    let at = crate::Location::line(1);
    assert!(s.admit(&trade("200"), "live", at).unwrap());
    assert!(!s.admit(&trade("123000000"), "live", at).unwrap());
    assert!(s.admit(&trade("201"), "live", at).unwrap());
    assert_eq!(s.stats().checked, 3);
    assert_eq!(s.stats().skipped, 1);
}

#[test]
fn defaults() {
    let d = PriceSanityConfig::default();
    assert_eq!(d.mode, SanityMode::Skip);
    assert_eq!(d.max_ratio, Ratio::from_int(10).unwrap());
    assert_eq!(d.window, 101);
    assert!(d.validate().is_empty());
    let keys: Vec<&str> = PRICE_SANITY_CONFIG_DOCS.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, ["mode", "max_ratio", "window", "max_gap_sec"]);
    assert_eq!(d.max_gap_sec, 7 * 86_400);
}

#[test]
fn parse_toml_table() {
    let d = PriceSanityConfig::default();
    let cases: Vec<(&str, &str, Result<PriceSanityConfig, &str>)> = vec![
        ("empty is the defaults", "", Ok(d.clone())),
        (
            "reject",
            "mode = \"reject\"",
            Ok(cfg(SanityMode::Reject, "10", 101)),
        ),
        ("off", "mode = \"off\"", Ok(cfg(SanityMode::Off, "10", 101))),
        (
            "float ratio is exact",
            "max_ratio = 12.5\nwindow = 51",
            Ok(cfg(SanityMode::Skip, "12.5", 51)),
        ),
        (
            "string ratio",
            "max_ratio = \"3.3\"",
            Ok(cfg(SanityMode::Skip, "3.3", 101)),
        ),
        ("unknown mode", "mode = \"drop\"", Err("unknown variant")),
        ("unknown key", "windw = 5", Err("unknown field")),
        ("negative window", "window = -1", Err("")),
    ];
    for (name, text, want) in cases {
        let got = toml::from_str::<PriceSanityConfig>(text);
        match (got, want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "case {name}"),
            (Err(e), Err(want)) => assert!(e.to_string().contains(want), "case {name}: {e}"),
            (got, want) => panic!("case {name}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn validate_table() {
    let cases: Vec<(&str, PriceSanityConfig, Vec<&str>)> = vec![
        ("defaults", skip(), vec![]),
        (
            "ratio 1",
            cfg(SanityMode::Skip, "1", 101),
            vec!["max_ratio"],
        ),
        (
            "ratio below 1",
            cfg(SanityMode::Skip, "0.5", 101),
            vec!["max_ratio"],
        ),
        (
            "ratio just above 1",
            cfg(SanityMode::Skip, "1.000000001", 101),
            vec![],
        ),
        ("window 0", cfg(SanityMode::Skip, "10", 0), vec!["window"]),
        ("window 1", cfg(SanityMode::Skip, "10", 1), vec![]),
        (
            "largest window",
            cfg(SanityMode::Skip, "10", MAX_WINDOW),
            vec![],
        ),
        (
            "window too large",
            cfg(SanityMode::Skip, "10", MAX_WINDOW + 1),
            vec!["window"],
        ),
        (
            "both, in off mode too",
            cfg(SanityMode::Off, "0", 0),
            vec!["max_ratio", "window"],
        ),
    ];
    for (name, config, keys) in cases {
        let got: Vec<&str> = config.validate().iter().map(|p| p.key).collect();
        assert_eq!(got, keys, "case {name}");
        let built = PriceSanity::new(&config);
        assert_eq!(built.is_ok(), keys.is_empty(), "case {name}");
    }
}

#[test]
fn limits_table() {
    let cases = [
        ("window 1", 1, 1, MIN_RUN_LIMIT),
        ("window 5", 5, 5, MIN_RUN_LIMIT),
        ("default window", 101, START_PRINTS, 101),
        (
            "largest window",
            MAX_WINDOW,
            START_PRINTS,
            u64::from(MAX_WINDOW),
        ),
    ];
    for (name, window, start, limit) in cases {
        assert_eq!(start_prints(window), start, "case {name}");
        assert_eq!(run_limit(window), limit, "case {name}");
    }
}

/// A Kraken CSV whose rows are `seconds` after 2023-07-01 (price 200, line i + 2).
fn kraken_at(seconds: &[i64]) -> Vec<u8> {
    let mut s = String::from("TS,PRICE,VOLUME\n");
    for t in seconds {
        s.push_str(&format!("{},200,1\n", 1_688_169_649 + t));
    }
    s.into_bytes()
}

#[test]
fn gaps_table() {
    const DAY: i64 = 86_400;
    // (name, mode, max_gap_sec, row times in seconds, events passed, error start)
    type GapCase = (
        &'static str,
        SanityMode,
        u64,
        Vec<i64>,
        usize,
        Option<&'static str>,
    );
    let cases: [GapCase; 6] = [
        (
            "a day apart is fine",
            SanityMode::Skip,
            7 * 86_400,
            vec![0, 1, DAY, DAY + 1],
            4,
            None,
        ),
        (
            "exactly the limit is fine",
            SanityMode::Skip,
            60,
            vec![0, 60, 120],
            3,
            None,
        ),
        (
            "a typo twenty years ahead, last row",
            SanityMode::Skip,
            7 * 86_400,
            vec![0, 1, 2, 20 * 365 * DAY],
            3,
            Some("gaps.csv:5: 20.0 years since the previous event (line 4)"),
        ),
        (
            "one second over, within the start batch",
            SanityMode::Reject,
            60,
            vec![0, 61],
            1,
            Some("gaps.csv:3: 0.0 hours since the previous event (line 2)"),
        ),
        (
            "no limit",
            SanityMode::Skip,
            0,
            vec![0, 20 * 365 * DAY],
            2,
            None,
        ),
        (
            "checked with the price check off too",
            SanityMode::Off,
            3600,
            vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, DAY],
            11,
            Some("gaps.csv:13: 24.0 hours since the previous event (line 12)"),
        ),
    ];
    for (name, mode, max_gap_sec, times, passed, err) in cases {
        let config = PriceSanityConfig {
            mode,
            max_gap_sec,
            ..PriceSanityConfig::default()
        };
        let r = run("gaps.csv", kraken_at(&times), &config);
        assert_eq!(r.passed.len(), passed, "{name}: events passed");
        match (err, &r.err) {
            (None, None) => {}
            (Some(want), Some(got)) => {
                assert!(got.starts_with(want), "{name}: {got}");
                assert!(
                    got.contains("sanity.max_gap_sec"),
                    "{name}: names the key: {got}"
                );
            }
            (want, got) => panic!("{name}: error {got:?}, want {want:?}"),
        }
    }
}
