//! [`MakerConfig::validate`]: every out-of-range or inverted `[maker]` value at once, and
//! [`MakerConfig::cross_check`]: combinations that cannot quote as intended.
//!
//! Ranges ([`MAKER_CONFIG_RANGES`]; budgets in `flywheel_core::config_range`): instrument
//! steps, minimums and sizes share the per-order budget (10⁶), inventory limits the balance
//! budget (10⁹). Spreads are full widths in bps, at most 5000 (each side 25 % from mid, so a
//! bid stays positive); volatility and return thresholds at most 10 000 bps (100 %);
//! size factors at most 10; the maker's timers are seconds to minutes, so at most a day.
//! Spread and size arithmetic is `f64` turned into exact ratios with checked conversions, so
//! these ranges reject nonsense (NaN, infinities, negative widths) more than they protect
//! the arithmetic.
//!
//! Pairs that must be ordered (errors): `size_max ≥ base_size`, `vol_high_bps > vol_low_bps`,
//! `vol_max_spread_bps ≥ vol_min_spread_bps`, `vol_max_size_multiplier ≥
//! vol_min_size_multiplier`, `resume_threshold_bps ≤ pause_threshold_bps`, the trend release
//! thresholds below their entry thresholds (hysteresis), and the inventory tiers ascending.
//!
//! Cross-checks: a `price_band_bps` narrower than half the narrowest spread the maker can
//! quote suppresses every quote (error); narrower than half the widest spread, quotes
//! vanish in the widest state (warning); `size_max` below `min_size` under
//! `min_size_policy = reduce_only` means no quote ever opens a position (warning). The maker
//! runs with the fees of `fee_schedule`; a maker fee wider than the quoted half-spread is
//! a warning of the run itself (`MakerConfig::fee_warning`), said in the summary.

use flywheel_core::config_range::{
    check_ranges, dec, float, ge, gt, int, le, KeyRange, Num, DAY_SEC, MAX_BALANCE, MAX_ORDER,
};
use flywheel_core::{key_ranges, ConfigProblem};

use super::{MakerConfig, MinSizePolicy, Problem};

const ZERO: Num = Num::dec(0, 0);
const NO_BPS: Num = Num::Float(0.0);
/// A full spread: each side sits half of it from mid.
const SPREAD_MAX: Num = Num::Float(5_000.0);
/// A volatility or a return, bps.
const MOVE_MAX: Num = Num::Float(10_000.0);
const FACTOR_MAX: Num = Num::Float(10.0);
const UNIT: Num = Num::Float(1.0);

