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

/// Take slot `idx`'s B entry away (cancelled at the venue) and mark the slot
/// balance-degraded at `at`, as a failed B placement does.
pub fn degrade(e: &mut Engine<SimExchange, NoJournal>, idx: usize, at: flywheel_core::Timestamp) {
    use flywheel_core::Side;
    use flywheel_grid::{ModeSource, Role};
    let is_b_entry = |o: &flywheel_grid::OrderState| o.role == Role::Entry && o.side == Side::Buy;
    let txid = e.slots[idx]
        .state
        .orders
        .iter()
        .find(|o| is_b_entry(o))
        .and_then(|o| o.txid.clone());
    if let Some(txid) = txid {
        let now = e.now;
        let id = txid.parse().expect("a client order id");
        flywheel_venue::Venue::cancel(e.venue_mut(), &id, now).expect("cancel");
        e.drain_venue();
    }
    let s = &mut e.slots[idx].state;
    s.orders.retain(|o| !is_b_entry(o));
    s.b.pending_entry = None;
    (s.short_only, s.long_only, s.mode_source) = (true, false, ModeSource::Balance);
    e.leak.degraded_at[idx] = Some(at);
    e.touch();
}
