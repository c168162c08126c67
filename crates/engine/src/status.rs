//! The status snapshot: the engine's live figures as one serializable struct — the same
//! struct later serves `/api/status`. It carries the seeds' named blocks: the idle-USD
//! `scoreboard`, the governor's `rebalancer` block (seed 000 §9.1 keys exactly) and its
//! dashboard text (§9.2).

use flywheel_governor::RebalancerStatus;
use flywheel_venue::Venue;
use serde::Serialize;

use crate::capacity::Capacity;
use crate::engine::{Engine, RunMode};
use crate::journal::JournalSink;
use crate::scoreboard::Scoreboard;

#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub mode: RunMode,
    /// The operator pause (no new entries), apart from `mode`'s loss lock and halt.
    pub paused: bool,
    pub now: flywheel_core::Timestamp,
    pub mark: flywheel_core::Price,
    pub slots: usize,
    pub capacity: Capacity,
    pub scoreboard: Scoreboard,
    pub rebalancer: RebalancerStatus,
    /// The governor's dashboard lines.
    pub rebalancer_dashboard: String,
    pub b_side_health: crate::leak::BSideHealth,
    pub b_side_health_card: crate::leak::BSideCard,
    pub quote_first_allocation: crate::leak::QuoteFirstStatus,
    pub ancillary_profit: crate::leak::AncillaryProfit,
    pub leak_attribution: flywheel_capital::LeakAttribution,
}

impl<V: Venue, J: JournalSink> Engine<V, J> {
    pub fn status(&self) -> Status {
        let rebalancer = self.rebalancer_status();
        Status {
            mode: self.mode.clone(),
            paused: self.operator_paused,
            now: self.now,
            mark: self.mark,
            slots: self.slots.len(),
            capacity: self.capacity,
            scoreboard: self.scoreboard,
            rebalancer_dashboard: rebalancer.dashboard(),
            rebalancer,
            b_side_health: self.b_side_health(),
            b_side_health_card: self.b_side_card(),
            quote_first_allocation: self.quote_first_status(),
            ancillary_profit: self.ancillary_profit(),
            leak_attribution: self.leak_attribution(),
        }
    }
}

#[cfg(test)]
mod tests {
    use flywheel_core::{Price, Timestamp};
    use flywheel_grid::EngineConfig;

    #[test]
    fn status_carries_the_rebalancer_block_and_dashboard() {
        let grid = EngineConfig {
            slots: 2,
            ..EngineConfig::default()
        };
        let mut e = crate::test_support::sim_engine(grid, "200", "1000");
        e.on_market(Price::lit(1, 1), Timestamp::from_secs(1_700_000_000));
        e.run_loop(Timestamp::from_secs(1_700_000_000));
        let v = serde_json::to_value(e.status()).unwrap();
        let block = v["rebalancer"].as_object().unwrap();
        assert_eq!(
            block.len(),
            14,
            "the §9.1 keys, held_by and infeasible: {block:?}"
        );
        assert!(v["rebalancer_dashboard"]
            .as_str()
            .unwrap()
            .starts_with("Governor: "));
        assert!(v["scoreboard"]["idle_usd_pct"].is_string());
    }
}
