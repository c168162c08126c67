//! End-to-end tests of `flywheel backtest`, `compare` and `demo`: the built binary on tiny
//! data files written to a temporary directory.
//!
//! Each test runs the binary with every inherited `FLYWHEEL_` variable removed (the caller's
//! own overrides must not leak in) and checks its exit status, output files and messages.

mod common;

use common::{flywheel, sol_trades_csv};
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

/// A failed run whose stderr is exactly one line; returns that line.
fn one_line_failure(out: &Output) -> String {
    assert!(!out.status.success(), "expected a failure");
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "stderr is not one line:\n{stderr}");
    lines[0].to_string()
}

/// An OHLC CSV of `bars` one-minute bars from 2024-01-01 that swings ±2 % around 0.1, so
/// the grid books round trips.
fn ohlc_csv(bars: usize) -> String {
    let mut csv = String::from("time,open,high,low,close,volume\n");
    let path = ["0.1", "0.098", "0.1", "0.102"];
    for i in 0..bars {
        let t = 1_704_067_200 + 60 * i;
        let open = path[i % path.len()];
        let close = path[(i + 1) % path.len()];
        let (o, c): (f64, f64) = (open.parse().unwrap_or(0.1), close.parse().unwrap_or(0.1));
        let (high, low) = if o >= c { (open, close) } else { (close, open) };
        csv.push_str(&format!("{t},{open},{high},{low},{close},1000\n"));
    }
    csv
}

/// A temp dir holding `data.csv` with `ohlc_csv(40)`.
fn with_data() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("data.csv");
    std::fs::write(&path, ohlc_csv(40)).expect("write data");
    (dir, path)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn read_json(path: &Path) -> Value {
    let raw = std::fs::read_to_string(path).expect("read JSON output");
    serde_json::from_str(&raw).expect("output is JSON")
}

/// Backtest `data` with `extra` options, JSON to `out`; returns the parsed summary.
fn backtest_json(dir: &Path, data: &Path, out: &str, extra: &[&str]) -> Value {
    let data = s(data);
    let mut args = vec!["backtest", "--data", &data, "--json", out, "--quiet"];
    args.extend_from_slice(extra);
    let run = flywheel(dir, &args);
    assert_ok(&run);
    read_json(&dir.join(out))
}

/// The value at a dotted path, e.g. `pnl.realized_usd`.
fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, key| &v[key])
}

#[test]
fn backtest_json_has_the_documented_fields() {
    let (dir, data) = with_data();
    let j = backtest_json(dir.path(), &data, "out.json", &[]);
    assert_eq!(j["strategy"], "grid");
    assert_eq!(j["data"]["files"], serde_json::json!([s(&data)]));
    assert_eq!(j["data"]["events"], 40);
    let numbers = [
        "data.first_ts",
        "data.last_ts",
        "run.wall_s",
        "run.events_per_s",
        "pnl.round_trips",
        "pnl.wins",
        "pnl.losses",
        "orders.placed",
        "orders.filled",
        "orders.cancelled",
        "integrity.invariant_violations",
        "integrity.volume_drift",
        "idle_usd.mean_ratio",
        "idle_usd.final_ratio",
        "slots.count",
        "slots.short_only_slot_seconds",
        "slots.long_only_slot_seconds",
    ];
    for key in numbers {
        assert!(
            at(&j, key).is_number(),
            "{key} is not a number: {}",
            at(&j, key)
        );
    }
    // Money is an exact decimal string.
    let money = [
        "pnl.realized_usd",
        "pnl.fees_usd",
        "pnl.max_drawdown_usd",
        "balances.start.base",
        "balances.start.quote",
        "balances.end.base",
        "balances.end.quote",
    ];
    for key in money {
        let v = at(&j, key);
        let txt = v
            .as_str()
            .unwrap_or_else(|| panic!("{key} is not a string: {v}"));
        assert!(
            !txt.is_empty() && txt.parse::<f64>().is_ok(),
            "{key} = {txt:?} is not a decimal"
        );
    }
    assert!(at(&j, "orders.rejected").is_object());
    assert_eq!(at(&j, "balances.reconciled"), true);
    assert_eq!(at(&j, "integrity.halted"), false);
    assert_eq!(at(&j, "integrity.invariant_violations"), 0);
    assert_eq!(at(&j, "integrity.volume_drift"), 0);
    assert_eq!(at(&j, "slots.count"), 10);
    assert!(at(&j, "pnl.round_trips").as_u64().unwrap_or(0) > 0, "{j}");
    assert_eq!(at(&j, "balances.start.base"), "1000");
    assert_eq!(at(&j, "balances.start.quote"), "200");
}

