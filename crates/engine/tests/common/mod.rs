//! Fixtures shared by the engine's integration tests: a simulated exchange built the way
//! the CLI builds it, and the real market data folder (tests skip with a message without it).

#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};

use flywheel_core::{Qty, Quote};
use flywheel_engine::config::{instrument, BacktestConfig, VenueConfig};
use flywheel_grid::EngineConfig;
use flywheel_venue::SimExchange;

/// A simulated exchange for `grid` with the default `[venue]`, holding `base` and `quote`.
pub fn sim(grid: &EngineConfig, base: Qty, quote: Quote) -> SimExchange {
    let venue = VenueConfig::default();
    let start = BacktestConfig {
        start_base: base,
        start_quote: quote,
    };
    let inst = instrument(grid, &venue).expect("instrument");
    SimExchange::new(inst, venue.sim(), start.start_balances()).expect("simulated exchange")
}

/// [`sim`] with the default `[backtest]` balances.
pub fn default_sim(grid: &EngineConfig) -> SimExchange {
    let start = BacktestConfig::default();
    sim(grid, start.start_base, start.start_quote)
}

/// `shared/data/NAME` beside the repository, or `None` after printing why the test skips.
pub fn data_file(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|a| a.join("shared").join("data").join(name))
        .find(|p| p.is_file());
    if path.is_none() {
        println!("SKIP: shared/data/{name} not found beside the repository");
    }
    path
}
