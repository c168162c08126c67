//! Commit latency of one realistic engine step — a ~20 KB snapshot, 2 order upserts, 1 fill,
//! 3 journal records — through the blocking facade the engine thread uses, on SQLite (a temp
//! file, WAL, synchronous=FULL) and on Postgres when `FLYWHEEL_TEST_PG_URL` is set.
//!
//! Criterion reports its estimate; then (under `cargo bench` only) a plain loop of 2000
//! commits per backend prints p50/p90/p99/max, the numbers the live.md
//! `store_commit_seconds` histogram will show.
//!
//! `cargo bench -p flywheel-store --bench commit`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion};
use flywheel_core::{Liquidity, Side, Timestamp};
use flywheel_store::{
    BlockingStore, DbUrl, FillRow, InstanceInfo, JournalEntry, OrderRow, OrderStatus, SnapshotKind,
    SnapshotRecord, StepRecord, StoreOptions,
};
use flywheel_venue::ClOrdId;

/// A grid snapshot of about 20 KB: 48 slots with their orders and governor state.
fn snapshot_body() -> String {
    let slots: Vec<serde_json::Value> = (0..48)
        .map(|i| {
            serde_json::json!({
                "index": i,
                "phase": "S1a",
                "trade_a": {"entry": "0.12345", "exit": "0.12001", "qty": "123.45678901",
                            "txid": format!("fw1{i:04}a"), "state": "open", "cycles": 17},
                "trade_b": {"entry": "0.11995", "exit": "0.12330", "qty": "120.00000000",
                            "txid": format!("fw1{i:04}b"), "state": "pending", "cycles": 16},
                "realized": "12.34567", "fees": "0.98765", "degraded": false,
                "recovery": [{"id": i, "price": "0.1180", "qty": "10.5"}],
                "history": ["fill", "placed", "acked", "fill", "placed", "acked"],
            })
        })
        .collect();
    let body = serde_json::json!({
        "slots": slots,
        "governor": {"smoothed_error": 0.0123, "velocity": -0.0004, "skew": 0.18,
                     "last_update": 1_700_000_000_000i64, "sign_flips": [1, 2, 3], "damped": false},
        "mode": "running",
        "order_ids": {"prefix": "fw1", "next": 123_456},
    });
    serde_json::to_string(&body).unwrap()
}

fn record(n: u64, body: &str) -> StepRecord {
    let at = Timestamp::from_millis(1_700_000_000_000 + n as i64);
    let id = |k: u64| ClOrdId::parse(&format!("fw1{}", n * 2 + k)).unwrap();
    let order = |k: u64, state| OrderRow {
        cl_ord_id: id(k),
        step: n,
        slot: Some((n % 40) as u32),
        role: Some("entry".into()),
        side: Side::Buy,
        price: "0.12345".parse().unwrap(),
        qty: "123.45678901".parse().unwrap(),
        state,
        txid: None,
        filled: "0".parse().unwrap(),
        created_at: at,
        updated_at: at,
        last_event: None,
    };
    StepRecord {
        step: n,
        at,
        snapshot: Some(SnapshotRecord {
            kind: SnapshotKind::Grid,
            body: body.to_string(),
        }),
        orders: vec![order(0, OrderStatus::Intent), order(1, OrderStatus::Acked)],
        fills: vec![FillRow {
            exec_id: format!("T{n}-ABCDE-FGHIJ"),
            cl_ord_id: id(1),
            txid: Some(format!("O{n}-XYZ")),
            side: Side::Buy,
            price: "0.12345".parse().unwrap(),
            qty: "50.5".parse().unwrap(),
            fee: "0.01558".parse().unwrap(),
            liquidity: Liquidity::Maker,
            ts: at,
            step: n,
        }],
        journal: (0..3)
            .map(|k| JournalEntry {
                at,
                kind: "slot_event".into(),
                body: format!(r#"{{"kind":"slot_event","slot":{k},"from":"S0","to":"S1a"}}"#),
            })
            .collect(),
        ..StepRecord::default()
    }
}

struct Target {
    name: &'static str,
    store: BlockingStore,
    _lock: flywheel_store::LockGuard,
    _dir: Option<tempfile::TempDir>,
    next: u64,
}

fn targets() -> Vec<Target> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let url = DbUrl::sqlite(dir.path().join("bench.db"));
    let store = BlockingStore::open(&url, StoreOptions::default()).unwrap();
    let lock = store
        .lock(&InstanceInfo::this_process("bench", "none"))
        .unwrap();
    out.push(Target {
        name: "sqlite",
        store,
        _lock: lock,
        _dir: Some(dir),
        next: 1,
    });
    match std::env::var("FLYWHEEL_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => {
            let opts = StoreOptions {
                pg_schema: Some(format!("fwbench_{}", std::process::id())),
                ..StoreOptions::default()
            };
            let store = BlockingStore::open(&DbUrl::parse(&url).unwrap(), opts).unwrap();
            let lock = store
                .lock(&InstanceInfo::this_process("bench", "none"))
                .unwrap();
            out.push(Target {
                name: "postgres",
                store,
                _lock: lock,
                _dir: None,
                next: 1,
            });
        }
        _ => eprintln!("postgres: FLYWHEEL_TEST_PG_URL is not set, SQLite only"),
    }
    out
}

fn criterion_benches(c: &mut Criterion, targets: &mut [Target], body: &str) {
    let mut group = c.benchmark_group("commit_step");
    group.sample_size(50);
    group.measurement_time(Duration::from_secs(10));
    for t in targets.iter_mut() {
        group.bench_function(t.name, |b| {
            b.iter_batched(
                || {
                    t.next += 1;
                    record(t.next, body)
                },
                |rec| t.store.commit_step(&rec).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn percentiles(targets: &mut [Target], body: &str, n: usize) {
    for t in targets.iter_mut() {
        let mut lat: Vec<Duration> = Vec::with_capacity(n);
        for _ in 0..n {
            t.next += 1;
            let rec = record(t.next, body);
            let start = Instant::now();
            t.store.commit_step(&rec).unwrap();
            lat.push(start.elapsed());
        }
        lat.sort();
        let p = |q: f64| lat[((lat.len() - 1) as f64 * q).round() as usize];
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!(
            "commit_step {:8} n={n}: p50 {:8.1} us  p90 {:8.1} us  p99 {:8.1} us  max {:8.1} us",
            t.name,
            us(p(0.50)),
            us(p(0.90)),
            us(p(0.99)),
            us(lat[lat.len() - 1])
        );
    }
}

fn main() {
    let body = snapshot_body();
    eprintln!("snapshot body: {} bytes", body.len());
    let mut targets = targets();
    let mut c = Criterion::default().configure_from_args();
    criterion_benches(&mut c, &mut targets, &body);
    c.final_summary();
    // `cargo test --benches` runs benches once in test mode: skip the long loop there.
    if std::env::args().any(|a| a == "--bench") {
        percentiles(&mut targets, &body, 2000);
    }
    drop(targets);
    drop_pg_schema();
}

/// Drop the Postgres schema the bench made, so runs leave nothing behind.
fn drop_pg_schema() {
    use sqlx::Connection;
    let Ok(url) = std::env::var("FLYWHEEL_TEST_PG_URL") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        let sql = format!(
            "DROP SCHEMA IF EXISTS fwbench_{} CASCADE",
            std::process::id()
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut c)
            .await
            .unwrap();
    });
}
