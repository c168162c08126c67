//! The engine on the real market data in `shared/data` (10 slots, default config): every
//! run must book round trips and finish clean — no invariant violation, no volume drift,
//! balances reconciled exactly, no untracked execution, no refused fill, no exit left
//! unplaced, not halted — and a run repeated gives the same summary.
//!
//! Skips with a message when the data folder is absent. Each run prints its time (see them
//! with `-- --nocapture`); in a debug build a Binance month takes 2–3 s and the Coinbase day
//! (266k trades) about 1 s, so every file runs by default.

use std::path::{Path, PathBuf};
use std::time::Instant;

use flywheel_core::Price;
use flywheel_engine::backtest::event_price;
use flywheel_engine::config::{instrument, BacktestConfig, VenueConfig};
use flywheel_engine::{run_backtest, Engine, NoJournal, Summary};
use flywheel_grid::EngineConfig;
use flywheel_venue::SimExchange;
use serde_json::Value;

/// `shared/data` beside the repository (`FLYWHEEL_DATA_DIR` overrides): the nearest ancestor
/// of this crate that has it.
fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FLYWHEEL_DATA_DIR") {
        return Some(PathBuf::from(dir)).filter(|d| d.is_dir());
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared").join("data"))
        .find(|d| d.is_dir())
}

/// The data file's path, or `None` after printing why the test is skipped.
fn data_file(name: &str) -> Option<PathBuf> {
    let Some(dir) = data_dir() else {
        println!(
            "SKIP: no market data folder (shared/data beside the repository, or \
             FLYWHEEL_DATA_DIR); {name} not run"
        );
        return None;
    };
    let path = dir.join(name);
    if !path.is_file() {
        println!("SKIP: {} is missing", path.display());
        return None;
    }
    Some(path)
}

/// Backtest `path` with the default configuration and 10 slots.
fn backtest(path: &Path) -> Summary {
    let grid = EngineConfig {
        slots: 10,
        ..EngineConfig::default()
    };
    let venue = VenueConfig::default();
    let start = BacktestConfig::default();
    let inst = instrument(&grid, &venue).expect("instrument");
    let sim = SimExchange::new(inst, venue.sim(), start.start_balances()).expect("sim");
    let mut engine = Engine::new(grid, sim, NoJournal);
    let reader = flywheel_marketdata::open(path).expect("data file opens");
    let mut first_price = Price::ZERO;
    let events = reader.inspect(|ev| {
        if let (true, Ok(ev)) = (first_price.is_zero(), ev) {
            first_price = event_price(ev);
        }
    });
    let started = Instant::now();
    let data = run_backtest(&mut engine, events, |_| {}).expect("backtest runs to the end");
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}: {} events in {secs:.2} s ({:.0} events/s)",
        path.display(),
        data.events,
        data.events as f64 / secs.max(1e-9)
    );
    let name = path.display().to_string();
    Summary::build(&engine, vec![name], &data, first_price)
}

fn check_clean(name: &str, s: &Summary) {
    let i = &s.integrity;
    println!(
        "{name}: round trips {}, realized {}, fees {}, exit place failures {}, rejected {:?}",
        s.pnl.round_trips,
        s.pnl.realized_usd,
        s.pnl.fees_usd,
        i.exit_place_failures,
        s.orders.rejected
    );
    assert!(s.data.events > 0, "{name}: no events");
    assert!(s.pnl.round_trips > 0, "{name}: no round trips");
    assert_eq!(i.invariant_violations, 0, "{name}: invariant violations");
    assert_eq!(i.volume_drift, 0, "{name}: volume drift");
    assert!(s.balances.reconciled, "{name}: balances do not reconcile");
    assert_eq!(i.untracked_executions, 0, "{name}: untracked executions");
    assert_eq!(i.fill_rejects, 0, "{name}: fill rejects");
    assert_eq!(i.exits_unplaced_at_end, 0, "{name}: exits unplaced at end");
    assert!(!i.halted, "{name}: halted: {:?}", i.halt_reason);
    assert_eq!(s.slots.count, 10);
}

fn run_clean(name: &str) {
    if let Some(path) = data_file(name) {
        check_clean(name, &backtest(&path));
    }
}

/// The summary as JSON without the wall-clock part (`run`).
fn stable_json(s: &Summary) -> Value {
    let mut v = serde_json::to_value(s).expect("summary serializes");
    v.as_object_mut()
        .expect("summary is an object")
        .remove("run");
    v
}

#[test]
fn doge_sideways_2021_09() {
    run_clean("binance_DOGEUSDT_1m_2021-09-17_2021-10-17.json.gz");
}

#[test]
fn coinbase_doge_trades_crash_day() {
    run_clean("coinbase_DOGE-USD_trades_2025-10-10.csv.gz");
}

#[test]
fn doge_uptrend_2021_04() {
    run_clean("binance_DOGEUSDT_1m_2021-04-02_2021-05-14.json.gz");
}

#[test]
fn doge_crash_2021_05() {
    run_clean("binance_DOGEUSDT_1m_2021-05-15_2021-06-15.json.gz");
}

/// The same file twice: identical summaries apart from the wall-clock `run` figures.
#[test]
fn repeated_run_gives_the_same_summary() {
    let Some(path) = data_file("binance_DOGEUSDT_1m_2021-09-17_2021-10-17.json.gz") else {
        return;
    };
    let a = stable_json(&backtest(&path));
    let b = stable_json(&backtest(&path));
    assert_eq!(a, b);
}
