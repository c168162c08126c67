//! `[rebalance]`: the governor's parameters, with the seed's defaults (seed 000 §8).
//!
//! Controller parameters are `f64`: they shape a control signal, never an amount of money.
//! Every ratio is on the 0–1 scale (the seed's "ratio" unit): `target_idle_pct = 0.40` means
//! 40 % of the quote balance should stay idle.

use flywheel_core::config_range::{
    check_ranges, float, ge, gt, int, le, KeyRange, DAY_SEC, MAX_DURATION_SEC,
};
use flywheel_core::key_ranges;
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
    /// `REBALANCE_KD`: anticipatory (trend-following) gain on the error velocity **per hour**
    /// (skew per unit of error change per hour). `Kd / Kp` is how far ahead the controller
    /// looks: 0.5 / 2.0 = 15 minutes at the defaults. Before the unit changed it multiplied a
    /// velocity per second (3600 times smaller) and had no measurable effect; an old tuned
    /// value divided by 3600 keeps its old (negligible) effect.
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
        "anticipatory (trend-following) gain on error velocity per hour; kd/kp = look-ahead in hours",
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

/// The range of every numeric `[rebalance]` key. Controller values are `f64` and only shape
/// a signal (skew is clamped to `max_skew`, the size multiplier to `max_size_mult`), so the
/// ranges reject nonsense (NaN, infinities, negative gains) rather than protect arithmetic;
/// the size multiplier is what reaches money, and it is capped at 10.
#[rustfmt::skip]
pub const GOVERNOR_CONFIG_RANGES: &[KeyRange<GovernorConfig>] = key_ranges! { GovernorConfig;
    target_idle_pct: ge(float(0.0)), le(float(1.0)), "", "a share of the quote balance, 0-1";
    kp: ge(float(0.0)), le(float(100.0)), "",
        "skew per unit of error; the skew is capped at 1 anyway";
    kd: ge(float(0.0)), le(float(10.0)), "hours",
        "skew per unit of error velocity per hour: a look-ahead of at most 10 h at kp = 1";
    max_skew: ge(float(0.0)), le(float(1.0)), "", "a skew ratio, 0-1";
    max_skew_step: gt(float(0.0)), le(float(1.0)), "",
        "a skew change per update; 0 would freeze the skew";
    neutral_band: ge(float(0.0)), le(float(1.0)), "", "an error ratio, 0-1";
    ema_halflife: ge(int(1)), le(MAX_DURATION_SEC), "seconds",
        "a smoothing half-life, at most 30 days";
    interval_sec: ge(int(1)), le(DAY_SEC), "seconds", "a controller cadence, at most a day";
    size_sensitivity: ge(float(0.0)), le(float(100.0)), "",
        "size multiplier per unit of skew; max_size_mult caps the result";
    max_size_mult: ge(float(1.0)), le(float(10.0)), "",
        "the governor never scales down; 10× the order size stays in the money budget";
};

impl GovernorConfig {
    /// Every value outside its range in [`GOVERNOR_CONFIG_RANGES`].
    pub fn validate(&self) -> Vec<Problem> {
        check_ranges(GOVERNOR_CONFIG_RANGES, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flywheel_core::config_range::{boundary_failures, missing_ranges, Num};

    fn set(key: &str, value: &Num) -> Option<GovernorConfig> {
        let mut json = serde_json::to_value(GovernorConfig::default()).ok()?;
        json.as_object_mut()?
            .insert(key.to_string(), serde_json::to_value(value).ok()?);
        serde_json::from_value(json).ok()
    }

    #[test]
    fn defaults_are_valid_and_every_numeric_key_has_a_range() {
        assert_eq!(GovernorConfig::default().validate(), vec![]);
        let v = serde_json::to_value(GovernorConfig::default()).expect("serializes");
        let numeric = v
            .as_object()
            .expect("object")
            .iter()
            .filter(|(_, v)| v.is_number())
            .map(|(k, _)| k.as_str());
        assert_eq!(
            missing_ranges(GOVERNOR_CONFIG_RANGES, numeric),
            Vec::<&str>::new()
        );
    }

    /// For every key: its minimum and maximum pass, the values just beyond them fail.
    #[test]
    fn every_range_boundary() {
        assert_eq!(
            boundary_failures("rebalance", GOVERNOR_CONFIG_RANGES, set),
            Vec::<String>::new()
        );
    }

    #[test]
    fn non_finite_values_are_named() {
        type Edit = fn(&mut GovernorConfig);
        let cases: [(&str, Edit, &str); 3] = [
            ("NaN gain", |c| c.kp = f64::NAN, "kp"),
            ("infinite gain", |c| c.kd = f64::INFINITY, "kd"),
            (
                "negative infinity",
                |c| c.neutral_band = f64::NEG_INFINITY,
                "neutral_band",
            ),
        ];
        for (name, edit, key) in cases {
            let mut cfg = GovernorConfig::default();
            edit(&mut cfg);
            let keys: Vec<&str> = cfg.validate().iter().map(|p| p.key).collect();
            assert_eq!(keys, vec![key], "case {name}");
        }
    }
}
