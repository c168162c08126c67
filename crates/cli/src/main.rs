//! `flywheel`: the command-line entry point of Flywheel.
//!
//! This file only parses the command line and maps results to exit codes: 0 on success,
//! 1 on an error (printed as `flywheel: error: …`), 2 when clap rejects the command line or
//! `config check` finds an invalid configuration. The commands, the configuration
//! file and its overrides live in the `flywheel_cli` library.

use std::process::ExitCode;

use flywheel_cli::commands;

use clap::{Parser, Subcommand};

/// Flywheel: maker-only grid and market-making bots for crypto spot markets.
///
/// Flywheel runs one strategy engine, unchanged, in a backtest over recorded market data and
/// in paper sessions on a live feed (live trading comes later), placing maker-only orders
/// priced with exact decimal money. Start with `flywheel demo`, then
/// `flywheel backtest --data FILE`, then `flywheel run --mode paper --replay FILE`.
#[derive(Debug, Parser)]
#[command(name = "flywheel", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Backtest the grid on a market data file and report.
    Backtest(commands::backtest::BacktestArgs),
    /// Backtest two configurations on the same data and show them side by side.
    Compare(commands::backtest::CompareArgs),
    /// Run the grid on a built-in synthetic market (no data needed) and write a report.
    Demo(commands::backtest::DemoArgs),
    /// Print the default configuration or check a configuration file.
    Config(commands::config::ConfigArgs),
    /// Look at a market data file: `flywheel data inspect FILE`.
    Data(commands::data::DataArgs),
    /// Run a paper session on a live public feed (or the offline mock Kraken).
    Run(Box<commands::run::RunArgs>),
    /// Replay a recorded paper session to its journal and summary.
    Replay(commands::run::ReplayArgs),
    /// Backtest a grid of configuration values over data files on all cores (tuning).
    Sweep(commands::sweep::SweepArgs),
    /// Serve a mock Kraken (REST + WS v2) on 127.0.0.1, for tests and offline live runs.
    #[command(hide = true)]
    MockKraken(flywheel_kraken_mock::cli::MockArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Log lines (the governor's `[REBAL]` updates at info, its oscillation warning at warn)
    // go to stderr, filtered by RUST_LOG; by default only errors, so summaries stay clean.
    // A paper session also logs every order event (slot, role, cl_ord_id) by default.
    let default_filter = match cli.command {
        Command::Run(_) => "error,flywheel::orders=info,flywheel::feed=warn",
        _ => "error",
    };
    // An empty RUST_LOG counts as unset.
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => tracing_subscriber::EnvFilter::try_new(v)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        _ => tracing_subscriber::EnvFilter::new(default_filter),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal: a log file or a pipe gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .with_target(false)
        .init();
    let result = match cli.command {
        Command::Backtest(args) => commands::backtest::backtest(args).map(|()| ExitCode::SUCCESS),
        Command::Compare(args) => commands::backtest::compare(args).map(|()| ExitCode::SUCCESS),
        Command::Demo(args) => commands::backtest::demo(args).map(|()| ExitCode::SUCCESS),
        Command::Config(args) => commands::config::run(args),
        Command::Data(args) => commands::data::run(args).map(|()| ExitCode::SUCCESS),
        Command::Run(args) => commands::run::run(*args).map(|()| ExitCode::SUCCESS),
        Command::Replay(args) => commands::run::replay(args).map(|()| ExitCode::SUCCESS),
        Command::Sweep(args) => commands::sweep::sweep(args).map(|()| ExitCode::SUCCESS),
        Command::MockKraken(args) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(flywheel_kraken_mock::cli::serve(args)))
            .map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("flywheel: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
