//! [`EngineConfig`]: the slot engine's parameters (spec `grid-origin.md` §1.3).
//!
//! Defaults are the values the origin's live runtime passes, where that differs from the
//! reducer's own default: `reentry_base_cooldown_sec` is 60 (the reducer default was 0) and
//! new slots are sticky. Percentages are in percent (0.2 = 0.2 %). Durations are whole
//! seconds on the engine clock.
//!
//! [`EngineConfig::validate`] reports every out-of-range value at once, each with its key
//! (`grid.<field>`), so a config file can be fixed in one pass.

use flywheel_core::{Qty, Quote, Ratio};
use serde::{Deserialize, Serialize};

/// One problem with a configuration value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigIssue {
    /// Dotted key, e.g. `grid.entry_pct`.
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

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

    /// Every out-of-range value, each named by its key under `section` (e.g. `grid`).
    pub fn validate(&self, section: &str) -> Vec<ConfigIssue> {
        let mut issues = Vec::new();
        let mut check = |ok: bool, key: &str, message: &str| {
            if !ok {
                issues.push(ConfigIssue {
                    key: format!("{section}.{key}"),
                    message: message.to_string(),
                });
            }
        };
        let hundred = Ratio::HUNDRED;
        let pct_ok = |p: Ratio| p.is_positive() && p < hundred;
        check(
            pct_ok(self.entry_pct),
            "entry_pct",
            "must be > 0 and < 100 (percent)",
        );
        for (key, v) in [
            ("entry_pct_a", self.entry_pct_a),
            ("entry_pct_b", self.entry_pct_b),
        ] {
            if let Some(p) = v {
                check(
                    !p.is_negative() && p < hundred,
                    key,
                    "must be >= 0 and < 100 (percent; 0 = use entry_pct)",
                );
            }
        }
        check(
            pct_ok(self.profit_pct),
            "profit_pct",
            "must be > 0 and < 100 (percent)",
        );
        check(
            self.refresh_pct.is_positive(),
            "refresh_pct",
            "must be > 0 (percent)",
        );
        check(
            self.order_size_usd.is_positive(),
            "order_size_usd",
            "must be > 0",
        );
        check(
            self.price_decimals <= 9,
            "price_decimals",
            "must be between 0 and 9",
        );
        check(
            self.volume_decimals <= 9,
            "volume_decimals",
            "must be between 0 and 9",
        );
        check(!self.min_volume.is_negative(), "min_volume", "must be >= 0");
        check(
            !self.min_cost_usd.is_negative(),
            "min_cost_usd",
            "must be >= 0",
        );
        check(
            !self.maker_fee_pct.is_negative() && self.maker_fee_pct < hundred,
            "maker_fee_pct",
            "must be >= 0 and < 100 (percent)",
        );
        check(
            self.loss_backoff_start >= 1,
            "loss_backoff_start",
            "must be >= 1",
        );
        check(
            self.loss_cooldown_start >= 1,
            "loss_cooldown_start",
            "must be >= 1",
        );
        check(
            !self.backoff_factor.is_negative(),
            "backoff_factor",
            "must be >= 0",
        );
        check(
            self.backoff_max_multiplier >= Ratio::ONE,
            "backoff_max_multiplier",
            "must be >= 1",
        );
        check(
            self.max_consecutive_refreshes >= 1,
            "max_consecutive_refreshes",
            "must be >= 1",
        );
        check(
            self.max_recovery_slots >= 1,
            "max_recovery_slots",
            "must be >= 1",
        );
        check(
            (1..=1000).contains(&self.slots),
            "slots",
            "must be between 1 and 1000",
        );
        check(
            self.loop_interval_sec >= 5,
            "loop_interval_sec",
            "must be >= 5",
        );
        check(
            self.max_entry_adds_per_loop >= 1,
            "max_entry_adds_per_loop",
            "must be >= 1",
        );
        check(
            self.open_orders_limit >= 1,
            "open_orders_limit",
            "must be >= 1",
        );
        check(
            self.open_order_safety_ratio >= Ratio::lit(1, 1)
                && self.open_order_safety_ratio <= Ratio::ONE,
            "open_order_safety_ratio",
            "must be between 0.1 and 1",
        );
        check(
            !self.allocation_safety_buffer_usd.is_negative(),
            "allocation_safety_buffer_usd",
            "must be >= 0",
        );
        check(
            !self.daily_loss_limit.is_negative(),
            "daily_loss_limit",
            "must be >= 0",
        );
        check(
            self.max_completed_cycles <= 100_000,
            "max_completed_cycles",
            "must be at most 100000 (the journal keeps full history)",
        );
        issues
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented() {
        let cfg = EngineConfig::default();
        assert!(cfg.validate("grid").is_empty());
        // Every serialized key has a doc line, in the same order.
        let mut all = cfg.clone();
        all.entry_pct_a = Some(Ratio::ZERO);
        all.entry_pct_b = Some(Ratio::ZERO);
        let v = serde_json::to_value(&all).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        let mut documented: Vec<&str> = ENGINE_CONFIG_DOCS.iter().map(|(k, _)| *k).collect();
        let mut sorted_keys = keys.clone();
        sorted_keys.sort_unstable();
        documented.sort_unstable();
        assert_eq!(sorted_keys, documented);
    }

    #[test]
    fn validation_names_each_bad_key() {
        type Mutate = fn(&mut EngineConfig);
        let cases: [(&str, Mutate, &str); 6] = [
            (
                "zero entry",
                |c| c.entry_pct = Ratio::ZERO,
                "grid.entry_pct",
            ),
            (
                "huge profit",
                |c| c.profit_pct = "100".parse().unwrap(),
                "grid.profit_pct",
            ),
            (
                "ten decimals",
                |c| c.price_decimals = 10,
                "grid.price_decimals",
            ),
            (
                "no recovery",
                |c| c.max_recovery_slots = 0,
                "grid.max_recovery_slots",
            ),
            (
                "negative side pct",
                |c| c.entry_pct_b = Some("-1".parse().unwrap()),
                "grid.entry_pct_b",
            ),
            (
                "multiplier below one",
                |c| c.backoff_max_multiplier = "0.5".parse().unwrap(),
                "grid.backoff_max_multiplier",
            ),
        ];
        for (name, mutate, key) in cases {
            let mut cfg = EngineConfig::default();
            mutate(&mut cfg);
            let issues = cfg.validate("grid");
            assert_eq!(issues.len(), 1, "case {name}: {issues:?}");
            assert_eq!(issues[0].key, key, "case {name}");
        }
    }

    #[test]
    fn per_trade_entry_pct() {
        let cfg = EngineConfig {
            entry_pct_a: Some("0.3".parse().unwrap()),
            entry_pct_b: Some(Ratio::ZERO),
            ..EngineConfig::default()
        };
        assert_eq!(
            cfg.entry_pct_for(flywheel_core::TradeId::A),
            "0.3".parse().unwrap()
        );
        assert_eq!(cfg.entry_pct_for(flywheel_core::TradeId::B), cfg.entry_pct);
    }
}
