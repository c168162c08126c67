//! [`EngineConfig`]: the slot engine's parameters (spec `grid-origin.md` §1.3).
//!
//! Defaults are the values the origin's live runtime passes, where that differs from the
//! reducer's own default: `reentry_base_cooldown_sec` is 60 (the reducer default was 0) and
//! new slots are sticky. Percentages are in percent (0.2 = 0.2 %). Durations are whole
//! seconds on the engine clock.
//!
//! Every numeric key has a documented range ([`ENGINE_CONFIG_RANGES`], checked by
//! [`EngineConfig::validate`]); [`EngineConfig::cross_check`] compares keys with each other
//! (profit against fees, entry distance against the refresh distance). Both report every
//! problem at once, each with its key, so a config file can be fixed in one pass.

use flywheel_core::{Qty, Quote, Ratio};
use serde::{Deserialize, Serialize};

#[path = "config_checks.rs"]
mod checks;

pub use checks::ENGINE_CONFIG_RANGES;

/// Parameters of the per-slot pair engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    /// Entry distance from market, percent.
    pub entry_pct: Ratio,
    /// Per-trade entry distance for A (sell entries); unset or ≤ 0 ⇒ `entry_pct`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_pct_a: Option<Ratio>,
    /// Per-trade entry distance for B (buy entries); unset or ≤ 0 ⇒ `entry_pct`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_pct_b: Option<Ratio>,
    /// Profit target for exits, percent (used when the runtime target is 0).
    pub profit_pct: Ratio,
    /// An entry further than this (percent) from market is stale and refreshed.
    pub refresh_pct: Ratio,
    /// Default order size in quote currency.
    pub order_size_usd: Quote,
    /// Price decimals of the instrument.
    pub price_decimals: u32,
    /// Volume decimals of the instrument.
    pub volume_decimals: u32,
    /// Minimum order volume (base).
    pub min_volume: Qty,
    /// Minimum order notional (quote); 0 = none.
    pub min_cost_usd: Quote,
    /// Maker fee, percent.
    pub maker_fee_pct: Ratio,
    /// A price older than this is stale (runtime guard; the reducer does not read it).
    pub stale_price_max_age_sec: u64,
    /// S1: orphan the exit after this many seconds (non-sticky slots only).
    pub s1_orphan_after_sec: u64,
    /// S2: orphan the farther exit after this many seconds in S2 (non-sticky slots only).
    pub s2_orphan_after_sec: u64,
    /// Losing streak at which entry distance starts widening.
    pub loss_backoff_start: u32,
    /// Losing streak that triggers the loss cooldown.
    pub loss_cooldown_start: u32,
    /// Loss cooldown length, seconds.
    pub loss_cooldown_sec: u64,
    /// Delay before a trade re-enters after a close or orphan, seconds (0 = immediately).
    pub reentry_base_cooldown_sec: u64,
    /// Entry widening per loss beyond the start: mult = 1 + factor × (streak − start + 1).
    pub backoff_factor: Ratio,
    /// Cap of the entry widening multiplier.
    pub backoff_max_multiplier: Ratio,
    /// Same-direction refreshes allowed before the anti-chase pause.
    pub max_consecutive_refreshes: u32,
    /// Anti-chase pause, seconds.
    pub refresh_cooldown_sec: u64,
    /// Orphaned exits kept per slot; more evict the farthest.
    pub max_recovery_slots: u32,
    /// Whether new slots are sticky (sticky slots never orphan exits on a timer).
    pub sticky_mode_enabled: bool,
    /// Completed cycles kept in slot state (full history is in the journal).
    pub max_completed_cycles: u32,

    // Runtime keys (read by the engine, not by the reducer).
    /// Number of slots the runtime runs.
    pub slots: u32,
    /// Loop timer period, seconds.
    pub loop_interval_sec: u64,
    /// Entry placements allowed per loop (bootstrap and repair are exempt).
    pub max_entry_adds_per_loop: u32,
    /// The exchange's open-order cap for the pair (Kraken: 225).
    pub open_orders_limit: u32,
    /// Share of the open-order cap the bot allows itself.
    pub open_order_safety_ratio: Ratio,
    /// Size B entries from the quote actually free, split over the buy-ready slots
    /// (false: B sizes like A, `max(order_size_usd, order_size_usd + slot profit)`).
    pub quote_first_allocation: bool,
    /// With `quote_first_allocation = false`: size B as the origin's legacy path did,
    /// `max(order_size_usd, free quote / slots)` (a baseline for measuring seed 001).
    pub legacy_b_sizing: bool,
    /// Quote kept back from the B-side allocation.
    pub allocation_safety_buffer_usd: Quote,
    /// Raise entries below `min_volume × market × 1.01` to that size.
    pub entry_floor_enabled: bool,
    /// Pause new entries when the UTC day's realized loss reaches this (0 = off).
    pub daily_loss_limit: Quote,
    /// Non-sticky slots orphan stuck exits into recovery orders.
    pub recovery_orders_enabled: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            entry_pct: Ratio::lit(2, 1),
            entry_pct_a: None,
            entry_pct_b: None,
            profit_pct: Ratio::lit(1, 0),
            refresh_pct: Ratio::lit(1, 0),
            order_size_usd: Quote::lit(2, 0),
            price_decimals: 6,
            volume_decimals: 0,
            min_volume: Qty::lit(13, 0),
            min_cost_usd: Quote::ZERO,
            maker_fee_pct: Ratio::lit(25, 2),
            stale_price_max_age_sec: 60,
            s1_orphan_after_sec: 1350,
            s2_orphan_after_sec: 1800,
            loss_backoff_start: 3,
            loss_cooldown_start: 5,
            loss_cooldown_sec: 900,
            reentry_base_cooldown_sec: 60,
            backoff_factor: Ratio::lit(5, 1),
            backoff_max_multiplier: Ratio::lit(5, 0),
            max_consecutive_refreshes: 3,
            refresh_cooldown_sec: 300,
            max_recovery_slots: 2,
            sticky_mode_enabled: true,
            max_completed_cycles: 100,
            slots: 10,
            loop_interval_sec: 30,
            max_entry_adds_per_loop: 2,
            open_orders_limit: 225,
            open_order_safety_ratio: Ratio::lit(75, 2),
            quote_first_allocation: true,
            legacy_b_sizing: false,
            allocation_safety_buffer_usd: Quote::lit(10, 2),
            entry_floor_enabled: true,
            daily_loss_limit: Quote::ZERO,
            recovery_orders_enabled: true,
        }
    }
}

