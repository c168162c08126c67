//! The configuration parser (`flywheel_cli::config_file::parse_config`) on arbitrary UTF-8.
//!
//! The input up to the first NUL is the TOML file; each line after it is an environment
//! variable `NAME=VALUE` (only `FLYWHEEL_…` ones become overrides), so overrides are fuzzed
//! together with the file they apply to. Beyond not panicking, every problem must name its
//! place: the file (with a line:column inside the text when there is one) or the override's
//! variable.
#![no_main]

use flywheel_cli::config_file::parse_config;
use flywheel_cli::overrides::Override;
use libfuzzer_sys::fuzz_target;

const NAME: &str = "fuzz.toml";

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let (text, env) = input.split_once('\0').unwrap_or((input, ""));
    let vars: Vec<(String, String)> = env
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let overrides = match Override::from_env(vars.clone()) {
        Ok(list) => list,
        Err(problems) => {
            for p in problems {
                assert!(vars.iter().any(|(n, _)| *n == p.place), "{p}");
            }
            return;
        }
    };
    let Err(problems) = parse_config(NAME, text, &overrides) else {
        return;
    };
    assert!(!problems.is_empty());
    let lines = text.lines().count().max(1) + 1;
    for p in &problems {
        let from_override = overrides.iter().any(|o| o.origin == p.place);
        let in_file = p.place == NAME
            || p.place
                .strip_prefix(NAME)
                .and_then(|rest| rest.strip_prefix(':'))
                .and_then(|rest| rest.split(':').next())
                .and_then(|line| line.parse::<usize>().ok())
                .is_some_and(|line| line >= 1 && line <= lines);
        assert!(from_override || in_file, "problem without a place: {p}");
    }
});
