//! [`StoreError`]: every failure of the store, naming the database (redacted), the table or
//! column, and the operation.
//!
//! Invariant: no variant carries a password. Messages of lower layers (sqlx, the OS) pass
//! through [`crate::DbUrl`]'s scrubber before they are kept.

use thiserror::Error;

/// A failure of the store.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database URL {url:?}: {why}")]
    BadUrl { url: String, why: &'static str },
    /// The database refused or failed an operation.
    #[error("{db}: {op} failed: {reason}")]
    Db {
        db: String,
        /// What was being done, naming the table (`insert into fills`).
        op: String,
        reason: String,
    },
    #[error("{db}: running the migrations failed: {reason}")]
    Migrate { db: String, reason: String },
    /// A stored value that cannot be read back as its type: the row is named, never skipped.
    #[error("{db}: {table}.{column} of {key}: {detail}")]
    Corrupt {
        db: String,
        table: &'static str,
        column: &'static str,
        key: String,
        /// The value (cut to 80 characters) and why it is not valid.
        detail: String,
    },
    /// A value the caller gave that does not fit its column.
    #[error("{db}: {table}.{column}: {why}")]
    Invalid {
        db: String,
        table: &'static str,
        column: &'static str,
        why: String,
    },
    /// Another instance holds the exclusive lock.
    #[error("{db} is in use by another instance ({holder}): {how}")]
    Locked {
        db: String,
        /// `pid P on host H, account A, started at T ms` (`unknown` parts if not recorded).
        holder: String,
        how: String,
    },
    /// `commit_step` without this store holding the exclusive lock.
    #[error("{db}: commit refused: this store does not hold the instance lock (call lock first)")]
    NotLocked { db: String },
    /// A blocking call from inside a tokio runtime (it would stall or panic the runtime).
    #[error("{db}: the blocking store was called from inside a tokio runtime; use the async Store there")]
    InsideRuntime { db: String },
    #[error("{db}: lock file {path}: {op} failed: {reason}")]
    LockFile {
        db: String,
        path: String,
        op: &'static str,
        reason: String,
    },
}
