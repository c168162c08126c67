//! The REST nonce: `max(last + 1, now_ms)`, persisted before use.
//!
//! Kraken requires a strictly increasing unsigned 64-bit nonce per API key, and never accepts
//! one at or below the last it saw, even after our restart (kraken.md §3.3). Milliseconds since
//! the epoch are the unit (live.md §2 "Nonce practice").
//!
//! Invariants:
//! - [`NonceSource::next`] returns a value strictly greater than every value it (or any
//!   earlier source on the same store) returned, whatever the clock does: a clock that goes
//!   backwards only makes the sequence count up by one.
//! - A nonce is persisted **before** it is returned, so a crash after sending cannot lead a
//!   restarted process to reuse it. If persisting fails, no nonce is returned.
//! - [`FileNonceStore`] writes atomically (temporary file, fsync, rename, fsync of the
//!   directory): the file always holds a complete earlier or later value, never a torn one.
//! - A corrupt store is an error naming the file, never silently reset.

use std::io::Write;
use std::path::{Path, PathBuf};

use flywheel_core::Timestamp;
use thiserror::Error;

/// Errors of the nonce store.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum NonceError {
    #[error("nonce store {path}: {op} failed: {reason}")]
    Io {
        path: PathBuf,
        op: &'static str,
        reason: String,
    },
    #[error("nonce store {path}: content {content:?} is not an unsigned integer")]
    Corrupt { path: PathBuf, content: String },
    #[error("nonce space exhausted (last nonce is u64::MAX)")]
    Exhausted,
}

/// Where the last issued nonce survives a restart.
pub trait NonceStore {
    /// The last persisted nonce, `None` for a fresh store.
    fn load(&self) -> Result<Option<u64>, NonceError>;
    /// Durably record `nonce` as the last issued one.
    fn store(&mut self, nonce: u64) -> Result<(), NonceError>;
}

/// In-memory store, for tests and for the mock.
#[derive(Debug, Default, Clone)]
pub struct MemoryNonceStore {
    pub value: Option<u64>,
}

impl NonceStore for MemoryNonceStore {
    fn load(&self) -> Result<Option<u64>, NonceError> {
        Ok(self.value)
    }
    fn store(&mut self, nonce: u64) -> Result<(), NonceError> {
        self.value = Some(nonce);
        Ok(())
    }
}

/// A file holding the last nonce as decimal text.
#[derive(Debug, Clone)]
pub struct FileNonceStore {
    path: PathBuf,
}

impl FileNonceStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileNonceStore { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, op: &'static str) -> impl Fn(std::io::Error) -> NonceError + '_ {
        move |e| NonceError::Io {
            path: self.path.clone(),
            op,
            reason: e.to_string(),
        }
    }

    fn tmp_path(&self) -> PathBuf {
        let mut name = self
            .path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(".tmp");
        self.path.with_file_name(name)
    }
}

impl NonceStore for FileNonceStore {
    fn load(&self) -> Result<Option<u64>, NonceError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io("read")(e)),
        };
        text.trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| NonceError::Corrupt {
                path: self.path.clone(),
                content: text.chars().take(40).collect(),
            })
    }

    fn store(&mut self, nonce: u64) -> Result<(), NonceError> {
        let tmp = self.tmp_path();
        {
            let mut f = std::fs::File::create(&tmp).map_err(self.io("create temporary file"))?;
            writeln!(f, "{nonce}").map_err(self.io("write"))?;
            f.sync_all().map_err(self.io("fsync"))?;
        }
        std::fs::rename(&tmp, &self.path).map_err(self.io("rename"))?;
        // Make the rename itself durable.
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if let Ok(d) = std::fs::File::open(&dir) {
            d.sync_all().map_err(self.io("fsync directory"))?;
        }
        Ok(())
    }
}

/// Issues nonces for one API key.
#[derive(Debug)]
pub struct NonceSource<S: NonceStore> {
    store: S,
    last: Option<u64>,
}

impl<S: NonceStore> NonceSource<S> {
    /// Open over `store`, resuming after its last value.
    pub fn open(store: S) -> Result<Self, NonceError> {
        let last = store.load()?;
        Ok(NonceSource { store, last })
    }

