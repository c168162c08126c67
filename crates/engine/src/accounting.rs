//! Step 7 of the loop, and the same for a stretch of identical loops: the idle-USD
//! scoreboard, slot-time, governor and leak accounting, equity, drawdown and samples.
//!
//! Invariant: `close_loops(first, n, dt)` accounts exactly what `n` single loops at
//! `first`, `first + interval`, … would (see `stale.rs`); money sums across orders and slots
//! are [`Wide`], so no sum of valid amounts can overflow.

use flywheel_core::{Quote, Timestamp, Wide};
use flywheel_venue::Venue;

use crate::engine::Engine;
use crate::journal::{JournalRecord, JournalSink};
use crate::scoreboard::{scoreboard, Scoreboard};
use crate::stale::loop_time;
use crate::stats::Sample;

impl<V: Venue, J: JournalSink> Engine<V, J> {
    /// The idle-USD scoreboard from the venue's balances and the resting buys now.
    pub(crate) fn compute_scoreboard(&self) -> Scoreboard {
        let bal = self.venue.balances();
        let committed = match self.fresh_slot_figures() {
            Some(figures) => figures.committed_buys,
            None => self.committed_buys(),
        };
        scoreboard(
            bal.quote.total,
            committed,
            self.next_entries_at(&self.sizing),
        )
    }

    /// Step 7 of one loop.
    pub(crate) fn finish_loop(&mut self) {
        let dt = self.last_loop_at.map(|prev| self.now.millis_since(prev));
        self.close_loops(self.now, 1, dt.map(|dt| (dt, 0)));
    }

    /// Step 7 for `n` identical loops at `first`, `first + interval`, …: the scoreboard,
    /// slot-time, governor and leak accounting, equity and samples. `dt` is `(ms since the
    /// previous loop for the first one, interval ms)`, or `None` when no loop ran before.
    /// With `n == 1` this is exactly one loop's step 7; a stale stretch calls it once for
    /// all its loops (nothing the accounting reads changes between them).
    pub(crate) fn close_loops(&mut self, first: Timestamp, n: u64, dt: Option<(i64, i64)>) {
        self.now = self.now.max(first);
        for idx in 0..self.slots.len() {
            self.note_degradation(idx);
        }
        let bal = self.venue.balances();
        self.scoreboard = self.scoreboard_now();
        let idle_pct = self.scoreboard.idle_usd_pct.to_f64();
        self.stats.idle_ratio_sum += idle_pct / 100.0 * n as f64;
        let free = bal.free_quote();
        self.stats.free_quote_sum += Wide::from(free).times(n);
        // Beyond the runway the governor targets: what the B allocation should have deployed.
        let beyond = (free - self.sizing.b.runway).max(Quote::ZERO);
        self.stats.free_beyond_runway_sum += Wide::from(beyond).times(n);
        if bal.quote.total.is_positive() {
            let total = bal.quote.total.to_f64();
            self.stats.free_quote_share_sum += free.to_f64() / total * n as f64;
            self.stats.free_beyond_runway_share_sum += beyond.to_f64() / total * n as f64;
        }
        self.stats.idle_ratio_samples += n;
        let interval = dt.map_or(0, |(_, iv)| iv);
        let loop_ts = |i: u64| loop_time(first, interval, i);
        let last = loop_ts(n.saturating_sub(1));
        if let Some((dt0, iv)) = dt {
            // The first loop lasted dt0, the others iv each: the stretch ends at `last`.
            let total = dt0.saturating_add(last.millis_since(first));
            for s in &self.slots {
                if s.state.short_only {
                    self.stats.short_only_slot_ms += total;
                }
                if s.state.long_only {
                    self.stats.long_only_slot_ms += total;
                }
            }
            self.governor_account_run(first, n, dt0, iv);
            self.leak_account_run(n, dt0, iv);
        }
        self.now = self.now.max(last);
        self.last_loop_at = Some(self.now);
        let equity = crate::stats::equity_at(&bal, self.mark);
        if equity > self.stats.equity_peak {
            self.stats.equity_peak = equity;
        }
        self.stats.max_drawdown = self.stats.max_drawdown.max(self.stats.equity_peak - equity);
        let sample = Sample {
            ts: first,
            price: self.mark,
            equity,
            realized: self.stats.realized,
            base: bal.base.total,
            quote: bal.quote.total,
            idle_pct,
            idle_usd: self.scoreboard.idle_usd,
            target_pct: self.governor.cfg.target_idle_pct * 100.0,
            skew: self.governor.state.current_skew,
            size_mult_a: self.governor.mult.a,
            size_mult_b: self.governor.mult.b,
        };
        self.samples.push_run(n, |i| Sample {
            ts: loop_ts(i),
            ..sample
        });
        if self.journal.enabled() {
            let sb = self.scoreboard;
            self.journal.record(&JournalRecord::LoopEnd {
                ts: self.now,
                scoreboard: &sb,
            });
        }
    }
}
