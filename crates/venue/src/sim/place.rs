//! Placement: the validation order of Kraken's `AddOrder` checks, post-only orders (resting
//! at once or in flight for the latency) and IOC orders (executed inside `place`).
//!
//! Invariants: a rejected order changes nothing (no id, no hold); an accepted post-only order
//! holds exactly its [`buy_hold`](super::buy_hold) (buy) or its volume (sell); an IOC order
//! holds nothing and is never open after `place` returns. What the caller hears of an order,
//! and when, is [`super::answers`]'s business.

use flywheel_core::{Liquidity, Qty, Quote, Rounding, Side, Timestamp};

use super::answers::Accepted;
use super::book::Order;
use super::ledger::{buy_hold, fill_amounts};
use super::{matching, SimExchange, TXID_PREFIX};
use crate::venue::{DoneReason, OrderKind, OrderRequest, Reject, VenueEvent};

impl SimExchange {
    /// Handle an order at `now`: validation, funds, then a post-only order goes on the book
    /// (or in flight) and an IOC order executes or expires.
    pub(super) fn accept(
        &mut self,
        req: &OrderRequest,
        now: Timestamp,
    ) -> Result<Accepted, Reject> {
        self.validate(req)?;
        let fee_pct = match req.kind {
            OrderKind::PostOnly => self.instrument.maker_fee_pct,
            OrderKind::Ioc => self.instrument.taker_fee_pct,
        };
        let balances = self.ledger.balances();
        let hold = match req.side {
            Side::Buy => {
                let hold =
                    buy_hold(req.price, req.qty, fee_pct).map_err(|_| Reject::InsufficientFunds)?;
                if hold > balances.free_quote() {
                    return Err(Reject::InsufficientFunds);
                }
                hold
            }
            Side::Sell => {
                if req.qty > balances.free_base() {
                    return Err(Reject::InsufficientFunds);
                }
                Quote::ZERO
            }
        };
        match req.kind {
            OrderKind::PostOnly => self.place_post_only(req, now, hold),
            OrderKind::Ioc => self.execute_ioc(req, now),
        }
    }

    /// Checks 1–5 of placement (tick, lot, minimum volume, minimum cost, open-order cap).
    pub(super) fn validate(&self, req: &OrderRequest) -> Result<(), Reject> {
        let inst = &self.instrument;
        if !req.price.is_positive() || req.price.raw() % inst.tick.raw() != 0 {
            return Err(Reject::TickSizeCheckFailed);
        }
        if !req.qty.is_positive() || req.qty.raw() % inst.lot.raw() != 0 {
            return Err(Reject::InvalidVolume);
        }
        if req.qty < inst.min_volume {
            return Err(Reject::OrderMinimumNotMet);
        }
        // A notional beyond the fixed-point range certainly meets the minimum.
        if let Ok(notional) = req.price.notional(req.qty, Rounding::HalfEven) {
            if notional < inst.min_cost {
                return Err(Reject::CostMinimumNotMet);
            }
        }
        if self.book.len() >= self.cfg.max_open_orders {
            return Err(Reject::OrdersLimitExceeded);
        }
        Ok(())
    }

    pub(super) fn next_txid(&mut self) -> String {
        self.last_seq += 1;
        format!("{TXID_PREFIX}{:06}", self.last_seq)
    }

    pub(super) fn place_post_only(
        &mut self,
        req: &OrderRequest,
        now: Timestamp,
        hold: Quote,
    ) -> Result<Accepted, Reject> {
        let latency = i64::try_from(self.cfg.latency_ms).unwrap_or(i64::MAX);
        if latency == 0 {
            let opposite = self.book.best_price(req.side.opposite());
            if matching::post_only_would_take(req.side, req.price, self.last_price, opposite) {
                return Err(Reject::PostOnlyWouldTake);
            }
        }
        let txid = self.next_txid();
        let held_base = match req.side {
            Side::Buy => Qty::ZERO,
            Side::Sell => req.qty,
        };
        self.ledger.hold_quote(hold);
        self.ledger.hold_base(held_base);
        let order = Order {
            txid: txid.clone(),
            cl_ord_id: req.cl_ord_id.clone(),
            side: req.side,
            price: req.price,
            qty: req.qty,
            filled: Qty::ZERO,
            held_quote: hold,
            held_base,
            active_at: Timestamp::from_millis(now.millis().saturating_add(latency)),
            resting: latency == 0,
            queue_ahead: Qty::ZERO,
            ack_due: None,
        };
        self.book.insert(self.last_seq, order);
        if latency == 0 {
            self.join_queue(self.last_seq, now);
        }
        self.debug_check();
        Ok(Accepted {
            seq: self.last_seq,
            txid,
            qty: req.qty,
            outcome: None,
        })
    }

    pub(super) fn execute_ioc(
        &mut self,
        req: &OrderRequest,
        now: Timestamp,
    ) -> Result<Accepted, Reject> {
        let price = matching::ioc_fill_price(
            req.side,
            req.price,
            self.last_price,
            self.cfg.ioc_half_spread_bps,
            self.instrument.tick,
        );
        let event = match price {
            Some(price) => {
                let amounts = fill_amounts(
                    &self.instrument,
                    price,
                    Qty::ZERO,
                    req.qty,
                    Liquidity::Taker,
                )
                .map_err(|_| Reject::InsufficientFunds)?;
                // Nothing was reserved, so nothing is released.
                match req.side {
                    Side::Buy => self.ledger.buy_fill(req.qty, amounts, Quote::ZERO),
                    Side::Sell => self.ledger.sell_fill(req.qty, amounts, Qty::ZERO),
                }
                .map_err(|_| Reject::InsufficientFunds)?;
                Some((price, amounts.fee))
            }
            None => None,
        };
        let txid = self.next_txid();
        let outcome = match event {
            Some((price, fee)) => VenueEvent::Fill {
                cl_ord_id: req.cl_ord_id.clone(),
                txid: txid.clone(),
                side: req.side,
                price,
                qty: req.qty,
                fee,
                liquidity: Liquidity::Taker,
                ts: now,
                leaves: Qty::ZERO,
                exec_id: None,
            },
            None => VenueEvent::Done {
                cl_ord_id: req.cl_ord_id.clone(),
                txid: txid.clone(),
                reason: DoneReason::Expired,
                filled: Qty::ZERO,
                ts: now,
            },
        };
        self.debug_check();
        Ok(Accepted {
            seq: self.last_seq,
            txid,
            qty: req.qty,
            outcome: Some(outcome),
        })
    }
}
