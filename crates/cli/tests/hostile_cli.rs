//! Hostile command lines against the built binary (issue 9: bad input never crashes, hangs
//! or destroys data).
//!
//! One table, [`cases`], of named cases. Each runs `flywheel` in a fresh temporary
//! directory filled by its `setup`, then checks
//! - the exit code;
//! - that stderr names the place (`says`: a path, an option, a side) and not what must not
//!   have happened (`lacks`);
//! - that every file present before the run is byte-for-byte unchanged afterwards (inputs,
//!   and existing outputs a failed run must not clobber), except those it `replaces`;
//! - that exactly the files it `creates` appeared: no output of a refused run, no journal of
//!   a run that should not have started, no temporary file left behind.
//!
//! To add a case, append `case(name, setup, "command line")` with its expectations to
//! [`cases`]; the setups in `hostile/setup.rs` write small synthetic data files. In
//! arguments and messages, `{ro}` stands for a directory no one can create files in.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

#[path = "hostile/setup.rs"]
mod setup;
use setup::*;

/// Run the binary in `dir` with every inherited `FLYWHEEL_` variable removed; returns the
/// exit code (`-1` when killed by a signal, e.g. an abort), stdout and stderr.
fn run(dir: &Path, args: &[String]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flywheel"));
    cmd.args(args).current_dir(dir);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("FLYWHEEL_") {
            cmd.env_remove(name);
        }
    }
    let out = cmd.output().expect("run flywheel");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One hostile command line and what must come of it.
struct Case {
    name: &'static str,
    setup: fn(&Path),
    /// The command line, split on whitespace.
    args: &'static str,
    code: i32,
    says: &'static [&'static str],
    lacks: &'static [&'static str],
    creates: &'static [&'static str],
    replaces: &'static [&'static str],
    /// Further checks on the directory after the run.
    then: fn(&Path) -> Result<(), String>,
}

/// A case that must fail with exit code 1, create nothing and change nothing.
fn case(name: &'static str, setup: fn(&Path), args: &'static str) -> Case {
    Case {
        name,
        setup,
        args,
        code: 1,
        says: &[],
        lacks: &[],
        creates: &[],
        replaces: &[],
        then: |_| Ok(()),
    }
}

impl Case {
    fn code(self, code: i32) -> Case {
        Case { code, ..self }
    }
    fn says(self, says: &'static [&'static str]) -> Case {
        Case { says, ..self }
    }
    fn lacks(self, lacks: &'static [&'static str]) -> Case {
        Case { lacks, ..self }
    }
    fn creates(self, creates: &'static [&'static str]) -> Case {
        Case { creates, ..self }
    }
    fn replaces(self, replaces: &'static [&'static str]) -> Case {
        Case { replaces, ..self }
    }
    fn then(self, then: fn(&Path) -> Result<(), String>) -> Case {
        Case { then, ..self }
    }
}

