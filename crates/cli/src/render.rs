//! The commented TOML that `flywheel config defaults` prints.
//!
//! Every key of every section is printed in its documented order, with its one-line doc as a
//! trailing comment, aligned. A key that defaults to unset is printed commented out with an
//! example value, so uncommenting the line gives a valid setting. Decimals, which the money
//! types serialize as strings to stay exact, are printed as bare TOML numbers
//! (`entry_pct = 0.2`, `min_volume = 13`); they deserialize back to the same exact value.

use std::fmt::Write as _;

use flywheel_core::Fixed;

use crate::config_file::{FlywheelConfig, SectionDoc};

/// The comment at the top of the file.
pub const HEADER: &str = "\
# Flywheel configuration: every key at its default value.
# Printed by `flywheel config defaults`; check a file with `flywheel config check FILE`.
# Any key can be overridden by an environment variable FLYWHEEL_SECTION__KEY=value,
# e.g. FLYWHEEL_GRID__ENTRY_PCT=0.3. Unknown sections and keys are errors.
";

/// The whole default file for `config`.
pub fn render_defaults(config: &FlywheelConfig) -> Result<String, toml::ser::Error> {
    let mut out = String::from(HEADER);
    for section in config.section_docs()? {
        out.push('\n');
        out.push_str(&render_section(&section));
    }
    Ok(out)
}

/// One `[section]`: a title comment, the header, then one aligned line per key.
pub fn render_section(section: &SectionDoc) -> String {
    let mut lines: Vec<(String, &str)> = Vec::new();
    for (key, doc) in section.keys {
        let line = match (section.values.get(*key), section.examples.get(*key)) {
            (Some(value), _) => assignment(key, value),
            (None, Some(example)) => format!("# {}", assignment(key, example)),
            (None, None) => format!("# {} =", render_key(key)),
        };
        lines.push((line, doc));
    }
    // A key without a doc line is still printed: `defaults` never drops a setting.
    for (key, value) in &section.values {
        if !section.keys.iter().any(|(k, _)| k == key) {
            lines.push((assignment(key, value), ""));
        }
    }
    let width = lines
        .iter()
        .map(|(line, _)| line.chars().count())
        .max()
        .unwrap_or(0);

    let mut out = format!("# {}\n[{}]\n", section.title, render_key(section.name));
    for (line, doc) in lines {
        if doc.is_empty() {
            let _ = writeln!(out, "{line}");
        } else {
            let _ = writeln!(out, "{line:<width$}  # {doc}");
        }
    }
    out
}

/// `key = value`.
fn assignment(key: &str, value: &toml::Value) -> String {
    format!("{} = {}", render_key(key), render_value(value))
}

/// A key, bare when TOML allows it, quoted otherwise.
pub fn render_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        toml::Value::String(key.to_string()).to_string()
    }
}

