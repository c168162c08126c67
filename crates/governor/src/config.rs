//! `[rebalance]`: the governor's parameters, with the seed's defaults (seed 000 §8).
//!
//! Controller parameters are `f64`: they shape a control signal, never an amount of money.
//! Every ratio is on the 0–1 scale (the seed's "ratio" unit): `target_idle_pct = 0.40` means
//! 40 % of the quote balance should stay idle.

use serde::{Deserialize, Serialize};

/// One problem with a value (the section prefix is added by the caller).
pub use flywheel_core::ConfigProblem as Problem;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GovernorConfig {
    /// `REBALANCE_ENABLED`: master switch.
    pub enabled: bool,
    /// `REBALANCE_TARGET_IDLE_PCT`: target idle quote fraction (ratio, 0.40 = 40 %).
    pub target_idle_pct: f64,
    /// `REBALANCE_KP`: proportional gain.
    pub kp: f64,
    /// `REBALANCE_KD`: anticipatory (trend-following) gain, on velocity per second.
    pub kd: f64,
    /// `REBALANCE_MAX_SKEW`: max |skew|.
    pub max_skew: f64,
    /// `REBALANCE_MAX_SKEW_STEP`: max skew change per update.
    pub max_skew_step: f64,
    /// `REBALANCE_NEUTRAL_BAND`: |smoothed error| below this gives skew 0.
    pub neutral_band: f64,
    /// `REBALANCE_EMA_HALFLIFE`: smoothing half-life, seconds.
    pub ema_halflife: u64,
    /// `REBALANCE_INTERVAL_SEC`: update period on the engine clock, seconds.
    pub interval_sec: u64,
    /// `REBALANCE_SIZE_SENSITIVITY`: skew → size multiplier.
    pub size_sensitivity: f64,
    /// `REBALANCE_MAX_SIZE_MULT`: hard cap of the size multiplier.
    pub max_size_mult: f64,
}

impl Default for GovernorConfig {
    fn default() -> Self {
        GovernorConfig {
            enabled: true,
            target_idle_pct: 0.40,
            kp: 2.0,
            kd: 0.5,
            max_skew: 0.30,
            max_skew_step: 0.05,
            neutral_band: 0.05,
            ema_halflife: 1800,
            interval_sec: 300,
            size_sensitivity: 1.0,
            max_size_mult: 1.5,
        }
    }
}

/// One line of documentation per key, in declaration order (used by `config defaults`).
pub const GOVERNOR_CONFIG_DOCS: &[(&str, &str)] = &[
    (
        "enabled",
        "the inventory governor skews entry sizes (seed 000)",
    ),
    (
        "target_idle_pct",
        "target idle quote fraction, ratio 0-1 (0.40 = 40 %)",
    ),
    ("kp", "proportional gain"),
    (
        "kd",
        "anticipatory (trend-following) gain on error velocity per second",
    ),
    ("max_skew", "max |skew|, ratio"),
    ("max_skew_step", "max skew change per update, ratio"),
    (
        "neutral_band",
        "|smoothed error| below this gives skew 0, ratio",
    ),
    (
        "ema_halflife",
        "smoothing half-life of error and velocity, seconds",
    ),
    ("interval_sec", "update period on the engine clock, seconds"),
    (
        "size_sensitivity",
        "size multiplier per unit of skew on the excess side",
    ),
    ("max_size_mult", "hard cap of the size multiplier"),
];

impl GovernorConfig {
    /// Every out-of-range value.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut check = |ok: bool, key: &'static str, message: &'static str| {
            if !ok {
                out.push(Problem { key, message });
            }
        };
        let unit = |x: f64| x.is_finite() && (0.0..=1.0).contains(&x);
        check(
            unit(self.target_idle_pct),
            "target_idle_pct",
            "must be between 0 and 1",
        );
        check(self.kp.is_finite() && self.kp >= 0.0, "kp", "must be >= 0");
        check(self.kd.is_finite() && self.kd >= 0.0, "kd", "must be >= 0");
        check(unit(self.max_skew), "max_skew", "must be between 0 and 1");
        check(
            self.max_skew_step.is_finite() && self.max_skew_step > 0.0,
            "max_skew_step",
            "must be > 0",
        );
        check(
            unit(self.neutral_band),
            "neutral_band",
            "must be between 0 and 1",
        );
        check(
            self.ema_halflife >= 1,
            "ema_halflife",
            "must be >= 1 second",
        );
        check(
            self.interval_sec >= 1,
            "interval_sec",
            "must be >= 1 second",
        );
        check(
            self.size_sensitivity.is_finite() && self.size_sensitivity >= 0.0,
            "size_sensitivity",
            "must be >= 0",
        );
        check(
            self.max_size_mult.is_finite() && self.max_size_mult >= 1.0,
            "max_size_mult",
            "must be >= 1 (the governor never scales down)",
        );
        out
    }
}
