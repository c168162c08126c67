//! A shadow of Kraken's per-pair trading rate counter.
//!
//! Kraken keeps one counter per pair and account, shared by REST, WS and FIX (kraken.md §3.4,
//! "Matching-engine (trading) limits"). Each action adds to it, cancels and amends of **young**
//! orders cost more, and the counter decays continuously by the verification tier's rate. An
//! action that would take it past the tier's threshold is refused with
//! `EOrder:Rate limit exceeded`.
//!
//! | Tier | Threshold | Decay | Max open orders per pair |
//! |---|---|---|---|
//! | Starter | 60 | −1/s | 60 |
//! | Intermediate | 125 | −2.34/s | 80 |
//! | Pro | 180 | −3.75/s | 225 |
//!
//! | Action | Fixed | <5 s | <10 s | <15 s | <45 s | <90 s | <300 s |
//! |---|---|---|---|---|---|---|---|
//! | Add | +1 | | | | | | |
//! | Amend | +1 | +3 | +2 | +1 | | | |
//! | Edit | +1 | +6 | +5 | +4 | +2 | +1 | |
//! | Cancel | | +8 | +6 | +5 | +4 | +2 | +1 |
//! | Batch add | +n/2 | | | | | | |
//! | Batch cancel | | +8 each | +6 | +5 | +4 | +2 | +1 |
//!
//! [`PairCounter`] answers "may I send this now, or defer until t?" before the engine sends
//! anything, so orders are deferred instead of refused, and it is corrected by the
//! `ratecounter` readings of the `executions` channel ([`PairCounter::reconcile`]).
//!
//! Invariants:
//! - Pure and exact: `Fixed` arithmetic, time as an input; a clock that goes backwards decays
//!   nothing (never a negative elapsed time).
//! - The counter never goes below zero; decay is rounded down (the shadow never believes it
//!   has more headroom than the exact value gives).
//! - [`Decision::Defer`]'s `until` is the first millisecond at which the action fits.
//! - Adds, amends and edits must also leave [`Limits::reserve`] free, so a cancel (up to +8)
//!   can always be sent; cancels may use the whole threshold.
//! - An action whose cost exceeds the usable threshold can never be sent
//!   ([`Decision::Never`]): the caller must split it.

use std::collections::BTreeMap;

use flywheel_core::{Fixed, Rounding, Timestamp};
use serde::{Deserialize, Serialize};

/// Kraken verification tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Starter,
    Intermediate,
    Pro,
}

/// A tier's numbers plus our reserve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub threshold: Fixed,
    /// Counter units per second.
    pub decay_per_sec: Fixed,
    pub max_open_orders: u32,
    /// Headroom kept free for cancels when adding, amending or editing.
    pub reserve: Fixed,
}

/// Default reserve: one cancel of an order younger than 5 s.
pub const DEFAULT_RESERVE: Fixed = Fixed::lit(8, 0);

impl Tier {
    pub fn limits(self) -> Limits {
        let (threshold, decay, max_open) = match self {
            Tier::Starter => (Fixed::lit(60, 0), Fixed::lit(1, 0), 60),
            Tier::Intermediate => (Fixed::lit(125, 0), Fixed::lit(234, 2), 80),
            Tier::Pro => (Fixed::lit(180, 0), Fixed::lit(375, 2), 225),
        };
        Limits {
            threshold,
            decay_per_sec: decay,
            max_open_orders: max_open,
            reserve: DEFAULT_RESERVE,
        }
    }
}

/// An action on the pair, with the age of the order(s) it touches (ms since placement).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Add,
    BatchAdd { orders: u32 },
    Amend { age_ms: i64 },
    Edit { age_ms: i64 },
    Cancel { age_ms: i64 },
    BatchCancel { ages_ms: Vec<i64> },
}

/// The penalty for the first age bucket that contains `age_ms`; 0 beyond the last.
fn by_age(age_ms: i64, table: &[(i64, i64)]) -> i64 {
    table
        .iter()
        .find(|(below_s, _)| age_ms < below_s * 1000)
        .map_or(0, |(_, cost)| *cost)
}

const AMEND: &[(i64, i64)] = &[(5, 3), (10, 2), (15, 1)];
const EDIT: &[(i64, i64)] = &[(5, 6), (10, 5), (15, 4), (45, 2), (90, 1)];
const CANCEL: &[(i64, i64)] = &[(5, 8), (10, 6), (15, 5), (45, 4), (90, 2), (300, 1)];

impl Action {
    /// What the action adds to the counter.
    pub fn cost(&self) -> Fixed {
        let units = |n: i64| Fixed::from_raw(n.saturating_mul(Fixed::ONE.raw()));
        match self {
            Action::Add => units(1),
            Action::BatchAdd { orders } => {
                Fixed::from_raw(i64::from(*orders) * Fixed::ONE.raw() / 2)
            }
            Action::Amend { age_ms } => units(1 + by_age(*age_ms, AMEND)),
            Action::Edit { age_ms } => units(1 + by_age(*age_ms, EDIT)),
            Action::Cancel { age_ms } => units(by_age(*age_ms, CANCEL)),
            Action::BatchCancel { ages_ms } => {
                units(ages_ms.iter().map(|a| by_age(*a, CANCEL)).sum())
            }
        }
    }

    fn may_use_reserve(&self) -> bool {
        matches!(self, Action::Cancel { .. } | Action::BatchCancel { .. })
    }
}

