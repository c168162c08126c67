//! [`DataError`]: every failure names the file, and the line (and for JSON the column) where
//! it happened. `Display` is always a single line, so it can go straight into a log or a CLI
//! error without reformatting.

use std::fmt;

use thiserror::Error;

/// A place in a data file: 1-based line, and for JSON (usually one long line) the 1-based
/// byte column of the element that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub line: u64,
    pub column: Option<u64>,
}

impl Location {
    pub const fn line(line: u64) -> Self {
        Location { line, column: None }
    }
    pub const fn at(line: u64, column: u64) -> Self {
        Location {
            line,
            column: Some(column),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(f, "{}:{}", self.line, c),
            None => write!(f, "{}", self.line),
        }
    }
}

/// Errors from opening or reading a market data file.
#[derive(Debug, Error)]
pub enum DataError {
    /// The file could not be opened, or reading failed before any content was seen.
    #[error("{file}: {}", one_line(.source))]
    Open {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// Reading (or decompressing) failed in the middle of the file, e.g. a truncated gzip.
    #[error("{file}:{at}: read error: {}", read_msg(.source))]
    Read {
        file: String,
        at: Location,
        #[source]
        source: std::io::Error,
    },
    /// A malformed or invalid record, or a structurally broken file (truncated JSON).
    #[error("{file}:{at}: {reason}")]
    Row {
        file: String,
        at: Location,
        reason: String,
    },
    /// The content matches no supported format (or not the forced one).
    #[error("{file}: {reason}")]
    Format { file: String, reason: String },
}

impl DataError {
    /// The file (display name) the error is about.
    pub fn file(&self) -> &str {
        match self {
            DataError::Open { file, .. }
            | DataError::Read { file, .. }
            | DataError::Row { file, .. }
            | DataError::Format { file, .. } => file,
        }
    }

    /// The 1-based line, when the error is tied to one.
    pub fn line(&self) -> Option<u64> {
        match self {
            DataError::Read { at, .. } | DataError::Row { at, .. } => Some(at.line),
            DataError::Open { .. } | DataError::Format { .. } => None,
        }
    }

    pub(crate) fn row(file: &str, at: Location, reason: impl Into<String>) -> Self {
        DataError::Row {
            file: file.to_string(),
            at,
            reason: one_line(&reason.into()),
        }
    }

    pub(crate) fn format(file: &str, reason: impl Into<String>) -> Self {
        DataError::Format {
            file: file.to_string(),
            reason: one_line(&reason.into()),
        }
    }
}

/// Render any message on one line (line breaks become spaces).
pub(crate) fn one_line(msg: &dyn fmt::Display) -> String {
    let s = msg.to_string();
    if s.contains(['\n', '\r']) {
        s.split(['\n', '\r'])
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        s
    }
}

/// An I/O error on one line; a decoder's end-of-data or corruption error gets a hint.
fn read_msg(e: &std::io::Error) -> String {
    let hint = match e.kind() {
        std::io::ErrorKind::UnexpectedEof
        | std::io::ErrorKind::InvalidData
        | std::io::ErrorKind::InvalidInput => " (truncated or corrupt file?)",
        _ => "",
    };
    format!("{}{hint}", one_line(e))
}

/// Quote a raw field for a message: `"abc"`, escaped, cut to a sane length.
pub(crate) fn quote(raw: &[u8]) -> String {
    const MAX: usize = 40;
    let text = String::from_utf8_lossy(&raw[..raw.len().min(MAX)]);
    let ellipsis = if raw.len() > MAX { "…" } else { "" };
    format!("{:?}{ellipsis}", text.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_table() {
        let io = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "bad\nthing");
        let cases: [(&str, DataError, &str); 4] = [
            (
                "open",
                DataError::Open {
                    file: "a.csv".into(),
                    source: io(),
                },
                "a.csv: bad thing",
            ),
            (
                "read",
                DataError::Read {
                    file: "a.csv.gz".into(),
                    at: Location::line(7),
                    source: io(),
                },
                "a.csv.gz:7: read error: bad thing (truncated or corrupt file?)",
            ),
            (
                "row with column",
                DataError::row("a.json", Location::at(1, 42), "x\ny"),
                "a.json:1:42: x y",
            ),
            (
                "format",
                DataError::format("a.txt", "unknown"),
                "a.txt: unknown",
            ),
        ];
        for (name, err, want) in cases {
            assert_eq!(err.to_string(), want, "case {name}");
            assert!(!err.to_string().contains('\n'), "case {name}");
        }
    }

    #[test]
    fn quote_escapes_and_cuts() {
        assert_eq!(quote(b"abc"), "\"abc\"");
        assert_eq!(quote(b"a\"b"), "\"a\\\"b\"");
        assert_eq!(quote(&[b'9'; 50]), format!("\"{}\"…", "9".repeat(40)));
    }
}
