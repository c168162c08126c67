//! End-to-end tests of the headline that `backtest`, `compare` and `demo` print first: it
//! leads stdout, its figures are the JSON summary's, `--verbose` adds every key and `--json`
//! alone prints JSON only.

mod common;

use common::{flywheel, sol_trades_csv};
use std::process::Output;

use serde_json::Value;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The value of the headline row `label` (`  Label   value`).
fn row<'a>(stdout: &'a str, label: &str) -> Option<&'a str> {
    stdout.lines().find_map(|l| {
        let rest = l.strip_prefix("  ")?.strip_prefix(label)?;
        rest.starts_with("  ").then(|| rest.trim())
    })
}

/// A decimal string of the summary rounded to cents with its sign, as an independent
/// check of the headline's formatting (`-33.091` → `-33.09`, `4.3` → `+4.30`).
fn cents(v: &Value, signed: bool) -> String {
    let x: f64 = v.as_str().and_then(|s| s.parse().ok()).expect("a decimal");
    let t = format!("{:.2}", x.abs());
    let (int, frac) = t.split_once('.').expect("a point");
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if t == "0.00" {
        ""
    } else if x < 0.0 {
        "-"
    } else if signed {
        "+"
    } else {
        ""
    };
    format!("{sign}{grouped}.{frac}")
}

#[test]
fn demo_prints_the_headline_first_with_the_summary_figures() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = flywheel(
        dir.path(),
        &[
            "demo", "--days", "2", "--report", "r.html", "--json", "s.json",
        ],
    );
    let stdout = ok(&out);
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("s.json")).expect("--json FILE"))
            .expect("JSON");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("Flywheel demo: "), "{stdout}");
    // Equity, then against holding, lead; realized PnL is not the headline.
    let labels: Vec<&str> = lines[1..]
        .iter()
        .filter_map(|l| l.strip_prefix("  "))
        .filter_map(|l| l.split("  ").next())
        .collect();
    let pos = |l: &str| labels.iter().position(|x| *x == l);
    assert_eq!(pos("Strategy"), Some(0), "{stdout}");
    assert_eq!(pos("Period"), Some(1), "{stdout}");
    assert_eq!(pos("Equity change"), Some(2), "{stdout}");
    assert_eq!(pos("vs holding"), Some(3), "{stdout}");
    for label in [
        "Realized / unrealized",
        "Max drawdown",
        "Round trips",
        "Fees",
        "Idle USD",
        "Governor",
        "B-side",
    ] {
        assert!(
            pos(label) > Some(3),
            "{label} missing or misplaced:\n{stdout}"
        );
    }
    let pnl = &summary["pnl"];
    let equity = row(&stdout, "Equity change").expect("equity row");
    assert!(
        equity.starts_with(&format!("{} USD", cents(&pnl["equity_change_usd"], true))),
        "{equity} vs {}",
        pnl["equity_change_usd"]
    );
    let vs_hold = row(&stdout, "vs holding").expect("vs hold row");
    assert!(
        vs_hold.starts_with(&format!("{} USD", cents(&pnl["vs_hold_usd"], true))),
        "{vs_hold}"
    );
    let fees = row(&stdout, "Fees").expect("fees row");
    assert_eq!(fees, format!("{} USD", cents(&pnl["fees_usd"], false)));
    let trips = row(&stdout, "Round trips").expect("round trips row");
    assert!(
        trips.starts_with(&pnl["round_trips"].to_string()),
        "{trips}"
    );
    let colour = summary["b_side_health_card"]["color"]
        .as_str()
        .expect("colour");
    assert!(
        row(&stdout, "B-side").is_some_and(|b| b.starts_with(colour)),
        "{stdout}"
    );
    assert!(
        row(&stdout, "Period").is_some_and(|p| p.starts_with("2025-01-01 00:01 → 2025-01-03")),
        "{stdout}"
    );
    // The full key list is behind --verbose.
    assert!(!stdout.contains("pnl.equity_change_usd"), "{stdout}");
}

