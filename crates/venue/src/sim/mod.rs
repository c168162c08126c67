//! The simulated exchange: a deterministic, exact model of one Kraken spot market for one
//! account, driven by recorded or live market events. Backtest and paper trading use it as
//! their [`Venue`].
//!
//! # Model
//!
//! **Time.** Nothing reads a clock. `place`/`cancel` take the engine's `now`; market events
//! carry their own time. Every entry point first brings in-flight orders up to its time
//! ([`SimExchange::advance_to`]), so the processing order is the time order: an order placed
//! at `t` with latency `L` reaches the book at `t + L`, before any market event (or candle
//! point) at or after `t + L`, and after those before it. Callers feed events in time order.
//!
//! **Placement** ([`Venue::place`]) validates in this order, answering Kraken's errors:
//! price positive and a multiple of the tick (`TickSizeCheckFailed`), volume positive and a
//! multiple of the lot (`InvalidVolume`), volume ≥ `min_volume` (`OrderMinimumNotMet`),
//! notional (half-even) ≥ `min_cost` (`CostMinimumNotMet`), open orders (resting or in
//! flight) below `max_open_orders` (`OrdersLimitExceeded`, IOC orders included), free funds
//! (`InsufficientFunds`: a buy needs its [`buy_hold`] in free quote, a sell its volume in free
//! base), and for a post-only order with zero latency the crossing check
//! (`PostOnlyWouldTake`). Amounts too large for the fixed-point range count as unaffordable.
//! Before all of these, a client order id seen before is refused (`DuplicateClOrdId`).
//! Accepted orders get ids `SIM-000001`, `SIM-000002`, … in acceptance order (rejected
//! orders use none).
//!
//! **Answers** ([`answers`]): requests are handled at once; the caller hears of them
//! `ack_latency_ms` later (0: with the reply, as before orders had in-flight states). A
//! cancel takes effect only when it arrives. Test [`Fault`]s lose an answer or an order.
//!
//! **Post-only crossing.** The reference is the last trade price, or the current candle
//! point (after a candle: its close). A buy at or above it, or at or above one of our own
//! resting asks (sell: at or below the reference or an own bid), would take and is refused:
//! synchronously with zero latency, else as [`VenueEvent::Rejected`] stamped with its arrival
//! time, its hold released (and its ack taken back if it was not delivered yet). Before
//! any market data there is no reference and only the own-book check applies. Because of
//! that check our own bids stay strictly below our asks, so a print never crosses both
//! sides.
//!
//! **Trades** ([`MarketEvent::Trade`]) fill resting orders at their own limit price, as
//! maker. A print strictly through an order's price (a buy: print below it) reaches it under
//! every rule; a print exactly at the price depends on [`FillRule`]: `strict` never fills,
//! `touch` fills at once, `queue` (default) fills only what passes the estimated volume
//! queued ahead of the order ([`queue`]). With `partial_fills` (default) a print fills at most
//! its own quantity: it is consumed across the reached orders in price priority (highest buy
//! / lowest sell first), then time priority (older first), each taking `min(leaves, rest of
//! the print rounded down to the lot)` — executions are whole lots, so a print smaller than a
//! lot fills nothing. Without it every reached order fills entirely.
//!
//! **Aggressor side** ([`aggressor`]): a buy-aggressor print fills only our resting sells, a
//! sell-aggressor print only our bids. The side is the recorded one (Tardis) or, for data
//! without it, what [`AggressorRule`] says (default: the tick test); an unknown side fills
//! both. Candle points have no aggressor and fill both sides.
//!
//! **Arrival.** An order never fills on a market point older than its arrival at the book
//! (`active_at`). Trades come in time order, so this only matters for candles: the backtest
//! driver runs the loops inside a bar before it hands over the bar (known at its close), and
//! without this rule an order placed mid-bar would fill on the bar's earlier points.
//!
//! **Candles** ([`MarketEvent::Bar`]) are replayed as the intrabar path of
//! `grid-origin.md` §6.1 ([`intrabar_path`]): open → nearer extreme → other extreme → close
//! at `t0 + k·q`, `q = (close_time − open_time)/4`, consecutive duplicates collapsed. At each
//! point the touch rule applies (a buy fills when the point is at or below its price) and
//! every crossed order fills **entirely** at its own price — bar volume does not cap fills —
//! in price then time priority.
//!
//! **IOC orders** execute inside `place`, ignoring latency, against the reference price only
//! (never against our own resting orders, and without moving the reference), paying a
//! half-spread over it: a buy at `reference × (1 + ioc_half_spread_bps / 10 000)` rounded up
//! to the tick, a sell that much below rounded down ([`matching::ioc_fill_price`]). When the
//! limit allows that price the whole volume fills there (the book's depth is not modelled),
//! paying the taker fee; otherwise, or with no reference yet, it expires with a
//! `Done { Expired }` event. An IOC order is never open after `place` returns.
//!
//! **Money** is exact; see [`ledger`] for the hold, fee and release rules. Fees are charged in
//! quote for both sides. After every mutation debug builds verify [`SimExchange::check_ledger`].
//!
//! **Determinism.** All state is in ordered containers and all inputs are explicit, so the
//! same calls produce the same events, byte for byte.

