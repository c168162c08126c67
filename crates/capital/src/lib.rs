//! The grid's capital policy, in one place and pure (no venue, no clock, no I/O): how much
//! each order may use and where idle quote goes. Seeds 000 (the governor's runway) and 001
//! (the USD-leak patches) meet here.
//!
//! - [`sizing`]: the one sizing function, the quote-first B allocation above the governor's
//!   runway, Patch F pooling, the entry floor, the origin's legacy B sizing (a baseline);
//! - [`funds`]: what an order holds (the fund guard), the smallest B entry and its funding,
//!   how many slots the quote balance keeps bilateral;
//! - [`capacity`]: open-order bands and the per-loop entry cap;
//! - [`scoreboard`]: the idle-USD figures both seeds steer on;
//! - [`restoration`]: which balance-degraded slots get their B entry back this loop (one
//!   path, Patch A's cooldown, Patch F's LIFO order and cap);
//! - [`telemetry`]: B-entry failures and recoveries over a rolling day;
//! - [`attribution`]: idle USD split by observed cause;
//! - [`totals`]: run totals of all of the above;
//! - [`config`]: the `[leak]` section.
//!
//! Every amount is exact (`flywheel_core` fixed point); a computation that cannot be done
//! exactly yields "unaffordable" (the largest quote) or an error, never a silent zero.

pub mod attribution;
pub mod capacity;
pub mod config;
pub mod funds;
pub mod restoration;
pub mod scoreboard;
pub mod sizing;
pub mod telemetry;
pub mod totals;

pub use attribution::LeakAttribution;
pub use config::LeakConfig;
pub use totals::LeakTotals;