fn cases() -> Vec<Case> {
    vec![
        // An output naming an input, however spelled, is refused before anything is read.
        case(
            "journal is the data file",
            data,
            "backtest --data data.csv --journal data.csv",
        )
        .says(&["--journal data.csv", "is the input --data data.csv"]),
        case(
            "journal is ./data file",
            data,
            "backtest --data data.csv --journal ./data.csv",
        )
        .says(&["--journal ./data.csv", "--data data.csv"]),
        case(
            "journal is a symlink to the data",
            data_and_links,
            "backtest --data data.csv --journal link.jsonl",
        )
        .says(&["--journal link.jsonl", "--data data.csv"]),
        case(
            "json is a hard link to the data",
            data_and_links,
            "backtest --data data.csv --json hard.json",
        )
        .says(&["--json hard.json", "--data data.csv"]),
        case(
            "json is the data file",
            data,
            "backtest --data data.csv --json data.csv",
        )
        .says(&["--json data.csv", "--data data.csv"]),
        case(
            "report is the data file",
            data,
            "backtest --data data.csv --report data.csv",
        )
        .says(&["--report data.csv", "--data data.csv"]),
        case(
            "json is the config file",
            data_and_configs,
            "backtest --data data.csv --config good.toml --json good.toml",
        )
        .says(&["--json good.toml", "--config good.toml"]),
        case(
            "maker journal is the data file",
            data,
            "backtest --strategy maker --data data.csv --journal data.csv",
        )
        .says(&["--journal data.csv", "--data data.csv"]),
        case(
            "compare json is side B's config",
            data_and_configs,
            "compare --data data.csv --config good.toml --config other.toml --json other.toml",
        )
        .says(&["--json other.toml", "side B --config other.toml"]),
        case(
            "demo report is the config file",
            data_and_configs,
            "demo --days 1 --config good.toml --report good.toml",
        )
        .says(&["--report good.toml", "--config good.toml"]),
        // Two outputs, one file.
        case(
            "json and report name one file",
            data,
            "backtest --data data.csv --json out.html --report ./out.html",
        )
        .says(&["--json out.html", "--report ./out.html", "same file"]),
        // Unusable places fail before the run: no journal appears.
        case(
            "json directory missing",
            data,
            "backtest --data data.csv --journal j.jsonl --json nodir/out.json",
        )
        .says(&["--json nodir/out.json", "nodir"]),
        case(
            "json directory unwritable",
            data,
            "backtest --data data.csv --journal j.jsonl --json {ro}/out.json",
        )
        .says(&["--json {ro}/out.json"]),
        case(
            "report directory unwritable",
            data,
            "backtest --data data.csv --journal j.jsonl --report {ro}/r.html",
        )
        .says(&["--report {ro}/r.html"]),
        case(
            "json under a file",
            data,
            "backtest --data data.csv --journal j.jsonl --json data.csv/out.json",
        )
        .says(&["--json data.csv/out.json"]),
        case(
            "json is a directory",
            data,
            "backtest --data data.csv --json .",
        )
        .says(&["--json .", "directory"]),
        case(
            "read-only output is not replaced",
            data_and_outputs,
            "backtest --data data.csv --json ro.json",
        )
        .says(&["--json ro.json", "read-only"]),
        // compare checks both sides before running either, and names the side.
        case(
            "compare bad side B config",
            data_bad_late_and_configs,
            "compare --data data.csv --config good.toml --config bad.toml --json out.json",
        )
        // Side A would have stopped at the bad line 30: its absence shows A never ran.
        .says(&["side B", "bad.toml"])
        .lacks(&["data.csv:30", "side A"]),
        case(
            "compare bad side B override",
            data_bad_late_and_configs,
            "compare --data data.csv --set-b grid.nonsense=1",
        )
        .says(&["side B", "nonsense"])
        .lacks(&["data.csv:30", "side A"]),
        case(
            "compare missing side B config",
            data_bad_late_and_configs,
            "compare --data data.csv --config good.toml --config missing.toml",
        )
        .says(&["side B", "missing.toml"])
        .lacks(&["data.csv:30"]),
        case(
            "compare bad side A config",
            data_bad_late_and_configs,
            "compare --data data.csv --config bad.toml --config good.toml",
        )
        .says(&["side A", "bad.toml"])
        .lacks(&["data.csv:30", "side B"]),
        case(
            "compare maker bad side B",
            data_bad_late_and_configs,
            "compare --strategy maker --data data.csv --set-b maker.nonsense=1",
        )
        .says(&["side B", "nonsense"])
        .lacks(&["data.csv:30", "side A"]),
        // Empty data is an error, never an all-zero summary.
        case(
            "header-only CSV",
            empties,
            "backtest --data header.csv --json out.json --journal j.jsonl",
        )
        .says(&["no events in header.csv"]),
        case("empty JSON array", empties, "backtest --data array.json")
            .says(&["no events in array.json"]),
        case("zero-byte file", empties, "backtest --data zero.csv").says(&["zero.csv", "empty"]),
        case("gzip of nothing", empties, "backtest --data nothing.csv.gz")
            .says(&["nothing.csv.gz", "empty"]),
        case(
            "maker on header-only CSV",
            empties,
            "backtest --strategy maker --data header.csv --report r.html",
        )
        .says(&["no events in header.csv"]),
        case(
            "compare on header-only CSV",
            empties,
            "compare --data header.csv --json out.json",
        )
        .says(&["no events in header.csv"]),
        case(
            "compare maker on empty JSON array",
            empties,
            "compare --strategy maker --data array.json",
        )
        .says(&["no events in array.json"]),
        // Bounds clap enforces (exit 2): no report appears.
        case(
            "demo days 2^64-1",
            nothing,
            "demo --days 18446744073709551615",
        )
        .code(2)
        .says(&["--days"]),
        case("demo days zero", nothing, "demo --days 0")
            .code(2)
            .says(&["--days"]),
        case("demo days above the bound", nothing, "demo --days 3651")
            .code(2)
            .says(&["--days", "3650"]),
        // A run that fails leaves existing outputs as they were and no half journal.
        case(
            "existing outputs survive a data error",
            data_bad_late_and_outputs,
            "backtest --data data.csv --json out.json --report r.html --journal j.jsonl",
        )
        .says(&["data.csv:30"]),
        case(
            "existing outputs survive a bad config",
            data_and_outputs,
            "backtest --data data.csv --set grid.nonsense=1 --json out.json --journal j.jsonl",
        )
        .says(&["nonsense"]),
        case(
            "existing outputs survive a refused path",
            data_and_outputs,
            "backtest --data data.csv --json out.json --journal j.jsonl --report data.csv",
        )
        .says(&["--report data.csv"]),
        case(
            "existing outputs survive empty data",
            data_and_outputs,
            "backtest --data header.csv --json out.json --journal j.jsonl",
        )
        .says(&["no events in header.csv"]),
        // A full disk under one output: the others are still written, the run fails naming it.
        case(
            "journal on a full disk keeps summary and report",
            big_data,
            "backtest --data big.csv --quiet --journal /dev/full --json out.json --report r.html",
        )
        .says(&["--journal /dev/full", "No space left on device"])
        .creates(&["out.json", "r.html"])
        .then(summary_counts_every_event),
        case(
            "json on a full disk keeps report and journal",
            data,
            "backtest --data data.csv --quiet --json /dev/full --report r.html --journal j.jsonl",
        )
        .says(&["--json /dev/full", "No space left on device"])
        .creates(&["r.html", "j.jsonl"]),
        // Good runs: outputs replaced whole, nothing else left behind.
        case(
            "good run replaces existing outputs",
            data_and_outputs,
            "backtest --data data.csv --quiet --json out.json --report r.html --journal j.jsonl",
        )
        .code(0)
        .replaces(&["out.json", "r.html", "j.jsonl"]),
        case(
            "json to standard output",
            data,
            "backtest --data data.csv --json -",
        )
        .code(0),
        case(
            "maker good run creates its outputs",
            data,
            "backtest --strategy maker --data data.csv --quiet --json m.json --journal m.jsonl",
        )
        .code(0)
        .creates(&["m.json", "m.jsonl"]),
        // Hostile prices and extreme sizes never abort: an outlier print is skipped and
        // counted; without the check the engine refuses the mark and halts, naming it.
        case(
            "a fat-finger print is skipped and counted",
            spike,
            "backtest --data spike.csv --json out.json",
        )
        .code(0)
        .creates(&["out.json"])
        .then(one_print_skipped),
        case(
            "with the price check off the engine refuses the print and halts",
            spike,
            "backtest --data spike.csv --json out.json --set sanity.mode=off",
        )
        .code(0)
        .creates(&["out.json"])
        .then(spike_refused_and_halted),
        case(
            "sanity reject names the line, the price and the median",
            spike,
            "backtest --data spike.csv --set sanity.mode=reject",
        )
        .says(&["spike.csv:202:", "123000000", "median"]),
        case(
            "the maker survives the print too",
            spike,
            "backtest --strategy maker --data spike.csv --json out.json --set sanity.mode=off",
        )
        .code(0)
        .creates(&["out.json"]),
        case(
            "large balances with fast loops keep exact totals",
            month_like,
            "backtest --data data.csv --json out.json --set backtest.start_quote=100000000 \
             --set backtest.start_base=1000000000 --set grid.loop_interval_sec=15 \
             --set grid.quote_first_allocation=false",
        )
        .code(0)
        .creates(&["out.json"])
        .then(reconciled_and_trading),
        // Gaps: a mistyped far-future time is an error naming its line; a gap allowed by
        // the limit is crossed at once, however long.
        case(
            "a 2043 typo in the last row",
            typo_2043,
            "backtest --data typo.csv",
        )
        .says(&[
            "typo.csv:61:",
            "years since the previous event (line 60)",
            "sanity.max_gap_sec",
        ]),
        case(
            "1970 to 9999 with no gap limit finishes",
            span_1970_9999,
            "backtest --data span.csv --json out.json --set sanity.max_gap_sec=0",
        )
        .code(0)
        .creates(&["out.json"])
        .then(crossed_the_gap),
        // Values that passed `config check` and then aborted the run, and contradictions
        // a trader expects `config check` to catch: refused before any data is read.
        case(
            "loop interval of i64::MAX",
            data,
            "backtest --data data.csv --set grid.loop_interval_sec=9223372036854775807",
        )
        .says(&["grid.loop_interval_sec", "between 1 and 3600"]),
        case(
            "start quote of 1e10",
            data,
            "backtest --data data.csv --set backtest.start_quote=10000000000",
        )
        .says(&["backtest.start_quote"]),
        case(
            "order size of 1e9",
            data,
            "backtest --data data.csv --set grid.order_size_usd=1000000000",
        )
        .says(&["grid.order_size_usd"]),
        case(
            "min volume of 9e9",
            data,
            "backtest --data data.csv --set grid.min_volume=9000000000",
        )
        .says(&["grid.min_volume"]),
        case(
            "a billion rangers",
            data,
            "backtest --data data.csv --set rangers.max_slots=1000000000",
        )
        .says(&["rangers.max_slots"]),
        case(
            "profit below the round-trip fees",
            data,
            "backtest --data data.csv --set grid.profit_pct=0.1",
        )
        .says(&["grid.profit_pct", "every round trip loses money"]),
        case(
            "entries farther than the refresh distance",
            data,
            "backtest --data data.csv --set grid.entry_pct=2 --set grid.refresh_pct=1",
        )
        .says(&["grid.entry_pct", "grid.refresh_pct"]),
        case(
            "a line with no end",
            endless_line,
            "backtest --data long.csv",
        )
        .says(&["long.csv:2:", "line longer than"]),
    ]
}

