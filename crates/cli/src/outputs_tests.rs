//! Unit tests of [`OutputSet`]: refusals by identity, atomic replacement, and what is left on
//! disk when the journal fails.

use super::*;

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;

use tempfile::TempDir;

/// Every file in `dir` (not recursive) with its contents.
fn listing(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let e = e.expect("entry");
            let bytes = fs::read(e.path()).unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

/// A temp dir holding `data.csv`; returns it and the data's input list.
fn with_data() -> (TempDir, Vec<Input>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data.csv");
    fs::write(&data, "time,open,high,low,close,volume\n").expect("write");
    (dir, vec![Input::new("--data", &data)])
}

#[test]
fn an_output_naming_an_input_is_refused_whatever_its_spelling() {
    let (dir, inputs) = with_data();
    let d = dir.path();
    symlink(d.join("data.csv"), d.join("link")).expect("symlink");
    fs::hard_link(d.join("data.csv"), d.join("hard")).expect("hard link");
    fs::create_dir(d.join("sub")).expect("mkdir");
    let spellings = [
        ("same path", d.join("data.csv")),
        ("dot slash", d.join(".").join("data.csv")),
        ("dot dot", d.join("sub").join("..").join("data.csv")),
        ("symbolic link", d.join("link")),
        ("hard link", d.join("hard")),
    ];
    let before = listing(d);
    for (name, path) in &spellings {
        for option in ["--json", "--report", "--journal"] {
            let p = Some(path.as_path());
            let res = match option {
                "--json" => OutputSet::prepare(&inputs, p, None, None),
                "--report" => OutputSet::prepare(&inputs, None, p, None),
                _ => OutputSet::prepare(&inputs, None, None, p),
            };
            let err = format!("{:#}", res.expect_err(name));
            assert!(err.contains(option), "{name} {option}: {err}");
            assert!(
                err.contains("is the input --data"),
                "{name} {option}: {err}"
            );
        }
    }
    assert_eq!(listing(d), before, "nothing was created or changed");
}

#[test]
fn two_outputs_naming_one_file_are_refused_existing_or_not() {
    let (dir, inputs) = with_data();
    let d = dir.path();
    fs::write(d.join("old.json"), "old").expect("write");
    for (name, a, b) in [
        ("new file", d.join("o.json"), d.join(".").join("o.json")),
        ("existing file", d.join("old.json"), d.join("old.json")),
    ] {
        let err = OutputSet::prepare(&inputs, Some(&a), Some(&b), None).expect_err(name);
        let err = format!("{err:#}");
        assert!(err.contains("--json") && err.contains("--report"), "{err}");
        assert!(err.contains("name the same file"), "{err}");
    }
    assert!(!d.join("o.json").exists());
}

#[test]
fn streams_may_be_shared_and_standard_output_is_allowed() {
    let (_dir, inputs) = with_data();
    let null = Path::new("/dev/null");
    let set = OutputSet::prepare(&inputs, Some(null), Some(null), Some(null)).expect("ok");
    assert!(!set.uses_stdout());
    set.finish("{}", Some("<html>"), Some(Ok(0)))
        .expect("written");
    let set = OutputSet::prepare(&inputs, Some(Path::new("-")), None, None).expect("ok");
    assert!(set.uses_stdout());
}

#[test]
fn bad_places_are_refused_naming_option_and_path() {
    let (dir, inputs) = with_data();
    let d = dir.path();
    fs::write(d.join("ro.json"), "keep").expect("write");
    fs::set_permissions(d.join("ro.json"), Permissions::from_mode(0o444)).expect("chmod");
    symlink(d.join("nowhere"), d.join("dangling")).expect("symlink");
    let cases = [
        ("missing directory", d.join("nodir").join("o.json"), "nodir"),
        (
            "parent is a file",
            d.join("data.csv").join("o.json"),
            "data.csv",
        ),
        ("a directory", d.to_path_buf(), "is a directory"),
        ("read-only file", d.join("ro.json"), "read-only"),
        ("dangling link", d.join("dangling"), "symbolic link"),
    ];
    for (name, path, says) in cases {
        let err = OutputSet::prepare(&inputs, Some(&path), None, None).expect_err(name);
        let err = format!("{err:#}");
        assert!(
            err.contains(&format!("--json {}", path.display())),
            "{name}: {err}"
        );
        assert!(err.contains(says), "{name}: {err}");
    }
    assert_eq!(fs::read(d.join("ro.json")).expect("read"), b"keep");
}

#[test]
fn finish_replaces_files_whole_and_keeps_their_mode() {
    let (dir, inputs) = with_data();
    let d = dir.path();
    fs::write(d.join("out.json"), "old summary").expect("write");
    fs::set_permissions(d.join("out.json"), Permissions::from_mode(0o640)).expect("chmod");
    let (json, report, journal) = (d.join("out.json"), d.join("r.html"), d.join("j.jsonl"));
    let set = OutputSet::prepare(&inputs, Some(&json), Some(&report), Some(&journal)).expect("ok");
    // Until the end, the user's names hold what they held before.
    assert_eq!(fs::read(&json).expect("read"), b"old summary");
    assert!(!report.exists() && !journal.exists());
    let mut stream = set
        .journal_stream()
        .expect("stream")
        .expect("journal asked");
    stream.write_all(b"{\"kind\":\"x\"}\n").expect("write");
    drop(stream);
    set.finish("{\"new\":1}\n", Some("<html>"), Some(Ok(1)))
        .expect("written");
    assert_eq!(fs::read(&json).expect("read"), b"{\"new\":1}\n");
    assert_eq!(fs::read(&report).expect("read"), b"<html>");
    assert_eq!(fs::read(&journal).expect("read"), b"{\"kind\":\"x\"}\n");
    let mode = fs::metadata(&json).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the replaced file keeps its mode");
    let names: Vec<String> = listing(d).into_keys().collect();
    assert_eq!(
        names,
        ["data.csv", "j.jsonl", "out.json", "r.html"],
        "no temp files left"
    );
}

#[test]
fn a_failed_journal_keeps_summary_and_report_and_the_old_journal() {
    let (dir, inputs) = with_data();
    let d = dir.path();
    fs::write(d.join("j.jsonl"), "previous run\n").expect("write");
    let (json, report, journal) = (d.join("out.json"), d.join("r.html"), d.join("j.jsonl"));
    let set = OutputSet::prepare(&inputs, Some(&json), Some(&report), Some(&journal)).expect("ok");
    let mut stream = set
        .journal_stream()
        .expect("stream")
        .expect("journal asked");
    stream.write_all(b"{\"kind\":\"half").expect("write");
    drop(stream);
    let full = io::Error::from_raw_os_error(28);
    let err = set
        .finish("{}\n", Some("<html>"), Some(Err(full)))
        .expect_err("the journal failed");
    let err = format!("{err:#}");
    assert!(
        err.contains(&format!("--journal {}", journal.display())),
        "{err}"
    );
    assert!(err.contains("No space left on device"), "{err}");
    assert!(err.contains("left as it was"), "{err}");
    assert_eq!(fs::read(&json).expect("summary written"), b"{}\n");
    assert_eq!(fs::read(&report).expect("report written"), b"<html>");
    assert_eq!(fs::read(&journal).expect("read"), b"previous run\n");
    assert_eq!(listing(d).len(), 4, "the partial journal was removed");
}

#[test]
fn a_run_that_fails_leaves_no_trace() {
    let (dir, inputs) = with_data();
    let d = dir.path();
    fs::write(d.join("out.json"), "old").expect("write");
    let before = listing(d);
    let set = OutputSet::prepare(
        &inputs,
        Some(&d.join("out.json")),
        Some(&d.join("r.html")),
        Some(&d.join("j.jsonl")),
    )
    .expect("ok");
    assert!(
        listing(d).len() > before.len(),
        "temp files exist during the run"
    );
    drop(set); // the run failed: `?` drops the outputs unwritten
    assert_eq!(listing(d), before);
}