#[test]
fn repeated_runs_match_byte_for_byte_except_run() {
    let (dir, data) = with_data();
    let a = backtest_json(dir.path(), &data, "a.json", &[]);
    let b = backtest_json(dir.path(), &data, "b.json", &[]);
    let strip = |mut v: Value| {
        v.as_object_mut().expect("object").remove("run");
        v
    };
    assert_eq!(strip(a), strip(b));
    // The files themselves differ only on the `run` lines.
    let lines = |name: &str| -> Vec<String> {
        std::fs::read_to_string(dir.path().join(name))
            .expect("read")
            .lines()
            .filter(|l| !l.contains("\"wall_s\"") && !l.contains("\"events_per_s\""))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(lines("a.json"), lines("b.json"));
}

#[test]
fn journal_is_byte_identical_across_runs() {
    let (dir, data) = with_data();
    backtest_json(dir.path(), &data, "a.json", &["--journal", "a.jsonl"]);
    backtest_json(dir.path(), &data, "b.json", &["--journal", "b.jsonl"]);
    let a = std::fs::read(dir.path().join("a.jsonl")).expect("journal a");
    let b = std::fs::read(dir.path().join("b.jsonl")).expect("journal b");
    assert!(a.len() > 1000, "journal is {} bytes", a.len());
    assert!(a == b, "journals differ");
    for line in text(&a).lines() {
        let rec: Value = serde_json::from_str(line).expect("journal line is JSON");
        assert!(rec["kind"].is_string(), "{line}");
    }
}

#[test]
fn bad_number_names_file_and_line_on_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut csv: Vec<String> = ohlc_csv(10).lines().map(str::to_string).collect();
    // Line 6 of the file (the header is line 1).
    csv[5] = csv[5].replacen(",0.1", ",0.1x", 1);
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, csv.join("\n") + "\n").expect("write");
    let out = flywheel(
        dir.path(),
        &[
            "backtest",
            "--data",
            &s(&path),
            "--json",
            "out.json",
            "--quiet",
        ],
    );
    let line = one_line_failure(&out);
    assert!(line.contains(&format!("{}:6", s(&path))), "{line}");
    assert!(line.contains("0.1x"), "{line}");
    assert!(
        !dir.path().join("out.json").exists(),
        "no summary for a failed run"
    );
}

/// CRC-32 (IEEE), for the gzip trailer.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `data` as a gzip member with stored (uncompressed) deflate blocks.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let chunks: Vec<&[u8]> = data.chunks(0xffff).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    let size = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&size.to_le_bytes());
    out
}

#[test]
fn truncated_gzip_fails_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let gz = gzip_stored(ohlc_csv(200).as_bytes());
    let whole = dir.path().join("whole.csv.gz");
    std::fs::write(&whole, &gz).expect("write");
    let ok = flywheel(dir.path(), &["backtest", "--data", &s(&whole), "--quiet"]);
    assert_ok(&ok);

    let cut = dir.path().join("cut.csv.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).expect("write");
    let out = flywheel(dir.path(), &["backtest", "--data", &s(&cut), "--quiet"]);
    let line = one_line_failure(&out);
    assert!(line.contains(&s(&cut)), "{line}");
}

