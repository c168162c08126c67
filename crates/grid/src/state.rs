//! The slot's state: [`PairState`] and the records it holds.
//!
//! A slot runs two interleaved trades (A: sell entry → buy exit; B: buy entry → sell exit).
//! Its phase is never stored: [`PairState::phase`] derives it from the active exits, so it
//! cannot disagree with the orders.
//!
//! Invariants (checked by [`crate::check_invariants`] after every transition):
//! - every active order has a unique `local_id` below `next_order_id`, a cycle ≥ 1, a positive
//!   price and volume, and a side that matches its trade and role;
//! - every exit carries the entry fill price;
//! - a trade has at most one entry, resting or pending, and never one while it is in position;
//! - `s2_entered_at` is set only in S2;
//! - `completed_cycles` holds at most `max_completed_cycles` records (the journal has all).

use std::collections::VecDeque;

use flywheel_core::{Price, Qty, Quote, Ratio, Side, Timestamp, TradeId};
use serde::{Deserialize, Serialize};

use crate::event::PlaceReason;

/// Slot-unique order id, allocated from [`PairState::next_order_id`].
pub type LocalId = u64;
/// Slot-unique recovery id, allocated from [`PairState::next_recovery_id`].
pub type RecoveryId = u64;

/// Whether an order opens or closes its trade's position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Entry,
    Exit,
}

/// Market regime tag recorded at entry (informational).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Regime {
    Bearish,
    Ranging,
    Bullish,
}

/// The slot's phase, derived from which exits exist (spec §1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Phase {
    /// Entries only (or nothing).
    S0,
    /// A is in position (a buy exit rests).
    S1a,
    /// B is in position (a sell exit rests).
    S1b,
    /// Both trades in position.
    S2,
}

/// Why a slot is one-sided.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModeSource {
    #[default]
    None,
    Balance,
    Regime,
}

/// Direction of a stale-entry refresh (anti-chase bookkeeping).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Up,
    Down,
}

/// An order the slot considers active.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    pub local_id: LocalId,
    pub side: Side,
    pub role: Role,
    pub price: Price,
    pub volume: Qty,
    pub trade_id: TradeId,
    pub cycle: u32,
    /// Exchange id; `None` until the runtime binds the placed order.
    pub txid: Option<String>,
    pub placed_at: Timestamp,
    /// Exits only: the entry fill price (zero on entries).
    pub entry_price: Price,
    /// Exits only: the fee paid on the entry fill.
    pub entry_fee: Quote,
    /// Exits only: when the entry filled.
    pub entry_filled_at: Option<Timestamp>,
    pub regime_at_entry: Option<Regime>,
    /// The venue has executed part of this order. A partially filled entry is never
    /// refreshed: the runtime completes it (or cancels the rest) and reports one fill.
    #[serde(default)]
    pub partially_filled: bool,
}

impl OrderState {
    /// The `PlaceOrder` action for this order (slot orders are always post-only).
    pub fn place_action(&self, reason: PlaceReason) -> crate::event::PlaceOrder {
        crate::event::PlaceOrder {
            local_id: self.local_id,
            side: self.side,
            role: self.role,
            price: self.price,
            volume: self.volume,
            trade_id: self.trade_id,
            cycle: self.cycle,
            post_only: true,
            reason,
        }
    }
}

/// An orphaned exit: still resting on the exchange, no longer managed by the slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryOrder {
    pub recovery_id: RecoveryId,
    pub side: Side,
    pub price: Price,
    pub volume: Qty,
    pub trade_id: TradeId,
    pub cycle: u32,
    pub entry_price: Price,
    pub orphaned_at: Timestamp,
    pub entry_fee: Quote,
    pub entry_filled_at: Option<Timestamp>,
    pub txid: Option<String>,
    pub reason: crate::event::OrphanReason,
    pub regime_at_entry: Option<Regime>,
}

/// A completed round trip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleRecord {
    pub trade_id: TradeId,
    pub cycle: u32,
    pub entry_price: Price,
    pub exit_price: Price,
    pub volume: Qty,
    pub gross_profit: Quote,
    pub fees: Quote,
    pub net_profit: Quote,
    pub entry_fee: Quote,
    pub exit_fee: Quote,
    /// The fee of the sell leg, assumed paid in quote.
    pub quote_fee: Quote,
    /// Estimated quote-balance change: `gross − quote_fee`.
    pub settled_usd: Quote,
    pub entry_time: Option<Timestamp>,
    pub exit_time: Timestamp,
    pub from_recovery: bool,
    pub regime_at_entry: Option<Regime>,
}

/// Per-trade bookkeeping (the origin's `*_a` / `*_b` field pairs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeState {
    /// Current cycle number (≥ 1, never decreases).
    pub cycle: u32,
    pub consecutive_losses: u32,
    /// No new entry for this trade before this time.
    pub cooldown_until: Timestamp,
    pub consecutive_refreshes: u32,
    pub last_refresh_direction: Option<Direction>,
    /// Anti-chase pause expiry; `None` when no pause was started since the last reset.
    pub refresh_cooldown_until: Option<Timestamp>,
    /// An entry the slot owes this trade but has not placed yet: waiting for the re-entry or
    /// loss cooldown to pass, or for the order size to reach the exchange minimum. It is
    /// placed by the first `TimerTick` at which both hold.
    pub pending_entry: Option<PlaceReason>,
}

