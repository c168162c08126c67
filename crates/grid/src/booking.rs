//! Booking a completed round trip and the loss counters that follow it (spec §1.6).
//!
//! Fee split: the entry fee was added to `total_fees` when the entry filled; booking adds the
//! exit fee only, so each fee is counted once. `settled_usd = gross − quote_fee`, where the
//! quote fee is the fee of the *sell* leg (entry for A, exit for B) — the origin's estimate of
//! the quote-balance change. Realized loss is tracked per UTC day (spec §9 #12 fixed).

use flywheel_core::{FixedError, Price, Qty, Quote, Rounding, Timestamp, TradeId};

use crate::event::{Action, BookCycle};
use crate::state::{CycleRecord, PairState, Regime};
use crate::EngineConfig;

/// The position side of a round trip being booked.
pub(crate) struct ClosedPosition {
    pub trade: TradeId,
    pub cycle: u32,
    pub entry_price: Price,
    pub entry_fee: Quote,
    pub entry_time: Option<Timestamp>,
    pub volume: Qty,
    pub regime: Option<Regime>,
}

/// The closing leg of a round trip.
#[derive(Clone, Copy)]
pub(crate) struct ExitLeg {
    pub price: Price,
    pub fee: Quote,
    pub time: Timestamp,
    pub from_recovery: bool,
}

/// Reset `today_realized_loss` when `now` is on a later UTC day than it belongs to.
pub(crate) fn roll_loss_day(state: &mut PairState, now: Timestamp) {
    let day = now.utc_day();
    if day != state.loss_day {
        state.loss_day = day;
        state.today_realized_loss = Quote::ZERO;
    }
}

/// Book the round trip closed by `exit`, update totals and the bounded
/// cycle history, apply loss counters, and emit `BookCycle`. Returns the net profit.
pub(crate) fn book_cycle(
    state: &mut PairState,
    cfg: &EngineConfig,
    pos: &ClosedPosition,
    exit: &ExitLeg,
    actions: &mut Vec<Action>,
) -> Result<Quote, FixedError> {
    let ExitLeg {
        price: exit_price,
        fee: exit_fee,
        time: ts,
        from_recovery,
    } = *exit;
    let per_unit = match pos.trade {
        TradeId::A => pos.entry_price - exit_price,
        TradeId::B => exit_price - pos.entry_price,
    };
    let gross = per_unit.notional(pos.volume, Rounding::HalfEven)?;
    let fees = pos.entry_fee.checked_add(exit_fee)?;
    let net = gross.checked_sub(fees)?;
    let quote_fee = match pos.trade {
        TradeId::A => pos.entry_fee,
        TradeId::B => exit_fee,
    };
    let settled = gross.checked_sub(quote_fee)?;

    state.total_profit = state.total_profit.checked_add(net)?;
    state.total_settled_usd = state.total_settled_usd.checked_add(settled)?;
    state.total_fees = state.total_fees.checked_add(exit_fee)?;
    roll_loss_day(state, state.now);
    if net.is_negative() {
        state.today_realized_loss = state.today_realized_loss.checked_add(net.abs())?;
    }
    state.total_round_trips += 1;
    let keep = cfg.max_completed_cycles as usize;
    if keep > 0 {
        while state.completed_cycles.len() >= keep {
            state.completed_cycles.pop_front();
        }
        state.completed_cycles.push_back(CycleRecord {
            trade_id: pos.trade,
            cycle: pos.cycle,
            entry_price: pos.entry_price,
            exit_price,
            volume: pos.volume,
            gross_profit: gross,
            fees,
            net_profit: net,
            entry_fee: pos.entry_fee,
            exit_fee,
            quote_fee,
            settled_usd: settled,
            entry_time: pos.entry_time,
            exit_time: ts,
            from_recovery,
            regime_at_entry: pos.regime,
        });
    } else {
        state.completed_cycles.clear();
    }
    apply_loss_counters(state, cfg, pos.trade, net);
    actions.push(Action::BookCycle(BookCycle {
        trade_id: pos.trade,
        cycle: pos.cycle,
        net_profit: net,
        gross_profit: gross,
        fees,
        settled_usd: settled,
        from_recovery,
    }));
    Ok(net)
}

/// Base re-entry cooldown, losing streak, and loss cooldown for `trade` after a booking.
pub(crate) fn apply_loss_counters(
    state: &mut PairState,
    cfg: &EngineConfig,
    trade: TradeId,
    net: Quote,
) {
    let now = state.now;
    let t = state.trade_mut(trade);
    if cfg.reentry_base_cooldown_sec > 0 {
        t.cooldown_until = t
            .cooldown_until
            .max(now.plus_secs(cfg.reentry_base_cooldown_sec));
    }
    if net.is_negative() {
        t.consecutive_losses += 1;
    } else {
        t.consecutive_losses = 0;
    }
    if t.consecutive_losses >= cfg.loss_cooldown_start {
        t.cooldown_until = t.cooldown_until.max(now.plus_secs(cfg.loss_cooldown_sec));
    }
}