pub mod aggressor;
pub mod answers;
#[cfg(test)]
mod answers_tests;
mod book;
pub mod config;
mod fills;
pub mod ledger;
#[cfg(test)]
mod match_tests;
pub mod matching;
mod place;
#[cfg(test)]
mod place_tests;
pub mod queue;
#[cfg(test)]
mod queue_tests;
#[cfg(test)]
mod test_support;

use std::collections::BTreeSet;

use flywheel_core::{FixedError, Instrument, InstrumentError, Price, Qty, Ratio, Side, Timestamp};
use flywheel_marketdata::MarketEvent;
use serde::Serialize;
use thiserror::Error;

use crate::cl_ord_id::ClOrdId;
use crate::venue::{Balances, OrderRequest, Reject, Venue, VenueEvent};
use aggressor::TickTest;
pub use answers::Fault;
use book::Book;
pub use config::{AggressorRule, FillRule, SimConfig, DEFAULT_MAX_OPEN_ORDERS};
pub use ledger::{buy_hold, fill_amounts, Asset, FillAmounts, LedgerError, Nano};
pub use matching::{intrabar_path, IntrabarPath};
use queue::TradeWindow;

/// Prefix of the simulated exchange's order ids.
pub const TXID_PREFIX: &str = "SIM-";

/// Why the simulated exchange cannot be built or cannot go on.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SimError {
    #[error(transparent)]
    Instrument(#[from] InstrumentError),
    #[error("instrument {symbol}: fee rates must be below 100 %")]
    FeeRate { symbol: String },
    #[error("start balances: {0}")]
    Start(&'static str),
    #[error("order {txid}: arithmetic out of range while filling: {source}")]
    Arithmetic { txid: String, source: FixedError },
    #[error("order book out of step: order #{seq} is indexed but missing")]
    Book { seq: u64 },
}

/// An open order, as [`SimExchange::open_orders`] shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpenOrder {
    pub txid: String,
    pub cl_ord_id: ClOrdId,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    pub filled: Qty,
    /// When the order reaches (or reached) the book.
    pub active_at: Timestamp,
    /// On the book; false while in flight.
    pub resting: bool,
    /// Estimated volume queued ahead of it at its price (`fill_rule = "queue"`; else zero).
    pub queue_ahead: Qty,
}

/// The simulated exchange (see the module docs for the model).
#[derive(Clone, Debug)]
pub struct SimExchange {
    instrument: Instrument,
    cfg: SimConfig,
    book: Book,
    ledger: ledger::Ledger,
    last_price: Option<Price>,
    /// The tick test over every trade print so far (see [`aggressor`]).
    tick: TickTest,
    /// Recent prints, for the queue-ahead estimate (filled only under [`FillRule::Queue`]).
    window: TradeWindow,
    last_seq: u64,
    events: Vec<VenueEvent>,
    /// Answers still to deliver and faults still to apply ([`answers`]).
    answers: answers::Answers,
    /// Every client order id the caller has used.
    seen: BTreeSet<ClOrdId>,
}

