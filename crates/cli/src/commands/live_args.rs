//! The options of `flywheel run --mode live` (and of paper with a store), the markets it
//! knows, and the API keys: from files or the environment, never printed.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use flywheel_kraken::secret::{ApiKey, ApiSecret, Credentials};

/// What happens to resting orders when the session stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OnStop {
    /// Leave entries and exits resting (the dead-man switch is disarmed).
    #[default]
    Keep,
    /// Cancel the entries (the maker: its quotes), keep the exits.
    CancelEntries,
}

/// The database of a live session when `--db` is not given.
pub const DEFAULT_DB: &str = "flywheel.db";

/// Options of `--mode live`.
#[derive(Debug, Args)]
pub struct LiveArgs {
    /// The database: a SQLite file (`sqlite:PATH` or `PATH`) or `postgres://…`. Live
    /// mode uses `flywheel.db` without it; paper with it runs against a local simulated
    /// Kraken with the same store and outbox as live.
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
    /// Kraken's REST base URL (a mock Kraken's in tests).
    #[arg(long, value_name = "URL", default_value = "https://api.kraken.com")]
    pub kraken_rest: String,
    /// Kraken's private WebSocket (v2).
    #[arg(
        long,
        value_name = "URL",
        default_value = "wss://ws-auth.kraken.com/v2"
    )]
    pub kraken_ws_private: String,
    /// Kraken's public WebSocket (v2): the market feed.
    #[arg(long, value_name = "URL", default_value = "wss://ws.kraken.com/v2")]
    pub kraken_ws_public: String,
    /// A file holding the API key (else `KRAKEN_API_KEY`).
    #[arg(long, value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,
    /// A file holding the base64 API secret (else `KRAKEN_API_SECRET`).
    #[arg(long, value_name = "FILE")]
    pub api_secret_file: Option<PathBuf>,
    /// Where the REST nonce is kept (default: beside a SQLite database, else
    /// `flywheel.nonce`).
    #[arg(long, value_name = "FILE")]
    pub nonce_file: Option<PathBuf>,
    /// Orders over the private WebSocket (default) or REST.
    #[arg(long, value_enum, default_value_t = OrderPathArg::Ws)]
    pub order_path: OrderPathArg,
    /// What happens to resting orders on SIGINT/SIGTERM.
    #[arg(long, value_enum, default_value_t = OnStop::Keep)]
    pub on_stop: OnStop,
    /// Dead-man switch timeout in seconds (`CancelAllOrdersAfter`); 0 disables it.
    #[arg(long, default_value_t = 60)]
    pub dead_man_secs: u32,
    /// Take the exchange's balances as the ledger (after you moved funds yourself); the
    /// change is recorded as an operator action.
    #[arg(long)]
    pub accept_balances: bool,
    /// How long Kraken may take to place an order, in milliseconds (`deadline`).
    #[arg(long, default_value_t = 5_000)]
    pub deadline_ms: i64,
    /// The client order id prefix of this instance (letters and digits).
    #[arg(long, default_value = "fw1")]
    pub id_prefix: String,
    /// Account verification tier (trading counter and open-order cap).
    #[arg(long, value_enum, default_value_t = TierArg::Starter)]
    pub tier: TierArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OrderPathArg {
    Ws,
    Rest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TierArg {
    Starter,
    Intermediate,
    Pro,
}

/// The REST pair key and the two asset names of a WS v2 symbol.
pub(crate) fn names(symbol: &str) -> anyhow::Result<(&'static str, &'static str, &'static str)> {
    match symbol {
        "DOGE/USD" => Ok(("XDGUSD", "DOGE", "USD")),
        "SOL/USD" => Ok(("SOLUSD", "SOL", "USD")),
        other => bail!("--symbol {other}: live trading knows DOGE/USD and SOL/USD"),
    }
}

fn secret_text(file: &Option<PathBuf>, env: &str, what: &str) -> anyhow::Result<String> {
    match file {
        Some(p) => Ok(std::fs::read_to_string(p)
            .with_context(|| format!("--api-{what}-file {}", p.display()))?
            .trim()
            .to_string()),
        None => std::env::var(env).map_err(|_| {
            anyhow::anyhow!(
                "no API {what}: set {env} or pass --api-{what}-file (live mode needs a key \
                 with query and trade permissions, no withdrawal)"
            )
        }),
    }
}

pub(crate) fn credentials(live: &LiveArgs) -> anyhow::Result<Credentials> {
    let key = secret_text(&live.api_key_file, "KRAKEN_API_KEY", "key")?;
    let secret = secret_text(&live.api_secret_file, "KRAKEN_API_SECRET", "secret")?;
    let secret = ApiSecret::from_base64(&secret)
        .map_err(|e| anyhow::anyhow!("the API secret is not valid base64: {e}"))?;
    Ok(Credentials {
        key: ApiKey::new(key),
        secret,
    })
}
