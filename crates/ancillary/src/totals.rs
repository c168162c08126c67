//! Seed 001 Patch C: the `ancillary_profit_usd` counter and its status block.
//!
//! [`AncillaryTotals::apply`] books every [`Outcome`] the cyclers report. Unlike the seed's
//! `+= max(0, net)`, a losing trip is subtracted: the counter feeds A-side sizing, and
//! counting only gains would size orders from money that was lost. Abandoned positions book
//! no profit or loss (their base or quote is still in the account); they are counted, with
//! their volume by entry side, so exposure stays visible.

use flywheel_core::{Qty, Quote, Side, Timestamp};
use serde::{Deserialize, Serialize};

use crate::event::{Outcome, Owner};

/// Lifetime and UTC-day totals of the ancillary cyclers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AncillaryTotals {
    pub ranger_profit_usd: Quote,
    pub churner_profit_usd: Quote,
    /// `ranger_profit_usd + churner_profit_usd`: the seed's `_ancillary_profit_usd`.
    pub total_lifetime_usd: Quote,
    pub ranger_cycles: u64,
    pub churner_cycles: u64,
    pub abandoned_positions: u64,
    /// Base sold by abandoned positions and never bought back (ranger "orphans").
    pub abandoned_sold_qty: Qty,
    /// Base bought by abandoned positions and never sold.
    pub abandoned_bought_qty: Qty,
    /// UTC day (days since the epoch) of the `*_today` fields.
    pub day: Option<i64>,
    pub ranger_profit_today: Quote,
    pub churner_profit_today: Quote,
}

impl AncillaryTotals {
    /// Book one outcome.
    pub fn apply(&mut self, outcome: &Outcome) {
        let day = outcome.at().utc_day();
        let today = match self.day {
            Some(d) if d > day => false, // a late report from an earlier day: lifetime only
            Some(d) if d == day => true,
            _ => {
                self.day = Some(day);
                self.ranger_profit_today = Quote::ZERO;
                self.churner_profit_today = Quote::ZERO;
                true
            }
        };
        match outcome {
            Outcome::Closed(c) => {
                self.total_lifetime_usd += c.net;
                match c.owner {
                    Owner::Ranger(_) => {
                        self.ranger_profit_usd += c.net;
                        self.ranger_cycles += 1;
                        if today {
                            self.ranger_profit_today += c.net;
                        }
                    }
                    Owner::Churner(_) => {
                        self.churner_profit_usd += c.net;
                        self.churner_cycles += 1;
                        if today {
                            self.churner_profit_today += c.net;
                        }
                    }
                }
            }
            Outcome::Abandoned(a) => {
                self.abandoned_positions += 1;
                match a.entry_side {
                    Side::Sell => self.abandoned_sold_qty += a.qty,
                    Side::Buy => self.abandoned_bought_qty += a.qty,
                }
            }
        }
    }

    /// Book outcomes in order.
    pub fn apply_all(&mut self, outcomes: &[Outcome]) {
        for o in outcomes {
            self.apply(o);
        }
    }

    /// Seed 001 §5.2 A-side share: `max(0, total_lifetime_usd) / max(1, slots)`, rounded down.
    pub fn a_side_share(&self, slots: usize) -> Quote {
        let n = i64::try_from(slots.max(1)).unwrap_or(i64::MAX);
        Quote::from_raw(self.total_lifetime_usd.raw().max(0) / n)
    }
}

/// The status block `ancillary_profit` (seed 001 §5.3), plus counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AncillaryStatus {
    /// Ranger net profit of the current UTC day (the seed's `_ranger_profit_today`).
    pub ranger_usd: Quote,
    /// Churner net profit, lifetime (the seed's `_churner_profit_total`).
    pub churner_usd: Quote,
    /// Ranger + churner net profit, lifetime.
    pub total_lifetime_usd: Quote,
    pub ranger_lifetime_usd: Quote,
    pub churner_today_usd: Quote,
    pub ranger_cycles: u64,
    pub churner_cycles: u64,
    pub abandoned_positions: u64,
    pub abandoned_sold_qty: Qty,
    pub abandoned_bought_qty: Qty,
}

