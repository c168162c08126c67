//! [`BlockingStore`]: the store for the engine thread, a plain `std::thread` that is no async
//! task (`spec/live.md` §6), and [`KvNonceStore`], a durable u64 in the `kv` table for the
//! REST nonce and the last sent `cl_ord_id` sequence.
//!
//! Invariants:
//! - Every call runs the async [`Store`] call to completion on the runtime the facade holds
//!   (its own, or a handle to the application's) with `block_on`.
//! - It must not be called from inside a tokio runtime (an async task, or a thread that
//!   entered one): there `block_on` would stall a worker or panic. Such a call returns
//!   [`StoreError::InsideRuntime`] instead; it never panics. (A facade from
//!   [`BlockingStore::open`] owns its runtime: drop its last clone outside any runtime too,
//!   as tokio forbids dropping a runtime in async context.)

use std::path::PathBuf;
use std::sync::Arc;

use flywheel_kraken::nonce::{NonceError, NonceStore};
use tokio::runtime::{Handle, Runtime};

use crate::error::StoreError;
use crate::lock::LockGuard;
use crate::model::{
    CommitOutcome, FillRow, InstanceInfo, JournalRow, OperatorAction, OrderRow, OrderStatus,
    SnapshotKind, SnapshotRow, StepRecord,
};
use crate::store::{Store, StoreOptions};
use crate::url::DbUrl;
use flywheel_venue::ClOrdId;

#[derive(Clone, Debug)]
enum Rt {
    /// A runtime of our own (kept alive by every clone).
    Owned(Arc<Runtime>),
    Handle(Handle),
}

/// A [`Store`] with blocking methods (see the module docs).
#[derive(Clone, Debug)]
pub struct BlockingStore {
    store: Store,
    rt: Rt,
}

impl BlockingStore {
    /// Open `url` on a small runtime of the facade's own (one worker thread: sqlx's pool
    /// needs a runtime to live on while the engine thread waits).
    pub fn open(url: &DbUrl, opts: StoreOptions) -> Result<BlockingStore, StoreError> {
        let db = url.redacted().to_string();
        if Handle::try_current().is_ok() {
            return Err(StoreError::InsideRuntime { db });
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("flywheel-store")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Db {
                db,
                op: "start the store's runtime".into(),
                reason: e.to_string(),
            })?;
        let store = rt.block_on(Store::open(url, opts))?;
        Ok(BlockingStore {
            store,
            rt: Rt::Owned(Arc::new(rt)),
        })
    }

    /// Wrap a store opened on the runtime behind `handle`.
    pub fn new(store: Store, handle: Handle) -> BlockingStore {
        BlockingStore {
            store,
            rt: Rt::Handle(handle),
        }
    }

    /// The async store (for tasks on the runtime).
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn run<T>(
        &self,
        fut: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        if Handle::try_current().is_ok() {
            return Err(StoreError::InsideRuntime {
                db: self.store.url().redacted().to_string(),
            });
        }
        match &self.rt {
            Rt::Owned(rt) => rt.block_on(fut),
            Rt::Handle(h) => h.block_on(fut),
        }
    }

    pub fn lock(&self, instance: &InstanceInfo) -> Result<LockGuard, StoreError> {
        self.run(self.store.lock(instance))
    }

    pub fn commit_step(&self, rec: &StepRecord) -> Result<CommitOutcome, StoreError> {
        self.run(self.store.commit_step(rec))
    }

    pub fn latest_snapshot(&self, kind: SnapshotKind) -> Result<Option<SnapshotRow>, StoreError> {
        self.run(self.store.latest_snapshot(kind))
    }

    pub fn orders_in_states(&self, states: &[OrderStatus]) -> Result<Vec<OrderRow>, StoreError> {
        self.run(self.store.orders_in_states(states))
    }

    pub fn order(&self, id: &ClOrdId) -> Result<Option<OrderRow>, StoreError> {
        self.run(self.store.order(id))
    }

    pub fn last_fill(&self) -> Result<Option<FillRow>, StoreError> {
        self.run(self.store.last_fill())
    }

    pub fn known_exec_ids(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        self.run(self.store.known_exec_ids(limit))
    }

    pub fn kv_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.run(self.store.kv_get(key))
    }

    pub fn kv_set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.run(self.store.kv_set(key, value))
    }

    pub fn journal_since(&self, seq: i64, limit: u32) -> Result<Vec<JournalRow>, StoreError> {
        self.run(self.store.journal_since(seq, limit))
    }

    pub fn operator_actions_since(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, u64, OperatorAction)>, StoreError> {
        self.run(self.store.operator_actions_since(after, limit))
    }
}

/// A [`NonceStore`] over one `kv` key: each `store` is its own committed transaction, so the
/// value is durable before the nonce (or id) that it records is used.
#[derive(Clone, Debug)]
pub struct KvNonceStore {
    store: BlockingStore,
    key: String,
    /// The value as last read or written, once [`KvNonceStore::preload`]ed.
    cached: Option<Option<u64>>,
}

impl KvNonceStore {
    /// The key of the Kraken REST nonce.
    pub const REST_NONCE: &'static str = "kraken.rest_nonce";
    /// The key of the last sent `cl_ord_id` sequence number.
    pub const CL_ORD_SEQ: &'static str = "kraken.cl_ord_id_seq";

    pub fn new(store: BlockingStore, key: &str) -> KvNonceStore {
        KvNonceStore {
            store,
            key: key.to_string(),
            cached: None,
        }
    }

    /// Read the value now, outside any runtime, so that later `load`s answer from memory:
    /// for code that loads inside a runtime (the Kraken connector builds its venue there).
    /// Writes still go to the database first.
    pub fn preload(mut self) -> Result<KvNonceStore, NonceError> {
        let v = self.load()?;
        self.cached = Some(v);
        Ok(self)
    }

    /// Where errors say the value lives: the redacted database and the key.
    fn place(&self) -> PathBuf {
        PathBuf::from(format!(
            "{}#kv/{}",
            self.store.store().url().redacted(),
            self.key
        ))
    }

    fn io(&self, op: &'static str) -> impl Fn(StoreError) -> NonceError + '_ {
        move |e| NonceError::Io {
            path: self.place(),
            op,
            reason: e.to_string(),
        }
    }
}

impl NonceStore for KvNonceStore {
    fn load(&self) -> Result<Option<u64>, NonceError> {
        if let Some(v) = self.cached {
            return Ok(v);
        }
        match self.store.kv_get(&self.key).map_err(self.io("read"))? {
            None => Ok(None),
            Some(text) => text
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| NonceError::Corrupt {
                    path: self.place(),
                    content: text.chars().take(40).collect(),
                }),
        }
    }

    fn store(&mut self, nonce: u64) -> Result<(), NonceError> {
        self.store
            .kv_set(&self.key, &nonce.to_string())
            .map_err(self.io("write"))?;
        if self.cached.is_some() {
            self.cached = Some(Some(nonce));
        }
        Ok(())
    }
}
