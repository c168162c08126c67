//! FIFO realized PnL over **all** fills of one market, maker and hedger alike (spec
//! `maker-origin.md` §3.2, with its defects fixed: hedger fills are included, and a short
//! opened by a flip is queued at the back like every other lot, so both directions close
//! oldest lot first).
//!
//! # Model
//!
//! The book is a queue of open [`Lot`]s, all on the same side (all long or all short). A fill
//! on the side of the lots (or on a flat book) opens a new lot at the back. A fill on the
//! other side closes lots from the front, oldest first, splitting the front lot when it is
//! larger than what is left of the fill; if the fill is larger than the whole position, the
//! remainder opens a lot on the fill's side (a flip through zero).
//!
//! Each lot carries, besides its quantity and price, the exact **cost** (signed notional,
//! `+` paid for a long, `−` received for a short) and the **entry fee** still attached to it.
//!
//! # Realized PnL, net of fees (the definition)
//!
//! For every match of `m` units of a fill against a lot:
//!
//! * gross = cash the closing part brings in − the lot's cost for those `m` units (for a sell
//!   closing a long: proceeds − cost; for a buy closing a short: received − paid);
//! * fees = the lot's entry fee pro rata on the `m` units closed **+** this fill's fee pro
//!   rata on the `m` units of the fill;
//! * realized += gross − fees.
//!
//! The part of a fill that opens a lot realizes nothing: its pro-rata share of the fill's fee
//! becomes the new lot's entry fee and is realized when that lot is closed. So
//! [`FifoBook::realized`] is net of every fee on closed quantity, [`FifoBook::unrealized`] is
//! net of the entry fees still attached to open lots, and (exactly, to the nano-unit)
//!
//! ```text
//! realized + unrealized(mid) == cash_flow + mid × inventory     (flat start)
//! fees == Σ fill fees == fees realized + open_fees
//! ```
//!
//! where `cash_flow = Σ(sell notionals) − Σ(buy notionals) − Σ fees`.
//!
//! # Rounding
//!
//! A fill's notional is `price × qty` rounded **half-even** to 9 decimals once
//! ([`Price::notional`]); it is exact whenever price and quantity decimals add up to ≤ 9 (SOL:
//! 2–3 + 3). Splitting an amount (a fill's notional or fee, a lot's cost or entry fee) over
//! parts of the quantity is pro rata, each part rounded half-even to 9 decimals, and **the
//! last part takes the remainder** (the last match of a fill, or the opening remainder; the
//! part that empties a lot takes all of the lot's remaining cost and fee). So the parts of an
//! amount always add up to the whole exactly, and the identity above holds with no drift.

use std::collections::VecDeque;

use flywheel_core::fixed::div_round;
use flywheel_core::{FixedError, Price, Qty, Quote, Rounding, Side, Timestamp};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One open lot. All lots of a book are on the same side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    /// Buy = long lot, Sell = short lot.
    pub side: Side,
    /// Remaining quantity (positive).
    pub qty: Qty,
    /// The fill price that opened the lot.
    pub price: Price,
    /// Signed cost of the remaining quantity: `+` paid (long), `−` received (short). Equal
    /// to `price × qty` up to the nano-unit rounding of the split (see the module docs).
    pub cost: Quote,
    /// Entry fee still attached to the remaining quantity.
    pub fee: Quote,
    /// When the opening fill happened.
    pub opened_at: Timestamp,
}

impl Lot {
    /// Signed remaining quantity (long positive).
    pub fn signed_qty(&self) -> Qty {
        match self.side {
            Side::Buy => self.qty,
            Side::Sell => -self.qty,
        }
    }
}

/// Why a fill was refused (the book is left unchanged).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum FifoError {
    #[error("fill quantity must be positive, got {0}")]
    Qty(Qty),
    #[error("fill price must be positive, got {0}")]
    Price(Price),
    #[error("fixed-point arithmetic: {0}")]
    Arithmetic(#[from] FixedError),
}

/// FIFO lots and running totals for one market. Deterministic: the same fills in the same
/// order give the same book.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FifoBook {
    lots: VecDeque<Lot>,
    realized: Quote,
    fees: Quote,
    volume: Qty,
    cash_flow: Quote,
    fills: u64,
    last_fill_at: Option<Timestamp>,
}

/// `total × part / whole`, half-even at 9 decimals (`whole` > 0, `0 ≤ part ≤ whole`).
fn pro_rata(total: Quote, part: Qty, whole: Qty) -> Result<Quote, FixedError> {
    if part == whole {
        return Ok(total);
    }
    let v = div_round(
        i128::from(total.raw()) * i128::from(part.raw()),
        i128::from(whole.raw()),
        Rounding::HalfEven,
    );
    // |v| ≤ |total| because part ≤ whole, so this never fails in practice.
    i64::try_from(v)
        .map(Quote::from_raw)
        .map_err(|_| FixedError::Overflow)
}

impl FifoBook {
    pub fn new() -> Self {
        Self::default()
    }