/// One line of documentation per key, in declaration order (used by `config defaults`).
pub const ENGINE_CONFIG_DOCS: &[(&str, &str)] = &[
    (
        "entry_pct",
        "entry distance from market, percent (0.2 = 0.2 %)",
    ),
    (
        "entry_pct_a",
        "A (sell) entry distance, percent; unset = entry_pct",
    ),
    (
        "entry_pct_b",
        "B (buy) entry distance, percent; unset = entry_pct",
    ),
    (
        "profit_pct",
        "exit profit target, percent, when no runtime target is set",
    ),
    (
        "refresh_pct",
        "entries further than this from market (percent) are refreshed",
    ),
    ("order_size_usd", "default order size in quote currency"),
    ("price_decimals", "instrument price decimals (0-9)"),
    ("volume_decimals", "instrument volume decimals (0-9)"),
    ("min_volume", "instrument minimum order volume, base units"),
    (
        "min_cost_usd",
        "instrument minimum order notional, quote (0 = none)",
    ),
    ("maker_fee_pct", "maker fee, percent"),
    (
        "stale_price_max_age_sec",
        "a price older than this many seconds is stale",
    ),
    (
        "s1_orphan_after_sec",
        "S1: orphan the exit after this many seconds (non-sticky slots)",
    ),
    (
        "s2_orphan_after_sec",
        "S2: orphan the farther exit after this many seconds (non-sticky)",
    ),
    (
        "loss_backoff_start",
        "losing streak at which entry distance starts widening",
    ),
    (
        "loss_cooldown_start",
        "losing streak that pauses the trade for loss_cooldown_sec",
    ),
    ("loss_cooldown_sec", "loss cooldown, seconds"),
    (
        "reentry_base_cooldown_sec",
        "delay before a trade re-enters after a close or orphan, s",
    ),
    ("backoff_factor", "entry widening per loss past the start"),
    (
        "backoff_max_multiplier",
        "cap of the entry widening multiplier",
    ),
    (
        "max_consecutive_refreshes",
        "same-direction refreshes before the anti-chase pause",
    ),
    ("refresh_cooldown_sec", "anti-chase pause, seconds"),
    (
        "max_recovery_slots",
        "orphaned exits kept per slot; more evict the farthest",
    ),
    (
        "sticky_mode_enabled",
        "new slots are sticky: exits wait for their fill, no timer orphaning",
    ),
    (
        "max_completed_cycles",
        "completed cycles kept in slot state (journal keeps all)",
    ),
    ("slots", "number of slots the runtime runs"),
    ("loop_interval_sec", "loop timer period, seconds"),
    (
        "max_entry_adds_per_loop",
        "entry placements per loop (bootstrap and repair exempt)",
    ),
    (
        "open_orders_limit",
        "the exchange's open-order cap for the pair (Kraken: 225)",
    ),
    (
        "open_order_safety_ratio",
        "share of the open-order cap the bot allows itself (0.1-1)",
    ),
    (
        "quote_first_allocation",
        "size B entries from free quote split over buy-ready slots",
    ),
    (
        "legacy_b_sizing",
        "without quote-first: B = max(order_size_usd, free quote / slots), the origin's sizing",
    ),
    (
        "allocation_safety_buffer_usd",
        "quote kept back from the B-side allocation",
    ),
    (
        "entry_floor_enabled",
        "raise entries below min_volume x market x 1.01 to that size",
    ),
    (
        "daily_loss_limit",
        "pause new entries when the UTC day's loss reaches this (0 = off)",
    ),
    (
        "recovery_orders_enabled",
        "non-sticky slots orphan stuck exits into recovery orders",
    ),
];

