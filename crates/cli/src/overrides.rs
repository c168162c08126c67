//! Configuration overrides: `FLYWHEEL_SECTION__KEY=value` environment variables (and, later,
//! `--set section.key=value` options), applied to the parsed TOML before it is deserialized,
//! so they pass the same checks as the file.
//!
//! The name maps to a key by dropping the `FLYWHEEL_` prefix, splitting at `__` and lower-
//! casing: `FLYWHEEL_GRID__ENTRY_PCT` sets `grid.entry_pct`. The value is read as a TOML value
//! when it is one (`0.3` a float, `13` an integer, `true` a boolean, `"x"` a string) and as a
//! plain string otherwise, so `FLYWHEEL_VENUE__PAIR=DOGE/USD` needs no quotes.

use std::borrow::Cow;

use toml::de::{DeTable, DeValue};

use crate::config_file::{insert_at, Problem};

/// Prefix of every environment variable Flywheel reads as a configuration override.
pub const ENV_PREFIX: &str = "FLYWHEEL_";

/// One `key = value` setting applied on top of the configuration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// Where it comes from, for messages: the variable name, e.g. `FLYWHEEL_GRID__ENTRY_PCT`.
    pub origin: String,
    /// The key path, e.g. `["grid", "entry_pct"]`; never empty.
    pub path: Vec<String>,
    /// The value as written.
    pub value: String,
}

impl Override {
    /// Every `FLYWHEEL_` variable in `vars` as an override, sorted by variable name (the
    /// process environment has no defined order). Other variables are ignored; a `FLYWHEEL_`
    /// variable not of the form `FLYWHEEL_SECTION__KEY` is a problem, never skipped silently.
    pub fn from_env(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Vec<Override>, Vec<Problem>> {
        let mut vars: Vec<(String, String)> = vars
            .into_iter()
            .filter(|(name, _)| name.starts_with(ENV_PREFIX))
            .collect();
        vars.sort();
        let mut overrides = Vec::new();
        let mut problems = Vec::new();
        for (name, value) in vars {
            match env_path(&name) {
                Some(path) => overrides.push(Override {
                    origin: name,
                    path,
                    value,
                }),
                None => problems.push(Problem::error(
                    name,
                    None,
                    format!(
                        "not a configuration override: expected {ENV_PREFIX}SECTION__KEY, \
                         e.g. {ENV_PREFIX}GRID__ENTRY_PCT"
                    ),
                )),
            }
        }
        if problems.is_empty() {
            Ok(overrides)
        } else {
            Err(problems)
        }
    }

    /// The dotted key, e.g. `grid.entry_pct`.
    pub fn key(&self) -> String {
        self.path.join(".")
    }

    /// The value as TOML: parsed when it is a TOML value, a string otherwise.
    pub fn toml_value(&self) -> DeValue<'_> {
        match DeValue::parse(&self.value) {
            Ok(value) => value.into_inner(),
            Err(_) => DeValue::String(Cow::Borrowed(&self.value)),
        }
    }

    /// A document holding this override alone: `{section: {key: value}}`.
    pub fn to_table(&self) -> Result<DeTable<'_>, String> {
        let mut table = DeTable::new();
        self.apply(&mut table)?;
        Ok(table)
    }

    /// Set this override's value in `root`, creating tables on the way; a non-table on the
    /// way (e.g. `grid = 5` in the file) is an error.
    pub fn apply<'a>(&'a self, root: &mut DeTable<'a>) -> Result<(), String> {
        insert_at(root, &self.path, self.toml_value())
    }
}

/// `FLYWHEEL_GRID__ENTRY_PCT` → `["grid", "entry_pct"]`; `None` unless there are at least two
/// non-empty segments.
fn env_path(name: &str) -> Option<Vec<String>> {
    let rest = name.strip_prefix(ENV_PREFIX)?;
    let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
    (path.len() >= 2 && path.iter().all(|s| !s.is_empty())).then_some(path)
}

/// The process environment, with names and values that are not UTF-8 converted lossily (a
/// mangled `FLYWHEEL_` value then fails its check instead of being dropped).
pub fn process_env() -> impl Iterator<Item = (String, String)> {
    std::env::vars_os().map(|(name, value)| {
        (
            name.to_string_lossy().into_owned(),
            value.to_string_lossy().into_owned(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_path_table() {
        let cases = [
            (
                "section and key",
                "FLYWHEEL_GRID__ENTRY_PCT",
                Some(vec!["grid", "entry_pct"]),
            ),
            (
                "nested",
                "FLYWHEEL_VENUE__FEES__MAKER",
                Some(vec!["venue", "fees", "maker"]),
            ),
            ("no key", "FLYWHEEL_GRID", None),
            ("single underscore", "FLYWHEEL_GRID_ENTRY_PCT", None),
            ("empty key", "FLYWHEEL_GRID__", None),
            ("empty section", "FLYWHEEL___ENTRY_PCT", None),
            ("other prefix", "CARGO_GRID__ENTRY_PCT", None),
        ];
        for (name, var, want) in cases {
            let want: Option<Vec<String>> = want.map(|p| p.into_iter().map(String::from).collect());
            assert_eq!(env_path(var), want, "case {name}");
        }
    }

    #[test]
    fn toml_value_table() {
        let cases = [
            ("float", "0.3", "float"),
            ("integer", "13", "integer"),
            ("boolean", "true", "boolean"),
            ("quoted string", "\"0.3\"", "string"),
            ("bare word", "DOGE/USD", "string"),
            ("empty", "", "string"),
        ];
        for (name, value, want) in cases {
            let o = Override {
                origin: "test".into(),
                path: vec!["grid".into(), "entry_pct".into()],
                value: value.into(),
            };
            assert_eq!(o.toml_value().type_str(), want, "case {name}");
        }
    }

    #[test]
    fn from_env_filters_sorts_and_rejects() {
        let vars = [
            ("PATH", "/bin"),
            ("FLYWHEEL_GRID__PROFIT_PCT", "1"),
            ("FLYWHEEL_GRID__ENTRY_PCT", "0.3"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let got = Override::from_env(vars).expect("valid");
        let keys: Vec<String> = got.iter().map(Override::key).collect();
        assert_eq!(keys, ["grid.entry_pct", "grid.profit_pct"]);

        let bad = [("FLYWHEEL_GRID_ENTRY_PCT".to_string(), "1".to_string())];
        let problems = Override::from_env(bad).expect_err("malformed name");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].place, "FLYWHEEL_GRID_ENTRY_PCT");
    }
}
