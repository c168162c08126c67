//! The store's behaviour, the same on both backends: every case below runs once on SQLite
//! (always) and once on Postgres (when `FLYWHEEL_TEST_PG_URL` is set; see `common`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::future::Future;

use common::{instance, Db, Which};
use flywheel_core::{Liquidity, Side, Timestamp};
use flywheel_store::{
    BalanceAudit, FillRow, JournalEntry, OperatorAction, OrderRow, OrderStatus, SnapshotKind,
    SnapshotRecord, StepRecord, StoreError, StoreOptions,
};
use flywheel_venue::ClOrdId;

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn id(s: &str) -> ClOrdId {
    ClOrdId::parse(s).unwrap()
}

fn order(cl: &str, step: u64, state: OrderStatus) -> OrderRow {
    OrderRow {
        cl_ord_id: id(cl),
        step,
        slot: Some(3),
        role: Some("entry".into()),
        side: Side::Buy,
        price: "0.10000000".parse().unwrap(),
        qty: "123.45".parse().unwrap(),
        state,
        txid: None,
        filled: "0".parse().unwrap(),
        created_at: ts(1000 + step as i64),
        updated_at: ts(1000 + step as i64),
        last_event: None,
    }
}

fn fill(exec_id: &str, cl: &str, step: u64, at: i64) -> FillRow {
    FillRow {
        exec_id: exec_id.into(),
        cl_ord_id: id(cl),
        txid: Some("OABC-123".into()),
        side: Side::Sell,
        price: "0.123456789".parse().unwrap(),
        qty: "10".parse().unwrap(),
        fee: "0.0032".parse().unwrap(),
        liquidity: Liquidity::Maker,
        ts: ts(at),
        step,
    }
}

fn step(n: u64) -> StepRecord {
    StepRecord {
        step: n,
        at: ts(1000 + n as i64),
        ..StepRecord::default()
    }
}

/// Run `case` on `which`, then drop its database, also when the case fails (a task of its
/// own catches the panic, which is raised again after the cleanup).
async fn run<F, Fut>(which: Which, name: &str, case: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(db) = Db::new(which, name).await else {
        return;
    };
    let result = tokio::spawn(case(db.clone())).await;
    db.cleanup().await;
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

macro_rules! parity {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::run(super::Which::Sqlite, stringify!($name), super::$name).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::run(super::Which::Postgres, stringify!($name), super::$name).await
                }
            )*
        }
    };
}

parity!(
    open_is_idempotent,
    step_round_trips,
    order_upserts_keep_the_intent,
    orders_by_state,
    duplicate_fills_are_counted_not_stored,
    failed_step_leaves_nothing,
    invalid_input_is_refused_before_writing,
    commit_needs_the_lock,
    lock_is_exclusive,
    snapshots_keep_the_latest,
    corrupt_rows_are_named,
    journal_pages_in_order,
);

async fn open_is_idempotent(db: Db) {
    // A second open runs the migrations again: nothing to do, nothing lost.
    db.store.kv_set("k", "v").await.unwrap();
    let again = db.reopen().await;
    assert_eq!(again.kv_get("k").await.unwrap().as_deref(), Some("v"));
    for kind in SnapshotKind::ALL {
        assert_eq!(again.latest_snapshot(kind).await.unwrap(), None);
    }
    assert_eq!(again.last_fill().await.unwrap(), None);
    assert!(again.known_exec_ids(10).await.unwrap().is_empty());
    again.close().await;
}