impl EngineConfig {
    /// Entry distance (percent) for a trade: the per-trade value when set and > 0.
    pub fn entry_pct_for(&self, trade: flywheel_core::TradeId) -> Ratio {
        let specific = match trade {
            flywheel_core::TradeId::A => self.entry_pct_a,
            flywheel_core::TradeId::B => self.entry_pct_b,
        };
        match specific {
            Some(p) if p.is_positive() => p,
            _ => self.entry_pct,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flywheel_core::config_range::{boundary_failures, missing_ranges, Num};
    use flywheel_core::Severity::{self, Error, Warning};

    fn r(s: &str) -> Ratio {
        s.parse().expect("ratio literal")
    }

    /// The defaults with every optional key set, so that every key is serialized.
    fn all_keys() -> EngineConfig {
        EngineConfig {
            entry_pct_a: Some(Ratio::ZERO),
            entry_pct_b: Some(Ratio::ZERO),
            ..EngineConfig::default()
        }
    }

    /// The defaults with `key` set to `value` the way a config file sets it (`None` when the
    /// key's type cannot hold the value).
    fn set(key: &str, value: &Num) -> Option<EngineConfig> {
        let mut json = serde_json::to_value(EngineConfig::default()).ok()?;
        json.as_object_mut()?
            .insert(key.to_string(), serde_json::to_value(value).ok()?);
        serde_json::from_value(json).ok()
    }

    #[test]
    fn defaults_are_valid_consistent_and_documented() {
        let cfg = EngineConfig::default();
        assert_eq!(cfg.validate(), vec![]);
        assert_eq!(cfg.cross_check(), vec![]);
        // Every serialized key has a doc line, in the same order.
        let v = serde_json::to_value(all_keys()).expect("serializes");
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(|k| k.as_str())
            .collect();
        let mut documented: Vec<&str> = ENGINE_CONFIG_DOCS.iter().map(|(k, _)| *k).collect();
        let mut sorted_keys = keys.clone();
        sorted_keys.sort_unstable();
        documented.sort_unstable();
        assert_eq!(sorted_keys, documented);
    }

    #[test]
    fn every_numeric_key_has_a_range() {
        let v = serde_json::to_value(all_keys()).expect("serializes");
        let numeric = v
            .as_object()
            .expect("object")
            .iter()
            .filter(|(_, v)| v.is_number() || v.as_str().is_some_and(|s| s.parse::<f64>().is_ok()))
            .map(|(k, _)| k.as_str());
        assert_eq!(
            missing_ranges(ENGINE_CONFIG_RANGES, numeric),
            Vec::<&str>::new()
        );
    }

    /// For every key: its minimum and maximum pass, the values just beyond them fail.
    #[test]
    fn every_range_boundary() {
        assert_eq!(
            boundary_failures("grid", ENGINE_CONFIG_RANGES, set),
            Vec::<String>::new()
        );
    }

    #[test]
    fn validation_names_each_bad_key() {
        type Mutate = fn(&mut EngineConfig);
        let cases: [(&str, Mutate, &str); 8] = [
            ("zero entry", |c| c.entry_pct = Ratio::ZERO, "entry_pct"),
            ("huge profit", |c| c.profit_pct = r("100"), "profit_pct"),
            ("ten decimals", |c| c.price_decimals = 10, "price_decimals"),
            (
                "no recovery",
                |c| c.max_recovery_slots = 0,
                "max_recovery_slots",
            ),
            (
                "negative side pct",
                |c| c.entry_pct_b = Some(r("-1")),
                "entry_pct_b",
            ),
            (
                "multiplier below one",
                |c| c.backoff_max_multiplier = r("0.5"),
                "backoff_max_multiplier",
            ),
            (
                "loop interval of i64::MAX seconds",
                |c| c.loop_interval_sec = i64::MAX as u64,
                "loop_interval_sec",
            ),
            (
                "stale age that overflows + 1",
                |c| c.stale_price_max_age_sec = u64::MAX,
                "stale_price_max_age_sec",
            ),
        ];
        for (name, mutate, key) in cases {
            let mut cfg = EngineConfig::default();
            mutate(&mut cfg);
            let issues = cfg.validate();
            assert_eq!(issues.len(), 1, "case {name}: {issues:?}");
            assert_eq!(issues[0].key, key, "case {name}");
            assert_eq!(issues[0].severity, Error, "case {name}");
        }
    }

    #[test]
    fn cross_checks_table() {
        type Edit = fn(&mut EngineConfig);
        /// (severity, key, message start)
        type Want = &'static [(Severity, &'static str, &'static str)];
        // (name, edit of the defaults, expected problems)
        let cases: [(&str, Edit, Want); 11] = [
            ("defaults", |_| {}, &[]),
            (
                "profit below the round-trip fee",
                |c| c.profit_pct = r("0.1"),
                &[(
                    Error,
                    "profit_pct",
                    "0.1 is below the round-trip maker fees 0.5 (2 × grid.maker_fee_pct \
                     0.25): every round trip loses money",
                )],
            ),
            (
                "profit equal to the round-trip fee",
                |c| c.profit_pct = r("0.5"),
                &[(
                    Error,
                    "profit_pct",
                    "0.5 equals the round-trip maker fees 0.5",
                )],
            ),
            (
                "thin margin",
                |c| c.profit_pct = r("0.55"),
                &[(
                    Warning,
                    "profit_pct",
                    "0.55 is only 0.05 percentage points above the round-trip maker fees",
                )],
            ),
            ("a margin of 0.1 pp", |c| c.profit_pct = r("0.6"), &[]),
            (
                "no fees, tiny profit",
                |c| {
                    c.maker_fee_pct = Ratio::ZERO;
                    c.profit_pct = r("0.01");
                },
                &[],
            ),
            (
                "entry at the refresh distance",
                |c| c.entry_pct = r("1"),
                &[(Error, "entry_pct", "1 is not below grid.refresh_pct 1: ")],
            ),
            (
                "one trade's entry beyond the refresh distance",
                |c| c.entry_pct_b = Some(r("1.5")),
                &[(Error, "entry_pct_b", "1.5 is not below grid.refresh_pct 1")],
            ),
            (
                "entries below the refresh distance, widened or not",
                |c| c.entry_pct = r("0.9"),
                &[],
            ),
            (
                "both trades' own entries checked",
                |c| {
                    c.entry_pct_a = Some(r("2"));
                    c.entry_pct_b = Some(r("3"));
                },
                &[
                    (Error, "entry_pct_a", "2 is not below"),
                    (Error, "entry_pct_b", "3 is not below"),
                ],
            ),
            (
                "order size below the exchange minimum cost",
                |c| c.min_cost_usd = Quote::lit(5, 0),
                &[(
                    Warning,
                    "order_size_usd",
                    "2 is below grid.min_cost_usd 5: orders of the base size wait",
                )],
            ),
        ];
        for (name, edit, want) in cases {
            let mut cfg = EngineConfig::default();
            edit(&mut cfg);
            assert_eq!(cfg.validate(), vec![], "case {name}: in range");
            let got = cfg.cross_check();
            assert_eq!(got.len(), want.len(), "case {name}: {got:?}");
            for (g, (severity, key, message)) in got.iter().zip(want) {
                assert_eq!((g.severity, g.key), (*severity, *key), "case {name}: {g:?}");
                assert!(
                    g.message.starts_with(message),
                    "case {name}: {:?} does not start with {message:?}",
                    g.message
                );
            }
        }
    }

    #[test]
    fn per_trade_entry_pct() {
        let cfg = EngineConfig {
            entry_pct_a: Some(r("0.3")),
            entry_pct_b: Some(Ratio::ZERO),
            ..EngineConfig::default()
        };
        assert_eq!(cfg.entry_pct_for(flywheel_core::TradeId::A), r("0.3"));
        assert_eq!(cfg.entry_pct_for(flywheel_core::TradeId::B), cfg.entry_pct);
    }
}
