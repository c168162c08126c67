//! What goes into the reducer ([`Event`]) and what comes out ([`Action`]).
//!
//! Events carry their own timestamp; the reducer has no other clock. Actions are requests
//! for the runtime to execute against a venue; the reducer has already applied their effect
//! to the slot state (e.g. a `PlaceOrder` is in `orders` unbound until the runtime binds
//! its txid).

use flywheel_core::{Price, Qty, Quote, Side, Timestamp, TradeId};
use serde::{Deserialize, Serialize};

use crate::state::{LocalId, RecoveryId, RecoveryOrder, Role};

/// A fill of one of the slot's orders.
///
/// The runtime reports an order's fill once, when the order is done: `volume` is the total
/// executed and `price` its average. An entry may be done with less than its volume (cancelled
/// after a partial fill; the exit then covers exactly what was bought or sold). An exit must be
/// filled in full: a partially filled exit keeps resting until it completes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    pub order_local_id: LocalId,
    pub txid: Option<String>,
    pub side: Side,
    pub price: Price,
    pub volume: Qty,
    pub fee: Quote,
    pub timestamp: Timestamp,
}

/// A fill of an orphaned exit (a recovery order), in full.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryFill {
    pub recovery_id: RecoveryId,
    pub txid: Option<String>,
    pub side: Side,
    pub price: Price,
    pub volume: Qty,
    pub fee: Quote,
    pub timestamp: Timestamp,
}

/// Inputs of [`crate::transition`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A new market price.
    PriceTick {
        price: Price,
        timestamp: Timestamp,
    },
    /// The loop timer: orphan timeouts and deferred entries.
    TimerTick {
        timestamp: Timestamp,
    },
    Fill(Fill),
    RecoveryFill(RecoveryFill),
    /// A recovery order is gone from the exchange without a fill.
    RecoveryCancel {
        recovery_id: RecoveryId,
        txid: Option<String>,
        timestamp: Timestamp,
    },
}

impl Event {
    pub fn timestamp(&self) -> Timestamp {
        match self {
            Event::PriceTick { timestamp, .. }
            | Event::TimerTick { timestamp }
            | Event::RecoveryCancel { timestamp, .. } => *timestamp,
            Event::Fill(f) => f.timestamp,
            Event::RecoveryFill(f) => f.timestamp,
        }
    }
}

/// Why an order is placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceReason {
    Bootstrap,
    #[serde(rename = "bootstrap_A")]
    BootstrapA,
    #[serde(rename = "bootstrap_B")]
    BootstrapB,
    RefreshEntry,
    EntryFillExit,
    CycleComplete,
    #[serde(rename = "orphan_A")]
    OrphanA,
    #[serde(rename = "orphan_B")]
    OrphanB,
    AutoRepair,
    /// Bootstrap with too little quote: one sell entry of twice the minimum.
    ReseedUsd,
    /// Bootstrap with too little base: one buy entry of twice the minimum.
    ReseedDoge,
    FallbackShortOnly,
    FallbackLongOnly,
}

impl PlaceReason {
    pub fn orphan(t: TradeId) -> PlaceReason {
        match t {
            TradeId::A => PlaceReason::OrphanA,
            TradeId::B => PlaceReason::OrphanB,
        }
    }
}

/// Why an order is cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    StaleEntry,
    RecoveryCapEvictPriority,
}

/// Why an exit was orphaned into a recovery order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrphanReason {
    S1Timeout,
    S2Timeout,
    SoftClose,
}

/// Why a recovery position left the slot's books without a fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseReason {
    /// Evicted by the recovery cap (its order is cancelled).
    RecoveryCapEvict,
    /// The runtime reported the recovery order gone.
    RecoveryCancelled,
}

/// Which order a cancel targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderRef {
    Slot(LocalId),
    Recovery(RecoveryId),
}

/// A new order for the runtime to place (always post-only for slot orders).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceOrder {
    pub local_id: LocalId,
    pub side: Side,
    pub role: Role,
    pub price: Price,
    pub volume: Qty,
    pub trade_id: TradeId,
    pub cycle: u32,
    pub post_only: bool,
    pub reason: PlaceReason,
}

/// A booked round trip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookCycle {
    pub trade_id: TradeId,
    pub cycle: u32,
    pub net_profit: Quote,
    pub gross_profit: Quote,
    pub fees: Quote,
    pub settled_usd: Quote,
    pub from_recovery: bool,
}

/// Outputs of [`crate::transition`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    PlaceOrder(PlaceOrder),
    CancelOrder {
        target: OrderRef,
        /// `None` if the order was never bound to an exchange id (nothing to cancel there).
        txid: Option<String>,
        reason: CancelReason,
    },
    /// The exit stays on the exchange as a recovery order.
    OrphanOrder {
        local_id: LocalId,
        recovery_id: RecoveryId,
        reason: OrphanReason,
    },
    BookCycle(BookCycle),
    /// A recovery position leaves the slot's books *unrealized*: the base or quote stays in
    /// the account and is the runtime's (ledger's) to account for. The origin booked such
    /// positions as closed at the mark without trading (spec §9 #7); Flywheel books profit
    /// only from real fills.
    ReleaseRecovery {
        recovery: RecoveryOrder,
        mark_price: Price,
        reason: ReleaseReason,
        /// The position's result had it been closed at `mark_price` (its entry fee and a
        /// maker fee on the close included). A loss (negative) is charged to the slot's
        /// compounding base (`PairState::released_loss`); a gain is not credited.
        pnl_at_mark: Quote,
    },
}
