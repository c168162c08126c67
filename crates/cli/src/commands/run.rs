//! `flywheel run`: a paper session — the grid on the simulated exchange, driven by a live
//! public feed and the wall clock (issue 13).
//!
//! `--venue mock` (the default) runs fully offline: an in-process mock Kraken replays a
//! market data file through its public WebSocket (`--replay FILE`, `--speed`), which is how
//! the tests and a newcomer without keys run it. `--venue kraken` takes Kraken's public
//! WebSocket feed (no keys needed for paper). Every input is recorded with `--record FILE`
//! (gzipped JSON lines) and `flywheel replay FILE` replays it to the same journal.
//!
//! `--strategy maker` runs the market maker with its hedger instead
//! ([`crate::commands::run_maker`]), on SOL/USD unless `--symbol` says otherwise.
//!
//! `--mode live` (orders to Kraken, state in the store) is [`crate::commands::live`].
//! `--http ADDR` serves the operator API and dashboard of any of them
//! ([`crate::commands::operator_http`]); operator commands are session inputs, recorded and
//! replayed like the others.
//!
//! The session stops on SIGINT/SIGTERM, at `--duration`, or when the replayed file ends;
//! the engine finishes its current step, the recording is closed, and the summary printed.
//! Every order event is logged on standard error, one line each with its slot, role and
//! `cl_ord_id` (target `flywheel::orders`; `RUST_LOG` changes the level).

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use flywheel_core::Price;
use flywheel_engine::journal::{JournalSink, NoJournal};
use flywheel_engine::{Engine, Summary};
use flywheel_kraken::net::clock::{Clock, SystemClock};
use flywheel_kraken::net::market::MarketConfig;
use flywheel_kraken_mock::{MockConfig, MockKraken, ReplayConfig};
use flywheel_runner::input::Input as RunInput;
use flywheel_runner::order_log::OrderLog;
use flywheel_runner::recording::{self, Recorder};
use flywheel_runner::session::{Control, PaperSession};

use flywheel_runner::journal_tee::Tee;
use flywheel_runner::status_view::{grid_view, RunInfo, SessionFacts};

use crate::commands::backtest::{load, set_validator, ConfigSource, Strategy};
use crate::commands::grid::{grid_engine, grid_exchange};
use crate::commands::operator_http::{feed_view, OperatorSurface};
use crate::outputs::{close_journal, journal_sink};
use crate::table::print_summary;
use flywheel_runner::command::{CommandOutcome, OperatorCommand};

/// Paper or live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Real market data, simulated fills: no orders reach an exchange.
    Paper,
    /// Orders to Kraken, state in the store (`--db`), restart-safe.
    Live,
}

