//! [`Store`]: opening a database (SQLite or Postgres), migrating it, and committing one
//! engine step as one transaction.
//!
//! Invariants:
//! - Both backends run the same statements (sqlx binds `$1`-style parameters on SQLite too)
//!   against equivalent schemas (`migrations/sqlite`, `migrations/postgres`); the code that
//!   talks to the database is written once and compiled for each pool by [`with_pool!`].
//! - [`Store::commit_step`] writes everything of a [`StepRecord`] in one transaction: after a
//!   crash at any instant the step is either wholly there or not at all. Input is validated
//!   before the transaction begins, so a bad value costs no half-done work.
//! - Only a store that holds the instance lock ([`Store::lock`]) commits: two processes can
//!   never both write one database.
//! - A fill whose `exec_id` is already stored is skipped, counted and reported, never an
//!   error and never stored twice (replayed executions are normal after a reconnect).
//! - SQLite runs in WAL mode with `synchronous=FULL`: a commit that returned survives kill -9
//!   and power loss.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, SqlSafeStr};

use crate::error::StoreError;
use crate::model::{CommitOutcome, StepRecord};
use crate::url::{Backend, DbUrl};

/// The migrations, in order: (version, description, SQLite text, Postgres text).
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[(
    1,
    "init",
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/postgres/0001_init.sql"),
)];

/// How to open a store.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Snapshots kept per kind; older ones are deleted by the commit that writes a new one.
    pub keep_snapshots: u32,
    pub max_connections: u32,
    /// How long SQLite waits on a lock held by another connection before failing.
    pub busy_timeout: Duration,
    /// Postgres only: use (and create) this schema instead of `public`. The instance lock
    /// is per database and schema. Letters, digits and `_` only.
    pub pg_schema: Option<String>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            keep_snapshots: 10,
            max_connections: 4,
            busy_timeout: Duration::from_secs(5),
            pg_schema: None,
        }
    }
}

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the store's pool, whichever backend it is: the same
/// source compiled once per backend.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// An open database (see the module docs).
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    pub(crate) url: DbUrl,
    pub(crate) opts: StoreOptions,
    /// Postgres: how to open the lock's own connection.
    pub(crate) pg_connect: Option<PgConnectOptions>,
    /// Set while a [`crate::LockGuard`] of this store lives.
    pub(crate) lock_held: Arc<AtomicBool>,
}

impl std::fmt::Debug for Store {
    // Not derived: the connect options hold the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.url)
            .field("locked", &self.lock_held.load(Ordering::Acquire))
            .finish()
    }
}

impl Store {
    /// Open (creating a SQLite file if missing) and migrate.
    pub async fn open(url: &DbUrl, opts: StoreOptions) -> Result<Store, StoreError> {
        let (pool, pg_connect) = match url.backend() {
            Backend::Sqlite => (Pool::Sqlite(open_sqlite(url, &opts).await?), None),
            Backend::Postgres => {
                let (pool, connect) = open_postgres(url, &opts).await?;
                (Pool::Postgres(pool), Some(connect))
            }
        };
        let store = Store {
            pool,
            url: url.clone(),
            opts,
            pg_connect,
            lock_held: Arc::new(AtomicBool::new(false)),
        };
        store.migrate().await?;
        Ok(store)
    }

    pub fn url(&self) -> &DbUrl {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        self.url.backend()
    }

