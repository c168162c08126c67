//! The `flywheel` subcommands, one module each.

pub mod backtest;
pub mod config;
pub mod grid;
pub mod live;
pub mod maker;
pub mod operator_http;
pub mod paper_store;
pub mod run;
pub mod run_maker;
