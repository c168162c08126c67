//! The bounds that keep a reader's memory flat on any input.
//!
//! Invariant: no reader buffers more than these limits (plus its fixed 64 KiB I/O buffers),
//! whatever the input: a gigabyte of NUL bytes, `/dev/zero`, a gzip bomb, an unclosed quote
//! or an endless run of whitespace either streams in constant memory or stops with a
//! [`DataError`](crate::DataError) naming the file and line, well before the limit could
//! matter for RSS. Real files are far inside every limit (their longest line is under 100
//! bytes; a freqtrade JSON file is one multi-megabyte line, which is fine because the JSON
//! reader holds one token, never a line).

/// Longest CSV record accepted, in field bytes (the line without its separators, quotes and
/// line break). A real record is under 100 bytes; anything near this is not market data.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Most fields accepted in one CSV record. Real layouts have 3–12 columns.
pub const MAX_FIELDS: usize = 1024;

/// Longest JSON number (or number string) accepted, in bytes. A real one has at most ~30.
pub const MAX_NUMBER_TOKEN: usize = 64;

/// Whitespace accepted before the first data byte, while the format is detected.
pub const MAX_LEADING_WHITESPACE: usize = 1 << 20;
