//! `POST /api/actions/set` validated as the configuration file is: [`RuntimeSet`] is the
//! runner's [`SetValidator`] for a run.
//!
//! A `set key=value` is applied as one more override, after the run's own (environment,
//! command line) and the sets accepted before it, to the run's configuration text, through
//! [`parse_config`] — the loader every command uses — so a value is refused with the very
//! message the file would get (`runtime set: rebalance.kp: …`), cross-checks included. A key
//! outside the strategy's whitelist is refused with the list of settable keys.
//!
//! Invariants:
//! - The configuration text is the one the run loaded, kept in memory: an edit of the file
//!   after the start changes nothing here.
//! - A value accepted here is applied by the engine (the whitelist is the engine's), so the
//!   accepted sets are the engine's configuration: later cross-checks see them.
//! - The same validator (same text, same overrides) answers the same way in a replay.

use std::path::Path;
use std::sync::Mutex;

use flywheel_engine::operator::{Setting, GRID_SETTABLE_KEYS, MAKER_SETTABLE_KEYS};
use flywheel_runner::command::{SetValidator, ValidatedSet};

use crate::commands::backtest::Strategy;
use crate::config_file::{parse_config, source_name, ConfigError, STDIN_PATH};
use crate::overrides::Override;

/// Where a runtime set comes from, in refusal messages.
pub const ORIGIN: &str = "runtime set";

/// The validator of a run's `set` commands (see the module docs).
#[derive(Debug)]
pub struct RuntimeSet {
    strategy: Strategy,
    name: String,
    text: String,
    overrides: Vec<Override>,
    /// The sets accepted so far, in order.
    accepted: Mutex<Vec<Override>>,
}

impl RuntimeSet {
    /// A validator for the configuration `text` (named `name` in messages) loaded with
    /// `overrides`, for a run of `strategy`.
    pub fn new(strategy: Strategy, name: &str, text: String, overrides: Vec<Override>) -> Self {
        RuntimeSet {
            strategy,
            name: name.to_string(),
            text,
            overrides,
            accepted: Mutex::new(Vec::new()),
        }
    }

    /// A validator for the configuration at `path` (`None`: the defaults) as the run loaded
    /// it. Standard input cannot be read twice: pass its text to [`Self::new`].
    pub fn from_path(
        strategy: Strategy,
        path: Option<&Path>,
        overrides: &[Override],
    ) -> Result<Self, ConfigError> {
        let name = source_name(path);
        let text =
            match path {
                None => String::new(),
                Some(p) if p == Path::new(STDIN_PATH) => return Err(ConfigError::Read {
                    name,
                    source: std::io::Error::other(
                        "the configuration came from standard input: runtime sets need its text",
                    ),
                }),
                Some(p) => std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    name: name.clone(),
                    source,
                })?,
            };
        Ok(RuntimeSet::new(strategy, &name, text, overrides.to_vec()))
    }

    /// The keys this run accepts.
    pub fn keys(&self) -> &'static [&'static str] {
        match self.strategy {
            Strategy::Grid => GRID_SETTABLE_KEYS,
            Strategy::Maker => MAKER_SETTABLE_KEYS,
        }
    }
}

