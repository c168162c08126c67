//! The [`Venue`] trait and the simulated exchange.
pub mod venue;

pub use venue::{
    AssetBalance, Balances, DoneReason, OrderAck, OrderKind, OrderRequest, Reject, Venue,
    VenueEvent,
};