/// Where the public market data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum VenueKind {
    /// An in-process mock Kraken replaying `--replay FILE` (offline, no keys).
    #[default]
    Mock,
    /// Kraken's public WebSocket feed (wss://ws.kraken.com/v2).
    Kraken,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[arg(long, value_enum)]
    pub mode: Mode,
    #[arg(long, value_enum, default_value_t = Strategy::Grid)]
    pub strategy: Strategy,
    #[arg(long, value_enum, default_value_t = VenueKind::Mock)]
    pub venue: VenueKind,
    /// With `--venue mock`: the market data file the mock's public feed replays.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Replay speed (1 = real time, 60 = a minute per second, 0 = as fast as possible).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Record every input (gzipped JSON lines) to replay with `flywheel replay`.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Write the journal as JSON lines here.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<u64>,
    /// WS v2 symbol of the market (the mock serves DOGE/USD and SOL/USD); SOL/USD by default
    /// with `--strategy maker`.
    #[arg(
        long,
        default_value = "DOGE/USD",
        default_value_if("strategy", "maker", "SOL/USD")
    )]
    pub symbol: String,
    #[command(flatten)]
    pub config: ConfigSource,
    #[command(flatten)]
    pub live: crate::commands::live::LiveArgs,
    #[command(flatten)]
    pub http: crate::commands::operator_http::HttpArgs,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A recording written by `flywheel run --record`.
    pub recording: PathBuf,
    /// The strategy the session ran (a recording holds its inputs, not its strategy).
    #[arg(long, value_enum, default_value_t = Strategy::Grid)]
    pub strategy: Strategy,
    /// Write the journal as JSON lines here.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigSource,
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    if args.mode == Mode::Live {
        return crate::commands::live::run_live(&args);
    }
    if args.live.db.is_some() {
        return crate::commands::paper_store::run_paper_stored(&args);
    }
    if args.strategy == Strategy::Maker {
        return crate::commands::run_maker::run(args);
    }
    if args.venue == VenueKind::Mock && args.replay.is_none() {
        bail!("--venue mock needs --replay FILE: the market data its public feed replays");
    }
    if let Some(p) = &args.replay {
        if !p.is_file() {
            bail!("--replay {}: no such file", p.display());
        }
    }
    let cfg = load(&args.config)?;
    let validator = set_validator(&args.config, Strategy::Grid)?;
    let sim = grid_exchange(&cfg)?;
    let recorder = args
        .record
        .as_deref()
        .map(|p| Recorder::create(p, 64))
        .transpose()
        .context("--record")?;
    let journal = args.journal.as_deref().map(new_journal_file).transpose()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("async runtime")?;
    let (tx, rx) = channel();
    let feed = start_feed(&rt, &args, tx.clone())?;
    stop_on_signals(&rt, tx.clone());
    if let Some(secs) = args.duration {
        let tx = tx.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(secs));
            let _ = tx.send(RunInput::Stop);
        });
    }
    let _ticker = flywheel_runner::feed::ticker(Duration::from_secs(1), tx);
    let mut op = OperatorSurface::start(&rt, &args.http, run_info(&args, "paper"))?;
    let consumer = op.as_ref().map(OperatorSurface::journal_consumer);
    eprintln!(
        "paper session on {} ({:?} feed); Ctrl-C stops it",
        args.symbol, args.venue
    );
    let mut surface = Surface {
        op: op.as_mut(),
        feed: &feed,
    };
    let summary = match journal {
        Some(file) => {
            let sink = OrderLog::new(Tee::new(journal_sink(file), consumer));
            let engine = grid_engine(&cfg, sim, sink);
            let session = with_validator(PaperSession::new(engine, recorder), validator);
            let (engine, s) = drive(session, rx, &mut surface)?;
            close_journal(engine.into_parts().1.into_inner().into_inner()).context("--journal")?;
            s
        }
        None => {
            let sink = OrderLog::new(Tee::new(NoJournal, consumer));
            let session = PaperSession::new(grid_engine(&cfg, sim, sink), recorder);
            let session = with_validator(session, validator);
            drive(session, rx, &mut surface)?.1
        }
    };
    if let Some(op) = op {
        op.shutdown(&rt);
    }
    feed.shutdown();
    if feed.drops() > 0 {
        eprintln!(
            "warning: the public feed was lost {} time(s); prints made while it reconnected \
             are missing from this session",
            feed.drops()
        );
    }
    print_summary(&serde_json::to_value(&summary)?).context("summary on standard output")?;
    Ok(())
}

/// `flywheel replay`: a recording through the same steps, to the same journal.
pub fn replay(args: ReplayArgs) -> anyhow::Result<()> {
    if args.strategy == Strategy::Maker {
        return crate::commands::run_maker::replay(args);
    }
    let cfg = load(&args.config)?;
    // A replay answers the recorded `set` commands as the session did.
    let validator = set_validator(&args.config, Strategy::Grid)?;
    let sim = grid_exchange(&cfg)?;
    let inputs = recording::read(&args.recording)?;
    let n = inputs.len();
    let summary = match args.journal.as_deref() {
        Some(p) => {
            let file = new_journal_file(p)?;
            let engine = grid_engine(&cfg, sim, journal_sink(file));
            let session = with_validator(PaperSession::new(engine, None), validator);
            let (engine, s) = apply_all(session, inputs)?;
            close_journal(engine.into_parts().1).context("--journal")?;
            s
        }
        None => {
            apply_all(
                with_validator(
                    PaperSession::new(grid_engine(&cfg, sim, NoJournal), None),
                    validator,
                ),
                inputs,
            )?
            .1
        }
    };
    eprintln!("replayed {n} inputs from {}", args.recording.display());
    print_summary(&serde_json::to_value(&summary)?).context("summary on standard output")?;
    Ok(())
}