/// A value as TOML; a string holding a decimal number is printed as a bare number.
pub fn render_value(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => match s.parse::<Fixed>() {
            Ok(decimal) => decimal.to_string(),
            Err(_) => value.to_string(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config_file::parse_config;
    use toml::Value;

    #[test]
    fn render_value_table() {
        let cases = [
            ("decimal fraction", Value::String("0.2".into()), "0.2"),
            ("decimal integer", Value::String("13".into()), "13"),
            ("negative decimal", Value::String("-1.5".into()), "-1.5"),
            (
                "nine decimals",
                Value::String("0.000000001".into()),
                "0.000000001",
            ),
            (
                "plain string",
                Value::String("DOGE/USD".into()),
                "\"DOGE/USD\"",
            ),
            (
                "string with a quote",
                Value::String("a\"b".into()),
                "'a\"b'",
            ),
            ("integer", Value::Integer(60), "60"),
            ("boolean", Value::Boolean(true), "true"),
        ];
        for (name, value, want) in cases {
            assert_eq!(render_value(&value), want, "case {name}");
        }
    }

    #[test]
    fn render_key_table() {
        let cases = [
            ("bare", "entry_pct", "entry_pct"),
            ("dash", "a-b", "a-b"),
            ("dot", "a.b", "\"a.b\""),
            ("empty", "", "\"\""),
        ];
        for (name, key, want) in cases {
            assert_eq!(render_key(key), want, "case {name}");
        }
    }

    #[test]
    fn render_section_table() {
        let table = |text: &str| -> toml::Table { text.parse().expect("test TOML") };
        let cases = [
            (
                "set and unset keys, aligned",
                SectionDoc {
                    name: "s",
                    title: "Title.",
                    keys: &[("pct", "a percent"), ("side_pct", "unset = pct")],
                    values: table("pct = \"0.2\""),
                    examples: table("pct = \"0.2\"\nside_pct = \"0.2\""),
                },
                "# Title.\n[s]\npct = 0.2         # a percent\n\
                 # side_pct = 0.2  # unset = pct\n",
            ),
            (
                "unset key without example",
                SectionDoc {
                    name: "s",
                    title: "T.",
                    keys: &[("x", "doc")],
                    values: toml::Table::new(),
                    examples: toml::Table::new(),
                },
                "# T.\n[s]\n# x =  # doc\n",
            ),
            (
                "undocumented key is kept",
                SectionDoc {
                    name: "s",
                    title: "T.",
                    keys: &[],
                    values: table("n = 3"),
                    examples: toml::Table::new(),
                },
                "# T.\n[s]\nn = 3\n",
            ),
        ];
        for (name, section, want) in cases {
            assert_eq!(render_section(&section), want, "case {name}");
        }
    }

    #[test]
    fn defaults_round_trip() {
        let defaults = FlywheelConfig::default();
        let text = render_defaults(&defaults).expect("renders");
        // Numbers are bare; only genuine strings (symbol, fill rule) are quoted.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            if let Some((_, rest)) = line.split_once("= \"") {
                let quoted = rest.split('"').next().unwrap_or("");
                assert!(quoted.parse::<f64>().is_err(), "a number is quoted: {line}");
            }
        }
        let parsed = parse_config("defaults", &text, &[]).expect("valid");
        assert_eq!(parsed.config, defaults);
        assert_eq!(parsed.warnings, vec![], "the defaults raise no warning");
    }

    /// `key = …` with a bare key (not a comment that happens to contain ` = `).
    fn is_setting(line: &str) -> bool {
        line.split_once(" = ")
            .is_some_and(|(key, _)| key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    }

    #[test]
    fn uncommented_examples_are_valid_settings() {
        let defaults = FlywheelConfig::default();
        let text = render_defaults(&defaults).expect("renders");
        let uncommented: String = text
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest) if is_setting(rest) => rest,
                _ => line,
            })
            .map(|line| format!("{line}\n"))
            .collect();
        let parsed = parse_config("uncommented", &uncommented, &[])
            .expect("valid")
            .config;
        assert_eq!(parsed.grid.entry_pct_a, Some(defaults.grid.entry_pct));
        assert_eq!(parsed.grid.entry_pct_b, Some(defaults.grid.entry_pct));
    }

    #[test]
    fn every_key_is_printed_once() {
        let text = render_defaults(&FlywheelConfig::default()).expect("renders");
        // Within the [grid] section (other sections may reuse a key name).
        let grid: String = text
            .split("\n[")
            .find(|s| s.starts_with("grid]"))
            .expect("a [grid] section")
            .to_string();
        for (key, doc) in flywheel_grid::ENGINE_CONFIG_DOCS {
            let lines: Vec<&str> = grid
                .lines()
                .filter(|l| l.trim_start_matches("# ").starts_with(&format!("{key} = ")))
                .collect();
            assert_eq!(lines.len(), 1, "key {key}: {lines:?}");
            assert!(
                lines[0].ends_with(&format!("# {doc}")),
                "key {key}: {lines:?}"
            );
        }
    }
}