impl SimExchange {
    /// A simulated account in `instrument`'s market holding `start` (nothing held).
    pub fn new(instrument: Instrument, cfg: SimConfig, start: Balances) -> Result<Self, SimError> {
        instrument.validate()?;
        if instrument.maker_fee_pct >= Ratio::HUNDRED || instrument.taker_fee_pct >= Ratio::HUNDRED
        {
            return Err(SimError::FeeRate {
                symbol: instrument.symbol.clone(),
            });
        }
        if !start.base.held.is_zero() || !start.quote.held.is_zero() {
            return Err(SimError::Start("held must be zero"));
        }
        if start.base.total.is_negative() || start.quote.total.is_negative() {
            return Err(SimError::Start("totals must not be negative"));
        }
        let window = TradeWindow::new(cfg.queue_window_sec);
        Ok(SimExchange {
            instrument,
            cfg,
            book: Book::default(),
            ledger: ledger::Ledger::new(start),
            last_price: None,
            tick: TickTest::default(),
            window,
            last_seq: 0,
            events: Vec::new(),
            answers: answers::Answers::default(),
            seen: BTreeSet::new(),
        })
    }

    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    /// The post-only / IOC reference: the last trade price or candle point, if any.
    pub fn last_price(&self) -> Option<Price> {
        self.last_price
    }

    /// Fees paid since the start (quote).
    pub fn fees_paid(&self) -> Nano {
        Nano(self.ledger.fees_paid())
    }

    /// Open orders (resting and in flight), oldest first.
    pub fn open_orders(&self) -> Vec<OpenOrder> {
        self.book
            .orders()
            .map(|(_, o)| OpenOrder {
                txid: o.txid.clone(),
                cl_ord_id: o.cl_ord_id.clone(),
                side: o.side,
                price: o.price,
                qty: o.qty,
                filled: o.filled,
                active_at: o.active_at,
                resting: o.resting,
                queue_ahead: o.queue_ahead,
            })
            .collect()
    }

    /// Verify the ledger: totals equal start + executions − fees exactly, held equals the sum
    /// of the open orders' holds, each order's hold matches its unfilled part, `0 ≤ held ≤
    /// total`, and no order has executed its whole volume while still open.
    pub fn check_ledger(&self) -> Result<(), LedgerError> {
        let (mut held_quote, mut held_base) = (0i128, 0i128);
        let fee = self.instrument.maker_fee_pct;
        for (_, o) in self.book.orders() {
            let bad = |problem| LedgerError::Order {
                txid: o.txid.clone(),
                problem,
            };
            if o.filled.is_negative() || o.filled >= o.qty {
                return Err(bad("executed volume outside 0..volume while open"));
            }
            let hold_ok = match o.side {
                Side::Buy => {
                    let want = buy_hold(o.price, o.qty, fee)
                        .and_then(|all| Ok(all - buy_hold(o.price, o.filled, fee)?));
                    want == Ok(o.held_quote) && o.held_base.is_zero()
                }
                Side::Sell => o.held_base == o.leaves() && o.held_quote.is_zero(),
            };
            if !hold_ok {
                return Err(bad("hold does not match the unfilled part"));
            }
            held_quote += i128::from(o.held_quote.raw());
            held_base += i128::from(o.held_base.raw());
        }
        self.ledger.check(held_quote, held_base)
    }

    fn debug_check(&self) {
        debug_assert_eq!(self.check_ledger(), Ok(()));
    }

    /// Bring in-flight orders that arrive at or before `t` to the book (or reject them, if
    /// post-only and crossing), and deliver the answers due by then ([`answers`]), in time
    /// order (answers first at the same instant).
    pub fn advance_to(&mut self, t: Timestamp) {
        loop {
            let answer = self.answers.peek(t);
            let arrival = self.book.peek_due(t);
            match (answer, arrival) {
                (None, None) => return,
                (Some(key), Some((at, _))) if key.0 <= at => self.deliver(key),
                (Some(key), None) => self.deliver(key),
                (_, Some(_)) => self.arrive(t),
            }
        }
    }

