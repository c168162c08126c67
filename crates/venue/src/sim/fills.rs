//! Executing resting orders against a market print or candle point: which of our orders a
//! print crosses, how much of it each takes, and the exact ledger movement of one execution.
//!
//! Invariants: an execution is whole lots, never more than the order's leaves nor (with
//! partial fills) than what is left of the print and what passed the order's queue; a queue
//! ahead only shrinks, and only by prints at the order's price or through it; the hold released by a buy execution is
//! exactly the difference of the holds before and after it (the whole rest on the last one),
//! so `check_ledger` holds after every execution.

use flywheel_core::{Liquidity, Price, Qty, Rounding, Side, Timestamp};

use super::config::FillRule;
use super::ledger::{buy_hold, fill_amounts};
use super::queue::queue_step;
use super::{matching, SimError, SimExchange};
use crate::venue::VenueEvent;

impl SimExchange {
    /// Fill `side`'s resting orders reached by a print at `market` under `rule`, best first.
    ///
    /// `volume` is the print's size (`None`: a candle point, which has none). With
    /// `partial_fills` the print's volume is shared out in price then time priority, each
    /// execution `min(leaves, rest rounded down to the lot)`; without it every order the print
    /// reaches fills entirely. An order strictly behind the print's price (a bid above a
    /// lower print) is at the front of its cleared level; an order *at* the print's price
    /// first lets the print eat its queue ahead ([`queue_step`]) under [`FillRule::Queue`],
    /// and gets only what passes it. The volume reaching the level is what the orders
    /// through it left (with partial fills), the same for every own order there: their
    /// queue positions already count each other ([`Book::own_queue_end`]).
    ///
    /// [`Book::own_queue_end`]: super::book::Book::own_queue_end
    pub(super) fn match_side(
        &mut self,
        side: Side,
        market: Price,
        rule: FillRule,
        volume: Option<Qty>,
        ts: Timestamp,
    ) -> Result<(), SimError> {
        // Fast path: the best own price is not reached.
        match self.book.best_price(side) {
            Some(best) if matching::crosses(rule, side, best, market) => {}
            _ => return Ok(()),
        }
        let reached = self
            .book
            .crossing(side, |p| matching::crosses(rule, side, p, market));
        let partial = self.cfg.partial_fills;
        let lot = self.instrument.lot;
        // Print volume not yet taken by our orders (None: unlimited).
        let mut rest = volume;
        // The volume that reached the print's own price level, fixed at its first order.
        let mut at_level: Option<Option<Qty>> = None;
        for (price, seq) in reached {
            let o = self.book.get_mut(seq).ok_or(SimError::Book { seq })?;
            // A candle is replayed after the loops inside it have placed orders: a point
            // older than the order's arrival never reached it.
            if o.active_at > ts {
                continue;
            }
            let leaves = o.leaves();
            let through = matching::crosses(FillRule::Strict, side, price, market);
            // How much of the print gets past the queue to this order (None: all of it).
            let passes = if through || rule != FillRule::Queue {
                o.queue_ahead = Qty::ZERO;
                rest
            } else {
                match *at_level.get_or_insert(rest) {
                    Some(x) => {
                        let (ahead, left) = queue_step(o.queue_ahead, x);
                        o.queue_ahead = ahead;
                        Some(left)
                    }
                    None => {
                        o.queue_ahead = Qty::ZERO;
                        None
                    }
                }
            };
            let qty = if partial {
                // Executions are whole lots, within what passes the queue and what is left.
                let avail = match (passes, rest) {
                    (Some(a), Some(r)) => Some(a.min(r)),
                    (a, r) => a.or(r),
                };
                match avail {
                    Some(a) => leaves.min(a.round_to(lot, Rounding::Floor).unwrap_or(Qty::ZERO)),
                    None => leaves,
                }
            } else if passes.is_none_or(|a| a.is_positive()) {
                leaves
            } else {
                Qty::ZERO
            };
            if !qty.is_positive() {
                continue;
            }
            self.fill_resting(seq, qty, ts)?;
            if partial {
                if let Some(r) = rest.as_mut() {
                    *r -= qty;
                }
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
            cl_ord_id: o.cl_ord_id.clone(),
            txid: o.txid.clone(),
            side: o.side,
            price: o.price,
            qty,
            fee: amounts.fee,
            liquidity: Liquidity::Maker,
            ts,
            leaves,
            exec_id: None,
        });
        if leaves.is_zero() {
            self.book.remove(seq);
        }
        self.debug_check();
        Ok(())
    }
}