async fn step_round_trips(db: Db) {
    let _lock = db.store.lock(&instance("round trip")).await.unwrap();
    let mut rec = step(7);
    rec.snapshot = Some(SnapshotRecord {
        kind: SnapshotKind::Grid,
        body: r#"{"slots":[1,2],"governor":{"skew":0.25}}"#.into(),
    });
    let mut o = order("fw17", 7, OrderStatus::Intent);
    o.role = None;
    o.slot = None;
    rec.orders = vec![o.clone(), order("fw18", 7, OrderStatus::Sent)];
    rec.fills = vec![
        fill("TQ1-AAA", "fw18", 7, 5000),
        fill("TQ1-AAB", "fw18", 7, 4000),
    ];
    rec.journal = vec![JournalEntry {
        at: ts(1007),
        kind: "placed".into(),
        body: r#"{"kind":"placed","price":"0.1"}"#.into(),
    }];
    rec.balance_audits = vec![BalanceAudit {
        at: ts(1007),
        asset: "USD".into(),
        ours: "100.5".parse().unwrap(),
        exchange: "100.50".parse().unwrap(),
        held_ours: "12.25".parse().unwrap(),
        held_exchange: "12.25".parse().unwrap(),
        ok: true,
    }];
    rec.operator_actions = vec![OperatorAction {
        at: ts(1007),
        source: "api".into(),
        action: "pause".into(),
        params: "{}".into(),
        result: "ok".into(),
    }];
    rec.kv = vec![("kraken.cl_ord_id_seq".into(), "8".into())];
    let out = db.store.commit_step(&rec).await.unwrap();
    assert_eq!(out.fills_inserted, 2);
    assert!(out.duplicate_fills.is_empty());

    // Read it all back on a second handle, as a restart would.
    let s = db.reopen().await;
    let snap = s
        .latest_snapshot(SnapshotKind::Grid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (snap.step, snap.at, snap.kind),
        (7, ts(1007), SnapshotKind::Grid)
    );
    let v: serde_json::Value = snap.parse().unwrap();
    assert_eq!(v["governor"]["skew"], 0.25);
    assert_eq!(s.latest_snapshot(SnapshotKind::Maker).await.unwrap(), None);
    assert_eq!(s.order(&id("fw17")).await.unwrap(), Some(o));
    assert_eq!(s.order(&id("fw19")).await.unwrap(), None);
    let got = s.order(&id("fw18")).await.unwrap().unwrap();
    // Exact decimals survive (canonical text: trailing zeros are not significant).
    assert_eq!(got.price.to_string(), "0.1");
    assert_eq!(got.qty.to_string(), "123.45");
    let fills = s.fills_since(ts(0)).await.unwrap();
    let ids: Vec<&str> = fills.iter().map(|f| f.exec_id.as_str()).collect();
    assert_eq!(ids, ["TQ1-AAB", "TQ1-AAA"], "exchange time order");
    assert_eq!(fills[1], fill("TQ1-AAA", "fw18", 7, 5000));
    assert_eq!(s.fills_since(ts(4500)).await.unwrap().len(), 1);
    assert_eq!(s.last_fill().await.unwrap().unwrap().exec_id, "TQ1-AAA");
    assert_eq!(s.known_exec_ids(1).await.unwrap(), ["TQ1-AAA"]);
    assert_eq!(
        s.kv_get("kraken.cl_ord_id_seq").await.unwrap().as_deref(),
        Some("8")
    );
    let j = s.journal_since(0, 100).await.unwrap();
    assert_eq!(j.len(), 1);
    assert_eq!((j[0].step, j[0].kind.as_str()), (7, "placed"));
    for table in [
        "snapshots",
        "orders",
        "fills",
        "journal",
        "balance_audits",
        "operator_actions",
    ] {
        let want = match table {
            "orders" | "fills" => 2,
            _ => 1,
        };
        assert_eq!(s.count_for_step(table, 7).await.unwrap(), want, "{table}");
    }
    let holder = s.instance().await.unwrap().unwrap();
    assert_eq!(holder, instance("round trip"));
    s.close().await;
}

