//! Running a sweep: every data file decoded once into memory, then every (configuration,
//! file) pair backtested on a rayon pool, each run reading the shared, read-only events.
//!
//! Invariants:
//! - A file is decoded and sanity-checked exactly once per sweep (with the base
//!   configuration's `[sanity]`); a run sees the very events `flywheel backtest` would feed
//!   its engine for that file, so its figures equal a single backtest of the same
//!   configuration.
//! - Results come back in (configuration, file) order whatever the thread count: rayon's
//!   indexed `collect` keeps order, so the output is deterministic.
//! - Money stays exact: per-file figures are the summary's exact decimals, and the totals
//!   over files are exact sums ([`Wide`]). Only ratios (win rate, idle share) are `f64`.

use std::convert::Infallible;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context};
use flywheel_core::Wide;
use flywheel_engine::Summary;
use flywheel_marketdata::sanity::SanityFilter;
use flywheel_marketdata::MarketEvent;
use rayon::prelude::*;
use serde::Serialize;

use crate::commands::grid::{grid_exchange, run_engine};
use crate::commands::sweep_grid::Point;
use crate::config_file::FlywheelConfig;

/// One data file, decoded.
#[derive(Debug)]
pub struct DataFile {
    pub path: PathBuf,
    /// The accepted events, shared read-only by every run.
    pub events: Arc<[MarketEvent]>,
}

/// Decode `path` through the `[sanity]` checks of `cfg`, as `flywheel backtest` reads it.
/// Errors name the file (and line, from the reader).
pub fn decode(path: &Path, cfg: &FlywheelConfig) -> anyhow::Result<DataFile> {
    if flywheel_runner::recording::is_recording(path) {
        bail!(
            "--data {}: a paper-session recording; sweep runs on market data files",
            path.display()
        );
    }
    let reader = flywheel_marketdata::open(path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let filter = SanityFilter::new(reader, &cfg.sanity).map_err(|problems| {
        let text: Vec<String> = problems
            .iter()
            .map(|p| format!("sanity.{}: {}", p.key, p.message))
            .collect();
        anyhow::anyhow!("{}", text.join("; "))
    })?;
    let events = filter
        .collect::<Result<Vec<MarketEvent>, _>>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if events.is_empty() {
        bail!(
            "no events in {}: it holds no market data (empty, or a header only)",
            path.display()
        );
    }
    Ok(DataFile {
        path: path.to_path_buf(),
        events: events.into(),
    })
}

/// The figures of one run (one configuration on one file), or their total over files.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// Equity change minus the change of simply holding the starting balances.
    pub vs_hold_usd: Wide,
    pub equity_change_usd: Wide,
    pub realized_usd: Wide,
    pub unrealized_usd: Wide,
    pub fees_usd: Wide,
    /// The largest drawdown (over files: the worst one).
    pub max_drawdown_usd: Wide,
    pub round_trips: u64,
    pub wins: u64,
    pub losses: u64,
    /// Mean idle-USD ratio (over files: the mean of the files' means).
    pub idle_mean_ratio: f64,
    /// Whether the run halted (over files: any).
    pub halted: bool,
}

impl Metrics {
    fn of(summary: &Summary) -> Metrics {
        let p = &summary.pnl;
        Metrics {
            vs_hold_usd: p.vs_hold_usd,
            equity_change_usd: p.equity_change_usd,
            realized_usd: p.realized_usd,
            unrealized_usd: p.unrealized_usd,
            fees_usd: p.fees_usd,
            max_drawdown_usd: p.max_drawdown_usd,
            round_trips: p.round_trips,
            wins: p.wins,
            losses: p.losses,
            idle_mean_ratio: summary.idle_usd.mean_ratio,
            halted: summary.integrity.halted,
        }
    }

    /// The total over the files' figures (see the field docs for how each one adds up).
    pub fn total(per_file: &[Metrics]) -> Metrics {
        let n = per_file.len().max(1) as f64;
        let mut t = Metrics::default();
        for m in per_file {
            t.vs_hold_usd += m.vs_hold_usd;
            t.equity_change_usd += m.equity_change_usd;
            t.realized_usd += m.realized_usd;
            t.unrealized_usd += m.unrealized_usd;
            t.fees_usd += m.fees_usd;
            t.max_drawdown_usd = t.max_drawdown_usd.max(m.max_drawdown_usd);
            t.round_trips += m.round_trips;
            t.wins += m.wins;
            t.losses += m.losses;
            t.idle_mean_ratio += m.idle_mean_ratio / n;
            t.halted |= m.halted;
        }
        t
    }

