//! `flywheel-mock-kraken`: the mock Kraken as a separate process, for chaos tests.
//!
//! Prints one JSON line with its URLs on stdout, then serves until SIGINT/SIGTERM. Admin
//! endpoints on the same server: `POST /mock/fault`, `POST /mock/trade`, `GET /mock/ledger`,
//! `POST /mock/clock`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use flywheel_kraken_mock::{MockConfig, MockKraken, ReplayConfig};

#[derive(Parser, Debug)]
#[command(
    name = "flywheel-mock-kraken",
    about = "A local mock of Kraken spot (REST + WS v2)"
)]
struct Args {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Replay this market-data file through the public feed.
    #[arg(long)]
    replay: Option<PathBuf>,
    /// The market's v2 symbol: DOGE/USD or SOL/USD (Kraken's names and trading rules).
    #[arg(long, default_value = "DOGE/USD")]
    symbol: String,
    /// Replay speed factor (0: as fast as possible).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// The API key the mock accepts.
    #[arg(long)]
    key: Option<String>,
    /// A file holding the base64 API secret the mock accepts.
    #[arg(long)]
    secret_file: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
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
    println!("{line}");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    mock.shutdown();
    Ok(())
}