#[test]
fn hostile_command_lines() {
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        if let Err(why) = check(case) {
            failures.push(format!("{}: {why}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

fn check(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let d = dir.path();
    (case.setup)(d);
    let ro = unwritable_dir(d);
    let sub = |s: &str| s.replace("{ro}", &ro);
    let args: Vec<String> = case.args.split_whitespace().map(sub).collect();
    let before = snapshot(d);
    let (code, stdout, stderr) = run(d, &args);
    let after = snapshot(d);
    let shown = format!(
        "flywheel {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        args.join(" ")
    );
    let mut problems = Vec::new();
    if code != case.code {
        problems.push(format!("exit code {code}, expected {}", case.code));
    }
    if stderr.contains("panicked") {
        problems.push("panicked".to_string());
    }
    for want in case.says.iter().map(|s| sub(s)) {
        if !stderr.contains(&want) {
            problems.push(format!("stderr does not say {want:?}"));
        }
    }
    for unwanted in case.lacks {
        if stderr.contains(unwanted) {
            problems.push(format!("stderr says {unwanted:?}"));
        }
    }
    for (name, bytes) in &before {
        let replaced = case.replaces.contains(&name.as_str());
        match after.get(name) {
            None => problems.push(format!("{name} disappeared")),
            Some(now) if !replaced && now != bytes => problems.push(format!("{name} changed")),
            Some(now) if replaced && now == bytes => problems.push(format!("{name} not replaced")),
            Some(_) => {}
        }
    }
    // Both sorted: the snapshot is a BTreeMap.
    let new: Vec<&str> = after
        .keys()
        .filter(|k| !before.contains_key(*k))
        .map(String::as_str)
        .collect();
    let mut expected: Vec<&str> = case.creates.to_vec();
    expected.sort_unstable();
    if new != expected {
        problems.push(format!("new files {new:?}, expected {expected:?}"));
    }
    if let Err(why) = (case.then)(d) {
        problems.push(why);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n{shown}", problems.join("; ")))
    }
}

/// Every file under `dir` (relative name → contents; symbolic links read through), so a
/// run's changes show as a difference between two snapshots.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            if is_dir {
                walk(root, &path, out);
            } else {
                let name = path.strip_prefix(root).unwrap_or(&path);
                let bytes = std::fs::read(&path).unwrap_or_else(|e| e.to_string().into_bytes());
                out.insert(name.display().to_string(), bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// A directory no one can create a file in: `ro/` with mode 0555, unless permissions do not
/// bind (tests running as root, as in CI containers); then `/proc`, which refuses new files
/// even to root. Either way the case exercises the same refusal.
fn unwritable_dir(d: &Path) -> String {
    let ro = d.join("ro");
    if std::fs::create_dir(&ro).is_err() {
        return "/proc".to_string();
    }
    let _ = std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555));
    let probe = ro.join("probe");
    if std::fs::write(&probe, "").is_ok() {
        let _ = std::fs::remove_file(&probe);
        return "/proc".to_string();
    }
    ro.display().to_string()
}
