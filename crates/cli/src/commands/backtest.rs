//! `flywheel backtest`, `flywheel compare` and `flywheel demo`: run the grid engine over
//! market data on the simulated exchange and report.
//!
//! One function, [`run_engine`], does every run: the commands differ only in where the
//! events come from and what is printed. Output goes where the user asked: a human summary
//! table on stdout, the JSON summary (`--json FILE`, `-` = stdout), the HTML report
//! (`--report FILE`) and the journal (`--journal FILE`, JSON lines). A progress line is
//! drawn on stderr only when it is a terminal.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use flywheel_core::Price;
use flywheel_engine::config::instrument;
use flywheel_engine::journal::{JournalSink, JsonLines, NoJournal};
use flywheel_engine::{run_backtest, Engine, Summary};
use flywheel_marketdata::MarketEvent;
use flywheel_venue::SimExchange;

use crate::config_file::{load_config_with, FlywheelConfig};
use crate::overrides::{process_env, Override};
use crate::table::{print_comparison, print_summary};

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
    /// Write the JSON summary here (`-` = standard output).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the self-contained HTML report here.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Write the journal (every event, action, placement and fill) as JSON lines here.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// No progress line and no summary table.
    #[arg(long)]
    pub quiet: bool,
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
    /// Market data: freqtrade JSON candles, Tardis trades CSV, Kraken time & sales CSV or an
    /// OHLC CSV with a header; gzip is detected by content.
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

/// One finished run.
#[derive(Debug)]
pub struct RunResult {
    pub summary: Summary,
    pub html: Option<String>,
}

/// Run the engine over `events` with `cfg`. `files` names the data in the summary.
pub fn run_engine<E: std::fmt::Display>(
    cfg: &FlywheelConfig,
    files: Vec<String>,
    events: impl IntoIterator<Item = Result<MarketEvent, E>>,
    journal: Option<&Path>,
    want_report: bool,
    progress: bool,
) -> anyhow::Result<RunResult> {
    let inst = instrument(&cfg.grid, &cfg.venue).context("instrument from [grid] and [venue]")?;
    let sim = SimExchange::new(inst, cfg.venue.sim(), cfg.backtest.start_balances())
        .map_err(|e| anyhow::anyhow!("simulated exchange: {e}"))?;
    match journal {
        Some(path) => {
            let file = File::create(path)
                .with_context(|| format!("cannot create journal {}", path.display()))?;
            let sink = JsonLines::new(BufWriter::with_capacity(1 << 20, file));
            let engine = Engine::new(cfg.grid.clone(), sim, sink)
                .with_governor(cfg.rebalance.clone())
                .with_leak(cfg.leak.clone())
                .with_ancillary(cfg.rangers.clone(), cfg.churners.clone());
            let (result, engine) = drive(engine, files, events, want_report, progress)?;
            let (_, sink) = engine.into_parts();
            sink.finish()
                .with_context(|| format!("cannot write journal {}", path.display()))?;
            Ok(result)
        }
        None => {
            let engine = Engine::new(cfg.grid.clone(), sim, NoJournal)
                .with_governor(cfg.rebalance.clone())
                .with_leak(cfg.leak.clone())
                .with_ancillary(cfg.rangers.clone(), cfg.churners.clone());
            Ok(drive(engine, files, events, want_report, progress)?.0)
        }
    }
}

type Sim<J> = Engine<SimExchange, J>;

