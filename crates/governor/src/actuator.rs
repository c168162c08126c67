//! The actuator: turning the skew into entry sizes (seed 000 §3, §5).
//!
//! - Only the excess side scales **up**: skew > 0 (too much idle quote) scales B (buy) entries,
//!   skew < 0 scales A (sell) entries; the other side stays at ×1.00. Never a scale-down.
//! - `mult = min(1 + |skew| × size_sensitivity, max_size_mult)`.
//! - Gates that force ×1.00 (safety invariants 3 and 5): capacity band `caution`/`stop`
//!   (both sides), quote runway breached (B), base runway breached (A).
//! - Per-order starvation guard (§3.5): a scaled order may not leave less than one base order
//!   of funds for the other side; it is clamped to `max(base, free − base)`.
//!
//! Sizes are scaled in quote, before any volume conversion, so the slot state, the venue and
//! the journal all see one number (§3.3). The multiplier (an `f64` controller output) becomes
//! an exact 9-decimal ratio once, here.

use flywheel_core::{Quote, Ratio, Rounding, TradeId};
use serde::Serialize;

use crate::config::GovernorConfig;

/// Size multipliers per trade.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Multipliers {
    pub a: f64,
    pub b: f64,
}

impl Multipliers {
    pub const NEUTRAL: Multipliers = Multipliers { a: 1.0, b: 1.0 };

    pub fn of(&self, trade: TradeId) -> f64 {
        match trade {
            TradeId::A => self.a,
            TradeId::B => self.b,
        }
    }

    /// The multiplier for `trade` as an exact ratio (9 decimals, rounded down so the cap
    /// holds), for [`scale_entry`]. Convert once per loop, not per order.
    pub fn ratio(&self, trade: TradeId) -> Ratio {
        let m = self.of(trade);
        if m.is_finite() && m > 1.0 {
            Ratio::from_f64(m, Rounding::Floor).unwrap_or(Ratio::ONE)
        } else {
            Ratio::ONE
        }
    }
}

/// The multipliers a skew implies, before gates.
pub fn size_multipliers(cfg: &GovernorConfig, skew: f64) -> Multipliers {
    let mult = (1.0 + skew.abs() * cfg.size_sensitivity)
        .min(cfg.max_size_mult)
        .max(1.0);
    if skew > 0.0 {
        Multipliers { a: 1.0, b: mult }
    } else if skew < 0.0 {
        Multipliers { a: mult, b: 1.0 }
    } else {
        Multipliers::NEUTRAL
    }
}

/// Conditions that hold the actuator back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Gates {
    /// Capacity band is `ok` (not `caution`/`stop`).
    pub capacity_ok: bool,
    /// Free quote covers the quote runway floor.
    pub quote_runway_ok: bool,
    /// Free base (valued at the mark) covers the base runway floor.
    pub base_runway_ok: bool,
}

impl Gates {
    pub const OPEN: Gates = Gates {
        capacity_ok: true,
        quote_runway_ok: true,
        base_runway_ok: true,
    };
}

/// The multipliers actually applied: [`size_multipliers`] with the gates.
pub fn effective_multipliers(cfg: &GovernorConfig, skew: f64, gates: Gates) -> Multipliers {
    if !cfg.enabled || !gates.capacity_ok {
        return Multipliers::NEUTRAL;
    }
    let mut m = size_multipliers(cfg, skew);
    if !gates.quote_runway_ok {
        m.b = 1.0;
    }
    if !gates.base_runway_ok {
        m.a = 1.0;
    }
    m
}

/// The gate that holds the skewed side at ×1.00, if one does (seed §5, in the order they
/// are checked): `capacity` (both sides), `quote_runway` (a B skew), `base_runway` (an A
/// skew). `None` when the skew acts, or there is none.
pub fn held_by(cfg: &GovernorConfig, skew: f64, gates: Gates) -> Option<&'static str> {
    if !cfg.enabled || skew == 0.0 {
        return None;
    }
    if !gates.capacity_ok {
        Some("capacity")
    } else if skew > 0.0 && !gates.quote_runway_ok {
        Some("quote_runway")
    } else if skew < 0.0 && !gates.base_runway_ok {
        Some("base_runway")
    } else {
        None
    }
}

