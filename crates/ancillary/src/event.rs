//! What the cyclers ask of the engine ([`Command`]), what the engine reports back ([`Fill`],
//! cancel and reject acknowledgements, keyed by [`OrderKey`]) and what they report about
//! money ([`Outcome`]).

use flywheel_core::{FixedError, Price, Qty, Quote, Side, Timestamp};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Which cycler an order belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Owner {
    /// A ranger, by ranger id (0-based).
    Ranger(u32),
    /// A slot's churner, by slot id.
    Churner(u32),
}

/// The two orders of a round trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leg {
    Entry,
    Exit,
}

/// Identifies one order: a cycler has at most one live order, so owner + cycle + leg is
/// unique. The engine keeps it beside the venue order id and hands it back with every
/// event about that order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrderKey {
    pub owner: Owner,
    /// The owner's round-trip counter (1, 2, …), e.g. for a client order id.
    pub cycle: u64,
    pub leg: Leg,
}

/// Why a cycler cancels its live order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    EntryTimeout,
    ExitTimeout,
    /// The entry's gate closed: disabled, retiring, not ranging, too little headroom, or
    /// (churners) no stuck parent any more.
    GateClosed,
}

/// A request for the engine. Orders are limit, post-only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    Place {
        key: OrderKey,
        side: Side,
        price: Price,
        qty: Qty,
    },
    /// Cancel the live order `key`. The order stays live until the engine reports its end
    /// (cancel acknowledged, or a fill that raced the cancel).
    Cancel { key: OrderKey, reason: CancelReason },
}

impl Command {
    pub fn key(&self) -> OrderKey {
        match self {
            Command::Place { key, .. } | Command::Cancel { key, .. } => *key,
        }
    }
}

/// The end of an order with some volume executed: reported **once**, when the order is done
/// (filled, or cancelled/expired after a partial fill). `qty` is the total executed (≤ the
/// order's), `price` its average, `fee` the total fee in quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    pub at: Timestamp,
    pub price: Price,
    pub qty: Qty,
    pub fee: Quote,
}

/// An open position of a cycler: its entry has filled, its exit has not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Side of the entry (the exit is the opposite side).
    pub entry_side: Side,
    pub entry_price: Price,
    pub qty: Qty,
    /// Fee paid on the entry fill (on `qty`).
    pub entry_fee: Quote,
    pub filled_at: Timestamp,
}

/// A round trip closed by an exit fill, booked exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedTrip {
    pub owner: Owner,
    pub cycle: u64,
    pub entry_side: Side,
    pub qty: Qty,
    pub entry_price: Price,
    pub exit_price: Price,
    /// `(sell price − buy price) × qty`, rounded once (half-even, 9 decimals).
    pub gross: Quote,
    /// Entry fee share of `qty` plus the exit fee.
    pub fees: Quote,
    /// `gross − fees` (may be negative, e.g. after a fee-tier change).
    pub net: Quote,
    pub closed_at: Timestamp,
}

/// Why a position left a cycler without a closing fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbandonReason {
    /// The exit timed out (the origin's ranger "orphan").
    ExitTimeout,
    /// An exit ended with only part of the position filled; this is the rest.
    ExitIncomplete,
    /// The (partially) filled entry is below the exchange minimums for an exit order.
    BelowMinimum,
}

/// A position the cycler no longer manages: the base sold (or bought) is **not** bought back
/// (or sold). It is reported so the engine's ledger owns it; nothing books a profit or loss
/// for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbandonedPosition {
    pub owner: Owner,
    pub cycle: u64,
    pub entry_side: Side,
    pub qty: Qty,
    pub entry_price: Price,
    /// Entry fee share of `qty` (already paid).
    pub entry_fee: Quote,
    pub reason: AbandonReason,
    pub at: Timestamp,
}

/// What happened to a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outcome {
    /// Closed with a booked profit or loss (feeds `ancillary_profit_usd`).
    Closed(ClosedTrip),
    /// Reported abandoned, never silently forgotten.
    Abandoned(AbandonedPosition),
}

impl Outcome {
    pub fn owner(&self) -> Owner {
        match self {
            Outcome::Closed(c) => c.owner,
            Outcome::Abandoned(a) => a.owner,
        }
    }
    pub fn at(&self) -> Timestamp {
        match self {
            Outcome::Closed(c) => c.closed_at,
            Outcome::Abandoned(a) => a.at,
        }
    }
    /// Base volume that left the cycler's books with this outcome.
    pub fn qty(&self) -> Qty {
        match self {
            Outcome::Closed(c) => c.qty,
            Outcome::Abandoned(a) => a.qty,
        }
    }
}

/// Why an idle cycler placed no entry this step (status and journal material).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockReason {
    Disabled,
    NotRanging,
    Headroom,
    NoMarket,
    /// Size below the exchange minimum volume or cost.
    BelowMinimum,
    /// Ranger: free base minus the entry volume would fall below `base_reserve`.
    BaseReserve,
    /// Churner: no stuck position at least `min_band` old.
    NoCandidate,
    /// Churner: neither side funded and the reserve pool cannot lend.
    NoFunds,
}

/// A blocked entry, by owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Blocked {
    pub owner: Owner,
    pub reason: BlockReason,
}

/// Everything one call produced, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub commands: Vec<Command>,
    pub outcomes: Vec<Outcome>,
    pub blocked: Vec<Blocked>,
}

impl Reaction {
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty() && self.outcomes.is_empty() && self.blocked.is_empty()
    }
    pub fn extend(&mut self, other: Reaction) {
        self.commands.extend(other.commands);
        self.outcomes.extend(other.outcomes);
        self.blocked.extend(other.blocked);
    }
}

/// An event the cycler cannot accept; its state is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AncillaryError {
    #[error("event for {got:?}, but the live order is {live:?}")]
    NotLive {
        got: OrderKey,
        live: Option<OrderKey>,
    },
    #[error("fill for {key:?} rejected: {reason}")]
    BadFill { key: OrderKey, reason: &'static str },
    #[error("arithmetic: {0}")]
    Arithmetic(#[from] FixedError),
}
