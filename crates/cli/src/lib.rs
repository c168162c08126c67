//! The library half of the `flywheel` command: the subcommands, the configuration file and
//! its overrides. `main.rs` only parses the command line and maps results to exit codes; the
//! library exists so that fuzz targets and tests can reach the configuration parser without
//! spawning the binary.

pub mod commands;
pub mod config_checks;
pub mod config_file;
pub mod headline;
pub mod numfmt;
pub mod outputs;
pub mod overrides;
pub mod progress;
pub mod render;
pub mod runtime_set;
pub mod table;
