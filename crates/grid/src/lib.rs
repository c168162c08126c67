//! The per-slot grid pair engine (spec `grid-origin.md` §1).
pub mod config;

pub use config::{ConfigIssue, EngineConfig, ENGINE_CONFIG_DOCS};
