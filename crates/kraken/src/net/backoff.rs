//! Reconnect backoff: exponential with **full jitter** (pure).
//!
//! The n-th consecutive failed attempt (n = 0, 1, …) waits a uniformly random delay in
//! `[0, min(cap, base·2ⁿ)]` (AWS "full jitter": many clients dropped at once by an exchange
//! restart do not come back in lock step). Kraken's reconnection guide asks for exponential
//! backoff with jitter (live.md §1 "Liveness").
//!
//! Invariants:
//! - Pure and deterministic: the jitter comes from a [`Pcg64`] seeded by the caller; no clock.
//! - Every delay lies in `[0, ceiling(n)]`, `ceiling` is non-decreasing in n and never above
//!   `cap`; the arithmetic saturates instead of overflowing for any n.
//! - A connection that lived at least `reset_after` resets n to 0: a long healthy session
//!   followed by one drop reconnects fast, while a flapping server (connects, then dies at
//!   once) keeps backing off.

use std::time::Duration;

use rand_pcg::rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg64;

/// Backoff parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackoffConfig {
    pub base: Duration,
    pub cap: Duration,
    /// A connection that lived this long resets the attempt count.
    pub reset_after: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        BackoffConfig {
            base: Duration::from_millis(250),
            cap: Duration::from_secs(30),
            reset_after: Duration::from_secs(60),
        }
    }
}

impl BackoffConfig {
    /// `min(cap, base·2ⁿ)`, saturating.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.base
            .checked_mul(factor)
            .unwrap_or(self.cap)
            .min(self.cap)
    }
}

/// Scale `ceiling` by a random 64-bit value `r` to a delay in `[0, ceiling]`.
pub fn full_jitter(ceiling: Duration, r: u64) -> Duration {
    let nanos = ceiling.as_nanos();
    // r / 2^64 ∈ [0, 1): the product stays ≤ ceiling and fits u128 for any Duration.
    let scaled = nanos.saturating_mul(u128::from(r)) >> 64;
    Duration::from_nanos(u64::try_from(scaled).unwrap_or(u64::MAX))
}

/// The backoff state of one connection supervisor.
#[derive(Clone, Debug)]
pub struct Backoff {
    cfg: BackoffConfig,
    attempt: u32,
    rng: Pcg64,
}

impl Backoff {
    pub fn new(cfg: BackoffConfig, seed: u64) -> Self {
        Backoff {
            cfg,
            attempt: 0,
            rng: Pcg64::seed_from_u64(seed),
        }
    }

    /// Consecutive failures so far (the n of the next delay).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The delay before the next attempt; counts one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let d = full_jitter(self.cfg.ceiling(self.attempt), self.rng.next_u64());
        self.attempt = self.attempt.saturating_add(1);
        d
    }

    /// A connection ended after living `lived`: reset if it was healthy long enough.
    pub fn connection_ended(&mut self, lived: Duration) {
        if lived >= self.cfg.reset_after {
            self.attempt = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn ceiling_table() {
        let cfg = BackoffConfig::default();
        let cases = [
            (0, ms(250)),
            (1, ms(500)),
            (2, ms(1_000)),
            (6, ms(16_000)),
            (7, ms(30_000)), // 32 s capped
            (31, ms(30_000)),
            (32, ms(30_000)),
            (u32::MAX, ms(30_000)),
        ];
        for (n, want) in cases {
            assert_eq!(cfg.ceiling(n), want, "attempt {n}");
        }
    }

    #[test]
    fn jitter_table() {
        let c = ms(1_000);
        let cases = [
            ("zero", 0, ms(0)),
            ("half", 1u64 << 63, ms(500)),
            ("quarter", 1u64 << 62, ms(250)),
            (
                "max stays below ceiling",
                u64::MAX,
                Duration::from_nanos(999_999_999),
            ),
        ];
        for (name, r, want) in cases {
            assert_eq!(full_jitter(c, r), want, "case {name}");
        }
    }

    #[test]
    fn deterministic_per_seed_and_reset_after_a_long_session() {
        let cfg = BackoffConfig::default();
        let run = |seed| {
            let mut b = Backoff::new(cfg, seed);
            (0..5).map(|_| b.next_delay()).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));

        let mut b = Backoff::new(cfg, 1);
        for _ in 0..4 {
            b.next_delay();
        }
        assert_eq!(b.attempt(), 4);
        b.connection_ended(ms(59_999)); // flapping: keep backing off
        assert_eq!(b.attempt(), 4);
        b.connection_ended(ms(60_000));
        assert_eq!(b.attempt(), 0);
        assert!(b.next_delay() <= ms(250));
    }

    proptest! {
        #[test]
        fn delay_within_bounds(seed: u64, n in 0u32..80, base_ms in 1u64..5_000, cap_ms in 1u64..100_000) {
            let cfg = BackoffConfig { base: ms(base_ms), cap: ms(cap_ms), reset_after: ms(60_000) };
            let mut b = Backoff::new(cfg, seed);
            for _ in 0..n {
                b.next_delay();
            }
            let expected_ceiling = ms(base_ms.saturating_mul(1u64.checked_shl(n).unwrap_or(u64::MAX)).min(cap_ms));
            let ceiling = cfg.ceiling(n);
            prop_assert_eq!(ceiling, expected_ceiling.min(ms(cap_ms)));
            let d = b.next_delay();
            prop_assert!(d <= ceiling, "{:?} > {:?}", d, ceiling);
        }
    }
}
