//! End-to-end tests of `flywheel sweep`: the built binary on small generated data files in a
//! temporary directory. Each run has every inherited `FLYWHEEL_` variable removed.

mod common;

use common::flywheel;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use tempfile::TempDir;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn assert_fails_with(out: &Output, part: &str) {
    assert!(!out.status.success(), "expected a failure, got success");
    let stderr = text(&out.stderr);
    assert!(stderr.contains(part), "stderr lacks {part:?}:\n{stderr}");
}

/// One-minute OHLC bars from 2024-01-01 swinging around 0.1 with an amplitude that varies
/// with `seed`, so the grid books round trips and different settings give different results.
fn ohlc_csv(bars: usize, seed: usize) -> String {
    let mut csv = String::from("time,open,high,low,close,volume\n");
    let mut price = 100_000i64; // 0.1 in millionths
    for i in 0..bars {
        let t = 1_704_067_200 + 60 * i;
        let step = [1_500, -900, 2_300, -2_100, 700, -1_800][(i + seed) % 6];
        let drift = if (i / 97 + seed).is_multiple_of(2) {
            40
        } else {
            -40
        };
        let open = price;
        let close = (price + step + drift).max(50_000);
        let (hi, lo) = (open.max(close) + 300, open.min(close) - 300);
        let f = |v: i64| format!("{}.{:06}", v / 1_000_000, v % 1_000_000);
        csv.push_str(&format!(
            "{t},{},{},{},{},1000\n",
            f(open),
            f(hi),
            f(lo),
            f(close)
        ));
        price = close;
    }
    csv
}

/// A temp dir with `a.csv` and `b.csv` (different paths).
fn with_data() -> (TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    std::fs::write(&a, ohlc_csv(600, 0)).expect("write a");
    std::fs::write(&b, ohlc_csv(500, 3)).expect("write b");
    (dir, a, b)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn read_json(path: &Path) -> Value {
    let raw = std::fs::read_to_string(path).expect("read JSON output");
    serde_json::from_str(&raw).expect("output is JSON")
}

const GRID: [&str; 6] = [
    "--grid",
    "grid.slots=2,4,6",
    "--grid",
    "grid.entry_pct=0.3,0.6",
    "--grid",
    "rebalance.enabled=true,false",
];

/// Sweep the grid over both files with the outputs given; returns the process output.
fn sweep(dir: &Path, a: &Path, b: &Path, extra: &[&str]) -> Output {
    let (a, b) = (s(a), s(b));
    let mut args = vec!["sweep", "--data", &a, "--data", &b, "--jobs", "2"];
    args.extend_from_slice(&GRID);
    args.extend_from_slice(extra);
    flywheel(dir, &args)
}

#[test]
fn rows_match_the_grid_and_single_backtests() {
    let (dir, a, b) = with_data();
    let out = sweep(
        dir.path(),
        &a,
        &b,
        &["--json", "s.json", "--csv", "s.csv", "--html", "s.html"],
    );
    assert_ok(&out);
    let table = text(&out.stdout);
    assert!(table.contains("vs_hold"), "table header:\n{table}");

    // JSON: one row per configuration, ranks 1..n, sorted best vs_hold first.
    let doc = read_json(&dir.path().join("s.json"));
    let rows = doc["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 3 * 2 * 2, "rows = product of the grid");
    assert_eq!(doc["files"].as_array().map(Vec::len), Some(2));
    let totals: Vec<f64> = rows
        .iter()
        .map(|r| {
            r["total"]["vs_hold_usd"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .expect("vs_hold is a decimal string")
        })
        .collect();
    assert!(
        totals.windows(2).all(|w| w[0] >= w[1]),
        "sorted best first: {totals:?}"
    );
    let distinct: std::collections::BTreeSet<String> =
        totals.iter().map(|t| t.to_string()).collect();
    assert!(
        distinct.len() > 1,
        "the grid changes the results: {totals:?}"
    );

    // CSV: a header and one line per configuration, the same columns on every line.
    let csv = std::fs::read_to_string(dir.path().join("s.csv")).expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 12);
    let width = lines[0].split(',').count();
    assert!(lines.iter().all(|l| l.split(',').count() == width));
    assert!(lines[0].starts_with("rank,grid.slots,grid.entry_pct,rebalance.enabled,vs_hold"));
    assert!(
        lines[0].contains("f2:vs_hold"),
        "per-file columns: {}",
        lines[0]
    );

    // HTML: the heatmap over grid.slots × grid.entry_pct has 3 × 2 cells.
    let html = std::fs::read_to_string(dir.path().join("s.html")).expect("html");
    assert_eq!(html.matches("class=\"cell\"").count(), 6, "heatmap cells");
    for external in ["<script", "<link", "src="] {
        assert!(
            !html.contains(external),
            "self-contained page has {external}"
        );
    }

    // Two configurations, each equal to single backtests of the same settings.
    for pick in [&rows[0], &rows[rows.len() - 1]] {
        let config = pick["config"].as_object().expect("config");
        let sets: Vec<String> = config
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().expect("value")))
            .collect();
        for (i, data) in [&a, &b].into_iter().enumerate() {
            let out_name = format!("bt{i}.json");
            let data = s(data);
            let mut args = vec!["backtest", "--data", &data, "--json", &out_name, "--quiet"];
            for set in &sets {
                args.extend_from_slice(&["--set", set]);
            }
            let run = flywheel(dir.path(), &args);
            assert_ok(&run);
            let bt = read_json(&dir.path().join(&out_name));
            let m = &pick["per_file"][i]["metrics"];
            for (sweep_key, bt_key) in [
                ("vs_hold_usd", "vs_hold_usd"),
                ("equity_change_usd", "equity_change_usd"),
                ("realized_usd", "realized_usd"),
                ("fees_usd", "fees_usd"),
                ("max_drawdown_usd", "max_drawdown_usd"),
                ("round_trips", "round_trips"),
            ] {
                assert_eq!(
                    m[sweep_key], bt["pnl"][bt_key],
                    "{sets:?} on {data}: {sweep_key}"
                );
            }
            std::fs::remove_file(dir.path().join(&out_name)).expect("remove");
        }
    }
}

