//! Which balance-degraded slots get their B entry back this loop: one path for every
//! restoration (seed 001 Patch A's sweep, with Patch F's order and cap).
//!
//! A slot is *balance-degraded* when a B entry it should hold could not be funded, so it
//! went short-only. With the patches on ([`Rules::seed`]):
//! - a slot degraded less than `cooldown_sec` ago is left alone (Patch A);
//! - the most recently degraded slot goes first, then the lower slot id (Patch F, LIFO);
//! - restoration stops when the free quote no longer funds one more minimum B entry, or when
//!   the bilateral slots reach `max(1, ⌊quote / min B⌋)` (Patch F's cap).
//!
//! With the patches off ([`Rules::origin`]) the same path applies the origin's auto-repair
//! rules: slot order, no cooldown, no cap, each slot restored while the free quote covers the
//! minimum order cost. Either way a restoration counts as a recovery only when its B entry
//! rests at the venue (the engine checks that after placing).
//!
//! Invariants (tested): the order never contains a slot inside its cooldown or twice; the
//! budget never admits a restoration it cannot fund or one past the cap.

use flywheel_core::{Quote, Timestamp};

/// A balance-degraded slot that may get its B entry back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub slot: usize,
    /// When it became balance-degraded (`None`: unknown, treated as now).
    pub degraded_at: Option<Timestamp>,
}

/// The rules of the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    pub cooldown_sec: u64,
    /// Most recently degraded first (Patch F); otherwise slot order.
    pub lifo: bool,
    /// Cap on bilateral slots (Patch F); `usize::MAX` for none.
    pub cap: usize,
}

impl Rules {
    /// Seed 001's rules: Patch A's cooldown, and Patch F's LIFO order and cap when
    /// `cascade_breaker` (else slot order and no cap).
    pub fn seed(cooldown_sec: u64, cascade_breaker: bool, cap: usize) -> Self {
        Rules {
            cooldown_sec,
            lifo: cascade_breaker,
            cap: if cascade_breaker { cap } else { usize::MAX },
        }
    }

    /// The origin's auto-repair: slot order, no cooldown, no cap.
    pub fn origin() -> Self {
        Rules {
            cooldown_sec: 0,
            lifo: false,
            cap: usize::MAX,
        }
    }
}

/// Inside the cooldown of `cooldown_sec` that follows `at`?
pub fn within_cooldown(cooldown_sec: u64, at: Option<Timestamp>, now: Timestamp) -> bool {
    cooldown_sec > 0 && at.is_some_and(|t| !now.elapsed_at_least(t, cooldown_sec))
}

/// The slots to try, in order: past their cooldown, LIFO or slot order, each once.
pub fn restoration_order(candidates: &[Candidate], now: Timestamp, rules: &Rules) -> Vec<usize> {
    let mut eligible: Vec<(Timestamp, usize)> = candidates
        .iter()
        .filter(|c| !within_cooldown(rules.cooldown_sec, c.degraded_at, now))
        .map(|c| (c.degraded_at.unwrap_or(now), c.slot))
        .collect();
    if rules.lifo {
        eligible.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    } else {
        eligible.sort_by_key(|&(_, slot)| slot);
    }
    let mut seen = std::collections::BTreeSet::new();
    eligible
        .into_iter()
        .map(|(_, slot)| slot)
        .filter(|slot| seen.insert(*slot))
        .collect()
}

/// What the loop can still restore: free quote against the funding of one B entry, and
/// bilateral slots against the cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub available: Quote,
    /// The free quote one restored B entry takes.
    pub funding: Quote,
    pub bilateral: usize,
    pub cap: usize,
}

impl Budget {
    /// May one more slot be restored?
    pub fn admits(&self) -> bool {
        self.available >= self.funding && self.bilateral < self.cap
    }

