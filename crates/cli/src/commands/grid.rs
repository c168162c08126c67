//! The grid strategy (seeds 000 and 001) on the simulated exchange: one function,
//! [`run_engine`], does every grid run of `backtest`, `compare` and `demo`; they differ only
//! in where the events come from and where the results go.
//!
//! The exchange is built by [`grid_exchange`] *before* the run, so a configuration the
//! exchange refuses fails before any data is read (and, in `compare`, before either side
//! runs). A run over no events at all is an error, never an all-zero summary.

use std::io::Write;
use std::time::Instant;

use anyhow::Context;
use flywheel_core::Price;
use flywheel_engine::backtest::DataStats;
use flywheel_engine::config::instrument;
use flywheel_engine::journal::{JournalSink, NoJournal};
use flywheel_engine::{run_backtest, Engine, Summary};
use flywheel_marketdata::MarketEvent;
use flywheel_venue::SimExchange;

use crate::config_file::FlywheelConfig;
use crate::outputs::{close_journal, journal_sink, JournalEnd};

/// One finished grid run.
#[derive(Debug)]
pub struct RunResult {
    pub summary: Summary,
    pub html: Option<String>,
}

/// The simulated exchange for the grid: instrument from `[grid]` and `[venue]`, account
/// from `[backtest]`.
pub fn grid_exchange(cfg: &FlywheelConfig) -> anyhow::Result<SimExchange> {
    let inst = instrument(&cfg.grid, &cfg.venue).context("instrument from [grid] and [venue]")?;
    SimExchange::new(inst, cfg.venue.sim(), cfg.backtest.start_balances())
        .map_err(|e| anyhow::anyhow!("simulated exchange: {e}"))
}

/// Refuse a run that read nothing: an all-zero summary of an empty file looks like a
/// strategy that never traded, which is a wrong answer, not an empty one.
pub fn ensure_events(data: &DataStats, files: &[String]) -> anyhow::Result<()> {
    if data.events == 0 {
        anyhow::bail!(
            "no events in {}: it holds no market data (empty, or a header only)",
            files.join(", ")
        );
    }
    Ok(())
}

/// Run the grid over `events` with `cfg` on `sim`. `files` names the data in the summary.
///
/// The journal, if any, is streamed to `journal` as JSON lines. A journal write error does
/// not stop the run (the summary is still worth having): it is returned beside the result,
/// for the caller to report after writing the other outputs. `_progress` is kept for the
/// callers' sake and ignored: a caller that wants a progress bar wraps `events` in one
/// ([`crate::progress::track`]), which knows the file's size and so the ETA.
pub fn run_engine<E: std::fmt::Display, W: Write>(
    cfg: &FlywheelConfig,
    sim: SimExchange,
    files: Vec<String>,
    events: impl IntoIterator<Item = Result<MarketEvent, E>>,
    journal: Option<W>,
    want_report: bool,
    _progress: bool,
) -> anyhow::Result<(RunResult, JournalEnd)> {
    match journal {
        Some(out) => {
            let engine = grid_engine(cfg, sim, journal_sink(out));
            let (result, engine) = drive(engine, files, events, want_report)?;
            let (_, sink) = engine.into_parts();
            Ok((result, Some(close_journal(sink))))
        }
        None => {
            let engine = grid_engine(cfg, sim, NoJournal);
            Ok((drive(engine, files, events, want_report)?.0, None))
        }
    }
}

type Sim<J> = Engine<SimExchange, J>;

/// The grid engine of `cfg` over `sim`, journaling to `journal`: governor, leak patches and
/// ancillary cyclers as configured. Every grid run (backtest, paper, replay) is built here.
pub fn grid_engine<V: flywheel_venue::Venue, J: JournalSink>(
    cfg: &FlywheelConfig,
    venue: V,
    journal: J,
) -> Engine<V, J> {
    Engine::new(cfg.grid.clone(), venue, journal)
        .with_governor(cfg.rebalance.clone())
        .with_leak(cfg.leak.clone())
        .with_ancillary(cfg.rangers.clone(), cfg.churners.clone())
}

