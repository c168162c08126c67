//! Orphaning exits into recovery orders, and the recovery cap (spec §1.6 "Orphaning").
//!
//! An orphaned exit keeps resting on the exchange; the slot re-enters its trade. At most
//! `max_recovery_slots` recoveries are kept: when one more would exceed that, the farthest
//! from market (then the oldest, then the lowest id) is evicted — its order is cancelled and
//! its position is *released* unrealized (`Action::ReleaseRecovery`), not booked as if it had
//! been sold at the mark (spec §9 #7 fixed: profit comes from real fills only).

use std::cmp::Reverse;

use flywheel_core::{FixedError, TradeId};

use crate::entries::{follow_up_entry, SlotContext};
use crate::event::{Action, CancelReason, OrderRef, OrphanReason, PlaceReason, ReleaseReason};
use crate::state::{LocalId, PairState, RecoveryOrder};

/// Evict recoveries so that one more fits under the cap.
fn make_room(state: &mut PairState, ctx: &SlotContext<'_>, actions: &mut Vec<Action>) {
    let cap = ctx.cfg.max_recovery_slots.max(1) as usize;
    let overflow = (state.recovery_orders.len() + 1).saturating_sub(cap);
    if overflow == 0 {
        return;
    }
    let market = state.market_price;
    for _ in 0..overflow {
        // Farthest from market first (the same market divides every distance, so compare
        // the absolute differences), then the oldest, then the lowest id.
        let Some(idx) = (0..state.recovery_orders.len()).min_by_key(|&i| {
            let r = &state.recovery_orders[i];
            (
                Reverse((r.price - market).abs()),
                r.orphaned_at,
                r.recovery_id,
            )
        }) else {
            return;
        };
        let rec = state.recovery_orders.remove(idx);
        if rec.txid.is_some() {
            actions.push(Action::CancelOrder {
                target: OrderRef::Recovery(rec.recovery_id),
                txid: rec.txid.clone(),
                reason: CancelReason::RecoveryCapEvictPriority,
            });
        }
        actions.push(Action::ReleaseRecovery {
            recovery: rec,
            mark_price: market,
            reason: ReleaseReason::RecoveryCapEvict,
        });
    }
}

/// Turn the exit `local_id` into a recovery order and re-enter its trade.
pub(crate) fn orphan_exit(
    state: &mut PairState,
    ctx: &SlotContext<'_>,
    local_id: LocalId,
    reason: OrphanReason,
    actions: &mut Vec<Action>,
) -> Result<(), FixedError> {
    let Some(idx) = state.orders.iter().position(|o| o.local_id == local_id) else {
        return Ok(());
    };
    make_room(state, ctx, actions);
    let exit = state.orders.remove(idx);
    let recovery_id = state.next_recovery_id;
    state.next_recovery_id += 1;
    let trade: TradeId = exit.trade_id;
    state.recovery_orders.push(RecoveryOrder {
        recovery_id,
        side: exit.side,
        price: exit.price,
        volume: exit.volume,
        trade_id: trade,
        cycle: exit.cycle,
        entry_price: exit.entry_price,
        orphaned_at: state.now,
        entry_fee: exit.entry_fee,
        entry_filled_at: exit.entry_filled_at,
        txid: exit.txid,
        reason,
        regime_at_entry: exit.regime_at_entry,
    });
    actions.push(Action::OrphanOrder {
        local_id,
        recovery_id,
        reason,
    });

    let base = ctx.cfg.reentry_base_cooldown_sec;
    let now = state.now;
    let t = state.trade_mut(trade);
    if base > 0 {
        t.cooldown_until = t.cooldown_until.max(now.plus_secs(base));
    }
    t.cycle += 1;
    follow_up_entry(state, ctx, trade, PlaceReason::orphan(trade), actions)
}
