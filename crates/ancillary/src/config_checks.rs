//! `[rangers]` and `[churners]` ranges, pair rules and cross-checks.
//!
//! Ranges (budgets explained in `flywheel_core::config_range`) apply whether or not the
//! cyclers are enabled: the ranger set is allocated at start-up with `max_slots` entries even
//! when disabled, so a huge count must be refused anyway. Sizes share the per-order budget,
//! the churners' pool the balance budget.
//!
//! Pair rules (errors): an exit must live at least as long as its entry
//! (`exit_timeout_sec >= entry_timeout_sec`).
//!
//! Cross-checks against the grid's maker fee run only for enabled cyclers:
//! - a configured ranger `profit_pct` below `2 × maker_fee + 0.20` is raised to that floor at
//!   run time ([`RangerConfig::effective_profit_pct`]): warning, so the user knows;
//! - a configured churner `profit_pct` at or below the round-trip maker fee makes every
//!   churner round trip lose money: error (unset derives `2 × fee + 0.10`).

use flywheel_core::config_range::{
    check_ranges, dec, ge, gt, int, le, KeyRange, Num, MAX_BALANCE, MAX_DURATION_SEC, MAX_ORDER,
    MAX_SLOTS,
};
use flywheel_core::key_ranges;
use flywheel_core::{ConfigProblem, Ratio};

use super::{round_trip, ChurnerConfig, RangerConfig};

const ZERO: Num = Num::dec(0, 0);
/// A distance from market or from the entry fill, percent.
const DISTANCE_MAX: Num = Num::dec(50, 0);
/// Open-order headroom is a count of orders below an exchange cap (Kraken: 225).
const HEADROOM_MAX: Num = Num::Int(1000);

/// The range of every numeric `[rangers]` key.
#[rustfmt::skip]
pub const RANGER_CONFIG_RANGES: &[KeyRange<RangerConfig>] = key_ranges! { RangerConfig;
    max_slots: ge(int(1)), le(MAX_SLOTS), "",
        "one ranger is allocated per slot at start-up, even when disabled";
    order_size_usd: gt(ZERO), le(MAX_ORDER), "quote", "an order size, within the per-order budget";
    entry_pct: gt(ZERO), le(DISTANCE_MAX), "percent", "a distance from market, at most 50 %";
    profit_pct: gt(ZERO), le(DISTANCE_MAX), "percent",
        "a buy-back distance below the entry fill, at most 50 %";
    base_reserve: ge(ZERO), le(MAX_BALANCE), "base units",
        "part of the base balance, which is at most 10^9";
    entry_timeout_sec: ge(int(1)), le(MAX_DURATION_SEC), "seconds",
        "an order lifetime, at most 30 days";
    exit_timeout_sec: ge(int(1)), le(MAX_DURATION_SEC), "seconds",
        "an order lifetime, at most 30 days";
    cooldown_sec: ge(int(0)), le(MAX_DURATION_SEC), "seconds", "a pause, at most 30 days";
    min_headroom: ge(int(0)), le(HEADROOM_MAX), "orders", "a count of open orders";
};

/// The range of every numeric `[churners]` key.
#[rustfmt::skip]
pub const CHURNER_CONFIG_RANGES: &[KeyRange<ChurnerConfig>] = key_ranges! { ChurnerConfig;
    order_size_usd: gt(ZERO), le(MAX_ORDER), "quote", "an order size, within the per-order budget";
    reserve_usd: ge(ZERO), le(MAX_BALANCE), "quote", "part of the balance, which is at most 10^9";
    entry_pct: gt(ZERO), le(DISTANCE_MAX), "percent", "a distance from market, at most 50 %";
    profit_pct: gt(ZERO), le(DISTANCE_MAX), "percent",
        "a distance from the entry fill, at most 50 %; unset = 2 × fee + 0.10";
    entry_timeout_sec: ge(int(1)), le(MAX_DURATION_SEC), "seconds",
        "an order lifetime, at most 30 days";
    exit_timeout_sec: ge(int(1)), le(MAX_DURATION_SEC), "seconds",
        "an order lifetime, at most 30 days";
    min_headroom: ge(int(0)), le(HEADROOM_MAX), "orders", "a count of open orders";
    age_distance_weight: gt(ZERO), le(dec(1000, 0)), "percent",
        "effective age = age × (1 + distance% / weight); 0 would divide by zero";
};

/// The exit must outlive its entry.
fn timeouts(entry: u64, exit: u64, out: &mut Vec<ConfigProblem>) {
    if exit < entry {
        out.push(
            ConfigProblem::error(
                "exit_timeout_sec",
                format!(
                    "{exit} is below entry_timeout_sec {entry}: an exit must live at least as \
                     long as its entry"
                ),
            )
            .with_also(&["entry_timeout_sec"]),
        );
    }
}

impl RangerConfig {
    /// Every value outside its range in [`RANGER_CONFIG_RANGES`], and inverted pairs.
    pub fn validate(&self) -> Vec<ConfigProblem> {
        let mut out = check_ranges(RANGER_CONFIG_RANGES, self);
        timeouts(self.entry_timeout_sec, self.exit_timeout_sec, &mut out);
        out
    }

