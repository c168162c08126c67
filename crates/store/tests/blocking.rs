//! The blocking facade and the kv-backed nonce store, on both backends, from plain threads
//! (as the engine thread uses them).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{instance, Db, Which};
use flywheel_core::Timestamp;
use flywheel_kraken::nonce::{NonceError, NonceSource, NonceStore};
use flywheel_store::{BlockingStore, KvNonceStore, StepRecord, StoreError};

/// A database on its own runtime, and a blocking facade over it for this (plain) thread.
fn setup(which: Which, test: &str) -> Option<(tokio::runtime::Runtime, Db, BlockingStore)> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(Db::new(which, test))?;
    let blocking = BlockingStore::new(db.store.clone(), rt.handle().clone());
    Some((rt, db, blocking))
}

fn nonces_survive_a_restart(which: Which) {
    let Some((rt, db, store)) = setup(which, "nonces") else {
        return;
    };
    let t = Timestamp::from_millis;
    let mut src =
        NonceSource::open(KvNonceStore::new(store.clone(), KvNonceStore::REST_NONCE)).unwrap();
    assert_eq!(src.last(), None);
    // (clock reading, nonce) — the same rules as the file store: max(last + 1, now).
    for (now, want) in [(1000, 1000), (1000, 1001), (900, 1002), (5000, 5000)] {
        assert_eq!(src.next(t(now)).unwrap(), want, "at {now}");
    }
    drop(src);
    // A second process (a new facade over a new pool) resumes after the last value.
    let reopened = BlockingStore::new(rt.block_on(db.reopen()), rt.handle().clone());
    let mut src = NonceSource::open(KvNonceStore::new(
        reopened.clone(),
        KvNonceStore::REST_NONCE,
    ))
    .unwrap();
    assert_eq!(src.last(), Some(5000));
    assert_eq!(src.next(t(10)).unwrap(), 5001);
    // Keys are independent: the cl_ord_id sequence starts empty.
    let ids = KvNonceStore::new(reopened.clone(), KvNonceStore::CL_ORD_SEQ);
    assert_eq!(ids.load().unwrap(), None);

    // A corrupt value is an error naming the database and key, never a reset.
    reopened.kv_set(KvNonceStore::CL_ORD_SEQ, "12a").unwrap();
    match ids.load() {
        Err(NonceError::Corrupt { path, content }) => {
            let shown = path.display().to_string();
            assert!(shown.contains(db.url.redacted()), "{shown}");
            assert!(shown.ends_with("#kv/kraken.cl_ord_id_seq"), "{shown}");
            assert_eq!(content, "12a");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    rt.block_on(db.cleanup());
}

fn engine_thread_commits(which: Which) {
    let Some((rt, db, store)) = setup(which, "engine_thread") else {
        return;
    };
    // The engine thread is a plain std::thread: lock, commit, read, all blocking.
    let s = store.clone();
    std::thread::spawn(move || {
        let _lock = s.lock(&instance("engine")).unwrap();
        let rec = StepRecord {
            step: 1,
            kv: vec![("k".into(), "1".into())],
            ..StepRecord::default()
        };
        s.commit_step(&rec).unwrap();
        assert_eq!(s.kv_get("k").unwrap().as_deref(), Some("1"));
    })
    .join()
    .unwrap();

    // Called from inside the runtime, the facade refuses instead of panicking or stalling.
    let err = rt.block_on(async { store.kv_get("k") }).unwrap_err();
    assert!(matches!(err, StoreError::InsideRuntime { .. }), "{err}");
    assert!(err.to_string().contains(db.url.redacted()));
    rt.block_on(db.cleanup());
}

#[test]
fn sqlite_nonces_survive_a_restart() {
    nonces_survive_a_restart(Which::Sqlite);
}

#[test]
fn postgres_nonces_survive_a_restart() {
    nonces_survive_a_restart(Which::Postgres);
}

#[test]
fn sqlite_engine_thread_commits() {
    engine_thread_commits(Which::Sqlite);
}

#[test]
fn postgres_engine_thread_commits() {
    engine_thread_commits(Which::Postgres);
}

#[test]
fn blocking_open_owns_its_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let url = flywheel_store::DbUrl::sqlite(dir.path().join("own.db"));
    let store = BlockingStore::open(&url, Default::default()).unwrap();
    let _lock = store.lock(&instance("own runtime")).unwrap();
    store.commit_step(&StepRecord::default()).unwrap();
    // A second instance, through the same facade type, is refused.
    let other = BlockingStore::open(&url, Default::default()).unwrap();
    assert!(matches!(
        other.lock(&instance("second")),
        Err(StoreError::Locked { .. })
    ));
    // And opening from inside a runtime is refused, not a panic.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let err = rt
        .block_on(async { BlockingStore::open(&url, Default::default()) })
        .unwrap_err();
    assert!(matches!(err, StoreError::InsideRuntime { .. }), "{err}");
}
