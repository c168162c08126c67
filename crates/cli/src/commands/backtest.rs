//! `flywheel backtest`, `flywheel compare` and `flywheel demo`: run a strategy (the grid,
//! [`crate::commands::grid`], or the maker, [`crate::commands::maker`]) over market data on
//! the simulated exchange and report.
//!
//! Output goes where the user asked: on stdout the headline table ([`crate::headline`]),
//! followed by every key of the summary with `--verbose`; the JSON summary (`--json FILE`;
//! `--json` alone or `--json -` prints only the JSON on stdout, for machines), the HTML report
//! (`--report FILE`) and the journal (`--journal FILE`, JSON lines); `-` is standard output,
//! and whenever an output goes there no table is printed. A progress bar
//! ([`crate::progress`]) is drawn on stderr only when it is a terminal and `CI` is unset.
//!
//! Every command does all its checking before the first event is read, in this order:
//! outputs (no output names an input, each directory writable — [`crate::outputs`]), then
//! the configuration and the exchange it builds, then the data file. A mistake therefore
//! costs no run time, and a failed run leaves existing files as they were. An empty data
//! file is an error, not an all-zero summary.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Args;
use flywheel_core::Price;
use flywheel_engine::summary::SanitySummary;
use flywheel_marketdata::sanity::SanityFilter;
use flywheel_marketdata::{DataError, MarketDataReader};
use flywheel_venue::SimExchange;
use serde::Serialize;
use serde_json::Value;

use crate::commands::grid::{grid_exchange, run_engine};
use crate::commands::maker::{maker_exchange, run_maker};
use crate::config_file::{load_config_with, FlywheelConfig};
use crate::headline;
use crate::outputs::{Input, OutputSet};
use crate::overrides::{process_env, Override};
use crate::progress::{self, CountingRead, Measure};
use crate::table::{
    headline_comparison_text, headline_text, print_comparison, print_summary, print_text,
};

/// Where the configuration comes from.
#[derive(Debug, Args, Clone, Default)]
pub struct ConfigSource {
    /// TOML configuration file (see `flywheel config defaults`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override one key, e.g. `--set grid.slots=20` (repeatable; applied after the file
    /// and the FLYWHEEL_SECTION__KEY environment variables).
    #[arg(long = "set", value_name = "SECTION.KEY=VALUE")]
    pub set: Vec<String>,
}

/// What to write besides the summary table.
#[derive(Debug, Args, Clone, Default)]
pub struct Outputs {
    /// Write the JSON summary here; `--json` alone (or `-`) prints only the JSON on standard
    /// output.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    pub json: Option<PathBuf>,
    /// Write the self-contained HTML report here (`-` = standard output).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Write the journal (every event, action, placement and fill) as JSON lines here
    /// (`-` = standard output).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// No progress line and no summary table.
    #[arg(long)]
    pub quiet: bool,
    /// After the headline, print every key of the summary.
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub verbose: bool,
}

/// Which strategy a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Strategy {
    /// The grid slots (seeds 000 and 001).
    #[default]
    Grid,
    /// The market maker with its hedger (seed 002).
    Maker,
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// The strategy to run.
    #[arg(long, value_enum, default_value_t = Strategy::Grid)]
    pub strategy: Strategy,
    /// Market data: freqtrade JSON candles, Tardis trades CSV, Kraken time & sales CSV, an
    /// OHLC CSV with a header, a Binance kline archive or a Kraken OHLCVT file; gzip is
    /// detected by content (see `flywheel data inspect FILE`).
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    #[command(flatten)]
    pub config: ConfigSource,
    #[command(flatten)]
    pub out: Outputs,
}

/// Parse `--set section.key=value` options into overrides.
pub fn set_overrides(sets: &[String]) -> anyhow::Result<Vec<Override>> {
    sets.iter()
        .map(|s| {
            let Some((key, value)) = s.split_once('=') else {
                bail!("--set {s:?}: expected SECTION.KEY=VALUE, e.g. --set grid.slots=20");
            };
            let path: Vec<String> = key.trim().split('.').map(str::to_string).collect();
            if path.len() < 2 || path.iter().any(String::is_empty) {
                bail!("--set {s:?}: the key must be SECTION.KEY, e.g. grid.slots");
            }
            Ok(Override {
                origin: format!("--set {s}"),
                path,
                value: value.trim().to_string(),
            })
        })
        .collect()
}

/// Load the configuration: file, then environment overrides, then `--set`.
pub fn load(source: &ConfigSource) -> anyhow::Result<FlywheelConfig> {
    let mut overrides =
        Override::from_env(process_env()).map_err(crate::config_file::ConfigError::Invalid)?;
    overrides.extend(set_overrides(&source.set)?);
    Ok(load_config_with(source.config.as_deref(), &overrides)?)
}

