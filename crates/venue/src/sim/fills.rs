//! Executing resting orders against a market print or candle point: which of our orders a
//! print crosses, how much of it each takes, and the exact ledger movement of one execution.
//!
//! Invariants: an execution is whole lots, never more than the order's leaves nor (with
//! partial fills) than what is left of the print; the hold released by a buy execution is
//! exactly the difference of the holds before and after it (the whole rest on the last one),
//! so `check_ledger` holds after every execution.

use flywheel_core::{Liquidity, Price, Qty, Side, Timestamp};

use super::book::Order;
use super::config::FillRule;
use super::ledger::{buy_hold, fill_amounts};
use super::{matching, SimError, SimExchange};
use crate::venue::VenueEvent;

impl SimExchange {
    /// Fill `side`'s resting orders crossed by a print at `market`, best first, sharing
    /// `cap` (None: no volume limit, every crossed order fills entirely).
    pub(super) fn match_side(
        &mut self,
        side: Side,
        market: Price,
        rule: FillRule,
        mut cap: Option<Qty>,
        ts: Timestamp,
    ) -> Result<(), SimError> {
        // Fast path: the best own price does not cross.
        match self.book.best_price(side) {
            Some(best) if matching::crosses(rule, side, best, market) => {}
            _ => return Ok(()),
        }
        while let Some((price, seq)) = self.book.best(side) {
            if !matching::crosses(rule, side, price, market) {
                break;
            }
            let leaves = self
                .book
                .get(seq)
                .map(Order::leaves)
                .ok_or(SimError::Book { seq })?;
            // Executions are whole lots: what is left of the print, rounded down to the lot.
            let lot = self.instrument.lot;
            let qty = match cap {
                Some(rest) => leaves.min(
                    rest.round_to(lot, flywheel_core::Rounding::Floor)
                        .unwrap_or(Qty::ZERO),
                ),
                None => leaves,
            };
            if !qty.is_positive() {
                break;
            }
            self.fill_resting(seq, qty, ts)?;
            if let Some(rest) = cap.as_mut() {
                *rest -= qty;
            }
        }
        Ok(())
    }

    /// Execute `qty` (≤ leaves) of resting order `seq` at its own price, as maker.
    pub(super) fn fill_resting(
        &mut self,
        seq: u64,
        qty: Qty,
        ts: Timestamp,
    ) -> Result<(), SimError> {
        let fee_pct = self.instrument.maker_fee_pct;
        let o = self.book.get_mut(seq).ok_or(SimError::Book { seq })?;
        let arith = |source| SimError::Arithmetic {
            txid: o.txid.clone(),
            source,
        };
        let amounts = fill_amounts(&self.instrument, o.price, o.filled, qty, Liquidity::Maker)
            .map_err(arith)?;
        let filled = o.filled.checked_add(qty).map_err(arith)?;
        let leaves = o.qty - filled;
        match o.side {
            Side::Buy => {
                let release = if leaves.is_zero() {
                    o.held_quote
                } else {
                    let before = buy_hold(o.price, o.filled, fee_pct).map_err(arith)?;
                    let after = buy_hold(o.price, filled, fee_pct).map_err(arith)?;
                    (after - before).min(o.held_quote)
                };
                self.ledger.buy_fill(qty, amounts, release).map_err(arith)?;
                o.held_quote -= release;
            }
            Side::Sell => {
                self.ledger.sell_fill(qty, amounts, qty).map_err(arith)?;
                o.held_base -= qty;
            }
        }
        o.filled = filled;
        self.events.push(VenueEvent::Fill {
            txid: o.txid.clone(),
            client_id: o.client_id,
            side: o.side,
            price: o.price,
            qty,
            fee: amounts.fee,
            liquidity: Liquidity::Maker,
            ts,
            leaves,
        });
        if leaves.is_zero() {
            self.book.remove(seq);
        }
        self.debug_check();
        Ok(())
    }
}
