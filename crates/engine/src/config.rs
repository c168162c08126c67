//! The `[venue]` and `[backtest]` configuration sections, and how they combine with `[grid]`
//! into the instrument the venue enforces.
//!
//! The instrument's precision, minimums and maker fee come from `[grid]` (the keys the slot
//! engine rounds with), so the reducer and the venue can never disagree about them; `[venue]`
//! adds what only the venue needs.

use flywheel_core::{FixedError, Instrument, Price, Qty, Quote, Ratio};
use flywheel_grid::{ConfigIssue, EngineConfig};
use flywheel_venue::sim::{FillRule, SimConfig};
use flywheel_venue::{AssetBalance, Balances};
use serde::{Deserialize, Serialize};

/// `[venue]`: the exchange.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VenueConfig {
    pub symbol: String,
    pub taker_fee_pct: Ratio,
    pub latency_ms: u64,
    pub fill_rule: FillRule,
    pub max_open_orders: usize,
    pub partial_fills: bool,
}

impl Default for VenueConfig {
    fn default() -> Self {
        let sim = SimConfig::default();
        VenueConfig {
            symbol: "DOGE/USD".to_string(),
            taker_fee_pct: Ratio::lit(40, 2),
            latency_ms: sim.latency_ms,
            fill_rule: sim.fill_rule,
            max_open_orders: sim.max_open_orders,
            partial_fills: sim.partial_fills,
        }
    }
}

pub const VENUE_CONFIG_DOCS: &[(&str, &str)] = &[
    ("symbol", "market symbol, for reports"),
    ("taker_fee_pct", "taker fee, percent (maker fee is grid.maker_fee_pct)"),
    ("latency_ms", "simulated order entry latency, ms (0 = rests at once)"),
    ("fill_rule", "trade prints fill resting orders when strictly through (\"strict\") or at the price (\"touch\")"),
    ("max_open_orders", "the venue's open-order cap (Kraken: 225)"),
    ("partial_fills", "a trade fills at most its own size (false: crossed orders fill whole)"),
];

impl VenueConfig {
    pub fn sim(&self) -> SimConfig {
        SimConfig {
            latency_ms: self.latency_ms,
            fill_rule: self.fill_rule,
            max_open_orders: self.max_open_orders,
            partial_fills: self.partial_fills,
        }
    }

    pub fn validate(&self, section: &str) -> Vec<ConfigIssue> {
        let mut out = Vec::new();
        if self.taker_fee_pct.is_negative() || self.taker_fee_pct >= Ratio::HUNDRED {
            out.push(ConfigIssue {
                key: format!("{section}.taker_fee_pct"),
                message: "must be >= 0 and < 100 (percent)".into(),
            });
        }
        if self.max_open_orders == 0 {
            out.push(ConfigIssue {
                key: format!("{section}.max_open_orders"),
                message: "must be >= 1".into(),
            });
        }
        out
    }
}

/// `[backtest]`: the simulated account at the start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BacktestConfig {
    /// Base currency (e.g. DOGE) in the account at the start.
    pub start_base: Qty,
    /// Quote currency (e.g. USD) in the account at the start.
    pub start_quote: Quote,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        BacktestConfig {
            start_base: Qty::lit(1000, 0),
            start_quote: Quote::lit(200, 0),
        }
    }
}

pub const BACKTEST_CONFIG_DOCS: &[(&str, &str)] = &[
    (
        "start_base",
        "base currency in the simulated account at the start",
    ),
    (
        "start_quote",
        "quote currency in the simulated account at the start",
    ),
];

impl BacktestConfig {
    pub fn validate(&self, section: &str) -> Vec<ConfigIssue> {
        let mut out = Vec::new();
        if self.start_base.is_negative() {
            out.push(ConfigIssue {
                key: format!("{section}.start_base"),
                message: "must be >= 0".into(),
            });
        }
        if self.start_quote.is_negative() {
            out.push(ConfigIssue {
                key: format!("{section}.start_quote"),
                message: "must be >= 0".into(),
            });
        }
        out
    }

    pub fn start_balances(&self) -> Balances {
        Balances {
            base: AssetBalance {
                total: self.start_base,
                held: Qty::ZERO,
            },
            quote: AssetBalance {
                total: self.start_quote,
                held: Quote::ZERO,
            },
        }
    }
}

/// The instrument the venue enforces, from `[grid]` and `[venue]`.
pub fn instrument(grid: &EngineConfig, venue: &VenueConfig) -> Result<Instrument, FixedError> {
    Ok(Instrument {
        symbol: venue.symbol.clone(),
        price_decimals: grid.price_decimals,
        tick: Price::from_parts(1, grid.price_decimals)?,
        volume_decimals: grid.volume_decimals,
        lot: Qty::from_parts(1, grid.volume_decimals)?,
        min_volume: grid.min_volume,
        min_cost: grid.min_cost_usd,
        maker_fee_pct: grid.maker_fee_pct,
        taker_fee_pct: venue.taker_fee_pct,
    })
}

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
