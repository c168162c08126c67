//! `flywheel run --mode live --http` against the mock Kraken, as separate processes (issues
//! 13 and 14): the operator surface of a live session. It is not ready until the restart
//! reconciliation is done; the status carries the connectivity block (both feeds, the
//! reconcile state and count, the rate counter); a reconcile asked from the API runs on the
//! engine thread and is counted; a pause reaches the engine; every action is in the store's
//! `operator_actions` after a clean stop.

#[allow(dead_code)] // the chaos tests use the rest of the rig
#[path = "common/chaos.rs"]
mod chaos;
mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::bot::{http, TOKEN};
use flywheel_store::{BlockingStore, DbUrl, StoreOptions};
use serde_json::Value;

fn status(addr: SocketAddr) -> Option<Value> {
    let (code, body) = http(addr, "GET", "/api/status", None, "");
    (code == 200).then(|| serde_json::from_str(&body).expect("status JSON"))
}

/// Polls the status until `ok` holds (≤ `secs`); the status that satisfied it.
fn wait_status(addr: SocketAddr, what: &str, secs: u64, ok: impl Fn(&Value) -> bool) -> Value {
    let until = Instant::now() + Duration::from_secs(secs);
    loop {
        let s = status(addr);
        if let Some(s) = s.as_ref().filter(|s| ok(s)) {
            return s.clone();
        }
        assert!(
            Instant::now() < until,
            "{what} not seen in {secs} s: {s:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_live_session_serves_readiness_connectivity_and_takes_a_reconcile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rig = chaos::Rig::new(dir.path(), 4_000, 40.0);
    rig.overrides.push(("FW_API_TOKEN".into(), TOKEN.into()));
    let mut live = rig.spawn(&["--http", "127.0.0.1:0"], None);
    assert!(
        live.wait_for("on http://", Duration::from_secs(60)),
        "no operator address: {}",
        live.log_text()
    );
    let log = live.log_text();
    let addr: SocketAddr = log
        .split("on http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|a| a.trim().parse().ok())
        .unwrap_or_else(|| panic!("operator address in {log}"));

    // Ready only once the restart reconciliation is done.
    let until = Instant::now() + Duration::from_secs(60);
    while http(addr, "GET", "/readyz", None, "").0 != 200 {
        assert!(
            Instant::now() < until,
            "not ready within 60 s: {}",
            live.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let s = wait_status(addr, "a reconciled live status", 30, |s| {
        s["connectivity"]["reconcile"]["state"] == "done"
    });
    assert_eq!(s["run"]["mode"], "live", "{s:#}");
    assert_eq!(s["ready"], true, "{s:#}");
    assert_eq!(s["connectivity"]["reconcile"]["runs"], 1, "{s:#}");
    let feeds = s["connectivity"]["feeds"].as_array().expect("feeds");
    let names: Vec<&str> = feeds.iter().filter_map(|f| f["feed"].as_str()).collect();
    assert_eq!(names, ["public", "private"], "{s:#}");
    wait_status(addr, "both feeds connected", 30, |s| {
        s["connectivity"]["feeds"]
            .as_array()
            .is_some_and(|f| f.iter().all(|f| f["connected"] == true))
    });
    wait_status(addr, "the trading rate counter", 30, |s| {
        s["connectivity"]["rate_counter"]["limit"].is_string()
    });

    // A reconcile needs the token, then runs on the engine thread and is counted.
    let (code, _) = http(addr, "POST", "/api/actions/reconcile", None, "");
    assert_eq!(code, 401);
    let (code, body) = http(addr, "POST", "/api/actions/reconcile", Some(TOKEN), "");
    assert_eq!(code, 200, "{body}");
    let s = wait_status(addr, "the requested reconcile", 60, |s| {
        s["connectivity"]["reconcile"]["runs"] == 2
    });
    assert_eq!(s["connectivity"]["reconcile"]["state"], "done", "{s:#}");
    assert!(
        live.wait_for("reconciled on request", Duration::from_secs(10)),
        "{}",
        live.log_text()
    );

    let (code, body) = http(addr, "POST", "/api/actions/pause", Some(TOKEN), "");
    assert_eq!(code, 200, "{body}");
    wait_status(addr, "paused", 10, |s| s["paused"] == true);

    let (code, metrics) = http(addr, "GET", "/metrics", None, "");
    assert_eq!(code, 200);
    let ready = metrics
        .lines()
        .find_map(|l| l.strip_prefix("flywheel_ready "))
        .and_then(|v| v.parse::<f64>().ok());
    assert_eq!(ready, Some(1.0), "{metrics}");

    // A clean stop: the actions are in the store with their answers.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &live.child.id().to_string()])
        .status();
    let (exit, log) = live.exit(Duration::from_secs(60));
    assert!(exit.is_some_and(|e| e.success()), "exit {exit:?}: {log}");
    let store = BlockingStore::open(
        &DbUrl::parse(&rig.db).expect("db url"),
        StoreOptions::default(),
    )
    .expect("open the store");
    let actions: Vec<String> = store
        .operator_actions_since(0, 100)
        .expect("operator actions")
        .into_iter()
        .filter(|(_, _, a)| a.source == "api")
        .map(|(_, _, a)| a.action)
        .collect();
    assert_eq!(actions, ["reconcile", "pause"], "{log}");
}
