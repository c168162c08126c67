//! The maker runtime's counters and time-weighted gauges ([`MakerStats`]), and the report's
//! samples ([`MakerSample`]).
//!
//! Time-weighting: between two steps (market events or timer ticks) the state of the first
//! holds, so each gauge adds the elapsed milliseconds to the bucket the state was in —
//! inventory (|inv| ≤ 0.01 SOL, the seed's goal, and a 0.001-wide histogram for the
//! percentiles) and the pause causes of the last quote decision. Durations are whole
//! milliseconds of engine time (`i64`; a century fits).

use std::collections::BTreeMap;

use flywheel_core::{Price, Qty, Quote, Timestamp, Wide};
use flywheel_maker::{MakerTelemetry, TrendState};
use serde::{Deserialize, Serialize};

/// The seed's inventory goal: |inventory| ≤ 0.01 (base).
pub const FLAT_ENOUGH: Qty = Qty::lit(1, 2);

/// Why quoting was (partly) paused, for the time-by-cause gauge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseCause {
    /// The high-vol pause held (both sides, or all but the reducing side).
    HighVol,
    /// The down-trend guard paused the bid.
    TrendDown,
    /// The up-trend paused the ask.
    TrendUp,
    /// Neither side was quoted, whatever the reasons.
    NoQuote,
}

impl PauseCause {
    pub const fn as_str(self) -> &'static str {
        match self {
            PauseCause::HighVol => "high_vol",
            PauseCause::TrendDown => "trend_down",
            PauseCause::TrendUp => "trend_up",
            PauseCause::NoQuote => "no_quote",
        }
    }
}

/// Run figures of the maker.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MakerStats {
    pub orders_placed: u64,
    pub orders_cancelled: u64,
    pub rejected: BTreeMap<String, u64>,
    /// Orders whose outcome the venue could not tell (each settled later by an event).
    pub orders_unknown: u64,
    /// Orders proven never placed after an unknown outcome.
    pub never_placed: u64,
    /// Venue events that contradicted their order's known state (must be 0).
    pub venue_contradictions: u64,
    pub quote_fills: u64,
    pub refreshes: u64,
    /// Quote decisions re-run between refreshes because a fill changed inventory (the
    /// resting quotes were sized for the old position).
    pub requotes: u64,
    /// Timer ticks (steps without a market event).
    pub ticks: u64,
    /// Refreshes where the venue minimum decided a side (`size_floor_bound`).
    pub floor_bound_refreshes: u64,
    pub kept: u64,
    /// Time-weighted inventory figures.
    pub within_0_01_ms: i64,
    pub measured_ms: i64,
    pub max_abs_inventory: Qty,
    /// Inventory |inv| histogram in 0.001 buckets (time-weighted, ms), for the p99.
    #[serde(skip)]
    pub histogram: BTreeMap<i64, i64>,
    /// Time (ms) each pause cause held, from the last quote decision.
    pub paused_ms: BTreeMap<PauseCause, i64>,
    pub suppressed: BTreeMap<String, u64>,
    pub fifo_errors: u64,
    /// Computations that could not be done exactly (an execution's notional).
    pub arithmetic_faults: u64,
    /// Flow totals are [`Wide`]: a long run's flows outgrow a single `Fixed`.
    pub base_bought: Wide,
    pub base_sold: Wide,
    pub quote_spent: Wide,
    pub quote_received: Wide,
    pub fees_paid: Wide,
}

impl MakerStats {
    /// Add `dt` ms spent at |inventory| `inv_abs` under the quote decision `last`.
    pub fn weigh(&mut self, dt: i64, inv_abs: Qty, last: Option<&MakerTelemetry>, quoting: bool) {
        if dt <= 0 {
            return;
        }
        self.measured_ms += dt;
        if inv_abs <= FLAT_ENOUGH {
            self.within_0_01_ms += dt;
        }
        let bucket = inv_abs.raw() / 1_000_000; // 0.001 units
        *self.histogram.entry(bucket).or_insert(0) += dt;
        let Some(t) = last else {
            return;
        };
        let mut add = |cause: PauseCause| *self.paused_ms.entry(cause).or_insert(0) += dt;
        if t.volatility_paused {
            add(PauseCause::HighVol);
        }
        if t.trend_down_guard {
            add(PauseCause::TrendDown);
        }
        if t.trend_state == TrendState::Up {
            add(PauseCause::TrendUp);
        }
        if !quoting {
            add(PauseCause::NoQuote);
        }
    }

    /// Share of the measured time with |inventory| ≤ 0.01, percent.
    pub fn pct_within_0_01(&self) -> f64 {
        pct(self.within_0_01_ms, self.measured_ms)
    }

    /// Share of the measured time each pause cause held, percent.
    pub fn pct_paused(&self) -> BTreeMap<&'static str, f64> {
        self.paused_ms
            .iter()
            .map(|(c, ms)| (c.as_str(), pct(*ms, self.measured_ms)))
            .collect()
    }

    /// The p-th percentile (0–100) of |inventory| over time, to the 0.001 bucket below.
    pub fn inventory_percentile(&self, p: f64) -> Qty {
        let total: i64 = self.histogram.values().sum();
        if total == 0 {
            return Qty::ZERO;
        }
        let target = (total as f64 * p / 100.0).ceil() as i64;
        let mut acc = 0;
        for (bucket, ms) in &self.histogram {
            acc += ms;
            if acc >= target {
                return Qty::from_raw(bucket * 1_000_000);
            }
        }
        Qty::ZERO
    }
}

fn pct(part: i64, whole: i64) -> f64 {
    if whole > 0 {
        100.0 * part as f64 / whole as f64
    } else {
        0.0
    }
}

/// One sample for the report.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct MakerSample {
    pub ts: Timestamp,
    pub mid: Price,
    pub inventory: Qty,
    pub bid_spread_bps: f64,
    pub ask_spread_bps: f64,
    pub guard: bool,
    pub realized: Quote,
}
