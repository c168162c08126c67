//! `[leak]`: seed 001's USD-leak patches, one switch each, and a master switch.
//!
//! The quote-first allocation and its safety buffer are `[grid]` keys of their own; the
//! governor's `rebalance.target_idle_pct` is the runway the B allocation keeps back.

use flywheel_core::config_range::{check_ranges, ge, int, le, KeyRange, MAX_DURATION_SEC};
use flywheel_core::{key_ranges, ConfigProblem};
use serde::{Deserialize, Serialize};

/// The range of every numeric `[leak]` key.
#[rustfmt::skip]
pub const LEAK_CONFIG_RANGES: &[KeyRange<LeakConfig>] = key_ranges! { LeakConfig;
    balance_degrade_cooldown_sec: ge(int(0)), le(MAX_DURATION_SEC), "seconds",
        "a cooldown, at most 30 days";
};

/// `[leak]`: seed 001's USD-leak patches. `enabled = false` turns every patch off at once
/// (the quote-first allocation and its buffer are `[grid]` keys of their own).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LeakConfig {
    /// Master switch for patches A, B (residual), E and F.
    pub enabled: bool,
    /// Patch A: restore balance-degraded short-only slots every loop (`B_SIDE_RECOVERY_ENABLED`).
    pub b_side_recovery_enabled: bool,
    /// Patch A: buy entries are placed before sell entries in every action batch.
    pub b_first_placement: bool,
    /// Patch A: a restored slot is not re-degraded (and a degraded one not restored) within
    /// this many seconds (`BALANCE_DEGRADE_COOLDOWN_SEC`).
    pub balance_degrade_cooldown_sec: u64,
    /// Patch B: carry the quote left by volume rounding into the slot's next B order
    /// (`ROUNDING_RESIDUAL_ENABLED`).
    pub rounding_residual_enabled: bool,
    /// Patch E: the entry floor does not inflate B entries (`ENTRY_FLOOR_B_SIDE_EXEMPT`).
    pub entry_floor_b_side_exempt: bool,
    /// Patch F: restore most-recently-degraded first, at most `max(1, ⌊free / min B⌋)`
    /// bilateral slots.
    pub cascade_breaker_enabled: bool,
}

impl Default for LeakConfig {
    fn default() -> Self {
        LeakConfig {
            enabled: true,
            b_side_recovery_enabled: true,
            b_first_placement: true,
            balance_degrade_cooldown_sec: 120,
            rounding_residual_enabled: true,
            entry_floor_b_side_exempt: true,
            cascade_breaker_enabled: true,
        }
    }
}

pub const LEAK_CONFIG_DOCS: &[(&str, &str)] = &[
    (
        "enabled",
        "seed 001 USD-leak patches on (false: all of them off)",
    ),
    (
        "b_side_recovery_enabled",
        "Patch A: restore balance-degraded short-only slots each loop",
    ),
    (
        "b_first_placement",
        "Patch A: place buy entries before sell entries in each batch",
    ),
    (
        "balance_degrade_cooldown_sec",
        "Patch A: no re-degrade / restore within this many seconds",
    ),
    (
        "rounding_residual_enabled",
        "Patch B: carry volume-rounding residual into the next B order",
    ),
    (
        "entry_floor_b_side_exempt",
        "Patch E: the entry floor does not inflate B entries",
    ),
    (
        "cascade_breaker_enabled",
        "Patch F: restore LIFO, cap bilateral slots at free / min B",
    ),
];

impl LeakConfig {
    /// Every value outside its range in [`LEAK_CONFIG_RANGES`].
    pub fn validate(&self) -> Vec<ConfigProblem> {
        check_ranges(LEAK_CONFIG_RANGES, self)
    }

    pub fn recovery(&self) -> bool {
        self.enabled && self.b_side_recovery_enabled
    }
    pub fn b_first(&self) -> bool {
        self.enabled && self.b_first_placement
    }
    pub fn residual(&self) -> bool {
        self.enabled && self.rounding_residual_enabled
    }
    pub fn floor_exempt_b(&self) -> bool {
        self.enabled && self.entry_floor_b_side_exempt
    }
    pub fn cascade_breaker(&self) -> bool {
        self.enabled && self.cascade_breaker_enabled
    }
    pub fn cooldown_sec(&self) -> u64 {
        if self.enabled {
            self.balance_degrade_cooldown_sec
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_patch_needs_its_switch_and_the_master() {
        // (name, master, switches on, expected [recovery, b_first, residual, floor_exempt,
        // cascade], cooldown)
        let all = LeakConfig::default();
        let cases = [
            ("all on", all.clone(), [true; 5], 120),
            (
                "master off",
                LeakConfig {
                    enabled: false,
                    ..all.clone()
                },
                [false; 5],
                0,
            ),
            (
                "switches off",
                LeakConfig {
                    b_side_recovery_enabled: false,
                    b_first_placement: false,
                    rounding_residual_enabled: false,
                    entry_floor_b_side_exempt: false,
                    cascade_breaker_enabled: false,
                    ..all.clone()
                },
                [false; 5],
                120,
            ),
            (
                "master off, switches off",
                LeakConfig {
                    enabled: false,
                    b_side_recovery_enabled: false,
                    b_first_placement: false,
                    rounding_residual_enabled: false,
                    entry_floor_b_side_exempt: false,
                    cascade_breaker_enabled: false,
                    ..all.clone()
                },
                [false; 5],
                0,
            ),
        ];
        for (name, c, want, cooldown) in cases {
            let got = [
                c.recovery(),
                c.b_first(),
                c.residual(),
                c.floor_exempt_b(),
                c.cascade_breaker(),
            ];
            assert_eq!((got, c.cooldown_sec()), (want, cooldown), "{name}");
        }
    }

    #[test]
    fn a_cooldown_beyond_its_range_is_named() {
        assert!(LeakConfig::default().validate().is_empty());
        let long = LeakConfig {
            balance_degrade_cooldown_sec: 31 * 86_400,
            ..LeakConfig::default()
        };
        let problems = long.validate();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .to_string()
                .contains("balance_degrade_cooldown_sec"),
            "{}",
            problems[0]
        );
    }
}
