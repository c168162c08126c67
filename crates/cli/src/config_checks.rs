//! [`FlywheelConfig::validate`]: every problem of the whole file, each named by its dotted
//! key, as an error (the configuration is refused) or a warning (it runs, but a trader would
//! not want it).
//!
//! Every section's `validate()`: every numeric key inside its documented range, ordered
//! pairs not inverted. A configuration that passes runs without arithmetic overflow or
//! absurd allocations.

use flywheel_core::{ConfigProblem, Severity};

use crate::config_file::FlywheelConfig;

/// One problem of the configuration file, named by dotted keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigIssue {
    /// Dotted key the problem is about, e.g. `grid.profit_pct`.
    pub key: String,
    /// Other dotted keys it compares `key` with (used to locate it in the file).
    pub also: Vec<String>,
    pub message: String,
    pub severity: Severity,
}

impl ConfigIssue {
    /// A section's problem, with its keys prefixed by `section`.
    fn in_section(section: &str, p: ConfigProblem) -> Self {
        ConfigIssue {
            key: format!("{section}.{}", p.key),
            also: p.also.iter().map(|k| format!("{section}.{k}")).collect(),
            message: p.message,
            severity: p.severity,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl FlywheelConfig {
    /// Every problem of every section and between sections (see the module docs).
    pub fn validate(&self) -> Vec<ConfigIssue> {
        let in_section =
            |section: &'static str| move |p: ConfigProblem| ConfigIssue::in_section(section, p);
        let mut issues: Vec<ConfigIssue> = Vec::new();
        issues.extend(self.grid.validate().into_iter().map(in_section("grid")));
        issues.extend(
            self.rebalance
                .validate()
                .into_iter()
                .map(in_section("rebalance")),
        );
        issues.extend(self.leak.validate().into_iter().map(in_section("leak")));
        issues.extend(
            self.rangers
                .validate()
                .into_iter()
                .map(in_section("rangers")),
        );
        issues.extend(
            self.churners
                .validate()
                .into_iter()
                .map(in_section("churners")),
        );
        issues.extend(self.maker.validate().into_iter().map(in_section("maker")));
        issues.extend(self.hedger.validate().into_iter().map(in_section("hedger")));
        issues.extend(self.venue.validate().into_iter().map(in_section("venue")));
        issues.extend(
            self.backtest
                .validate()
                .into_iter()
                .map(in_section("backtest")),
        );

        issues
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_keys_are_prefixed_everywhere() {
        let mut cfg = FlywheelConfig::default();
        cfg.maker.resume_threshold_bps = 40.0;
        let got = cfg.validate();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].key, "maker.resume_threshold_bps");
        assert_eq!(got[0].also, vec!["maker.pause_threshold_bps".to_string()]);
    }
}
