//! `flywheel run --mode paper` offline against the in-process mock Kraken, and `flywheel
//! replay` of its recording: the same journal byte for byte, every print received.

mod common;

use common::flywheel;

/// DOGE-like trades around 0.18 (±0.4 %, one every 3 s), in the Tardis CSV layout.
fn doge_trades_csv(n: usize) -> String {
    let mut csv = String::from("exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n");
    let path = [
        "0.1800000",
        "0.1792800",
        "0.1785600",
        "0.1792800",
        "0.1800000",
        "0.1807200",
        "0.1814400",
        "0.1807200",
    ];
    for i in 0..n {
        let us = (1_760_000_000 + 3 * i as i64) * 1_000_000;
        let side = if i % 2 == 0 { "buy" } else { "sell" };
        let price = path[i % path.len()];
        csv.push_str(&format!(
            "gemini,DOGEUSD,{us},{us},{i},{side},{price},500\n"
        ));
    }
    csv
}

#[test]
fn a_paper_session_replays_to_the_same_journal() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("doge.csv"), doge_trades_csv(400)).expect("data");
    let out = flywheel(
        dir.path(),
        &[
            "run",
            "--mode",
            "paper",
            "--replay",
            "doge.csv",
            "--speed",
            "0",
            "--record",
            "session.rec.gz",
            "--journal",
            "paper.jsonl",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "run failed: {stderr}");
    assert!(stderr.contains("replay ended after 400 prints"), "{stderr}");
    assert!(
        stderr.contains("400 trades"),
        "every print reached the engine: {stderr}"
    );
    // One log line per order event, with slot, role and cl_ord_id (plain text: not a tty).
    let placed = stderr
        .lines()
        .find(|l| l.contains(" placed "))
        .unwrap_or_else(|| panic!("no order log line: {stderr}"));
    for field in ["slot=", "role=", "cl_ord_id=\"fw1"] {
        assert!(placed.contains(field), "{placed:?} lacks {field}");
    }
    assert!(!stderr.contains('\u{1b}'), "no colour codes in a pipe");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("pnl.equity_change_usd"), "{stdout}");

    let out = flywheel(
        dir.path(),
        &["replay", "session.rec.gz", "--journal", "replay.jsonl"],
    );
    assert!(
        out.status.success(),
        "replay failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let paper = std::fs::read(dir.path().join("paper.jsonl")).expect("paper journal");
    let replay = std::fs::read(dir.path().join("replay.jsonl")).expect("replay journal");
    assert!(!paper.is_empty());
    assert!(
        paper == replay,
        "the replay's journal differs from the session's"
    );

    // `flywheel backtest` takes the recording too.
    let out = flywheel(
        dir.path(),
        &[
            "backtest",
            "--data",
            "session.rec.gz",
            "--journal",
            "backtest.jsonl",
        ],
    );
    assert!(
        out.status.success(),
        "backtest of a recording failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let backtest = std::fs::read(dir.path().join("backtest.jsonl")).expect("backtest journal");
    assert!(
        paper == backtest,
        "the backtest's journal differs from the session's"
    );

    // Outputs are never overwritten.
    let out = flywheel(
        dir.path(),
        &["replay", "session.rec.gz", "--journal", "replay.jsonl"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("replay.jsonl"));
}

#[test]
fn what_is_not_available_says_so() {
    // Each refused before anything is opened or sent (no database file appears).
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: &[(&[&str], &str)] = &[
        (
            &["run", "--mode", "live", "--api-key-file", "no-such-key"],
            "--api-key-file no-such-key",
        ),
        (
            &["run", "--mode", "live", "--strategy", "maker"],
            "--mode live runs the grid",
        ),
        (
            &["run", "--mode", "live", "--symbol", "BTC/USD"],
            "live trading knows DOGE/USD and SOL/USD",
        ),
        (
            &["run", "--mode", "paper"],
            "--venue mock needs --replay FILE",
        ),
        (
            &["run", "--mode", "paper", "--replay", "missing.csv"],
            "--replay missing.csv: no such file",
        ),
        (
            &[
                "run",
                "--mode",
                "paper",
                "--strategy",
                "maker",
                "--replay",
                "x",
            ],
            "--strategy maker is not available in paper yet",
        ),
    ];
    for (args, want) in cases {
        let out = flywheel(dir.path(), args);
        assert!(!out.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
    assert!(
        !dir.path().join("flywheel.db").exists(),
        "a refused live start created its database"
    );
}
