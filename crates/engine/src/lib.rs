//! The Flywheel runtime: N grid slots over a [`flywheel_venue::Venue`], the action pipeline,
//! the journal, and the backtest driver. The capital policy it applies (sizing, allocation,
//! fund guard, capacity, scoreboard, restoration, leak telemetry) is the pure
//! `flywheel_capital` crate, re-exported here under its old module names.
//! See `engine` for the loop and its fixed order of steps.

mod accounting;
mod ancillary_run;
pub mod backtest;
pub mod config;
pub mod demo;
mod engine;
mod executions;
mod figures;
mod governing;
mod guard;
pub mod journal;
mod leak;
pub mod maker_journal;
pub mod maker_run;
mod memo;
pub mod operator;
mod orders;
mod pipeline;
mod repair;
pub mod report;
mod slot_events;
pub mod snapshot;
mod stale;
pub mod stats;
mod status;
pub mod summary;
#[cfg(test)]
mod test_support;

pub use flywheel_capital::{capacity, scoreboard, sizing};

pub use backtest::{run_backtest, BacktestError, DataStats, Driver, SimulatedVenue};
pub use engine::{Engine, RunMode, Slot};
pub use flywheel_capital::telemetry::FAILURE_REASONS;
pub use flywheel_capital::LeakTotals;
pub use governing::GovernorStats;
pub use journal::{JournalRecord, JournalSink, JsonLines, NoJournal};
pub use orders::Track;
pub use snapshot::{EngineSnapshot, RestoreError};
pub use status::Status;
pub use summary::Summary;
