//! `flywheel run --mode live`: the grid or the maker on Kraken (or a mock Kraken at
//! `--kraken-rest`), with its state in the store (issue 13, live.md §6). The maker's hedger
//! runs too: its passive legs are post-only like every quote, its aggressive clips IOC
//! limit orders (the only orders that may take, and they never rest).
//!
//! Start-up, in order: open the database and take its exclusive lock (a second instance
//! is refused, naming the holder); check the instrument against `AssetPairs` and the
//! account's fees; start the connector; restore the engine from the latest snapshot and
//! follow its live orders again; reconcile with the exchange (strays, foreign orders,
//! settling every order, the ledger); arm the dead-man switch; trade.
//!
//! Every step commits before it sends. SIGINT/SIGTERM stops after the current step,
//! persists, disarms the dead-man switch and leaves every order resting — or, with
//! `--on-stop cancel-entries`, cancels the entries first and keeps the exits.
//!
//! Keys come from `KRAKEN_API_KEY` / `KRAKEN_API_SECRET` or from files
//! (`--api-key-file`, `--api-secret-file`); they are never printed.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use flywheel_engine::config::instrument;
use flywheel_engine::journal::NoJournal;
use flywheel_engine::RunMode;
use flywheel_kraken::live::venue::LiveConfig;
use flywheel_kraken::net::clock::{Clock, SystemClock};
use flywheel_kraken::net::connector::KrakenTransport;
use flywheel_kraken::net::connector::{self, ConnectorConfig, OrderPath};
use flywheel_kraken::net::dead_man::{DeadManConfig, DeadManSwitch};
use flywheel_kraken::net::market::MarketConfig;
use flywheel_kraken::net::private::{PrivateRest, PrivateRestOptions};
use flywheel_kraken::net::rest::{PublicRest, RestConfig};
use flywheel_kraken::net::ws::WsConfig;
use flywheel_kraken::nonce::FileNonceStore;
use flywheel_kraken::ratelimit::{Tier, TradingCounters};
use flywheel_kraken::secret::Credentials;
use flywheel_runner::input::Input;
use flywheel_runner::live::capture::StepCapture;
use flywheel_runner::live::failpoint::Failpoints;
use flywheel_runner::live::reconcile::{reconcile, LedgerOutcome, ReconcileConfig};
use flywheel_runner::live::restart::resume;
use flywheel_runner::live::session::{percentile, LiveSession};
use flywheel_runner::live::strategy::{GridLive, LiveStrategy, MakerLive};
use flywheel_runner::maker_order_log::MakerOrderLog;
use flywheel_runner::order_log::OrderLog;
use flywheel_runner::session::Control;
use flywheel_runner::status_view::{maker_view, RunInfo, SessionFacts};
use flywheel_store::{BlockingStore, DbUrl, InstanceInfo, KvNonceStore, StoreOptions};
use flywheel_venue::{ClOrdIds, Venue};

use crate::commands::backtest::{load, set_validator, Strategy};
use crate::commands::grid::grid_engine;
use crate::commands::live_args::{credentials, names};
pub use crate::commands::live_args::{LiveArgs, OnStop, OrderPathArg, TierArg, DEFAULT_DB};
use crate::commands::maker::maker_engine;
use crate::commands::operator_http::{dms_view, feed_view, OperatorSurface};
use crate::commands::run::{run_info, RunArgs};
use flywheel_runner::journal_tee::Tee;
use flywheel_runner::status_view::grid_view;
use serde_json::json;

/// Where the exchange is.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub rest: String,
    pub ws_private: String,
    pub ws_public: String,
}

/// The async runtime of a session (the connector, the feeds, the dead-man switch).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("async runtime")
}

/// `flywheel run --mode live`: Kraken (or the endpoints given) with the caller's keys.
pub fn run_live(args: &RunArgs) -> anyhow::Result<()> {
    let live = &args.live;
    names(&args.symbol)?;
    let creds = credentials(live)?;
    let rt = runtime()?;
    let ep = Endpoints {
        rest: live.kraken_rest.clone(),
        ws_private: live.kraken_ws_private.clone(),
        ws_public: live.kraken_ws_public.clone(),
    };
    run_stored(args, creds, &rt, &ep, "live", None)
}