    /// A slot was restored (its B entry placed): reserve its funding, count it bilateral.
    pub fn spend(&mut self) {
        self.available = (self.available - self.funding).max(Quote::ZERO);
        self.bilateral += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000;

    fn at(secs: i64) -> Option<Timestamp> {
        Some(Timestamp::from_secs(T0 + secs))
    }

    fn c(slot: usize, degraded: i64) -> Candidate {
        Candidate {
            slot,
            degraded_at: at(degraded),
        }
    }

    #[test]
    fn order_table() {
        let now = Timestamp::from_secs(T0 + 1000);
        let cands = [c(3, 100), c(1, 500), c(2, 950), c(0, 400), c(4, 500)];
        // (name, rules, expected order)
        let cases = [
            (
                "seed: LIFO (ties by slot), cooldown 120 s",
                Rules::seed(120, true, 10),
                vec![1, 4, 0, 3],
            ),
            (
                "seed without F: slot order",
                Rules::seed(120, false, 10),
                vec![0, 1, 3, 4],
            ),
            (
                "no cooldown: the fresh one first",
                Rules::seed(0, true, 10),
                vec![2, 1, 4, 0, 3],
            ),
            (
                "origin: slot order, no cooldown",
                Rules::origin(),
                vec![0, 1, 2, 3, 4],
            ),
        ];
        for (name, rules, want) in cases {
            assert_eq!(restoration_order(&cands, now, &rules), want, "{name}");
        }
    }

    #[test]
    fn cooldown_edges() {
        let t = Timestamp::from_secs(T0);
        // (name, cooldown, degraded at, within)
        let cases = [
            ("just degraded", 120, Some(t), true),
            ("one second short", 120, at(-119), true),
            ("exactly the cooldown", 120, at(-120), false),
            ("no cooldown", 0, Some(t), false),
            ("no cooldown, degraded after now", 0, at(5), false),
            ("unknown time", 120, None, false),
        ];
        for (name, cd, when, want) in cases {
            assert_eq!(within_cooldown(cd, when, t), want, "{name}");
        }
    }

    #[test]
    fn budget_stops_at_funds_or_cap() {
        let q = |s: &str| s.parse::<Quote>().unwrap();
        let mut b = Budget {
            available: q("5"),
            funding: q("2"),
            bilateral: 7,
            cap: 9,
        };
        let mut restored = 0;
        while b.admits() {
            b.spend();
            restored += 1;
        }
        assert_eq!(
            (restored, b.bilateral, b.available),
            (2, 9, q("1")),
            "cap first"
        );
        // Ample quote: the cap alone stops it, at exactly the cap.
        let mut ample = Budget {
            available: q("100"),
            funding: q("2"),
            bilateral: 7,
            cap: 9,
        };
        let mut restored = 0;
        while ample.admits() {
            ample.spend();
            restored += 1;
        }
        assert_eq!((restored, ample.bilateral), (2, 9), "cap");
        let mut b = Budget { cap: 100, ..b };
        b.available = q("3.99");
        b.bilateral = 0;
        let mut restored = 0;
        while b.admits() {
            b.spend();
            restored += 1;
        }
        assert_eq!(restored, 1, "funds first");
    }
}

#[cfg(test)]
mod props {
    use super::*;

    const T0: i64 = 1_700_000_000;
    use proptest::prelude::*;

    proptest! {
        /// No slot inside its cooldown, none twice, and every candidate past the cooldown
        /// appears.
        #[test]
        fn order_respects_the_cooldown(
            degraded in proptest::collection::vec((0usize..20, 0i64..600), 0..20),
            cooldown in 0u64..300,
            lifo in any::<bool>(),
        ) {
            let now = Timestamp::from_secs(T0 + 600);
            let cands: Vec<Candidate> = degraded
                .iter()
                .map(|&(slot, s)| Candidate { slot, degraded_at: Some(Timestamp::from_secs(T0 + s)) })
                .collect();
            let rules = Rules { cooldown_sec: cooldown, lifo, cap: usize::MAX };
            let order = restoration_order(&cands, now, &rules);
            let mut seen = std::collections::BTreeSet::new();
            for slot in &order {
                prop_assert!(seen.insert(*slot), "slot {} twice", slot);
            }
            for cand in &cands {
                let cooling = within_cooldown(cooldown, cand.degraded_at, now);
                if cooling {
                    prop_assert!(
                        order.contains(&cand.slot)
                            == cands.iter().any(|o| o.slot == cand.slot
                                && !within_cooldown(cooldown, o.degraded_at, now))
                    );
                } else {
                    prop_assert!(order.contains(&cand.slot));
                }
            }
        }
    }
}