    /// Book one fill of `qty` (> 0) at `price` (> 0) with `fee` (quote; negative = rebate)
    /// and return this fill's realized delta (net of fees, see the module docs: 0 for a fill
    /// that only opens). On error nothing changes.
    pub fn on_fill(
        &mut self,
        side: Side,
        price: Price,
        qty: Qty,
        fee: Quote,
        ts: Timestamp,
    ) -> Result<Quote, FifoError> {
        if !qty.is_positive() {
            return Err(FifoError::Qty(qty));
        }
        if !price.is_positive() {
            return Err(FifoError::Price(price));
        }
        // Work on copies so a failure part-way leaves the book untouched.
        let mut lots = self.lots.clone();
        let notional = price.notional(qty, Rounding::HalfEven)?;
        // Cash this fill brings in: + for a sell, − for a buy.
        let inflow = match side {
            Side::Sell => notional,
            Side::Buy => -notional,
        };
        let mut left = qty;
        let mut inflow_left = inflow;
        let mut fee_left = fee;
        let mut delta = Quote::ZERO;

        while left.is_positive() {
            let Some(front) = lots.front_mut() else { break };
            if front.side == side {
                break; // same side: nothing to close
            }
            let m = left.min(front.qty);
            let last_of_fill = m == left;
            // This fill's share for the m units (the last part takes the remainder).
            let (cash_part, fee_part) = if last_of_fill {
                (inflow_left, fee_left)
            } else {
                (pro_rata(inflow, m, qty)?, pro_rata(fee, m, qty)?)
            };
            // The lot's share for the m units (emptying it takes everything left).
            let cost_part = pro_rata(front.cost, m, front.qty)?;
            let entry_fee_part = pro_rata(front.fee, m, front.qty)?;
            delta = delta
                .checked_add(cash_part)?
                .checked_sub(cost_part)?
                .checked_sub(entry_fee_part)?
                .checked_sub(fee_part)?;
            front.qty -= m;
            front.cost -= cost_part;
            front.fee -= entry_fee_part;
            if front.qty.is_zero() {
                lots.pop_front();
            }
            left -= m;
            inflow_left -= cash_part;
            fee_left -= fee_part;
        }
        if left.is_positive() {
            // Opening part: the remainder of the fill's notional and fee.
            lots.push_back(Lot {
                side,
                qty: left,
                price,
                cost: -inflow_left,
                fee: fee_left,
                opened_at: ts,
            });
        }

        let realized = self.realized.checked_add(delta)?;
        let fees = self.fees.checked_add(fee)?;
        let volume = self.volume.checked_add(qty)?;
        let cash_flow = self.cash_flow.checked_add(inflow)?.checked_sub(fee)?;
        self.lots = lots;
        self.realized = realized;
        self.fees = fees;
        self.volume = volume;
        self.cash_flow = cash_flow;
        self.fills += 1;
        self.last_fill_at = Some(ts);
        Ok(delta)
    }

    /// Signed position: Σ signed fills (long positive).
    pub fn inventory(&self) -> Qty {
        self.lots.iter().map(Lot::signed_qty).sum()
    }

    /// Open lots, oldest first.
    pub fn lots(&self) -> &VecDeque<Lot> {
        &self.lots
    }

    /// Σ signed cost of the open lots (+ paid for longs, − received for shorts).
    pub fn open_cost(&self) -> Quote {
        self.lots.iter().map(|l| l.cost).sum()
    }

    /// Entry fees attached to open lots (not yet realized).
    pub fn open_fees(&self) -> Quote {
        self.lots.iter().map(|l| l.fee).sum()
    }

    /// Average entry price of the open position (cost / quantity, half-even at 9 decimals;
    /// fees excluded); `None` when flat.
    pub fn avg_price(&self) -> Option<Price> {
        let inv = self.inventory();
        if inv.is_zero() {
            return None;
        }
        let cost = self.open_cost();
        cost.fixed()
            .div_round(inv.fixed(), 9, Rounding::HalfEven)
            .ok()
            .map(Price::new)
    }

    /// Unrealized PnL at `mid`: `mid × inventory − open cost − open entry fees`, i.e. what
    /// closing everything at `mid` with no exit fee would add to [`realized`](Self::realized).
    /// `mid × inventory` is rounded half-even to 9 decimals.
    pub fn unrealized(&self, mid: Price) -> Result<Quote, FixedError> {
        let value = mid.notional(self.inventory(), Rounding::HalfEven)?;
        value
            .checked_sub(self.open_cost())?
            .checked_sub(self.open_fees())
    }

    /// [`Self::unrealized`] exactly at any mid (a [`flywheel_core::Wide`]: it cannot fail).
    pub fn unrealized_exact(&self, mid: Price) -> flywheel_core::Wide {
        flywheel_core::Wide::product(mid.fixed(), self.inventory().fixed(), Rounding::HalfEven)
            - self.open_cost().into()
            - self.open_fees().into()
    }

    /// Cumulative realized PnL, net of the fees on closed quantity.
    pub fn realized(&self) -> Quote {
        self.realized
    }

    /// Σ fill fees (realized ones and those still attached to open lots).
    pub fn fees(&self) -> Quote {
        self.fees
    }

    /// Σ |fill qty|.
    pub fn volume(&self) -> Qty {
        self.volume
    }

    /// Σ sell notionals − Σ buy notionals − Σ fees.
    pub fn cash_flow(&self) -> Quote {
        self.cash_flow
    }

    /// Number of fills booked.
    pub fn fills(&self) -> u64 {
        self.fills
    }

    /// Timestamp of the last fill booked.
    pub fn last_fill_at(&self) -> Option<Timestamp> {
        self.last_fill_at
    }
}

#[cfg(test)]
#[path = "fifo_tests.rs"]
mod tests;