async fn order_upserts_keep_the_intent(db: Db) {
    let _lock = db.store.lock(&instance("upsert")).await.unwrap();
    let intent = order("fw11", 1, OrderStatus::Intent);
    let mut rec = step(1);
    rec.orders = vec![intent.clone()];
    db.store.commit_step(&rec).await.unwrap();

    // (what the update says, what the row then holds): txid is kept once known; step and
    // created_at stay the intent's; state, filled, price, qty, last_event follow the update.
    let mut acked = intent.clone();
    acked.step = 2;
    acked.created_at = ts(99_999);
    acked.state = OrderStatus::Acked;
    acked.txid = Some("OTX-1".into());
    acked.updated_at = ts(2000);
    acked.last_event = Some("acked".into());
    let mut part = acked.clone();
    part.step = 3;
    part.txid = None;
    part.state = OrderStatus::PartiallyFilled;
    part.filled = "1.5".parse().unwrap();
    part.price = "0.11".parse().unwrap();
    part.updated_at = ts(3000);
    let cases = [
        ("ack", acked.clone(), {
            let mut w = acked.clone();
            w.step = 1;
            w.created_at = intent.created_at;
            w
        }),
        ("partial fill, no txid in the update", part.clone(), {
            let mut w = part.clone();
            w.step = 1;
            w.created_at = intent.created_at;
            w.txid = Some("OTX-1".into());
            w
        }),
    ];
    for (n, (name, update, want)) in cases.into_iter().enumerate() {
        let mut rec = step(2 + n as u64);
        rec.orders = vec![update];
        db.store.commit_step(&rec).await.unwrap();
        assert_eq!(
            db.store.order(&id("fw11")).await.unwrap(),
            Some(want),
            "{name}"
        );
    }
}

async fn orders_by_state(db: Db) {
    let _lock = db.store.lock(&instance("states")).await.unwrap();
    let mut rec = step(1);
    for (k, s) in OrderStatus::ALL.into_iter().enumerate() {
        rec.orders.push(order(&format!("fw1{k}"), 1, s));
    }
    db.store.commit_step(&rec).await.unwrap();
    // (states asked for, ids expected)
    let cases: [(&[OrderStatus], &[&str]); 4] = [
        (&[], &[]),
        (&[OrderStatus::Intent], &["fw10"]),
        (
            &[OrderStatus::Unknown, OrderStatus::Sent],
            &["fw11", "fw18"],
        ),
        (
            &[
                OrderStatus::Intent,
                OrderStatus::Sent,
                OrderStatus::Unknown,
                OrderStatus::CancelRequested,
            ],
            &["fw10", "fw11", "fw110", "fw18"],
        ),
    ];
    for (states, want) in cases {
        let got = db.store.orders_in_states(states).await.unwrap();
        let got: Vec<&str> = got.iter().map(|o| o.cl_ord_id.as_str()).collect();
        assert_eq!(got, want, "{states:?}");
    }
    let live: Vec<OrderStatus> = OrderStatus::ALL
        .into_iter()
        .filter(|s| s.is_live())
        .collect();
    assert_eq!(db.store.orders_in_states(&live).await.unwrap().len(), 6);
}

async fn duplicate_fills_are_counted_not_stored(db: Db) {
    let _lock = db.store.lock(&instance("dupes")).await.unwrap();
    let mut rec = step(1);
    rec.fills = vec![
        fill("E1", "fw11", 1, 10),
        fill("E1", "fw11", 1, 10),
        fill("E2", "fw11", 1, 11),
    ];
    let out = db.store.commit_step(&rec).await.unwrap();
    assert_eq!(
        (out.fills_inserted, out.duplicate_fills.clone()),
        (2, vec!["E1".to_string()])
    );
    // A replay in a later step (after a reconnect): the stored row is kept as it was.
    let mut rec = step(2);
    let mut replay = fill("E2", "fw11", 2, 11);
    replay.qty = "999".parse().unwrap();
    rec.fills = vec![replay, fill("E3", "fw11", 2, 12)];
    let out = db.store.commit_step(&rec).await.unwrap();
    assert_eq!(
        (out.fills_inserted, out.duplicate_fills),
        (1, vec!["E2".to_string()])
    );
    let fills = db.store.fills_since(ts(0)).await.unwrap();
    assert_eq!(fills.len(), 3);
    assert_eq!(fills[1].qty.to_string(), "10");
    assert_eq!(fills[1].step, 1);
}