#[test]
fn verbose_adds_every_key_after_the_headline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = flywheel(
        dir.path(),
        &["demo", "--days", "1", "--report", "r.html", "--verbose"],
    );
    let stdout = ok(&out);
    let headline_at = stdout.find("  Equity change").expect("headline");
    for key in [
        "pnl.equity_change_usd",
        "pnl.vs_hold_usd",
        "rebalancer.skew",
        "b_side_health.max_bilateral_slots",
        "idle_usd.final_ratio",
        "data.events",
    ] {
        let at = stdout
            .find(&format!("\n{key} "))
            .unwrap_or_else(|| panic!("{key} missing:\n{stdout}"));
        assert!(at > headline_at, "{key} before the headline");
    }
}

#[test]
fn json_alone_prints_only_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases: [(&str, Vec<&str>); 2] = [
        (
            "demo",
            vec!["demo", "--days", "1", "--report", "r.html", "--json"],
        ),
        // `--json` before another option takes no value from it.
        (
            "backtest, --json before --data",
            vec![
                "backtest",
                "--strategy",
                "maker",
                "--json",
                "--data",
                "t.csv",
            ],
        ),
    ];
    std::fs::write(dir.path().join("t.csv"), sol_trades_csv(200)).expect("data");
    for (name, args) in cases {
        let out = flywheel(dir.path(), &args);
        let stdout = ok(&out);
        let v: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("case {name}: stdout is not JSON only ({e}):\n{stdout}"));
        assert!(v["strategy"].is_string(), "case {name}");
        assert!(
            !dir.path().join("-").exists(),
            "case {name}: no file named -"
        );
    }
}

#[test]
fn maker_backtest_headline_shows_inventory_and_hedger() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("t.csv"), sol_trades_csv(300)).expect("data");
    let out = flywheel(
        dir.path(),
        &[
            "backtest",
            "--strategy",
            "maker",
            "--data",
            "t.csv",
            "--json",
            "s.json",
            "--set",
            "maker.min_notional=0.5",
            "--set",
            "maker.min_size=0.02",
        ],
    );
    let stdout = ok(&out);
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("s.json")).expect("json"))
            .expect("JSON");
    assert!(stdout.starts_with("Flywheel backtest: t.csv\n"), "{stdout}");
    assert_eq!(row(&stdout, "Strategy"), Some("maker, 300 events"));
    let realized = row(&stdout, "FIFO realized").expect("realized row");
    assert_eq!(
        realized,
        format!(
            "{} USD",
            cents(&summary["maker"]["fifo_realized_quote"], true)
        )
    );
    for label in ["Inventory", "Hedger", "Fees", "Quote fills"] {
        assert!(row(&stdout, label).is_some(), "{label}:\n{stdout}");
    }
}

#[test]
fn compare_prints_both_headlines_side_by_side() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("t.csv"), sol_trades_csv(200)).expect("data");
    let out = flywheel(
        dir.path(),
        &[
            "compare",
            "--data",
            "t.csv",
            "--set-b",
            "rebalance.enabled=false",
        ],
    );
    let stdout = ok(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("Flywheel compare: t.csv"), "{stdout}");
    assert!(lines[0].contains("B: rebalance.enabled=false"), "{stdout}");
    let governor = lines
        .iter()
        .find(|l| l.get(2..).is_some_and(|r| r.starts_with("Governor ")))
        .expect("a governor row");
    assert!(governor.starts_with('*'), "the sides differ: {governor}");
    assert!(governor.trim_end().ends_with("off"), "{governor}");
    assert!(governor.contains(" on"), "{governor}");
    let period = lines
        .iter()
        .find(|l| l.get(2..).is_some_and(|r| r.starts_with("Period ")))
        .expect("a period row");
    assert!(period.starts_with(' '), "same data, same period: {period}");
    assert!(!stdout.contains("pnl.equity_change_usd"), "{stdout}");
}