type Paper<J> = Engine<flywheel_venue::SimExchange, J>;

fn with_validator<J: JournalSink>(
    s: PaperSession<J>,
    v: Option<Box<dyn flywheel_runner::command::SetValidator>>,
) -> PaperSession<J> {
    match v {
        Some(v) => s.with_validator(v),
        None => s,
    }
}

/// The `--journal` file, created new: a session never overwrites an earlier journal.
pub(crate) fn new_journal_file(p: &std::path::Path) -> anyhow::Result<std::fs::File> {
    std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(p)
        .with_context(|| {
            format!(
                "--journal {}: cannot create (it must not exist)",
                p.display()
            )
        })
}

/// The operator surface of a paper session and what its connectivity block reads.
pub(crate) struct Surface<'a> {
    pub op: Option<&'a mut OperatorSurface>,
    pub feed: &'a flywheel_runner::feed::TradeFeed,
}

impl Surface<'_> {
    /// Answers operator commands and publishes the status when due; `now` is the time of
    /// the engine's last step.
    pub fn service<S>(
        &mut self,
        ctx: &mut S,
        now: flywheel_core::Timestamp,
        apply: impl FnMut(&mut S, OperatorCommand) -> anyhow::Result<CommandOutcome>,
        view: impl FnOnce(&S, &RunInfo, &SessionFacts) -> serde_json::Value,
    ) -> anyhow::Result<()> {
        let Some(op) = self.op.as_mut() else {
            return Ok(());
        };
        op.facts.now = now.millis();
        op.facts.connectivity = serde_json::json!({
            "feeds": [feed_view("public", &self.feed.handle.ws().state())],
            "dead_man_switch": null,
            "reconcile": null,
            "rate_counter": null,
        });
        if !op.facts.ready {
            // Paper has nothing to reconcile: ready once the loop runs.
            op.set_ready(true, "");
        }
        op.service(ctx, apply, view)
    }
}

/// What the operator's status says about this run.
pub(crate) fn run_info(args: &RunArgs, mode: &str) -> RunInfo {
    let (base, quote) = args.symbol.split_once('/').unwrap_or((&args.symbol, ""));
    RunInfo {
        mode: mode.into(),
        venue: match args.venue {
            VenueKind::Mock => "mock".into(),
            VenueKind::Kraken => "kraken".into(),
        },
        symbol: args.symbol.clone(),
        base_asset: base.into(),
        quote_asset: quote.into(),
        started_at: SystemClock.now().millis(),
    }
}

