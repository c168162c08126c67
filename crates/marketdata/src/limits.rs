//! The bounds that keep a reader's memory flat on any input.
//!
//! Invariants: no reader buffers more than these limits (plus its fixed 64 KiB I/O buffers),
//! whatever the input: a gigabyte of NUL bytes, `/dev/zero`, a gzip bomb, an unclosed quote
//! or an endless run of whitespace either streams in constant memory or stops with a
//! [`DataError`](crate::DataError) naming the file and line, well before the limit could
//! matter for RSS; and input that is not valid data cannot keep a reader busy forever: an
//! endless line, field list, JSON bar or whitespace run stops at its limit. Real files are far inside every limit (their longest line is under 100
//! bytes; a freqtrade JSON file is one multi-megabyte line, which is fine because the JSON
//! reader holds one token, never a line).

/// Longest CSV record accepted, in field bytes (the line without its separators, quotes and
/// line break). A real record is under 100 bytes; anything near this is not market data.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Most fields accepted in one CSV record or JSON bar. Real layouts have 3–12 columns.
pub const MAX_FIELDS: usize = 1024;

/// Longest JSON number (or number string) accepted, in bytes. A real one has at most ~30.
pub const MAX_NUMBER_TOKEN: usize = 64;

/// Whitespace accepted in a row: before the first data byte (while the format is detected),
/// between JSON tokens, or as blank CSV lines. Whitespace is never buffered after detection,
/// so this is not about memory: it makes an endless run (`yes ''`, a stream of spaces) end
/// with an error instead of reading forever. Pretty-printed JSON indents by a few bytes.
pub const MAX_WHITESPACE_RUN: usize = 1 << 20;
