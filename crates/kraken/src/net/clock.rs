//! Where the shells read the time.
//!
//! Invariant: every [`Timestamp`] a shell produces (a nonce, a message's `received_at`) comes
//! from a [`Clock`], so tests can drive it ([`ManualClock`]) and a backtest-like replay can
//! substitute its own. Durations (timeouts, watchdogs) deliberately do not: they use tokio's
//! monotonic clock (see [`crate::net`]).

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use flywheel_core::Timestamp;

/// A source of wall-clock time.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system wall clock (milliseconds since the Unix epoch, negative before it).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
        };
        Timestamp::from_millis(ms)
    }
}

/// A clock set by hand; clones share the same time.
#[derive(Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(at: Timestamp) -> Self {
        ManualClock(Arc::new(AtomicI64::new(at.millis())))
    }
    pub fn set(&self, at: Timestamp) {
        self.0.store(at.millis(), Ordering::SeqCst);
    }
    /// Move by `ms` (negative moves it backwards, as a wall clock may).
    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::SeqCst))
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ManualClock({})", self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_is_shared_and_may_go_back() {
        let c = ManualClock::new(Timestamp::from_millis(1_000));
        let d = c.clone();
        d.advance_ms(500);
        assert_eq!(c.now(), Timestamp::from_millis(1_500));
        c.advance_ms(-2_000);
        assert_eq!(d.now(), Timestamp::from_millis(-500));
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now().millis() > 1_577_836_800_000);
    }
}
