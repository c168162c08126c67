//! The mock Kraken as a process: its command-line options and its serve loop, shared by the
//! `flywheel-mock-kraken` binary and `flywheel mock-kraken` (the chaos tests start it next
//! to `flywheel run --mode live`).
//!
//! Prints one JSON line with its URLs on stdout, then serves until SIGINT/SIGTERM. Admin
//! endpoints on the same server: `POST /mock/fault`, `POST /mock/trade`, `GET /mock/ledger`,
//! `POST /mock/clock`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::{MockConfig, MockKraken, ReplayConfig};

/// Options of the mock process.
#[derive(clap::Args, Debug, Clone)]
pub struct MockArgs {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Replay this market-data file through the public feed.
    #[arg(long)]
    pub replay: Option<PathBuf>,
    /// The market's v2 symbol: DOGE/USD or SOL/USD (Kraken's names and trading rules).
    #[arg(long, default_value = "DOGE/USD")]
    pub symbol: String,
    /// Replay speed factor (0: as fast as possible).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// The API key the mock accepts.
    #[arg(long)]
    pub key: Option<String>,
    /// A file holding the base64 API secret the mock accepts.
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
}

/// Start the mock, print its URLs, serve until a signal.
pub async fn serve(args: MockArgs) -> anyhow::Result<()> {
    let market = MockConfig::for_symbol(&args.symbol).with_context(|| {
        format!(
            "--symbol {}: the mock serves DOGE/USD and SOL/USD",
            args.symbol
        )
    })?;
    let mut cfg = MockConfig {
        port: Some(args.port),
        replay: args.replay.map(|path| ReplayConfig {
            path,
            speed: args.speed,
        }),
        ..market
    };
    if let Some(k) = args.key {
        cfg.api_key = k;
    }
    if let Some(f) = args.secret_file {
        cfg.api_secret_b64 = std::fs::read_to_string(&f)
            .with_context(|| format!("reading the secret file {}", f.display()))?
            .trim()
            .to_string();
    }
    let mock = MockKraken::start(cfg).await?;
    let line = serde_json::json!({
        "rest_url": mock.rest_url(),
        "ws_public_url": mock.ws_public_url(),
        "ws_private_url": mock.ws_private_url(),
        "admin_url": format!("{}/mock", mock.rest_url()),
    });
    let mut out = std::io::stdout();
    writeln!(out, "{line}").context("standard output")?;
    out.flush().context("standard output")?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    mock.shutdown();
    Ok(())
}
