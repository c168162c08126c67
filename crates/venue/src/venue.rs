//! The [`Venue`] trait: what the engine needs from an exchange, whether simulated, paper or
//! live. The engine never knows which one it talks to.
//!
//! # Contract
//!
//! A live venue cannot know the outcome of a request when the call returns, so requests
//! are *sent* and their outcomes arrive later as [`VenueEvent`]s, drained with
//! `poll_events` in the order they happened:
//! - **Orders.** The caller names every order with a [`ClOrdId`] it never uses again.
//!   `place` returning `Ok(())` means *sent*: the order is pending until an event settles it
//!   — [`VenueEvent::Acked`] (open under the venue's `txid`, with the volume the venue
//!   accepted), [`VenueEvent::Rejected`] (refused; also after an ack, e.g. a post-only
//!   order that would cross when it reaches the book), or [`VenueEvent::Unknown`] (the venue
//!   cannot tell whether it was placed: a timeout, a 5xx, a dropped socket). An unknown
//!   order stays unknown until an event proves it: an ack or an execution (it exists), a
//!   rejection, or [`VenueEvent::NeverPlaced`] (reconciliation found no such order). An
//!   `Err` from `place` means refused before anything was sent (nothing happened; the id is
//!   spent all the same).
//! - **Executions.** Each `Fill` is one execution (possibly partial); `leaves` is what
//!   remains. An execution may arrive before the order's ack (the reply can trail the
//!   executions); it proves the order open. An order is *done* when a fill leaves zero, or
//!   when a `Done` event reports it cancelled or expired (with the total executed so far).
//! - **Cancels** are requests. `cancel` returning `Ok(())` means *requested*: the order may
//!   still execute until `Done { Cancelled }` confirms the cancel, or
//!   [`VenueEvent::CancelRejected`] refuses it (usually: the order was already done, its
//!   executions are or will be in the stream). An `Err` means refused at once.
//! - **Answers with the reply.** A venue that knows an answer at once (the simulator without
//!   ack latency) queues it before the call returns: a caller that polls right after a
//!   request sees it as a synchronous answer, with nothing else between.
//! - Balances are exact: `total` moves only by fills and fees; `held` is what open orders
//!   reserve (a buy holds its quote including the maker fee, a sell holds its base).
//!
//! The states an order goes through on the caller's side are [`crate::OrderState`].

use flywheel_core::{Instrument, Liquidity, Price, Qty, Quote, Side, Timestamp};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::cl_ord_id::ClOrdId;

/// How an order may execute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// Rests on the book as maker; rejected if it would take.
    PostOnly,
    /// Immediate-or-cancel limit order (taker).
    Ioc,
}

/// A new order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    /// The caller's unique name for the order (Kraken `cl_ord_id`), echoed on every event
    /// of the order and accepted by `cancel`. Never used for another order.
    pub cl_ord_id: ClOrdId,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    pub kind: OrderKind,
}

/// Why a venue refused an order or a cancel (Kraken's `EOrder:*` outcomes).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Error,
)]
#[serde(rename_all = "snake_case")]
pub enum Reject {
    #[error("EOrder:Insufficient funds")]
    InsufficientFunds,
    #[error("EOrder:Order minimum not met")]
    OrderMinimumNotMet,
    #[error("EOrder:Cost minimum not met")]
    CostMinimumNotMet,
    #[error("EOrder:Post only order")]
    PostOnlyWouldTake,
    #[error("EOrder:Orders limit exceeded")]
    OrdersLimitExceeded,
    #[error("EOrder:Tick size check failed")]
    TickSizeCheckFailed,
    #[error("EGeneral:Invalid arguments:volume")]
    InvalidVolume,
    #[error("EOrder:Unknown order")]
    UnknownOrder,
    /// The id was used before. Kraken refuses a `cl_ord_id` only while another open order
    /// carries it; the simulator refuses any id it has ever seen, so a reuse cannot pass a
    /// backtest unnoticed.
    #[error("EOrder:Duplicate cl_ord_id")]
    DuplicateClOrdId,
    /// The venue found the order malformed (`EOrder:Invalid price`, `EOrder:Invalid order`,
    /// `EGeneral:Invalid arguments`, `EService:Deadline elapsed`…). Live venues only.
    #[error("EOrder:Invalid order")]
    InvalidOrder,
    /// A rate limit refused it (`EOrder:Rate limit exceeded`, throttling) or the venue's own
    /// shadow of the limit held it back before sending. Nothing was placed; try later.
    #[error("EOrder:Rate limit exceeded")]
    RateLimited,
    /// The market or the service takes no new orders now (`cancel_only`, maintenance,
    /// `EService:Unavailable`/`Busy`), or trading is halted on credentials. Nothing was placed.
    #[error("EService:Unavailable")]
    Unavailable,
}

impl Reject {
    /// Stable snake_case name, for counters and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Reject::InsufficientFunds => "insufficient_funds",
            Reject::OrderMinimumNotMet => "order_minimum_not_met",
            Reject::CostMinimumNotMet => "cost_minimum_not_met",
            Reject::PostOnlyWouldTake => "post_only_would_take",
            Reject::OrdersLimitExceeded => "orders_limit_exceeded",
            Reject::TickSizeCheckFailed => "tick_size_check_failed",
            Reject::InvalidVolume => "invalid_volume",
            Reject::UnknownOrder => "unknown_order",
            Reject::DuplicateClOrdId => "duplicate_cl_ord_id",
            Reject::InvalidOrder => "invalid_order",
            Reject::RateLimited => "rate_limited",
            Reject::Unavailable => "unavailable",
        }
    }
}