impl SetValidator for RuntimeSet {
    fn validate(&self, key: &str, value: &str) -> Result<ValidatedSet, String> {
        if !self.keys().contains(&key) {
            return Err(format!(
                "{key} is not a runtime-settable key; settable keys: {}",
                self.keys().join(", ")
            ));
        }
        let set = Override {
            origin: ORIGIN.to_string(),
            path: key.split('.').map(str::to_string).collect(),
            value: value.to_string(),
        };
        // A poisoned lock only means a panic elsewhere mid-push: the list is still whole.
        let mut accepted = self.accepted.lock().unwrap_or_else(|p| p.into_inner());
        let mut all = self.overrides.clone();
        all.extend(accepted.iter().cloned());
        all.push(set.clone());
        let loaded = parse_config(&self.name, &self.text, &all).map_err(|problems| {
            problems
                .iter()
                .filter(|p| p.is_error())
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        let c = &loaded.config;
        let setting = Setting::read(key, &c.rebalance, &c.maker, &c.hedger)
            .ok_or_else(|| format!("{key}: no runtime setting reads it"))?;
        accepted.push(set);
        Ok(setting)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flywheel_core::Qty;

    const FILE: &str = "[rebalance]\nkp = 2.0\n";

    fn grid() -> RuntimeSet {
        RuntimeSet::new(Strategy::Grid, "flywheel.toml", FILE.into(), Vec::new())
    }

    fn maker() -> RuntimeSet {
        RuntimeSet::new(Strategy::Maker, "flywheel.toml", FILE.into(), Vec::new())
    }

    #[test]
    fn accepted_values_are_typed_as_the_configuration_holds_them() {
        let cases: [(&str, RuntimeSet, &str, &str, Setting); 6] = [
            (
                "kp float",
                grid(),
                "rebalance.kp",
                "2.5",
                Setting::RebalanceKp(2.5),
            ),
            (
                "kd",
                grid(),
                "rebalance.kd",
                "0.25",
                Setting::RebalanceKd(0.25),
            ),
            (
                "target",
                grid(),
                "rebalance.target_idle_pct",
                "0.2",
                Setting::RebalanceTargetIdlePct(0.2),
            ),
            (
                "enabled",
                grid(),
                "rebalance.enabled",
                "false",
                Setting::RebalanceEnabled(false),
            ),
            (
                "spread",
                maker(),
                "maker.spread_bps",
                "12.5",
                Setting::MakerSpreadBps(12.5),
            ),
            (
                "trigger",
                maker(),
                "hedger.trigger_units",
                "\"0.02\"",
                Setting::HedgerTriggerUnits(Qty::lit(2, 2)),
            ),
        ];
        for (name, v, key, value, want) in cases {
            assert_eq!(v.validate(key, value), Ok(want), "{name}");
        }
    }

    #[test]
    fn refusals_carry_the_configuration_files_message() {
        // (case, validator, key, value, what the message must contain)
        let cases: [(&str, RuntimeSet, &str, &str, &[&str]); 6] = [
            (
                "unknown key lists the settable ones",
                grid(),
                "grid.slots",
                "3",
                &["grid.slots is not a runtime-settable key", "rebalance.kp"],
            ),
            (
                "a maker key on the grid",
                grid(),
                "maker.spread_bps",
                "3",
                &["not a runtime-settable key", "rebalance.kd"],
            ),
            (
                "a grid key on the maker",
                maker(),
                "rebalance.kp",
                "3",
                &["not a runtime-settable key", "maker.spread_bps"],
            ),
            (
                "out of range",
                grid(),
                "rebalance.kp",
                "1000",
                &["runtime set: rebalance.kp: "],
            ),
            (
                "wrong type",
                grid(),
                "rebalance.enabled",
                "maybe",
                &["runtime set", "rebalance.enabled"],
            ),
            (
                "negative gain",
                grid(),
                "rebalance.kd",
                "-1",
                &["runtime set: rebalance.kd: "],
            ),
        ];
        for (name, v, key, value, want) in cases {
            let err = v.validate(key, value).expect_err(name);
            for w in want {
                assert!(err.contains(w), "{name}: {err:?} lacks {w:?}");
            }
        }
    }

    #[test]
    fn the_message_is_the_one_the_file_gets() {
        let via_set = grid()
            .validate("rebalance.kp", "1000")
            .expect_err("out of range");
        let file = "[rebalance]\nkp = 1000\n";
        let problems = parse_config("f.toml", file, &[]).expect_err("out of range");
        let from_file = problems[0].to_string();
        let tail = |s: &str| s.split_once("rebalance.kp: ").map(|(_, m)| m.to_string());
        assert_eq!(tail(&via_set), tail(&from_file), "{via_set} vs {from_file}");
    }

    #[test]
    fn accepted_sets_carry_into_later_checks() {
        // `maker.size_max >= maker.base_size` (defaults 0.072 and 0.064): a base size of
        // 0.09 passes only once size_max was raised.
        let fresh = maker().validate("maker.base_size", "0.09");
        assert!(fresh.is_err(), "{fresh:?}");
        let v = maker();
        assert_eq!(
            v.validate("maker.size_max", "0.1"),
            Ok(Setting::MakerSizeMax(Qty::lit(1, 1)))
        );
        assert_eq!(
            v.validate("maker.base_size", "0.09"),
            Ok(Setting::MakerBaseSize(Qty::lit(9, 2)))
        );
        // A refusal is not kept: the next check still sees size_max 0.1.
        assert!(v.validate("maker.size_max", "0.05").is_err());
        assert_eq!(
            v.validate("maker.base_size", "0.095"),
            Ok(Setting::MakerBaseSize(Qty::lit(95, 3)))
        );
    }

    #[test]
    fn a_session_applies_and_journals_what_the_validator_answers() {
        use flywheel_engine::config::{instrument, BacktestConfig, VenueConfig};
        use flywheel_engine::{Engine, JsonLines};
        use flywheel_runner::command::OperatorCommand;
        use flywheel_runner::session::PaperSession;

        let cfg = flywheel_grid::EngineConfig::default();
        let venue = VenueConfig::default();
        let inst = instrument(&cfg, &venue).expect("instrument");
        let start = BacktestConfig::default().start_balances();
        let sim = flywheel_venue::SimExchange::new(inst, venue.sim(), start).expect("sim");
        let engine = Engine::new(cfg, sim, JsonLines::new(Vec::new()));
        let mut session = PaperSession::new(engine, None).with_validator(Box::new(grid()));
        let now = flywheel_core::Timestamp::from_secs(1_700_000_000);
        // (case, key, value, ok, the message starts with)
        let cases = [
            ("applied", "rebalance.kp", "3", true, "rebalance.kp = 3"),
            (
                "out of range",
                "rebalance.kp",
                "101",
                false,
                "runtime set: rebalance.kp: ",
            ),
            (
                "unknown key",
                "grid.slots",
                "2",
                false,
                "grid.slots is not a runtime-settable",
            ),
        ];
        for (name, key, value, ok, start) in cases {
            let cmd = OperatorCommand::Set {
                key: key.into(),
                value: value.into(),
            };
            let out = session.command(cmd, now).expect("command");
            assert_eq!(out.ok, ok, "{name}: {out:?}");
            assert!(out.message.starts_with(start), "{name}: {out:?}");
        }
        let (engine, _) = session.finish().expect("finish");
        assert_eq!(
            engine.governor_config().kp,
            3.0,
            "only the valid set applied"
        );
        let text = engine.into_parts().1.into_inner().expect("journal");
        let lines: Vec<serde_json::Value> = String::from_utf8(text)
            .expect("utf8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .filter(|v: &serde_json::Value| v["kind"] == "operator")
            .collect();
        let oks: Vec<bool> = lines.iter().filter_map(|v| v["ok"].as_bool()).collect();
        assert_eq!(oks, [true, false, false], "one record per set");
    }
}
