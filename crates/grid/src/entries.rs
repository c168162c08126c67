//! Creating entries and exits inside the slot state, and the deferred-entry mechanism.
//!
//! A trade that is flat owes the slot an entry. If the entry cannot be placed right now —
//! the trade's re-entry or loss cooldown has not passed, or the order size is below the
//! exchange minimum — it becomes the trade's `pending_entry` instead of being dropped, and
//! the first `TimerTick` at which it can be placed emits it. This fixes the origin's
//! "base cooldown blocks the follow-up forever" defect (spec §9 #2) and its "stale refresh
//! below minimum loses the entry" gap with one rule.

use flywheel_core::{FixedError, Quote, Timestamp, TradeId};

use crate::event::{Action, PlaceReason};
use crate::pricing::{compute_order_volume, entry_price, SizeShortfall};
use crate::state::{OrderState, PairState, Role};
use crate::EngineConfig;

/// Quote-currency order sizes per trade, decided upstream by the runtime's sizing function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderSizes {
    pub a: Quote,
    pub b: Quote,
}

impl OrderSizes {
    /// The same size for both trades.
    pub fn both(usd: Quote) -> Self {
        OrderSizes { a: usd, b: usd }
    }
    pub fn of(&self, t: TradeId) -> Quote {
        match t {
            TradeId::A => self.a,
            TradeId::B => self.b,
        }
    }
}

/// Everything besides the state and the event that a transition reads.
#[derive(Clone, Copy, Debug)]
pub struct SlotContext<'a> {
    pub cfg: &'a EngineConfig,
    /// Sticky slots never orphan exits on a timer.
    pub sticky: bool,
    pub sizes: OrderSizes,
}

/// Outcome of trying to place an entry now.
pub(crate) enum EntryAttempt {
    Placed,
    Waiting(SizeShortfall),
}

/// Build and append a new entry for `trade` (its current cycle) at the current market;
/// emit `PlaceOrder`.
/// On a size shortfall nothing changes and the shortfall is returned.
pub(crate) fn place_entry(
    state: &mut PairState,
    ctx: &SlotContext<'_>,
    trade: TradeId,
    reason: PlaceReason,
    actions: &mut Vec<Action>,
) -> Result<EntryAttempt, FixedError> {
    let cycle = state.trade(trade).cycle;
    let streak = state.trade(trade).consecutive_losses;
    let price = entry_price(state.market_price, trade, streak, ctx.cfg)?;
    let volume = match compute_order_volume(price, ctx.cfg, ctx.sizes.of(trade)) {
        Ok(v) => v,
        Err(SizeShortfall::Overflow) => return Err(FixedError::Overflow),
        Err(short) => return Ok(EntryAttempt::Waiting(short)),
    };
    let local_id = state.next_order_id;
    state.next_order_id += 1;
    let side = trade.entry_side();
    let order = OrderState {
        local_id,
        side,
        role: Role::Entry,
        price,
        volume,
        trade_id: trade,
        cycle,
        txid: None,
        placed_at: state.now,
        entry_price: flywheel_core::Price::ZERO,
        entry_fee: Quote::ZERO,
        entry_filled_at: None,
        regime_at_entry: None,
        partially_filled: false,
    };
    actions.push(Action::PlaceOrder(order.place_action(reason)));
    state.orders.push(order);
    Ok(EntryAttempt::Placed)
}

/// The follow-up entry after a close or an orphan: placed now if allowed, else deferred.
/// Skipped entirely when the slot's one-sided mode excludes the trade.
pub(crate) fn follow_up_entry(
    state: &mut PairState,
    ctx: &SlotContext<'_>,
    trade: TradeId,
    reason: PlaceReason,
    actions: &mut Vec<Action>,
) -> Result<(), FixedError> {
    if !state.mode_allows(trade) {
        return Ok(());
    }
    if state.now < state.trade(trade).cooldown_until {
        state.trade_mut(trade).pending_entry = Some(reason);
        return Ok(());
    }
    if let EntryAttempt::Waiting(_) = place_entry(state, ctx, trade, reason, actions)? {
        state.trade_mut(trade).pending_entry = Some(reason);
    }
    Ok(())
}

/// Place every pending entry whose cooldown has passed and whose size now fits
/// (B before A, the bootstrap order). A pending entry the mode no longer allows is dropped:
/// it was an intention, not a position.
pub(crate) fn drain_pending(
    state: &mut PairState,
    ctx: &SlotContext<'_>,
    now: Timestamp,
    actions: &mut Vec<Action>,
) -> Result<(), FixedError> {
    for trade in [TradeId::B, TradeId::A] {
        let Some(reason) = state.trade(trade).pending_entry else {
            continue;
        };
        if !state.mode_allows(trade) {
            state.trade_mut(trade).pending_entry = None;
            continue;
        }
        if now < state.trade(trade).cooldown_until {
            continue;
        }
        if let EntryAttempt::Placed = place_entry(state, ctx, trade, reason, actions)? {
            state.trade_mut(trade).pending_entry = None;
        }
    }
    Ok(())
}
