//! Chaos and restart tests of `flywheel run --mode live` (issue 13): the bot and a mock
//! Kraken as separate processes; the bot is killed with SIGKILL at random moments and at
//! failpoints (after a commit, after a send, right after a step with fills) and restarted
//! on the same database, again and again. Then a clean run settles everything and the
//! store is audited against the mock's ledger: duplicate orders, orders the store lost,
//! fills missed (or invented), entries left without an exit, order states, and ledger
//! drift must all be zero.
//!
//! `FLYWHEEL_CHAOS_CYCLES` sets the number of kill cycles (default 20; the long mode,
//! `FLYWHEEL_LONG_TESTS=1`, runs 200; the maker runs half as many). `FLYWHEEL_CHAOS_SEED`
//! replays a schedule.

#[path = "common/chaos.rs"]
mod chaos;

use std::collections::BTreeMap;
use std::time::Duration;

use chaos::{audit, Counts, Lcg, Rig};

fn cycles() -> u64 {
    if let Some(n) = std::env::var("FLYWHEEL_CHAOS_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    if std::env::var("FLYWHEEL_LONG_TESTS").is_ok_and(|v| v == "1") {
        200
    } else {
        20
    }
}

/// Let a clean run settle everything (lookups, exits) and stop by itself.
fn clean_run(rig: &mut Rig, secs: u32) -> String {
    let live = rig.spawn(&["--duration", &secs.to_string()], None);
    live.finish(Duration::from_secs(u64::from(secs) + 60))
}

fn seed() -> u64 {
    std::env::var("FLYWHEEL_CHAOS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(13)
}

/// `n` cycles of: start the bot, kill it with SIGKILL at a random moment or at a failpoint
/// (after a commit, after a send, right after a step with fills). How often each fired.
fn kill_cycles(rig: &mut Rig, n: u64, rng: &mut Lcg) -> BTreeMap<&'static str, u32> {
    let mut fired = BTreeMap::<&str, u32>::new();
    for cycle in 0..n {
        let (failpoint, label) = match rng.below(4) {
            0 => (None, "random"),
            1 => (
                Some(format!("after_commit:{}", 1 + rng.below(3))),
                "after_commit",
            ),
            2 => (
                Some(format!("after_send:{}", 1 + rng.below(3))),
                "after_send",
            ),
            _ => (Some("after_fill:1".to_string()), "after_fill"),
        };
        let mut live = rig.spawn(&[], failpoint.as_deref());
        let hit = match &failpoint {
            Some(_) => live.wait_for("\nFAILPOINT after_", Duration::from_secs(12)),
            None => {
                std::thread::sleep(Duration::from_millis(200 + rng.below(3_000)));
                true
            }
        };
        // It must die by our hand: a bot that stopped by itself failed.
        let alive = matches!(live.child.try_wait(), Ok(None));
        assert!(
            alive,
            "cycle {cycle} ({label}): the bot exited on its own:\n{}",
            live.log_text()
        );
        live.kill9();
        *fired
            .entry(if hit { label } else { "failpoint_not_reached" })
            .or_default() += 1;
    }
    fired
}

/// A clean run, the audit against the mock's ledger, and the figures printed; panics on
/// any count, on too few fills to mean anything, or on a ledger the last run did not match.
fn settle_and_audit(
    rig: &mut Rig,
    what: &str,
    fired: &BTreeMap<&str, u32>,
    min_fills: usize,
) -> Counts {
    let log = clean_run(rig, 6);
    let counts = audit(&rig.db, &rig.mock);
    eprintln!(
        "{what}, chaos seed {}: kill cycles {fired:?}; exchange: {counts}",
        seed()
    );
    assert!(counts.clean(), "{counts}\nlast run:\n{log}");
    // The rig must have exercised something: orders and fills on the exchange.
    assert!(counts.fills >= min_fills, "too few fills to mean anything");
    assert!(log.contains("ledger matches the exchange"), "{log}");
    counts
}

#[test]
fn kill_9_at_random_moments_and_failpoints_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = cycles();
    // Enough market for every cycle: ~3 s of wall time each at 40 prints/s.
    let prints = (n as usize * 160).max(2_000);
    let mut rig = Rig::new(dir.path(), prints, 40.0);
    let mut rng = Lcg::new(seed());
    let fired = kill_cycles(&mut rig, n, &mut rng);
    let counts = settle_and_audit(&mut rig, "grid", &fired, 5);
    assert_eq!(counts.taker_fills, 0, "the grid never takes");
}

/// The same for the maker (seed 002, with its hedger) on SOL/USD, half as many cycles.
#[test]
fn the_maker_survives_kill_9_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = cycles().div_ceil(2);
    let prints = (n as usize * 160).max(2_000);
    let mut rig = Rig::maker_sol(dir.path(), prints, 40.0);
    let mut rng = Lcg::new(seed());
    let fired = kill_cycles(&mut rig, n, &mut rng);
    let counts = settle_and_audit(&mut rig, "maker", &fired, 3);
    assert!(
        counts.taker_fills >= 1,
        "the hedger's IOC clips must have executed through the live path"
    );
}

