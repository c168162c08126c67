//! The round trip both cyclers run: `Idle → EntryOpen → ExitOpen → (Cooldown) → Idle`.
//!
//! [`Cycle`] owns the phase and the one live order; rangers and churners decide *whether* and
//! *how* to enter and wrap it with their gates and sizing. The contract with the engine:
//! - every `Place` opens exactly one live order, and a new `Place` is only emitted when the
//!   previous order has ended;
//! - every live order ends with exactly one event: a fill (complete or partial, reported when
//!   the order is done), a cancel acknowledgement with nothing filled, or a rejection;
//! - a `Cancel` does not end the order; its end is still reported by one of those events.
//!
//! Every filled entry volume ends in exactly one of: a [`ClosedTrip`], an
//! [`AbandonedPosition`], or the open [`Position`] (see the property test in `proptests`).

use flywheel_core::fixed::div_round;
use flywheel_core::{FixedError, Instrument, Price, Qty, Quote, Ratio, Rounding, Side, Timestamp};
use serde::{Deserialize, Serialize};

use crate::event::{
    AbandonReason, AbandonedPosition, AncillaryError, CancelReason, ClosedTrip, Command, Fill, Leg,
    OrderKey, Outcome, Owner, Position, Reaction,
};

/// A live or cancelling entry order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryOrder {
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    /// Placement time; the entry timeout runs from here.
    pub since: Timestamp,
    /// Set once a cancel was requested (no second cancel is sent).
    pub cancelling: Option<CancelReason>,
}

/// A position and its exit order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitOrder {
    pub position: Position,
    /// The profit-target price computed from the entry fill.
    pub target: Price,
    /// The exit's limit price: the target, or further from market when the market has
    /// already passed it (never a worse price than the target).
    pub price: Price,
    /// When the position opened; the exit timeout runs from here.
    pub since: Timestamp,
    /// False after a rejection or an unrequested cancel: the next step places it again.
    pub live: bool,
    pub cancelling: Option<CancelReason>,
}

/// A cycler's phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    #[default]
    Idle,
    EntryOpen(EntryOrder),
    ExitOpen(ExitOrder),
    Cooldown {
        until: Timestamp,
    },
}

impl Phase {
    pub fn as_str(&self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::EntryOpen(_) => "entry_open",
            Phase::ExitOpen(_) => "exit_open",
            Phase::Cooldown { .. } => "cooldown",
        }
    }
}

/// Timing and pricing of one cycler kind, resolved against the instrument's fee.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rules {
    pub entry_timeout_sec: u64,
    pub exit_timeout_sec: u64,
    /// Entry distance from market; also the exit's minimum distance from market.
    pub entry_pct: Ratio,
    /// Exit distance from the entry fill.
    pub profit_pct: Ratio,
    /// Pause after a position ends or an entry is rejected (0 = straight to idle).
    pub rest_sec: u64,
}

/// The shared round-trip state of one cycler.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cycle {
    pub owner: Owner,
    /// Round trips started so far; the current one's number while not idle.
    pub cycle: u64,
    pub phase: Phase,
}

impl Cycle {
    pub fn new(owner: Owner) -> Cycle {
        Cycle {
            owner,
            cycle: 0,
            phase: Phase::Idle,
        }
    }

    fn key(&self, leg: Leg) -> OrderKey {
        OrderKey {
            owner: self.owner,
            cycle: self.cycle,
            leg,
        }
    }

    /// The one live order, if any.
    pub fn live_order(&self) -> Option<OrderKey> {
        match self.phase {
            Phase::EntryOpen(_) => Some(self.key(Leg::Entry)),
            Phase::ExitOpen(x) if x.live => Some(self.key(Leg::Exit)),
            _ => None,
        }
    }

    /// The open position, if any.
    pub fn position(&self) -> Option<&Position> {
        match &self.phase {
            Phase::ExitOpen(x) => Some(&x.position),
            _ => None,
        }
    }

    pub fn is_idle(&self) -> bool {
        matches!(self.phase, Phase::Idle)
    }

