//! `[rangers]` and `[churners]`: the ancillary cyclers' parameters (spec `grid-origin.md`
//! §2.17, §2.18), with the origin's defaults. Both are off by default.
//!
//! Percentages are in percent (0.15 = 0.15 %), durations whole seconds on the engine clock,
//! sizes in quote currency. [`RangerConfig::validate`] / [`ChurnerConfig::validate`] report
//! every bad value at once, each with its key (the caller adds the section prefix); every
//! numeric key has a documented range ([`RANGER_CONFIG_RANGES`], [`CHURNER_CONFIG_RANGES`]);
//! `cross_check` compares profit targets with the grid's maker fee.

use flywheel_core::{FixedError, Qty, Quote, Ratio};
use serde::{Deserialize, Serialize};

/// One problem with a value (the section prefix is added by the caller).
pub use flywheel_core::ConfigProblem as Problem;

#[path = "config_checks.rs"]
mod checks;

pub use checks::{CHURNER_CONFIG_RANGES, RANGER_CONFIG_RANGES};

/// Safety margin (percent) the ranger's exit keeps above the round-trip maker fee.
pub const RANGER_FEE_MARGIN_PCT: Ratio = Ratio::lit(20, 2);
/// Margin (percent) over the round-trip maker fee of the churner's derived profit target.
pub const CHURNER_FEE_MARGIN_PCT: Ratio = Ratio::lit(10, 2);

/// Standalone sell→buy micro-cyclers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RangerConfig {
    /// `RANGER_ENABLED`.
    pub enabled: bool,
    /// `RANGER_MAX_SLOTS`: number of rangers.
    pub max_slots: u32,
    /// `RANGER_ORDER_SIZE_USD`: entry size in quote.
    pub order_size_usd: Quote,
    /// Entry distance above market, percent.
    pub entry_pct: Ratio,
    /// `RANGER_PROFIT_PCT`: exit distance below the entry fill, percent (floored at the
    /// round-trip maker fee + [`RANGER_FEE_MARGIN_PCT`]).
    pub profit_pct: Ratio,
    /// `RANGER_DOGE_RESERVE`: free base that must remain after the entry's volume.
    pub base_reserve: Qty,
    /// Entry order lifetime, seconds.
    pub entry_timeout_sec: u64,
    /// Exit order lifetime, seconds (must be ≥ the entry timeout).
    pub exit_timeout_sec: u64,
    /// Pause after a position ends (closed or abandoned) or an order is rejected, seconds.
    pub cooldown_sec: u64,
    /// `RANGER_MIN_HEADROOM`: open-order headroom required to place or keep an entry.
    pub min_headroom: u32,
}

impl Default for RangerConfig {
    fn default() -> Self {
        RangerConfig {
            enabled: false,
            max_slots: 3,
            order_size_usd: Quote::lit(2, 0),
            entry_pct: Ratio::lit(15, 2),
            profit_pct: Ratio::lit(120, 2),
            base_reserve: Qty::lit(100, 0),
            entry_timeout_sec: 300,
            exit_timeout_sec: 1350,
            cooldown_sec: 30,
            min_headroom: 10,
        }
    }
}

/// One line of documentation per [`RangerConfig`] key, in declaration order.
pub const RANGER_CONFIG_DOCS: &[(&str, &str)] = &[
    (
        "enabled",
        "run the rangers (standalone sell-then-buy micro-cyclers)",
    ),
    ("max_slots", "number of rangers"),
    ("order_size_usd", "ranger entry size in quote currency"),
    ("entry_pct", "sell entry distance above market, percent"),
    (
        "profit_pct",
        "buy-back distance below the entry fill, percent (>= 2 x fee + 0.20)",
    ),
    (
        "base_reserve",
        "free base that must remain after a ranger entry, base units",
    ),
    (
        "entry_timeout_sec",
        "cancel an unfilled entry after this, s",
    ),
    (
        "exit_timeout_sec",
        "cancel an unfilled exit after this and report the position abandoned, s",
    ),
    (
        "cooldown_sec",
        "pause after a position ends or an order is rejected, s",
    ),
    (
        "min_headroom",
        "open-order headroom needed to place or keep an entry",
    ),
];