/// What a session does when asked to stop, before it stops: `action` runs, then the
/// session goes on for `settle` (answers in flight arrive and are applied) and stops.
/// Paper closes its simulated market here, so the store it leaves is complete against an
/// exchange that no longer moves (`paper_store`).
pub struct BeforeStop<'a> {
    pub action: &'a dyn Fn(),
    pub settle: Duration,
}

impl std::fmt::Debug for BeforeStop<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BeforeStop")
            .field("settle", &self.settle)
            .finish_non_exhaustive()
    }
}

/// A stored session (live, or paper against a local simulated Kraken): everything in the
/// module docs from the database lock on. `label` names it in messages and the lock.
pub fn run_stored(
    args: &RunArgs,
    creds: Credentials,
    rt: &tokio::runtime::Runtime,
    ep: &Endpoints,
    label: &str,
    before_stop: Option<BeforeStop<'_>>,
) -> anyhow::Result<()> {
    let live = &args.live;
    let (rest_pair, base_asset, quote_asset) = names(&args.symbol)?;
    let cfg = load(&args.config)?;
    let failpoints = Failpoints::from_env().map_err(|e| anyhow::anyhow!(e))?;
    let db_text = live.db.as_deref().unwrap_or(DEFAULT_DB);
    let db = DbUrl::parse(db_text).with_context(|| format!("--db {db_text}"))?;
    let store = BlockingStore::open(&db, StoreOptions::default())?;
    let _lock = store
        .lock(&InstanceInfo::this_process(
            &format!("flywheel run --mode {label}"),
            &args.symbol,
        ))
        .context("another instance may be running on this database")?;
    let nonce_file = live
        .nonce_file
        .clone()
        .unwrap_or_else(|| match db.sqlite_path() {
            Some(p) => {
                let mut s = p.as_os_str().to_owned();
                s.push(".nonce");
                PathBuf::from(s)
            }
            None => PathBuf::from("flywheel.nonce"),
        });
    let config_inst = match args.strategy {
        Strategy::Grid => {
            instrument(&cfg.grid, &cfg.venue).context("instrument from [grid] and [venue]")?
        }
        Strategy::Maker => cfg
            .maker
            .instrument(&args.symbol)
            .context("instrument from [maker]")?,
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let rest_cfg = RestConfig {
        base_url: ep.rest.clone(),
        ..RestConfig::default()
    };
    let tier = match live.tier {
        TierArg::Starter => Tier::Starter,
        TierArg::Intermediate => Tier::Intermediate,
        TierArg::Pro => Tier::Pro,
    };
    let ids = KvNonceStore::new(store.clone(), KvNonceStore::CL_ORD_SEQ)
        .preload()
        .context("the cl_ord_id sequence in the store")?;
    let (mut venue, conn, rest) = {
        let _g = rt.enter();
        let rest = PrivateRest::spawn(
            &rest_cfg,
            creds,
            FileNonceStore::new(&nonce_file),
            clock.clone(),
            PrivateRestOptions::default(),
        )
        .context("private REST")?;
        let public = PublicRest::new(&rest_cfg).context("public REST")?;
        let inst = rt
            .block_on(connector::check_instrument(
                &public,
                &rest,
                rest_pair,
                &config_inst,
            ))
            .context("instrument check against Kraken")?;
        let mut ws = WsConfig::private();
        ws.url = ep.ws_private.clone();
        let ccfg = ConnectorConfig {
            live: LiveConfig {
                instrument: inst,
                base_asset: base_asset.into(),
                quote_asset: quote_asset.into(),
                id_prefix: live.id_prefix.clone(),
                deadline_ms: live.deadline_ms,
                reply_timeout_ms: live.deadline_ms.min(3_000),
                lookup_interval_ms: 1_000,
                audit_interval_ms: 30_000,
                counters: TradingCounters::new(tier.limits()),
                hold_until_flushed: true,
            },
            rest_pair: rest_pair.into(),
            ws,
            order_path: match live.order_path {
                OrderPathArg::Ws => OrderPath::Ws,
                OrderPathArg::Rest => OrderPath::Rest,
            },
            tick_interval: Duration::from_millis(100),
        };
        let (venue, conn) = connector::start(ccfg, rest.clone(), Box::new(ids), clock.clone())
            .context("Kraken connector")?;
        (venue, conn, rest)
    };
    let ids = ClOrdIds::new(&live.id_prefix)
        .map_err(|e| anyhow::anyhow!("--id-prefix {}: {e}", live.id_prefix))?;
    let mut op = OperatorSurface::start(rt, &args.http, run_info(args, label))?;
    if let Some(op) = op.as_mut() {
        op.set_ready(false, "restarting: reconciling with the exchange");
    }
    let consumer = op.as_ref().map(OperatorSurface::journal_consumer);
    let heartbeat = Arc::new(AtomicU64::new(0));
    venue.set_heartbeat(heartbeat.clone());
    let ctx = Stored {
        args,
        label,
        ep,
        store,
        db,
        rest,
        clock,
        heartbeat,
        failpoints,
        before_stop,
    };
    let out = match args.strategy {
        Strategy::Grid => {
            let sink = StepCapture::new(OrderLog::new(Tee::new(NoJournal, consumer)));
            let engine = grid_engine(&cfg, venue, sink).with_order_ids(ids);
            drive(ctx, GridLive::new(engine), rt, &mut op)
        }
        Strategy::Maker => {
            let sink = StepCapture::new(MakerOrderLog::new(Tee::new(NoJournal, consumer)));
            let maker = maker_engine(&cfg, venue, sink).with_order_ids(ids);
            drive(ctx, MakerLive { maker }, rt, &mut op)
        }
    };
    conn.shutdown();
    if let Some(op) = op {
        op.shutdown(rt);
    }
    out
}

/// What a stored session keeps beside its strategy.
struct Stored<'a> {
    args: &'a RunArgs,
    label: &'a str,
    ep: &'a Endpoints,
    store: BlockingStore,
    db: DbUrl,
    rest: PrivateRest,
    clock: Arc<dyn Clock>,
    heartbeat: Arc<AtomicU64>,
    failpoints: Failpoints,
    before_stop: Option<BeforeStop<'a>>,
}

