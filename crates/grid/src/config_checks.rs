//! `[grid]` ranges and cross-checks.
//!
//! [`ENGINE_CONFIG_RANGES`] gives every numeric key a range (the budgets are explained in
//! `flywheel_core::config_range`): inside them the reducer's and the runtime's arithmetic
//! stays far from the fixed-point limit, counts cannot allocate absurd memory, and no
//! duration overflows a timestamp. [`EngineConfig::validate`] checks them.
//!
//! [`EngineConfig::cross_check`] compares keys whose values are each fine alone:
//! - `profit_pct` at or below the round-trip maker fee (`2 × maker_fee_pct`): every round trip
//!   loses money (error); less than 0.1 percentage point above it: a margin that slippage or
//!   a higher fee tier wipes out (warning, only when fees are charged);
//! - an entry distance (`entry_pct`, or `entry_pct_a` / `entry_pct_b` where set) at or beyond
//!   `refresh_pct`: an entry is refreshed when its distance from market *exceeds*
//!   `refresh_pct` (`pricing::drift_exceeds`), so such an entry is stale as soon as it is placed
//!   (or at the first tick away from it) and is cancelled and re-placed at every tick (error).
//!   Entries the loss backoff widens past `refresh_pct` are not flagged: that needs a losing
//!   streak, the anti-chase pause (`max_consecutive_refreshes`, `refresh_cooldown_sec`) bounds
//!   the churn, and with the default backoff any entry above 0.2 % would be flagged;
//! - `order_size_usd` below `min_cost_usd`: orders of the base size wait until profit, the
//!   entry floor or the B allocation makes them larger (warning).

use flywheel_core::config_range::{
    check_ranges, dec, ge, gt, int, le, KeyRange, Num, DAY_SEC, MAX_BALANCE, MAX_DURATION_SEC,
    MAX_ORDER, MAX_SLOTS,
};
use flywheel_core::key_ranges;
use flywheel_core::{ConfigProblem, Ratio, TradeId};

use super::EngineConfig;

const ZERO: Num = Num::dec(0, 0);
/// A distance from market: a buy at `market × (1 − p/100)` stays well above zero.
const DISTANCE_MAX: Num = Num::dec(50, 0);
/// Below this margin over the round-trip fee (percentage points), warn.
const THIN_MARGIN_PP: Ratio = Ratio::lit(1, 1);

/// The range of every numeric `[grid]` key.
#[rustfmt::skip]
pub const ENGINE_CONFIG_RANGES: &[KeyRange<EngineConfig>] = key_ranges! { EngineConfig;
    entry_pct: gt(ZERO), le(DISTANCE_MAX), "percent",
        "a buy entry sits at market × (1 − pct/100); beyond 50 % it is not a grid";
    entry_pct_a: ge(ZERO), le(DISTANCE_MAX), "percent",
        "0 = entry_pct; beyond 50 % it is not a grid";
    entry_pct_b: ge(ZERO), le(DISTANCE_MAX), "percent",
        "0 = entry_pct; beyond 50 % it is not a grid";
    profit_pct: gt(ZERO), le(DISTANCE_MAX), "percent",
        "a buy-back exit sits at fill × (1 − pct/100); beyond 50 % it never fills";
    refresh_pct: gt(ZERO), le(dec(100, 0)), "percent",
        "an entry this far from market is re-placed; 100 = never";
    order_size_usd: gt(ZERO), le(MAX_ORDER), "quote",
        "summed over up to 1000 slots it stays within the 10^9 money budget";
    price_decimals: ge(int(0)), le(int(9)), "", "prices keep at most 9 decimals";
    volume_decimals: ge(int(0)), le(int(9)), "", "volumes keep at most 9 decimals";
    min_volume: ge(ZERO), le(MAX_ORDER), "base units",
        "an exchange minimum the entry floor raises orders to: the per-order budget";
    min_cost_usd: ge(ZERO), le(MAX_ORDER), "quote",
        "an exchange minimum order cost; it shares the per-order budget";
    maker_fee_pct: ge(ZERO), le(dec(5, 0)), "percent",
        "exchange fees are below 1 %; at 5 % no grid can profit";
    stale_price_max_age_sec: ge(int(1)), le(DAY_SEC), "seconds",
        "a mark older than a day is not a price to trade on";
    s1_orphan_after_sec: ge(int(1)), le(MAX_DURATION_SEC), "seconds", "a timeout, at most 30 days";
    s2_orphan_after_sec: ge(int(1)), le(MAX_DURATION_SEC), "seconds", "a timeout, at most 30 days";
    loss_backoff_start: ge(int(1)), le(int(1000)), "losses", "a losing streak length";
    loss_cooldown_start: ge(int(1)), le(int(1000)), "losses", "a losing streak length";
    loss_cooldown_sec: ge(int(0)), le(MAX_DURATION_SEC), "seconds", "a cooldown, at most 30 days";
    reentry_base_cooldown_sec: ge(int(0)), le(MAX_DURATION_SEC), "seconds",
        "0 = at once; a cooldown, at most 30 days";
    backoff_factor: ge(ZERO), le(dec(10, 0)), "",
        "widening per loss; backoff_max_multiplier caps the result";
    backoff_max_multiplier: ge(dec(1, 0)), le(dec(20, 0)), "",
        "1 = no widening; an entry 20× its distance away no longer trades the range";
    max_consecutive_refreshes: ge(int(1)), le(int(1000)), "", "a count of refreshes";
    refresh_cooldown_sec: ge(int(0)), le(MAX_DURATION_SEC), "seconds",
        "a cooldown, at most 30 days";
    max_recovery_slots: ge(int(1)), le(int(50)), "",
        "each is an open order, and Kraken allows 225 per pair";
    max_completed_cycles: ge(int(0)), le(int(1000)), "",
        "kept in every slot's state; the journal keeps the full history";
    slots: ge(int(1)), le(MAX_SLOTS), "",
        "each slot holds orders and state; Kraken allows 225 open orders per pair";
    loop_interval_sec: ge(int(1)), le(int(3600)), "seconds",
        "every timer fires on a loop, so beyond an hour they all fire late";
    max_entry_adds_per_loop: ge(int(1)), le(int(1000)), "", "a count of orders";
    open_orders_limit: ge(int(1)), le(int(10_000)), "",
        "an exchange's open-order cap (Kraken: 225)";
    open_order_safety_ratio: ge(dec(1, 1)), le(dec(1, 0)), "", "a share of the open-order cap";
    allocation_safety_buffer_usd: ge(ZERO), le(MAX_BALANCE), "quote",
        "part of the balance, which is at most 10^9";
    daily_loss_limit: ge(ZERO), le(MAX_BALANCE), "quote",
        "0 = off; part of the balance, which is at most 10^9";
};