    /// Timers and pending exit placements: cooldown expiry, entry/exit timeouts, and an exit
    /// to place again after a rejection (at `market` when the market has passed its target).
    pub(crate) fn tick(
        &mut self,
        now: Timestamp,
        rules: &Rules,
        market: Price,
        inst: &Instrument,
    ) -> Result<Reaction, AncillaryError> {
        let mut out = Reaction::default();
        match self.phase {
            Phase::Cooldown { until } if now >= until => self.phase = Phase::Idle,
            Phase::EntryOpen(e)
                if e.cancelling.is_none()
                    && now.elapsed_at_least(e.since, rules.entry_timeout_sec) =>
            {
                out.commands
                    .extend(self.cancel_entry(CancelReason::EntryTimeout));
            }
            Phase::ExitOpen(x) => {
                let expired = now.elapsed_at_least(x.since, rules.exit_timeout_sec);
                if expired && !x.live {
                    let rest = x.position;
                    out.outcomes.push(self.abandon(
                        &rest,
                        rest.qty,
                        rest.entry_fee,
                        AbandonReason::ExitTimeout,
                        now,
                    ));
                    self.phase = rest_phase(now, rules);
                } else if expired && x.cancelling.is_none() {
                    let reason = CancelReason::ExitTimeout;
                    self.phase = Phase::ExitOpen(ExitOrder {
                        cancelling: Some(reason),
                        ..x
                    });
                    out.commands.push(Command::Cancel {
                        key: self.key(Leg::Exit),
                        reason,
                    });
                } else if !x.live {
                    let exit_side = x.position.entry_side.opposite();
                    let price = beyond_market(x.target, market, exit_side, rules.entry_pct, inst)?;
                    self.phase = Phase::ExitOpen(ExitOrder {
                        price,
                        live: true,
                        ..x
                    });
                    out.commands.push(Command::Place {
                        key: self.key(Leg::Exit),
                        side: exit_side,
                        price,
                        qty: x.position.qty,
                    });
                }
            }
            _ => {}
        }
        Ok(out)
    }

    /// Ask to cancel the live entry (once).
    pub(crate) fn cancel_entry(&mut self, reason: CancelReason) -> Option<Command> {
        match self.phase {
            Phase::EntryOpen(e) if e.cancelling.is_none() => {
                self.phase = Phase::EntryOpen(EntryOrder {
                    cancelling: Some(reason),
                    ..e
                });
                Some(Command::Cancel {
                    key: self.key(Leg::Entry),
                    reason,
                })
            }
            _ => None,
        }
    }

    /// Start a round trip with an entry order (only from `Idle`).
    pub(crate) fn open_entry(
        &mut self,
        now: Timestamp,
        side: Side,
        price: Price,
        qty: Qty,
    ) -> Option<Command> {
        if !self.is_idle() {
            return None;
        }
        self.cycle += 1;
        self.phase = Phase::EntryOpen(EntryOrder {
            side,
            price,
            qty,
            since: now,
            cancelling: None,
        });
        Some(Command::Place {
            key: self.key(Leg::Entry),
            side,
            price,
            qty,
        })
    }

    fn check_live(&self, key: OrderKey) -> Result<(), AncillaryError> {
        let live = self.live_order();
        if live == Some(key) {
            Ok(())
        } else {
            Err(AncillaryError::NotLive { got: key, live })
        }
    }

