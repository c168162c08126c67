//! Flywheel core types: exact money ([`Fixed`], [`Price`], [`Qty`], [`Quote`], [`Ratio`]),
//! explicit [`Rounding`], the [`Instrument`] rules, [`Side`], [`TradeId`] and [`Timestamp`].
//!
//! This crate has no I/O and no clock: it is shared by every pure core (grid reducer,
//! governor, allocator, maker) and by the shells around them.

pub mod config_problem;
pub mod config_range;
pub mod fixed;
pub mod instrument;
pub mod money;
pub mod side;
pub mod time;
pub mod wide;

pub use config_problem::{ConfigProblem, Severity};
pub use fixed::{Fixed, FixedError, Rounding};
pub use instrument::{Instrument, InstrumentError, Liquidity};
pub use money::{Price, Qty, Quote, Ratio};
pub use side::{Side, TradeId};
pub use time::Timestamp;
pub use wide::Wide;