impl RangerConfig {
    /// Exit distance below the entry fill: `max(profit_pct, 2 × maker_fee + 0.20)`, percent.
    pub fn effective_profit_pct(&self, maker_fee_pct: Ratio) -> Result<Ratio, FixedError> {
        let floor = round_trip(maker_fee_pct)?.checked_add(RANGER_FEE_MARGIN_PCT)?;
        Ok(self.profit_pct.max(floor))
    }
}

/// Age band of a stuck exit, by distance-weighted age (see [`crate::churner::assess`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    /// Effective age < 6 h.
    Fresh,
    /// < 24 h.
    Aging,
    /// < 72 h.
    Stale,
    /// < 168 h.
    Stuck,
    /// ≥ 168 h.
    WriteOff,
}

impl AgeBand {
    /// The band of an effective age in seconds.
    pub const fn of_secs(effective_age_secs: i64) -> AgeBand {
        const H: i64 = 3600;
        if effective_age_secs < 6 * H {
            AgeBand::Fresh
        } else if effective_age_secs < 24 * H {
            AgeBand::Aging
        } else if effective_age_secs < 72 * H {
            AgeBand::Stale
        } else if effective_age_secs < 168 * H {
            AgeBand::Stuck
        } else {
            AgeBand::WriteOff
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            AgeBand::Fresh => "fresh",
            AgeBand::Aging => "aging",
            AgeBand::Stale => "stale",
            AgeBand::Stuck => "stuck",
            AgeBand::WriteOff => "write_off",
        }
    }
}

/// Helpers attached to slots with stuck exits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChurnerConfig {
    /// `CHURNER_ENABLED`.
    pub enabled: bool,
    /// `CHURNER_ORDER_SIZE_USD`: base entry size in quote (plus the churner's compounded gains).
    pub order_size_usd: Quote,
    /// `CHURNER_RESERVE_USD`: shared backstop pool; at most one order per slot from it.
    pub reserve_usd: Quote,
    /// Entry distance from market, percent; also the exit's minimum distance from market.
    pub entry_pct: Ratio,
    /// `CHURNER_PROFIT_PCT`, percent; unset = round-trip maker fee + [`CHURNER_FEE_MARGIN_PCT`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profit_pct: Option<Ratio>,
    /// `CHURNER_TIMEOUT_SEC`: entry order lifetime, seconds.
    pub entry_timeout_sec: u64,
    /// `CHURNER_EXIT_TIMEOUT_SEC`: exit order lifetime, seconds (must be ≥ the entry timeout).
    pub exit_timeout_sec: u64,
    /// `CHURNER_MIN_HEADROOM`: open-order headroom required to place or keep an entry.
    pub min_headroom: u32,
    /// `AGE_DISTANCE_WEIGHT`: `effective_age = age × (1 + distance% / weight)`.
    pub age_distance_weight: Ratio,
    /// A parent position must be at least this old (by effective age band).
    pub min_band: AgeBand,
}

impl Default for ChurnerConfig {
    fn default() -> Self {
        ChurnerConfig {
            enabled: false,
            order_size_usd: Quote::lit(2, 0),
            reserve_usd: Quote::lit(5, 0),
            entry_pct: Ratio::lit(15, 2),
            profit_pct: None,
            entry_timeout_sec: 300,
            exit_timeout_sec: 600,
            min_headroom: 10,
            age_distance_weight: Ratio::lit(5, 0),
            min_band: AgeBand::Aging,
        }
    }
}