#[test]
fn set_overrides_are_applied_and_checked() {
    let (dir, data) = with_data();
    let j = backtest_json(dir.path(), &data, "out.json", &["--set", "grid.slots=3"]);
    assert_eq!(at(&j, "slots.count"), 3);

    let out = flywheel(
        dir.path(),
        &[
            "backtest",
            "--data",
            &s(&data),
            "--quiet",
            "--set",
            "nonsense",
        ],
    );
    let line = one_line_failure(&out);
    assert!(line.contains("nonsense"), "{line}");
    assert!(line.contains("SECTION.KEY=VALUE"), "{line}");
}

#[test]
fn compare_writes_both_summaries() {
    let (dir, data) = with_data();
    let out = flywheel(
        dir.path(),
        &[
            "compare",
            "--data",
            &s(&data),
            "--set-b",
            "grid.slots=2",
            "--json",
            "out.json",
        ],
    );
    assert_ok(&out);
    let j = read_json(&dir.path().join("out.json"));
    assert_eq!(at(&j, "a.slots.count"), 10);
    assert_eq!(at(&j, "b.slots.count"), 2);
    assert_eq!(at(&j, "a.strategy"), "grid");
    assert_eq!(at(&j, "b.data.events"), 40);
}

#[test]
fn demo_writes_a_self_contained_report_and_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = flywheel(
        dir.path(),
        &["demo", "--days", "1", "--report", "r.html", "--json", "-"],
    );
    assert_ok(&out);
    let summary: Value = serde_json::from_slice(&out.stdout).expect("stdout is the JSON summary");
    assert_eq!(summary["strategy"], "grid");
    assert_eq!(summary["data"]["events"], 1440);
    let html = std::fs::read_to_string(dir.path().join("r.html")).expect("report written");
    assert!(html.contains("<html"), "not HTML");
    for external in ["http://", "https://"] {
        assert!(!html.contains(external), "the report links to {external}");
    }
}

#[test]
fn maker_backtest_writes_summary_and_journal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("sol.csv");
    std::fs::write(&data, sol_trades_csv(3_000)).expect("write data");
    let j = backtest_json(
        dir.path(),
        &data,
        "maker.json",
        &[
            "--strategy",
            "maker",
            "--set",
            "maker.min_size_policy=raise",
            "--journal",
            "maker.jsonl",
        ],
    );
    assert_eq!(j["strategy"], "maker");
    for key in [
        "maker.fifo_realized_quote",
        "maker.unrealized_quote",
        "maker.fees_quote",
        "maker.volume_base",
        "maker.inventory.max_abs",
        "maker.inventory.p99_abs",
        "maker.inventory.pct_time_within_0_01",
        "maker.pnl_guard_activations",
        "maker.hedger.clips",
        "maker.hedger.passive",
        "maker.hedger.aggressive",
        "status.maker_regime_state",
    ] {
        assert!(!at(&j, key).is_null(), "summary lacks {key}");
    }
    assert_eq!(at(&j, "balances.reconciled"), &Value::Bool(true));
    assert_eq!(at(&j, "integrity.fifo_errors"), 0);
    let journal = std::fs::read_to_string(dir.path().join("maker.jsonl")).expect("journal");
    let kinds: Vec<String> = journal
        .lines()
        .map(|l| {
            let rec: Value = serde_json::from_str(l).expect("journal line is JSON");
            rec["kind"].as_str().expect("kind").to_string()
        })
        .collect();
    let fills = kinds.iter().filter(|k| *k == "fill").count();
    assert!(fills > 0, "the maker traded: {:?}", at(&j, "orders"));
    assert_eq!(
        kinds.iter().filter(|k| *k == "placed").count() as u64,
        at(&j, "orders.placed").as_u64().expect("orders.placed")
    );
    assert_eq!(kinds.last().map(String::as_str), Some("status"));
}