/// The `ancillary_profit` status block at `now` (day figures are zero on a new UTC day).
pub fn ancillary_status(totals: &AncillaryTotals, now: Timestamp) -> AncillaryStatus {
    let same_day = totals.day == Some(now.utc_day());
    let today = |v: Quote| if same_day { v } else { Quote::ZERO };
    AncillaryStatus {
        ranger_usd: today(totals.ranger_profit_today),
        churner_usd: totals.churner_profit_usd,
        total_lifetime_usd: totals.total_lifetime_usd,
        ranger_lifetime_usd: totals.ranger_profit_usd,
        churner_today_usd: today(totals.churner_profit_today),
        ranger_cycles: totals.ranger_cycles,
        churner_cycles: totals.churner_cycles,
        abandoned_positions: totals.abandoned_positions,
        abandoned_sold_qty: totals.abandoned_sold_qty,
        abandoned_bought_qty: totals.abandoned_bought_qty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{AbandonReason, AbandonedPosition, ClosedTrip};
    use flywheel_core::time::MS_PER_DAY;
    use flywheel_core::Price;

    fn q(s: &str) -> Quote {
        s.parse().expect("quote")
    }

    /// `secs` into UTC day `day` (days since the epoch).
    fn at(day: i64, secs: i64) -> Timestamp {
        Timestamp::from_millis(day * MS_PER_DAY + secs * 1000)
    }

    fn closed(owner: Owner, net: &str, when: Timestamp) -> Outcome {
        Outcome::Closed(ClosedTrip {
            owner,
            cycle: 1,
            entry_side: Side::Sell,
            qty: Qty::lit(20, 0),
            entry_price: Price::lit(10015, 5),
            exit_price: Price::lit(98948, 6),
            gross: Quote::ZERO,
            fees: Quote::ZERO,
            net: q(net),
            closed_at: when,
        })
    }

    fn abandoned(side: Side, qty: i64, when: Timestamp) -> Outcome {
        Outcome::Abandoned(AbandonedPosition {
            owner: Owner::Ranger(0),
            cycle: 1,
            entry_side: side,
            qty: Qty::lit(qty, 0),
            entry_price: Price::lit(1, 1),
            entry_fee: q("0.005"),
            reason: AbandonReason::ExitTimeout,
            at: when,
        })
    }

    #[test]
    fn booking_table() {
        let d = 19_700;
        let r = Owner::Ranger(0);
        let c = Owner::Churner(3);
        // (name, outcomes, ranger, churner, total, abandoned, sold, bought)
        type Case = (
            &'static str,
            Vec<Outcome>,
            &'static str,
            &'static str,
            &'static str,
            u64,
            i64,
            i64,
        );
        let cases: Vec<Case> = vec![
            ("nothing", vec![], "0", "0", "0", 0, 0, 0),
            (
                "one ranger trip",
                vec![closed(r, "0.0140851", at(d, 10))],
                "0.0140851",
                "0",
                "0.0140851",
                0,
                0,
                0,
            ),
            (
                "ranger and churner",
                vec![closed(r, "0.01", at(d, 1)), closed(c, "0.02", at(d, 2))],
                "0.01",
                "0.02",
                "0.03",
                0,
                0,
                0,
            ),
            (
                "a loss is subtracted, not ignored",
                vec![closed(c, "0.02", at(d, 1)), closed(c, "-0.005", at(d, 2))],
                "0",
                "0.015",
                "0.015",
                0,
                0,
                0,
            ),
            (
                "abandoned positions book nothing",
                vec![
                    abandoned(Side::Sell, 20, at(d, 1)),
                    abandoned(Side::Buy, 13, at(d, 2)),
                ],
                "0",
                "0",
                "0",
                2,
                20,
                13,
            ),
        ];
        for (name, outcomes, ranger, churner, total, n_abandoned, sold, bought) in cases {
            let mut t = AncillaryTotals::default();
            t.apply_all(&outcomes);
            assert_eq!(t.ranger_profit_usd, q(ranger), "case {name}");
            assert_eq!(t.churner_profit_usd, q(churner), "case {name}");
            assert_eq!(t.total_lifetime_usd, q(total), "case {name}");
            assert_eq!(t.abandoned_positions, n_abandoned, "case {name}");
            assert_eq!(t.abandoned_sold_qty, Qty::lit(sold, 0), "case {name}");
            assert_eq!(t.abandoned_bought_qty, Qty::lit(bought, 0), "case {name}");
            let closed_count = outcomes
                .iter()
                .filter(|o| matches!(o, Outcome::Closed(_)))
                .count() as u64;
            assert_eq!(
                t.ranger_cycles + t.churner_cycles,
                closed_count,
                "case {name}"
            );
        }
    }

    #[test]
    fn status_keys_and_day_rollover() {
        let d = 19_700;
        let mut t = AncillaryTotals::default();
        t.apply(&closed(Owner::Ranger(0), "0.01", at(d, 100)));
        t.apply(&closed(Owner::Churner(1), "0.02", at(d, 200)));
        let s = ancillary_status(&t, at(d, 300));
        assert_eq!((s.ranger_usd, s.churner_usd), (q("0.01"), q("0.02")));
        assert_eq!(s.total_lifetime_usd, q("0.03"));
        // Next day, before any trip: the day figures read zero, lifetime stays.
        let s = ancillary_status(&t, at(d + 1, 5));
        assert_eq!((s.ranger_usd, s.churner_usd), (Quote::ZERO, q("0.02")));
        t.apply(&closed(Owner::Ranger(0), "0.005", at(d + 1, 10)));
        assert_eq!(t.ranger_profit_today, q("0.005"));
        assert_eq!(t.ranger_profit_usd, q("0.015"));
        // A late report from the previous day counts in lifetime only.
        t.apply(&closed(Owner::Ranger(0), "0.001", at(d, 999)));
        assert_eq!(t.ranger_profit_today, q("0.005"));
        assert_eq!(t.ranger_profit_usd, q("0.016"));
        let json = serde_json::to_value(ancillary_status(&t, at(d + 1, 20))).expect("json");
        for key in ["ranger_usd", "churner_usd", "total_lifetime_usd"] {
            assert!(json.get(key).is_some(), "status key {key}");
        }
    }

    #[test]
    fn a_side_share_table() {
        let cases = [
            ("split over slots", "0.30", 10, "0.03"),
            ("no slots counts as one", "0.30", 0, "0.30"),
            ("rounded down", "1", 3, "0.333333333"),
            ("negative total shares nothing", "-0.5", 4, "0"),
        ];
        for (name, total, slots, want) in cases {
            let t = AncillaryTotals {
                total_lifetime_usd: q(total),
                ..AncillaryTotals::default()
            };
            assert_eq!(t.a_side_share(slots), q(want), "case {name}");
        }
    }
}