/// One line of documentation per [`ChurnerConfig`] key, in declaration order.
pub const CHURNER_CONFIG_DOCS: &[(&str, &str)] = &[
    (
        "enabled",
        "run churners (round trips beside slots with stuck exits)",
    ),
    (
        "order_size_usd",
        "churner entry size in quote, plus its compounded gains",
    ),
    (
        "reserve_usd",
        "shared backstop pool in quote; one order per slot at a time",
    ),
    (
        "entry_pct",
        "entry distance from market, percent; also the exit's minimum",
    ),
    (
        "profit_pct",
        "exit distance from the entry fill, percent (unset = 2 x fee + 0.10)",
    ),
    (
        "entry_timeout_sec",
        "cancel an unfilled entry after this, s",
    ),
    (
        "exit_timeout_sec",
        "cancel an unfilled exit after this and report the position abandoned, s",
    ),
    (
        "min_headroom",
        "open-order headroom needed to place or keep an entry",
    ),
    (
        "age_distance_weight",
        "effective age = age x (1 + distance% / weight)",
    ),
    (
        "min_band",
        "youngest parent band: fresh|aging|stale|stuck|write_off",
    ),
];

impl ChurnerConfig {
    /// Exit distance from the entry fill, percent: the configured value, or
    /// `2 × maker_fee + 0.10` when unset (0.60 at a 0.25 % fee).
    pub fn effective_profit_pct(&self, maker_fee_pct: Ratio) -> Result<Ratio, FixedError> {
        match self.profit_pct {
            Some(p) => Ok(p),
            None => round_trip(maker_fee_pct)?.checked_add(CHURNER_FEE_MARGIN_PCT),
        }
    }
}