async fn failed_step_leaves_nothing(db: Db) {
    let _lock = db.store.lock(&instance("atomic")).await.unwrap();
    // Break the last table a step writes, so the failure comes after everything else of
    // the step was written inside the transaction.
    db.raw("DROP TABLE operator_actions").await;
    let mut rec = step(5);
    rec.snapshot = Some(SnapshotRecord {
        kind: SnapshotKind::Maker,
        body: "{}".into(),
    });
    rec.orders = vec![order("fw15", 5, OrderStatus::Intent)];
    rec.fills = vec![fill("E5", "fw15", 5, 50)];
    rec.journal = vec![JournalEntry {
        at: ts(5),
        kind: "x".into(),
        body: "{}".into(),
    }];
    rec.kv = vec![("last".into(), "5".into())];
    rec.operator_actions = vec![OperatorAction {
        at: ts(5),
        source: "cli".into(),
        action: "pause".into(),
        params: "{}".into(),
        result: "ok".into(),
    }];
    let err = db.store.commit_step(&rec).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("operator_actions"), "{msg}");
    assert!(msg.contains(db.url.redacted()), "{msg}");
    for table in ["snapshots", "orders", "fills", "journal"] {
        assert_eq!(
            db.store.count_for_step(table, 5).await.unwrap(),
            0,
            "{table}"
        );
    }
    assert_eq!(db.store.kv_get("last").await.unwrap(), None);
    // The store still works: a step without the broken table commits.
    rec.operator_actions.clear();
    db.store.commit_step(&rec).await.unwrap();
    assert_eq!(db.store.count_for_step("orders", 5).await.unwrap(), 1);
}

async fn invalid_input_is_refused_before_writing(db: Db) {
    let _lock = db.store.lock(&instance("invalid")).await.unwrap();
    let base = || {
        let mut r = step(1);
        r.orders = vec![order("fw11", 1, OrderStatus::Intent)];
        r
    };
    // (case, the broken record, table.column the error names)
    let cases: Vec<(&str, StepRecord, &str)> = vec![
        (
            "step beyond i64",
            StepRecord {
                step: u64::MAX,
                ..base()
            },
            "orders.step",
        ),
        (
            "snapshot not JSON",
            StepRecord {
                snapshot: Some(SnapshotRecord {
                    kind: SnapshotKind::Grid,
                    body: "{slots".into(),
                }),
                ..base()
            },
            "snapshots.body",
        ),
        (
            "empty exec_id",
            StepRecord {
                fills: vec![fill("", "fw11", 1, 1)],
                ..base()
            },
            "fills.exec_id",
        ),
        (
            "journal body not JSON",
            StepRecord {
                journal: vec![JournalEntry {
                    at: ts(1),
                    kind: "k".into(),
                    body: "nope".into(),
                }],
                ..base()
            },
            "journal.body",
        ),
        (
            "empty kv key",
            StepRecord {
                kv: vec![(String::new(), "1".into())],
                ..base()
            },
            "kv.key",
        ),
    ];
    for (name, rec, column) in cases {
        let err = db.store.commit_step(&rec).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid { .. }), "{name}: {err}");
        assert!(err.to_string().contains(column), "{name}: {err}");
        assert_eq!(db.store.order(&id("fw11")).await.unwrap(), None, "{name}");
    }
}

async fn commit_needs_the_lock(db: Db) {
    let err = db.store.commit_step(&step(1)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotLocked { .. }), "{err}");
    let lock = db.store.lock(&instance("needs lock")).await.unwrap();
    db.store.commit_step(&step(1)).await.unwrap();
    drop(lock);
    let err = db.store.commit_step(&step(2)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotLocked { .. }), "{err}");
}