fn drive<J: JournalSink, E: std::fmt::Display>(
    mut engine: Sim<J>,
    files: Vec<String>,
    events: impl IntoIterator<Item = Result<MarketEvent, E>>,
    want_report: bool,
) -> anyhow::Result<(RunResult, Sim<J>)> {
    let started = Instant::now();
    let mut first_price = Price::ZERO;
    let events = events.into_iter().inspect(|ev| {
        if first_price.is_zero() {
            if let Ok(ev) = ev {
                first_price = flywheel_engine::backtest::event_price(ev);
            }
        }
    });
    let data = run_backtest(&mut engine, events, |_| {}).map_err(|e| anyhow::anyhow!("{e}"))?;
    ensure_events(&data, &files)?;
    let wall = started.elapsed().as_secs_f64();
    let mut summary = Summary::build(&engine, files, &data, first_price);
    summary.run.wall_s = wall;
    summary.run.events_per_s = if wall > 0.0 {
        data.events as f64 / wall
    } else {
        0.0
    };
    let html = want_report.then(|| {
        flywheel_engine::report::render_html(
            "Flywheel backtest",
            &summary,
            engine.samples(),
            engine.fill_marks(),
        )
    });
    Ok((RunResult { summary, html }, engine))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    /// Accepts `room` bytes, then fails every write like a full disk.
    struct FullAfter {
        room: usize,
        written: usize,
    }

    impl Write for FullAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.written >= self.room {
                return Err(io::Error::from_raw_os_error(28)); // ENOSPC
            }
            let n = buf.len().min(self.room - self.written);
            self.written += n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn bars(n: usize) -> flywheel_marketdata::MarketDataReader {
        let mut csv = String::from("time,open,high,low,close,volume\n");
        let path = ["0.1", "0.098", "0.1", "0.102"];
        for i in 0..n {
            let t = 1_704_067_200 + 60 * i;
            let (o, c) = (path[i % 4], path[(i + 1) % 4]);
            let (hi, lo) = if o >= c { (o, c) } else { (c, o) };
            csv.push_str(&format!("{t},{o},{hi},{lo},{c},1000\n"));
        }
        flywheel_marketdata::MarketDataReader::from_reader(io::Cursor::new(csv), "mem.csv")
            .expect("reader")
    }

    #[test]
    fn a_journal_that_fills_the_disk_mid_run_leaves_the_run_complete() {
        let cfg = FlywheelConfig::default();
        let n = 3_000;
        // Measure the whole journal first, then let the disk fill a quarter of the way in.
        // The sink's buffer holds 1 MiB, so the first write reaches the disk at 1 MiB: with
        // a journal over 2 MiB that write fails while the run is still going, not at the
        // final flush.
        let mut counter = FullAfter {
            room: usize::MAX,
            written: 0,
        };
        let (_, whole) = run_engine(
            &cfg,
            grid_exchange(&cfg).expect("exchange"),
            vec!["mem.csv".into()],
            bars(n),
            Some(&mut counter),
            false,
            false,
        )
        .expect("run");
        whole
            .expect("journal asked")
            .expect("the counter never fails");
        assert!(
            counter.written > 2 << 20,
            "journal is {} bytes",
            counter.written
        );

        let full = FullAfter {
            room: counter.written / 4,
            written: 0,
        };
        let (result, end) = run_engine(
            &cfg,
            grid_exchange(&cfg).expect("exchange"),
            vec!["mem.csv".into()],
            bars(n),
            Some(full),
            true,
            false,
        )
        .expect("the run itself succeeds");
        assert_eq!(result.summary.data.events, n as u64, "every event was run");
        assert!(result.html.is_some(), "the report is still rendered");
        let err = end.expect("journal asked").expect_err("the journal failed");
        // The JSON writer wraps the OS error, so its code is gone but its words are not.
        assert!(err.to_string().contains("No space left on device"), "{err}");
    }

    #[test]
    fn no_events_is_an_error_naming_the_file() {
        let cfg = FlywheelConfig::default();
        let err = run_engine(
            &cfg,
            grid_exchange(&cfg).expect("exchange"),
            vec!["mem.csv".into()],
            bars(0),
            None::<io::Sink>,
            false,
            false,
        )
        .expect_err("no events");
        assert!(err.to_string().contains("no events in mem.csv"), "{err}");
    }
}
