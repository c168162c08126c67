//! The market maker with a hedger (seed 002, spec `maker-origin.md`), as pure pieces: the
//! quote function with its estimators and guards, FIFO realized PnL, and the hedger's
//! decision. No I/O and no clock: the engine passes `now` and executes the decisions.

pub mod config;
pub mod estimators;
pub mod fifo;
pub mod guard;
pub mod hedger;
pub mod quote;
