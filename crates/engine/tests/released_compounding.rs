//! Issue 10 §1 on real data: with recovery positions released by the cap (non-sticky
//! slots), compounding must see their losses. The run below used to grow entries from $5 to
//! ~$234 on winners alone (7,396 wins, 0 losses, while the account trailed holding by
//! $2,006); entries must now stay bounded by the slots' true result.

mod common;

use flywheel_core::{Price, Qty, Quote, Wide};
use flywheel_engine::backtest::event_price;
use flywheel_engine::config::LeakConfig;
use flywheel_engine::{run_backtest, Engine, JournalRecord, JournalSink, Summary};
use flywheel_grid::{EngineConfig, Role};

/// Keeps the largest entry notional placed.
#[derive(Debug, Default)]
struct LargestEntry(Wide);

impl JournalSink for LargestEntry {
    fn enabled(&self) -> bool {
        true
    }
    fn record(&mut self, rec: &JournalRecord<'_>) {
        if let JournalRecord::Placed {
            role: Some(Role::Entry),
            price,
            qty,
            ..
        } = rec
        {
            let notional = Wide::product(price.fixed(), qty.fixed(), flywheel_core::Rounding::Ceil);
            self.0 = self.0.max(notional);
        }
    }
}

#[test]
fn released_losses_keep_compounding_bounded() {
    let Some(path) = common::data_file("binance_DOGEUSDT_1m_2021-09-17_2021-10-17.json.gz") else {
        return;
    };
    let grid = EngineConfig {
        slots: 10,
        sticky_mode_enabled: false,
        order_size_usd: Quote::lit(5, 0),
        quote_first_allocation: false,
        entry_floor_enabled: false,
        reentry_base_cooldown_sec: 0,
        loop_interval_sec: 60,
        ..EngineConfig::default()
    };
    let sim = common::sim(&grid, Qty::lit(1_000_000, 0), Quote::lit(20_000, 0));
    let governor = flywheel_governor::GovernorConfig {
        enabled: false,
        ..Default::default()
    };
    let leak = LeakConfig {
        enabled: false,
        ..LeakConfig::default()
    };
    let mut engine = Engine::new(grid, sim, LargestEntry::default())
        .with_governor(governor)
        .with_leak(leak);
    let reader = flywheel_marketdata::open(&path).expect("opens");
    let events: Vec<_> = reader.collect::<Result<_, _>>().expect("reads");
    let first = events.first().map(event_price).unwrap_or(Price::ZERO);
    let data = run_backtest(
        &mut engine,
        events.into_iter().map(Ok::<_, std::convert::Infallible>),
        |_| {},
    )
    .expect("runs");
    let s = Summary::build(&engine, vec![path.display().to_string()], &data, first);
    assert!(
        s.integrity.released_positions > 1000,
        "the cap releases: {}",
        s.integrity.released_positions
    );
    assert!(
        s.pnl.released_pnl_at_release_usd.is_negative(),
        "released at a loss"
    );
    let (_, largest) = engine.into_parts();
    // Booked profit less the released losses is below zero here, so compounding adds
    // nothing: entries stay at the $5 base (a lot of rounding above it at most).
    assert!(
        largest.0 <= Wide::from(Quote::lit(6, 0)),
        "largest entry ${} (was ~$234 before released losses were charged)",
        largest.0
    );
}
