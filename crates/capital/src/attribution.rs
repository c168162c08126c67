//! Idle USD split by observed cause (seed 001 §1.3), one loop.
//!
//! Each cause is something the loop *observes*, never "whatever is left":
//! - **governor runway** (not one of the seed's leaks): the idle share the governor targets
//!   (`rebalance.target_idle_pct` of the quote balance), which the B allocation keeps back on
//!   purpose;
//! - **L1** a B entry a slot should hold but does not (balance-degraded, or waiting for
//!   size), at that entry's own size;
//! - **L2+L3** ranger and churner profit, while nothing reinvests it (quote-first off and no
//!   compounding share);
//! - **L4** the slots' settled USD beyond their booked profit, while compounding sizing
//!   (quote-first off) is what would redeploy it;
//! - **L5** fees estimated at the configured maker rate above the fees actually paid;
//! - **L6** rounding residuals the slots carry;
//! - **L7** with quote-first off and no B entry blocked: the deployable free quote the slots'
//!   fixed B sizes leave unused (the sizing rule, not a failure, holds it back);
//! - **L8** B entries blocked because the entry floor inflated them beyond their share;
//! - **slots busy** (not one of the seed's causes, observed on real data): with quote-first,
//!   no slot can take a B entry — each one's B trade is in position or already holds its
//!   entry — so the deployable quote has nowhere to go until a slot frees up.
//!
//! Invariant (tested): the causes are taken in that order, each at most what the causes
//! before it left, so they and `unexplained` sum to the idle USD exactly.

use flywheel_core::{Quote, Wide};
use serde::Serialize;

/// One loop's idle USD by cause.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LeakAttribution {
    pub idle_usd: Quote,
    /// The governor's target idle share, kept back by the B allocation on purpose.
    #[serde(default)]
    pub governor_runway: Quote,
    /// L1: B entries slots should hold but do not (degraded, or waiting), at their sizes.
    pub l1_blocked_b_entries: Quote,
    /// L2 + L3: ranger and churner profit nothing reinvests.
    pub l2_l3_ancillary_profit: Quote,
    /// L4: Σ settled USD − Σ profit, while compounding sizing would redeploy it.
    pub l4_settled_vs_profit_gap: Quote,
    /// L5: fees estimated at the configured maker rate above the fees actually paid.
    pub l5_fee_overshoot: Quote,
    /// L6: rounding residuals carried by the slots.
    pub l6_rounding_residual: Quote,
    /// L7: deployable quote the fixed B sizes leave unused (quote-first off, nothing blocked).
    pub l7_legacy_sizing: Quote,
    /// L8: B entries blocked because the floor inflated them.
    pub l8_floor_inflation: Quote,
    /// Quote-first with no slot able to take a B entry: the deployable quote.
    #[serde(default)]
    pub slots_busy: Quote,
    pub unexplained: Quote,
}

impl LeakAttribution {
    /// The causes in order, as (name, amount).
    pub fn causes(&self) -> [(&'static str, Quote); 9] {
        [
            ("governor_runway", self.governor_runway),
            ("l1_blocked_b_entries", self.l1_blocked_b_entries),
            ("l2_l3_ancillary_profit", self.l2_l3_ancillary_profit),
            ("l4_settled_vs_profit_gap", self.l4_settled_vs_profit_gap),
            ("l5_fee_overshoot", self.l5_fee_overshoot),
            ("l6_rounding_residual", self.l6_rounding_residual),
            ("l7_legacy_sizing", self.l7_legacy_sizing),
            ("l8_floor_inflation", self.l8_floor_inflation),
            ("slots_busy", self.slots_busy),
        ]
    }
}

/// What the loop observed, for [`attribute`]. Sums over slots are [`Wide`]: each size can
/// be near the whole balance.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub idle_usd: Quote,
    /// The governor's target idle share the allocation keeps back (zero without a runway).
    pub planned_idle: Quote,
    /// Quote-first allocation deploys every free dollar (so sizing cannot leave any idle).
    pub quote_first: bool,
    /// Σ sizes of the B entries slots want but lack, the floor not involved; and how many.
    pub blocked_b: Wide,
    pub blocked_count: u32,
    /// Σ sizes of the wanted B entries the floor inflated beyond their share.
    pub floor_inflated_b: Wide,
    /// Ranger and churner profit, and whether sizing reinvests it (a compounding share).
    pub ancillary_profit: Quote,
    pub ancillary_reinvested: bool,
    /// Σ over slots of max(0, settled USD − profit).
    pub settled_vs_profit_gap: Wide,
    /// Estimated fees at the configured rate minus the fees paid (≥ 0).
    pub fee_overshoot: Quote,
    /// Σ of the slots' rounding residuals.
    pub residuals: Wide,
    /// Free quote less the safety buffer (and the governor's runway).
    pub deployable: Quote,
    /// Slots that may take a B entry now (buy-ready).
    pub buy_ready: u32,
}

