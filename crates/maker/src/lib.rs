//! The market maker with a hedger (seed 002, spec `maker-origin.md`), as pure pieces: the
//! quote function with its estimators and guards, FIFO realized PnL, and the hedger's
//! decision. No I/O and no clock: the engine passes `now` and executes the decisions.
//! `flatten` holds the sizes that land on a closable position (shared by the quote's
//! flattening side and the hedger), `fees` the venues' fee schedules.

pub mod config;
pub mod estimators;
pub mod fees;
pub mod fifo;
pub mod flatten;
pub mod guard;
pub mod hedger;
pub mod quote;

pub use config::{
    FlattenSizing, MakerConfig, MinSizePolicy, Problem, MAKER_CONFIG_DOCS, MAKER_CONFIG_RANGES,
};
pub use estimators::{
    Regime, RegimeProfile, RegimeSwitch, TrendFilter, TrendState, VolatilityEstimator,
};
pub use fees::{FeeRates, FeeSchedule};
pub use fifo::{FifoBook, FifoError, Lot};
pub use guard::PnlGuard;
pub use hedger::{
    secs_to_ms, HedgeCommand, HedgeCtx, HedgeFlags, HedgePhase, Hedger, HedgerConfig,
    HedgerCounters, HEDGER_CONFIG_DOCS, HEDGER_CONFIG_RANGES,
};
pub use quote::{
    keep_resting, MakerState, MakerTelemetry, QuoteDecision, QuoteInput, SideQuote, SuppressReason,
};
#[cfg(test)]
mod quote_test_support;
