//! The parameter grid of `flywheel sweep`: `--grid KEY=V1,V2,...` options parsed into axes,
//! and every configuration of their Cartesian product built through the same loader as
//! `--set` ([`parse_config`]), so a value the config file or `--set` would refuse is refused
//! here with the same message, placed at `--grid KEY=VALUE`.
//!
//! Invariants:
//! - Configurations are numbered in odometer order: the *last* axis varies fastest, so the
//!   order is a pure function of the command line (deterministic output).
//! - Every configuration is built and checked before any data is read: a bad value or a
//!   cross-check between keys that only fails for one combination costs no run time.
//! - `sanity.*` keys cannot be swept: each data file is decoded (and sanity-filtered) once
//!   per sweep, with the base configuration's `[sanity]` section.

use std::collections::BTreeSet;

use anyhow::{bail, Context};

use crate::config_file::{parse_config, FlywheelConfig, Problem};
use crate::overrides::Override;

/// One swept key and its values, as written on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Axis {
    /// Dotted key, e.g. `rebalance.kp`.
    pub key: String,
    /// The values in the order given (distinct).
    pub values: Vec<String>,
}

impl Axis {
    fn path(&self) -> Vec<String> {
        self.key.split('.').map(str::to_string).collect()
    }

    /// The override setting this axis to its value `index`.
    fn override_at(&self, index: usize) -> Override {
        let value = self.values[index].clone();
        Override {
            origin: format!("--grid {}={value}", self.key),
            path: self.path(),
            value,
        }
    }
}

