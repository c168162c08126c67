//! The Flywheel configuration file: [`FlywheelConfig`] and the loader every command shares.
//!
//! [`load_config_with`] is one pipeline:
//! 1. read the TOML text (a path, `-` for standard input, or none for all defaults);
//! 2. parse it into a table that remembers where each key and value is (syntax errors are
//!    reported as `FILE:LINE:COL: message`);
//! 3. apply the [`Override`]s in order (`FLYWHEEL_SECTION__KEY` variables today, `--set`
//!    options later). Each is first deserialized on its own, so an unknown key or a value of
//!    the wrong type is reported under the override's own name;
//! 4. deserialize into [`FlywheelConfig`]: unknown sections and keys and wrong types are
//!    reported as `FILE:LINE:COL: section.key: message` (serde stops at the first one);
//! 5. validate every section and the cross-checks between keys
//!    ([`FlywheelConfig::validate`], in `config_checks`) and report *all* problems, each at
//!    the place that set it: `FILE:LINE:COL: grid.key: message`, `OVERRIDE: grid.key:
//!    message`, or `FILE: grid.key: message` for a default. A cross-check names several keys:
//!    it is placed at the first of them an override set, else the first the file sets.
//!    Warnings read `PLACE: warning: key: message`; a configuration with warnings only is
//!    loaded ([`Loaded::warnings`]), one with any error is refused.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::ops::Range;
use std::path::Path;

use flywheel_ancillary::{ChurnerConfig, RangerConfig, CHURNER_CONFIG_DOCS, RANGER_CONFIG_DOCS};
use flywheel_core::Severity;
use flywheel_engine::config::{
    BacktestConfig, LeakConfig, VenueConfig, BACKTEST_CONFIG_DOCS, LEAK_CONFIG_DOCS,
    VENUE_CONFIG_DOCS,
};
use flywheel_governor::{GovernorConfig, GOVERNOR_CONFIG_DOCS};
use flywheel_grid::{EngineConfig, ENGINE_CONFIG_DOCS};
use flywheel_maker::{HedgerConfig, MakerConfig, HEDGER_CONFIG_DOCS, MAKER_CONFIG_DOCS};
use flywheel_marketdata::sanity::{PriceSanityConfig, PRICE_SANITY_CONFIG_DOCS};
use serde::{Deserialize, Serialize};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::config_checks::ConfigIssue;
use crate::overrides::Override;

/// The path that means "read standard input".
pub const STDIN_PATH: &str = "-";

/// The span given to values that do not come from the file (overrides): it points past the
/// end of any text, so it is never rendered as a file position.
pub const NO_SPAN: Range<usize> = usize::MAX..usize::MAX;

/// The whole configuration file. Each field is one `[section]`; more sections (`rebalance`,
/// `leak`, `maker`, `hedger`, `venue`) join as their crates arrive.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlywheelConfig {
    /// `[grid]`: the slot pair engine and its runtime.
    pub grid: EngineConfig,
    /// `[rebalance]`: the inventory governor (seed 000).
    pub rebalance: GovernorConfig,
    /// `[leak]`: the USD-leak patches (seed 001).
    pub leak: LeakConfig,
    /// `[rangers]`: standalone sell→buy micro-cyclers (seed 001 Patch C; off by default).
    pub rangers: RangerConfig,
    /// `[churners]`: one-round-trip helpers of slots with stuck exits (off by default).
    pub churners: ChurnerConfig,
    /// `[maker]`: the market maker (seed 002), `--strategy maker`.
    pub maker: MakerConfig,
    /// `[hedger]`: the maker's hedger.
    pub hedger: HedgerConfig,
    /// `[venue]`: the exchange (simulated in backtests).
    pub venue: VenueConfig,
    /// `[backtest]`: the simulated account.
    pub backtest: BacktestConfig,
    /// `[sanity]`: checks on recorded market data (outlier prints, gaps).
    pub sanity: PriceSanityConfig,
}

/// One section as `config defaults` prints it.
#[derive(Clone, Debug)]
pub struct SectionDoc {
    /// Section name, e.g. `grid`.
    pub name: &'static str,
    /// One-line description, printed as a comment above the section.
    pub title: &'static str,
    /// `(key, one-line doc)` for every key, in the order to print them.
    pub keys: &'static [(&'static str, &'static str)],
    /// The section's values; keys that are unset (`None`) are absent.
    pub values: toml::Table,
    /// Example values for the keys absent from `values`, shown commented out.
    pub examples: toml::Table,
}