/// Why an order ended without filling completely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoneReason {
    Cancelled,
    /// An IOC remainder.
    Expired,
}

/// Something that happened to one of the caller's orders (see the module docs).
///
/// Every event names the order by its `cl_ord_id`; `txid` is the venue's own id, where the
/// event knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VenueEvent {
    /// The venue accepted the order: it is open under `txid`. `qty` is the volume the venue
    /// accepted (Kraken's `add_order` reply describes it): the engine checks it against the
    /// slot's record (seed 000 §5.9 volume integrity).
    Acked {
        cl_ord_id: ClOrdId,
        txid: String,
        qty: Qty,
        ts: Timestamp,
    },
    Fill {
        cl_ord_id: ClOrdId,
        txid: String,
        side: Side,
        price: Price,
        qty: Qty,
        fee: Quote,
        liquidity: Liquidity,
        ts: Timestamp,
        /// Quantity still open after this execution (zero: the order is done).
        leaves: Qty,
        /// The exchange's id of this execution (Kraken's `exec_id`, the `TradesHistory`
        /// txid): what makes a fill unique in the store. `None` on the simulated exchange,
        /// whose journals stay as they were.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exec_id: Option<String>,
    },
    /// The order left the book unfilled or partially filled.
    Done {
        cl_ord_id: ClOrdId,
        txid: String,
        reason: DoneReason,
        filled: Qty,
        ts: Timestamp,
    },
    /// The order was refused: at once when it was sent (`txid` none: it never had one), or
    /// after an ack when it reached the book.
    Rejected {
        cl_ord_id: ClOrdId,
        txid: Option<String>,
        reason: Reject,
        ts: Timestamp,
    },
    /// The venue cannot tell whether the order was placed (timeout, 5xx, dropped socket
    /// after sending). A later event settles it.
    Unknown { cl_ord_id: ClOrdId, ts: Timestamp },
    /// Reconciliation proved that an order whose outcome was unknown never reached the
    /// book: nothing of it exists. The caller may send it again under a new id.
    NeverPlaced { cl_ord_id: ClOrdId, ts: Timestamp },
    /// A cancel request was refused (`UnknownOrder`: the order was not open any more).
    CancelRejected {
        cl_ord_id: ClOrdId,
        reason: Reject,
        ts: Timestamp,
    },
}

impl VenueEvent {
    /// The order the event is about.
    pub fn cl_ord_id(&self) -> &ClOrdId {
        match self {
            VenueEvent::Acked { cl_ord_id, .. }
            | VenueEvent::Fill { cl_ord_id, .. }
            | VenueEvent::Done { cl_ord_id, .. }
            | VenueEvent::Rejected { cl_ord_id, .. }
            | VenueEvent::Unknown { cl_ord_id, .. }
            | VenueEvent::NeverPlaced { cl_ord_id, .. }
            | VenueEvent::CancelRejected { cl_ord_id, .. } => cl_ord_id,
        }
    }

    /// When it happened (venue time).
    pub fn ts(&self) -> Timestamp {
        match self {
            VenueEvent::Acked { ts, .. }
            | VenueEvent::Fill { ts, .. }
            | VenueEvent::Done { ts, .. }
            | VenueEvent::Rejected { ts, .. }
            | VenueEvent::Unknown { ts, .. }
            | VenueEvent::NeverPlaced { ts, .. }
            | VenueEvent::CancelRejected { ts, .. } => *ts,
        }
    }
}

/// One asset's balance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetBalance<T> {
    pub total: T,
    /// Reserved by resting orders.
    pub held: T,
}

/// The account's balances in the traded market.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balances {
    pub base: AssetBalance<Qty>,
    pub quote: AssetBalance<Quote>,
}

impl Balances {
    pub fn free_base(&self) -> Qty {
        self.base.total - self.base.held
    }
    pub fn free_quote(&self) -> Quote {
        self.quote.total - self.quote.held
    }
}

/// An exchange as the engine sees it (see the module docs for the contract).
pub trait Venue {
    /// The traded market's rules.
    fn instrument(&self) -> &Instrument;
    /// Send an order at engine time `now`. `Ok`: sent, pending until an event settles it;
    /// `Err`: refused before it was sent.
    fn place(&mut self, req: &OrderRequest, now: Timestamp) -> Result<(), Reject>;
    /// Request the cancel of order `cl_ord_id`. `Ok`: requested — `Done { Cancelled }`
    /// confirms it, `CancelRejected` refuses it; `Err(UnknownOrder)`: refused at once, the
    /// order is not open.
    fn cancel(&mut self, cl_ord_id: &ClOrdId, now: Timestamp) -> Result<(), Reject>;
    /// Current balances.
    fn balances(&self) -> Balances;
    /// Number of this account's open orders in the market.
    fn open_order_count(&self) -> usize;
    /// Move every event that happened so far into `out`, oldest first.
    fn poll_events(&mut self, out: &mut Vec<VenueEvent>);
}