/// The answer to "may I send this now?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send now; the counter will be `after`.
    Send { after: Fixed },
    /// Not before `until` (the first millisecond at which it fits).
    Defer { until: Timestamp, cost: Fixed },
    /// Costs more than the usable threshold: never fits as one action; split it.
    Never { cost: Fixed, usable: Fixed },
}

/// Observable state, for the status snapshot and `rate_counter{pair}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterStatus {
    pub value: Fixed,
    pub threshold: Fixed,
    pub headroom: Fixed,
    /// Local minus Kraken's value at the last `ratecounter` reading.
    pub last_drift: Option<Fixed>,
}

/// One pair's counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairCounter {
    limits: Limits,
    value: Fixed,
    at: Timestamp,
    last_drift: Option<Fixed>,
}

impl PairCounter {
    pub fn new(limits: Limits, now: Timestamp) -> Self {
        PairCounter {
            limits,
            value: Fixed::ZERO,
            at: now,
            last_drift: None,
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The counter at `now`, decayed since the last change.
    pub fn value_at(&self, now: Timestamp) -> Fixed {
        let elapsed_ms = now.millis_since(self.at).max(0);
        let elapsed_s = Fixed::from_raw(elapsed_ms.saturating_mul(1_000_000));
        let decayed = self
            .limits
            .decay_per_sec
            .mul_round(elapsed_s, 9, Rounding::Floor)
            .unwrap_or(Fixed::MAX);
        if decayed >= self.value {
            Fixed::ZERO
        } else {
            self.value - decayed
        }
    }

    /// Threshold minus the counter at `now`.
    pub fn headroom(&self, now: Timestamp) -> Fixed {
        self.limits.threshold - self.value_at(now)
    }

    fn usable(&self, action: &Action) -> Fixed {
        if action.may_use_reserve() {
            self.limits.threshold
        } else {
            self.limits.threshold - self.limits.reserve
        }
    }

    /// May `action` be sent at `now`?
    pub fn check(&self, now: Timestamp, action: &Action) -> Decision {
        let cost = action.cost();
        let usable = self.usable(action);
        if cost > usable {
            return Decision::Never { cost, usable };
        }
        let value = self.value_at(now);
        let after = value + cost;
        if after <= usable {
            return Decision::Send { after };
        }
        let need = after - usable;
        // Seconds to decay `need`, rounded up to the millisecond.
        let wait_ms = need
            .div_round(self.limits.decay_per_sec, 3, Rounding::Ceil)
            .map(|s| s.raw() / 1_000_000)
            .unwrap_or(i64::MAX / 2);
        Decision::Defer {
            until: Timestamp::from_millis(now.millis().saturating_add(wait_ms)),
            cost,
        }
    }

    /// Count an action that was sent at `now` (whether or not it was allowed: Kraken counts
    /// what it receives).
    pub fn record(&mut self, now: Timestamp, action: &Action) {
        let value = self.value_at(now);
        self.value = value + action.cost();
        self.at = now.max(self.at);
    }

    /// Take Kraken's reading (`ratecounter`) at `now` as the truth; return local − Kraken.
    pub fn reconcile(&mut self, now: Timestamp, observed: Fixed) -> Fixed {
        let drift = self.value_at(now) - observed;
        self.value = observed.max(Fixed::ZERO);
        self.at = now.max(self.at);
        self.last_drift = Some(drift);
        drift
    }

    /// Whether `adding` more orders fit under the tier's open-order cap.
    pub fn open_orders_fit(&self, open_now: u32, adding: u32) -> bool {
        open_now.saturating_add(adding) <= self.limits.max_open_orders
    }

    pub fn status(&self, now: Timestamp) -> CounterStatus {
        CounterStatus {
            value: self.value_at(now),
            threshold: self.limits.threshold,
            headroom: self.headroom(now),
            last_drift: self.last_drift,
        }
    }
}

/// Counters for every pair of one account.
#[derive(Clone, Debug)]
pub struct TradingCounters {
    limits: Limits,
    pairs: BTreeMap<String, PairCounter>,
}

impl TradingCounters {
    pub fn new(limits: Limits) -> Self {
        TradingCounters {
            limits,
            pairs: BTreeMap::new(),
        }
    }

    fn pair(&mut self, symbol: &str, now: Timestamp) -> &mut PairCounter {
        let limits = self.limits;
        self.pairs
            .entry(symbol.to_string())
            .or_insert_with(|| PairCounter::new(limits, now))
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn check(&self, symbol: &str, now: Timestamp, action: &Action) -> Decision {
        match self.pairs.get(symbol) {
            Some(c) => c.check(now, action),
            None => PairCounter::new(self.limits, now).check(now, action),
        }
    }

    pub fn record(&mut self, symbol: &str, now: Timestamp, action: &Action) {
        self.pair(symbol, now).record(now, action);
    }

    pub fn reconcile(&mut self, symbol: &str, now: Timestamp, observed: Fixed) -> Fixed {
        self.pair(symbol, now).reconcile(now, observed)
    }

    /// Every pair's state at `now`, by symbol.
    pub fn status(&self, now: Timestamp) -> BTreeMap<String, CounterStatus> {
        self.pairs
            .iter()
            .map(|(s, c)| (s.clone(), c.status(now)))
            .collect()
    }
}
