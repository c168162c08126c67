//! The maker's run figures (the `maker` block of the JSON summary) and its status snapshot
//! (the seed's gauges). Read-only views of the engine; nothing here changes state.

use std::collections::BTreeMap;

use flywheel_core::{Qty, Quote, Side};
use flywheel_maker::MakerTelemetry;
use flywheel_venue::Venue;
use serde::Serialize;

use super::MakerEngine;

/// Summary figures of the maker (`maker` in the JSON).
#[derive(Clone, Debug, Serialize)]
pub struct MakerFigures {
    pub fifo_realized_quote: Quote,
    pub unrealized_quote: flywheel_core::Wide,
    pub fees_quote: Quote,
    pub volume_base: Qty,
    pub inventory: InventoryFigures,
    pub pnl_guard_activations: u64,
    pub pnl_guard_activations_per_hour: f64,
    pub hedger: HedgerFigures,
    pub quote_fills: u64,
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

#[derive(Clone, Debug, Serialize)]
pub struct HedgerFigures {
    pub clips: u64,
    pub passive: u64,
    pub aggressive: u64,
    pub avg_slippage_bps: Option<f64>,
    pub volume_base: flywheel_core::Wide,
    pub fees_quote: flywheel_core::Wide,
}

impl<V: Venue, J: crate::maker_journal::MakerSink> MakerEngine<V, J> {
    pub fn figures(&self, hours: f64) -> MakerFigures {
        let c = &self.hedger.counters;
        let activations = self.state.guard.activations();
        MakerFigures {
            fifo_realized_quote: self.fifo.realized(),
            unrealized_quote: self.fifo.unrealized_exact(self.mid),
            fees_quote: self.fifo.fees(),
            volume_base: self.fifo.volume(),
            inventory: InventoryFigures {
                final_base: self.fifo.inventory(),
                max_abs: self.stats.max_abs_inventory,
                p99_abs: self.inventory_percentile(99.0),
                pct_time_within_0_01: if self.stats.measured_ms > 0 {
                    100.0 * self.stats.within_0_01_ms as f64 / self.stats.measured_ms as f64
                } else {
                    0.0
                },
            },
            pnl_guard_activations: activations,
            pnl_guard_activations_per_hour: if hours > 0.0 {
                activations as f64 / hours
            } else {
                0.0
            },
            hedger: HedgerFigures {
                clips: c.clips,
                passive: c.passive_fills,
                aggressive: c.aggressive_fills,
                avg_slippage_bps: c.avg_slippage_bps().map(|r| r.to_f64()),
                volume_base: c.volume,
                fees_quote: c.fees,
            },
            quote_fills: self.stats.quote_fills,
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
    pub inventory_base: Qty,
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
            inventory_base: self.fifo.inventory(),
            unrealized_quote: self.fifo.unrealized_exact(self.mid),
            bid_size: size(Side::Buy),
            ask_size: size(Side::Sell),
            size_floor_bound: t.is_some_and(|t| t.size_floor_bound),
            hedger_volume_base: c.volume,
            hedger_fees_quote: c.fees,
            hedger_passive_fills: c.passive_fills,
            hedger_aggressive_fills: c.aggressive_fills,
            hedger_emergency_orders: c.emergency_orders,
        }
    }
}
