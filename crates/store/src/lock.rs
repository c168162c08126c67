//! The instance lock: one process per database (`spec/live.md` §2 "one key per process,
//! enforced by an exclusive lock", §6 restart step 1).
//!
//! - **SQLite**: an OS-level exclusive lock (`flock`, through `File::try_lock`) on
//!   `<database>.lock` beside the database file. The kernel drops it when the process dies,
//!   however it dies. A lock is per open file, so a second [`Store::lock`] in the same
//!   process is refused too.
//! - **Postgres**: `pg_try_advisory_lock(key)` on a connection of its own, held open by the
//!   guard; the key is a hash of the database and schema names. The server drops the lock
//!   when that session ends (the client's socket closes when the process dies).
//!
//! Invariants:
//! - At most one [`LockGuard`] per database (and Postgres schema) exists at any time,
//!   across processes and hosts.
//! - The `instance` row names the holder (owner, account fingerprint, pid, host, start); it
//!   is written after the lock is taken, so a refused instance can name who holds it.
//! - [`Store::commit_step`] refuses to write unless the store holds its guard.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sqlx::{Connection, PgConnection, Row};

use crate::error::StoreError;
use crate::model::InstanceInfo;
use crate::store::{with_pool, Store};

/// Holds the instance lock until dropped (or [`LockGuard::release`]d).
pub struct LockGuard {
    hold: Hold,
    flag: Arc<AtomicBool>,
    db: String,
}

enum Hold {
    /// The open, locked lock file (closing it unlocks).
    File(File, PathBuf),
    /// The session holding the advisory lock (ending it unlocks).
    Pg(Option<PgConnection>, i64),
}

impl std::fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = match &self.hold {
            Hold::File(_, path) => format!("lock file {}", path.display()),
            Hold::Pg(_, key) => format!("advisory lock {key}"),
        };
        f.debug_struct("LockGuard")
            .field("db", &self.db)
            .field("how", &how)
            .finish()
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // The file or connection closes with the guard; the store stops committing first.
        self.flag.store(false, Ordering::Release);
    }
}

impl LockGuard {
    /// Give the lock up now (Postgres: unlock and close the session cleanly).
    pub async fn release(mut self) -> Result<(), StoreError> {
        self.flag.store(false, Ordering::Release);
        if let Hold::Pg(conn, key) = &mut self.hold {
            if let Some(mut conn) = conn.take() {
                let db = self.db.clone();
                let err = |e: sqlx::Error| StoreError::Db {
                    db: db.clone(),
                    op: "release advisory lock".into(),
                    reason: e.to_string(),
                };
                sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(*key)
                    .execute(&mut conn)
                    .await
                    .map_err(err)?;
                conn.close().await.map_err(err)?;
            }
        }
        Ok(())
    }
}

/// FNV-1a, 64 bits: a stable advisory lock key from names (std's hasher is not stable
/// across releases, and two versions of the bot must agree on the key).
fn fnv1a(text: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes())
}

impl Store {
    /// Take the exclusive instance lock and record `instance` as its holder. A second
    /// instance gets [`StoreError::Locked`] naming the holder.
    pub async fn lock(&self, instance: &InstanceInfo) -> Result<LockGuard, StoreError> {
        let db = self.url.redacted().to_string();
        let hold = match self.url.sqlite_path() {
            Some(path) => self.lock_file(path.to_path_buf()).await?,
            None => self.lock_pg().await?,
        };
        let guard = LockGuard {
            hold,
            flag: self.lock_held.clone(),
            db,
        };
        self.write_instance(instance).await?;
        if let Hold::File(file, _) = &guard.hold {
            // For people looking at the directory; the database row is the record.
            let _ = write_owner(file, instance);
        }
        self.lock_held.store(true, Ordering::Release);
        Ok(guard)
    }

