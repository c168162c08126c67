//! Test harness shared by the store's integration tests: a fresh database per test on each
//! backend. SQLite: a file in a temporary directory. Postgres: a schema of its own in the
//! database `FLYWHEEL_TEST_PG_URL` names, dropped at the end.
//!
//! Postgres tests skip with a message when `FLYWHEEL_TEST_PG_URL` is not set, except under
//! `CI=true`, where they fail: CI must never pass by silently skipping a backend.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use flywheel_core::Timestamp;
use flywheel_store::{DbUrl, InstanceInfo, Store, StoreOptions};
use sqlx::Connection;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    Sqlite,
    Postgres,
}

pub const PG_ENV: &str = "FLYWHEEL_TEST_PG_URL";

/// The Postgres URL, `None` (with a skip message) when unset outside CI.
pub fn pg_url(test: &str) -> Option<String> {
    match std::env::var(PG_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{test}: {PG_ENV} is not set but CI=true: the Postgres tests must run in CI \
                 (.ci/run installs and starts PostgreSQL and sets it)"
            );
            eprintln!(
                "SKIP {test} [postgres]: {PG_ENV} is not set (set it to run the Postgres tests)"
            );
            None
        }
    }
}

/// One test's database.
#[derive(Clone, Debug)]
pub struct Db {
    pub which: Which,
    pub url: DbUrl,
    pub opts: StoreOptions,
    pub store: Store,
    dir: Option<Arc<tempfile::TempDir>>,
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A schema name unique to this process and call.
pub fn unique_schema(test: &str) -> String {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let short: String = test
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(20)
        .collect();
    format!(
        "fwt_{}_{}_{n}",
        std::process::id(),
        short.to_ascii_lowercase()
    )
}

impl Db {
    /// A fresh database, or `None` when the backend is not available (skip).
    pub async fn new(which: Which, test: &str) -> Option<Db> {
        Db::with_opts(which, test, StoreOptions::default()).await
    }

    pub async fn with_opts(which: Which, test: &str, mut opts: StoreOptions) -> Option<Db> {
        let (url, dir) = match which {
            Which::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                (
                    DbUrl::sqlite(dir.path().join("flywheel.db")),
                    Some(Arc::new(dir)),
                )
            }
            Which::Postgres => {
                let url = DbUrl::parse(&pg_url(test)?).expect("FLYWHEEL_TEST_PG_URL parses");
                opts.pg_schema = Some(unique_schema(test));
                (url, None)
            }
        };
        let store = Store::open(&url, opts.clone()).await.expect("open");
        Some(Db {
            which,
            url,
            opts,
            store,
            dir,
        })
    }

    /// The same database opened again (as a second process would).
    pub async fn reopen(&self) -> Store {
        Store::open(&self.url, self.opts.clone())
            .await
            .expect("reopen")
    }

    /// Run raw SQL on a connection of its own (to break or corrupt things on purpose).
    pub async fn raw(&self, sql: &str) {
        match self.which {
            Which::Sqlite => {
                let path = self.url.sqlite_path().expect("sqlite path");
                let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
                    .await
                    .expect("raw connect");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut c)
                    .await
                    .expect("raw sql");
            }
            Which::Postgres => {
                let mut c = self.pg_conn().await;
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(&mut c)
                    .await
                    .expect("raw sql");
            }
        }
    }

    async fn pg_conn(&self) -> sqlx::PgConnection {
        let url = std::env::var(PG_ENV).expect("pg url");
        let mut c = sqlx::PgConnection::connect(&url)
            .await
            .expect("raw connect");
        let schema = self.opts.pg_schema.clone().expect("schema");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SET search_path TO {schema}")))
            .execute(&mut c)
            .await
            .expect("search_path");
        c
    }

    /// Drop the test's Postgres schema (SQLite: the temp dir goes with the last clone).
    pub async fn cleanup(self) {
        self.store.close().await;
        if self.which == Which::Postgres {
            let url = std::env::var(PG_ENV).expect("pg url");
            let mut c = sqlx::PgConnection::connect(&url).await.expect("connect");
            let schema = self.opts.pg_schema.clone().expect("schema");
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE"
            )))
            .execute(&mut c)
            .await;
        }
    }
}

pub fn instance(owner: &str) -> InstanceInfo {
    InstanceInfo {
        owner: owner.to_string(),
        account: "key-fp-1234".to_string(),
        started_at: Timestamp::from_millis(1_700_000_000_000),
        pid: std::process::id(),
        host: "test-host".to_string(),
    }
}

impl Db {
    /// `(a, b)` integer pairs from a query (for checks by step).
    pub async fn pairs(&self, sql: &str) -> Vec<(i64, i64)> {
        use sqlx::Row;
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        let rows: Vec<(i64, i64)> = match self.which {
            Which::Sqlite => {
                let path = self.url.sqlite_path().expect("sqlite path");
                let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
                    .await
                    .expect("raw connect");
                sqlx::query(sql)
                    .fetch_all(&mut c)
                    .await
                    .expect("query")
                    .iter()
                    .map(|r| (r.get::<i64, _>(0), r.get::<i64, _>(1)))
                    .collect()
            }
            Which::Postgres => {
                let mut c = self.pg_conn().await;
                sqlx::query(sql)
                    .fetch_all(&mut c)
                    .await
                    .expect("query")
                    .iter()
                    .map(|r| (r.get::<i64, _>(0), r.get::<i64, _>(1)))
                    .collect()
            }
        };
        rows
    }
}
