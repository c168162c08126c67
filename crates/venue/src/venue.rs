//! The [`Venue`] trait: what the engine needs from an exchange, whether simulated, paper or
//! live. The engine never knows which one it talks to.
//!
//! Contract:
//! - `place` answers synchronously with an acknowledgement (the venue's order id) or a typed
//!   [`Reject`] mirroring Kraken's `EOrder:*` business errors. An acknowledged order may still
//!   be rejected later (a post-only order that would cross when it reaches the book after the
//!   venue's latency): that arrives as [`VenueEvent::Rejected`].
//! - Executions arrive as [`VenueEvent`]s drained with `poll_events`, in the order they
//!   happened. Each `Fill` is one execution (possibly partial); `leaves` is what remains.
//!   An order is *done* when a fill leaves zero, or when a `Done` event reports it cancelled
//!   or expired (with the total executed so far).
//! - Balances are exact: `total` moves only by fills and fees; `held` is what resting orders
//!   reserve (a buy holds its quote including the maker fee, a sell holds its base).

use flywheel_core::{Instrument, Liquidity, Price, Qty, Quote, Side, Timestamp};
use serde::{Deserialize, Serialize};
use thiserror::Error;

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
    /// The caller's reference (Kraken `userref`), echoed on every event of the order.
    pub client_id: u64,
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
        }
    }
}

/// A venue's acknowledgement of a new order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAck {
    pub txid: String,
    /// The volume the venue accepted (Kraken's `AddOrder` reply describes it): the engine
    /// checks it against the slot's record (seed 000 §5.9 volume integrity).
    pub qty: Qty,
}

/// Why an order ended without filling completely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoneReason {
    Cancelled,
    /// An IOC remainder.
    Expired,
}

/// Something that happened to one of the caller's orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VenueEvent {
    Fill {
        txid: String,
        client_id: u64,
        side: Side,
        price: Price,
        qty: Qty,
        fee: Quote,
        liquidity: Liquidity,
        ts: Timestamp,
        /// Quantity still open after this execution (zero: the order is done).
        leaves: Qty,
    },
    /// The order left the book unfilled or partially filled.
    Done {
        txid: String,
        client_id: u64,
        reason: DoneReason,
        filled: Qty,
        ts: Timestamp,
    },
    /// An acknowledged order was refused when it reached the book.
    Rejected {
        txid: String,
        client_id: u64,
        reason: Reject,
        ts: Timestamp,
    },
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

/// An exchange as the engine sees it.
pub trait Venue {
    /// The traded market's rules.
    fn instrument(&self) -> &Instrument;
    /// Submit an order at engine time `now`.
    fn place(&mut self, req: &OrderRequest, now: Timestamp) -> Result<OrderAck, Reject>;
    /// Cancel an open order. A `Done` event follows; cancelling an order that is already
    /// done is `Reject::UnknownOrder`.
    fn cancel(&mut self, txid: &str, now: Timestamp) -> Result<(), Reject>;
    /// Current balances.
    fn balances(&self) -> Balances;
    /// Number of this account's open orders in the market.
    fn open_order_count(&self) -> usize;
    /// Move every event that happened so far into `out`, oldest first.
    fn poll_events(&mut self, out: &mut Vec<VenueEvent>);
}
