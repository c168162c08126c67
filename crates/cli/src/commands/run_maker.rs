//! `flywheel run --mode paper --strategy maker` and `flywheel replay --strategy maker`: the
//! market maker with its hedger (seed 002) on the simulated exchange, driven by a live public
//! feed (or the offline mock Kraken replaying a file) and the wall clock (issue 13).
//!
//! Everything around the engine is the grid session's ([`crate::commands::run`]): the same
//! feed, signals, `--duration`, `--record` and `--journal` files, and the same recording
//! format. The maker itself is built and summarized as `flywheel backtest --strategy maker`
//! builds and summarizes it ([`crate::commands::maker`]): instrument and fees from `[maker]`,
//! the account from `[backtest]`, and its summary table on standard output. Every order
//! event of a session is logged on standard error, one line each with its role and
//! `cl_ord_id` ([`MakerOrderLog`]).
//!
//! Invariants:
//! - One owner: only this thread steps the maker; the feed, the timer and the signals send
//!   inputs over one channel ([`flywheel_runner::maker_session`]).
//! - A session and its replay make the same calls in the same order, so the replay's journal
//!   is the session's, byte for byte. A recording does not name its strategy: replay a maker
//!   session with `--strategy maker` and the configuration it ran with.

use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use flywheel_engine::journal::NoJournal;
use flywheel_engine::maker_journal::MakerSink;
use flywheel_engine::maker_run::MakerEngine;
use flywheel_kraken::net::clock::{Clock, SystemClock};
use flywheel_maker::secs_to_ms;
use flywheel_runner::input::{Input as RunInput, Stamped};
use flywheel_runner::maker_order_log::MakerOrderLog;
use flywheel_runner::maker_session::MakerPaperSession;
use flywheel_runner::recording::{self, Recorder};
use flywheel_runner::session::Control;
use flywheel_venue::{Balances, SimExchange};

use flywheel_runner::journal_tee::Tee;
use flywheel_runner::status_view::maker_view;

use crate::commands::backtest::{load, set_validator, Strategy};
use crate::commands::maker::{maker_engine, maker_exchange, maker_summary, MakerSummary};
use crate::commands::operator_http::OperatorSurface;
use crate::commands::run::{
    new_journal_file, run_info, start_feed, stop_on_signals, ReplayArgs, RunArgs, Surface,
    VenueKind,
};
use crate::config_file::FlywheelConfig;
use crate::outputs::{close_journal, journal_sink};
use crate::table::print_summary;

type Maker<J> = MakerEngine<SimExchange, J>;

