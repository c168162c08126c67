//! The [`Venue`] contract (requests sent, outcomes as events, every order named by a unique
//! [`ClOrdId`]), the caller-side [`OrderState`] machine, and the simulated exchange
//! ([`sim::SimExchange`]).
pub mod cl_ord_id;
pub mod order;
pub mod sim;
pub mod venue;

pub use cl_ord_id::{ClOrdId, ClOrdIdError, ClOrdIds};
pub use order::{Contradiction, OrderState};
pub use sim::{
    AggressorRule, Fault, FillRule, LedgerError, OpenOrder, SimConfig, SimError, SimExchange,
};
pub use venue::{
    AssetBalance, Balances, DoneReason, OrderKind, OrderRequest, Reject, Venue, VenueEvent,
};