    async fn lock_file(&self, db_path: PathBuf) -> Result<Hold, StoreError> {
        let mut name = db_path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(".lock");
        let path = db_path.with_file_name(name);
        let io = |op: &'static str, e: std::io::Error| StoreError::LockFile {
            db: self.url.redacted().to_string(),
            path: path.display().to_string(),
            op,
            reason: e.to_string(),
        };
        // Not truncated on open: the holder's details stay readable until we hold it.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io("open", e))?;
        match file.try_lock() {
            Ok(()) => Ok(Hold::File(file, path)),
            Err(TryLockError::WouldBlock) => Err(self
                .locked_error(format!("lock file {} is held", path.display()))
                .await),
            Err(TryLockError::Error(e)) => Err(io("lock", e)),
        }
    }

    async fn lock_pg(&self) -> Result<Hold, StoreError> {
        let Some(connect) = &self.pg_connect else {
            return Err(self.invalid("instance", "-", "no Postgres connect options".into()));
        };
        let mut conn = PgConnection::connect_with(connect)
            .await
            .map_err(self.db_err("connect for the instance lock"))?;
        let names = sqlx::query("SELECT current_database() AS d, current_schema() AS s")
            .fetch_one(&mut conn)
            .await
            .and_then(|r| Ok((r.try_get::<String, _>("d")?, r.try_get::<String, _>("s")?)))
            .map_err(self.db_err("read database and schema names"))?;
        let key = fnv1a(&format!("flywheel-store/{}/{}", names.0, names.1));
        let got: bool = sqlx::query("SELECT pg_try_advisory_lock($1) AS got")
            .bind(key)
            .fetch_one(&mut conn)
            .await
            .and_then(|r| r.try_get("got"))
            .map_err(self.db_err("pg_try_advisory_lock"))?;
        if !got {
            let _ = conn.close().await;
            return Err(self
                .locked_error(format!("advisory lock {key} on schema {} is held", names.1))
                .await);
        }
        Ok(Hold::Pg(Some(conn), key))
    }

    async fn write_instance(&self, i: &InstanceInfo) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO instance (id, owner, account, started_at, pid, host) \
                 VALUES (1, $1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET \
                 owner = excluded.owner, account = excluded.account, \
                 started_at = excluded.started_at, pid = excluded.pid, host = excluded.host",
            )
            .bind(&i.owner)
            .bind(&i.account)
            .bind(i.started_at.millis())
            .bind(i64::from(i.pid))
            .bind(&i.host)
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(self.db_err("upsert into instance"))
        })
    }

    /// The recorded lock holder, if any.
    pub async fn instance(&self) -> Result<Option<InstanceInfo>, StoreError> {
        with_pool!(self, pool => {
            sqlx::query("SELECT owner, account, started_at, pid, host FROM instance WHERE id = 1")
                .fetch_optional(pool)
                .await
                .and_then(|r| match r {
                    Some(r) => Ok(Some(InstanceInfo {
                        owner: r.try_get("owner")?,
                        account: r.try_get("account")?,
                        started_at: flywheel_core::Timestamp::from_millis(r.try_get("started_at")?),
                        pid: u32::try_from(r.try_get::<i64, _>("pid")?).unwrap_or(0),
                        host: r.try_get("host")?,
                    })),
                    None => Ok(None),
                })
                .map_err(self.db_err("select from instance"))
        })
    }

    async fn locked_error(&self, how: String) -> StoreError {
        let holder = self.instance().await.ok().flatten();
        let holder = match holder {
            Some(i) => format!(
                "pid {} on host {}, owner {}, account {}, started at {} ms",
                i.pid,
                i.host,
                i.owner,
                i.account,
                i.started_at.millis()
            ),
            None => "holder not recorded".to_string(),
        };
        StoreError::Locked {
            db: self.url.redacted().to_string(),
            holder,
            how,
        }
    }
}

fn write_owner(mut file: &File, i: &InstanceInfo) -> std::io::Result<()> {
    file.set_len(0)?;
    // Positioned writes are not needed: the file was just opened, the cursor is at 0.
    writeln!(
        file,
        "pid={} host={} owner={} account={} started_at_ms={}",
        i.pid,
        i.host,
        i.owner,
        i.account,
        i.started_at.millis()
    )
}

#[cfg(test)]
mod tests {
    use super::fnv1a;

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        // Pinned: a change would let an old and a new version hold "the" lock at once.
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325_u64 as i64);
        assert_ne!(
            fnv1a("flywheel-store/a/public"),
            fnv1a("flywheel-store/b/public")
        );
    }
}
