//! The [`Venue`] trait and the simulated exchange ([`sim::SimExchange`]).
pub mod sim;
pub mod venue;

pub use sim::{AggressorRule, FillRule, LedgerError, OpenOrder, SimConfig, SimError, SimExchange};
pub use venue::{
    AssetBalance, Balances, DoneReason, OrderAck, OrderKind, OrderRequest, Reject, Venue,
    VenueEvent,
};