/// What the command needs from a strategy beyond the session's trait.
trait CliLive: LiveStrategy<Transport = KrakenTransport> {
    /// The operator's status.
    fn view(&self, run: &RunInfo, facts: &SessionFacts) -> serde_json::Value;
    /// Why new entries (quotes) are halted, if they are.
    fn halted(&self) -> Option<String>;
    /// Whether an order of this role is an entry (`--on-stop cancel-entries`).
    fn is_entry(role: &str) -> bool;
}

impl CliLive for GridLive<KrakenTransport, OrderLog<Tee<NoJournal>>> {
    fn view(&self, run: &RunInfo, facts: &SessionFacts) -> serde_json::Value {
        grid_view(&self.engine, run, facts)
    }
    fn halted(&self) -> Option<String> {
        match self.engine.mode() {
            RunMode::Halted(why) => Some(why.clone()),
            _ => None,
        }
    }
    fn is_entry(role: &str) -> bool {
        role == "entry"
    }
}

impl CliLive for MakerLive<KrakenTransport, MakerOrderLog<Tee<NoJournal>>> {
    fn view(&self, run: &RunInfo, facts: &SessionFacts) -> serde_json::Value {
        maker_view(&self.maker, run, facts)
    }
    fn halted(&self) -> Option<String> {
        self.maker.halted().map(str::to_string)
    }
    fn is_entry(role: &str) -> bool {
        role.starts_with("quote_")
    }
}

