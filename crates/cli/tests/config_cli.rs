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