#[test]
fn bad_keys_and_values_are_named() {
    let (dir, a, b) = with_data();
    let (a, b) = (s(&a), s(&b));
    let cases: [(&str, &[&str], &str); 6] = [
        (
            "unknown key",
            &["--grid", "rebalance.kpp=1,2"],
            "rebalance.kpp",
        ),
        (
            "bad value",
            &["--grid", "grid.slots=2,lots"],
            "--grid grid.slots=lots",
        ),
        (
            "value out of range",
            &["--grid", "grid.slots=2,0"],
            "--grid grid.slots=0",
        ),
        ("no values", &["--grid", "grid.slots="], "an empty value"),
        (
            "sanity key",
            &["--grid", "sanity.mode=off,skip"],
            "cannot be swept",
        ),
        (
            "heatmap key not swept",
            &[
                "--grid",
                "grid.slots=2,4",
                "--heatmap",
                "grid.slots,grid.entry_pct",
            ],
            "grid.entry_pct is not a swept key",
        ),
    ];
    for (name, extra, part) in cases {
        let mut args = vec!["sweep", "--data", &a, "--data", &b];
        args.extend_from_slice(extra);
        let out = flywheel(dir.path(), &args);
        assert!(!out.status.success(), "case {name}: expected a failure");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(part),
            "case {name}: stderr lacks {part:?}:\n{stderr}"
        );
    }
}

#[test]
fn existing_outputs_need_force() {
    let (dir, a, b) = with_data();
    let existing = dir.path().join("old.csv");
    std::fs::write(&existing, "keep me\n").expect("write");
    let out = sweep(dir.path(), &a, &b, &["--csv", "old.csv", "--quiet"]);
    assert_fails_with(&out, "--csv old.csv: the file exists; pass --force");
    assert_eq!(
        std::fs::read_to_string(&existing).expect("read"),
        "keep me\n",
        "untouched"
    );
    let out = sweep(
        dir.path(),
        &a,
        &b,
        &["--csv", "old.csv", "--quiet", "--force"],
    );
    assert_ok(&out);
    let csv = std::fs::read_to_string(&existing).expect("read");
    assert!(csv.starts_with("rank,"), "replaced: {csv}");
    // An output naming an input is refused even with --force.
    let out = sweep(dir.path(), &a, &b, &["--csv", &s(&a), "--force"]);
    assert_fails_with(&out, "an output never overwrites an input");
}

#[test]
fn more_than_ten_thousand_configurations_need_yes() {
    let (dir, a, b) = with_data();
    let values: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    let grid_a = format!("grid.slots={}", values.join(","));
    let grid_b = format!("rebalance.kp={}", values.join(","));
    let (a, b) = (s(&a), s(&b));
    let args = [
        "sweep", "--data", &a, "--data", &b, "--grid", &grid_a, "--grid", &grid_b,
    ];
    let out = flywheel(dir.path(), &args);
    assert_fails_with(&out, "10201 configurations");
}