    /// Close the pool (waits for connections in use to come back).
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let backend = self.backend();
        let migrations = MIGRATIONS
            .iter()
            .map(|&(version, description, sqlite, postgres)| {
                let sql = match backend {
                    Backend::Sqlite => sqlite,
                    Backend::Postgres => postgres,
                };
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect();
        let migrator = Migrator::with_migrations(migrations);
        let res = with_pool!(self, pool => migrator.run(pool).await);
        res.map_err(|e| StoreError::Migrate {
            db: self.url.redacted().to_string(),
            reason: self.url.scrub(&e.to_string()),
        })
    }

    /// A mapper from a driver error to [`StoreError::Db`] for `op`.
    pub(crate) fn db_err(&self, op: impl Into<String>) -> impl FnOnce(sqlx::Error) -> StoreError {
        let db = self.url.redacted().to_string();
        let op = op.into();
        let url = self.url.clone();
        move |e| StoreError::Db {
            db,
            op,
            reason: url.scrub(&e.to_string()),
        }
    }

    pub(crate) fn invalid(
        &self,
        table: &'static str,
        column: &'static str,
        why: String,
    ) -> StoreError {
        StoreError::Invalid {
            db: self.url.redacted().to_string(),
            table,
            column,
            why,
        }
    }

    /// `v` as a database integer, or an error naming the column.
    pub(crate) fn int(
        &self,
        table: &'static str,
        column: &'static str,
        v: u64,
    ) -> Result<i64, StoreError> {
        i64::try_from(v).map_err(|_| self.invalid(table, column, format!("{v} is beyond i64")))
    }

    /// Commit one engine step: all of `rec` in one transaction, or nothing (module docs).
    pub async fn commit_step(&self, rec: &StepRecord) -> Result<CommitOutcome, StoreError> {
        if !self.lock_held.load(Ordering::Acquire) {
            return Err(StoreError::NotLocked {
                db: self.url.redacted().to_string(),
            });
        }
        let p = crate::write::StepParams::new(self, rec)?;
        let keep = i64::from(self.opts.keep_snapshots.max(1));
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(self.db_err("begin transaction"))?;
            let mut out = CommitOutcome::default();
            if let Some((kind, body)) = &p.snapshot {
                sqlx::query(
                    "INSERT INTO snapshots (kind, step, at, body) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (kind, step) DO UPDATE SET at = excluded.at, body = excluded.body",
                )
                .bind(*kind)
                .bind(p.step)
                .bind(p.at)
                .bind(body.as_str())
                .execute(&mut *tx)
                .await
                .map_err(self.db_err("insert into snapshots"))?;
                // Keep the latest `keep` of this kind.
                sqlx::query(
                    "DELETE FROM snapshots WHERE kind = $1 AND step < (SELECT MIN(step) FROM \
                     (SELECT step FROM snapshots WHERE kind = $1 ORDER BY step DESC LIMIT $2) AS t)",
                )
                .bind(*kind)
                .bind(keep)
                .execute(&mut *tx)
                .await
                .map_err(self.db_err("prune snapshots"))?;
            }
            for o in &p.orders {
                sqlx::query(
                    "INSERT INTO orders (cl_ord_id, step, slot, role, side, price, qty, state, \
                     txid, filled, created_at, updated_at, last_event) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                     ON CONFLICT (cl_ord_id) DO UPDATE SET price = excluded.price, \
                     qty = excluded.qty, state = excluded.state, \
                     txid = COALESCE(excluded.txid, orders.txid), filled = excluded.filled, \
                     updated_at = excluded.updated_at, last_event = excluded.last_event",
                )
                .bind(o.cl_ord_id)
                .bind(p.step)
                .bind(o.slot)
                .bind(o.role)
                .bind(o.side)
                .bind(o.price.as_str())
                .bind(o.qty.as_str())
                .bind(o.state)
                .bind(o.txid)
                .bind(o.filled.as_str())
                .bind(o.created_at)
                .bind(o.updated_at)
                .bind(o.last_event)
                .execute(&mut *tx)
                .await
                .map_err(self.db_err(format!("upsert into orders ({})", o.cl_ord_id)))?;
            }
            for f in &p.fills {
                let done = sqlx::query(
                    "INSERT INTO fills (exec_id, cl_ord_id, txid, side, price, qty, fee, \
                     liquidity, ts, step) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (exec_id) DO NOTHING",
                )
                .bind(f.exec_id)
                .bind(f.cl_ord_id)
                .bind(f.txid)
                .bind(f.side)
                .bind(f.price.as_str())
                .bind(f.qty.as_str())
                .bind(f.fee.as_str())
                .bind(f.liquidity)
                .bind(f.ts)
                .bind(p.step)
                .execute(&mut *tx)
                .await
                .map_err(self.db_err(format!("insert into fills ({})", f.exec_id)))?;
                if done.rows_affected() == 0 {
                    out.duplicate_fills.push(f.exec_id.to_string());
                } else {
                    out.fills_inserted += 1;
                }
            }
            for j in &p.journal {
                sqlx::query("INSERT INTO journal (step, at, kind, body) VALUES ($1, $2, $3, $4)")
                    .bind(p.step)
                    .bind(j.at)
                    .bind(j.kind)
                    .bind(j.body)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.db_err("insert into journal"))?;
            }
            for a in &p.audits {
                sqlx::query(
                    "INSERT INTO balance_audits (step, at, asset, ours, exchange, held_ours, \
                     held_exchange, ok) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(p.step)
                .bind(a.at)
                .bind(a.asset)
                .bind(a.ours.as_str())
                .bind(a.exchange.as_str())
                .bind(a.held_ours.as_str())
                .bind(a.held_exchange.as_str())
                .bind(a.ok)
                .execute(&mut *tx)
                .await
                .map_err(self.db_err("insert into balance_audits"))?;
            }
            for a in &p.actions {
                sqlx::query(
                    "INSERT INTO operator_actions (step, at, source, action, params, result) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(p.step)
                .bind(a.at)
                .bind(a.source)
                .bind(a.action)
                .bind(a.params)
                .bind(a.result)
                .execute(&mut *tx)
                .await
                .map_err(self.db_err("insert into operator_actions"))?;
            }
            for (key, value) in &p.kv {
                sqlx::query(
                    "INSERT INTO kv (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(*key)
                .bind(*value)
                .execute(&mut *tx)
                .await
                .map_err(self.db_err(format!("upsert into kv ({key})")))?;
            }
            tx.commit().await.map_err(self.db_err("commit"))?;
            Ok(out)
        })
    }
}

async fn open_sqlite(url: &DbUrl, opts: &StoreOptions) -> Result<SqlitePool, StoreError> {
    let path = url.sqlite_path().ok_or_else(|| StoreError::BadUrl {
        url: url.redacted().to_string(),
        why: "not a SQLite URL",
    })?;
    let connect = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(opts.busy_timeout)
        .foreign_keys(true);
    SqlitePoolOptions::new()
        .max_connections(opts.max_connections.max(1))
        .connect_with(connect)
        .await
        .map_err(|e| StoreError::Db {
            db: url.redacted().to_string(),
            op: "open".into(),
            reason: e.to_string(),
        })
}

/// A schema name safe to splice into SQL: ASCII letters, digits and `_`, not starting with a
/// digit, at most 63 bytes (Postgres' identifier limit).
pub(crate) fn valid_schema(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

async fn open_postgres(
    url: &DbUrl,
    opts: &StoreOptions,
) -> Result<(PgPool, PgConnectOptions), StoreError> {
    let err = |op: &str| {
        let db = url.redacted().to_string();
        let op = op.to_string();
        move |e: sqlx::Error| StoreError::Db {
            db,
            op,
            reason: url.scrub(&e.to_string()),
        }
    };
    let mut connect = PgConnectOptions::from_str(url.expose()).map_err(err("parse URL"))?;
    // sqlx logs every statement at INFO; the engine thread's commits would flood the log.
    connect = connect.disable_statement_logging();
    if let Some(schema) = &opts.pg_schema {
        if !valid_schema(schema) {
            return Err(StoreError::BadUrl {
                url: url.redacted().to_string(),
                why: "schema: letters, digits and '_' only, not starting with a digit",
            });
        }
        let mut conn = sqlx::PgConnection::connect_with(&connect)
            .await
            .map_err(err("connect"))?;
        let ddl = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
        sqlx::query(sqlx::AssertSqlSafe(ddl))
            .execute(&mut conn)
            .await
            .map_err(err("create schema"))?;
        conn.close().await.map_err(err("close"))?;
        connect = connect.options([("search_path", schema.as_str())]);
    }
    let pool = PgPoolOptions::new()
        .max_connections(opts.max_connections.max(1))
        .connect_with(connect.clone())
        .await
        .map_err(err("connect"))?;
    Ok((pool, connect))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two migration files must describe the same tables and columns, in the same order.
    #[test]
    fn migrations_are_equivalent() {
        fn shape(sql: &str) -> Vec<String> {
            sql.lines()
                .map(str::trim)
                .filter(|l| !l.starts_with("--") && !l.is_empty())
                .filter_map(|l| {
                    if let Some(rest) = l.strip_prefix("CREATE TABLE ") {
                        return Some(format!("table {}", rest.trim_end_matches(" (")));
                    }
                    if let Some(rest) = l.strip_prefix("CREATE INDEX ") {
                        return Some(format!("index {rest}"));
                    }
                    let first = l.split_whitespace().next()?;
                    let is_col = first.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                    (is_col && !l.starts_with(')')).then(|| format!("column {first}"))
                })
                .collect()
        }
        for &(version, _, sqlite, postgres) in MIGRATIONS {
            let (a, b) = (shape(sqlite), shape(postgres));
            assert!(
                a.len() > 10,
                "migration {version}: parsed too little: {a:?}"
            );
            assert_eq!(
                a, b,
                "migration {version}: SQLite and Postgres schemas differ"
            );
        }
    }

    #[test]
    fn schema_names() {
        for (s, ok) in [
            ("fw_test_1", true),
            ("Public", true),
            ("", false),
            ("1abc", false),
            ("a-b", false),
            ("a\"; DROP", false),
        ] {
            assert_eq!(valid_schema(s), ok, "{s:?}");
        }
    }
}
