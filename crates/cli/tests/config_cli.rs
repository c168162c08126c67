//! End-to-end tests of the `flywheel` binary's `--help` and `config` commands.
//!
//! Each test runs the built binary with a clean set of `FLYWHEEL_` variables (the caller's
//! own overrides must not leak in) and checks its exit status and output.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Exit status of `config check` for an invalid configuration.
const EXIT_INVALID: i32 = 2;

/// The binary, with every inherited `FLYWHEEL_` variable removed and `env` set.
fn flywheel(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flywheel"));
    cmd.args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("FLYWHEEL_") {
            cmd.env_remove(name);
        }
    }
    cmd.envs(env.iter().copied());
    cmd
}

/// Run with `stdin` as standard input.
fn run(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = flywheel(args, env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start flywheel");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for flywheel")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `config check FILE` on a file holding `contents`, with `env` set.
fn check_file(contents: &str, env: &[(&str, &str)]) -> (Output, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("flywheel.toml");
    std::fs::write(&path, contents).expect("write config");
    let name = path.display().to_string();
    let out = run(&["config", "check", &name], env, "");
    (out, name)
}

fn assert_invalid(out: &Output, wants: &[&str]) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(EXIT_INVALID), "stderr: {stderr}");
    for want in wants {
        assert!(stderr.contains(want), "stderr lacks {want:?}:\n{stderr}");
    }
}

#[test]
fn help_describes_flywheel_and_config() {
    let out = run(&["--help"], &[], "");
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("maker-only"), "{stdout}");
    assert!(stdout.contains("config"), "{stdout}");
}

#[test]
fn defaults_round_trip_through_check_stdin() {
    let defaults = run(&["config", "defaults"], &[], "");
    assert!(defaults.status.success(), "{}", text(&defaults.stderr));
    let toml = text(&defaults.stdout);
    assert!(toml.contains("\n[grid]\n"), "{toml}");
    assert!(toml.contains("\nentry_pct = 0.2 "), "{toml}");
    assert!(toml.contains("\nmin_volume = 13 "), "{toml}");
    assert!(toml.contains("\n# entry_pct_a = 0.2 "), "{toml}");

    let out = run(&["config", "check", "-"], &[], &toml);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "<stdin>: ok\n");
}

