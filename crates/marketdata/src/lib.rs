//! Streaming readers for recorded market data.
pub mod event;

pub use event::{Bar, MarketEvent, Trade};