async fn lock_is_exclusive(db: Db) {
    let first = db.store.lock(&instance("first")).await.unwrap();
    let second = db.reopen().await;
    let mut other = instance("second");
    other.pid = 4242;
    let err = second.lock(&other).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StoreError::Locked { .. }), "{msg}");
    // The holder is named: its pid, host, start time; the database, redacted.
    for part in [
        format!("pid {}", std::process::id()),
        "test-host".to_string(),
        "1700000000000".to_string(),
        db.url.redacted().to_string(),
    ] {
        assert!(msg.contains(&part), "{part:?} not in {msg}");
    }
    if let Ok(raw) = std::env::var(common::PG_ENV) {
        if let Some(pw) = raw
            .split_once("://")
            .and_then(|(_, r)| r.split_once('@'))
            .and_then(|(u, _)| u.split_once(':'))
            .map(|(_, p)| p)
        {
            assert!(!msg.contains(&format!(":{pw}@")), "password in {msg}");
        }
    }
    // The same store cannot take it twice either.
    assert!(db.store.lock(&instance("again")).await.is_err());
    first.release().await.unwrap();
    let taken = second.lock(&other).await.unwrap();
    assert_eq!(second.instance().await.unwrap().unwrap().pid, 4242);
    second.commit_step(&step(1)).await.unwrap();
    // A dropped guard frees the lock too (Postgres: when the server sees the session end).
    drop(taken);
    let mut again = None;
    for _ in 0..100 {
        match db.store.lock(&instance("third")).await {
            Ok(g) => {
                again = Some(g);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    assert!(again.is_some(), "lock not free after the guard was dropped");
    second.close().await;
}

async fn snapshots_keep_the_latest(db: Db) {
    let opts = StoreOptions {
        keep_snapshots: 3,
        ..db.opts.clone()
    };
    let store = flywheel_store::Store::open(&db.url, opts).await.unwrap();
    let _lock = store.lock(&instance("keep")).await.unwrap();
    for n in [1u64, 2, 4, 8, 9] {
        let mut rec = step(n);
        rec.snapshot =
            Some(SnapshotRecord::json(SnapshotKind::Grid, &serde_json::json!({ "n": n })).unwrap());
        store.commit_step(&rec).await.unwrap();
    }
    let mut rec = step(10);
    rec.snapshot = Some(SnapshotRecord::json(SnapshotKind::Maker, &serde_json::json!({})).unwrap());
    store.commit_step(&rec).await.unwrap();
    let kept: Vec<u64> = {
        let mut v = Vec::new();
        for n in 1..=10 {
            if store.count_for_step("snapshots", n).await.unwrap() > 0 {
                v.push(n);
            }
        }
        v
    };
    assert_eq!(kept, [4, 8, 9, 10], "3 grid snapshots and the maker's");
    let latest = store
        .latest_snapshot(SnapshotKind::Grid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.step, 9);
    assert_eq!(latest.parse::<serde_json::Value>().unwrap()["n"], 9);
    store.close().await;
}

async fn corrupt_rows_are_named(db: Db) {
    let _lock = db.store.lock(&instance("corrupt")).await.unwrap();
    let mut rec = step(1);
    rec.orders = vec![
        order("fw11", 1, OrderStatus::Acked),
        order("fw12", 1, OrderStatus::Acked),
    ];
    rec.fills = vec![fill("E1", "fw11", 1, 1)];
    db.store.commit_step(&rec).await.unwrap();
    db.raw("UPDATE orders SET price = '1.2.3' WHERE cl_ord_id = 'fw12'")
        .await;
    db.raw("UPDATE fills SET cl_ord_id = 'bad-id!' WHERE exec_id = 'E1'")
        .await;
    // (what is read, the words the error must hold)
    let order_err = db.store.order(&id("fw12")).await.unwrap_err().to_string();
    let all_err = db
        .store
        .orders_in_states(&[OrderStatus::Acked])
        .await
        .unwrap_err()
        .to_string();
    let fill_err = db.store.last_fill().await.unwrap_err().to_string();
    for (got, want) in [
        (order_err, ["orders.price", "fw12", "1.2.3"]),
        (all_err, ["orders.price", "fw12", "1.2.3"]),
        (fill_err, ["fills.cl_ord_id", "E1", "bad-id!"]),
    ] {
        for w in want {
            assert!(got.contains(w), "{w:?} not in {got}");
        }
    }
    assert!(db.store.order(&id("fw11")).await.unwrap().is_some());
}

async fn journal_pages_in_order(db: Db) {
    let _lock = db.store.lock(&instance("journal")).await.unwrap();
    for n in 1..=4u64 {
        let mut rec = step(n);
        for k in 0..3 {
            rec.journal.push(JournalEntry {
                at: ts(n as i64),
                kind: format!("k{k}"),
                body: format!("{{\"n\":{n},\"k\":{k}}}"),
            });
        }
        db.store.commit_step(&rec).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = db.store.journal_since(after, 5).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        seen.extend(page.into_iter().map(|r| (r.step, r.kind)));
    }
    let want: Vec<(u64, String)> = (1..=4)
        .flat_map(|n| (0..3).map(move |k| (n, format!("k{k}"))))
        .collect();
    assert_eq!(seen, want);
}
