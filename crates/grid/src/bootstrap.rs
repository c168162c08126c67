//! Starting a slot and the runtime's entry helper (spec §1.7).
//!
//! `bootstrap_orders` places B (buy) first, then A (sell) — buy entries are the scarcer side
//! (seed 001) — and makes the slot one-sided (`mode_source = balance`) when only one side can
//! be sized. Both functions either succeed or leave the state untouched.

use flywheel_core::TradeId;
use thiserror::Error;

use crate::entries::{place_entry, EntryAttempt, SlotContext};
use crate::event::{Action, PlaceReason};
use crate::pricing::SizeShortfall;
use crate::state::{ModeSource, PairState};

/// Why an entry could not be added.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum EntryError {
    #[error("the slot already has orders or pending entries")]
    NotEmpty,
    #[error("no market price yet")]
    NoMarket,
    #[error("neither side can be sized: A {a}, B {b}")]
    NothingSizable { a: SizeShortfall, b: SizeShortfall },
    #[error("trade {0} is in its cooldown")]
    Cooldown(TradeId),
    #[error("trade {0} already has an entry or a position")]
    Occupied(TradeId),
    #[error("trade {0} is excluded by the slot's one-sided mode")]
    ModeExcludes(TradeId),
    #[error("order too small: {0}")]
    Size(SizeShortfall),
    #[error("arithmetic error: {0}")]
    Arithmetic(#[from] flywheel_core::FixedError),
}

/// Place the initial B buy and A sell entries of an empty slot.
pub fn bootstrap_orders(
    state: &mut PairState,
    ctx: &SlotContext<'_>,
) -> Result<Vec<Action>, EntryError> {
    if !state.orders.is_empty()
        || state.a.pending_entry.is_some()
        || state.b.pending_entry.is_some()
    {
        return Err(EntryError::NotEmpty);
    }
    if !state.market_price.is_positive() {
        return Err(EntryError::NoMarket);
    }
    let mut next = state.clone();
    let mut actions = Vec::new();
    let b = place_entry(
        &mut next,
        ctx,
        TradeId::B,
        PlaceReason::BootstrapB,
        &mut actions,
    )?;
    let a = place_entry(
        &mut next,
        ctx,
        TradeId::A,
        PlaceReason::BootstrapA,
        &mut actions,
    )?;
    match (a, b) {
        (EntryAttempt::Placed, EntryAttempt::Placed) => {
            next.long_only = false;
            next.short_only = false;
            next.mode_source = ModeSource::None;
        }
        (EntryAttempt::Waiting(_), EntryAttempt::Placed) => {
            next.long_only = true;
            next.short_only = false;
            next.mode_source = ModeSource::Balance;
        }
        (EntryAttempt::Placed, EntryAttempt::Waiting(_)) => {
            next.long_only = false;
            next.short_only = true;
            next.mode_source = ModeSource::Balance;
        }
        (EntryAttempt::Waiting(a), EntryAttempt::Waiting(b)) => {
            return Err(EntryError::NothingSizable { a, b });
        }
    }
    *state = next;
    Ok(actions)
}

/// Add an entry for a flat trade (the runtime's repair and re-seed path). Refused while
/// the trade's cooldown runs, when it already has an entry or a position, or when the
/// slot's mode excludes it. Clears a pending entry it replaces.
pub fn add_entry(
    state: &mut PairState,
    ctx: &SlotContext<'_>,
    trade: TradeId,
    reason: PlaceReason,
) -> Result<Vec<Action>, EntryError> {
    if state.entry_of(trade).is_some() || state.in_position(trade) {
        return Err(EntryError::Occupied(trade));
    }
    if !state.mode_allows(trade) {
        return Err(EntryError::ModeExcludes(trade));
    }
    if state.now < state.trade(trade).cooldown_until {
        return Err(EntryError::Cooldown(trade));
    }
    let mut next = state.clone();
    let mut actions = Vec::new();
    match place_entry(&mut next, ctx, trade, reason, &mut actions)? {
        EntryAttempt::Placed => {
            next.trade_mut(trade).pending_entry = None;
            *state = next;
            Ok(actions)
        }
        EntryAttempt::Waiting(short) => Err(EntryError::Size(short)),
    }
}
