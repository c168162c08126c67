//! The inventory governor (seed 000): a PD controller on the idle-quote ratio that skews
//! grid entry **size** — never price, never market orders — so idle quote returns to a
//! target. Pure: no I/O, no clock; the engine calls [`GovernorState::update`] with its
//! scoreboard and time, and sizes entries with [`effective_multipliers`] and
//! [`scale_entry`].

pub mod actuator;
pub mod config;
pub mod controller;
pub mod feasibility;
mod persist;
pub mod status;

pub use actuator::{
    applied_skew, effective_multipliers, gate_named, held_by, scale_entry, size_multipliers, Gates,
    Multipliers, GATE_NAMES,
};
pub use config::{GovernorConfig, Problem, GOVERNOR_CONFIG_DOCS, GOVERNOR_CONFIG_RANGES};
pub use controller::{
    raw_skew, GovernorState, Update, FLIPS_TO_DAMP, HOUR_SECS, VELOCITY_UNIT_SECS,
};
pub use status::{oscillation_warning, RebalancerStatus};

#[cfg(test)]
mod controller_tests;
#[cfg(test)]
mod kd_tests;
