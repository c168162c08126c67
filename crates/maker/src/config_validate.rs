//! [`MakerConfig::validate`]: every out-of-range `[maker]` value at once.

use super::{MakerConfig, Problem};

impl MakerConfig {
    /// Every out-of-range value.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut check = |ok: bool, key: &'static str, message: &'static str| {
            if !ok {
                out.push(Problem { key, message });
            }
        };
        let nonneg = |x: f64| x.is_finite() && x >= 0.0;
        let factor = |x: f64| x.is_finite() && x > 0.0;
        let unit = |x: f64| x.is_finite() && x > 0.0 && x <= 1.0;

        check(
            self.refresh_seconds >= 1,
            "refresh_seconds",
            "must be >= 1 second",
        );
        check(
            nonneg(self.refresh_tolerance_bps),
            "refresh_tolerance_bps",
            "must be >= 0",
        );
        check(self.tick.is_positive(), "tick", "must be > 0");
        check(self.lot.is_positive(), "lot", "must be > 0");
        check(!self.min_size.is_negative(), "min_size", "must be >= 0");
        check(
            !self.min_notional.is_negative(),
            "min_notional",
            "must be >= 0",
        );
        check(self.base_size.is_positive(), "base_size", "must be > 0");
        check(
            self.size_max >= self.base_size,
            "size_max",
            "must be >= base_size",
        );
        check(nonneg(self.spread_bps), "spread_bps", "must be >= 0");
        check(nonneg(self.randomize_bps), "randomize_bps", "must be >= 0");
        check(
            self.inventory_soft_cap.is_positive(),
            "inventory_soft_cap",
            "must be > 0",
        );
        check(
            unit(self.soft_cap_size_ratio),
            "soft_cap_size_ratio",
            "must be in (0, 1]",
        );

        check(
            self.vol_halflife_seconds >= 1,
            "vol_halflife_seconds",
            "must be >= 1 second",
        );
        check(nonneg(self.vol_low_bps), "vol_low_bps", "must be >= 0");
        check(
            self.vol_high_bps.is_finite() && self.vol_high_bps > self.vol_low_bps,
            "vol_high_bps",
            "must be > vol_low_bps",
        );
        check(
            nonneg(self.vol_min_spread_bps),
            "vol_min_spread_bps",
            "must be >= 0",
        );
        check(
            self.vol_max_spread_bps.is_finite()
                && self.vol_max_spread_bps >= self.vol_min_spread_bps,
            "vol_max_spread_bps",
            "must be >= vol_min_spread_bps",
        );
        check(
            factor(self.vol_min_size_multiplier),
            "vol_min_size_multiplier",
            "must be > 0",
        );
        check(
            self.vol_max_size_multiplier.is_finite()
                && self.vol_max_size_multiplier >= self.vol_min_size_multiplier,
            "vol_max_size_multiplier",
            "must be >= vol_min_size_multiplier",
        );
        check(
            nonneg(self.high_vol_threshold_bps),
            "high_vol_threshold_bps",
            "must be >= 0",
        );
        check(
            factor(self.high_vol_size_multiplier),
            "high_vol_size_multiplier",
            "must be > 0",
        );
        check(
            nonneg(self.pause_threshold_bps),
            "pause_threshold_bps",
            "must be >= 0",
        );
        check(
            nonneg(self.resume_threshold_bps)
                && self.resume_threshold_bps <= self.pause_threshold_bps,
            "resume_threshold_bps",
            "must be between 0 and pause_threshold_bps",
        );
        check(
            nonneg(self.resume_inventory_ratio),
            "resume_inventory_ratio",
            "must be >= 0",
        );

        check(
            self.trend_lookback_seconds >= 1,
            "trend_lookback_seconds",
            "must be >= 1 second",
        );
        check(
            factor(self.trend_threshold_bps),
            "trend_threshold_bps",
            "must be > 0",
        );
        check(
            nonneg(self.trend_resume_threshold_bps)
                && self.trend_resume_threshold_bps < self.trend_threshold_bps,
            "trend_resume_threshold_bps",
            "must be >= 0 and < trend_threshold_bps (hysteresis)",
        );
        check(
            factor(self.trend_down_threshold_bps),
            "trend_down_threshold_bps",
            "must be > 0",
        );
        check(
            nonneg(self.trend_down_resume_threshold_bps)
                && self.trend_down_resume_threshold_bps < self.trend_down_threshold_bps,
            "trend_down_resume_threshold_bps",
            "must be >= 0 and < trend_down_threshold_bps (hysteresis)",
        );
        check(
            nonneg(self.trend_extra_spread_bps),
            "trend_extra_spread_bps",
            "must be >= 0",
        );
        check(
            nonneg(self.trend_down_extra_spread_bps),
            "trend_down_extra_spread_bps",
            "must be >= 0",
        );
        check(
            nonneg(self.trend_inventory_soft_cap_ratio),
            "trend_inventory_soft_cap_ratio",
            "must be >= 0",
        );

        check(
            nonneg(self.regime_vol_threshold_bps),
            "regime_vol_threshold_bps",
            "must be >= 0",
        );
        check(
            factor(self.aggressive_size_multiplier),
            "aggressive_size_multiplier",
            "must be > 0",
        );
        check(
            nonneg(self.aggressive_extra_spread_bps),
            "aggressive_extra_spread_bps",
            "must be >= 0",
        );
        check(
            factor(self.defensive_size_multiplier),
            "defensive_size_multiplier",
            "must be > 0",
        );
        check(
            nonneg(self.defensive_extra_spread_bps),
            "defensive_extra_spread_bps",
            "must be >= 0",
        );

        check(
            self.pnl_guard_window_seconds >= 1,
            "pnl_guard_window_seconds",
            "must be >= 1 second",
        );
        check(
            !self.pnl_guard_realized_floor.is_positive(),
            "pnl_guard_realized_floor",
            "must be <= 0",
        );
        check(
            self.pnl_guard_trigger_consecutive >= 1,
            "pnl_guard_trigger_consecutive",
            "must be >= 1",
        );
        check(
            self.pnl_guard_check_interval_seconds >= 1,
            "pnl_guard_check_interval_seconds",
            "must be >= 1 second",
        );
        check(
            nonneg(self.pnl_guard_widen_bps),
            "pnl_guard_widen_bps",
            "must be >= 0",
        );
        check(
            nonneg(self.pnl_guard_max_extra_bps),
            "pnl_guard_max_extra_bps",
            "must be >= 0",
        );
        check(
            unit(self.pnl_guard_size_multiplier),
            "pnl_guard_size_multiplier",
            "must be in (0, 1]",
        );
        check(
            unit(self.pnl_guard_min_size_multiplier),
            "pnl_guard_min_size_multiplier",
            "must be in (0, 1]",
        );

        check(
            !self.asymmetric_threshold.is_negative(),
            "asymmetric_threshold",
            "must be >= 0",
        );
        check(
            !self.inventory_tier1.is_negative(),
            "inventory_tier1",
            "must be >= 0",
        );
        check(
            self.inventory_tier2 >= self.inventory_tier1,
            "inventory_tier2",
            "must be >= inventory_tier1",
        );
        check(
            self.inventory_tier3 >= self.inventory_tier2,
            "inventory_tier3",
            "must be >= inventory_tier2",
        );
        check(
            nonneg(self.inventory_tier1_extra_bps),
            "inventory_tier1_extra_bps",
            "must be >= 0",
        );
        check(
            nonneg(self.inventory_tier2_extra_bps),
            "inventory_tier2_extra_bps",
            "must be >= 0",
        );
        check(
            nonneg(self.inventory_tier3_extra_bps),
            "inventory_tier3_extra_bps",
            "must be >= 0",
        );
        check(
            unit(self.inventory_tier1_size_multiplier),
            "inventory_tier1_size_multiplier",
            "must be in (0, 1]",
        );
        check(
            unit(self.inventory_tier2_size_multiplier),
            "inventory_tier2_size_multiplier",
            "must be in (0, 1]",
        );
        check(factor(self.price_band_bps), "price_band_bps", "must be > 0");
        check(
            self.max_position_units.is_positive(),
            "max_position_units",
            "must be > 0",
        );
        check(
            self.max_inventory_notional.is_positive(),
            "max_inventory_notional",
            "must be > 0",
        );
        out
    }
}
