//! `flywheel run --mode paper` offline against the in-process mock Kraken, and `flywheel
//! replay` of its recording: the same journal byte for byte, every print received.

mod common;

use common::{doge_trades_csv, flywheel};

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

    // The recording holds the public feed's raw frames verbatim (trade frames carrying all
    // 400 prints, and the others: subscription replies, heartbeats, book, ticker).
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::MultiGzDecoder::new(
            std::fs::File::open(dir.path().join("session.rec.gz")).expect("recording"),
        ),
        &mut text,
    )
    .expect("gzip");
    let frames: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v.get("frame").and_then(|f| f.as_str()).map(str::to_string)
        })
        .collect();
    let prints: usize = frames
        .iter()
        .map(|f| serde_json::from_str::<serde_json::Value>(f).expect("a raw frame is JSON"))
        .filter(|f| f["channel"] == "trade")
        .map(|f| f["data"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(prints, 400, "every print is in a recorded trade frame");
    assert!(
        frames.iter().any(|f| !f.contains("\"channel\":\"trade\"")),
        "frames of other channels are recorded too"
    );
    assert!(
        !text.contains("\"trade\":{"),
        "no decoded prints: the frames themselves"
    );

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
    // Any existing file gets past the --replay check.
    std::fs::write(dir.path().join("run.toml"), "").expect("file");
    std::fs::write(dir.path().join("key"), "k").expect("key");
    std::fs::write(dir.path().join("secret"), "c2VjcmV0").expect("secret");
    let cases: &[(&[&str], &str)] = &[
        (
            &["run", "--mode", "live", "--api-key-file", "no-such-key"],
            "--api-key-file no-such-key",
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
            "--replay x: no such file",
        ),
        (
            &["run", "--mode", "paper", "--strategy", "maker"],
            "--venue mock needs --replay FILE",
        ),
        (
            &[
                "run", "--mode", "paper", "--replay", "run.toml", "--symbol", "BTC/USD",
            ],
            "--symbol BTC/USD: the mock serves DOGE/USD and SOL/USD",
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

/// The maker (seed 002) in paper on SOL/USD: Kraken's own time & sales excerpt through the
/// mock's public feed as fast as it goes, the maker's summary printed as the backtest prints
/// it, and the recording replayed (`replay --strategy maker`, and `backtest`) to the same
/// journal.
#[test]
fn a_maker_paper_session_on_sol_prints_the_maker_summary_and_replays() {
    let name = "kraken_SOLUSD_timesales_2023-07-01_excerpt.csv";
    let Some(data) = common::real_data(name) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = data.to_string_lossy().into_owned();
    let out = flywheel(
        dir.path(),
        &[
            "run",
            "--mode",
            "paper",
            "--strategy",
            "maker",
            "--venue",
            "mock",
            "--replay",
            &data,
            "--speed",
            "0",
            "--record",
            "maker.rec.gz",
            "--journal",
            "paper.jsonl",
            // SOL was near $19 then: at the seed's $10.5 minimum a quote would be over the
            // position cap. Kraken's own minimums let it quote.
            "--set",
            "maker.min_notional=0.5",
            "--set",
            "maker.min_size=0.02",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "run failed: {stderr}");
    // One log line per order event, with its role and cl_ord_id.
    let placed = stderr
        .lines()
        .find(|l| l.contains(" placed "))
        .unwrap_or_else(|| panic!("no order log line: {stderr}"));
    for field in ["role=\"quote_", "cl_ord_id=\"fw1", "order=\"post_only\""] {
        assert!(placed.contains(field), "{placed:?} lacks {field}");
    }
    assert!(stderr.contains("maker on SOL/USD"), "{stderr}");
    assert!(stderr.contains("replay ended after 813 prints"), "{stderr}");
    assert!(
        stderr.contains("813 trades"),
        "every print arrived: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for field in [
        "strategy ",
        "maker.quote_fills",
        "maker.hedger.clips",
        "balances.reconciled",
        "integrity.fifo_errors",
    ] {
        assert!(
            stdout.contains(field),
            "the summary lacks {field}: {stdout}"
        );
    }
    let line = |key: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .map(|l| l.split_whitespace().last().unwrap_or_default().to_string())
    };
    assert_eq!(line("strategy").as_deref(), Some("maker"), "{stdout}");
    assert_eq!(line("data.events").as_deref(), Some("813"), "{stdout}");
    assert_eq!(line("balances.reconciled").as_deref(), Some("true"));
    let placed: u64 = line("orders.placed")
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    assert!(placed > 0, "the maker quoted: {stdout}");

    let paper = std::fs::read(dir.path().join("paper.jsonl")).expect("paper journal");
    assert!(!paper.is_empty());
    for (what, args) in [
        (
            "replay",
            &[
                "replay",
                "maker.rec.gz",
                "--strategy",
                "maker",
                "--journal",
                "replay.jsonl",
                "--set",
                "maker.min_notional=0.5",
                "--set",
                "maker.min_size=0.02",
            ][..],
        ),
        (
            "backtest",
            &[
                "backtest",
                "--strategy",
                "maker",
                "--data",
                "maker.rec.gz",
                "--journal",
                "backtest.jsonl",
                "--set",
                "maker.min_notional=0.5",
                "--set",
                "maker.min_size=0.02",
            ][..],
        ),
    ] {
        let out = flywheel(dir.path(), args);
        assert!(
            out.status.success(),
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("maker.quote_fills"), "{what}: {stdout}");
        let again = std::fs::read(dir.path().join(format!("{what}.jsonl"))).expect("journal");
        assert!(
            paper == again,
            "the {what}'s journal differs from the session's"
        );
    }
}