    /// Wins over closed trades (wins + losses); 0 when none closed.
    pub fn win_rate(&self) -> f64 {
        let closed = self.wins + self.losses;
        if closed == 0 {
            0.0
        } else {
            self.wins as f64 / closed as f64
        }
    }
}

/// One configuration's results.
#[derive(Clone, Debug)]
pub struct Row {
    /// Index of the configuration (its place in the grid's odometer order).
    pub index: usize,
    /// Value index per axis.
    pub at: Vec<usize>,
    pub total: Metrics,
    /// One entry per data file, in `--data` order.
    pub per_file: Vec<Metrics>,
}

/// Runs done so far, drawn on stderr when it is a terminal.
struct Progress {
    done: AtomicUsize,
    total: usize,
    show: bool,
    err: Mutex<std::io::Stderr>,
}

impl Progress {
    fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if self.show {
            if let Ok(mut err) = self.err.lock() {
                let _ = write!(err, "\r  sweep: {done}/{} runs", self.total);
                if done == self.total {
                    let _ = writeln!(err);
                }
            }
        }
    }
}

/// Backtest one configuration on one file.
fn run_one(cfg: &FlywheelConfig, file: &DataFile) -> anyhow::Result<Metrics> {
    let sim = grid_exchange(cfg)?;
    let events = file.events.iter().cloned().map(Ok::<_, Infallible>);
    let name = vec![file.path.display().to_string()];
    let (result, _) = run_engine(cfg, sim, name, events, None::<std::io::Sink>, false, false)?;
    Ok(Metrics::of(&result.summary))
}

/// Run every point on every file with `jobs` threads; rows in point order.
pub fn run_all(
    points: &[Point],
    files: &[DataFile],
    jobs: usize,
    progress: bool,
) -> anyhow::Result<Vec<Row>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("cannot start the worker threads")?;
    let progress = Progress {
        done: AtomicUsize::new(0),
        total: points.len() * files.len(),
        show: progress && std::io::stderr().is_terminal(),
        err: Mutex::new(std::io::stderr()),
    };
    let pairs: Vec<(usize, usize)> = (0..points.len())
        .flat_map(|p| (0..files.len()).map(move |f| (p, f)))
        .collect();
    let results: Vec<anyhow::Result<Metrics>> = pool.install(|| {
        pairs
            .par_iter()
            .map(|&(p, f)| {
                let m = run_one(&points[p].config, &files[f])
                    .with_context(|| format!("{}", files[f].path.display()));
                progress.tick();
                m
            })
            .collect()
    });
    let mut results = results.into_iter();
    points
        .iter()
        .enumerate()
        .map(|(index, point)| {
            let per_file = results
                .by_ref()
                .take(files.len())
                .collect::<anyhow::Result<Vec<Metrics>>>()
                .with_context(|| format!("configuration {}", index + 1))?;
            Ok(Row {
                index,
                at: point.at.clone(),
                total: Metrics::total(&per_file),
                per_file,
            })
        })
        .collect()
}

/// Decode every file (in parallel, `jobs` threads), in `--data` order.
pub fn decode_all(
    paths: &[PathBuf],
    cfg: &FlywheelConfig,
    jobs: usize,
) -> anyhow::Result<Vec<DataFile>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("cannot start the worker threads")?;
    pool.install(|| paths.par_iter().map(|p| decode(p, cfg)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(vs_hold: i64, dd: i64, wins: u64, losses: u64, idle: f64) -> Metrics {
        Metrics {
            vs_hold_usd: Wide::from_raw(i128::from(vs_hold)),
            max_drawdown_usd: Wide::from_raw(i128::from(dd)),
            round_trips: wins + losses,
            wins,
            losses,
            idle_mean_ratio: idle,
            ..Metrics::default()
        }
    }

    #[test]
    fn total_table() {
        let cases = [
            ("empty", vec![], m(0, 0, 0, 0, 0.0)),
            ("one file", vec![m(5, 3, 1, 2, 0.5)], m(5, 3, 1, 2, 0.5)),
            (
                "sums, worst drawdown, mean idle",
                vec![m(5, 3, 1, 2, 0.5), m(-7, 9, 3, 0, 0.25)],
                m(-2, 9, 4, 2, 0.375),
            ),
        ];
        for (name, files, want) in cases {
            assert_eq!(Metrics::total(&files), want, "case {name}");
        }
    }

    #[test]
    fn win_rate_table() {
        let cases = [("none closed", 0, 0, 0.0), ("3 of 4", 3, 1, 0.75)];
        for (name, wins, losses, want) in cases {
            assert_eq!(m(0, 0, wins, losses, 0.0).win_rate(), want, "case {name}");
        }
    }
}