/// `2 × maker_fee_pct` (the round-trip maker fee, percent).
fn round_trip(maker_fee_pct: Ratio) -> Result<Ratio, FixedError> {
    maker_fee_pct.checked_add(maker_fee_pct)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_of<T: Serialize>(v: &T) -> Vec<String> {
        let json = serde_json::to_value(v).expect("serialize");
        let mut keys: Vec<String> = json.as_object().expect("object").keys().cloned().collect();
        keys.sort_unstable();
        keys
    }

    fn doc_keys(docs: &[(&str, &str)]) -> Vec<String> {
        let mut keys: Vec<String> = docs.iter().map(|(k, _)| (*k).to_string()).collect();
        keys.sort_unstable();
        keys
    }

    #[test]
    fn every_key_is_documented() {
        assert_eq!(
            keys_of(&RangerConfig::default()),
            doc_keys(RANGER_CONFIG_DOCS)
        );
        // Set the optional key so that it is serialized too.
        let churner = ChurnerConfig {
            profit_pct: Some(Ratio::lit(6, 1)),
            ..ChurnerConfig::default()
        };
        assert_eq!(keys_of(&churner), doc_keys(CHURNER_CONFIG_DOCS));
    }

    #[test]
    fn defaults_validate_and_are_off() {
        assert!(RangerConfig::default().validate().is_empty());
        assert!(ChurnerConfig::default().validate().is_empty());
        assert!(!RangerConfig::default().enabled);
        assert!(!ChurnerConfig::default().enabled);
    }

    #[test]
    fn toml_round_trip_and_unknown_keys() {
        let r: RangerConfig =
            toml::from_str("enabled = true\nprofit_pct = \"1.5\"").expect("parse");
        assert!(r.enabled);
        assert_eq!(r.profit_pct, Ratio::lit(15, 1));
        assert_eq!(r.max_slots, 3);
        assert!(toml::from_str::<RangerConfig>("bogus = 1").is_err());
        let c: ChurnerConfig = toml::from_str("min_band = \"stuck\"").expect("parse");
        assert_eq!(c.min_band, AgeBand::Stuck);
        assert_eq!(c.profit_pct, None);
        assert!(toml::from_str::<ChurnerConfig>("min_band = \"ancient\"").is_err());
    }

    #[test]
    fn effective_profit_targets() {
        let fee = Ratio::lit(25, 2);
        let cases = [
            // (name, ranger profit_pct, fee, expected)
            (
                "configured above floor",
                Ratio::lit(120, 2),
                fee,
                Ratio::lit(120, 2),
            ),
            ("floor wins", Ratio::lit(50, 2), fee, Ratio::lit(70, 2)),
            (
                "high fee tier",
                Ratio::lit(120, 2),
                Ratio::lit(60, 2),
                Ratio::lit(140, 2),
            ),
        ];
        for (name, profit, fee, want) in cases {
            let cfg = RangerConfig {
                profit_pct: profit,
                ..RangerConfig::default()
            };
            assert_eq!(cfg.effective_profit_pct(fee).expect("pct"), want, "{name}");
        }
        let derived = ChurnerConfig::default();
        assert_eq!(
            derived.effective_profit_pct(fee).expect("pct"),
            Ratio::lit(60, 2)
        );
        let set = ChurnerConfig {
            profit_pct: Some(Ratio::lit(1, 0)),
            ..ChurnerConfig::default()
        };
        assert_eq!(set.effective_profit_pct(fee).expect("pct"), Ratio::ONE);
    }

    #[test]
    fn validation_names_each_bad_key() {
        type MutR = fn(&mut RangerConfig);
        let ranger: [(&str, MutR, &str); 6] = [
            ("no rangers", |c| c.max_slots = 0, "max_slots"),
            (
                "zero size",
                |c| c.order_size_usd = Quote::ZERO,
                "order_size_usd",
            ),
            ("zero entry", |c| c.entry_pct = Ratio::ZERO, "entry_pct"),
            (
                "negative reserve",
                |c| c.base_reserve = Qty::lit(-1, 0),
                "base_reserve",
            ),
            (
                "exit shorter",
                |c| c.exit_timeout_sec = 10,
                "exit_timeout_sec",
            ),
            (
                "a billion rangers",
                |c| c.max_slots = 1_000_000_000,
                "max_slots",
            ),
        ];
        for (name, mutate, key) in ranger {
            let mut cfg = RangerConfig::default();
            mutate(&mut cfg);
            let keys: Vec<&str> = cfg.validate().iter().map(|p| p.key).collect();
            assert_eq!(keys, vec![key], "case {name}");
        }
        type MutC = fn(&mut ChurnerConfig);
        let churner: [(&str, MutC, &str); 4] = [
            (
                "huge profit",
                |c| c.profit_pct = Some(Ratio::HUNDRED),
                "profit_pct",
            ),
            (
                "zero weight",
                |c| c.age_distance_weight = Ratio::ZERO,
                "age_distance_weight",
            ),
            (
                "negative pool",
                |c| c.reserve_usd = Quote::lit(-1, 0),
                "reserve_usd",
            ),
            (
                "zero timeout",
                |c| c.entry_timeout_sec = 0,
                "entry_timeout_sec",
            ),
        ];
        for (name, mutate, key) in churner {
            let mut cfg = ChurnerConfig::default();
            mutate(&mut cfg);
            let keys: Vec<&str> = cfg.validate().iter().map(|p| p.key).collect();
            assert_eq!(keys, vec![key], "case {name}");
        }
    }

    #[test]
    fn bands_by_effective_age() {
        let h = 3600;
        let cases = [
            ("zero", 0, AgeBand::Fresh),
            ("just under 6h", 6 * h - 1, AgeBand::Fresh),
            ("6h", 6 * h, AgeBand::Aging),
            ("24h", 24 * h, AgeBand::Stale),
            ("72h", 72 * h, AgeBand::Stuck),
            ("167h59", 168 * h - 1, AgeBand::Stuck),
            ("168h", 168 * h, AgeBand::WriteOff),
        ];
        for (name, secs, band) in cases {
            assert_eq!(AgeBand::of_secs(secs), band, "case {name}");
        }
        assert!(AgeBand::Stale > AgeBand::Aging);
    }
}
