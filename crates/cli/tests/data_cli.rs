//! End-to-end tests of `flywheel data inspect`: a small generated file of each format, the
//! human and JSON forms, an unreadable file's file:line error, and the real data files
//! (skipped with a message when shared/data is absent).

mod common;

use common::{flywheel, real_data};
use std::io::Write;
use std::path::Path;

use serde_json::Value;

/// 2024-01-01T00:00:00Z in milliseconds.
const T: i64 = 1_704_067_200_000;
const M: i64 = 60_000;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

fn inspect_json(dir: &Path, file: &str) -> Value {
    let out = flywheel(dir, &["data", "inspect", file, "--json"]);
    assert!(
        out.status.success(),
        "{file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{file}: not JSON only: {e}"))
}

/// Bar open times in minutes from `T`: 0..5, then 8 and 9 (bars 5, 6 and 7 missing).
const BAR_MINUTES: [i64; 7] = [0, 1, 2, 3, 4, 8, 9];

#[test]
fn inspect_reads_every_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let closes = ["1.5", "1.25", "2", "1", "1.75", "0.5", "1.1"];
    let bars = || BAR_MINUTES.iter().zip(closes);
    let mut json = String::from("[");
    let mut ohlc = String::from("Open Time,Open,High,Low,Close,Volume\n");
    let mut klines = String::new();
    let mut ohlcvt = String::new();
    for (i, (m, c)) in bars().enumerate() {
        let t = T + m * M;
        if i > 0 {
            json.push(',');
        }
        json.push_str(&format!("[{t},1.0,2.0,0.5,{c},10.5]"));
        ohlc.push_str(&format!("{t},1.0,2.0,0.5,{c},10.5\n"));
        klines.push_str(&format!(
            "{},1.0,2.0,0.5,{c},10.5,{},0,1,0,0,0\n",
            t * 1000,
            (t + M) * 1000 - 1
        ));
        ohlcvt.push_str(&format!("{},1.0,2.0,0.5,{c},10.5,3\n", t / 1000));
    }
    json.push(']');
    let mut tardis =
        String::from("exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n");
    let mut kraken = String::from("TS,PRICE,VOLUME\n");
    // Trades at 0 s, 10 s, 20 s, then 20 minutes of silence, then 1220 s.
    for (i, (s, p)) in [(0, "0.2"), (10, "0.25"), (20, "0.15"), (1220, "0.3")]
        .into_iter()
        .enumerate()
    {
        let us = (T / 1000 + s) * 1_000_000;
        tardis.push_str(&format!("gemini,DOGEUSD,{us},{us},{i},buy,{p},100\n"));
        kraken.push_str(&format!("{},{p},100\n", T / 1000 + s));
    }
    let files: [(&str, Vec<u8>); 6] = [
        ("bars.json.gz", gzip(json.as_bytes())),
        ("ohlc.csv", ohlc.into_bytes()),
        ("klines.csv", klines.into_bytes()),
        ("ohlcvt.csv", ohlcvt.into_bytes()),
        ("tardis.csv.gz", gzip(tardis.as_bytes())),
        ("kraken.csv", kraken.into_bytes()),
    ];
    for (name, data) in &files {
        std::fs::write(dir.path().join(name), data).expect("write");
    }
    // (file, format, events, rows, gaps, last minute or second, min, max, volume)
    let cases = [
        (
            "bars.json.gz",
            "freqtrade-json",
            "bars",
            7,
            1,
            "0.5",
            "2",
            "73.5",
        ),
        ("ohlc.csv", "ohlc-csv", "bars", 7, 1, "0.5", "2", "73.5"),
        (
            "klines.csv",
            "binance-klines",
            "bars",
            7,
            1,
            "0.5",
            "2",
            "73.5",
        ),
        (
            "ohlcvt.csv",
            "kraken-ohlcvt",
            "bars",
            7,
            1,
            "0.5",
            "2",
            "73.5",
        ),
        (
            "tardis.csv.gz",
            "tardis-csv",
            "trades",
            4,
            1,
            "0.15",
            "0.3",
            "400",
        ),
        (
            "kraken.csv",
            "kraken-csv",
            "trades",
            4,
            1,
            "0.15",
            "0.3",
            "400",
        ),
    ];
    for (file, format, events, rows, gaps, min, max, volume) in cases {
        let j = inspect_json(dir.path(), file);
        assert_eq!(j["format"], format, "{file}");
        assert_eq!(j["events"], events, "{file}");
        assert_eq!(j["rows"], rows, "{file}");
        assert_eq!(j["first_ms"], T, "{file}");
        assert_eq!(j["gaps"]["count"], gaps, "{file}");
        assert_eq!(j["price_min"], min, "{file}");
        assert_eq!(j["price_max"], max, "{file}");
        assert_eq!(j["volume_total"], volume, "{file}");
        if events == "bars" {
            assert_eq!(j["interval_ms"], M, "{file}");
            assert_eq!(j["last_ms"], T + 9 * M, "{file}");
            assert_eq!(j["gaps"]["missing_bars"], 3, "{file}");
            assert_eq!(j["gaps"]["first"][0]["from_utc"], "2024-01-01T00:05:00Z");
            assert_eq!(j["gaps"]["first"][0]["to_utc"], "2024-01-01T00:07:00Z");
        } else {
            assert_eq!(j["last_ms"], T + 1_220_000, "{file}");
            assert_eq!(j["gaps"]["largest"]["duration_ms"], 1_200_000, "{file}");
        }
    }

    // The human form: aligned labels, the gap listed with its times.
    let out = flywheel(dir.path(), &["data", "inspect", "klines.csv"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for want in [
        "Format      binance-klines (bars)",
        "Rows        7",
        "Period      2024-01-01 00:00 → 2024-01-01 00:09 UTC (9m)",
        "Interval    1m",
        "Gaps        1, 3 bars missing; largest 3m at 2024-01-01 00:05",
        "2024-01-01 00:05 → 2024-01-01 00:07 (3m, 3 bars)",
        "Price       0.5 – 2 (close)",
        "Volume      73.5 (base units)",
    ] {
        assert!(text.contains(want), "{want:?} missing:\n{text}");
    }
}

#[test]
fn inspect_errors_name_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        (
            "bad.csv",
            "time,open,high,low,close\n1704067200,1,2,0.5,1\n1704067260,1,2,0.5,x\n",
            "bad.csv:3: close \"x\" is not a decimal number",
        ),
        (
            "offset.csv",
            "time,open,high,low,close\n2024-01-01T02:00:00+02:00,1,2,0.5,1\n",
            "offset.csv:2:",
        ),
        (
            "nolow.csv",
            "Open Time,Open,High,Close\n1704067200,1,2,1\n",
            "nolow.csv:1: OHLC header without low",
        ),
    ];
    for (file, data, want) in cases {
        std::fs::write(dir.path().join(file), data).expect("write");
        let out = flywheel(dir.path(), &["data", "inspect", file]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{file}: {stderr}");
        assert!(stderr.contains(want), "{file}: {stderr}");
        assert!(out.stdout.is_empty(), "{file}: nothing on stdout");
    }
}