impl Default for TradeState {
    fn default() -> Self {
        TradeState {
            cycle: 1,
            consecutive_losses: 0,
            cooldown_until: Timestamp::EPOCH,
            consecutive_refreshes: 0,
            last_refresh_direction: None,
            refresh_cooldown_until: None,
            pending_entry: None,
        }
    }
}

/// One slot of the pair engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairState {
    /// Last price seen by the slot (0 before the first tick).
    pub market_price: Price,
    /// The reducer's clock: the latest event time seen (never goes backwards).
    pub now: Timestamp,
    pub orders: Vec<OrderState>,
    pub recovery_orders: Vec<RecoveryOrder>,
    /// The most recent completed cycles, oldest first (bounded).
    pub completed_cycles: VecDeque<CycleRecord>,
    pub a: TradeState,
    pub b: TradeState,
    pub next_order_id: LocalId,
    pub next_recovery_id: RecoveryId,
    /// Σ net profit of booked cycles.
    pub total_profit: Quote,
    /// Σ losses of released recovery positions at the mark when released (≤ 0): not
    /// realized, but charged to the compounding base so sizes never grow on winners alone.
    #[serde(default)]
    pub released_loss: Quote,
    /// Σ settled_usd of booked cycles.
    pub total_settled_usd: Quote,
    /// Σ of all fill fees (entry fees at the entry fill, exit fees at the exit fill).
    pub total_fees: Quote,
    /// Σ |net| of losing cycles booked on the UTC day `loss_day`.
    pub today_realized_loss: Quote,
    /// UTC day (days since epoch) `today_realized_loss` belongs to.
    pub loss_day: i64,
    pub total_round_trips: u64,
    pub s2_entered_at: Option<Timestamp>,
    pub last_price_update_at: Option<Timestamp>,
    /// Only B entries (buy) are placed.
    pub long_only: bool,
    /// Only A entries (sell) are placed.
    pub short_only: bool,
    pub mode_source: ModeSource,
    /// Profit target (percent) for new exits; the runtime overwrites it every loop.
    /// Zero means "use `EngineConfig::profit_pct`".
    pub profit_pct_runtime: Ratio,
}

impl PairState {
    /// A fresh, empty slot at `now` with the last known market price.
    pub fn new(market_price: Price, now: Timestamp) -> Self {
        PairState {
            market_price,
            now,
            orders: Vec::new(),
            recovery_orders: Vec::new(),
            completed_cycles: VecDeque::new(),
            a: TradeState::default(),
            b: TradeState::default(),
            next_order_id: 1,
            next_recovery_id: 1,
            total_profit: Quote::ZERO,
            released_loss: Quote::ZERO,
            total_settled_usd: Quote::ZERO,
            total_fees: Quote::ZERO,
            today_realized_loss: Quote::ZERO,
            loss_day: now.utc_day(),
            total_round_trips: 0,
            s2_entered_at: None,
            last_price_update_at: None,
            long_only: false,
            short_only: false,
            mode_source: ModeSource::None,
            profit_pct_runtime: Ratio::ONE,
        }
    }

    pub fn trade(&self, t: TradeId) -> &TradeState {
        match t {
            TradeId::A => &self.a,
            TradeId::B => &self.b,
        }
    }

    pub fn trade_mut(&mut self, t: TradeId) -> &mut TradeState {
        match t {
            TradeId::A => &mut self.a,
            TradeId::B => &mut self.b,
        }
    }

    /// Derived phase (spec §1.2): S2 if both exits exist, S1a with a buy exit, S1b with a
    /// sell exit, else S0.
    /// What compounding builds on: booked profit plus the losses of released positions
    /// (`total_profit + released_loss`). A slot that sheds losers by releasing them does
    /// not size up on its winners alone.
    pub fn compounding_profit(&self) -> Quote {
        self.total_profit
            .checked_add(self.released_loss)
            .unwrap_or(self.released_loss)
    }

    pub fn phase(&self) -> Phase {
        let mut buy_exit = false;
        let mut sell_exit = false;
        for o in self.orders.iter().filter(|o| o.role == Role::Exit) {
            match o.side {
                Side::Buy => buy_exit = true,
                Side::Sell => sell_exit = true,
            }
        }
        match (buy_exit, sell_exit) {
            (true, true) => Phase::S2,
            (true, false) => Phase::S1a,
            (false, true) => Phase::S1b,
            (false, false) => Phase::S0,
        }
    }

    pub fn find_order(&self, local_id: LocalId) -> Option<&OrderState> {
        self.orders.iter().find(|o| o.local_id == local_id)
    }

