//! The `flywheel` subcommands, one module each.

pub mod config;