/// The range of every numeric `[maker]` key.
#[rustfmt::skip]
pub const MAKER_CONFIG_RANGES: &[KeyRange<MakerConfig>] = key_ranges! { MakerConfig;
    refresh_seconds: ge(int(1)), le(int(3600)), "seconds", "the quoting cadence, at most an hour";
    refresh_tolerance_bps: ge(NO_BPS), le(MOVE_MAX), "bps", "a distance from the desired price";
    tick: gt(ZERO), le(MAX_ORDER), "quote", "a price step, within the per-order budget";
    lot: gt(ZERO), le(MAX_ORDER), "base units", "a volume step, within the per-order budget";
    min_size: ge(ZERO), le(MAX_ORDER), "base units", "a venue minimum, within the per-order budget";
    min_notional: ge(ZERO), le(MAX_ORDER), "quote", "a venue minimum, within the per-order budget";
    base_size: gt(ZERO), le(MAX_ORDER), "base units", "an order size, within the per-order budget";
    size_max: gt(ZERO), le(MAX_ORDER), "base units", "an order size, within the per-order budget";
    spread_bps: ge(NO_BPS), le(SPREAD_MAX), "bps",
        "a full spread; at 5000 each side is 25 % from mid";
    randomize_bps: ge(NO_BPS), le(SPREAD_MAX), "bps", "a spread jitter";
    inventory_soft_cap: gt(ZERO), le(MAX_BALANCE), "base units",
        "an inventory, within the balance budget";
    soft_cap_size_ratio: gt(float(0.0)), le(UNIT), "", "a size factor in (0, 1]";
    vol_halflife_seconds: ge(int(1)), le(DAY_SEC), "seconds",
        "an estimator half-life, at most a day";
    vol_low_bps: ge(NO_BPS), le(MOVE_MAX), "bps", "a volatility";
    vol_high_bps: ge(NO_BPS), le(MOVE_MAX), "bps", "a volatility";
    vol_min_spread_bps: ge(NO_BPS), le(SPREAD_MAX), "bps", "a full spread";
    vol_max_spread_bps: ge(NO_BPS), le(SPREAD_MAX), "bps", "a full spread";
    vol_min_size_multiplier: gt(float(0.0)), le(FACTOR_MAX), "", "a size factor";
    vol_max_size_multiplier: gt(float(0.0)), le(FACTOR_MAX), "", "a size factor";
    high_vol_threshold_bps: ge(NO_BPS), le(MOVE_MAX), "bps", "a volatility; 0 = off";
    high_vol_size_multiplier: gt(float(0.0)), le(FACTOR_MAX), "", "a size factor";
    pause_threshold_bps: ge(NO_BPS), le(MOVE_MAX), "bps", "a volatility";
    resume_threshold_bps: ge(NO_BPS), le(MOVE_MAX), "bps", "a volatility";
    resume_inventory_ratio: ge(float(0.0)), le(float(100.0)), "", "a multiple of the soft cap";
    trend_lookback_seconds: ge(int(1)), le(DAY_SEC), "seconds", "a return window, at most a day";
    trend_threshold_bps: gt(NO_BPS), le(MOVE_MAX), "bps", "a return";
    trend_resume_threshold_bps: ge(NO_BPS), le(MOVE_MAX), "bps", "a return";
    trend_down_threshold_bps: gt(NO_BPS), le(MOVE_MAX), "bps", "a return";
    trend_down_resume_threshold_bps: ge(NO_BPS), le(MOVE_MAX), "bps", "a return";
    trend_extra_spread_bps: ge(NO_BPS), le(SPREAD_MAX), "bps", "an extra full spread";
    trend_down_extra_spread_bps: ge(NO_BPS), le(SPREAD_MAX), "bps", "an extra full spread";
    trend_down_cooldown_seconds: ge(int(0)), le(DAY_SEC), "seconds", "a pause, at most a day";
    trend_inventory_soft_cap_ratio: ge(float(0.0)), le(float(100.0)), "",
        "a multiple of the soft cap";
    regime_vol_threshold_bps: ge(NO_BPS), le(MOVE_MAX), "bps", "a volatility";
    regime_min_dwell_seconds: ge(int(0)), le(DAY_SEC), "seconds", "a dwell time, at most a day";
    aggressive_size_multiplier: gt(float(0.0)), le(FACTOR_MAX), "", "a size factor";
    aggressive_extra_spread_bps: ge(NO_BPS), le(SPREAD_MAX), "bps", "an extra full spread";
    aggressive_down_cooldown_seconds: ge(int(0)), le(DAY_SEC), "seconds", "a pause, at most a day";
    defensive_size_multiplier: gt(float(0.0)), le(FACTOR_MAX), "", "a size factor";
    defensive_extra_spread_bps: ge(NO_BPS), le(SPREAD_MAX), "bps", "an extra full spread";
    defensive_down_cooldown_seconds: ge(int(0)), le(DAY_SEC), "seconds", "a pause, at most a day";
    pnl_guard_window_seconds: ge(int(1)), le(DAY_SEC), "seconds", "a PnL window, at most a day";
    pnl_guard_realized_floor: ge(dec(-1_000_000_000, 0)), le(ZERO), "quote",
        "a loss, within the balance budget";
    pnl_guard_trigger_consecutive: ge(int(1)), le(int(1000)), "", "a count of checks";
    pnl_guard_check_interval_seconds: ge(int(1)), le(DAY_SEC), "seconds",
        "a cadence, at most a day";
    pnl_guard_widen_bps: ge(NO_BPS), le(SPREAD_MAX), "bps", "an extra full spread";
    pnl_guard_max_extra_bps: ge(NO_BPS), le(SPREAD_MAX), "bps", "an extra full spread";
    pnl_guard_size_multiplier: gt(float(0.0)), le(UNIT), "", "a size factor in (0, 1]";
    pnl_guard_min_size_multiplier: gt(float(0.0)), le(UNIT), "", "a size factor in (0, 1]";
    pnl_guard_ttl_seconds: ge(int(0)), le(DAY_SEC), "seconds", "an activation, at most a day";
    asymmetric_threshold: ge(ZERO), le(MAX_BALANCE), "base units",
        "an inventory, within the balance budget";
    inventory_tier1: ge(ZERO), le(MAX_BALANCE), "base units",
        "an inventory, within the balance budget";
    inventory_tier2: ge(ZERO), le(MAX_BALANCE), "base units",
        "an inventory, within the balance budget";
    inventory_tier3: ge(ZERO), le(MAX_BALANCE), "base units",
        "an inventory, within the balance budget";
    inventory_tier1_extra_bps: ge(NO_BPS), le(SPREAD_MAX), "bps", "an extra full spread";
    inventory_tier2_extra_bps: ge(NO_BPS), le(SPREAD_MAX), "bps", "an extra full spread";
    inventory_tier3_extra_bps: ge(NO_BPS), le(SPREAD_MAX), "bps", "an extra full spread";
    inventory_tier1_size_multiplier: gt(float(0.0)), le(UNIT), "", "a size factor in (0, 1]";
    inventory_tier2_size_multiplier: gt(float(0.0)), le(UNIT), "", "a size factor in (0, 1]";
    price_band_bps: gt(NO_BPS), le(MOVE_MAX), "bps", "a distance from mid, at most 100 %";
    max_position_units: gt(ZERO), le(MAX_BALANCE), "base units",
        "an inventory, within the balance budget";
    max_inventory_notional: gt(ZERO), le(MAX_BALANCE), "quote", "within the balance budget";
    custom_maker_fee_pct: ge(ZERO), le(dec(5, 0)), "percent", "exchange fees are below 1 %";
    custom_taker_fee_pct: ge(ZERO), le(dec(5, 0)), "percent", "exchange fees are below 1 %";
};