impl FlywheelConfig {
    /// Every section with its key docs, in file order (for `config defaults`).
    pub fn section_docs(&self) -> Result<Vec<SectionDoc>, toml::ser::Error> {
        // The per-trade entry distances fall back to `entry_pct`: that is the example.
        let mut grid_example = self.grid.clone();
        grid_example.entry_pct_a.get_or_insert(self.grid.entry_pct);
        grid_example.entry_pct_b.get_or_insert(self.grid.entry_pct);
        Ok(vec![
            SectionDoc {
                name: "grid",
                title: "The slot pair engine. Percentages are in percent (0.2 = 0.2 %), \
                    durations in seconds.",
                keys: ENGINE_CONFIG_DOCS,
                values: toml::Table::try_from(&self.grid)?,
                examples: toml::Table::try_from(&grid_example)?,
            },
            SectionDoc {
                name: "rebalance",
                title: "The inventory governor (seed 000): skews entry size so idle quote returns \
                        to target. Ratios are 0-1.",
                keys: GOVERNOR_CONFIG_DOCS,
                values: toml::Table::try_from(&self.rebalance)?,
                examples: toml::Table::try_from(&self.rebalance)?,
            },
            SectionDoc {
                name: "leak",
                title: "The USD-leak patches (seed 001): B-side recovery, B-first placement, \
                        rounding residual, B floor exemption, cascade breaker.",
                keys: LEAK_CONFIG_DOCS,
                values: toml::Table::try_from(&self.leak)?,
                examples: toml::Table::try_from(&self.leak)?,
            },
            SectionDoc {
                name: "rangers",
                title: "Rangers: standalone sell-then-buy micro-cyclers (seed 001 Patch C).",
                keys: RANGER_CONFIG_DOCS,
                values: toml::Table::try_from(&self.rangers)?,
                examples: toml::Table::try_from(&self.rangers)?,
            },
            SectionDoc {
                name: "churners",
                title:
                    "Churners: one round trip beside a slot whose exit is stuck (seed 001 Patch C).",
                keys: CHURNER_CONFIG_DOCS,
                values: toml::Table::try_from(&self.churners)?,
                examples: {
                    // Unset profit_pct means "round-trip maker fee + margin": show that value.
                    let mut example = self.churners.clone();
                    example.profit_pct = example.profit_pct.or_else(|| {
                        self.churners
                            .effective_profit_pct(self.grid.maker_fee_pct)
                            .ok()
                    });
                    toml::Table::try_from(&example)?
                },
            },
            SectionDoc {
                name: "maker",
                title: "The market maker (seed 002), used with --strategy maker. SOL instrument \
                        defaults.",
                keys: MAKER_CONFIG_DOCS,
                values: toml::Table::try_from(&self.maker)?,
                examples: toml::Table::try_from(&self.maker)?,
            },
            SectionDoc {
                name: "hedger",
                title: "The maker's hedger (seed 002): reduce-only clips, passive first.",
                keys: HEDGER_CONFIG_DOCS,
                values: toml::Table::try_from(&self.hedger)?,
                examples: toml::Table::try_from(&self.hedger)?,
            },
            SectionDoc {
                name: "venue",
                title: "The exchange. Backtests simulate it; precision, minimums and the maker \
                    fee come from [grid].",
                keys: VENUE_CONFIG_DOCS,
                values: toml::Table::try_from(&self.venue)?,
                examples: toml::Table::try_from(&self.venue)?,
            },
            SectionDoc {
                name: "backtest",
                title: "The simulated account at the start of a backtest.",
                keys: BACKTEST_CONFIG_DOCS,
                values: toml::Table::try_from(&self.backtest)?,
                examples: toml::Table::try_from(&self.backtest)?,
            },
            SectionDoc {
                name: "sanity",
                title: "Checks on recorded market data: prints far from the recent median, and \
                    gaps too long to be real.",
                keys: PRICE_SANITY_CONFIG_DOCS,
                values: toml::Table::try_from(&self.sanity)?,
                examples: toml::Table::try_from(&self.sanity)?,
            },
        ])
    }
}

/// One thing wrong with a configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where: `FILE:LINE:COL`, `FILE`, or an override's origin (`FLYWHEEL_GRID__ENTRY_PCT`).
    pub place: String,
    /// Dotted key (`grid.entry_pct`), when known.
    pub key: Option<String>,
    pub message: String,
    pub severity: Severity,
}