impl EngineConfig {
    /// Every value outside its range in [`ENGINE_CONFIG_RANGES`] (errors; keys without the
    /// `grid.` prefix). A configuration that passes runs without arithmetic overflow.
    pub fn validate(&self) -> Vec<ConfigProblem> {
        check_ranges(ENGINE_CONFIG_RANGES, self)
    }

    /// Contradictions between keys that are each in range (see the module docs): errors
    /// where the grid cannot make money or churns orders without end, warnings where it runs
    /// but a trader would not want it.
    pub fn cross_check(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        self.profit_vs_fees(&mut out);
        self.entries_vs_refresh(&mut out);
        if self.min_cost_usd.is_positive() && self.order_size_usd < self.min_cost_usd {
            out.push(
                ConfigProblem::warning(
                    "order_size_usd",
                    format!(
                        "{} is below grid.min_cost_usd {}: orders of the base size wait until \
                         profit, the entry floor or the B allocation makes them larger",
                        self.order_size_usd, self.min_cost_usd
                    ),
                )
                .with_also(&["min_cost_usd"]),
            );
        }
        out
    }

    fn profit_vs_fees(&self, out: &mut Vec<ConfigProblem>) {
        let (profit, fee) = (self.profit_pct, self.maker_fee_pct);
        // A buy at P and its exit at P × (1 + p) pay fee × P × (2 + p): the round trip gains
        // only if p > 2 × fee / (1 − fee), so p ≤ 2 × fee always loses.
        let Ok(round_trip) = fee.checked_add(fee) else {
            return;
        };
        let fees = format!("the round-trip maker fees {round_trip} (2 × grid.maker_fee_pct {fee})");
        if profit <= round_trip {
            let relation = if profit < round_trip {
                "is below"
            } else {
                "equals"
            };
            out.push(
                ConfigProblem::error(
                    "profit_pct",
                    format!("{profit} {relation} {fees}: every round trip loses money"),
                )
                .with_also(&["maker_fee_pct"]),
            );
        } else if round_trip.is_positive() {
            let margin = profit.checked_sub(round_trip).unwrap_or(Ratio::ZERO);
            if margin < THIN_MARGIN_PP {
                out.push(
                    ConfigProblem::warning(
                        "profit_pct",
                        format!(
                            "{profit} is only {margin} percentage points above {fees}: \
                             slippage or a higher fee tier makes round trips lose money"
                        ),
                    )
                    .with_also(&["maker_fee_pct"]),
                );
            }
        }
    }

    fn entries_vs_refresh(&self, out: &mut Vec<ConfigProblem>) {
        let refresh = self.refresh_pct;
        let mut checked_shared = false;
        for (trade, own_key, own) in [
            (TradeId::A, "entry_pct_a", self.entry_pct_a),
            (TradeId::B, "entry_pct_b", self.entry_pct_b),
        ] {
            let key = match own {
                Some(p) if p.is_positive() => own_key,
                _ if checked_shared => continue,
                _ => {
                    checked_shared = true;
                    "entry_pct"
                }
            };
            let entry = self.entry_pct_for(trade);
            if entry >= refresh {
                out.push(
                    ConfigProblem::error(
                        key,
                        format!(
                            "{entry} is not below grid.refresh_pct {refresh}: entries are \
                             placed beyond the refresh distance, so every one is cancelled \
                             and re-placed at the next price tick"
                        ),
                    )
                    .with_also(&["refresh_pct"]),
                );
            }
        }
    }
}