    pub fn find_recovery(&self, recovery_id: RecoveryId) -> Option<&RecoveryOrder> {
        self.recovery_orders
            .iter()
            .find(|r| r.recovery_id == recovery_id)
    }

    /// The trade's resting entry, if any.
    pub fn entry_of(&self, t: TradeId) -> Option<&OrderState> {
        self.orders
            .iter()
            .find(|o| o.role == Role::Entry && o.trade_id == t)
    }

    /// True when the trade holds a position (its exit rests).
    pub fn in_position(&self, t: TradeId) -> bool {
        self.orders
            .iter()
            .any(|o| o.role == Role::Exit && o.trade_id == t)
    }

    /// Whether the slot's one-sided mode allows new entries for the trade.
    pub fn mode_allows(&self, t: TradeId) -> bool {
        match t {
            TradeId::A => !self.long_only,
            TradeId::B => !self.short_only,
        }
    }

    /// Profit target in percent for a new exit.
    pub fn effective_profit_pct(&self, cfg: &crate::EngineConfig) -> Ratio {
        if self.profit_pct_runtime.is_zero() {
            cfg.profit_pct
        } else {
            self.profit_pct_runtime
        }
    }

    /// Realized loss of the UTC day containing `now` (zero if nothing was lost that day).
    pub fn realized_loss_on_day_of(&self, now: Timestamp) -> Quote {
        if self.loss_day == now.utc_day() {
            self.today_realized_loss
        } else {
            Quote::ZERO
        }
    }

    /// Record the exchange id of a placed order.
    pub fn bind_txid(&mut self, local_id: LocalId, txid: &str) -> bool {
        match self.orders.iter_mut().find(|o| o.local_id == local_id) {
            Some(o) => {
                o.txid = Some(txid.to_string());
                true
            }
            None => false,
        }
    }

    /// Note that the venue executed part of an active order (see
    /// [`OrderState::partially_filled`]). Returns false for an unknown id.
    pub fn mark_partially_filled(&mut self, local_id: LocalId) -> bool {
        match self.orders.iter_mut().find(|o| o.local_id == local_id) {
            Some(o) => {
                o.partially_filled = true;
                true
            }
            None => false,
        }
    }

    /// Re-price an exit that has not reached the venue yet (its placement failed, e.g. a
    /// post-only exit that would have crossed after a fast move) with the exit formula at the
    /// current market. The result is never worse than the profit target from the entry fill.
    /// Returns the new price, or `None` if the order is not an unbound exit.
    pub fn reprice_unbound_exit(
        &mut self,
        local_id: LocalId,
        cfg: &crate::EngineConfig,
    ) -> Result<Option<Price>, flywheel_core::FixedError> {
        let profit_pct = self.effective_profit_pct(cfg);
        let market = self.market_price;
        let Some(o) = self
            .orders
            .iter_mut()
            .find(|o| o.local_id == local_id && o.role == Role::Exit && o.txid.is_none())
        else {
            return Ok(None);
        };
        o.price = crate::pricing::exit_price(o.entry_price, market, o.side, profit_pct, cfg)?;
        Ok(Some(o.price))
    }

    /// Record the exchange id of a recovery order.
    pub fn bind_recovery_txid(&mut self, recovery_id: RecoveryId, txid: &str) -> bool {
        match self
            .recovery_orders
            .iter_mut()
            .find(|r| r.recovery_id == recovery_id)
        {
            Some(r) => {
                r.txid = Some(txid.to_string());
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: LocalId, side: Side, role: Role, trade: TradeId) -> OrderState {
        OrderState {
            local_id: id,
            side,
            role,
            price: Price::lit(1, 1),
            volume: Qty::lit(20, 0),
            trade_id: trade,
            cycle: 1,
            txid: None,
            placed_at: Timestamp::EPOCH,
            entry_price: Price::ZERO,
            entry_fee: Quote::ZERO,
            entry_filled_at: None,
            regime_at_entry: None,
            partially_filled: false,
        }
    }

    #[test]
    fn phase_from_exits_table() {
        let a_entry = order(1, Side::Sell, Role::Entry, TradeId::A);
        let b_entry = order(2, Side::Buy, Role::Entry, TradeId::B);
        let a_exit = order(3, Side::Buy, Role::Exit, TradeId::A);
        let b_exit = order(4, Side::Sell, Role::Exit, TradeId::B);
        let cases = [
            ("empty", vec![], Phase::S0),
            (
                "two entries",
                vec![a_entry.clone(), b_entry.clone()],
                Phase::S0,
            ),
            (
                "A in position",
                vec![a_exit.clone(), b_entry.clone()],
                Phase::S1a,
            ),
            (
                "B in position",
                vec![b_exit.clone(), a_entry.clone()],
                Phase::S1b,
            ),
            (
                "both in position",
                vec![a_exit.clone(), b_exit.clone()],
                Phase::S2,
            ),
        ];
        for (name, orders, want) in cases {
            let mut s = PairState::new(Price::lit(1, 1), Timestamp::EPOCH);
            s.orders = orders;
            assert_eq!(s.phase(), want, "case {name}");
        }
    }
}