fn drive<J: JournalSink, E: std::fmt::Display>(
    mut engine: Sim<J>,
    files: Vec<String>,
    events: impl IntoIterator<Item = Result<MarketEvent, E>>,
    want_report: bool,
    progress: bool,
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
    let mut err = std::io::stderr();
    let show = progress && err.is_terminal();
    let data = run_backtest(&mut engine, events, |n| {
        if show {
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            let _ = write!(
                err,
                "\r  {n:>12} events  {:>10.0} events/s",
                n as f64 / secs
            );
        }
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if show {
        let _ = writeln!(err);
    }
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

/// Write the JSON summary, the report and the table as asked.
pub fn emit(result: &RunResult, out: &Outputs) -> anyhow::Result<()> {
    if let Some(path) = &out.json {
        let text = serde_json::to_string_pretty(&result.summary)? + "\n";
        write_output(path, &text)?;
    }
    if let (Some(path), Some(html)) = (&out.report, &result.html) {
        write_output(path, html)?;
    }
    if !out.quiet && out.json.as_deref() != Some(Path::new("-")) {
        print_summary(&result.summary);
    }
    Ok(())
}

pub fn write_output(path: &Path, text: &str) -> anyhow::Result<()> {
    if path == Path::new("-") {
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        return Ok(stdout.flush()?);
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Open a data file; its error is already one self-contained line (file and reason).
fn open_data(path: &Path) -> anyhow::Result<flywheel_marketdata::MarketDataReader> {
    flywheel_marketdata::open(path).map_err(|e| anyhow::anyhow!("{e}"))
}

/// `flywheel backtest`.
pub fn backtest(args: BacktestArgs) -> anyhow::Result<()> {
    let cfg = load(&args.config)?;
    let reader = open_data(&args.data)?;
    let name = args.data.display().to_string();
    if args.strategy == Strategy::Maker {
        let r = crate::commands::maker::run_maker(
            &cfg,
            vec![name],
            reader,
            args.out.journal.as_deref(),
            args.out.report.is_some(),
        )?;
        if let Some(path) = &args.out.json {
            write_output(path, &(serde_json::to_string_pretty(&r.summary)? + "\n"))?;
        }
        if let (Some(path), Some(html)) = (&args.out.report, &r.html) {
            write_output(path, html)?;
        }
        if !args.out.quiet && args.out.json.as_deref() != Some(Path::new("-")) {
            print_summary(&r.summary);
        }
        return Ok(());
    }
    let result = run_engine(
        &cfg,
        vec![name],
        reader,
        args.out.journal.as_deref(),
        args.out.report.is_some(),
        !args.out.quiet,
    )?;
    emit(&result, &args.out)
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
    /// Write `{"a": summary, "b": summary}` here (`-` = standard output).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// `flywheel compare`.
pub fn compare(args: CompareArgs) -> anyhow::Result<()> {
    let (cfg_a, cfg_b) = match args.config.as_slice() {
        [] => (None, None),
        [one] => (Some(one.clone()), Some(one.clone())),
        [a, b] => (Some(a.clone()), Some(b.clone())),
        _ => bail!("--config: give at most two files (A and B)"),
    };
    let mut results = Vec::new();
    for (config, set) in [(cfg_a, &args.set_a), (cfg_b, &args.set_b)] {
        let cfg = load(&ConfigSource {
            config,
            set: set.clone(),
        })?;
        let reader = open_data(&args.data)?;
        let files = vec![args.data.display().to_string()];
        let summary = match args.strategy {
            Strategy::Grid => {
                serde_json::to_value(run_engine(&cfg, files, reader, None, false, true)?.summary)?
            }
            Strategy::Maker => serde_json::to_value(
                crate::commands::maker::run_maker(&cfg, files, reader, None, false)?.summary,
            )?,
        };
        results.push(summary);
    }
    if let Some(path) = &args.json {
        let both = serde_json::json!({ "a": &results[0], "b": &results[1] });
        write_output(path, &(serde_json::to_string_pretty(&both)? + "\n"))?;
    }
    if args.json.as_deref() != Some(Path::new("-")) {
        print_comparison(&results[0], &results[1]);
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the synthetic market path.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Days of one-minute bars to simulate.
    #[arg(long, default_value_t = 30)]
    pub days: usize,
    #[command(flatten)]
    pub config: ConfigSource,
    /// Write the HTML report here.
    #[arg(long, value_name = "FILE", default_value = "flywheel-demo.html")]
    pub report: PathBuf,
    /// Write the JSON summary here (`-` = standard output).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// `flywheel demo`: the engine on a built-in synthetic market, so a newcomer sees a report
/// without any data at hand.
pub fn demo(args: DemoArgs) -> anyhow::Result<()> {
    use flywheel_engine::demo::DemoMarket;
    let cfg = load(&args.config)?;
    let start = flywheel_core::Timestamp::from_secs(1_735_689_600); // 2025-01-01T00:00Z
    let market = DemoMarket::new(args.seed, args.days * 1440, Price::lit(1, 1), start);
    eprintln!("flywheel demo: {} (seed {})", DemoMarket::LABEL, args.seed);
    let events = market.map(Ok::<_, std::convert::Infallible>);
    let name = format!("synthetic:seed={}:days={}", args.seed, args.days);
    let result = run_engine(&cfg, vec![name], events, None, true, true)?;
    let out = Outputs {
        json: args.json,
        report: Some(args.report.clone()),
        journal: None,
        quiet: false,
    };
    emit(&result, &out)?;
    eprintln!("report written to {}", args.report.display());
    Ok(())
}