impl Problem {
    /// An error at `place`.
    pub fn error(
        place: impl Into<String>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            place: place.into(),
            key,
            message: message.into(),
            severity: Severity::Error,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.place)?;
        if self.severity == Severity::Warning {
            write!(f, "warning: ")?;
        }
        match &self.key {
            Some(key) => write!(f, "{}: {}", key, self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

/// A configuration that loaded, with the warnings found on the way.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    pub config: FlywheelConfig,
    /// Problems that do not refuse the configuration (all of severity warning).
    pub warnings: Vec<Problem>,
}

/// Why a configuration could not be loaded.
#[derive(Debug)]
pub enum ConfigError {
    /// The file could not be read.
    Read {
        name: String,
        source: std::io::Error,
    },
    /// The configuration is invalid: every problem found, in order (at least one error;
    /// warnings found with them are included).
    Invalid(Vec<Problem>),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The I/O error itself is the `source()`, shown by `{:#}`.
            ConfigError::Read { name, .. } => write!(f, "cannot read {name}"),
            ConfigError::Invalid(problems) => {
                write!(f, "invalid configuration")?;
                for problem in problems {
                    write!(f, "\n  {problem}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { source, .. } => Some(source),
            ConfigError::Invalid(_) => None,
        }
    }
}

/// How a configuration source is named in messages: the path, `<stdin>` for `-`, or
/// `<defaults>` when there is no file.
pub fn source_name(path: Option<&Path>) -> String {
    match path {
        None => "<defaults>".to_string(),
        Some(p) if p == Path::new(STDIN_PATH) => "<stdin>".to_string(),
        Some(p) => p.display().to_string(),
    }
}

/// Load the configuration from `path` (`-` = standard input, `None` = defaults only) with the
/// `FLYWHEEL_SECTION__KEY` overrides found in `env` (other variables are ignored).
pub fn load_config(
    path: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Loaded, ConfigError> {
    let overrides = Override::from_env(env).map_err(ConfigError::Invalid)?;
    load_config_checked(path, &overrides)
}

/// Load the configuration from `path` and apply `overrides` in order (a later one wins),
/// keeping the warnings for the caller.
pub fn load_config_checked(
    path: Option<&Path>,
    overrides: &[Override],
) -> Result<Loaded, ConfigError> {
    let name = source_name(path);
    let text = match path {
        None => String::new(),
        Some(p) => read_source(p).map_err(|source| ConfigError::Read {
            name: name.clone(),
            source,
        })?,
    };
    parse_config(&name, &text, overrides).map_err(ConfigError::Invalid)
}

/// [`load_config_checked`] for the commands that run the engine: the warnings are printed
/// to standard error (one per line, as `config check` prints them) before anything runs,
/// and an invalid configuration is refused before any data is read.
pub fn load_config_with(
    path: Option<&Path>,
    overrides: &[Override],
) -> Result<FlywheelConfig, ConfigError> {
    let loaded = load_config_checked(path, overrides)?;
    for warning in &loaded.warnings {
        eprintln!("{warning}");
    }
    Ok(loaded.config)
}

fn read_source(path: &Path) -> std::io::Result<String> {
    if path == Path::new(STDIN_PATH) {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path)
    }
}

/// Steps 2–5 of the pipeline on the text of the source called `name`.
pub fn parse_config(
    name: &str,
    text: &str,
    overrides: &[Override],
) -> Result<Loaded, Vec<Problem>> {
    let source = Source { name, text };
    let mut root = DeTable::parse(text).map_err(|e| vec![source.syntax_problem(&e)])?;

    let mut problems = Vec::new();
    // Dotted key → origin of the override that set it last.
    let mut overridden: BTreeMap<String, &str> = BTreeMap::new();
    for o in overrides {
        match check_alone(o).and_then(|()| o.apply(root.get_mut())) {
            Ok(()) => {
                overridden.insert(o.key(), &o.origin);
            }
            Err(message) => problems.push(Problem::error(&o.origin, Some(o.key()), message)),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let config =
        FlywheelConfig::deserialize(toml::de::Deserializer::from(root.clone())).map_err(|e| {
            let key = e.span().and_then(|span| key_at(root.get_ref(), span.start));
            vec![source.problem(e.span(), key, e.message())]
        })?;

    let problems: Vec<Problem> = config
        .validate()
        .into_iter()
        .map(|issue| source.place(root.get_ref(), &overridden, issue))
        .collect();
    if problems.iter().any(Problem::is_error) {
        Err(problems)
    } else {
        Ok(Loaded {
            config,
            warnings: problems,
        })
    }
}

/// Deserialize the configuration made of this override alone, so that an unknown key or a
/// wrong type is blamed on the override and not on the file.
fn check_alone(o: &Override) -> Result<(), String> {
    let document = Spanned::new(NO_SPAN, o.to_table()?);
    FlywheelConfig::deserialize(toml::de::Deserializer::from(document))
        .map(drop)
        .map_err(|e| e.message().to_string())
}

/// A named source text, for positions in messages.
#[derive(Clone, Copy, Debug)]
struct Source<'a> {
    name: &'a str,
    text: &'a str,
}

impl Source<'_> {
    /// A TOML syntax error; a duplicate key is named, since toml's message does not.
    fn syntax_problem(&self, e: &toml::de::Error) -> Problem {
        let quoted = e.span().and_then(|span| self.text.get(span));
        match quoted {
            Some(key) if e.message() == "duplicate key" && !key.is_empty() => {
                self.problem(e.span(), None, &format!("duplicate key `{key}`"))
            }
            _ => self.problem(e.span(), None, e.message()),
        }
    }

    fn problem(&self, span: Option<Range<usize>>, key: Option<String>, message: &str) -> Problem {
        let place = match span.and_then(|s| line_col(self.text, s.start)) {
            Some((line, col)) => format!("{}:{line}:{col}", self.name),
            None => self.name.to_string(),
        };
        Problem::error(place, key, message)
    }

    /// A validation issue at the place that set it: of its key and the keys it compares
    /// with, the first an override set (the override's origin), else the first the file
    /// sets (its position), else the file itself.
    fn place(
        &self,
        root: &DeTable<'_>,
        overridden: &BTreeMap<String, &str>,
        issue: ConfigIssue,
    ) -> Problem {
        let keys = || std::iter::once(&issue.key).chain(&issue.also);
        let by_override = keys().find_map(|k| overridden.get(k));
        let mut problem = match by_override {
            Some(origin) => Problem::error(*origin, None, ""),
            None => {
                let span = keys().find_map(|k| value_span(root, k));
                self.problem(span, None, "")
            }
        };
        problem.key = Some(issue.key);
        problem.message = issue.message;
        problem.severity = issue.severity;
        problem
    }
}

/// 1-based line and column (in characters) of byte `offset`; `None` outside the text.
pub fn line_col(text: &str, offset: usize) -> Option<(usize, usize)> {
    let before = text.get(..offset)?;
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    Some((line, col))
}

/// The dotted key whose key or value covers byte `pos`, the innermost one.
fn key_at(table: &DeTable<'_>, pos: usize) -> Option<String> {
    fn walk(table: &DeTable<'_>, pos: usize, path: &mut Vec<String>) -> bool {
        for (key, value) in table.iter() {
            path.push(key.get_ref().to_string());
            if let DeValue::Table(inner) = value.get_ref() {
                if walk(inner, pos, path) {
                    return true;
                }
            }
            if key.span().contains(&pos) || value.span().contains(&pos) {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = Vec::new();
    walk(table, pos, &mut path).then(|| path.join("."))
}

/// The span of the value at dotted `key`, if the file sets it.
fn value_span(table: &DeTable<'_>, key: &str) -> Option<Range<usize>> {
    let mut table = table;
    let mut segments = key.split('.').peekable();
    while let Some(segment) = segments.next() {
        let value = table.get(segment)?;
        if segments.peek().is_none() {
            return Some(value.span());
        }
        match value.get_ref() {
            DeValue::Table(inner) => table = inner,
            _ => return None,
        }
    }
    None
}

/// Insert `value` at `path` in `root`, creating tables on the way.
pub fn insert_at<'a>(
    root: &mut DeTable<'a>,
    path: &'a [String],
    value: DeValue<'a>,
) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Err("empty key".to_string());
    };
    let mut table = root;
    for (depth, segment) in parents.iter().enumerate() {
        let entry = table
            .entry(Spanned::new(NO_SPAN, Cow::Borrowed(segment.as_str())))
            .or_insert_with(|| Spanned::new(NO_SPAN, DeValue::Table(DeTable::new())));
        table = match entry.get_mut() {
            DeValue::Table(inner) => inner,
            other => {
                return Err(format!(
                    "cannot set a key under `{}`: it is a {}, not a table",
                    path[..=depth].join("."),
                    other.type_str()
                ))
            }
        };
    }
    table.insert(
        Spanned::new(NO_SPAN, Cow::Borrowed(last.as_str())),
        Spanned::new(NO_SPAN, value),
    );
    Ok(())
}

#[cfg(test)]
#[path = "config_file_tests.rs"]
mod tests;