    /// The live order `key` is done with `fill.qty` executed.
    pub(crate) fn on_fill(
        &mut self,
        key: OrderKey,
        fill: &Fill,
        rules: &Rules,
        market: Price,
        inst: &Instrument,
    ) -> Result<Reaction, AncillaryError> {
        self.check_live(key)?;
        let bad = |reason| Err(AncillaryError::BadFill { key, reason });
        if !fill.qty.is_positive() {
            return bad("fill volume must be positive (report a cancel instead)");
        }
        if !fill.price.is_positive() {
            return bad("fill price must be positive");
        }
        if fill.fee.is_negative() {
            return bad("fee must not be negative");
        }
        let mut out = Reaction::default();
        match self.phase {
            Phase::EntryOpen(e) => {
                if fill.qty > e.qty {
                    return bad("fill volume exceeds the order volume");
                }
                let position = Position {
                    entry_side: e.side,
                    entry_price: fill.price,
                    qty: fill.qty,
                    entry_fee: fill.fee,
                    filled_at: fill.at,
                };
                let exit_side = e.side.opposite();
                let target = from_fill(fill.price, exit_side, rules.profit_pct, inst)?;
                let market = if market.is_positive() {
                    market
                } else {
                    fill.price
                };
                let price = beyond_market(target, market, exit_side, rules.entry_pct, inst)?;
                if !price.is_positive() || !inst.meets_minimums(price, fill.qty)? {
                    out.outcomes.push(self.abandon(
                        &position,
                        fill.qty,
                        fill.fee,
                        AbandonReason::BelowMinimum,
                        fill.at,
                    ));
                    self.phase = rest_phase(fill.at, rules);
                } else {
                    self.phase = Phase::ExitOpen(ExitOrder {
                        position,
                        target,
                        price,
                        since: fill.at,
                        live: true,
                        cancelling: None,
                    });
                    out.commands.push(Command::Place {
                        key: self.key(Leg::Exit),
                        side: exit_side,
                        price,
                        qty: fill.qty,
                    });
                }
            }
            Phase::ExitOpen(x) => {
                let pos = x.position;
                if fill.qty > pos.qty {
                    return bad("fill volume exceeds the position");
                }
                let closed_fee = fee_share(pos.entry_fee, fill.qty, pos.qty)?;
                let (sell, buy) = match pos.entry_side {
                    Side::Sell => (pos.entry_price, fill.price),
                    Side::Buy => (fill.price, pos.entry_price),
                };
                let gross = (sell - buy).notional(fill.qty, Rounding::HalfEven)?;
                let fees = closed_fee.checked_add(fill.fee)?;
                out.outcomes.push(Outcome::Closed(ClosedTrip {
                    owner: self.owner,
                    cycle: self.cycle,
                    entry_side: pos.entry_side,
                    qty: fill.qty,
                    entry_price: pos.entry_price,
                    exit_price: fill.price,
                    gross,
                    fees,
                    net: gross.checked_sub(fees)?,
                    closed_at: fill.at,
                }));
                let rest = pos.qty - fill.qty;
                if rest.is_positive() {
                    let reason = match x.cancelling {
                        Some(CancelReason::ExitTimeout) => AbandonReason::ExitTimeout,
                        _ => AbandonReason::ExitIncomplete,
                    };
                    let rest_fee = pos.entry_fee - closed_fee;
                    out.outcomes
                        .push(self.abandon(&pos, rest, rest_fee, reason, fill.at));
                }
                self.phase = rest_phase(fill.at, rules);
            }
            _ => {
                return Err(AncillaryError::NotLive {
                    got: key,
                    live: None,
                })
            }
        }
        Ok(out)
    }

    /// The live order `key` is gone with nothing executed.
    pub(crate) fn on_cancelled(
        &mut self,
        key: OrderKey,
        now: Timestamp,
        rules: &Rules,
    ) -> Result<Reaction, AncillaryError> {
        self.check_live(key)?;
        let mut out = Reaction::default();
        match self.phase {
            Phase::EntryOpen(_) => self.phase = Phase::Idle,
            Phase::ExitOpen(x) if x.cancelling == Some(CancelReason::ExitTimeout) => {
                let pos = x.position;
                out.outcomes.push(self.abandon(
                    &pos,
                    pos.qty,
                    pos.entry_fee,
                    AbandonReason::ExitTimeout,
                    now,
                ));
                self.phase = rest_phase(now, rules);
            }
            // Gone without our asking (expired, cancelled by hand): the position is still
            // ours; the next step places the exit again.
            Phase::ExitOpen(x) => self.phase = Phase::ExitOpen(ExitOrder { live: false, ..x }),
            _ => {
                return Err(AncillaryError::NotLive {
                    got: key,
                    live: None,
                })
            }
        }
        Ok(out)
    }

    /// The venue refused the live order `key`.
    pub(crate) fn on_rejected(
        &mut self,
        key: OrderKey,
        now: Timestamp,
        rules: &Rules,
    ) -> Result<Reaction, AncillaryError> {
        self.check_live(key)?;
        match self.phase {
            Phase::EntryOpen(_) => self.phase = rest_phase(now, rules),
            Phase::ExitOpen(x) => {
                self.phase = Phase::ExitOpen(ExitOrder {
                    live: false,
                    cancelling: None,
                    ..x
                })
            }
            _ => {
                return Err(AncillaryError::NotLive {
                    got: key,
                    live: None,
                })
            }
        }
        Ok(Reaction::default())
    }