/// The skew the actuator applies after a gate: a closed gate drops it to zero at once
/// (safety first), and when the gate reopens it returns to the controller's skew by at most
/// `max_skew_step` per update (the slew limit), so sizes do not jump ×1.00 → ×1.30.
/// A move toward zero (a smaller skew, same side) is applied at once: it is always safe.
pub fn applied_skew(cfg: &GovernorConfig, applied: f64, skew: f64, held: bool) -> f64 {
    if held {
        return 0.0;
    }
    let shrinking = skew * applied >= 0.0 && skew.abs() <= applied.abs();
    if shrinking {
        return skew;
    }
    let step = cfg.max_skew_step.abs();
    applied + (skew - applied).clamp(-step, step)
}

/// Scale one fresh entry of `trade` from `base` quote by `mult` (see
/// [`Multipliers::ratio`]), with the starvation guard: the order may not leave less than
/// `base` of the funds it draws on (`free_quote` for B, `free_base_value` — free base at the
/// mark — for A). Never below `base`.
pub fn scale_entry(
    trade: TradeId,
    base: Quote,
    mult: Ratio,
    free_quote: Quote,
    free_base_value: Quote,
) -> Quote {
    if mult <= Ratio::ONE {
        return base;
    }
    let Ok(scaled) = base.scale(mult, 9, Rounding::Floor) else {
        return base;
    };
    let free = match trade {
        TradeId::B => free_quote,
        TradeId::A => free_base_value,
    };
    let scaled = if free - scaled < base {
        scaled.min(base.max(free - base))
    } else {
        scaled
    };
    scaled.max(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Quote {
        s.parse().unwrap()
    }

    #[test]
    fn multipliers_table() {
        let cfg = GovernorConfig::default();
        // (name, skew, a, b)
        let cases = [
            ("neutral", 0.0, 1.0, 1.0),
            ("excess quote scales B", 0.15, 1.0, 1.15),
            ("excess base scales A", -0.30, 1.3, 1.0),
            ("capped by max_size_mult", 0.9, 1.0, 1.5),
        ];
        for (name, skew, a, b) in cases {
            let m = size_multipliers(&cfg, skew);
            assert!(
                (m.a - a).abs() < 1e-12 && (m.b - b).abs() < 1e-12,
                "case {name}: {m:?}"
            );
        }
    }

    #[test]
    fn gates_table() {
        let cfg = GovernorConfig::default();
        let closed = |c, q, b| Gates {
            capacity_ok: c,
            quote_runway_ok: q,
            base_runway_ok: b,
        };
        // (name, skew, gates, a, b)
        let cases = [
            ("open", 0.2, Gates::OPEN, 1.0, 1.2),
            (
                "capacity caution zeroes both",
                0.2,
                closed(false, true, true),
                1.0,
                1.0,
            ),
            (
                "quote runway breached holds B",
                0.2,
                closed(true, false, true),
                1.0,
                1.0,
            ),
            (
                "base runway breached holds A",
                -0.2,
                closed(true, true, false),
                1.0,
                1.0,
            ),
            (
                "base runway does not touch B",
                0.2,
                closed(true, true, false),
                1.0,
                1.2,
            ),
        ];
        for (name, skew, gates, a, b) in cases {
            let m = effective_multipliers(&cfg, skew, gates);
            assert!(
                (m.a - a).abs() < 1e-12 && (m.b - b).abs() < 1e-12,
                "case {name}: {m:?}"
            );
        }
        let off = GovernorConfig {
            enabled: false,
            ..GovernorConfig::default()
        };
        assert_eq!(
            effective_multipliers(&off, 0.3, Gates::OPEN),
            Multipliers::NEUTRAL
        );
    }

    #[test]
    fn scale_entry_table() {
        // (name, trade, base, mult, free quote, free base value, want)
        let cases = [
            (
                "plenty of quote",
                TradeId::B,
                "1.65",
                1.05,
                "100",
                "0",
                "1.7325",
            ),
            (
                "starvation guard clamps B",
                TradeId::B,
                "2",
                1.3,
                "4.3",
                "0",
                "2.3",
            ),
            ("never below base", TradeId::B, "2", 1.3, "2.5", "0", "2"),
            (
                "A uses free base value",
                TradeId::A,
                "2",
                1.5,
                "0",
                "3.5",
                "2",
            ),
            ("A with room", TradeId::A, "2", 1.5, "0", "50", "3"),
            ("no scaling", TradeId::B, "2", 1.0, "100", "0", "2"),
        ];
        for (name, trade, base, mult, fq, fb, want) in cases {
            let m = Multipliers { a: mult, b: mult }.ratio(trade);
            assert_eq!(
                scale_entry(trade, u(base), m, u(fq), u(fb)),
                u(want),
                "case {name}"
            );
        }
    }
}
