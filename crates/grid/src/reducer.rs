//! The pure reducer: `transition(state, event, ctx) -> (state, actions)` (spec §1.6).
//!
//! Contract:
//! - **Pure and deterministic**: no I/O, no clock, no randomness; the same state, event and
//!   context always give the same result.
//! - **Rejections leave the state unchanged**: a fill of an unknown, already-closed or
//!   mismatched order, an over-fill, or a malformed event is a typed [`TransitionError`] and
//!   nothing is applied. Every such check runs before any mutation; an arithmetic overflow
//!   in the middle of a transition (values beyond ±9.2 × 10⁹) is also reported without
//!   touching the caller's state, because [`PairState::apply`] works on a copy whenever the
//!   transition can do fallible arithmetic.
//! - **The clock never goes backwards**: `now` becomes the later of `now` and the event time.
//! - **`s2_entered_at` is normalised** at the end of every transition (cleared outside S2), so
//!   the origin's stale-field self-heal (spec §9 #4) is unnecessary.

use flywheel_core::{FixedError, Price, Qty, Side, Timestamp};
use thiserror::Error;

use crate::booking::{book_cycle, roll_loss_day, ClosedPosition, ExitLeg};
use crate::config::EngineConfig;
use crate::entries::{drain_pending, follow_up_entry, place_entry, EntryAttempt, SlotContext};
use crate::event::{
    Action, CancelReason, Event, Fill, OrderRef, OrphanReason, PlaceReason, RecoveryFill,
    ReleaseReason,
};
use crate::orphan::orphan_exit;
use crate::pricing::{drift_exceeds, exit_price};
use crate::state::{Direction, LocalId, OrderState, PairState, Phase, RecoveryId, Role};

