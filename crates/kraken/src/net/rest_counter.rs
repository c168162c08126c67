//! Shadow of Kraken's per-key **REST call counter** (kraken.md §3.4), pure.
//!
//! | Tier | Max counter | Decay |
//! |---|---|---|
//! | Starter | 15 | −0.33/s |
//! | Intermediate | 20 | −0.5/s |
//! | Pro | 20 | −1/s |
//!
//! Most private calls cost +1, ledger/trade-history queries +2; `AddOrder` and `CancelOrder`
//! are on the matching-engine counter instead (cost 0 here). Kraken refuses a call that would
//! take the counter past the maximum with `EAPI:Rate limit exceeded`; repeated refusals lead
//! to a lockout, so the private REST actor asks [`RestCounter::wait`] first and sleeps.
//!
//! Invariants:
//! - Exact integer arithmetic in thousandths of a point; time is an input; a clock that goes
//!   backwards decays nothing.
//! - Decay is rounded down, so the shadow never believes it has more headroom than it has.
//! - [`RestCounter::wait`] is the shortest wait after which `value + cost ≤ max`.
//! - A refusal seen anyway ([`RestCounter::saturate`]) sets the shadow to the maximum: the
//!   exchange's counter is at least that high.

use std::time::Duration;

use flywheel_core::Timestamp;

/// Verification tier of the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestTier {
    Starter,
    Intermediate,
    Pro,
}

impl RestTier {
    /// (max counter, decay per second), both in thousandths.
    fn limits(self) -> (u64, u64) {
        match self {
            RestTier::Starter => (15_000, 330),
            RestTier::Intermediate => (20_000, 500),
            RestTier::Pro => (20_000, 1_000),
        }
    }
}

/// The counter cost of a private REST method.
pub fn cost(method: &str) -> u32 {
    match method {
        "AddOrder" | "CancelOrder" => 0,
        "TradesHistory" | "Ledgers" | "QueryLedgers" | "QueryTrades" => 2,
        _ => 1,
    }
}

/// The shadow counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestCounter {
    max: u64,
    decay_per_sec: u64,
    /// Thousandths of a point.
    value: u64,
    at: Timestamp,
}

impl RestCounter {
    pub fn new(tier: RestTier) -> Self {
        let (max, decay_per_sec) = tier.limits();
        RestCounter {
            max,
            decay_per_sec,
            value: 0,
            at: Timestamp::EPOCH,
        }
    }

    fn decay_to(&mut self, now: Timestamp) {
        let elapsed_ms = u64::try_from(now.millis_since(self.at)).unwrap_or(0);
        if elapsed_ms == 0 {
            return;
        }
        let decayed = elapsed_ms.saturating_mul(self.decay_per_sec) / 1_000;
        self.value = self.value.saturating_sub(decayed);
        self.at = now;
    }

    /// The counter at `now`, in points (rounded up).
    pub fn value_at(&mut self, now: Timestamp) -> u64 {
        self.decay_to(now);
        self.value.div_ceil(1_000)
    }

    /// How long to wait at `now` before a call of `cost` fits.
    pub fn wait(&mut self, cost: u32, now: Timestamp) -> Duration {
        self.decay_to(now);
        let need = (self.value + u64::from(cost) * 1_000).saturating_sub(self.max);
        if need == 0 || self.decay_per_sec == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis((need * 1_000).div_ceil(self.decay_per_sec))
    }

    /// Record a call of `cost` sent at `now`.
    pub fn charge(&mut self, cost: u32, now: Timestamp) {
        self.decay_to(now);
        self.value = self.value.saturating_add(u64::from(cost) * 1_000);
    }

    /// Kraken said `EAPI:Rate limit exceeded` at `now`: its counter is full.
    pub fn saturate(&mut self, now: Timestamp) {
        self.decay_to(now);
        self.value = self.value.max(self.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    #[test]
    fn costs() {
        let cases = [
            ("AddOrder", 0),
            ("CancelOrder", 0),
            ("TradesHistory", 2),
            ("BalanceEx", 1),
            ("GetWebSocketsToken", 1),
            ("CancelAllOrdersAfter", 1),
        ];
        for (m, c) in cases {
            assert_eq!(cost(m), c, "{m}");
        }
    }

    /// Worked by hand, Starter tier (max 15, −0.33/s):
    /// - t=0: seven TradesHistory pages (+2 each) → 14; an eighth (+2) would make 16 > 15,
    ///   so it must wait until 1 point has decayed: 1 / 0.33 = 3.0303 s → 3031 ms.
    /// - at t=3031: decay = floor(3031·0.33) = 1000.23 → 1.000 points; 14 − 1 = 13; +2 = 15 ✓.
    /// - then a BalanceEx (+1) → 16 > 15: wait 1/0.33 s again → 3031 ms.
    /// - at t=10 s after that: 15 − floor(10 000·0.33 thousandths)=3.3 → 11.7 → shown 12.
    #[test]
    fn starter_tier_worked_example() {
        let mut c = RestCounter::new(RestTier::Starter);
        for _ in 0..7 {
            assert_eq!(c.wait(2, t(0)), Duration::ZERO);
            c.charge(2, t(0));
        }
        assert_eq!(c.value_at(t(0)), 14);
        assert_eq!(c.wait(2, t(0)), Duration::from_millis(3_031));
        c.charge(2, t(3_031));
        assert_eq!(c.value_at(t(3_031)), 15);
        assert_eq!(c.wait(1, t(3_031)), Duration::from_millis(3_031));
        assert_eq!(c.value_at(t(13_031)), 12);
    }

    #[test]
    fn pro_tier_and_backwards_clock() {
        let mut c = RestCounter::new(RestTier::Pro);
        c.charge(20, t(1_000));
        assert_eq!(c.wait(1, t(1_000)), Duration::from_millis(1_000));
        // The clock jumps back: nothing decays, nothing breaks.
        assert_eq!(c.wait(1, t(500)), Duration::from_millis(1_000));
        assert_eq!(c.wait(1, t(2_000)), Duration::ZERO);
        assert_eq!(c.wait(0, t(2_000)), Duration::ZERO);
    }

    #[test]
    fn saturate_after_a_refusal() {
        let mut c = RestCounter::new(RestTier::Intermediate);
        c.charge(1, t(0));
        c.saturate(t(0));
        assert_eq!(c.value_at(t(0)), 20);
        assert_eq!(c.wait(1, t(0)), Duration::from_millis(2_000));
    }
}