    /// The next nonce at engine time `now`: `max(last + 1, now_ms)`, persisted first.
    pub fn next(&mut self, now: Timestamp) -> Result<u64, NonceError> {
        let now_ms = u64::try_from(now.millis()).unwrap_or(0);
        let candidate = match self.last {
            None => now_ms,
            Some(last) => last
                .checked_add(1)
                .ok_or(NonceError::Exhausted)?
                .max(now_ms),
        };
        self.store.store(candidate)?;
        self.last = Some(candidate);
        Ok(candidate)
    }

    /// The last nonce issued (or loaded).
    pub fn last(&self) -> Option<u64> {
        self.last
    }

    pub fn store(&self) -> &S {
        &self.store
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    #[test]
    fn sequence_table() {
        // (name, clock readings, expected nonces) on one fresh source.
        let cases: [(&str, &[i64], &[u64]); 4] = [
            ("clock advancing", &[1000, 2000, 3000], &[1000, 2000, 3000]),
            ("same millisecond", &[1000, 1000, 1000], &[1000, 1001, 1002]),
            (
                "clock backwards",
                &[5000, 4000, 4500, 5003],
                &[5000, 5001, 5002, 5003],
            ),
            ("clock before epoch", &[-5, -1], &[0, 1]),
        ];
        for (name, clock, want) in cases {
            let mut src = NonceSource::open(MemoryNonceStore::default()).unwrap();
            let got: Vec<u64> = clock.iter().map(|&t| src.next(ts(t)).unwrap()).collect();
            assert_eq!(got, want, "case {name}");
            assert_eq!(
                src.store().value,
                want.last().copied(),
                "case {name}: persisted"
            );
        }
    }

    #[test]
    fn monotonic_across_restart_with_clock_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nonce");
        let mut first = NonceSource::open(FileNonceStore::new(&path)).unwrap();
        assert_eq!(first.last(), None);
        let a = first.next(ts(1_700_000_000_000)).unwrap();
        let b = first.next(ts(1_700_000_000_000)).unwrap();
        assert_eq!((a, b), (1_700_000_000_000, 1_700_000_000_001));
        drop(first); // "crash": only the file survives

        // The restarted process's clock is an hour behind.
        let mut second = NonceSource::open(FileNonceStore::new(&path)).unwrap();
        assert_eq!(second.last(), Some(b));
        let c = second.next(ts(1_700_000_000_000 - 3_600_000)).unwrap();
        assert_eq!(c, b + 1);
        // The clock catches up: the wall clock wins again.
        assert_eq!(
            second.next(ts(1_700_000_100_000)).unwrap(),
            1_700_000_100_000
        );
        assert!(!dir.path().join("nonce.tmp").exists());
    }

    #[test]
    fn corrupt_store_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nonce");
        std::fs::write(&path, "12a\n").unwrap();
        let err = NonceSource::open(FileNonceStore::new(&path)).unwrap_err();
        assert_eq!(
            err,
            NonceError::Corrupt {
                path: path.clone(),
                content: "12a\n".into()
            }
        );
        assert!(err.to_string().contains(&path.display().to_string()));
    }

    #[test]
    fn failed_persist_returns_no_nonce() {
        struct Failing;
        impl NonceStore for Failing {
            fn load(&self) -> Result<Option<u64>, NonceError> {
                Ok(Some(10))
            }
            fn store(&mut self, _: u64) -> Result<(), NonceError> {
                Err(NonceError::Io {
                    path: PathBuf::from("x"),
                    op: "write",
                    reason: "disk full".into(),
                })
            }
        }
        let mut src = NonceSource::open(Failing).unwrap();
        assert!(src.next(ts(5)).is_err());
        assert_eq!(src.last(), Some(10));
    }

    #[test]
    fn exhausted_space_is_an_error() {
        let mut src = NonceSource::open(MemoryNonceStore {
            value: Some(u64::MAX),
        })
        .unwrap();
        assert_eq!(src.next(ts(0)), Err(NonceError::Exhausted));
    }
}