    /// Against the grid's maker fee (see the module docs); nothing when disabled.
    pub fn cross_check(&self, maker_fee_pct: Ratio) -> Vec<ConfigProblem> {
        let Ok(floor) = self.effective_profit_pct(maker_fee_pct) else {
            return Vec::new();
        };
        if !self.enabled || self.profit_pct >= floor {
            return Vec::new();
        }
        vec![ConfigProblem::warning(
            "profit_pct",
            format!(
                "{} is below the rangers' floor {floor} (2 × grid.maker_fee_pct {maker_fee_pct} \
                 + {}): rangers exit at {floor} instead",
                self.profit_pct,
                super::RANGER_FEE_MARGIN_PCT
            ),
        )]
    }
}

impl ChurnerConfig {
    /// Every value outside its range in [`CHURNER_CONFIG_RANGES`], and inverted pairs.
    pub fn validate(&self) -> Vec<ConfigProblem> {
        let mut out = check_ranges(CHURNER_CONFIG_RANGES, self);
        timeouts(self.entry_timeout_sec, self.exit_timeout_sec, &mut out);
        out
    }

    /// Against the grid's maker fee (see the module docs); nothing when disabled.
    pub fn cross_check(&self, maker_fee_pct: Ratio) -> Vec<ConfigProblem> {
        let (Some(profit), Ok(fees)) = (self.profit_pct, round_trip(maker_fee_pct)) else {
            return Vec::new();
        };
        if !self.enabled || profit > fees {
            return Vec::new();
        }
        vec![ConfigProblem::error(
            "profit_pct",
            format!(
                "{profit} is not above the round-trip maker fees {fees} (2 × \
                 grid.maker_fee_pct {maker_fee_pct}): every churner round trip loses money"
            ),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flywheel_core::config_range::testkit::{numeric_keys, set};
    use flywheel_core::config_range::{boundary_failures, missing_ranges};
    use flywheel_core::Severity::{self, Error, Warning};

    fn with_profit() -> ChurnerConfig {
        ChurnerConfig {
            profit_pct: Some(Ratio::lit(6, 1)),
            ..ChurnerConfig::default()
        }
    }

    #[test]
    fn every_numeric_key_has_a_range() {
        let ranger = numeric_keys(&RangerConfig::default());
        let missing = missing_ranges(RANGER_CONFIG_RANGES, ranger.iter().map(String::as_str));
        assert_eq!(missing, Vec::<&str>::new());
        let churner = numeric_keys(&with_profit());
        let missing = missing_ranges(CHURNER_CONFIG_RANGES, churner.iter().map(String::as_str));
        assert_eq!(missing, Vec::<&str>::new());
    }

    /// For every key: its minimum and maximum pass, the values just beyond them fail.
    #[test]
    fn every_range_boundary() {
        let ranger = RangerConfig::default();
        let failures =
            boundary_failures("rangers", RANGER_CONFIG_RANGES, |k, v| set(&ranger, k, v));
        assert_eq!(failures, Vec::<String>::new());
        let churner = ChurnerConfig::default();
        let failures = boundary_failures("churners", CHURNER_CONFIG_RANGES, |k, v| {
            set(&churner, k, v)
        });
        assert_eq!(failures, Vec::<String>::new());
    }

    #[test]
    fn cross_checks_table() {
        let fee = Ratio::lit(25, 2);
        let on = |profit: &str| RangerConfig {
            enabled: true,
            profit_pct: profit.parse().expect("ratio"),
            ..RangerConfig::default()
        };
        let churn = |enabled: bool, profit: Option<&str>| ChurnerConfig {
            enabled,
            profit_pct: profit.map(|p| p.parse().expect("ratio")),
            ..ChurnerConfig::default()
        };
        /// (severity, key, message start)
        type Want = Option<(Severity, &'static str, &'static str)>;
        // (name, problems, expected problem)
        let cases: [(&str, Vec<ConfigProblem>, Want); 7] = [
            (
                "ranger defaults",
                RangerConfig::default().cross_check(fee),
                None,
            ),
            (
                "ranger below its floor, disabled",
                RangerConfig {
                    profit_pct: Ratio::lit(5, 1),
                    ..RangerConfig::default()
                }
                .cross_check(fee),
                None,
            ),
            (
                "ranger below its floor",
                on("0.5").cross_check(fee),
                Some((
                    Warning,
                    "profit_pct",
                    "0.5 is below the rangers' floor 0.7 (2 × grid.maker_fee_pct 0.25 + 0.2)",
                )),
            ),
            ("ranger at its floor", on("0.7").cross_check(fee), None),
            (
                "churner losing money",
                churn(true, Some("0.5")).cross_check(fee),
                Some((
                    Error,
                    "profit_pct",
                    "0.5 is not above the round-trip maker fees 0.5 (2 × grid.maker_fee_pct \
                     0.25): every churner round trip loses money",
                )),
            ),
            (
                "churner losing money, disabled",
                churn(false, Some("0.5")).cross_check(fee),
                None,
            ),
            (
                "churner with the derived target",
                churn(true, None).cross_check(fee),
                None,
            ),
        ];
        for (name, got, want) in cases {
            match want {
                None => assert_eq!(got, vec![], "case {name}"),
                Some((severity, key, message)) => {
                    assert_eq!(got.len(), 1, "case {name}: {got:?}");
                    assert_eq!(
                        (got[0].severity, got[0].key),
                        (severity, key),
                        "case {name}"
                    );
                    assert!(got[0].message.starts_with(message), "case {name}: {got:?}");
                }
            }
        }
    }
}