/// The validator of operator `set` commands for a run loaded from `source`: the same file
/// text and overrides, so a runtime set is refused exactly as the file would refuse it. A
/// configuration read from standard input cannot be read again: the run then refuses every
/// `set` (and says so once).
pub fn set_validator(
    source: &ConfigSource,
    strategy: Strategy,
) -> anyhow::Result<Option<Box<dyn flywheel_runner::command::SetValidator>>> {
    let mut overrides =
        Override::from_env(process_env()).map_err(crate::config_file::ConfigError::Invalid)?;
    overrides.extend(set_overrides(&source.set)?);
    match crate::runtime_set::RuntimeSet::from_path(strategy, source.config.as_deref(), &overrides)
    {
        Ok(v) => Ok(Some(Box::new(v))),
        Err(e) => {
            eprintln!("warning: operator `set` commands will be refused: {e}");
            Ok(None)
        }
    }
}

/// Open a data file behind the `[sanity]` checks (outlier prints, gaps); its errors are
/// one self-contained line (file:line and reason). The bytes read from the file are counted
/// into `read`, for the progress bar.
fn open_data(
    path: &Path,
    cfg: &FlywheelConfig,
    read: Arc<AtomicU64>,
) -> anyhow::Result<SanityFilter> {
    // As `flywheel_marketdata::open`, with the file counted below the decompressor.
    let name = path.display().to_string();
    let reader = std::fs::File::open(path)
        .map_err(|source| DataError::Open {
            file: name.clone(),
            source,
        })
        .and_then(|file| MarketDataReader::from_reader(CountingRead::new(file, read), name))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    SanityFilter::new(reader, &cfg.sanity).map_err(|problems| {
        // `load` validated [sanity] already; this is the filter's own word on it.
        let text: Vec<String> = problems
            .iter()
            .map(|p| format!("sanity.{}: {}", p.key, p.message))
            .collect();
        anyhow::anyhow!("{}", text.join("; "))
    })
}

/// What the sanity check did, for the summary.
fn sanity_summary(filter: &SanityFilter, cfg: &FlywheelConfig) -> SanitySummary {
    SanitySummary::new(cfg.sanity.mode, filter.stats())
}

/// The files `source` reads, as inputs no output may name.
fn config_inputs(source: &ConfigSource, what: &str) -> Vec<Input> {
    source.config.iter().map(|p| Input::new(what, p)).collect()
}

/// A summary as the JSON text written to `--json` and the value the table is printed from.
fn summary_forms(summary: &impl Serialize) -> anyhow::Result<(String, Value)> {
    Ok((
        serde_json::to_string_pretty(summary)? + "\n",
        serde_json::to_value(summary)?,
    ))
}

/// A progress bar over the data file `path` read through `read` (drawn only if `show` and
/// [`progress::wanted`]).
fn file_bar(show: bool, label: &str, path: &Path, read: &Arc<AtomicU64>) -> progress::Bar {
    let total = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let measure = Measure::Bytes {
        total,
        read: Arc::clone(read),
    };
    progress::Bar::new(progress::wanted(show), label, measure)
}

/// The headline of `summary` under `title`, then (`verbose`) every key of it.
fn print_tables(title: &str, summary: &Value, verbose: bool) -> std::io::Result<()> {
    print_text(&headline_text(title, &headline::rows(summary)))?;
    if verbose {
        print_text("\n")?;
        print_summary(summary)?;
    }
    Ok(())
}

/// The file name of a data path, for a title (the full path is in the summary).
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// How a side of `compare` is configured, for the title: its file and `--set` overrides.
fn side_name(source: &ConfigSource) -> String {
    let mut parts: Vec<String> = source.config.iter().map(|p| file_name(p)).collect();
    parts.extend(source.set.iter().cloned());
    if parts.is_empty() {
        "defaults".to_string()
    } else {
        parts.join(" ")
    }
}