    /// The next in-flight order due by `t` reaches the book.
    fn arrive(&mut self, t: Timestamp) {
        let Some(seq) = self.book.next_due(t) else {
            return;
        };
        let Some(o) = self.book.get(seq) else {
            return;
        };
        let opposite = self.book.best_price(o.side.opposite());
        if !matching::post_only_would_take(o.side, o.price, self.last_price, opposite) {
            let at = o.active_at;
            self.book.rest(seq);
            self.join_queue(seq, at);
            return;
        }
        if let Some(o) = self.book.remove(seq) {
            self.ledger.release_quote(o.held_quote);
            self.ledger.release_base(o.held_base);
            self.take_back_ack(o.ack_due);
            self.events.push(VenueEvent::Rejected {
                cl_ord_id: o.cl_ord_id,
                txid: Some(o.txid),
                reason: Reject::PostOnlyWouldTake,
                ts: o.active_at,
            });
            self.debug_check();
        }
    }

    /// Set the queue ahead of order `seq`, which has just reached the book at `at` (module
    /// [`queue`]): the estimate from the recent prints, and at least behind our own orders
    /// already at that price. Only under [`FillRule::Queue`]; otherwise it stays zero.
    fn join_queue(&mut self, seq: u64, at: Timestamp) {
        if self.cfg.fill_rule != FillRule::Queue {
            return;
        }
        let Some((side, price)) = self.book.get(seq).map(|o| (o.side, o.price)) else {
            return;
        };
        let estimate = self
            .window
            .queue_ahead(price, at, self.cfg.queue_ahead_multiple);
        let behind_own = self.book.own_queue_end(side, price, seq);
        if let Some(o) = self.book.get_mut(seq) {
            o.queue_ahead = estimate.max(behind_own);
        }
    }

    /// Advance the simulated market by one event: bring in-flight orders in, update the
    /// reference price and fill the resting orders the event crosses. Events are queued for
    /// [`Venue::poll_events`]. An error (an amount out of the fixed-point range) leaves every
    /// earlier fill booked and the ledger consistent; the run should stop.
    pub fn on_market(&mut self, ev: &MarketEvent) -> Result<(), SimError> {
        match ev {
            MarketEvent::Trade(t) => {
                self.advance_to(t.ts);
                self.last_price = Some(t.price);
                let tick = self.tick.classify(t.price);
                let taker = self.cfg.aggressor.taker_side(t.taker_side, tick);
                let rule = self.cfg.fill_rule;
                for side in [Side::Buy, Side::Sell] {
                    if aggressor::can_fill(taker, side) {
                        self.match_side(side, t.price, rule, Some(t.qty), t.ts)?;
                    }
                }
                if rule == FillRule::Queue {
                    self.window.record(t.ts, t.price, t.qty);
                }
                Ok(())
            }
            MarketEvent::Bar(b) => {
                for &(ts, point) in intrabar_path(b).points() {
                    self.advance_to(ts);
                    self.last_price = Some(point);
                    self.match_side(Side::Buy, point, FillRule::Touch, None, ts)?;
                    self.match_side(Side::Sell, point, FillRule::Touch, None, ts)?;
                }
                Ok(())
            }
        }
    }
}

impl Venue for SimExchange {
    fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    fn place(&mut self, req: &OrderRequest, now: Timestamp) -> Result<(), Reject> {
        self.place_request(req, now)
    }

    fn cancel(&mut self, cl_ord_id: &ClOrdId, now: Timestamp) -> Result<(), Reject> {
        self.cancel_request(cl_ord_id, now)
    }

    fn balances(&self) -> Balances {
        self.ledger.balances()
    }

    fn open_order_count(&self) -> usize {
        self.book.len()
    }

    fn poll_events(&mut self, out: &mut Vec<VenueEvent>) {
        out.append(&mut self.events);
    }
}
