//! `flywheel sweep`: the seed 000 Phase 2 tuning tool. The grid strategy backtested over a
//! grid of configuration values (`--grid KEY=V1,V2,...`, the Cartesian product of all of
//! them) on one or more data files, on all cores, with the results as a sorted table, CSV,
//! JSON and an HTML page with a heatmap.
//!
//! Order of work, as for `backtest`: outputs checked and opened (an existing file is refused
//! unless `--force`), every configuration built and checked, every data file decoded once;
//! only then does anything run. The parts: [`sweep_grid`](crate::commands::sweep_grid)
//! (axes and configurations), [`sweep_run`](crate::commands::sweep_run) (decoding and the
//! parallel runs), [`sweep_out`](crate::commands::sweep_out) (sorting, table, CSV, JSON) and
//! [`sweep_html`](crate::commands::sweep_html) (the page).

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;

use crate::commands::backtest::{set_overrides, ConfigSource};
use crate::commands::sweep_grid::{build_points, combinations, parse_axes, Axis, Base};
use crate::commands::sweep_html::page;
use crate::commands::sweep_out::{csv, json, sort_rows, table, Metric};
use crate::commands::sweep_run::{decode_all, run_all};
use crate::config_file::{source_name, STDIN_PATH};
use crate::outputs::{open_outputs, would_replace, Input};
use crate::overrides::{process_env, Override};

/// Configurations a sweep runs without `--yes`.
pub const CONFIRM_ABOVE: usize = 10_000;

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// A swept key and its values, e.g. `--grid rebalance.kp=1,2,4` (repeatable: every
    /// combination of all the grids runs). Any key `--set` accepts, except `sanity.*`.
    #[arg(long = "grid", value_name = "SECTION.KEY=V1,V2,...", required = true)]
    pub grid: Vec<String>,
    /// Market data file (repeatable); each is decoded once and shared by every run.
    #[arg(long, value_name = "FILE", required = true)]
    pub data: Vec<PathBuf>,
    #[command(flatten)]
    pub config: ConfigSource,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// The metric the table is sorted by, best first.
    #[arg(long, value_enum, value_name = "METRIC", default_value = "vs_hold")]
    pub sort: Metric,
    /// Rows of the table on stdout (0 = all; the files hold every row).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// Add a column per data file (the sort metric on that file) to the table.
    #[arg(long)]
    pub per_file: bool,
    /// Write every row as CSV here (`-` = standard output).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Write the grid, the files and every row as JSON here (`-` = standard output).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write an HTML page with a heatmap and the best rows here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// The two swept keys of the heatmap (default: the first two `--grid` keys).
    #[arg(long, value_name = "KEY_X,KEY_Y")]
    pub heatmap: Option<String>,
    /// The heatmap's metric (default: the `--sort` metric).
    #[arg(long, value_enum, value_name = "METRIC")]
    pub heatmap_metric: Option<Metric>,
    /// Replace existing output files (refused otherwise).
    #[arg(long)]
    pub force: bool,
    /// Run more than 10,000 configurations.
    #[arg(long)]
    pub yes: bool,
    /// No progress line and no table.
    #[arg(long)]
    pub quiet: bool,
}

/// The heatmap's axes (indices into `axes`): `--heatmap KEY_X,KEY_Y`, or the first two keys
/// (with one key, a single row).
fn heatmap_axes(axes: &[Axis], spec: Option<&str>) -> anyhow::Result<(usize, Option<usize>)> {
    let Some(spec) = spec else {
        return Ok((0, (axes.len() > 1).then_some(1)));
    };
    let find = |key: &str| {
        axes.iter().position(|a| a.key == key).with_context(|| {
            format!("--heatmap {spec}: {key} is not a swept key (give two --grid keys)")
        })
    };
    let Some((x, y)) = spec.split_once(',') else {
        bail!("--heatmap {spec}: expected KEY_X,KEY_Y, e.g. rebalance.kp,rebalance.kd");
    };
    let (x, y) = (find(x.trim())?, find(y.trim())?);
    if x == y {
        bail!("--heatmap {spec}: give two different keys");
    }
    Ok((x, Some(y)))
}

/// The base configuration's source: its name and text (read once: `-` is standard input)
/// and the environment and `--set` overrides.
fn base(source: &ConfigSource) -> anyhow::Result<Base> {
    let path = source.config.as_deref();
    let name = source_name(path);
    let text = match path {
        None => String::new(),
        Some(p) if p == Path::new(STDIN_PATH) => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read <stdin>")?;
            text
        }
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("cannot read {name}"))?,
    };
    let mut overrides =
        Override::from_env(process_env()).map_err(crate::config_file::ConfigError::Invalid)?;
    overrides.extend(set_overrides(&source.set)?);
    Ok(Base {
        name,
        text,
        overrides,
    })
}