/// Split `o.idle_usd` by cause (see the module docs).
pub fn attribute(o: &Observed) -> LeakAttribution {
    let idle = o.idle_usd;
    // Capped at the idle USD a sum can explain: every cause takes at most that much anyway,
    // so the result fits a Quote.
    let cap = |w: Wide| Quote::new(w.min(Wide::from(idle)).to_fixed().unwrap_or_default());
    let ancillary = if o.quote_first || o.ancillary_reinvested {
        Quote::ZERO
    } else {
        o.ancillary_profit
    };
    let gap = if o.quote_first {
        Quote::ZERO
    } else {
        cap(o.settled_vs_profit_gap)
    };
    let legacy = if o.quote_first || o.blocked_count > 0 {
        Quote::ZERO
    } else {
        o.deployable
    };
    let busy = if o.quote_first && o.buy_ready == 0 && o.blocked_count == 0 {
        o.deployable
    } else {
        Quote::ZERO
    };
    let mut left = idle;
    let mut take = |amount: Quote| {
        let t = amount.max(Quote::ZERO).min(left);
        left -= t;
        t
    };
    LeakAttribution {
        idle_usd: idle,
        governor_runway: take(o.planned_idle),
        l1_blocked_b_entries: take(cap(o.blocked_b)),
        l2_l3_ancillary_profit: take(ancillary),
        l4_settled_vs_profit_gap: take(gap),
        l5_fee_overshoot: take(o.fee_overshoot),
        l6_rounding_residual: take(cap(o.residuals)),
        l7_legacy_sizing: take(legacy),
        l8_floor_inflation: take(cap(o.floor_inflated_b)),
        slots_busy: take(busy),
        unexplained: left,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quote {
        s.parse().unwrap()
    }

    fn w(s: &str) -> Wide {
        Wide::from(q(s))
    }

    fn sum(a: &LeakAttribution) -> Quote {
        a.causes().iter().map(|(_, v)| *v).sum::<Quote>() + a.unexplained
    }

    #[test]
    fn attribution_table() {
        let base = Observed {
            idle_usd: q("50"),
            quote_first: true,
            deployable: q("40"),
            buy_ready: 2,
            ..Observed::default()
        };
        // (name, observed, L1, L7, unexplained)
        let cases = [
            (
                "quote-first, one blocked entry: its size, not all the free quote",
                Observed {
                    blocked_b: w("3"),
                    blocked_count: 1,
                    ..base.clone()
                },
                "3",
                "0",
                "47",
            ),
            (
                "quote-first, nothing observed: all unexplained",
                base.clone(),
                "0",
                "0",
                "50",
            ),
            // Every slot busy: the deployable 40 is `slots_busy`, 10 stays unexplained.
            (
                "quote-first, every slot busy",
                Observed {
                    buy_ready: 0,
                    ..base.clone()
                },
                "0",
                "0",
                "10",
            ),
            (
                "no slot buy-ready but one blocked: the blocked entry, not busy",
                Observed {
                    buy_ready: 0,
                    blocked_b: w("3"),
                    blocked_count: 1,
                    ..base.clone()
                },
                "3",
                "0",
                "47",
            ),
            (
                "legacy sizing, nothing blocked: the deployable quote",
                Observed {
                    quote_first: false,
                    ..base.clone()
                },
                "0",
                "40",
                "10",
            ),
            (
                "legacy sizing, something blocked: no L7",
                Observed {
                    quote_first: false,
                    blocked_b: w("2"),
                    blocked_count: 1,
                    ..base.clone()
                },
                "2",
                "0",
                "48",
            ),
            (
                "blocked beyond idle: capped",
                Observed {
                    blocked_b: w("80"),
                    blocked_count: 9,
                    ..base.clone()
                },
                "50",
                "0",
                "0",
            ),
        ];
        for (name, o, l1, l7, rest) in cases {
            let a = attribute(&o);
            assert_eq!(
                (a.l1_blocked_b_entries, a.l7_legacy_sizing, a.unexplained),
                (q(l1), q(l7), q(rest)),
                "{name}"
            );
            assert_eq!(sum(&a), a.idle_usd, "{name}: the parts sum to idle");
        }
    }

    #[test]
    fn reinvested_sources_explain_nothing() {
        let o = Observed {
            idle_usd: q("10"),
            ancillary_profit: q("4"),
            settled_vs_profit_gap: w("3"),
            ..Observed::default()
        };
        let legacy = attribute(&o);
        assert_eq!(
            (
                legacy.l2_l3_ancillary_profit,
                legacy.l4_settled_vs_profit_gap
            ),
            (q("4"), q("3"))
        );
        let reinvested = attribute(&Observed {
            ancillary_reinvested: true,
            ..o.clone()
        });
        assert_eq!(reinvested.l2_l3_ancillary_profit, Quote::ZERO);
        let quote_first = attribute(&Observed {
            quote_first: true,
            ..o
        });
        assert_eq!(
            (
                quote_first.l2_l3_ancillary_profit,
                quote_first.l4_settled_vs_profit_gap
            ),
            (Quote::ZERO, Quote::ZERO),
            "quote-first deploys them"
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn quote() -> impl Strategy<Value = Quote> {
        (0i64..10_000_000_000_000).prop_map(Quote::from_raw)
    }

    proptest! {
        /// Every cause is non-negative and the parts sum to the idle USD exactly.
        #[test]
        fn parts_sum_to_idle(
            idle in quote(), blocked in quote(), anc in quote(), gap in quote(),
            fee in quote(), res in quote(), dep in quote(), floor in quote(),
            qf in any::<bool>(), n in 0u32..3,
        ) {
            let a = attribute(&Observed {
                idle_usd: idle,
                planned_idle: res,
                quote_first: qf,
                blocked_b: Wide::from(blocked),
                blocked_count: n,
                floor_inflated_b: Wide::from(floor),
                ancillary_profit: anc,
                ancillary_reinvested: false,
                settled_vs_profit_gap: Wide::from(gap),
                fee_overshoot: fee,
                residuals: Wide::from(res),
                deployable: dep,
                buy_ready: n,
            });
            let mut total = a.unexplained;
            for (_, v) in a.causes() {
                prop_assert!(!v.is_negative());
                total += v;
            }
            prop_assert!(!a.unexplained.is_negative());
            prop_assert_eq!(total, idle);
        }
    }
}
