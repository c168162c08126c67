//! The `[venue]` and `[backtest]` configuration sections, and how they combine with `[grid]`
//! into the instrument the venue enforces.
//!
//! The instrument's precision, minimums and maker fee come from `[grid]` (the keys the slot
//! engine rounds with), so the reducer and the venue can never disagree about them; `[venue]`
//! adds what only the venue needs.
//!
//! Every numeric key has a documented range ([`VENUE_CONFIG_RANGES`],
//! [`BACKTEST_CONFIG_RANGES`], and `[leak]`'s in `flywheel_capital::config`; the budgets are explained in
//! `flywheel_core::config_range`). The start balances share the balance budget (10⁹): a
//! start of 10⁸ quote is allowed, and the design point (a year of 1-second loops with 10⁷
//! quote) is well inside. The simulated latency is at most a minute: beyond that no maker
//! order would rest on the book it was priced for.

use flywheel_core::config_range::{
    check_ranges, dec, ge, int, le, KeyRange, Num, DAY_SEC, MAX_BALANCE,
};
use flywheel_core::{key_ranges, ConfigProblem, FixedError, Instrument, Price, Qty, Quote, Ratio};
use flywheel_grid::EngineConfig;
use flywheel_venue::sim::{AggressorRule, FillRule, SimConfig};
use flywheel_venue::{AssetBalance, Balances};
use serde::{Deserialize, Serialize};

pub use flywheel_capital::config::{LeakConfig, LEAK_CONFIG_DOCS, LEAK_CONFIG_RANGES};

/// `[venue]`: the exchange.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VenueConfig {
    pub symbol: String,
    pub taker_fee_pct: Ratio,
    pub latency_ms: u64,
    pub ack_latency_ms: u64,
    pub fill_rule: FillRule,
    pub max_open_orders: usize,
    pub partial_fills: bool,
    pub aggressor: AggressorRule,
    pub queue_window_sec: u64,
    pub queue_ahead_multiple: Ratio,
    pub ioc_half_spread_bps: Ratio,
}

impl Default for VenueConfig {
    fn default() -> Self {
        let sim = SimConfig::default();
        VenueConfig {
            symbol: "DOGE/USD".to_string(),
            taker_fee_pct: Ratio::lit(40, 2),
            latency_ms: sim.latency_ms,
            ack_latency_ms: sim.ack_latency_ms,
            fill_rule: sim.fill_rule,
            max_open_orders: sim.max_open_orders,
            partial_fills: sim.partial_fills,
            aggressor: sim.aggressor,
            queue_window_sec: sim.queue_window_sec,
            queue_ahead_multiple: sim.queue_ahead_multiple,
            ioc_half_spread_bps: sim.ioc_half_spread_bps,
        }
    }
}

pub const VENUE_CONFIG_DOCS: &[(&str, &str)] = &[
    ("symbol", "market symbol, for reports"),
    ("taker_fee_pct", "taker fee, percent (maker fee is grid.maker_fee_pct; --strategy maker uses maker.fee_schedule)"),
    ("latency_ms", "simulated order entry latency, ms (0 = rests at once)"),
    ("ack_latency_ms", "simulated answer latency, ms: acks, refusals, IOC outcomes and cancel confirmations reach the engine this late, and cancels take effect then (0 = with the reply)"),
    ("fill_rule", "a trade print at an order's price fills: \"queue\" what passes the volume queued ahead, \"touch\" at once, \"strict\" never (prints through the price always fill)"),
    ("max_open_orders", "the venue's open-order cap (Kraken: 225)"),
    ("partial_fills", "a trade fills at most its own size (false: crossed orders fill whole)"),
    ("queue_window_sec", "fill_rule = \"queue\": window of recent prints the queue-ahead estimate is taken from, s"),
    ("queue_ahead_multiple", "fill_rule = \"queue\": queue ahead of a new order = this x max(volume printed at its price, mean print) in the window (0 = front)"),
    ("ioc_half_spread_bps", "IOC (hedger) orders fill this many bps worse than the last print, to the tick (no data format carries the book)"),
    ("aggressor", "a print fills only the side its taker hit; taker side from the data, else: data_or_tick (tick test) | data_or_both | tick (always) | ignore (both sides)"),
];

impl VenueConfig {
    pub fn sim(&self) -> SimConfig {
        SimConfig {
            latency_ms: self.latency_ms,
            ack_latency_ms: self.ack_latency_ms,
            fill_rule: self.fill_rule,
            max_open_orders: self.max_open_orders,
            partial_fills: self.partial_fills,
            aggressor: self.aggressor,
            queue_window_sec: self.queue_window_sec,
            queue_ahead_multiple: self.queue_ahead_multiple,
            ioc_half_spread_bps: self.ioc_half_spread_bps,
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
    ack_latency_ms: ge(int(0)), le(int(60_000)), "ms",
        "an answer delay; Kraken's order deadline is at most 60 s, beyond it an answer is a timeout";
    max_open_orders: ge(int(1)), le(int(10_000)), "",
        "the book holds this many orders (Kraken: 225 per pair)";
    queue_window_sec: ge(int(1)), le(DAY_SEC), "seconds",
        "a window of recent prints; at most a day, beyond it the levels are another market";
    queue_ahead_multiple: ge(ZERO), le(dec(100, 0)), "",
        "a multiple of the volume seen at a level; 0 is the front of the queue, 100 is as good as endless (strict)";
    ioc_half_spread_bps: ge(ZERO), le(dec(500, 0)), "bps",
        "half a spread; beyond 5 % an IOC order is not a hedge but a crash";
};

/// The range of every numeric `[backtest]` key.
#[rustfmt::skip]
pub const BACKTEST_CONFIG_RANGES: &[KeyRange<BacktestConfig>] = key_ranges! { BacktestConfig;
    start_base: ge(ZERO), le(MAX_BALANCE), "base units",
        "a balance, within the 10^9 balance budget";
    start_quote: ge(ZERO), le(MAX_BALANCE), "quote", "a balance, within the 10^9 balance budget";
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