    fn abandon(
        &self,
        pos: &Position,
        qty: Qty,
        entry_fee: Quote,
        reason: AbandonReason,
        at: Timestamp,
    ) -> Outcome {
        Outcome::Abandoned(AbandonedPosition {
            owner: self.owner,
            cycle: self.cycle,
            entry_side: pos.entry_side,
            qty,
            entry_price: pos.entry_price,
            entry_fee,
            reason,
            at,
        })
    }
}

fn rest_phase(now: Timestamp, rules: &Rules) -> Phase {
    if rules.rest_sec == 0 {
        Phase::Idle
    } else {
        Phase::Cooldown {
            until: now.plus_secs(rules.rest_sec),
        }
    }
}

/// `price × (1 − pct/100)` for a buy, `price × (1 + pct/100)` for a sell, rounded to the
/// instrument's tick with `mode`.
pub(crate) fn offset(
    price: Price,
    side: Side,
    pct: Ratio,
    inst: &Instrument,
    mode: Rounding,
) -> Result<Price, FixedError> {
    let frac = pct.percent()?;
    let factor = match side {
        Side::Buy => Ratio::ONE.checked_sub(frac)?,
        Side::Sell => Ratio::ONE.checked_add(frac)?,
    };
    let p = price.scale(factor, inst.price_decimals, mode)?;
    inst.round_price(p, mode)
}

/// Entry price: `market × (1 ∓ pct/100)`, half-even to the tick (as the slot engine does).
pub(crate) fn entry_price(
    market: Price,
    side: Side,
    pct: Ratio,
    inst: &Instrument,
) -> Result<Price, FixedError> {
    offset(market, side, pct, inst, Rounding::HalfEven)
}

/// The exit's profit target from the entry fill, rounded away from the fill (a buy exit
/// floors, a sell exit ceils), so the target is never a worse price than the formula.
fn from_fill(
    fill: Price,
    exit_side: Side,
    profit_pct: Ratio,
    inst: &Instrument,
) -> Result<Price, FixedError> {
    offset(fill, exit_side, profit_pct, inst, conservative(exit_side))
}

/// The exit limit: the target, or `market × (1 ∓ entry_pct/100)` when that is further out
/// (a post-only order must rest on its side of the book).
fn beyond_market(
    target: Price,
    market: Price,
    exit_side: Side,
    entry_pct: Ratio,
    inst: &Instrument,
) -> Result<Price, FixedError> {
    if !market.is_positive() {
        return Ok(target);
    }
    let bound = offset(market, exit_side, entry_pct, inst, conservative(exit_side))?;
    Ok(match exit_side {
        Side::Buy => target.min(bound),
        Side::Sell => target.max(bound),
    })
}

fn conservative(side: Side) -> Rounding {
    match side {
        Side::Buy => Rounding::Floor,
        Side::Sell => Rounding::Ceil,
    }
}

/// `fee × part / whole`, rounded once (half-even); the whole fee when `part == whole`.
fn fee_share(fee: Quote, part: Qty, whole: Qty) -> Result<Quote, FixedError> {
    if part == whole {
        return Ok(fee);
    }
    if !whole.is_positive() {
        return Err(FixedError::DivisionByZero);
    }
    let raw = div_round(
        i128::from(fee.raw()) * i128::from(part.raw()),
        i128::from(whole.raw()),
        Rounding::HalfEven,
    );
    i64::try_from(raw)
        .map(Quote::from_raw)
        .map_err(|_| FixedError::Overflow)
}

/// The quote an order of `qty` at `price` commits, rounded up.
pub(crate) fn cost(price: Price, qty: Qty) -> Result<Quote, FixedError> {
    price.notional(qty, Rounding::Ceil)
}

/// Volume for `usd` at `price`: half-even to the volume decimals, then to the lot; `None`
/// when below the instrument's minimum volume or cost.
pub(crate) fn size(usd: Quote, price: Price, inst: &Instrument) -> Result<Option<Qty>, FixedError> {
    if !usd.is_positive() || !price.is_positive() {
        return Ok(None);
    }
    let qty = usd.qty_for(price, inst.volume_decimals, Rounding::HalfEven)?;
    let qty = inst.round_qty(qty, Rounding::HalfEven)?;
    if !qty.is_positive() || !inst.meets_minimums(price, qty)? {
        return Ok(None);
    }
    Ok(Some(qty))
}

#[cfg(test)]
#[path = "cycle_tests.rs"]
mod tests;
