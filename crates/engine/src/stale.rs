//! Loops on a stale mark: an exchange outage, or a gap in recorded data.
//!
//! While the mark is older than `stale_price_max_age_sec`, a loop places and cancels
//! nothing and the governor does not update (its input is not new information, and no
//! entry could act on a new skew). Executions still apply as they arrive. Such a loop only
//! accounts time: loop counts, slot-time, the idle-USD and governor figures, samples.
//!
//! Invariant: `run_stale_loops(first, n, iv)` leaves the engine exactly as `n` single stale
//! loops at `first`, `first + iv`, … would, apart from the journal (one record per call)
//! and the last bits of the f64 mean idle ratio. Nothing in a stale loop depends on how
//! many came before except through time, and each time-dependent figure changes at most
//! at known instants (see `governor_account_run`). That is what lets the backtest driver
//! cross a gap of any length in O(1) instead of simulating every empty loop.

use flywheel_core::Timestamp;
use flywheel_venue::Venue;

use crate::engine::Engine;
use crate::journal::{JournalRecord, JournalSink};

/// The time of loop `i` of a stretch starting at `first`, `interval_ms` apart (saturating:
/// a stretch can reach the end of time).
pub(crate) fn loop_time(first: Timestamp, interval_ms: i64, i: u64) -> Timestamp {
    let i = i64::try_from(i).unwrap_or(i64::MAX);
    Timestamp::from_millis(first.millis().saturating_add(interval_ms.saturating_mul(i)))
}

impl<V: Venue, J: JournalSink> Engine<V, J> {
    /// `n` loops at `first`, `first + interval_ms`, … on a stale mark.
    pub fn run_stale_loops(&mut self, first: Timestamp, n: u64, interval_ms: i64) {
        if n == 0 {
            return;
        }
        self.now = self.now.max(first);
        let first = self.now;
        self.loops += n;
        self.stats.stale_loops += n;
        self.sync();
        if self.journal.enabled() {
            self.journal.record(&JournalRecord::StaleLoops {
                ts: first,
                n,
                interval_ms,
            });
        }
        // The loss lock only changes on a new UTC day: reading it at the first and the last
        // loop's time gives the state every loop in between would have left.
        self.update_daily_loss_lock_at(first);
        if n > 1 {
            self.update_daily_loss_lock_at(loop_time(first, interval_ms, n - 1));
        }
        self.governor_hold();
        self.drain_venue();
        let dt = self
            .last_loop_at
            .map(|prev| (first.millis_since(prev), interval_ms));
        match dt {
            Some(dt) => self.close_loops(first, n, Some(dt)),
            // The very first loop has no previous one to measure time from.
            None => {
                self.close_loops(first, 1, None);
                if n > 1 {
                    let second = loop_time(first, interval_ms, 1);
                    self.close_loops(second, n - 1, Some((interval_ms, interval_ms)));
                }
            }
        }
    }

    /// Whether the mark would be stale at `at`.
    pub fn mark_stale_at(&self, at: Timestamp) -> bool {
        !self.mark.is_positive()
            || self.mark_at.is_none_or(|m| {
                at.max(self.now)
                    .elapsed_at_least(m, self.cfg.stale_price_max_age_sec + 1)
            })
    }
}
