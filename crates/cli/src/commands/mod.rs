//! The `flywheel` subcommands, one module each.

pub mod backtest;
pub mod config;
pub mod data;
pub mod exchange_audit;
pub mod grid;
pub mod live;
pub mod live_args;
pub mod maker;
pub mod operator_http;
pub mod paper_store;
pub mod run;
pub mod run_maker;
pub mod sweep;
pub mod sweep_grid;
pub mod sweep_html;
pub mod sweep_out;
pub mod sweep_run;