#[test]
fn valid_file_is_ok() {
    let (out, name) = check_file("[grid]\nentry_pct = 0.3\nentry_pct_b = 0.25\n", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{name}: ok\n"));
}

#[test]
fn unknown_key_is_named() {
    let (out, name) = check_file("[grid]\nentry_pct = 0.3\nentry_pcx = 1\n", &[]);
    assert_invalid(
        &out,
        &[&format!(
            "{name}:3:1: grid.entry_pcx: unknown field `entry_pcx`"
        )],
    );
}

#[test]
fn out_of_range_values_are_all_named() {
    let (out, name) = check_file("[grid]\nentry_pct = 0\nmax_recovery_slots = 0\n", &[]);
    assert_invalid(
        &out,
        &[
            &format!("{name}:2:13: grid.entry_pct: must be > 0"),
            &format!("{name}:3:22: grid.max_recovery_slots: must be between 1 and 50, not 0"),
        ],
    );
}

#[test]
fn unknown_section_is_named() {
    let (out, name) = check_file("[grid]\n[hedgr]\nenabled = true\n", &[]);
    assert_invalid(
        &out,
        &[&format!("{name}:2:2: hedgr: unknown field `hedgr`")],
    );
}

#[test]
fn malformed_toml_names_file_line_and_column() {
    let (out, name) = check_file("[grid]\nentry_pct = 0.3\nprofit_pct = \n", &[]);
    assert_invalid(&out, &[&format!("{name}:3:")]);
}

#[test]
fn env_override_with_unknown_key_names_the_variable() {
    let (out, _) = check_file("[grid]\n", &[("FLYWHEEL_GRID__ENTRY_PERCENT", "0.3")]);
    assert_invalid(
        &out,
        &["FLYWHEEL_GRID__ENTRY_PERCENT: grid.entry_percent: unknown field"],
    );
}

#[test]
fn env_override_with_malformed_name_names_the_variable() {
    let (out, _) = check_file("[grid]\n", &[("FLYWHEEL_GRID_ENTRY_PCT", "0.3")]);
    assert_invalid(
        &out,
        &["FLYWHEEL_GRID_ENTRY_PCT: not a configuration override"],
    );
}

#[test]
fn env_override_is_applied() {
    let valid = "[grid]\nentry_pct = 0.3\n";
    let (out, _) = check_file(valid, &[("FLYWHEEL_GRID__ENTRY_PCT", "0")]);
    assert_invalid(
        &out,
        &["FLYWHEEL_GRID__ENTRY_PCT: grid.entry_pct: must be > 0"],
    );

    let (out, _) = check_file(
        "[grid]\nentry_pct = 0\n",
        &[("FLYWHEEL_GRID__ENTRY_PCT", "0.3")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn unreadable_file_is_an_error_not_a_check_failure() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.toml");
    assert!(!missing.exists());
    let out = run(
        &["config", "check", &missing.display().to_string()],
        &[],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot read"),
        "{}",
        text(&out.stderr)
    );
}

/// Values that passed `config check` and then aborted the engine (overflow checks) or
/// allocated gigabytes; each as (name, section, key, value).
const ABORTING: [(&str, &str, &str, &str); 5] = [
    (
        "loop interval of i64::MAX seconds",
        "grid",
        "loop_interval_sec",
        "9223372036854775807",
    ),
    (
        "start quote of 2e9",
        "backtest",
        "start_quote",
        "2000000000",
    ),
    ("order size of 1e9", "grid", "order_size_usd", "1000000000"),
    ("minimum volume of 9e9", "grid", "min_volume", "9000000000"),
    ("a billion rangers", "rangers", "max_slots", "1000000000"),
];

#[test]
fn aborting_values_are_refused_by_check_with_the_key_named() {
    for (name, section, key, value) in ABORTING {
        let (out, file) = check_file(&format!("[{section}]\n{key} = {value}\n"), &[]);
        let col = key.len() + 4;
        assert_invalid(
            &out,
            &[&format!("{file}:2:{col}: {section}.{key}: must be ")],
        );
        assert!(
            text(&out.stderr).contains(&format!("not {value} (")),
            "case {name}: the value is quoted: {}",
            text(&out.stderr)
        );
    }
}

/// Three one-minute bars: enough for a run, so only the configuration can stop it.
const TINY_DATA: &str = "time,open,high,low,close,volume\n\
    1704067200,0.1,0.1,0.1,0.1,1000\n\
    1704067260,0.1,0.101,0.099,0.1,1000\n\
    1704067320,0.1,0.1,0.1,0.1,1000\n";

/// `flywheel backtest` on a tiny data file with `sets` as `--set` options.
fn backtest(sets: &[String]) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data.csv");
    std::fs::write(&data, TINY_DATA).expect("write data");
    let mut args = vec![
        "backtest".to_string(),
        "--data".to_string(),
        data.display().to_string(),
        "--quiet".to_string(),
    ];
    for set in sets {
        args.push("--set".to_string());
        args.push(set.clone());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    flywheel(&args, &[])
        .stdin(Stdio::null())
        .output()
        .expect("run flywheel")
}

#[test]
fn backtest_refuses_aborting_values_before_running() {
    let baseline = backtest(&[]);
    assert!(
        baseline.status.success(),
        "the tiny data runs: {}",
        text(&baseline.stderr)
    );
    for (name, section, key, value) in ABORTING {
        let out = backtest(&[format!("{section}.{key}={value}")]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "case {name}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "--set {section}.{key}={value}: {section}.{key}: must be "
            )),
            "case {name}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "case {name}: {stderr}");
        assert_eq!(text(&out.stdout), "", "case {name}: nothing ran");
    }
}

#[test]
fn config_is_checked_before_the_data_is_opened() {
    let out = flywheel(
        &[
            "backtest",
            "--data",
            "/nonexistent/data.csv",
            "--set",
            "grid.slots=0",
        ],
        &[],
    )
    .output()
    .expect("run flywheel");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("grid.slots: must be between 1 and 1000"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("nonexistent"),
        "the data was not read: {stderr}"
    );
}

#[test]
fn cross_check_errors_name_every_key_and_value() {
    let (out, name) = check_file("[grid]\nprofit_pct = 0.1\n", &[]);
    assert_invalid(
        &out,
        &[&format!(
            "{name}:2:14: grid.profit_pct: 0.1 is below the round-trip maker fees 0.5 \
             (2 × grid.maker_fee_pct 0.25): every round trip loses money"
        )],
    );

    let (out, name) = check_file("[grid]\nentry_pct = 1.5\n", &[]);
    assert_invalid(
        &out,
        &[&format!(
            "{name}:2:13: grid.entry_pct: 1.5 is not below grid.refresh_pct 1: "
        )],
    );

    let (out, name) = check_file("[venue]\nlatency_ms = 60000\n", &[]);
    assert_invalid(
        &out,
        &[&format!(
            "{name}:2:14: venue.latency_ms: 60000 ms is not below \
             grid.stale_price_max_age_sec 60 s"
        )],
    );
}

#[test]
fn a_cross_check_is_placed_at_the_override_that_caused_it() {
    // The file's profit target is fine for its fee; the override raises the fee.
    let (out, _) = check_file(
        "[grid]\nprofit_pct = 1\n",
        &[("FLYWHEEL_GRID__MAKER_FEE_PCT", "0.6")],
    );
    assert_invalid(
        &out,
        &[
            "FLYWHEEL_GRID__MAKER_FEE_PCT: grid.profit_pct: 1 is below the round-trip maker fees \
           1.2 (2 × grid.maker_fee_pct 0.6)",
        ],
    );
}

#[test]
fn warnings_are_printed_and_check_still_succeeds() {
    let (out, name) = check_file("[grid]\nprofit_pct = 0.55\n", &[]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(text(&out.stdout), format!("{name}: ok, 1 warning\n"));
    assert!(
        stderr.contains(&format!(
            "{name}:2:14: warning: grid.profit_pct: 0.55 is only 0.05 percentage points above \
             the round-trip maker fees 0.5"
        )),
        "{stderr}"
    );

    // An error and a warning together: both printed, the check fails.
    let (out, name) = check_file("[grid]\nprofit_pct = 0.55\nslots = 0\n", &[]);
    assert_invalid(
        &out,
        &[
            &format!("{name}:3:9: grid.slots: must be between 1 and 1000"),
            &format!("{name}:2:14: warning: grid.profit_pct: "),
        ],
    );
}

#[test]
fn a_run_prints_warnings_and_runs() {
    let out = backtest(&["grid.profit_pct=0.55".to_string()]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("--set grid.profit_pct=0.55: warning: grid.profit_pct: 0.55 is only"),
        "{stderr}"
    );
}
