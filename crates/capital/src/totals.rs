//! The USD-leak patches' run totals: B-side failures and recoveries, balance-degraded
//! slot-time, and the idle-USD attribution summed over loops (exact [`Wide`] sums, so a year
//! of 1-second loops at 10 million quote fits).

use std::collections::BTreeMap;

use flywheel_core::{Fixed, Quote, Wide};
use serde::{Deserialize, Serialize};

use crate::attribution::LeakAttribution;

/// Run totals of the patches.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LeakTotals {
    pub b_failures: BTreeMap<String, u64>,
    pub recoveries: u64,
    /// Waits of buy-ready slots the pooled allocation (patch F) left unfunded: the quote
    /// went to fewer valid B entries. Not failures; counted once per wait.
    pub pooled_waits: u64,
    /// Σ over loops of balance-degraded slots × loop length, seconds.
    pub balance_degraded_slot_seconds: i64,
    /// Σ over loops of each attribution field, and the number of loops summed.
    pub attribution_sum: LeakAttributionSum,
    pub attribution_loops: u64,
}

impl LeakTotals {
    /// The attribution averaged over the loops. A mean is at most the largest per-loop
    /// value, so it fits a `Quote` (the fallback is unreachable, never a silent zero: it
    /// saturates at the largest quote).
    pub fn attribution_mean(&self) -> LeakAttribution {
        let n = self.attribution_loops.max(1);
        let avg = |w: Wide| w.mean(n).map(Quote::new).unwrap_or(Quote::new(Fixed::MAX));
        let s = &self.attribution_sum;
        LeakAttribution {
            idle_usd: avg(s.idle_usd),
            governor_runway: avg(s.governor_runway),
            l1_blocked_b_entries: avg(s.l1_blocked_b_entries),
            l2_l3_ancillary_profit: avg(s.l2_l3_ancillary_profit),
            l4_settled_vs_profit_gap: avg(s.l4_settled_vs_profit_gap),
            l5_fee_overshoot: avg(s.l5_fee_overshoot),
            l6_rounding_residual: avg(s.l6_rounding_residual),
            l7_legacy_sizing: avg(s.l7_legacy_sizing),
            l8_floor_inflation: avg(s.l8_floor_inflation),
            slots_busy: avg(s.slots_busy),
            unexplained: avg(s.unexplained),
        }
    }
}

/// [`LeakAttribution`] summed over loops: [`Wide`] totals, because a year of
/// 1-second loops at 10 million idle quote is ~3 × 10¹⁴, beyond a single `Quote`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LeakAttributionSum {
    pub idle_usd: Wide,
    pub governor_runway: Wide,
    pub l1_blocked_b_entries: Wide,
    pub l2_l3_ancillary_profit: Wide,
    pub l4_settled_vs_profit_gap: Wide,
    pub l5_fee_overshoot: Wide,
    pub l6_rounding_residual: Wide,
    pub l7_legacy_sizing: Wide,
    pub l8_floor_inflation: Wide,
    pub slots_busy: Wide,
    pub unexplained: Wide,
}

impl LeakAttributionSum {
    /// Add one loop's attribution `loops` times (identical loops, e.g. a stale stretch).
    pub fn add(&mut self, a: &LeakAttribution, loops: u64) {
        let add = |sum: &mut Wide, v: Quote| {
            *sum += Wide::from(v).times(loops);
        };
        add(&mut self.idle_usd, a.idle_usd);
        add(&mut self.governor_runway, a.governor_runway);
        add(&mut self.l1_blocked_b_entries, a.l1_blocked_b_entries);
        add(&mut self.l2_l3_ancillary_profit, a.l2_l3_ancillary_profit);
        add(
            &mut self.l4_settled_vs_profit_gap,
            a.l4_settled_vs_profit_gap,
        );
        add(&mut self.l5_fee_overshoot, a.l5_fee_overshoot);
        add(&mut self.l6_rounding_residual, a.l6_rounding_residual);
        add(&mut self.l7_legacy_sizing, a.l7_legacy_sizing);
        add(&mut self.l8_floor_inflation, a.l8_floor_inflation);
        add(&mut self.slots_busy, a.slots_busy);
        add(&mut self.unexplained, a.unexplained);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_over_loops_and_their_mean() {
        let q = |s: &str| s.parse::<Quote>().unwrap();
        let one = LeakAttribution {
            idle_usd: q("10"),
            governor_runway: q("4"),
            l1_blocked_b_entries: q("3"),
            slots_busy: q("2"),
            unexplained: q("1"),
            ..LeakAttribution::default()
        };
        let other = LeakAttribution {
            idle_usd: q("4"),
            l6_rounding_residual: q("4"),
            ..LeakAttribution::default()
        };
        let mut t = LeakTotals::default();
        t.attribution_sum.add(&one, 3);
        t.attribution_sum.add(&other, 1);
        t.attribution_loops = 4;
        let m = t.attribution_mean();
        // (10·3 + 4) / 4 = 8.5; 4·3/4 = 3; 3·3/4 = 2.25; 2·3/4 = 1.5; 1·3/4 = 0.75; 4/4 = 1.
        assert_eq!(m.idle_usd, q("8.5"));
        assert_eq!(m.governor_runway, q("3"));
        assert_eq!(m.l1_blocked_b_entries, q("2.25"));
        assert_eq!(m.slots_busy, q("1.5"));
        assert_eq!(m.unexplained, q("0.75"));
        assert_eq!(m.l6_rounding_residual, q("1"));
        assert_eq!(
            LeakTotals::default().attribution_mean(),
            LeakAttribution::default()
        );
    }
}
