//! Issue 12's promise for the venue contract with in-flight orders: with no ack latency (the
//! default) the grid and the maker behave exactly as before it — byte-identical summary JSON
//! apart from `run.*` on real market data.
//!
//! The expected summaries in `tests/golden/` were produced by this very file run on the code
//! *before* the contract changed (main at e7412e4, where `place` answered with the ack),
//! with `FLYWHEEL_BLESS=1`:
//!
//! ```sh
//! mkdir -p target/pre && git archive e7412e4 | tar -x -C target/pre
//! cp crates/engine/tests/contract_golden.rs target/pre/crates/engine/tests/
//! (cd target/pre && FLYWHEEL_BLESS=1 cargo test -p flywheel-engine --test contract_golden)
//! cp target/pre/crates/engine/tests/golden/* crates/engine/tests/golden/
//! ```
//!
//! (inside the repository, so that the export finds `shared/data` beside it too). They are
//! therefore the pre-change behaviour, not whatever the code does today; the same
//! comparison was made on every data file with the release binaries (see the commit). A
//! later change that moves results *on purpose* re-blesses them (`FLYWHEEL_BLESS=1` here)
//! and says why in its commit. Only the public API of main is used, so the file runs on both.
//!
//! Runs: the grid with the default configuration and with 10 slots, and the maker with its
//! defaults, each on five files (Tardis trades, Kraken time & sales, Binance candles). Skips
//! with a message when the data folder is absent.

mod common;

use std::path::{Path, PathBuf};

use flywheel_core::{Price, Timestamp};
use flywheel_engine::backtest::event_price;
use flywheel_engine::config::{BacktestConfig, VenueConfig};
use flywheel_engine::maker_run::{run_maker_backtest, MakerEngine};
use flywheel_engine::{run_backtest, Engine, NoJournal, Summary};
use flywheel_grid::EngineConfig;
use flywheel_maker::{HedgerConfig, MakerConfig};
use flywheel_venue::{SimExchange, Venue};
use serde_json::Value;

const FILES: [&str; 5] = [
    "gemini_DOGEUSD_trades_2025-10-10.csv.gz",
    "gemini_SOLUSD_trades_2025-10-10.csv.gz",
    "kraken_SOLUSD_timesales_2023-07-01_excerpt.csv",
    "binance_DOGEUSDT_1m_2021-09-17_2021-10-17.json.gz",
    // The maker's SOL defaults trade here (tens of thousands of orders and cancels).
    "binance_SOLUSDT_1m_2021-05-15_2021-06-15.json.gz",
];

/// The grid's summary on `path` with `slots` (None: the default), without `run`.
fn grid(path: &Path, name: &str, slots: Option<u32>) -> Value {
    let mut cfg = EngineConfig::default();
    if let Some(n) = slots {
        cfg.slots = n;
    }
    let sim = common::default_sim(&cfg);
    let mut engine = Engine::new(cfg, sim, NoJournal);
    let reader = flywheel_marketdata::open(path).expect("data file opens");
    let mut first_price = Price::ZERO;
    let events = reader.inspect(|ev| {
        if let (true, Ok(ev)) = (first_price.is_zero(), ev) {
            first_price = event_price(ev);
        }
    });
    let data = run_backtest(&mut engine, events, |_| {}).expect("backtest runs");
    let summary = Summary::build(&engine, vec![name.to_string()], &data, first_price);
    without_run(serde_json::to_value(&summary).expect("summary serializes"))
}

/// The maker's figures, status, order counts and balances on `path` (the CLI's summary
/// without `run` and `data`).
fn maker(path: &Path) -> Value {
    let cfg = MakerConfig::default();
    let inst = cfg.instrument("SOL/USD").expect("instrument");
    let start = BacktestConfig::default().start_balances();
    let sim = SimExchange::new(inst, VenueConfig::default().sim(), start).expect("sim");
    let mut m = MakerEngine::new(cfg, HedgerConfig::default(), sim);
    let reader = flywheel_marketdata::open(path).expect("data file opens");
    let data = run_maker_backtest(&mut m, reader).expect("backtest runs");
    let hours = match (data.first_ts, data.last_ts) {
        (Some(a), Some(b)) => b.millis_since(a) as f64 / 3_600_000.0,
        _ => 0.0,
    };
    let st = &m.stats;
    serde_json::json!({
        "events": data.events,
        "first_ts": data.first_ts.map(Timestamp::millis),
        "last_ts": data.last_ts.map(Timestamp::millis),
        "maker": m.figures(hours),
        "status": without_operator_keys(serde_json::to_value(m.status()).expect("status")),
        "balances": m.venue().balances(),
        "orders": {
            "placed": st.orders_placed,
            "cancelled": st.orders_cancelled,
            "rejected": st.rejected,
        },
        "fifo_errors": st.fifo_errors,
    })
}

/// The status without the keys issue 14 added after the summaries were blessed (the
/// operator pause and the soft cap echoed from the configuration: neither moves a result).
fn without_operator_keys(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("paused");
        o.remove("inventory_soft_cap");
    }
    v
}

fn without_run(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("run");
    }
    v
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

#[test]
fn ack_latency_zero_is_the_pre_contract_behaviour() {
    assert_eq!(
        VenueConfig::default().sim(),
        flywheel_venue::SimConfig::default(),
        "the default venue is the simulator's default"
    );
    let bless = std::env::var_os("FLYWHEEL_BLESS").is_some();
    let mut failures = Vec::new();
    let mut compared = 0;
    for name in FILES {
        let Some(path) = common::data_file(name) else {
            continue;
        };
        let stem = name.split('.').next().unwrap_or(name);
        let runs = [
            (format!("grid-{stem}.json"), grid(&path, name, None)),
            (format!("grid10-{stem}.json"), grid(&path, name, Some(10))),
            (format!("maker-{stem}.json"), maker(&path)),
        ];
        for (file, value) in runs {
            let got = serde_json::to_string_pretty(&value).expect("json") + "\n";
            let at = golden_dir().join(&file);
            if bless {
                std::fs::create_dir_all(golden_dir()).expect("golden dir");
                std::fs::write(&at, &got).expect("write golden");
                continue;
            }
            let want = std::fs::read_to_string(&at)
                .unwrap_or_else(|e| panic!("{}: {e} (bless with FLYWHEEL_BLESS=1)", at.display()));
            compared += 1;
            if got != want {
                let first = got
                    .lines()
                    .zip(want.lines())
                    .enumerate()
                    .find(|(_, (a, b))| a != b)
                    .map(|(i, (a, b))| format!("line {}: got {a:?}, want {b:?}", i + 1))
                    .unwrap_or_else(|| "lengths differ".to_string());
                failures.push(format!("{file}: {first}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "changed summaries:\n{}",
        failures.join("\n")
    );
    println!("{compared} summaries identical to the pre-contract ones");
}
