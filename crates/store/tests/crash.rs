//! Crash safety: a child process commits steps in a loop and is killed with SIGKILL at
//! random moments; after each kill the database must hold every step wholly or not at all,
//! and the instance lock must be free again. 20 cycles per backend.
//!
//! The child is this test binary itself, started with [`CHILD_ENV`] set: the `crash_child`
//! test then runs the commit loop instead of returning at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{instance, Db, Which};
use flywheel_core::{Liquidity, Side, Timestamp};
use flywheel_store::{
    BlockingStore, DbUrl, FillRow, InstanceInfo, JournalEntry, OrderRow, OrderStatus, SnapshotKind,
    SnapshotRecord, StepRecord, StoreOptions,
};
use flywheel_venue::ClOrdId;

/// `sqlite:PATH` or `postgres:SCHEMA` (the URL then comes from `FLYWHEEL_TEST_PG_URL`).
const CHILD_ENV: &str = "FLYWHEEL_STORE_CRASH_CHILD";
/// Orders and fills per step.
const K: i64 = 3;
/// Journal records per step.
const J: i64 = 2;
const CYCLES: u32 = 20;
const LAST_STEP: &str = "crash.last_step";

/// The child's side: commit steps until killed. Returns at once when not a child.
#[test]
fn crash_child() {
    let Ok(target) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (url, opts) = match target.split_once(':') {
        Some(("sqlite", path)) => (DbUrl::sqlite(path), StoreOptions::default()),
        Some(("postgres", schema)) => {
            let url = std::env::var(common::PG_ENV).expect("pg url in the child");
            let opts = StoreOptions {
                pg_schema: Some(schema.to_string()),
                ..StoreOptions::default()
            };
            (DbUrl::parse(&url).unwrap(), opts)
        }
        _ => panic!("bad {CHILD_ENV}: {target:?}"),
    };
    let store = BlockingStore::open(&url, opts).expect("child open");
    let _lock = store
        .lock(&InstanceInfo::this_process("crash child", "fp"))
        .expect("child lock");
    let mut n: u64 = store
        .kv_get(LAST_STEP)
        .unwrap()
        .map_or(0, |v| v.parse().unwrap());
    println!("ready {n}");
    // The body is padded to a few KB so a kill often lands inside a write.
    let pad = "x".repeat(4000);
    loop {
        n += 1;
        store
            .commit_step(&step_record(n, &pad))
            .expect("child commit");
    }
}

fn step_record(n: u64, pad: &str) -> StepRecord {
    let at = Timestamp::from_millis(n as i64);
    let mut rec = StepRecord {
        step: n,
        at,
        snapshot: Some(SnapshotRecord {
            kind: SnapshotKind::Grid,
            body: format!("{{\"step\":{n},\"pad\":\"{pad}\"}}"),
        }),
        ..StepRecord::default()
    };
    for k in 0..K {
        let id = ClOrdId::parse(&format!("c{n}x{k}")).unwrap();
        rec.orders.push(OrderRow {
            cl_ord_id: id.clone(),
            step: n,
            slot: Some(k as u32),
            role: Some("entry".into()),
            side: Side::Buy,
            price: "0.1".parse().unwrap(),
            qty: "10".parse().unwrap(),
            state: OrderStatus::Intent,
            txid: None,
            filled: "0".parse().unwrap(),
            created_at: at,
            updated_at: at,
            last_event: None,
        });
        rec.fills.push(fill(&format!("e{n}x{k}"), id, n));
    }
    if n > 1 {
        // A replayed execution of the previous step: skipped, never stored twice.
        let prev = ClOrdId::parse(&format!("c{}x0", n - 1)).unwrap();
        rec.fills.push(fill(&format!("e{}x0", n - 1), prev, n));
    }
    for j in 0..J {
        rec.journal.push(JournalEntry {
            at,
            kind: format!("k{j}"),
            body: "{}".into(),
        });
    }
    rec.kv.push((LAST_STEP.into(), n.to_string()));
    rec
}

fn fill(exec_id: &str, cl_ord_id: ClOrdId, n: u64) -> FillRow {
    FillRow {
        exec_id: exec_id.into(),
        cl_ord_id,
        txid: None,
        side: Side::Buy,
        price: "0.1".parse().unwrap(),
        qty: "10".parse().unwrap(),
        fee: "0.001".parse().unwrap(),
        liquidity: Liquidity::Maker,
        ts: Timestamp::from_millis(n as i64),
        step: n,
    }
}

/// A small seeded generator for kill delays (reproducible runs, no dependency).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn kill_loop(which: Which) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(Db::new(which, "crash_loop")) else {
        return;
    };
    let target = match which {
        Which::Sqlite => format!("sqlite:{}", db.url.sqlite_path().unwrap().display()),
        Which::Postgres => format!("postgres:{}", db.opts.pg_schema.clone().unwrap()),
    };
    let exe = std::env::current_exe().unwrap();
    let mut rng = Lcg(0x5eed_0013);
    let mut last = 0i64;
    for cycle in 0..CYCLES {
        let mut child = Command::new(&exe)
            .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &target)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The child says `ready` once it holds the lock (libtest may print it after its own
        // "test crash_child ... " on the same line). Read on a thread so a child that hangs
        // fails the test instead of hanging it.
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in out.lines() {
                let Ok(line) = line else { break };
                if line.contains("ready ") {
                    let _ = tx.send(());
                }
            }
        });
        if rx.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = child.kill();
            let status = child.wait().unwrap();
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("cycle {cycle}: the child was not ready ({status}):\n{err}");
        }
        std::thread::sleep(Duration::from_millis(5 + rng.next(120)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        // The lock is free again once the process is gone (Postgres: once the server has
        // seen the session end, a moment later).
        let deadline = Instant::now() + Duration::from_secs(10);
        let guard = loop {
            match rt.block_on(db.store.lock(&instance("checker"))) {
                Ok(g) => break g,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("cycle {cycle}: lock still held after the child died: {e}"),
            }
        };
        let now: i64 = rt
            .block_on(db.store.kv_get(LAST_STEP))
            .unwrap()
            .map_or(0, |v| v.parse().unwrap());
        assert!(
            now >= last,
            "cycle {cycle}: committed steps went back from {last} to {now}"
        );
        // Every step 1..=now wholly there; nothing of any later step.
        for (table, per_step) in [("orders", K), ("fills", K), ("journal", J)] {
            let counts = rt.block_on(db.pairs(&format!(
                "SELECT step, COUNT(*) FROM {table} GROUP BY step ORDER BY step"
            )));
            let want: Vec<(i64, i64)> = (1..=now).map(|s| (s, per_step)).collect();
            assert_eq!(
                counts, want,
                "cycle {cycle}: {table} by step (last step {now})"
            );
        }
        let snap = rt
            .block_on(db.store.latest_snapshot(SnapshotKind::Grid))
            .unwrap();
        assert_eq!(
            snap.map_or(0, |s| s.step as i64),
            now,
            "cycle {cycle}: latest snapshot"
        );
        rt.block_on(guard.release()).unwrap();
        last = now;
    }
    assert!(
        last > 0,
        "no step was ever committed: the kills came too early to test anything"
    );
    eprintln!("crash loop [{which:?}]: {CYCLES} kills, {last} steps committed, all whole");
    rt.block_on(db.cleanup());
}

#[test]
fn sigkill_loop_sqlite() {
    kill_loop(Which::Sqlite);
}

#[test]
fn sigkill_loop_postgres() {
    kill_loop(Which::Postgres);
}