/// `key`'s value must be at most (`strict`: below) `other`'s; the error blames `key`.
fn at_most<T: PartialOrd + std::fmt::Display>(
    out: &mut Vec<Problem>,
    key: (&'static str, T),
    other: (&'static str, T),
    strict: bool,
    why: &str,
) {
    relate(out, key, other, strict, why, false);
}

/// `key`'s value must be at least (`strict`: above) `other`'s; the error blames `key`.
fn at_least<T: PartialOrd + std::fmt::Display>(
    out: &mut Vec<Problem>,
    key: (&'static str, T),
    other: (&'static str, T),
    strict: bool,
    why: &str,
) {
    relate(out, key, other, strict, why, true);
}

/// The one comparison behind [`at_most`] and [`at_least`] (`above`: `key` is the larger).
fn relate<T: PartialOrd + std::fmt::Display>(
    out: &mut Vec<Problem>,
    (key, value): (&'static str, T),
    (other_key, other): (&'static str, T),
    strict: bool,
    why: &str,
    above: bool,
) {
    let (ok, relation) = match (above, strict) {
        (false, true) => (value < other, "below"),
        (false, false) => (value <= other, "at most"),
        (true, true) => (value > other, "above"),
        (true, false) => (value >= other, "at least"),
    };
    if !ok {
        let message = format!("{value} must be {relation} {other_key} {other} ({why})");
        out.push(ConfigProblem::error(key, message).with_also(&[other_key]));
    }
}

impl MakerConfig {
    /// Every value outside its range in [`MAKER_CONFIG_RANGES`], and every inverted pair.
    #[rustfmt::skip]
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = check_ranges(MAKER_CONFIG_RANGES, self);
        let o = &mut out;
        let s = self;
        at_least(o, ("size_max", s.size_max), ("base_size", s.base_size), false,
            "it caps every size");
        at_least(o, ("vol_high_bps", s.vol_high_bps), ("vol_low_bps", s.vol_low_bps), true,
            "the band's ends");
        at_least(o, ("vol_max_spread_bps", s.vol_max_spread_bps),
            ("vol_min_spread_bps", s.vol_min_spread_bps), false, "the band's spreads");
        at_least(o, ("vol_max_size_multiplier", s.vol_max_size_multiplier),
            ("vol_min_size_multiplier", s.vol_min_size_multiplier), false, "the band's sizes");
        at_most(o, ("resume_threshold_bps", s.resume_threshold_bps),
            ("pause_threshold_bps", s.pause_threshold_bps), false, "a pause must be able to end");
        at_most(o, ("trend_resume_threshold_bps", s.trend_resume_threshold_bps),
            ("trend_threshold_bps", s.trend_threshold_bps), true, "hysteresis");
        at_most(o, ("trend_down_resume_threshold_bps", s.trend_down_resume_threshold_bps),
            ("trend_down_threshold_bps", s.trend_down_threshold_bps), true, "hysteresis");
        at_least(o, ("inventory_tier2", s.inventory_tier2),
            ("inventory_tier1", s.inventory_tier1), false, "tiers ascend");
        at_least(o, ("inventory_tier3", s.inventory_tier3),
            ("inventory_tier2", s.inventory_tier2), false, "tiers ascend");
        out
    }

    /// Combinations that cannot quote as intended (see the module docs).
    pub fn cross_check(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let (narrowest, widest) = self.full_spread_bounds_bps();
        let band = self.price_band_bps;
        if narrowest / 2.0 > band {
            out.push(ConfigProblem::error(
                "price_band_bps",
                format!(
                    "{band} is below half the narrowest full spread the maker quotes \
                     ({narrowest} bps): every quote falls outside the band and none is posted"
                ),
            ));
        } else if widest / 2.0 > band {
            out.push(ConfigProblem::warning(
                "price_band_bps",
                format!(
                    "{band} is below half the widest full spread the maker can quote \
                     ({widest} bps, every extra at once): in that state no quote is posted"
                ),
            ));
        }
        if self.min_size_policy == MinSizePolicy::ReduceOnly && self.size_max < self.min_size {
            out.push(
                ConfigProblem::warning(
                    "size_max",
                    format!(
                        "{} is below min_size {}: with min_size_policy reduce_only no quote \
                         ever opens a position",
                        self.size_max, self.min_size
                    ),
                )
                .with_also(&["min_size", "min_size_policy"]),
            );
        }
        out
    }

    /// The narrowest and widest full spread (bps) the quoting rules can produce: the base
    /// spread (the volatility band's ends when it is on) with no extra and the full jitter
    /// below, or with every extra that is switched on and the full jitter above.
    pub(crate) fn full_spread_bounds_bps(&self) -> (f64, f64) {
        let (base_min, base_max) = if self.volatility_enabled {
            (self.vol_min_spread_bps, self.vol_max_spread_bps)
        } else {
            (self.spread_bps, self.spread_bps)
        };
        let (regime_min, regime_max) = if self.regimes_enabled {
            let (a, d) = (
                self.aggressive_extra_spread_bps,
                self.defensive_extra_spread_bps,
            );
            (a.min(d), a.max(d))
        } else {
            (0.0, 0.0)
        };
        let trend = if self.trend_enabled {
            self.trend_extra_spread_bps
                .max(self.trend_down_extra_spread_bps)
        } else {
            0.0
        };
        let tiers = if self.inventory_tiers_enabled {
            self.inventory_tier1_extra_bps
                .max(self.inventory_tier2_extra_bps)
                .max(self.inventory_tier3_extra_bps)
        } else {
            0.0
        };
        let guard = if self.pnl_guard_enabled {
            crate::guard::PnlGuard::extra_spread_bps(self)
        } else {
            0.0
        };
        let narrowest = (base_min + regime_min - self.randomize_bps).max(0.0);
        let widest = base_max + regime_max + trend + tiers + guard + self.randomize_bps;
        (narrowest, widest)
    }
}
