//! The live order path: Kraken's news → the venue contract, behind the engine's [`Venue`]
//! trait. Pure and synchronous: the network shells feed it [`venue::LiveInput`]s and carry
//! out what it asks through an [`venue::OrderTransport`].
//!
//! | module | job |
//! |---|---|
//! | [`tracker`] | replies, executions, REST lookups → `Acked`/`Fill`/`Done`/`Rejected`/`Unknown`/`NeverPlaced`, each fill once |
//! | [`venue`] | [`venue::LiveVenue`]: ids guarded durably, holds from our orders, the rate counter asked before sending |
//!
//! [`Venue`]: flywheel_venue::Venue

pub mod tracker;
#[cfg(test)]
mod tracker_tests;
pub mod venue;
#[cfg(test)]
mod venue_tests;