/// `flywheel sweep`.
pub fn sweep(args: SweepArgs) -> anyhow::Result<()> {
    let axes = parse_axes(&args.grid)?;
    let total = combinations(&axes)
        .filter(|&n| n <= usize::MAX / args.data.len().max(1))
        .context("the grid has too many configurations")?;
    if total > CONFIRM_ABOVE && !args.yes {
        bail!(
            "the grid has {total} configurations (more than {CONFIRM_ABOVE}); pass --yes to \
             run them all"
        );
    }
    let (map_x, map_y) = heatmap_axes(&axes, args.heatmap.as_deref())?;
    let mut inputs: Vec<Input> = args.data.iter().map(|p| Input::new("--data", p)).collect();
    inputs.extend(args.config.config.iter().map(|p| Input::new("--config", p)));
    let requested = [
        ("--csv", args.csv.as_deref()),
        ("--json", args.json.as_deref()),
        ("--html", args.html.as_deref()),
    ];
    for (option, path) in requested {
        if let Some(path) = path.filter(|p| !args.force && would_replace(p)) {
            bail!(
                "{option} {}: the file exists; pass --force to replace it",
                path.display()
            );
        }
    }
    let [csv_out, json_out, html_out] = open_outputs(&inputs, requested)?;
    let to_stdout = [&args.csv, &args.json, &args.html]
        .iter()
        .any(|p| p.as_deref() == Some(Path::new("-")));

    let base = base(&args.config)?;
    let mut warnings = BTreeSet::new();
    let base_cfg = base.config(&mut warnings)?;
    let points = build_points(&base, &axes, &mut warnings)?;
    for w in &warnings {
        eprintln!("{w}");
    }
    let jobs = match args.jobs {
        Some(n) => usize::from(n),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let files = decode_all(&args.data, &base_cfg, jobs)?;
    let mut rows = run_all(&points, &files, jobs, !args.quiet)?;
    sort_rows(&mut rows, args.sort);

    let mut failures: Vec<String> = Vec::new();
    let mut write = |file: Option<crate::outputs::OutputFile>, text: &dyn Fn() -> String| {
        if let Some(file) = file {
            if let Err(e) = file.write_all(text().as_bytes()) {
                failures.push(format!("{e:#}"));
            }
        }
    };
    write(csv_out, &|| csv(&axes, &files, &rows));
    write(json_out, &|| {
        serde_json::to_string_pretty(&json(&axes, &files, &rows, args.sort))
            .map_or_else(|e| format!("{{\"error\": \"{e}\"}}"), |t| t + "\n")
    });
    let map_metric = args.heatmap_metric.unwrap_or(args.sort);
    write(html_out, &|| {
        page(&axes, &files, &rows, args.sort, map_metric, map_x, map_y)
    });
    if !args.quiet && !to_stdout {
        print!(
            "{}",
            table(&axes, &files, &rows, args.sort, args.top, args.per_file)
        );
    }
    if failures.is_empty() {
        Ok(())
    } else {
        bail!("{}", failures.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axes(keys: &[&str]) -> Vec<Axis> {
        keys.iter()
            .map(|k| Axis {
                key: k.to_string(),
                values: vec!["1".into()],
            })
            .collect()
    }

    #[test]
    fn heatmap_axes_table() {
        let three = axes(&["a.x", "a.y", "a.z"]);
        let one = axes(&["a.x"]);
        type Want = Result<(usize, Option<usize>), &'static str>;
        let cases: [(&str, &[Axis], Option<&str>, Want); 6] = [
            ("default two", &three, None, Ok((0, Some(1)))),
            ("default one key", &one, None, Ok((0, None))),
            ("named", &three, Some("a.z, a.x"), Ok((2, Some(0)))),
            (
                "not swept",
                &three,
                Some("a.x,b.q"),
                Err("b.q is not a swept key"),
            ),
            (
                "same key",
                &three,
                Some("a.x,a.x"),
                Err("two different keys"),
            ),
            (
                "one key given",
                &three,
                Some("a.x"),
                Err("expected KEY_X,KEY_Y"),
            ),
        ];
        for (name, axes, spec, want) in cases {
            match (heatmap_axes(axes, spec), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "case {name}"),
                (Err(e), Err(part)) => assert!(e.to_string().contains(part), "case {name}: {e}"),
                (got, want) => panic!("case {name}: got {got:?}, want {want:?}"),
            }
        }
    }
}
