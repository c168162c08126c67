//! The Flywheel runtime: N grid slots over a [`flywheel_venue::Venue`], the action pipeline,
//! sizing, capacity, the idle-USD scoreboard, the journal, and the backtest driver.
//! See `engine` for the loop and its fixed order of steps.

mod accounting;
mod ancillary_run;
pub mod backtest;
pub mod capacity;
pub mod config;
pub mod demo;
mod engine;
mod executions;
mod governing;
mod guard;
pub mod journal;
mod leak;
mod leak_totals;
pub mod maker_journal;
pub mod maker_run;
mod pipeline;
mod repair;
pub mod report;
pub mod scoreboard;
pub mod sizing;
mod snapshot;
mod stale;
pub mod stats;
mod status;
pub mod summary;
#[cfg(test)]
mod test_support;

pub use backtest::{run_backtest, BacktestError, DataStats, SimulatedVenue};
pub use engine::{Engine, RunMode, Slot};
pub use governing::GovernorStats;
pub use journal::{JournalRecord, JournalSink, JsonLines, NoJournal};
pub use leak::FAILURE_REASONS;
pub use leak_totals::LeakTotals;
pub use snapshot::EngineSnapshot;
pub use status::Status;
pub use summary::Summary;