/// Parse one `--grid KEY=V1,V2,...` option.
pub fn parse_axis(option: &str) -> anyhow::Result<Axis> {
    let Some((key, values)) = option.split_once('=') else {
        bail!("--grid {option:?}: expected SECTION.KEY=V1,V2,..., e.g. --grid rebalance.kp=1,2,4");
    };
    let key = key.trim();
    let parts: Vec<&str> = key.split('.').collect();
    if parts.len() < 2 || parts.iter().any(|p| p.is_empty()) {
        bail!("--grid {option:?}: the key must be SECTION.KEY, e.g. rebalance.kp");
    }
    if parts[0] == "sanity" {
        bail!(
            "--grid {key}: [sanity] keys cannot be swept (each data file is decoded and \
             checked once per sweep); set them with --set or the config file"
        );
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for value in values.split(',').map(str::trim) {
        if value.is_empty() {
            bail!("--grid {option:?}: an empty value (two commas in a row, or a trailing comma)");
        }
        if !seen.insert(value) {
            bail!("--grid {key}: the value {value} is given twice");
        }
        out.push(value.to_string());
    }
    Ok(Axis {
        key: key.to_string(),
        values: out,
    })
}

/// The axes of all `--grid` options; a key given twice is an error.
pub fn parse_axes(options: &[String]) -> anyhow::Result<Vec<Axis>> {
    if options.is_empty() {
        bail!("give at least one --grid KEY=V1,V2,..., e.g. --grid rebalance.kp=1,2,4");
    }
    let mut axes: Vec<Axis> = Vec::new();
    for option in options {
        let axis = parse_axis(option)?;
        if axes.iter().any(|a| a.key == axis.key) {
            bail!(
                "--grid {}: the key is given twice; list all its values in one --grid",
                axis.key
            );
        }
        axes.push(axis);
    }
    Ok(axes)
}

/// The number of configurations (product of the axis lengths), `None` past `usize`.
pub fn combinations(axes: &[Axis]) -> Option<usize> {
    axes.iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
}

/// Value indices (one per axis) of configuration number `n`, last axis fastest.
pub fn indices(axes: &[Axis], mut n: usize) -> Vec<usize> {
    let mut out = vec![0; axes.len()];
    for (slot, axis) in out.iter_mut().zip(axes).rev() {
        let len = axis.values.len();
        *slot = n % len;
        n /= len;
    }
    out
}

/// One configuration of the sweep.
#[derive(Clone, Debug)]
pub struct Point {
    /// Value index per axis.
    pub at: Vec<usize>,
    pub config: FlywheelConfig,
}

/// Everything the configurations are built from: the base file's name and text, and the
/// base overrides (environment, then `--set`).
#[derive(Debug)]
pub struct Base {
    pub name: String,
    pub text: String,
    pub overrides: Vec<Override>,
}

impl Base {
    /// The configuration with `extra` applied after the base overrides, or its problems as
    /// one error (each problem on its own line, as `config check` prints them). Warnings are
    /// added to `warnings`.
    fn build(
        &self,
        extra: &[Override],
        warnings: &mut BTreeSet<String>,
    ) -> anyhow::Result<FlywheelConfig> {
        let mut all = self.overrides.clone();
        all.extend_from_slice(extra);
        match parse_config(&self.name, &self.text, &all) {
            Ok(loaded) => {
                warnings.extend(loaded.warnings.iter().map(Problem::to_string));
                Ok(loaded.config)
            }
            Err(problems) => {
                let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
                bail!("invalid configuration\n{}", lines.join("\n"))
            }
        }
    }

    /// The base configuration alone.
    pub fn config(&self, warnings: &mut BTreeSet<String>) -> anyhow::Result<FlywheelConfig> {
        self.build(&[], warnings)
    }
}

/// Build and check every configuration of the grid. Each value is first checked on its own
/// over the base (so the error names the one bad `--grid KEY=VALUE`), then every
/// combination (cross-checks between keys). A `--set` of a swept key is refused: which one
/// wins would be a guess.
pub fn build_points(
    base: &Base,
    axes: &[Axis],
    warnings: &mut BTreeSet<String>,
) -> anyhow::Result<Vec<Point>> {
    for axis in axes {
        if let Some(o) = base.overrides.iter().find(|o| o.key() == axis.key) {
            bail!("{}: the key is also swept by --grid {}", o.origin, axis.key);
        }
        for i in 0..axis.values.len() {
            base.build(&[axis.override_at(i)], warnings)?;
        }
    }
    let total = combinations(axes).context("the grid has too many configurations")?;
    (0..total)
        .map(|n| {
            let at = indices(axes, n);
            let extra: Vec<Override> = axes
                .iter()
                .zip(&at)
                .map(|(a, &i)| a.override_at(i))
                .collect();
            let config = base.build(&extra, warnings).with_context(|| {
                let named: Vec<String> = axes
                    .iter()
                    .zip(&at)
                    .map(|(a, &i)| format!("{}={}", a.key, a.values[i]))
                    .collect();
                format!("configuration {}", named.join(" "))
            })?;
            Ok(Point { at, config })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(key: &str, values: &[&str]) -> Axis {
        Axis {
            key: key.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn parse_axis_table() {
        let cases: [(&str, &str, Result<Axis, &str>); 7] = [
            (
                "three values",
                "rebalance.kp=1,2,4",
                Ok(axis("rebalance.kp", &["1", "2", "4"])),
            ),
            (
                "spaces trimmed",
                " grid.slots = 5, 10 ",
                Ok(axis("grid.slots", &["5", "10"])),
            ),
            ("no equals", "rebalance.kp", Err("expected SECTION.KEY")),
            ("no section", "kp=1", Err("must be SECTION.KEY")),
            ("empty value", "rebalance.kp=1,,2", Err("an empty value")),
            ("duplicate value", "rebalance.kp=1,1", Err("given twice")),
            ("sanity key", "sanity.mode=off,skip", Err("cannot be swept")),
        ];
        for (name, option, want) in cases {
            match (parse_axis(option), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "case {name}"),
                (Err(e), Err(part)) => {
                    assert!(e.to_string().contains(part), "case {name}: {e}")
                }
                (got, want) => panic!("case {name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn indices_count_like_an_odometer() {
        let axes = [axis("a.x", &["1", "2"]), axis("a.y", &["1", "2", "3"])];
        assert_eq!(combinations(&axes), Some(6));
        let all: Vec<Vec<usize>> = (0..6).map(|n| indices(&axes, n)).collect();
        let want = [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]];
        assert_eq!(all, want.map(|w| w.to_vec()).to_vec());
    }

    #[test]
    fn combinations_overflow_is_none() {
        let big: Vec<String> = (0..100_000).map(|i| i.to_string()).collect();
        let axes: Vec<Axis> = (0..5)
            .map(|i| Axis {
                key: format!("s.k{i}"),
                values: big.clone(),
            })
            .collect();
        assert_eq!(combinations(&axes), None);
    }

    fn base() -> Base {
        Base {
            name: "<defaults>".into(),
            text: String::new(),
            overrides: Vec::new(),
        }
    }

    #[test]
    fn build_points_applies_each_value() {
        let axes = [axis("grid.slots", &["4", "6"])];
        let mut warnings = BTreeSet::new();
        let points = build_points(&base(), &axes, &mut warnings).expect("valid grid");
        let slots: Vec<u32> = points.iter().map(|p| p.config.grid.slots).collect();
        assert_eq!(slots, [4, 6]);
    }

    #[test]
    fn a_bad_value_names_the_key_and_value() {
        let axes = [axis("grid.slots", &["4", "many"])];
        let err = build_points(&base(), &axes, &mut BTreeSet::new()).expect_err("bad value");
        let text = format!("{err:#}");
        assert!(text.contains("--grid grid.slots=many"), "{text}");
    }

    #[test]
    fn an_unknown_key_is_named() {
        let axes = [axis("rebalance.kpp", &["1"])];
        let err = build_points(&base(), &axes, &mut BTreeSet::new()).expect_err("bad key");
        let text = format!("{err:#}");
        assert!(text.contains("rebalance.kpp"), "{text}");
    }
}
