//! [`DbUrl`]: where the store lives, as given on the command line (`--db`), and its redacted
//! form for every message a human or a log may see.
//!
//! Invariants:
//! - The text as given is kept only in a [`SecretString`] (wiped on drop) and is reachable
//!   only through [`DbUrl::expose`], which the store calls to connect and nowhere else.
//! - `Debug`, `Display` and every error show [`DbUrl::redacted`]: a Postgres password (in
//!   the user info or as a `password=` parameter) is replaced by `***`.
//! - Parsing never panics: anything that is not a `postgres://`/`postgresql://` URL is a
//!   SQLite path (`sqlite:` prefix optional); an empty path is an error.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use crate::error::StoreError;

/// The database engine a [`DbUrl`] names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A database location: a SQLite file or a Postgres URL (see the module docs).
#[derive(Clone)]
pub struct DbUrl {
    secret: SecretString,
    backend: Backend,
    /// For SQLite: the database file.
    path: Option<PathBuf>,
    redacted: String,
}

impl DbUrl {
    /// Read `--db`: `postgres://…` or `postgresql://…` is Postgres; `sqlite:PATH`,
    /// `sqlite://PATH` or a bare `PATH` is a SQLite file.
    pub fn parse(text: &str) -> Result<DbUrl, StoreError> {
        let trimmed = text.trim();
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(DbUrl {
                secret: SecretString::from(trimmed.to_string()),
                backend: Backend::Postgres,
                path: None,
                redacted: redact_pg(trimmed),
            });
        }
        let path = if lower.starts_with("sqlite://") {
            &trimmed[9..]
        } else if lower.starts_with("sqlite:") {
            &trimmed[7..]
        } else {
            trimmed
        };
        // `sqlite::memory:` would give every pooled connection its own empty database, and
        // an exclusive lock on nothing: refuse it rather than lose data quietly.
        if path.is_empty() || path == ":memory:" {
            return Err(StoreError::BadUrl {
                url: trimmed.chars().take(80).collect(),
                why: "a SQLite database needs a file path (sqlite:PATH or PATH)",
            });
        }
        Ok(DbUrl::sqlite(path))
    }

    /// A SQLite database file.
    pub fn sqlite(path: impl AsRef<Path>) -> DbUrl {
        let path = path.as_ref().to_path_buf();
        let shown = format!("sqlite:{}", path.display());
        DbUrl {
            secret: SecretString::from(shown.clone()),
            backend: Backend::Sqlite,
            path: Some(path),
            redacted: shown,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The SQLite database file (`None` for Postgres).
    pub fn sqlite_path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The form safe to show anywhere.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }

    /// The text as given, password included: for connecting only.
    pub(crate) fn expose(&self) -> &str {
        self.secret.expose_secret()
    }

    /// `text` with any occurrence of this URL's password replaced by `***`: for messages
    /// of lower layers (a driver error may quote what it was given).
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        if let Some(pw) = pg_password(self.expose()).filter(|pw| !pw.is_empty()) {
            // The driver may quote the password as given or percent-decoded.
            out = out.replace(pw, "***");
            let decoded = percent_decode(pw);
            if !decoded.is_empty() {
                out = out.replace(&decoded, "***");
            }
        }
        out
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DbUrl").field(&self.redacted).finish()
    }
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl std::str::FromStr for DbUrl {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DbUrl::parse(s)
    }
}

/// The password of a Postgres URL: in the user info (`user:pw@`) or a `password=`
/// parameter. The first one found.
fn pg_password(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        if let Some((_, pw)) = userinfo.split_once(':') {
            return Some(pw);
        }
    }
    let query = rest.split_once('?')?.1;
    query.split('&').find_map(|kv| kv.strip_prefix("password="))
}

/// `%XX` escapes decoded (invalid escapes and non-UTF-8 results kept as they are).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// `url` with the user-info password and any `password=` parameter replaced by `***`.
fn redact_pg(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "postgres://***".to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        // (input, backend, redacted form)
        let cases: &[(&str, Backend, &str)] = &[
            ("flywheel.db", Backend::Sqlite, "sqlite:flywheel.db"),
            (
                "sqlite:/var/lib/fw.db",
                Backend::Sqlite,
                "sqlite:/var/lib/fw.db",
            ),
            ("sqlite://fw.db", Backend::Sqlite, "sqlite:fw.db"),
            (
                "postgres://fw:s3cret@127.0.0.1/fw",
                Backend::Postgres,
                "postgres://fw:***@127.0.0.1/fw",
            ),
            (
                "postgresql://fw:p%40ss@db:5433/fw?sslmode=disable",
                Backend::Postgres,
                "postgresql://fw:***@db:5433/fw?sslmode=disable",
            ),
            (
                "postgres://fw@db/fw?password=s3cret&application_name=x",
                Backend::Postgres,
                "postgres://fw@db/fw?password=***&application_name=x",
            ),
            ("postgres://db/fw", Backend::Postgres, "postgres://db/fw"),
            // An '@' in the password: the host is after the last one.
            (
                "postgres://fw:a@b@db/fw",
                Backend::Postgres,
                "postgres://fw:***@db/fw",
            ),
        ];
        for &(input, backend, redacted) in cases {
            let url = DbUrl::parse(input).unwrap();
            assert_eq!(url.backend(), backend, "{input}");
            assert_eq!(url.redacted(), redacted, "{input}");
            assert_eq!(url.to_string(), redacted, "{input}");
            assert_eq!(
                format!("{url:?}"),
                format!("DbUrl({redacted:?})"),
                "{input}"
            );
        }
    }

    #[test]
    fn passwords_never_show() {
        for (input, pw) in [
            ("postgres://fw:s3cret@127.0.0.1/fw", "s3cret"),
            ("postgres://fw@db/fw?password=s3cret", "s3cret"),
            ("postgres://fw:a@b@db/fw", "a@b"),
            ("postgres://fw:p%40ss@db/fw", "p@ss"),
        ] {
            let url = DbUrl::parse(input).unwrap();
            for shown in [url.to_string(), format!("{url:?}"), format!("{url:#?}")] {
                assert!(!shown.contains(pw), "{shown}");
            }
            let scrubbed = url.scrub(&format!("error connecting to {input}"));
            assert!(!scrubbed.contains(pw), "{scrubbed}");
            assert_eq!(url.expose(), input);
            assert!(!url.scrub(&format!("bad password {pw:?}")).contains(pw));
        }
    }

    #[test]
    fn bad_urls_are_errors() {
        for input in ["", "  ", "sqlite:", "sqlite::memory:"] {
            let err = DbUrl::parse(input).unwrap_err();
            assert!(matches!(err, StoreError::BadUrl { .. }), "{input}: {err}");
        }
    }
}
