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
use serde::{Deserialize, Serialize};

use crate::config::GovernorConfig;

/// Size multipliers per trade.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
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

/// The names [`held_by`] gives the gates, in the order they are checked.
pub const GATE_NAMES: [&str; 3] = ["capacity", "quote_runway", "base_runway"];

/// The gate named `name` as [`held_by`] names it (a stored name read back), if it is one.
pub fn gate_named(name: &str) -> Option<&'static str> {
    GATE_NAMES.into_iter().find(|g| *g == name)
}

/// The gate that holds the skewed side at ×1.00, if one does (seed §5, in the order they
/// are checked): `capacity` (both sides), `quote_runway` (a B skew), `base_runway` (an A
/// skew). `None` when the skew acts, or there is none.
pub fn held_by(cfg: &GovernorConfig, skew: f64, gates: Gates) -> Option<&'static str> {
    if !cfg.enabled || skew == 0.0 {
        return None;
    }
    if !gates.capacity_ok {
        Some(GATE_NAMES[0])
    } else if skew > 0.0 && !gates.quote_runway_ok {
        Some(GATE_NAMES[1])
    } else if skew < 0.0 && !gates.base_runway_ok {
        Some(GATE_NAMES[2])
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

    #[test]
    fn size_sensitivity_scales_the_skew() {
        let cfg = GovernorConfig {
            size_sensitivity: 2.0,
            ..GovernorConfig::default()
        };
        // (name, skew, a, b)
        let cases = [
            ("B: 1 + 0.1 × 2", 0.1, 1.0, 1.2),
            ("A: 1 + 0.2 × 2", -0.2, 1.4, 1.0),
            ("capped at max_size_mult", 0.3, 1.0, 1.5),
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
    fn ratio_table() {
        // (name, multiplier, exact ratio)
        let cases = [
            ("above one", 1.15, "1.15"),
            ("one", 1.0, "1"),
            ("below one is one: never a scale-down", 0.5, "1"),
            ("NaN is one", f64::NAN, "1"),
            ("infinity is one", f64::INFINITY, "1"),
        ];
        for (name, m, want) in cases {
            let r = Multipliers { a: m, b: 1.0 }.ratio(TradeId::A);
            assert_eq!(r, want.parse::<Ratio>().unwrap(), "case {name}");
        }
    }

    #[test]
    fn held_by_table() {
        let cfg = GovernorConfig::default();
        let off = GovernorConfig {
            enabled: false,
            ..GovernorConfig::default()
        };
        let gates = |capacity_ok, quote_runway_ok, base_runway_ok| Gates {
            capacity_ok,
            quote_runway_ok,
            base_runway_ok,
        };
        let shut = gates(false, false, false);
        // (name, config, skew, gates, gate named)
        let cases = [
            ("disabled: nothing to hold", &off, 0.3, shut, None),
            ("no skew: nothing to hold", &cfg, 0.0, shut, None),
            ("open, B skew", &cfg, 0.3, Gates::OPEN, None),
            ("open, A skew", &cfg, -0.3, Gates::OPEN, None),
            (
                "capacity holds B",
                &cfg,
                0.3,
                gates(false, true, true),
                Some("capacity"),
            ),
            (
                "capacity holds A",
                &cfg,
                -0.3,
                gates(false, true, true),
                Some("capacity"),
            ),
            ("capacity first", &cfg, 0.3, shut, Some("capacity")),
            (
                "quote runway holds B",
                &cfg,
                0.3,
                gates(true, false, true),
                Some("quote_runway"),
            ),
            (
                "quote runway leaves A",
                &cfg,
                -0.3,
                gates(true, false, true),
                None,
            ),
            (
                "base runway holds A",
                &cfg,
                -0.3,
                gates(true, true, false),
                Some("base_runway"),
            ),
            (
                "base runway leaves B",
                &cfg,
                0.3,
                gates(true, true, false),
                None,
            ),
        ];
        for (name, c, skew, g, want) in cases {
            assert_eq!(held_by(c, skew, g), want, "case {name}");
        }
    }

    #[test]
    fn applied_skew_table() {
        let cfg = GovernorConfig::default(); // max_skew_step 0.05
                                             // (name, applied, controller skew, held, applied next)
        let cases = [
            ("held: zero at once", 0.2, 0.3, true, 0.0),
            ("held, A side: zero at once", -0.2, -0.3, true, 0.0),
            ("shrinking B: at once", 0.3, 0.1, false, 0.1),
            ("shrinking A: at once", -0.3, -0.1, false, -0.1),
            ("to zero: at once", 0.3, 0.0, false, 0.0),
            ("unchanged", 0.2, 0.2, false, 0.2),
            ("growing B: one step", 0.1, 0.3, false, 0.15),
            ("growing A: one step", -0.1, -0.3, false, -0.15),
            (
                "growing less than a step: all of it",
                0.1,
                0.12,
                false,
                0.12,
            ),
            (
                "reopened gate, B: one step from zero",
                0.0,
                0.3,
                false,
                0.05,
            ),
            (
                "reopened gate, A: one step from zero",
                0.0,
                -0.3,
                false,
                -0.05,
            ),
            ("sign change: one step, not a jump", 0.2, -0.1, false, 0.15),
        ];
        for (name, applied, skew, held, want) in cases {
            let got = applied_skew(&cfg, applied, skew, held);
            assert!((got - want).abs() < 1e-12, "case {name}: {got}");
        }
    }
}
