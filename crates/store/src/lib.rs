//! Flywheel's persistence (`spec/live.md` §4 "Database", §6): SQLite by default (one file,
//! WAL, `synchronous=FULL`, nothing to set up), PostgreSQL with `--db postgres://…`. One
//! schema and one set of statements for both.
//!
//! What it keeps: engine snapshots, every order from its intent on (written **before** it
//! is sent: the transactional outbox), fills unique by exchange trade id, journal records,
//! balance audits, operator actions, durable counters (the REST nonce, the last sent
//! `cl_ord_id` sequence) and the instance lock's holder.
//!
//! How the engine uses it:
//! 1. [`Store::open`] (migrates), then [`Store::lock`]: a second instance on the same
//!    database is refused, naming the holder.
//! 2. Restart reads: [`Store::latest_snapshot`], [`Store::orders_in_states`],
//!    [`Store::last_fill`], [`Store::known_exec_ids`], [`Store::kv_get`].
//! 3. Each step: [`Store::commit_step`], one transaction, then hand the step's orders to the
//!    sender. The engine thread, which is no async task, uses [`BlockingStore`].
//!
//! Invariants are stated in each module's docs.

mod blocking;
mod error;
mod lock;
mod model;
mod read;
mod store;
mod url;
mod write;

pub use blocking::{BlockingStore, KvNonceStore};
pub use error::StoreError;
pub use lock::LockGuard;
pub use model::{
    BalanceAudit, CommitOutcome, FillRow, InstanceInfo, JournalEntry, JournalRow, OperatorAction,
    OrderRow, OrderStatus, SnapshotKind, SnapshotRecord, SnapshotRow, StepRecord,
};
pub use store::{Store, StoreOptions};
pub use url::{Backend, DbUrl};
