//! Open-order capacity and the entry velocity cap (spec §2.7).
//!
//! `safe_cap = max(1, floor(open_orders_limit × safety_ratio))` (168 of Kraken's 225);
//! `headroom = safe_cap − open orders`. Bands: `stop` when headroom < 10, `caution` when
//! < 20, else `ok`. In `stop` no new entry is placed; exits always are.

use flywheel_grid::EngineConfig;
use serde::{Deserialize, Serialize};

/// Capacity status band.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapacityBand {
    Ok,
    Caution,
    Stop,
}

/// Capacity figures for one loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
    pub open_orders: u32,
    pub safe_cap: u32,
    pub headroom: i64,
    pub band: CapacityBand,
    /// Entry placements allowed this loop.
    pub entry_cap: u32,
}

pub fn capacity(cfg: &EngineConfig, open_orders: u32) -> Capacity {
    let ratio = cfg.open_order_safety_ratio.fixed();
    let limit = flywheel_core::Fixed::from_int(i64::from(cfg.open_orders_limit))
        .and_then(|l| l.mul_round(ratio, 0, flywheel_core::Rounding::Floor))
        .map(|v| v.raw() / flywheel_core::fixed::SCALE)
        .unwrap_or(1);
    let safe_cap = u32::try_from(limit.max(1)).unwrap_or(u32::MAX);
    let headroom = i64::from(safe_cap) - i64::from(open_orders);
    let band = if headroom < 10 {
        CapacityBand::Stop
    } else if headroom < 20 {
        CapacityBand::Caution
    } else {
        CapacityBand::Ok
    };
    let base = cfg.max_entry_adds_per_loop.max(1);
    let entry_cap = match headroom {
        h if h <= 5 => 1,
        h if h <= 10 => base.min(2),
        h if h <= 20 => base.min(3),
        _ => base,
    };
    Capacity {
        open_orders,
        safe_cap,
        headroom,
        band,
        entry_cap,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_and_entry_cap_table() {
        let cfg = EngineConfig {
            max_entry_adds_per_loop: 4,
            ..EngineConfig::default()
        };
        // (name, open orders, headroom, band, entry cap)
        let cases = [
            ("empty book", 0, 168, CapacityBand::Ok, 4),
            ("caution", 150, 18, CapacityBand::Caution, 3),
            ("edge of caution", 148, 20, CapacityBand::Ok, 3),
            ("edge of stop", 158, 10, CapacityBand::Caution, 2),
            ("stop", 159, 9, CapacityBand::Stop, 2),
            ("nearly full", 165, 3, CapacityBand::Stop, 1),
        ];
        for (name, open, headroom, band, cap) in cases {
            let c = capacity(&cfg, open);
            assert_eq!(c.safe_cap, 168, "case {name}");
            assert_eq!(
                (c.headroom, c.band, c.entry_cap),
                (headroom, band, cap),
                "case {name}"
            );
        }
    }
}