#[test]
fn inspect_real_files_matches_the_data_readme() {
    let dir = tempfile::tempdir().expect("temp dir");
    if let Some(path) = real_data("binance_DOGEUSDT_1m_2021-09-17_2021-10-17.json.gz") {
        let j = inspect_json(dir.path(), &path.display().to_string());
        assert_eq!(j["format"], "freqtrade-json");
        assert_eq!(j["rows"], 43_079);
        assert_eq!(j["first_utc"], "2021-09-17T22:23:00Z");
        assert_eq!(j["last_utc"], "2021-10-17T22:21:00Z");
        assert_eq!(j["interval_ms"], M);
        // README: 1 gap, 120 missing bars, 06:59 → 09:00 (the bars either side).
        assert_eq!(j["gaps"]["count"], 1);
        assert_eq!(j["gaps"]["missing_bars"], 120);
        assert_eq!(j["gaps"]["first"][0]["from_utc"], "2021-09-29T07:00:00Z");
        assert_eq!(j["gaps"]["first"][0]["to_utc"], "2021-09-29T08:59:00Z");
    }
    if let Some(path) = real_data("kraken_SOLUSD_timesales_2023-07-01_excerpt.csv") {
        let j = inspect_json(dir.path(), &path.display().to_string());
        assert_eq!(j["format"], "kraken-csv");
        assert_eq!(j["rows"], 813);
        assert_eq!(j["first_utc"], "2023-07-01T00:00:49Z");
        assert_eq!(j["last_utc"], "2023-07-01T02:46:45Z");
        // README: gaps > 300 s: 2; min 18.31, max 19.0; total 22,445.2031 (rounded).
        assert_eq!(j["gaps"]["count"], 2);
        assert_eq!(j["price_min"], "18.31");
        assert_eq!(j["price_max"], "19");
        let volume = j["volume_total"].as_str().expect("volume");
        assert!(volume.starts_with("22445.203"), "{volume}");
    }
}
