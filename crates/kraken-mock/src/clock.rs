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

/// The largest offset: about a hundred years.
pub const MAX_OFFSET_MS: i64 = 100 * 366 * 86_400_000;

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
            // Capped at a century: a huge advance pins the clock there instead of wrapping
            // it or reaching dates the RFC 3339 writer cannot print.
            let _ = self
                .offset_ms
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
                    Some(o.saturating_add(ms).min(MAX_OFFSET_MS))
                });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advances_forward_only_and_saturates() {
        let c = Clock::default();
        let t0 = c.now();
        c.advance(-5_000);
        assert!(c.now().millis_since(t0) < 5_000);
        c.advance(60_000);
        assert!(c.now().millis_since(t0) >= 60_000);
        c.advance(i64::MAX);
        c.advance(i64::MAX);
        let off = c.now().millis_since(wall_clock());
        assert!(
            off <= MAX_OFFSET_MS && off > MAX_OFFSET_MS - 60_000,
            "{off}"
        );
    }
}
