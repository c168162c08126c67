//! The mock's clock: the wall clock as a [`Timestamp`], through one function, plus an offset
//! tests can move forward (a dead-man switch armed for 60 s fires without a 60 s sleep).
//!
//! Invariant: [`Clock::now`] is the only place the mock reads time for its ledger, its
//! counters and its frames; the offset only ever grows, so the clock never runs backwards.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use flywheel_core::Timestamp;

/// Wall-clock milliseconds since the Unix epoch (0 if the system clock is before it).
pub fn wall_clock() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Timestamp::from_millis(ms)
}

/// Wall clock plus a forward offset.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        let base = wall_clock();
        Timestamp::from_millis(
            base.millis()
                .saturating_add(self.offset_ms.load(Ordering::SeqCst)),
        )
    }

    /// Move the clock forward by `ms` (negative values are ignored).
    pub fn advance(&self, ms: i64) {
        if ms > 0 {
            self.offset_ms.fetch_add(ms, Ordering::SeqCst);
        }
    }
}