/// `flywheel backtest`: outputs checked and opened, configuration loaded and the exchange
/// built, data opened — all before the first event is read.
pub fn backtest(args: BacktestArgs) -> anyhow::Result<()> {
    if flywheel_runner::recording::is_recording(&args.data) {
        // A paper session's recording: its stamped inputs, replayed step for step.
        if args.out.json.is_some() || args.out.report.is_some() {
            bail!(
                "--data {} is a paper-session recording: it replays with --journal only \
                 (see `flywheel replay`)",
                args.data.display()
            );
        }
        return crate::commands::run::replay(crate::commands::run::ReplayArgs {
            recording: args.data,
            strategy: args.strategy,
            journal: args.out.journal,
            config: args.config,
        });
    }
    let mut inputs = vec![Input::new("--data", &args.data)];
    inputs.extend(config_inputs(&args.config, "--config"));
    let out = &args.out;
    let outputs = OutputSet::prepare(
        &inputs,
        out.json.as_deref(),
        out.report.as_deref(),
        out.journal.as_deref(),
    )?;
    let cfg = load(&args.config)?;
    let sim = match args.strategy {
        Strategy::Grid => grid_exchange(&cfg)?,
        Strategy::Maker => maker_exchange(&cfg)?,
    };
    let read = Arc::new(AtomicU64::new(0));
    let mut reader = open_data(&args.data, &cfg, Arc::clone(&read))?;
    let files = vec![args.data.display().to_string()];
    let journal = outputs.journal_stream()?;
    let want_report = outputs.report.is_some();
    let bar = file_bar(!out.quiet, "backtest", &args.data, &read);
    let events = progress::track(reader.by_ref(), bar);
    let ((json, table), html, journal_end) = match args.strategy {
        Strategy::Grid => {
            let (mut r, end) =
                run_engine(&cfg, sim, files, events, journal, want_report, !out.quiet)?;
            r.summary.data.sanity = Some(sanity_summary(&reader, &cfg));
            (summary_forms(&r.summary)?, r.html, end)
        }
        Strategy::Maker => {
            let (mut r, end) = run_maker(&cfg, sim, files, events, journal, want_report)?;
            r.summary.data.sanity = Some(sanity_summary(&reader, &cfg));
            (summary_forms(&r.summary)?, r.html, end)
        }
    };
    let show_table = !out.quiet && !outputs.uses_stdout();
    let written = outputs.finish(&json, html.as_deref(), journal_end);
    // The table is printed even when an output failed: the run's figures are still true.
    let title = format!("Flywheel backtest: {}", file_name(&args.data));
    let printed = show_table
        .then(|| print_tables(&title, &table, out.verbose))
        .transpose();
    written.and(
        printed
            .context("summary table on standard output")
            .map(drop),
    )
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The strategy to run on both sides.
    #[arg(long, value_enum, default_value_t = Strategy::Grid)]
    pub strategy: Strategy,
    /// Market data file (as for `backtest`).
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Configuration files: give two (A then B), or one (used by both sides), or none.
    #[arg(long, value_name = "FILE", num_args = 1)]
    pub config: Vec<PathBuf>,
    /// Override for side A (repeatable), e.g. `--set-a rebalance.enabled=false`.
    #[arg(long = "set-a", value_name = "SECTION.KEY=VALUE")]
    pub set_a: Vec<String>,
    /// Override for side B (repeatable).
    #[arg(long = "set-b", value_name = "SECTION.KEY=VALUE")]
    pub set_b: Vec<String>,
    /// Write `{"a": summary, "b": summary}` here; `--json` alone (or `-`) prints only the
    /// JSON on standard output.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    pub json: Option<PathBuf>,
    /// After the headlines, print every key of both summaries, differences marked `*`.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

/// One side of `compare`, ready to run: its configuration loaded and checked, its exchange
/// built and its own reader of the data opened.
struct Side {
    cfg: FlywheelConfig,
    sim: SimExchange,
    reader: SanityFilter,
    /// Bytes of the data file read so far, for the progress bar.
    read: Arc<AtomicU64>,
}

impl Side {
    fn prepare(strategy: Strategy, source: &ConfigSource, data: &Path) -> anyhow::Result<Side> {
        let cfg = load(source)?;
        let sim = match strategy {
            Strategy::Grid => grid_exchange(&cfg)?,
            Strategy::Maker => maker_exchange(&cfg)?,
        };
        let read = Arc::new(AtomicU64::new(0));
        let reader = open_data(data, &cfg, Arc::clone(&read))?;
        Ok(Side {
            cfg,
            sim,
            reader,
            read,
        })
    }

    fn run(mut self, strategy: Strategy, data: &Path, label: &str) -> anyhow::Result<Value> {
        let files = vec![data.display().to_string()];
        let no_journal = None::<std::io::Sink>;
        let bar = file_bar(true, label, data, &self.read);
        let events = progress::track(self.reader.by_ref(), bar);
        let summary = match strategy {
            Strategy::Grid => {
                let (mut r, _) =
                    run_engine(&self.cfg, self.sim, files, events, no_journal, false, true)?;
                r.summary.data.sanity = Some(sanity_summary(&self.reader, &self.cfg));
                serde_json::to_value(r.summary)?
            }
            Strategy::Maker => {
                let (mut r, _) = run_maker(&self.cfg, self.sim, files, events, no_journal, false)?;
                r.summary.data.sanity = Some(sanity_summary(&self.reader, &self.cfg));
                serde_json::to_value(r.summary)?
            }
        };
        Ok(summary)
    }
}

/// `flywheel compare`. Both sides are loaded, checked and given their data before either
/// runs: a mistake in side B must not cost the length of side A's run to find. Every error
/// of a side says which (`side A: …`, `side B: …`).
pub fn compare(args: CompareArgs) -> anyhow::Result<()> {
    let (cfg_a, cfg_b) = match args.config.as_slice() {
        [] => (None, None),
        [one] => (Some(one.clone()), Some(one.clone())),
        [a, b] => (Some(a.clone()), Some(b.clone())),
        _ => bail!("--config: give at most two files (A and B)"),
    };
    let source_a = ConfigSource {
        config: cfg_a,
        set: args.set_a.clone(),
    };
    let source_b = ConfigSource {
        config: cfg_b,
        set: args.set_b.clone(),
    };
    let mut inputs = vec![Input::new("--data", &args.data)];
    inputs.extend(config_inputs(&source_a, "side A --config"));
    inputs.extend(config_inputs(&source_b, "side B --config"));
    let outputs = OutputSet::prepare(&inputs, args.json.as_deref(), None, None)?;
    let side_a = Side::prepare(args.strategy, &source_a, &args.data).context("side A")?;
    let side_b = Side::prepare(args.strategy, &source_b, &args.data).context("side B")?;
    let a = side_a
        .run(args.strategy, &args.data, "side A")
        .context("side A")?;
    let b = side_b
        .run(args.strategy, &args.data, "side B")
        .context("side B")?;
    let both = serde_json::json!({ "a": &a, "b": &b });
    let show_table = !outputs.uses_stdout();
    let written = outputs.finish(&(serde_json::to_string_pretty(&both)? + "\n"), None, None);
    let title = format!(
        "Flywheel compare: {} (A: {}, B: {})",
        file_name(&args.data),
        side_name(&source_a),
        side_name(&source_b)
    );
    let printed = show_table
        .then(|| {
            let text = headline_comparison_text(&title, &headline::rows(&a), &headline::rows(&b));
            print_text(&text)?;
            if args.verbose {
                print_text("\n")?;
                print_comparison(&a, &b)?;
            }
            Ok::<(), std::io::Error>(())
        })
        .transpose();
    written.and(
        printed
            .context("comparison table on standard output")
            .map(drop),
    )
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the synthetic market path.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Days of one-minute bars to simulate (1 to 3650).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    #[command(flatten)]
    pub config: ConfigSource,
    /// Write the HTML report here.
    #[arg(long, value_name = "FILE", default_value = "flywheel-demo.html")]
    pub report: PathBuf,
    /// Write the JSON summary here; `--json` alone (or `-`) prints only the JSON on standard
    /// output.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    pub json: Option<PathBuf>,
    /// After the headline, print every key of the summary.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

/// `flywheel demo`: the engine on a built-in synthetic market, so a newcomer sees a report
/// without any data at hand.
pub fn demo(args: DemoArgs) -> anyhow::Result<()> {
    use flywheel_engine::demo::DemoMarket;
    let inputs = config_inputs(&args.config, "--config");
    let outputs = OutputSet::prepare(&inputs, args.json.as_deref(), Some(&args.report), None)?;
    let cfg = load(&args.config)?;
    let sim = grid_exchange(&cfg)?;
    // clap bounds the days; the checked product keeps a wider bound from ever wrapping.
    let bars = usize::try_from(args.days)
        .ok()
        .and_then(|days| days.checked_mul(1440))
        .with_context(|| format!("--days {}: too many bars", args.days))?;
    let start = flywheel_core::Timestamp::from_secs(1_735_689_600); // 2025-01-01T00:00Z
    let market = DemoMarket::new(args.seed, bars, Price::lit(1, 1), start);
    eprintln!("flywheel demo: {} (seed {})", DemoMarket::LABEL, args.seed);
    let total = u64::try_from(bars).unwrap_or(u64::MAX);
    let bar = progress::Bar::new(progress::wanted(true), "demo", Measure::Events { total });
    let events = progress::track(market.map(Ok::<_, std::convert::Infallible>), bar);
    let name = format!("synthetic:seed={}:days={}", args.seed, args.days);
    let no_journal = None::<std::io::Sink>;
    let (result, _) = run_engine(
        &cfg,
        sim,
        vec![name.clone()],
        events,
        no_journal,
        true,
        true,
    )?;
    let (json, table) = summary_forms(&result.summary)?;
    let show_table = !outputs.uses_stdout();
    outputs.finish(&json, result.html.as_deref(), None)?;
    if show_table {
        let title = format!("Flywheel demo: {name} (synthetic market, not real data)");
        print_tables(&title, &table, args.verbose).context("summary table on standard output")?;
    }
    eprintln!("report written to {}", args.report.display());
    Ok(())
}
