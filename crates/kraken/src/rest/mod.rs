//! REST message types (the `result` of each endpoint) and request parameters.
//!
//! Invariants: prices, volumes, costs and fees are exact (`Price`/`Qty`/`Quote` parsed from the
//! wire text, never `f64`); times become [`flywheel_core::Timestamp`] (ms, floored); maps keyed
//! by txid or pair are `BTreeMap`s so iteration is deterministic. A reply is parsed with
//! [`crate::outcome::classify`], which names the endpoint and field of any parse error.
//! Unknown fields are ignored (Kraken adds fields); missing required ones are errors.

pub mod account;
pub mod market;
pub mod orders;
pub mod requests;
