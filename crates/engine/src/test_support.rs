//! Shared fixtures of the engine's unit tests.

use flywheel_grid::EngineConfig;
use flywheel_venue::SimExchange;

use crate::config::{instrument, BacktestConfig, VenueConfig};
use crate::engine::Engine;
use crate::journal::NoJournal;

/// An engine on a fresh simulated exchange holding `quote` and `base`.
pub fn sim_engine(grid: EngineConfig, quote: &str, base: &str) -> Engine<SimExchange, NoJournal> {
    let venue = VenueConfig::default();
    let bt = BacktestConfig {
        start_base: base.parse().expect("base literal"),
        start_quote: quote.parse().expect("quote literal"),
    };
    let sim = SimExchange::new(
        instrument(&grid, &venue).expect("instrument"),
        venue.sim(),
        bt.start_balances(),
    )
    .expect("simulated exchange");
    Engine::new(grid, sim, NoJournal)
}