/// Why an event was rejected. The state is unchanged whenever one of these is returned.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("fill for order {local_id}, which this slot never issued")]
    UnknownOrder { local_id: LocalId },
    #[error("fill for order {local_id}, which is no longer active (duplicate or late fill)")]
    InactiveOrder { local_id: LocalId },
    #[error("fill for order {local_id} has side {got}, the order is {expected}")]
    SideMismatch {
        local_id: LocalId,
        expected: Side,
        got: Side,
    },
    #[error("fill for order {local_id} has txid {got:?}, the order is bound to {expected:?}")]
    TxidMismatch {
        local_id: LocalId,
        expected: String,
        got: String,
    },
    #[error("fill of {fill} for order {local_id} exceeds its volume {order}")]
    Overfill {
        local_id: LocalId,
        order: Qty,
        fill: Qty,
    },
    #[error("fill for order {local_id} at {fill} is through its limit {limit}")]
    ThroughLimit {
        local_id: LocalId,
        limit: Price,
        fill: Price,
    },
    #[error("partial fill of {fill} of {order} for exit {local_id}: exits are reported in full")]
    PartialExitFill {
        local_id: LocalId,
        order: Qty,
        fill: Qty,
    },
    #[error("event for recovery {recovery_id}, which this slot does not hold")]
    UnknownRecovery { recovery_id: RecoveryId },
    #[error("fill for recovery {recovery_id} does not match it: {reason}")]
    RecoveryMismatch {
        recovery_id: RecoveryId,
        reason: &'static str,
    },
    #[error("invalid event: {0}")]
    InvalidEvent(&'static str),
    #[error("arithmetic error: {0}")]
    Arithmetic(#[from] FixedError),
}

/// Apply `event` to a copy of `state`: the functional form of [`PairState::apply`].
pub fn transition(
    state: &PairState,
    event: &Event,
    ctx: &SlotContext<'_>,
) -> Result<(PairState, Vec<Action>), TransitionError> {
    validate(state, event)?;
    // One copy: the work happens on it directly (not through `apply`, which would copy
    // again to protect its caller's state).
    let mut next = state.clone();
    let actions = apply_validated(&mut next, event, ctx)?;
    Ok((next, actions))
}

impl PairState {
    /// Apply `event` in place and return the actions for the runtime. On `Err` the state is
    /// exactly as before the call.
    pub fn apply(
        &mut self,
        event: &Event,
        ctx: &SlotContext<'_>,
    ) -> Result<Vec<Action>, TransitionError> {
        validate(self, event)?;
        if self.is_quiet(event, ctx.cfg, ctx.sticky) {
            self.apply_quiet(event);
            return Ok(Vec::new());
        }
        let mut next = self.clone();
        let actions = apply_validated(&mut next, event, ctx)?;
        *self = next;
        Ok(actions)
    }

    /// Whether `event` is a quiet tick for this state: a price tick with no stale entry to
    /// refresh at its time, or a timer with no deferred entry to place and no orphan timer
    /// that can run. A quiet tick moves only the clock, the mark, the loss day and
    /// `s2_entered_at` (cleared); it emits nothing, cannot fail, and reads no order size —
    /// which is what lets the runtime skip sizing for it. The reducer's own hot path is
    /// this predicate, so the two cannot disagree.
    pub fn is_quiet(&self, event: &Event, cfg: &EngineConfig, sticky: bool) -> bool {
        match *event {
            Event::PriceTick { price, timestamp } => {
                price.is_positive() && !refresh_candidate_exists(self, price, timestamp, cfg)
            }
            Event::TimerTick { .. } => {
                self.a.pending_entry.is_none()
                    && self.b.pending_entry.is_none()
                    && (sticky || self.phase() == Phase::S0)
            }
            _ => false,
        }
    }

    /// Apply a tick [`Self::is_quiet`] vouched for (the caller's check; `apply` makes it
    /// itself): only the clock, the mark, the loss day and `s2_entered_at` move.
    pub fn apply_quiet(&mut self, event: &Event) {
        match *event {
            Event::PriceTick { price, timestamp } => observe_price(self, price, timestamp),
            Event::TimerTick { timestamp } => {
                self.now = self.now.max(timestamp);
                roll_loss_day(self, self.now);
                self.s2_entered_at = None;
            }
            _ => debug_assert!(false, "not a tick: {event:?}"),
        }
    }
}

fn validate(state: &PairState, event: &Event) -> Result<(), TransitionError> {
    match event {
        Event::PriceTick { price, .. } => {
            if !price.is_positive() {
                return Err(TransitionError::InvalidEvent(
                    "price tick with a non-positive price",
                ));
            }
        }
        Event::TimerTick { .. } => {}
        Event::Fill(f) => validate_fill(state, f)?,
        Event::RecoveryFill(f) => validate_recovery_fill(state, f)?,
        Event::RecoveryCancel {
            recovery_id, txid, ..
        } => {
            let rec =
                state
                    .find_recovery(*recovery_id)
                    .ok_or(TransitionError::UnknownRecovery {
                        recovery_id: *recovery_id,
                    })?;
            if let (Some(have), Some(got)) = (&rec.txid, txid) {
                if have != got {
                    return Err(TransitionError::RecoveryMismatch {
                        recovery_id: *recovery_id,
                        reason: "txid differs",
                    });
                }
            }
        }
    }
    Ok(())
}

fn validate_fill(state: &PairState, f: &Fill) -> Result<(), TransitionError> {
    if !f.price.is_positive() || !f.volume.is_positive() || f.fee.is_negative() {
        return Err(TransitionError::InvalidEvent(
            "fill needs a positive price and volume and a non-negative fee",
        ));
    }
    let local_id = f.order_local_id;
    let Some(order) = state.find_order(local_id) else {
        return Err(if local_id >= 1 && local_id < state.next_order_id {
            TransitionError::InactiveOrder { local_id }
        } else {
            TransitionError::UnknownOrder { local_id }
        });
    };
    if order.side != f.side {
        return Err(TransitionError::SideMismatch {
            local_id,
            expected: order.side,
            got: f.side,
        });
    }
    if let (Some(have), Some(got)) = (&order.txid, &f.txid) {
        if have != got {
            return Err(TransitionError::TxidMismatch {
                local_id,
                expected: have.clone(),
                got: got.clone(),
            });
        }
    }
    // A limit order fills at its price or better, never through it.
    let through = match order.side {
        Side::Buy => f.price > order.price,
        Side::Sell => f.price < order.price,
    };
    if through {
        return Err(TransitionError::ThroughLimit {
            local_id,
            limit: order.price,
            fill: f.price,
        });
    }
    if f.volume > order.volume {
        return Err(TransitionError::Overfill {
            local_id,
            order: order.volume,
            fill: f.volume,
        });
    }
    if order.role == Role::Exit && f.volume < order.volume {
        return Err(TransitionError::PartialExitFill {
            local_id,
            order: order.volume,
            fill: f.volume,
        });
    }
    Ok(())
}

fn validate_recovery_fill(state: &PairState, f: &RecoveryFill) -> Result<(), TransitionError> {
    let recovery_id = f.recovery_id;
    let rec = state
        .find_recovery(recovery_id)
        .ok_or(TransitionError::UnknownRecovery { recovery_id })?;
    let mismatch = |reason| {
        Err(TransitionError::RecoveryMismatch {
            recovery_id,
            reason,
        })
    };
    if !f.price.is_positive() || f.fee.is_negative() {
        return mismatch("needs a positive price and a non-negative fee");
    }
    if rec.side != f.side {
        return mismatch("side differs");
    }
    let through = match rec.side {
        Side::Buy => f.price > rec.price,
        Side::Sell => f.price < rec.price,
    };
    if through {
        return mismatch("price is through the recovery's limit");
    }
    if f.volume != rec.volume {
        return mismatch("volume differs (recoveries are reported filled in full)");
    }
    if let (Some(have), Some(got)) = (&rec.txid, &f.txid) {
        if have != got {
            return mismatch("txid differs");
        }
    }
    Ok(())
}

fn observe_price(state: &mut PairState, price: Price, ts: Timestamp) {
    state.now = state.now.max(ts);
    state.market_price = price;
    state.last_price_update_at = Some(ts);
    crate::booking::roll_loss_day(state, state.now);
}

/// True if some entry is stale and its trade is not in an anti-chase pause at `ts`.
fn refresh_candidate_exists(
    state: &PairState,
    price: Price,
    ts: Timestamp,
    cfg: &EngineConfig,
) -> bool {
    let now = state.now.max(ts);
    state.orders.iter().any(|o| {
        o.role == Role::Entry
            && !o.partially_filled
            && drift_exceeds(o.price, price, cfg.refresh_pct)
            && state
                .trade(o.trade_id)
                .refresh_cooldown_until
                .is_none_or(|until| now >= until)
    })
}

fn apply_validated(
    state: &mut PairState,
    event: &Event,
    ctx: &SlotContext<'_>,
) -> Result<Vec<Action>, TransitionError> {
    let mut actions = Vec::new();
    // Every event moves the clock (never backwards) and may start a new UTC day.
    state.now = state.now.max(event.timestamp());
    roll_loss_day(state, state.now);
    match event {
        Event::PriceTick { price, timestamp } => {
            observe_price(state, *price, *timestamp);
            refresh_stale_entry(state, ctx, &mut actions)?;
        }
        Event::TimerTick { .. } => on_timer(state, ctx, &mut actions)?,
        Event::Fill(f) => on_fill(state, ctx, f, &mut actions)?,
        Event::RecoveryFill(f) => {
            let rec = take_recovery(state, f.recovery_id)?;
            let pos = ClosedPosition {
                trade: rec.trade_id,
                cycle: rec.cycle,
                entry_price: rec.entry_price,
                entry_fee: rec.entry_fee,
                entry_time: Some(rec.entry_filled_at.unwrap_or(rec.orphaned_at)),
                volume: rec.volume,
                regime: rec.regime_at_entry,
            };
            let leg = ExitLeg {
                price: f.price,
                fee: f.fee,
                time: f.timestamp,
                from_recovery: true,
            };
            book_cycle(state, ctx.cfg, &pos, &leg, &mut actions)?;
        }
        Event::RecoveryCancel { recovery_id, .. } => {
            let recovery = take_recovery(state, *recovery_id)?;
            crate::orphan::release(
                state,
                ctx.cfg,
                recovery,
                ReleaseReason::RecoveryCancelled,
                &mut actions,
            )?;
        }
    }
    if state.phase() != Phase::S2 {
        state.s2_entered_at = None;
    }
    Ok(actions)
}

/// Remove and return a recovery order (validated to exist before any mutation).
fn take_recovery(
    state: &mut PairState,
    recovery_id: RecoveryId,
) -> Result<crate::state::RecoveryOrder, TransitionError> {
    let idx = state
        .recovery_orders
        .iter()
        .position(|r| r.recovery_id == recovery_id)
        .ok_or(TransitionError::UnknownRecovery { recovery_id })?;
    Ok(state.recovery_orders.remove(idx))
}

/// Stale-entry refresh with anti-chase (spec §1.6 PriceTick): at most one entry per tick.
fn refresh_stale_entry(
    state: &mut PairState,
    ctx: &SlotContext<'_>,
    actions: &mut Vec<Action>,
) -> Result<(), FixedError> {
    let cfg = ctx.cfg;
    let (now, market) = (state.now, state.market_price);
    for idx in 0..state.orders.len() {
        let o = &state.orders[idx];
        if o.role != Role::Entry
            || o.partially_filled
            || !drift_exceeds(o.price, market, cfg.refresh_pct)
        {
            continue;
        }
        let (trade, side, order_price) = (o.trade_id, o.side, o.price);
        let t = state.trade_mut(trade);
        if t.refresh_cooldown_until.is_some_and(|until| now < until) {
            continue;
        }
        if t.consecutive_refreshes >= cfg.max_consecutive_refreshes
            && t.refresh_cooldown_until.is_some()
        {
            // The anti-chase pause has just expired: start counting afresh.
            t.consecutive_refreshes = 0;
            t.refresh_cooldown_until = None;
        }
        let direction = match side {
            Side::Buy if market < order_price => Direction::Down,
            Side::Buy => Direction::Up,
            Side::Sell if market > order_price => Direction::Up,
            Side::Sell => Direction::Down,
        };
        let count = if t.last_refresh_direction == Some(direction) {
            t.consecutive_refreshes + 1
        } else {
            1
        };
        t.consecutive_refreshes = count;
        t.last_refresh_direction = Some(direction);
        if count >= cfg.max_consecutive_refreshes {
            t.refresh_cooldown_until = Some(now.plus_secs(cfg.refresh_cooldown_sec));
            return Ok(());
        }
        let old = state.orders.remove(idx);
        actions.push(Action::CancelOrder {
            target: OrderRef::Slot(old.local_id),
            txid: old.txid,
            reason: CancelReason::StaleEntry,
        });
        // Same trade, same cycle: the trade's cycle only moves when its position closes.
        let attempt = place_entry(state, ctx, trade, PlaceReason::RefreshEntry, actions)?;
        if let EntryAttempt::Waiting(_) = attempt {
            state.trade_mut(trade).pending_entry = Some(PlaceReason::RefreshEntry);
        }
        return Ok(());
    }
    Ok(())
}

fn on_timer(
    state: &mut PairState,
    ctx: &SlotContext<'_>,
    actions: &mut Vec<Action>,
) -> Result<(), FixedError> {
    let now = state.now;
    drain_pending(state, ctx, now, actions)?;
    if ctx.sticky {
        state.s2_entered_at = None;
        return Ok(());
    }
    let cfg = ctx.cfg;
    let market = state.market_price;
    match state.phase() {
        Phase::S0 => {}
        Phase::S1a | Phase::S1b => {
            let Some(exit) = state.orders.iter().find(|o| o.role == Role::Exit) else {
                return Ok(());
            };
            let since = exit.entry_filled_at.unwrap_or(exit.placed_at);
            // For a resting exit this is nearly always true (spec §9 #18); kept as specified.
            let moved_away = match exit.side {
                Side::Sell => market < exit.price,
                Side::Buy => market > exit.price,
            };
            if now.elapsed_at_least(since, cfg.s1_orphan_after_sec) && moved_away {
                let id = exit.local_id;
                orphan_exit(state, ctx, id, OrphanReason::S1Timeout, actions)?;
            }
        }
        Phase::S2 => match state.s2_entered_at {
            None => state.s2_entered_at = Some(now),
            Some(since) => {
                if now.elapsed_at_least(since, cfg.s2_orphan_after_sec) && market.is_positive() {
                    if let Some(id) = farther_exit(state) {
                        orphan_exit(state, ctx, id, OrphanReason::S2Timeout, actions)?;
                    }
                    state.s2_entered_at = None;
                }
            }
        },
    }
    Ok(())
}

/// In S2, the exit farther from market (ties: the sell exit).
fn farther_exit(state: &PairState) -> Option<LocalId> {
    let market = state.market_price;
    let exit_on = |side| {
        state
            .orders
            .iter()
            .find(|o| o.role == Role::Exit && o.side == side)
    };
    let (buy, sell) = (exit_on(Side::Buy)?, exit_on(Side::Sell)?);
    let dist = |o: &OrderState| (o.price - market).abs();
    Some(if dist(buy) > dist(sell) {
        buy.local_id
    } else {
        sell.local_id
    })
}

fn on_fill(
    state: &mut PairState,
    ctx: &SlotContext<'_>,
    f: &Fill,
    actions: &mut Vec<Action>,
) -> Result<(), TransitionError> {
    let idx = state
        .orders
        .iter()
        .position(|o| o.local_id == f.order_local_id)
        .ok_or(TransitionError::UnknownOrder {
            local_id: f.order_local_id,
        })?;
    let order = state.orders.remove(idx);
    let trade = order.trade_id;
    match order.role {
        Role::Entry => {
            state.total_fees = state.total_fees.checked_add(f.fee)?;
            let exit_side = order.side.opposite();
            let profit_pct = state.effective_profit_pct(ctx.cfg);
            let price = exit_price(f.price, state.market_price, exit_side, profit_pct, ctx.cfg)?;
            let local_id = state.next_order_id;
            state.next_order_id += 1;
            let exit = OrderState {
                local_id,
                side: exit_side,
                role: Role::Exit,
                price,
                volume: f.volume,
                trade_id: trade,
                cycle: order.cycle,
                txid: None,
                placed_at: f.timestamp,
                entry_price: f.price,
                entry_fee: f.fee,
                entry_filled_at: Some(f.timestamp),
                regime_at_entry: order.regime_at_entry,
                partially_filled: false,
            };
            actions.push(Action::PlaceOrder(
                exit.place_action(PlaceReason::EntryFillExit),
            ));
            state.orders.push(exit);
        }
        Role::Exit => {
            let pos = ClosedPosition {
                trade,
                cycle: order.cycle,
                entry_price: order.entry_price,
                entry_fee: order.entry_fee,
                entry_time: order.entry_filled_at,
                volume: order.volume,
                regime: order.regime_at_entry,
            };
            let leg = ExitLeg {
                price: f.price,
                fee: f.fee,
                time: f.timestamp,
                from_recovery: false,
            };
            book_cycle(state, ctx.cfg, &pos, &leg, actions)?;
            let t = state.trade_mut(trade);
            t.cycle = t.cycle.max(order.cycle + 1);
            follow_up_entry(state, ctx, trade, PlaceReason::CycleComplete, actions)?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "reducer_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "fill_tests.rs"]
mod fill_tests;