fn drive<J: JournalSink>(
    mut session: PaperSession<J>,
    rx: std::sync::mpsc::Receiver<RunInput>,
    surface: &mut Surface<'_>,
) -> anyhow::Result<(Paper<J>, Summary)> {
    let clock = SystemClock;
    let started = Instant::now();
    let mut last = clock.now();
    loop {
        match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(input) => {
                last = clock.now();
                if session.step(input, last)? == Control::Stop {
                    break;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        surface.service(
            &mut session,
            last,
            |s, cmd| Ok(s.command(cmd, clock.now())?),
            |s, run, facts| grid_view(s.engine(), run, facts),
        )?;
    }
    let (trades, ticks) = session.counts();
    let data = session.data();
    let first_price = session.first_price().unwrap_or(Price::ZERO);
    let (engine, lines) = session.finish()?;
    if let Some(lines) = lines {
        eprintln!("recorded {lines} inputs");
    }
    eprintln!(
        "{trades} trades, {ticks} ticks in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let summary = summarize(&engine, first_price, &data)?;
    Ok((engine, summary))
}

fn apply_all<J: JournalSink>(
    mut session: PaperSession<J>,
    inputs: Vec<flywheel_runner::input::Stamped>,
) -> anyhow::Result<(Paper<J>, Summary)> {
    for s in inputs {
        if session.apply(s)? == Control::Stop {
            break;
        }
    }
    let data = session.data();
    let first_price = session.first_price().unwrap_or(Price::ZERO);
    let (engine, _) = session.finish()?;
    let summary = summarize(&engine, first_price, &data)?;
    Ok((engine, summary))
}

fn summarize<J: JournalSink>(
    engine: &Paper<J>,
    first_price: Price,
    data: &flywheel_engine::DataStats,
) -> anyhow::Result<Summary> {
    if data.events == 0 {
        bail!("the session saw no trades: nothing to summarize");
    }
    Ok(Summary::build(
        engine,
        vec!["paper session".into()],
        data,
        first_price,
    ))
}

pub(crate) fn start_feed(
    rt: &tokio::runtime::Runtime,
    args: &RunArgs,
    tx: Sender<RunInput>,
) -> anyhow::Result<flywheel_runner::feed::TradeFeed> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut market = MarketConfig::new(&args.symbol);
    // The session takes the raw frames and decodes them itself, so `--record` keeps the
    // public feed verbatim.
    market.frames = true;
    let mock = match args.venue {
        VenueKind::Kraken => None,
        VenueKind::Mock => {
            let mock_cfg = MockConfig::for_symbol(&args.symbol).with_context(|| {
                format!(
                    "--symbol {}: the mock serves DOGE/USD and SOL/USD",
                    args.symbol
                )
            })?;
            let mock = rt
                .block_on(MockKraken::start(mock_cfg))
                .context("mock Kraken")?;
            market.ws.url = mock.ws_public_url();
            Some(mock)
        }
    };
    let _g = rt.enter();
    let feed = flywheel_runner::feed::trades(market, clock, tx.clone());
    if let (Some(mock), Some(path)) = (mock, args.replay.clone()) {
        // Start the replay once the feed is subscribed, so no print is missed; stop the
        // session when it ends.
        let ws = feed.handle.ws().clone();
        let forwarded = feed.forwarded_counter();
        let speed = args.speed;
        rt.spawn(async move {
            let until = Instant::now() + Duration::from_secs(10);
            while !ws.state().connected && Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            let done = mock.replay(ReplayConfig { path, speed }).await;
            let prints = match done {
                Ok(Ok(n)) => {
                    eprintln!("replay ended after {n} prints");
                    n as u64
                }
                Ok(Err(e)) => {
                    eprintln!("replay failed: {e}");
                    0
                }
                Err(e) => {
                    eprintln!("replay task failed: {e}");
                    0
                }
            };
            // Stop only once every print has come through the feed (a slow consumer is
            // seconds behind the mock at high speed), or after 30 s without progress.
            let mut last = (forwarded.load(Ordering::Relaxed), Instant::now());
            while forwarded.load(Ordering::Relaxed) < prints {
                let now = forwarded.load(Ordering::Relaxed);
                if now != last.0 {
                    last = (now, Instant::now());
                } else if last.1.elapsed() > Duration::from_secs(30) {
                    eprintln!("warning: {} of {prints} prints came through the feed", now);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let _ = tx.send(RunInput::Stop);
        });
    }
    Ok(feed)
}

/// SIGINT and SIGTERM stop the session after the current step.
pub(crate) fn stop_on_signals(rt: &tokio::runtime::Runtime, tx: Sender<RunInput>) {
    rt.spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        eprintln!("stopping: finishing the current step");
        let _ = tx.send(RunInput::Stop);
    });
}
