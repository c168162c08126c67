//! Run counters and the sampled time series the summary and report are built from.
//!
//! The series keep at most [`Series::CAP`] points: when full, every second point is dropped
//! and the sampling stride doubles, so memory stays flat however long the run.

use std::collections::BTreeMap;

use flywheel_core::{Price, Qty, Quote, Timestamp, Wide};
use serde::{Deserialize, Serialize};

/// Counters of one run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Stats {
    pub orders_placed: u64,
    pub orders_filled: u64,
    pub orders_cancelled: u64,
    pub rejected: BTreeMap<String, u64>,
    pub entries_deferred: u64,
    pub exit_place_failures: u64,
    pub invariant_violations: u64,
    /// Loops that skipped trading because the mark was stale.
    pub stale_loops: u64,
    /// Market prices not adopted as the mark: the account could not be valued at them
    /// exactly (each halts trading).
    pub marks_refused: u64,
    /// Computations that could not be done exactly (each halts trading with its reason).
    pub arithmetic_faults: u64,
    pub volume_drift: u64,
    /// Orders whose outcome the venue could not tell (each settled later by an event).
    pub orders_unknown: u64,
    /// Orders proven never placed after an unknown outcome (each sent again under a new id).
    pub never_placed: u64,
    /// Venue events that contradicted their order's known state (journalled; must be 0).
    pub venue_contradictions: u64,
    /// Of the untracked executions: orders that executed while a cancel the slot had asked
    /// for (letting the order go) was on its way — possible only when cancels take time.
    pub cancel_race_fills: u64,
    pub fill_rejects: u64,
    pub untracked_executions: u64,
    pub round_trips: u64,
    pub wins: u64,
    pub losses: u64,
    /// Running totals are [`Wide`]: a long run's flows outgrow a single `Fixed`.
    pub realized: Wide,
    pub released_positions: u64,
    /// Σ of the released positions' results at the mark when released (fees included).
    pub released_pnl_at_release: Wide,
    /// Σ base left by releases: + held (bought B entries), − owed (sold A entries).
    pub released_base: Wide,
    /// Σ of that base valued at each release's mark.
    pub released_value_at_release: Wide,
    /// Σ of all execution fees (venue side).
    pub fees_paid: Wide,
    pub base_bought: Wide,
    pub base_sold: Wide,
    pub quote_spent: Wide,
    pub quote_received: Wide,
    pub short_only_slot_ms: i64,
    pub long_only_slot_ms: i64,
    /// Highest mark-to-market equity seen at a loop.
    pub equity_peak: Wide,
    /// Largest fall from a previous peak of mark-to-market equity, sampled every loop.
    pub max_drawdown: Wide,
    pub idle_ratio_sum: f64,
    pub idle_ratio_samples: u64,
    /// Σ over loops of the free quote (at the venue: not committed to any buy order), and of
    /// its share of the quote balance — seed 001 §1's gauge of quote left idle.
    pub free_quote_sum: Wide,
    pub free_quote_share_sum: f64,
    /// The same, beyond the governor's runway.
    pub free_beyond_runway_sum: Wide,
    pub free_beyond_runway_share_sum: f64,
}

impl Stats {
    pub fn reject(&mut self, name: &str) {
        *self.rejected.entry(name.to_string()).or_insert(0) += 1;
    }
}

/// Mark-to-market equity `quote + base × price`, exact at any price (a [`Wide`], so a
/// hostile mark can never overflow it into a wrong or zero value).
pub fn equity_at(b: &flywheel_venue::Balances, price: Price) -> Wide {
    Wide::from(b.quote.total.fixed())
        + Wide::product(
            b.base.total.fixed(),
            price.fixed(),
            flywheel_core::Rounding::HalfEven,
        )
}

/// Start + Σ executions − Σ fees == end, exactly, for both assets (the flows are the run's
/// [`Wide`] totals).
pub fn ledger_reconciles(
    start: &flywheel_venue::Balances,
    end: &flywheel_venue::Balances,
    base: (Wide, Wide),
    quote: (Wide, Wide),
    fees: Wide,
) -> bool {
    let (bought, sold) = base;
    let (received, spent) = quote;
    Wide::from(start.base.total) + bought - sold == Wide::from(end.base.total)
        && Wide::from(start.quote.total) + received - spent - fees == Wide::from(end.quote.total)
}

/// One sample of the run's state.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Sample {
    pub ts: Timestamp,
    pub price: Price,
    /// Valued at a hostile mark, equity can exceed the `Fixed` range: it is a [`Wide`].
    pub equity: Wide,
    pub realized: Wide,
    pub base: Qty,
    pub quote: Quote,
    /// Idle USD ratio, percent.
    pub idle_pct: f64,
    /// Idle USD (scoreboard).
    pub idle_usd: Quote,
    /// The governor's idle target, percent.
    pub target_pct: f64,
    /// Governor skew and the size multipliers in force.
    pub skew: f64,
    pub size_mult_a: f64,
    pub size_mult_b: f64,
}

/// A fill marker for the report's price chart.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct FillMark {
    pub ts: Timestamp,
    pub price: Price,
    pub buy: bool,
}

/// A bounded, decimating time series. Its stride and count of pushes serialize with the
/// points: a restored series keeps sampling on the same beat.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Series<T> {
    pub points: Vec<T>,
    stride: u64,
    seen: u64,
}

impl<T> Default for Series<T> {
    fn default() -> Self {
        Series {
            points: Vec::new(),
            stride: 1,
            seen: 0,
        }
    }
}

impl<T> Series<T> {
    pub const CAP: usize = 2000;

    /// `n` pushes of `f(0)`, `f(1)`, …, building only the points that are kept: the
    /// same series as `n` calls of [`Self::push`], in time proportional to the points kept.
    pub fn push_run(&mut self, n: u64, mut f: impl FnMut(u64) -> T) {
        let mut i = 0;
        while i < n {
            // The next push that lands on the stride; the ones before it only count.
            let skip = (self.stride - self.seen % self.stride) % self.stride;
            if skip >= n - i {
                self.seen += n - i;
                return;
            }
            self.seen += skip;
            i += skip;
            self.push(f(i));
            i += 1;
        }
    }

    pub fn push(&mut self, v: T) {
        self.seen += 1;
        if !(self.seen - 1).is_multiple_of(self.stride) {
            return;
        }
        if self.points.len() >= Self::CAP {
            let mut i = 0;
            self.points.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.stride *= 2;
            if !(self.seen - 1).is_multiple_of(self.stride) {
                return;
            }
        }
        self.points.push(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_stays_bounded_and_keeps_the_start() {
        let mut s = Series::default();
        for i in 0..100_000u64 {
            s.push(i);
        }
        assert!(s.points.len() <= Series::<u64>::CAP);
        assert!(s.points.len() > Series::<u64>::CAP / 4);
        assert_eq!(s.points[0], 0);
        assert!(s.points.windows(2).all(|w| w[0] < w[1]));
    }
}