#[test]
fn a_second_instance_on_the_same_database_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rig = Rig::new(dir.path(), 400, 10.0);
    let mut first = rig.spawn(&["--duration", "8"], None);
    assert!(
        first.wait_for("live on DOGE/USD", Duration::from_secs(30)),
        "{}",
        first.log_text()
    );
    let second = rig.spawn(&["--duration", "2"], None);
    let (status, log) = second.exit(Duration::from_secs(30));
    assert!(
        status.is_some_and(|s| !s.success()),
        "the second instance ran:\n{log}"
    );
    assert!(
        log.contains("another instance may be running on this database"),
        "{log}"
    );
    first.finish(Duration::from_secs(60));
}

/// One run per injected fault: the fault is injected while the bot trades, the bot is
/// killed a moment later, and a clean run must leave every count at zero.
#[test]
fn each_injected_fault_leaves_every_count_at_zero() {
    let faults: &[(&str, &[&str])] = &[
        (
            r#"{"HttpErrorAfterApply":{"endpoint":"AddOrder","status":502,"html":true}}"#,
            &["--order-path", "rest"],
        ),
        (
            r#"{"TimeoutAfterApply":{"endpoint":"AddOrder"}}"#,
            &["--order-path", "rest"],
        ),
        (r#""OrderRateLimit""#, &[]),
        (r#"{"RestRateLimit":{"endpoint":"OpenOrders"}}"#, &[]),
        (r#"{"WsDrop":{"feed":"private"}}"#, &[]),
        (r#""WsDropAfterAddOrder""#, &[]),
        (r#""ReorderExecutions""#, &[]),
        (r#"{"DuplicateExecutions":{"count":3}}"#, &[]),
    ];
    let mut table = Vec::new();
    for (fault, extra) in faults {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut rig = Rig::new(dir.path(), 1_500, 40.0);
        let mut live = rig.spawn(extra, None);
        assert!(
            live.wait_for("live on DOGE/USD", Duration::from_secs(30)),
            "{}",
            live.log_text()
        );
        for _ in 0..3 {
            rig.mock.fault(fault);
            std::thread::sleep(Duration::from_millis(700));
        }
        live.kill9();
        let log = clean_run(&mut rig, 6);
        let counts = audit(&rig.db, &rig.mock);
        table.push((fault.to_string(), counts.clone()));
        assert!(counts.clean(), "{fault}: {counts:?}\n{log}");
    }
    for (f, c) in &table {
        eprintln!("{f}: {c:?}");
    }
}

/// The ledger check at a restart: funds that moved outside the bot (here the stored ledger
/// is made to disagree with the exchange by 25 USD) halt new entries with both figures;
/// `--accept-balances` takes the exchange's totals and the next run trades again.
#[test]
fn a_ledger_mismatch_halts_entries_until_the_operator_accepts_the_balances() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rig = Rig::new(dir.path(), 600, 20.0);
    let first = clean_run(&mut rig, 4);
    assert!(first.contains("ledger adopted"), "{first}");
    {
        let store = flywheel_store::BlockingStore::open(
            &flywheel_store::DbUrl::parse(&rig.db).expect("url"),
            flywheel_store::StoreOptions::default(),
        )
        .expect("store");
        let quote: flywheel_core::Quote = store
            .kv_get("ledger.quote")
            .expect("kv")
            .expect("a ledger")
            .parse()
            .expect("quote");
        let moved = quote + "25".parse::<flywheel_core::Quote>().expect("25");
        store
            .kv_set("ledger.quote", &moved.to_string())
            .expect("kv");
    }
    let halted = clean_run(&mut rig, 3);
    assert!(
        halted.contains("ledger MISMATCH: quote: ledger")
            && halted.contains("(difference -25)")
            && halted.contains("new entries are halted: ledger mismatch at restart"),
        "{halted}"
    );
    let accepted = rig.spawn(&["--duration", "3", "--accept-balances"], None);
    let log = accepted.finish(Duration::from_secs(60));
    assert!(
        log.contains("resuming — the cause is checked again") && log.contains("ledger adopted"),
        "{log}"
    );
    assert!(!log.contains("new entries are halted"), "{log}");
    let after = clean_run(&mut rig, 3);
    assert!(after.contains("ledger matches the exchange"), "{after}");
}

/// `--mode paper --db`: the grid on a simulated Kraken in the same process, through the
/// live path (store, commit before send, the ledger): it trades and commits.
#[test]
fn paper_with_a_store_trades_through_the_live_path() {
    // (strategy, market, config, extra arguments, fewest orders stored)
    let cases: [(&str, String, &str, &[&str], usize); 2] = [
        (
            "grid",
            chaos::swinging_doge_csv(2_000),
            "kraken-doge-usd.toml",
            &[],
            10,
        ),
        (
            "maker",
            chaos::swinging_sol_csv(2_000),
            "kraken-sol-usd-maker.toml",
            &["--strategy", "maker", "--symbol", "SOL/USD"],
            2,
        ),
    ];
    for (name, market, config, extra, fewest) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("market.csv");
        std::fs::write(&data, market).expect("data");
        let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../configs")
            .join(config);
        let db = format!("sqlite:{}", dir.path().join("paper.db").display());
        let paper = |secs: &str| paper_run(dir.path(), &data, &config, extra, &db, secs, 60, &[]);
        let out = paper("8");
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {log}");
        assert!(
            log.contains("ledger adopted") && log.contains("paper on "),
            "{name}: {log}"
        );
        assert!(
            log.contains(CLEAN_AUDIT),
            "{name}: the audit against the simulated exchange:\n{log}"
        );
        let store = flywheel_store::BlockingStore::open(
            &flywheel_store::DbUrl::parse(&db).expect("url"),
            flywheel_store::StoreOptions::default(),
        )
        .expect("store");
        let orders = store
            .orders_in_states(&flywheel_store::OrderStatus::ALL)
            .expect("orders");
        assert!(
            orders.len() >= fewest,
            "{name}: {} orders stored:\n{log}",
            orders.len()
        );
        assert!(
            store.kv_get("ledger.quote").expect("kv").is_some(),
            "{name}"
        );
        // A second paper session on that database is refused, and changes nothing in it.
        let again = paper("2");
        let err = String::from_utf8_lossy(&again.stderr);
        assert!(
            !again.status.success(),
            "{name}: a second paper session ran:\n{err}"
        );
        assert!(err.contains("it holds a paper session"), "{name}: {err}");
        let after = store
            .orders_in_states(&flywheel_store::OrderStatus::ALL)
            .expect("orders");
        assert_eq!(
            after, orders,
            "{name}: the refused start changed the orders"
        );
    }
}

/// What a paper session prints when every count of its audit is zero.
const CLEAN_AUDIT: &str = "duplicate orders 0, lost orders 0, missed fills 0, phantom fills 0, \
                           entries without exit 0, state mismatches 0, ledger drift none";

/// `flywheel run --mode paper --venue mock --db DB` on `data` at `speed` for `secs`, with
/// configuration overrides.
#[allow(clippy::too_many_arguments)]
fn paper_run(
    dir: &std::path::Path,
    data: &std::path::Path,
    config: &std::path::Path,
    extra: &[&str],
    db: &str,
    secs: &str,
    speed: u32,
    overrides: &[(&str, &str)],
) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_flywheel"));
    // FLYWHEEL_* is the configuration's override namespace (CI exports
    // FLYWHEEL_TEST_PG_URL).
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("FLYWHEEL_") {
            cmd.env_remove(name);
        }
    }
    for (key, value) in overrides {
        cmd.env(key, value);
    }
    cmd.args(["run", "--mode", "paper", "--venue", "mock", "--speed"])
        .arg(speed.to_string())
        .arg("--replay")
        .arg(data)
        .arg("--config")
        .arg(config)
        .args(extra)
        .args(["--db", db, "--duration", secs])
        .current_dir(dir)
        .env_remove("FW_FAILPOINT")
        .output()
        .expect("run")
}

/// An hour of market (3 600 prints, one a second) replayed at ×120 to one paper session
/// with a store: the simulated exchange's audit at the end counts zero everywhere, and the
/// grid traded all along.
///
/// The bot's clock is the wall clock, so its timers are scaled with the market: at the
/// default 30 s loop and 300 s anti-chase pause the whole hour would see one loop, and an
/// entry refused post-only (the market moved ×120 while it travelled) would wait past the
/// end of the run.
#[test]
fn an_accelerated_paper_hour_keeps_every_count_at_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("market.csv");
    std::fs::write(&data, chaos::swinging_doge_csv(3_600)).expect("data");
    let config =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/kraken-doge-usd.toml");
    let db = format!("sqlite:{}", dir.path().join("paper.db").display());
    let secs = (3_600 / 120 + 3).to_string();
    let out = paper_run(
        dir.path(),
        &data,
        &config,
        &[],
        &db,
        &secs,
        120,
        &[
            ("FLYWHEEL_GRID__LOOP_INTERVAL_SEC", "1"),
            ("FLYWHEEL_GRID__REFRESH_COOLDOWN_SEC", "3"),
        ],
    );
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    let audit = log
        .lines()
        .find(|l| l.starts_with("audit against the simulated exchange: "))
        .unwrap_or_else(|| panic!("no audit line:\n{log}"));
    eprintln!("accelerated paper hour: {audit}");
    assert!(audit.contains(CLEAN_AUDIT), "{log}");
    let fills: usize = audit
        .split(" fills")
        .next()
        .and_then(|head| head.rsplit(", ").next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("fills in {audit:?}"));
    assert!(
        fills >= 10,
        "only {fills} fills in an hour of swings:\n{log}"
    );
}
