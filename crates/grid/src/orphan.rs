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
fn make_room(
    state: &mut PairState,
    ctx: &SlotContext<'_>,
    actions: &mut Vec<Action>,
) -> Result<(), FixedError> {
    let cap = ctx.cfg.max_recovery_slots.max(1) as usize;
    let overflow = (state.recovery_orders.len() + 1).saturating_sub(cap);
    if overflow == 0 {
        return Ok(());
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
            return Ok(());
        };
        let rec = state.recovery_orders.remove(idx);
        if rec.txid.is_some() {
            actions.push(Action::CancelOrder {
                target: OrderRef::Recovery(rec.recovery_id),
                txid: rec.txid.clone(),
                reason: CancelReason::RecoveryCapEvictPriority,
            });
        }
        release(
            state,
            ctx.cfg,
            rec,
            ReleaseReason::RecoveryCapEvict,
            actions,
        )?;
    }
    Ok(())
}

/// Release `rec` unrealized at the market price: its result at the mark (entry fee and a
/// maker fee on the close included) is reported with the action, and a loss is charged to
/// the slot's compounding base. Nothing is booked: profit comes from real fills only.
pub(crate) fn release(
    state: &mut PairState,
    cfg: &crate::config::EngineConfig,
    rec: RecoveryOrder,
    reason: ReleaseReason,
    actions: &mut Vec<Action>,
) -> Result<(), FixedError> {
    let mark = state.market_price;
    let pnl_at_mark = pnl_at(&rec, mark, cfg.maker_fee_pct)?;
    let loss = pnl_at_mark.min(flywheel_core::Quote::ZERO);
    state.released_loss = state.released_loss.checked_add(loss)?;
    actions.push(Action::ReleaseRecovery {
        recovery: rec,
        mark_price: mark,
        reason,
        pnl_at_mark,
    });
    Ok(())
}

/// A recovery position's result if closed at `mark`: the price move on its volume, less its
/// entry fee and a maker fee on the closing notional. With no mark yet, nothing is known:
/// zero.
pub fn pnl_at(
    rec: &RecoveryOrder,
    mark: flywheel_core::Price,
    fee_pct: flywheel_core::Ratio,
) -> Result<flywheel_core::Quote, FixedError> {
    use flywheel_core::{Quote, Rounding};
    if !mark.is_positive() {
        return Ok(Quote::ZERO);
    }
    let per_unit = match rec.trade_id {
        TradeId::A => rec.entry_price.checked_sub(mark)?,
        TradeId::B => mark.checked_sub(rec.entry_price)?,
    };
    let gross = per_unit.notional(rec.volume, Rounding::HalfEven)?;
    let close_fee = mark
        .notional(rec.volume, Rounding::HalfEven)?
        .pct_of(fee_pct, Rounding::HalfEven)?;
    gross.checked_sub(rec.entry_fee)?.checked_sub(close_fee)
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
    make_room(state, ctx, actions)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::OrphanReason;
    use flywheel_core::{Price, Qty, Quote, Ratio, Side, Timestamp};

    fn rec(trade: TradeId, entry: &str, volume: &str, entry_fee: &str) -> RecoveryOrder {
        RecoveryOrder {
            recovery_id: 1,
            side: if trade == TradeId::A {
                Side::Buy
            } else {
                Side::Sell
            },
            price: Price::ZERO,
            volume: volume.parse::<Qty>().unwrap(),
            trade_id: trade,
            cycle: 1,
            entry_price: entry.parse::<Price>().unwrap(),
            orphaned_at: Timestamp::EPOCH,
            entry_fee: entry_fee.parse::<Quote>().unwrap(),
            entry_filled_at: None,
            txid: None,
            reason: OrphanReason::S1Timeout,
            regime_at_entry: None,
        }
    }

    #[test]
    fn pnl_at_mark_table() {
        // (name, trade, entry, volume, entry fee, mark, fee %, result)
        let cases = [
            // B bought 100 at 0.10 (fee 0.025); at 0.08: -2 - 0.025 - 8 × 0.25 % = -2.045.
            (
                "B under water",
                TradeId::B,
                "0.10",
                "100",
                "0.025",
                "0.08",
                "0.25",
                "-2.045",
            ),
            // B at 0.11: +1 - 0.025 - 0.0275 = 0.9475 (a gain: reported, never credited).
            (
                "B in profit",
                TradeId::B,
                "0.10",
                "100",
                "0.025",
                "0.11",
                "0.25",
                "0.9475",
            ),
            // A sold 100 at 0.10; bought back at 0.12 it loses 2 + 0.025 + 0.03.
            (
                "A under water",
                TradeId::A,
                "0.10",
                "100",
                "0.025",
                "0.12",
                "0.25",
                "-2.055",
            ),
            ("no fee", TradeId::A, "0.10", "100", "0", "0.09", "0", "1"),
            (
                "no mark yet",
                TradeId::B,
                "0.10",
                "100",
                "0.025",
                "0",
                "0.25",
                "0",
            ),
        ];
        for (name, trade, entry, vol, fee, mark, pct, want) in cases {
            let got = pnl_at(
                &rec(trade, entry, vol, fee),
                mark.parse().unwrap(),
                pct.parse::<Ratio>().unwrap(),
            )
            .unwrap();
            assert_eq!(got, want.parse::<Quote>().unwrap(), "{name}");
        }
    }
}
