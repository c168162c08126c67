//! The maker's run figures (the `maker` block of the JSON summary) and its status snapshot
//! (the seed's gauges). Read-only views of the engine; nothing here changes state.

use std::collections::BTreeMap;

use flywheel_core::{Qty, Quote, Ratio, Side};
use flywheel_maker::MakerTelemetry;
use flywheel_venue::Venue;
use serde::Serialize;

use super::MakerEngine;

/// Summary figures of the maker (`maker` in the JSON).
#[derive(Clone, Debug, Serialize)]
pub struct MakerFigures {
    /// The fee schedule that applied, and the warning it calls for.
    pub fees: FeeFigures,
    pub fifo_realized_quote: Quote,
    pub unrealized_quote: flywheel_core::Wide,
    pub fees_quote: Quote,
    pub volume_base: Qty,
    pub inventory: InventoryFigures,
    pub pnl_guard_activations: u64,
    pub pnl_guard_activations_per_hour: f64,
    /// High-vol pauses entered.
    pub high_vol_pauses: u64,
    pub high_vol_pauses_per_hour: f64,
    /// Share of the time each pause cause held, percent (`high_vol`: the high-vol pause;
    /// `trend_down` / `trend_up`: the trend filter paused the bid / the ask; `no_quote`:
    /// neither side quoted, whatever the reasons).
    pub pct_time_paused: BTreeMap<&'static str, f64>,
    pub hedger: HedgerFigures,
    pub quote_fills: u64,
    /// Quote decisions on the refresh cadence, and re-quotes after fills between them.
    pub refreshes: u64,
    pub requotes: u64,
    /// Share of quote refreshes where the venue minimum, not the multipliers, decided a
    /// side's size (raised to it or suppressed), percent.
    pub pct_refreshes_floor_bound: f64,
    pub suppressed: BTreeMap<String, u64>,
    pub telemetry: Option<MakerTelemetry>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InventoryFigures {
    pub final_base: Qty,
    pub max_abs: Qty,
    pub p99_abs: Qty,
    pub pct_time_within_0_01: f64,
}

/// The fees of the run.
#[derive(Clone, Debug, Serialize)]
pub struct FeeFigures {
    /// `lighter`, `kraken` or `custom` (`maker.fee_schedule`).
    pub schedule: &'static str,
    pub maker_fee_pct: Ratio,
    pub taker_fee_pct: Ratio,
    /// Said plainly when the maker fee is at least the half-spread the maker quotes.
    pub warning: Option<String>,
}

/// The hedger's clips by kind.
#[derive(Clone, Debug, Serialize)]
pub struct HedgerFigures {
    pub clips: u64,
    /// Fills of passive legs, and of IOCs.
    pub passive: u64,
    pub aggressive: u64,
    /// IOCs sent because the position sat above trigger too long, and in emergency.
    pub forced_aggressive: u64,
    pub emergency_orders: u64,
    /// Residue episodes (a clip was due, |inventory| below the venue minimum).
    pub skipped_below_minimum: u64,
    /// Residues closed by the two-step.
    pub two_step_flattens: u64,
    /// Clips larger than the clip cap (the venue minimum required it).
    pub clips_over_cap: u64,
    pub avg_slippage_bps: Option<f64>,
    pub volume_base: flywheel_core::Wide,
    pub fees_quote: flywheel_core::Wide,
}

impl<V: Venue, J: crate::maker_journal::MakerSink> MakerEngine<V, J> {
    pub fn figures(&self, hours: f64) -> MakerFigures {
        let c = &self.hedger.counters;
        let activations = self.state.guard.activations();
        let per_hour = |n: u64| if hours > 0.0 { n as f64 / hours } else { 0.0 };
        let rates = self.cfg.fee_rates();
        MakerFigures {
            fees: FeeFigures {
                schedule: rates.schedule.as_str(),
                maker_fee_pct: rates.maker_fee_pct,
                taker_fee_pct: rates.taker_fee_pct,
                warning: self.cfg.fee_warning(),
            },
            fifo_realized_quote: self.fifo.realized(),
            unrealized_quote: self.fifo.unrealized_exact(self.mid),
            fees_quote: self.fifo.fees(),
            volume_base: self.fifo.volume(),
            inventory: InventoryFigures {
                final_base: self.fifo.inventory(),
                max_abs: self.stats.max_abs_inventory,
                p99_abs: self.stats.inventory_percentile(99.0),
                pct_time_within_0_01: self.stats.pct_within_0_01(),
            },
            pnl_guard_activations: activations,
            pnl_guard_activations_per_hour: per_hour(activations),
            high_vol_pauses: self.state.vol.pauses(),
            high_vol_pauses_per_hour: per_hour(self.state.vol.pauses()),
            pct_time_paused: self.stats.pct_paused(),
            hedger: HedgerFigures {
                clips: c.clips,
                passive: c.passive_fills,
                aggressive: c.aggressive_fills,
                forced_aggressive: c.forced_aggressive,
                emergency_orders: c.emergency_orders,
                skipped_below_minimum: c.skipped_below_minimum,
                two_step_flattens: c.two_step_flattens,
                clips_over_cap: c.clips_over_cap,
                avg_slippage_bps: c.avg_slippage_bps().map(|r| r.to_f64()),
                volume_base: c.volume,
                fees_quote: c.fees,
            },
            quote_fills: self.stats.quote_fills,
            refreshes: self.stats.refreshes,
            requotes: self.stats.requotes,
            pct_refreshes_floor_bound: if self.stats.refreshes > 0 {
                100.0 * self.stats.floor_bound_refreshes as f64 / self.stats.refreshes as f64
            } else {
                0.0
            },
            suppressed: self.stats.suppressed.clone(),
            telemetry: self.telemetry.clone(),
        }
    }
}

/// The maker's status snapshot: the seed's gauges plus inventory, sizes and hedger counters.
#[derive(Clone, Debug, Serialize)]
pub struct MakerStatus {
    pub maker_fifo_realized_quote: Quote,
    /// 0 = defensive, 1 = aggressive.
    pub maker_regime_state: u8,
    pub maker_volatility_bps: f64,
    pub maker_trend_down_guard: bool,
    pub maker_pnl_guard_active: bool,
    /// `maker_volatility_paused`: the high-vol pause holds.
    pub maker_volatility_paused: bool,
    /// `lighter`, `kraken` or `custom`.
    pub fee_schedule: &'static str,
    pub inventory_base: Qty,
    /// `maker.inventory_soft_cap`: the threshold inventory is compared against.
    pub inventory_soft_cap: Qty,
    /// The operator pause (no quotes placed).
    pub paused: bool,
    /// Why quoting is halted (a live session's ledger mismatch, a venue halt); absent when
    /// it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub halted: Option<String>,
    pub unrealized_quote: flywheel_core::Wide,
    pub bid_size: Option<Qty>,
    pub ask_size: Option<Qty>,
    /// The venue minimum decided a side in the last quote decision (raised to it, or
    /// suppressed because the minimum would have grown |inventory|).
    pub size_floor_bound: bool,
    pub hedger_volume_base: flywheel_core::Wide,
    pub hedger_fees_quote: flywheel_core::Wide,
    pub hedger_passive_fills: u64,
    pub hedger_aggressive_fills: u64,
    pub hedger_emergency_orders: u64,
    /// Residue episodes the hedger could not clip at once (below the venue minimum).
    pub hedger_skipped_clips: u64,
    pub hedger_two_step_flattens: u64,
    pub hedger_clips_over_cap: u64,
    /// Seconds each pause cause held so far.
    pub paused_seconds: BTreeMap<&'static str, f64>,
}

impl<V: Venue, J: crate::maker_journal::MakerSink> MakerEngine<V, J> {
    pub fn status(&self) -> MakerStatus {
        let t = self.telemetry.as_ref();
        let c = &self.hedger.counters;
        let size = |side: Side| {
            self.resting
                .get(&side)
                .and_then(|txid| self.tracks.get(txid))
                .map(|t| t.qty - t.filled)
        };
        MakerStatus {
            maker_fifo_realized_quote: self.fifo.realized(),
            maker_regime_state: t.map_or(0, |t| t.regime_state),
            maker_volatility_bps: t.map_or(0.0, |t| t.volatility_bps),
            maker_trend_down_guard: t.is_some_and(|t| t.trend_down_guard),
            maker_pnl_guard_active: self.state.guard.active(self.now),
            maker_volatility_paused: t.is_some_and(|t| t.volatility_paused),
            fee_schedule: self.cfg.fee_schedule.as_str(),
            inventory_base: self.fifo.inventory(),
            inventory_soft_cap: self.cfg.inventory_soft_cap,
            paused: self.operator_paused,
            halted: self.halted.clone(),
            unrealized_quote: self.fifo.unrealized_exact(self.mid),
            bid_size: size(Side::Buy),
            ask_size: size(Side::Sell),
            size_floor_bound: t.is_some_and(|t| t.size_floor_bound),
            hedger_volume_base: c.volume,
            hedger_fees_quote: c.fees,
            hedger_passive_fills: c.passive_fills,
            hedger_aggressive_fills: c.aggressive_fills,
            hedger_emergency_orders: c.emergency_orders,
            hedger_skipped_clips: c.skipped_below_minimum,
            hedger_two_step_flattens: c.two_step_flattens,
            hedger_clips_over_cap: c.clips_over_cap,
            paused_seconds: self
                .stats
                .paused_ms
                .iter()
                .map(|(cause, ms)| (cause.as_str(), *ms as f64 / 1000.0))
                .collect(),
        }
    }
}
