//! The `[venue]` and `[backtest]` configuration sections, and how they combine with `[grid]`
//! into the instrument the venue enforces.
//!
//! The instrument's precision, minimums and maker fee come from `[grid]` (the keys the slot
//! engine rounds with), so the reducer and the venue can never disagree about them; `[venue]`
//! adds what only the venue needs.
//!
//! Every numeric key has a documented range ([`VENUE_CONFIG_RANGES`],
//! [`BACKTEST_CONFIG_RANGES`], [`LEAK_CONFIG_RANGES`]; the budgets are explained in
//! `flywheel_core::config_range`). The start balances share the balance budget (10⁹): a
//! start of 10⁸ quote is allowed, and the design point (a year of 1-second loops with 10⁷
//! quote) is well inside. The simulated latency is at most a minute: beyond that no maker
//! order would rest on the book it was priced for.

use flywheel_core::config_range::{
    check_ranges, dec, ge, int, le, KeyRange, Num, MAX_BALANCE, MAX_DURATION_SEC,
};
use flywheel_core::{key_ranges, ConfigProblem, FixedError, Instrument, Price, Qty, Quote, Ratio};
use flywheel_grid::EngineConfig;
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
    ("taker_fee_pct", "taker fee, percent (maker fee is grid.maker_fee_pct; --strategy maker uses maker.fee_schedule)"),
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

    /// Every value outside its range in [`VENUE_CONFIG_RANGES`].
    pub fn validate(&self) -> Vec<ConfigProblem> {
        check_ranges(VENUE_CONFIG_RANGES, self)
    }
}

const ZERO: Num = Num::dec(0, 0);

/// The range of every numeric `[venue]` key.
#[rustfmt::skip]
pub const VENUE_CONFIG_RANGES: &[KeyRange<VenueConfig>] = key_ranges! { VenueConfig;
    taker_fee_pct: ge(ZERO), le(dec(5, 0)), "percent", "exchange fees are below 1 %";
    latency_ms: ge(int(0)), le(int(60_000)), "ms",
        "an order entry delay; beyond a minute no order rests on the book it was priced for";
    max_open_orders: ge(int(1)), le(int(10_000)), "",
        "the book holds this many orders (Kraken: 225 per pair)";
};

/// The range of every numeric `[backtest]` key.
#[rustfmt::skip]
pub const BACKTEST_CONFIG_RANGES: &[KeyRange<BacktestConfig>] = key_ranges! { BacktestConfig;
    start_base: ge(ZERO), le(MAX_BALANCE), "base units",
        "a balance, within the 10^9 balance budget";
    start_quote: ge(ZERO), le(MAX_BALANCE), "quote", "a balance, within the 10^9 balance budget";
};

/// The range of every numeric `[leak]` key.
#[rustfmt::skip]
pub const LEAK_CONFIG_RANGES: &[KeyRange<LeakConfig>] = key_ranges! { LeakConfig;
    balance_degrade_cooldown_sec: ge(int(0)), le(MAX_DURATION_SEC), "seconds",
        "a cooldown, at most 30 days";
};

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
    /// Every value outside its range in [`BACKTEST_CONFIG_RANGES`].
    pub fn validate(&self) -> Vec<ConfigProblem> {
        check_ranges(BACKTEST_CONFIG_RANGES, self)
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
    use flywheel_core::config_range::testkit::{numeric_keys, set};
    use flywheel_core::config_range::{boundary_failures, missing_ranges};
    use serde::de::DeserializeOwned;

    /// Every numeric key has a range, the defaults pass, and for every key the minimum and
    /// maximum pass while the values just beyond them fail.
    #[test]
    fn ranges_of_venue_backtest_and_leak() {
        fn section<C: Serialize + DeserializeOwned>(
            name: &str,
            base: C,
            table: &[KeyRange<C>],
        ) -> Vec<String> {
            let keys = numeric_keys(&base);
            let mut failures: Vec<String> = missing_ranges(table, keys.iter().map(String::as_str))
                .into_iter()
                .map(|k| format!("{name}.{k}: no range"))
                .collect();
            failures.extend(
                check_ranges(table, &base)
                    .iter()
                    .map(|p| format!("{name} default: {p}")),
            );
            failures.extend(boundary_failures(name, table, |k, v| set(&base, k, v)));
            failures
        }
        let mut failures = section("venue", VenueConfig::default(), VENUE_CONFIG_RANGES);
        failures.extend(section(
            "backtest",
            BacktestConfig::default(),
            BACKTEST_CONFIG_RANGES,
        ));
        failures.extend(section("leak", LeakConfig::default(), LEAK_CONFIG_RANGES));
        assert_eq!(failures, Vec::<String>::new());
    }
}