/// `flywheel run --mode paper --strategy maker` (the caller refused `--mode live`).
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    if args.venue == VenueKind::Mock && args.replay.is_none() {
        bail!("--venue mock needs --replay FILE: the market data its public feed replays");
    }
    if let Some(p) = &args.replay {
        if !p.is_file() {
            bail!("--replay {}: no such file", p.display());
        }
    }
    let cfg = load(&args.config)?;
    let validator = set_validator(&args.config, Strategy::Maker)?;
    let sim = maker_exchange(&cfg)?;
    let start = cfg.backtest.start_balances();
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
    let _ticker = flywheel_runner::feed::ticker(tick_every(&cfg), tx);
    let mut op = OperatorSurface::start(&rt, &args.http, run_info(&args, "paper"))?;
    let consumer = op.as_ref().map(OperatorSurface::journal_consumer);
    eprintln!(
        "paper session of the maker on {} ({:?} feed); Ctrl-C stops it",
        args.symbol, args.venue
    );
    let mut surface = Surface {
        op: op.as_mut(),
        feed: &feed,
    };
    let summary = match journal {
        Some(file) => {
            let sink = MakerOrderLog::new(Tee::new(journal_sink(file), consumer));
            let maker = maker_engine(&cfg, sim, sink);
            let session = maker_with(MakerPaperSession::new(maker, recorder), validator);
            let (maker, s) = drive(session, rx, &start, &mut surface)?;
            close_journal(maker.finish_journal().into_inner().into_inner()).context("--journal")?;
            s
        }
        None => {
            let maker = maker_engine(&cfg, sim, MakerOrderLog::new(Tee::new(NoJournal, consumer)));
            let session = maker_with(MakerPaperSession::new(maker, recorder), validator);
            drive(session, rx, &start, &mut surface)?.1
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

/// `flywheel replay --strategy maker`: a recording through the same steps, to the same
/// journal.
pub fn replay(args: ReplayArgs) -> anyhow::Result<()> {
    let cfg = load(&args.config)?;
    let validator = set_validator(&args.config, Strategy::Maker)?;
    let sim = maker_exchange(&cfg)?;
    let start = cfg.backtest.start_balances();
    let inputs = recording::read(&args.recording)?;
    let n = inputs.len();
    let summary = match args.journal.as_deref() {
        Some(p) => {
            let file = new_journal_file(p)?;
            let maker = maker_engine(&cfg, sim, journal_sink(file));
            let session = maker_with(MakerPaperSession::new(maker, None), validator);
            let (maker, s) = apply_all(session, inputs, &start)?;
            close_journal(maker.finish_journal()).context("--journal")?;
            s
        }
        None => {
            let maker = maker_engine(&cfg, sim, NoJournal);
            let session = maker_with(MakerPaperSession::new(maker, None), validator);
            apply_all(session, inputs, &start)?.1
        }
    };
    eprintln!("replayed {n} inputs from {}", args.recording.display());
    print_summary(&serde_json::to_value(&summary)?).context("summary on standard output")?;
    Ok(())
}

/// The wall-clock timer's period: the hedger's poll (`hedger.poll_interval_seconds`), so its
/// 0.5 s passive wait and 2 s cooldown are kept when no print comes, but at most 1 s (the
/// grid session's tick, and what a poll of 0 — timer off — still gets, for a regular
/// recording) and at least 100 ms (a recording line per tick).
fn maker_with<J: MakerSink>(
    s: MakerPaperSession<J>,
    v: Option<Box<dyn flywheel_runner::command::SetValidator>>,
) -> MakerPaperSession<J> {
    match v {
        Some(v) => s.with_validator(v),
        None => s,
    }
}

fn tick_every(cfg: &FlywheelConfig) -> Duration {
    let poll = secs_to_ms(cfg.hedger.poll_interval_seconds);
    let ms = if poll > 0 {
        poll.clamp(100, 1000)
    } else {
        1000
    };
    Duration::from_millis(u64::try_from(ms).unwrap_or(1000))
}

fn drive<J: MakerSink>(
    mut session: MakerPaperSession<J>,
    rx: Receiver<RunInput>,
    start: &Balances,
    surface: &mut Surface<'_>,
) -> anyhow::Result<(Maker<J>, MakerSummary)> {
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
            |s, run, facts| maker_view(s.maker(), run, facts),
        )?;
    }
    let (trades, ticks) = session.counts();
    let data = session.data();
    let (maker, lines) = session.finish()?;
    if let Some(lines) = lines {
        eprintln!("recorded {lines} inputs");
    }
    let wall = started.elapsed().as_secs_f64();
    eprintln!("{trades} trades, {ticks} ticks in {wall:.1} s");
    let summary = summarize(&maker, &data, start, wall)?;
    Ok((maker, summary))
}

fn apply_all<J: MakerSink>(
    mut session: MakerPaperSession<J>,
    inputs: Vec<Stamped>,
    start: &Balances,
) -> anyhow::Result<(Maker<J>, MakerSummary)> {
    let started = Instant::now();
    for s in inputs {
        if session.apply(s)? == Control::Stop {
            break;
        }
    }
    let data = session.data();
    let (maker, _) = session.finish()?;
    let summary = summarize(&maker, &data, start, started.elapsed().as_secs_f64())?;
    Ok((maker, summary))
}

fn summarize<J: MakerSink>(
    maker: &Maker<J>,
    data: &flywheel_engine::DataStats,
    start: &Balances,
    wall: f64,
) -> anyhow::Result<MakerSummary> {
    if data.events == 0 {
        bail!("the session saw no trades: nothing to summarize");
    }
    Ok(maker_summary(
        maker,
        vec!["paper session".into()],
        data,
        start,
        wall,
    ))
}
