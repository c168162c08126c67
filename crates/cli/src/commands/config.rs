//! `flywheel config defaults` and `flywheel config check FILE`.
//!
//! `defaults` prints every key of every section at its default value, with one comment per
//! key, as a TOML file that `check` accepts unchanged. `check` loads a file exactly as the
//! engine commands will ([`load_config`], including `FLYWHEEL_SECTION__KEY` environment
//! overrides: every key in its range, then the cross-checks between keys). It prints every
//! warning on standard error and `FILE: ok` on standard output when there is no error (exit
//! status 0), or every problem found, warnings included, and exits with status 2.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::config_file::{load_config, source_name, ConfigError, FlywheelConfig};
use crate::render::render_defaults;

/// Exit status of `config check` when the configuration is invalid.
const EXIT_INVALID: u8 = 2;

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the complete default configuration as commented TOML.
    Defaults,
    /// Check a configuration file and the FLYWHEEL_SECTION__KEY environment overrides.
    ///
    /// Prints `FILE: ok` and exits 0 when the configuration is valid, after any warnings
    /// (`FILE:LINE:COL: warning: section.key: message`, on standard error). Otherwise prints
    /// every problem, one per line (`FILE:LINE:COL: section.key: message`), and exits 2.
    Check {
        /// The TOML file to check; `-` reads standard input.
        file: PathBuf,
    },
}

/// Run a `config` subcommand.
pub fn run(args: ConfigArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ConfigCommand::Defaults => defaults(),
        ConfigCommand::Check { file } => check(file),
    }
}

fn defaults() -> anyhow::Result<ExitCode> {
    let text = render_defaults(&FlywheelConfig::default())?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to standard output")?;
    Ok(ExitCode::SUCCESS)
}

fn check(file: PathBuf) -> anyhow::Result<ExitCode> {
    match load_config(Some(&file), crate::overrides::process_env()) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                eprintln!("{warning}");
            }
            let name = source_name(Some(&file));
            match loaded.warnings.len() {
                0 => println!("{name}: ok"),
                1 => println!("{name}: ok, 1 warning"),
                n => println!("{name}: ok, {n} warnings"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ConfigError::Invalid(problems)) => {
            for problem in &problems {
                eprintln!("{problem}");
            }
            Ok(ExitCode::from(EXIT_INVALID))
        }
        Err(err @ ConfigError::Read { .. }) => Err(err.into()),
    }
}