/// Everything from the restart on (see the module docs), for either strategy.
fn drive<S: CliLive>(
    ctx: Stored<'_>,
    mut strategy: S,
    rt: &tokio::runtime::Runtime,
    op: &mut Option<OperatorSurface>,
) -> anyhow::Result<()> {
    let Stored {
        args,
        label,
        ep,
        store,
        db,
        rest,
        clock,
        heartbeat,
        failpoints,
        mut before_stop,
    } = ctx;
    let live = &args.live;
    let (_, base_asset, quote_asset) = names(&args.symbol)?;
    let resumed =
        resume(&store, &mut strategy, live.deadline_ms).context("restart from the store")?;
    eprintln!(
        "store {}: {} (step {}), {} order(s) to settle, {} fill(s) known",
        db.redacted(),
        if resumed.step == 0 {
            "first start"
        } else {
            "resuming"
        },
        resumed.step,
        resumed.orders + resumed.rows_without_track,
        resumed.fills_known
    );
    if let Some(why) = &resumed.halt_cleared {
        eprintln!("the previous run stopped halted ({why}); resuming — the cause is checked again");
    }
    let mut session = LiveSession::new(
        strategy,
        store.clone(),
        resumed.rows,
        resumed.ledger,
        resumed.step,
        failpoints,
    );
    if let Some(v) = set_validator(&args.config, args.strategy)? {
        session = session.with_validator(v);
    }
    let rcfg = ReconcileConfig {
        prefix: live.id_prefix.clone(),
        base_asset: base_asset.into(),
        quote_asset: quote_asset.into(),
        settle_timeout: Duration::from_secs(60),
        ledger_attempts: 6,
        accept_balances: live.accept_balances,
    };
    let report = reconcile(&mut session, &rest, rt.handle(), &rcfg)?;
    let mut reconcile_runs = 1;
    let mut discrepancies = discrepancies_of(&report);
    let mut reconciled = reconcile_view(&report, reconcile_runs, discrepancies, clock.now());
    if let Some(op) = op.as_mut() {
        if report.ready() {
            op.set_ready(true, "");
        } else {
            op.set_ready(
                false,
                "the restart reconciliation did not finish (see the log)",
            );
        }
    }
    eprintln!(
        "reconciled in {:.1} s: {} stray(s) cancelled, {} foreign order(s) (holding {} base, {} quote), {} unsettled, ledger {}",
        report.took.as_secs_f64(),
        report.strays_cancelled.len(),
        report.foreign_orders,
        report.foreign_hold_base,
        report.foreign_hold_quote,
        report.unsettled,
        match &report.ledger {
            LedgerOutcome::Adopted(l) => format!("adopted ({} base, {} quote)", l.base, l.quote),
            LedgerOutcome::Matched(_) => "matches the exchange".into(),
            LedgerOutcome::Mismatch(c) => format!("MISMATCH: {}", c.describe()),
            LedgerOutcome::Unreadable(e) => format!("not checked: {e}"),
        }
    );
    if let Some(why) = session.strategy().halted() {
        eprintln!("new entries are halted: {why}");
    }
    let dms = (live.dead_man_secs > 0).then(|| {
        let _g = rt.enter();
        DeadManSwitch::start(
            rest.clone(),
            DeadManConfig {
                timeout_secs: live.dead_man_secs,
                rearm_every: Duration::from_secs(u64::from(live.dead_man_secs / 3).max(1)),
            },
            heartbeat.clone(),
        )
    });
    let (tx, rx) = channel();
    let feed = {
        let _g = rt.enter();
        let mut market = MarketConfig::new(&args.symbol);
        market.ws.url = ep.ws_public.clone();
        flywheel_runner::feed::trades(market, clock.clone(), tx.clone())
    };
    crate::commands::run::stop_on_signals(rt, tx.clone());
    if let Some(secs) = args.duration {
        let tx = tx.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(secs));
            let _ = tx.send(Input::Stop);
        });
    }
    let _ticker = flywheel_runner::feed::ticker(Duration::from_millis(100), tx);
    eprintln!("{label} on {} ({}); Ctrl-C stops it", args.symbol, ep.rest);
    let mut venue_halt_seen = false;
    let mut last = clock.now();
    let mut commits_seen = 0;
    let mut settle_until: Option<Instant> = None;
    loop {
        match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(Input::Stop) if before_stop.is_some() => {
                if let Some(b) = before_stop.take() {
                    (b.action)();
                    settle_until = Some(Instant::now() + b.settle);
                }
            }
            Ok(input) => {
                last = clock.now();
                if session.step(input, last, Instant::now())? == Control::Stop {
                    break;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if settle_until.is_some_and(|t| Instant::now() >= t) {
            break;
        }
        if let Some(op) = op.as_mut() {
            for us in &session.stats.commit_us[commits_seen..] {
                op.observe_commit(*us as f64 / 1e6);
            }
            commits_seen = session.stats.commit_us.len();
            let venue = session.strategy().venue().status();
            op.facts.now = last.millis();
            op.facts.connectivity = json!({
                "feeds": [
                    feed_view("public", &feed.handle.ws().state()),
                    {"feed": "private", "connected": venue.connected},
                ],
                "dead_man_switch": dms.as_ref().map(|d| dms_view(&d.state(), live.dead_man_secs, last.millis())),
                "reconcile": reconciled,
                "rate_counter": venue.rate_counter.get(&args.symbol).map(|c| json!({
                    "value": c.value.to_string(),
                    "limit": c.threshold.to_string(),
                    "headroom": c.headroom.to_string(),
                })),
            });
            op.service(
                &mut session,
                |s, cmd| Ok(s.command(cmd, clock.now())?),
                |s, run, facts| s.strategy().view(run, facts),
            )?;
        }
        if session.take_reconcile_request() {
            let report = reconcile(&mut session, &rest, rt.handle(), &rcfg)?;
            eprintln!(
                "reconciled on request in {:.1} s: {} stray(s) cancelled, {} unsettled",
                report.took.as_secs_f64(),
                report.strays_cancelled.len(),
                report.unsettled
            );
            // The status counts every run and every discrepancy found (the alerter fires
            // when the count grows).
            reconcile_runs += 1;
            discrepancies += discrepancies_of(&report);
            reconciled = reconcile_view(&report, reconcile_runs, discrepancies, clock.now());
        }
        if !venue_halt_seen {
            if let Some(why) = session.strategy().venue().status().halt {
                venue_halt_seen = true;
                eprintln!("halted by the exchange connection: {why}");
                session.strategy_mut().halt(&format!("venue: {why}"));
            }
        }
    }
    eprintln!("stopping: the current step is done");
    if live.on_stop == OnStop::CancelEntries {
        cancel_entries(&mut session, clock.as_ref())?;
    }
    session.checkpoint(clock.now())?;
    feed.shutdown();
    if let Some(d) = &dms {
        rt.block_on(d.disarm());
    }
    print_stats(&session);
    if let Some(why) = session.strategy().halted() {
        eprintln!("stopped halted: {why}");
    }
    Ok(())
}

/// What a reconciliation found wrong: strays, orders it could not settle, a ledger mismatch.
fn discrepancies_of(r: &flywheel_runner::live::reconcile::ReconcileReport) -> usize {
    r.strays_cancelled.len()
        + r.strays_not_cancelled.len()
        + r.unsettled
        + usize::from(matches!(r.ledger, LedgerOutcome::Mismatch(_)))
}

/// The `connectivity.reconcile` block of the status.
fn reconcile_view(
    r: &flywheel_runner::live::reconcile::ReconcileReport,
    runs: u64,
    discrepancies: usize,
    at: flywheel_core::Timestamp,
) -> serde_json::Value {
    json!({
        "state": if r.ready() { "done" } else { "incomplete" },
        "runs": runs,
        "discrepancies": discrepancies,
        "last_at": at.millis(),
    })
}

/// Cancel every resting entry (the maker: every quote) and wait (up to 10 s) for the
/// exchange to confirm.
fn cancel_entries<S: CliLive>(
    session: &mut LiveSession<S>,
    clock: &dyn Clock,
) -> anyhow::Result<()> {
    let entries: Vec<_> = session
        .rows()
        .live()
        .filter(|r| r.role.as_deref().is_some_and(S::is_entry))
        .map(|r| r.cl_ord_id.clone())
        .collect();
    let now = clock.now();
    for id in &entries {
        let _ = session.strategy_mut().venue_mut().cancel(id, now);
    }
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        session.settle(clock.now())?;
        let left = entries
            .iter()
            .filter(|id| session.rows().get(id).is_some())
            .count();
        if left == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("cancelled {} entr(ies) on stop", entries.len());
    Ok(())
}

fn print_stats<S: LiveStrategy>(session: &LiveSession<S>) {
    let s = &session.stats;
    let ms = |v: Option<u64>| v.map_or("-".to_string(), |us| format!("{:.2}", us as f64 / 1e3));
    eprintln!(
        "{} steps, {} commits, {} orders and {} cancels sent, {} fills",
        s.steps, s.commits, s.adds_sent, s.cancels_sent, s.fills
    );
    let line = |what: &str, v: &[u64]| {
        eprintln!(
            "{what} ms: p50 {} p99 {} ({} samples)",
            ms(percentile(v, 50.0)),
            ms(percentile(v, 99.0)),
            v.len()
        )
    };
    line("commit latency", &s.commit_us);
    line("market event to order sent", &s.event_to_send_us);
    line("any input to order sent", &s.any_to_send_us);
}
