//! `flywheel run --mode paper --db URL`: paper trading with **the same store and outbox as
//! live**. A simulated Kraken runs in this process — the mock Kraken, whose matching engine
//! is the backtest's simulated exchange with the configured fill model (`[venue]`), Kraken's
//! fee schedule and the `[backtest]` start balances — and the grid or the maker (with its
//! hedger: IOC clips execute at the last print moved by `[venue].ioc_half_spread_bps`)
//! trades against it through the live path: commit before send, restart and
//! reconciliation, the ledger check.
//!
//! Its market is the mock's replay of `--replay FILE` (`--venue mock`), or Kraken's public
//! feed (`--venue kraken`), whose prints are handed to the simulated exchange as they come.
//!
//! When it stops, the simulated market closes first (no print is matched any more), the
//! session goes on for half a second so the answers in flight arrive, then it stops and the
//! store is audited against the simulated exchange ([`exchange_audit`]: duplicate and lost
//! orders, missed and phantom fills, entries without exit, order states, ledger drift); the
//! counts are printed and any count above zero fails the command.
//!
//! Invariants: no order leaves the process; the simulated exchange lives as long as the
//! session, so a database that holds an earlier paper session is refused at start (its
//! orders and balances ended with that process; kill -9 restarts are what `--mode live`
//! against `flywheel mock-kraken` is for).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use flywheel_kraken::net::clock::SystemClock;
use flywheel_kraken::net::market::MarketConfig;
use flywheel_kraken_mock::{MockConfig, MockKraken, ReplayConfig};
use flywheel_runner::input::Input;
use flywheel_runner::live::session::KV_STEP;
use flywheel_store::{BlockingStore, DbUrl, StoreOptions};

use crate::commands::backtest::load;
use crate::commands::exchange_audit;
use crate::commands::live::{run_stored, runtime, BeforeStop, Endpoints, DEFAULT_DB};
use crate::commands::run::{RunArgs, VenueKind};

pub fn run_paper_stored(args: &RunArgs) -> anyhow::Result<()> {
    let cfg = load(&args.config)?;
    refuse_a_used_database(args)?;
    let mut mock_cfg = MockConfig::for_symbol(&args.symbol).with_context(|| {
        format!(
            "--symbol {}: paper with a store serves DOGE/USD and SOL/USD",
            args.symbol
        )
    })?;
    match (args.venue, &args.replay) {
        (VenueKind::Mock, None) => {
            bail!("--venue mock needs --replay FILE: the market data its public feed replays")
        }
        (VenueKind::Mock, Some(p)) if !p.is_file() => {
            bail!("--replay {}: no such file", p.display())
        }
        (VenueKind::Mock, Some(p)) => {
            mock_cfg.replay = Some(ReplayConfig {
                path: p.clone(),
                speed: args.speed,
            })
        }
        (VenueKind::Kraken, _) => {}
    }
    let start = cfg.backtest.start_balances();
    mock_cfg.start_base = start.base.total;
    mock_cfg.start_quote = start.quote.total;
    mock_cfg.fill_rule = cfg.venue.fill_rule;
    mock_cfg.ioc_half_spread_bps = cfg.venue.ioc_half_spread_bps;
    let rt = runtime()?;
    let mock = rt
        .block_on(MockKraken::start(mock_cfg))
        .context("the simulated Kraken")?;
    let creds = mock
        .config()
        .credentials()
        .map_err(|e| anyhow::anyhow!("the simulated Kraken's key: {e}"))?;
    let ws_public = match args.venue {
        VenueKind::Mock => mock.ws_public_url(),
        VenueKind::Kraken => {
            forward_kraken_prints(&rt, &args.symbol, mock.clone());
            mock.ws_public_url()
        }
    };
    let ep = Endpoints {
        rest: mock.rest_url(),
        ws_private: mock.ws_private_url(),
        ws_public,
    };
    let close = || mock.close_market();
    let before_stop = BeforeStop {
        action: &close,
        settle: Duration::from_millis(500),
    };
    let out = run_stored(args, creds, &rt, &ep, "paper", Some(before_stop))
        .and_then(|()| audit_against_the_simulated_exchange(args, &mock));
    mock.shutdown();
    out
}

/// The store the session left against its simulated exchange (closed: nothing moves any
/// more), with [`exchange_audit`]: printed, and an error when any count is not zero.
fn audit_against_the_simulated_exchange(
    args: &RunArgs,
    mock: &flywheel_kraken_mock::MockHandle,
) -> anyhow::Result<()> {
    let text = args.live.db.as_deref().unwrap_or(DEFAULT_DB);
    let db = DbUrl::parse(text).with_context(|| format!("--db {text}"))?;
    let store = BlockingStore::open(&db, StoreOptions::default())?;
    let ledger = serde_json::to_value(mock.ledger()).context("the simulated exchange's ledger")?;
    let counts = exchange_audit::audit(&store, &ledger)?;
    eprintln!("audit against the simulated exchange: {counts}");
    if !counts.clean() {
        for m in &counts.mismatches {
            eprintln!("  state mismatch {m}");
        }
        bail!(
            "the store disagrees with the simulated exchange ({counts}): a defect of Flywheel, \
             please report it with this database"
        );
    }
    Ok(())
}

/// A database that holds an earlier paper session is refused before anything starts: its
/// simulated account ended with that process, so resuming would find every order gone and
/// halt on the ledger.
fn refuse_a_used_database(args: &RunArgs) -> anyhow::Result<()> {
    let text = args.live.db.as_deref().unwrap_or(DEFAULT_DB);
    let db = DbUrl::parse(text).with_context(|| format!("--db {text}"))?;
    let store = BlockingStore::open(&db, StoreOptions::default())?;
    if let Some(step) = store.kv_get(KV_STEP)? {
        bail!(
            "--db {}: it holds a paper session (its last step is {step}); the simulated \
             account of paper lives only as long as its process, so a paper session can \
             neither resume nor share it. Use a new database (restarts that resume are what \
             --mode live is for)",
            db.redacted()
        );
    }
    Ok(())
}

/// Kraken's public prints into the simulated exchange (which publishes them on its own
/// public feed, the session's market).
fn forward_kraken_prints(
    rt: &tokio::runtime::Runtime,
    symbol: &str,
    mock: flywheel_kraken_mock::MockHandle,
) {
    let (tx, rx) = std::sync::mpsc::channel();
    let feed = {
        let _g = rt.enter();
        flywheel_runner::feed::trades(MarketConfig::new(symbol), Arc::new(SystemClock), tx)
    };
    std::thread::spawn(move || {
        let _feed = feed;
        while let Ok(input) = rx.recv() {
            if let Input::Trade {
                price,
                qty,
                side: Some(side),
            } = input
            {
                if mock.market_closed() {
                    break;
                }
                if let Err(e) = mock.trade(side, price, qty) {
                    eprintln!("warning: a Kraken print the simulated exchange refused: {e}");
                }
            }
        }
    });
}
