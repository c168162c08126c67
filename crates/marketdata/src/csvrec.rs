//! A CSV record reader whose memory is fixed when it is built.
//!
//! The `csv` crate grows its record buffer to fit any record, so a file of NUL bytes (one
//! endless "line") or an unclosed quote made it buffer the whole input (1 GB of NULs took
//! 5 GB of RSS). This reader drives the same parser (`csv_core`, the state machine inside
//! `csv`) over buffers allocated once: a 64 KiB input buffer, [`MAX_LINE_BYTES`] + 1 bytes of
//! field output and [`MAX_FIELDS`] field ends. A record that does not fit is an error, not a
//! reallocation.
//!
//! Invariants: memory never grows after [`CsvRecords::new`]; after an error or the end of
//! input every call returns the same end (`Ok(false)`), so a caller can never loop on a
//! failure. Blank lines are skipped (as `csv` does), in constant memory; every line number
//! is the physical 1-based line (a record's first line), counting `\n`, so blank lines and
//! CRLF line ends do not shift it (`csv` reported the line after a blank line or a CRLF
//! record too early).

use std::io::{ErrorKind, Read};

use csv_core::{ReadRecordResult, Reader as Core};

use crate::limits::{MAX_FIELDS, MAX_LINE_BYTES, MAX_WHITESPACE_RUN};

const BUF_SIZE: usize = 64 * 1024;

/// Why a record could not be read.
#[derive(Debug)]
pub(crate) enum RecordError {
    Io(std::io::Error),
    /// More than [`MAX_LINE_BYTES`] field bytes. `multiline`: the record crossed line breaks
    /// (inside quotes), which usually means an unclosed quote.
    TooLong {
        multiline: bool,
    },
    /// More than [`MAX_FIELDS`] fields.
    TooManyFields,
    /// More than [`MAX_WHITESPACE_RUN`] bytes of blank lines in a row.
    BlankRun,
}

impl RecordError {
    /// The message for a record error other than I/O (which keeps its `io::Error`).
    pub(crate) fn reason(&self) -> String {
        match self {
            RecordError::Io(e) => e.to_string(),
            RecordError::TooLong { multiline: false } => {
                format!("line longer than {MAX_LINE_BYTES} bytes (not a line-based CSV file?)")
            }
            RecordError::TooLong { multiline: true } => format!(
                "record starting on this line is longer than {MAX_LINE_BYTES} bytes \
                 (an unclosed quote?)"
            ),
            RecordError::TooManyFields => format!("more than {MAX_FIELDS} fields on one line"),
            RecordError::BlankRun => {
                format!("more than {MAX_WHITESPACE_RUN} bytes of blank lines in a row")
            }
        }
    }
}

/// The fields of the current record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Record<'a> {
    out: &'a [u8],
    ends: &'a [usize],
}

impl<'a> Record<'a> {
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn get(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.out.get(start..end)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

pub(crate) struct CsvRecords {
    src: Box<dyn Read + Send>,
    core: Core,
    input: Box<[u8]>,
    pos: usize,
    len: usize,
    eof: bool,
    /// Set after the end of input or an error: every later read returns `Ok(false)`.
    done: bool,
    /// One byte more than the limit: `csv_core` reports "output full" as soon as the output
    /// slice is empty, even before a line break that needs no output, so a record of exactly
    /// `MAX_LINE_BYTES` needs one spare byte to be accepted.
    out: Box<[u8]>,
    ends: Box<[usize]>,
    nout: usize,
    nends: usize,
    /// 1-based line where the current record starts.
    line: u64,
    /// Line breaks skipped here between records, which `csv_core` never saw (its `line()`
    /// counts only the ones it parsed).
    skipped_lines: u64,
}

impl CsvRecords {
    pub(crate) fn new(src: Box<dyn Read + Send>) -> Self {
        CsvRecords {
            src,
            core: Core::new(),
            input: vec![0; BUF_SIZE].into_boxed_slice(),
            pos: 0,
            len: 0,
            eof: false,
            done: false,
            out: vec![0; MAX_LINE_BYTES + 1].into_boxed_slice(),
            ends: vec![0; MAX_FIELDS].into_boxed_slice(),
            nout: 0,
            nends: 0,
            line: 1,
            skipped_lines: 0,
        }
    }

    /// The line where the last record read starts.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// The line the parser is on now (where an I/O error happened).
    pub(crate) fn current_line(&self) -> u64 {
        self.core.line() + self.skipped_lines
    }

    /// The last record read (empty before the first and after the end).
    pub(crate) fn record(&self) -> Record<'_> {
        Record {
            out: &self.out[..self.nout],
            ends: &self.ends[..self.nends],
        }
    }

    fn fill(&mut self) -> Result<(), std::io::Error> {
        loop {
            match self.src.read(&mut self.input) {
                Ok(n) => {
                    self.pos = 0;
                    self.len = n;
                    self.eof = n == 0;
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Read the next record; `Ok(false)` at the end of input (and after any error).
    pub(crate) fn read(&mut self) -> Result<bool, RecordError> {
        self.nout = 0;
        self.nends = 0;
        if self.done {
            return Ok(false);
        }
        let skipped = self.skip_blank_lines();
        // The record's first line (or, after too many blank lines, where the run stopped).
        self.line = self.current_line();
        let result = skipped.and_then(|()| self.read_inner());
        if !matches!(result, Ok(true)) {
            self.done = true;
            if result.is_err() {
                self.nout = 0;
                self.nends = 0;
            }
        }
        result
    }

    /// Skip the line breaks before a record, counting them, so the record's line is where its
    /// first byte is. Safe because between records `csv_core` is in a state that discards
    /// `\r` and `\n` anyway (end of record, after a `\r`, or start of record); a first
    /// byte of anything else moves it to the start of a field either way.
    fn skip_blank_lines(&mut self) -> Result<(), RecordError> {
        let mut run = 0usize;
        loop {
            if self.pos == self.len {
                if self.eof {
                    return Ok(());
                }
                self.fill().map_err(RecordError::Io)?;
                continue;
            }
            match self.input[self.pos] {
                b'\n' => self.skipped_lines += 1,
                b'\r' => {}
                _ => return Ok(()),
            }
            self.pos += 1;
            run += 1;
            if run > MAX_WHITESPACE_RUN {
                return Err(RecordError::BlankRun);
            }
        }
    }

    fn read_inner(&mut self) -> Result<bool, RecordError> {
        use ReadRecordResult::*;
        loop {
            if self.pos == self.len && !self.eof {
                self.fill().map_err(RecordError::Io)?;
            }
            let (res, nin, nout, nend) = self.core.read_record(
                &self.input[self.pos..self.len],
                &mut self.out[self.nout..],
                &mut self.ends[self.nends..],
            );
            self.pos += nin;
            self.nout += nout;
            self.nends += nend;
            match res {
                // At the end of input `csv_core` answers `Record` or `End`; this arm only
                // asks for more input.
                InputEmpty if !self.eof => continue,
                InputEmpty | End => return Ok(false),
                // The spare byte can only be filled by a last record without a line break.
                Record if self.nout <= MAX_LINE_BYTES => return Ok(true),
                Record | OutputFull => {
                    let multiline = self.current_line() > self.line;
                    return Err(RecordError::TooLong { multiline });
                }
                OutputEndsFull => return Err(RecordError::TooManyFields),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A record read: its line and its fields.
    type Read = (u64, Vec<Vec<u8>>);

    fn records(data: Vec<u8>) -> (Vec<Read>, Option<RecordError>) {
        let mut r = CsvRecords::new(Box::new(Cursor::new(data)));
        let mut out = Vec::new();
        loop {
            match r.read() {
                Ok(true) => out.push((r.line(), r.record().iter().map(<[u8]>::to_vec).collect())),
                Ok(false) => return (out, None),
                Err(e) => {
                    assert!(!r.read().unwrap_or(true), "ends after an error");
                    return (out, Some(e));
                }
            }
        }
    }

    fn line_of(n: usize) -> Vec<u8> {
        let mut v = vec![b'7'; n];
        v.push(b'\n');
        v
    }

    fn fields(n: usize) -> Vec<u8> {
        let mut v = vec![b','; n - 1];
        v.push(b'\n');
        v
    }

    /// (name, input, records read before the end or error, error kind)
    #[test]
    fn limits_table() {
        type Case = (&'static str, Vec<u8>, usize, Option<&'static str>);
        let cases: Vec<Case> = vec![
            ("empty", vec![], 0, None),
            ("blank lines only", b"\n\r\n\n".to_vec(), 0, None),
            ("exactly the line limit", line_of(MAX_LINE_BYTES), 1, None),
            (
                "one byte over the line limit",
                line_of(MAX_LINE_BYTES + 1),
                0,
                Some("line"),
            ),
            (
                "exactly the line limit at the end of input",
                vec![b'7'; MAX_LINE_BYTES],
                1,
                None,
            ),
            (
                "one byte over at the end of input",
                vec![b'7'; MAX_LINE_BYTES + 1],
                0,
                Some("line"),
            ),
            (
                "NUL bytes, no line break",
                vec![0; 3 * BUF_SIZE],
                0,
                Some("line"),
            ),
            (
                "unclosed quote over many short lines",
                [b"a,b\n\"".as_slice(), &b"x\n".repeat(MAX_LINE_BYTES)].concat(),
                1,
                Some("multiline"),
            ),
            ("exactly the field limit", fields(MAX_FIELDS), 1, None),
            ("one field over", fields(MAX_FIELDS + 1), 0, Some("fields")),
            (
                "blank lines up to the limit",
                [vec![b'\n'; MAX_WHITESPACE_RUN], b"a".to_vec()].concat(),
                1,
                None,
            ),
            (
                "endless blank lines",
                vec![b'\n'; MAX_WHITESPACE_RUN + 1],
                0,
                Some("blank"),
            ),
        ];
        for (name, input, want_n, want_err) in cases {
            let (got, err) = records(input);
            assert_eq!(got.len(), want_n, "case {name}");
            let kind = err.map(|e| match e {
                RecordError::TooLong { multiline: false } => "line",
                RecordError::TooLong { multiline: true } => "multiline",
                RecordError::TooManyFields => "fields",
                RecordError::BlankRun => "blank",
                RecordError::Io(_) => "io",
            });
            assert_eq!(kind, want_err, "case {name}");
        }
    }

    #[test]
    fn line_numbers_table() {
        let cases: [(&str, &[u8], &[u64]); 4] = [
            ("LF", b"a\nb\nc", &[1, 2, 3]),
            ("CRLF", b"a\r\nb\r\nc\r\n", &[1, 2, 3]),
            ("CR only", b"a\rb\rc", &[1, 1, 1]),
            (
                "blank lines first and between",
                b"\n\r\na\n\n\nb\n",
                &[3, 6],
            ),
        ];
        for (name, input, want) in cases {
            let (got, err) = records(input.to_vec());
            assert!(err.is_none(), "case {name}");
            let lines: Vec<u64> = got.iter().map(|(l, _)| *l).collect();
            assert_eq!(lines, want, "case {name}");
        }
    }

    #[test]
    fn fields_and_lines_table() {
        let (got, err) = records(b"a,b\n\n\"q,\"\"x\"\"\",2\r\nlast".to_vec());
        assert!(err.is_none());
        let want: Vec<Read> = vec![
            (1, vec![b"a".to_vec(), b"b".to_vec()]),
            // Blank lines and CRLF ends do not shift the lines.
            (3, vec![b"q,\"x\"".to_vec(), b"2".to_vec()]),
            (4, vec![b"last".to_vec()]),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn messages_name_the_limit() {
        let cases = [
            (
                RecordError::TooLong { multiline: false },
                "line longer than 65536 bytes",
            ),
            (
                RecordError::TooLong { multiline: true },
                "longer than 65536 bytes (an unclosed",
            ),
            (RecordError::TooManyFields, "more than 1024 fields"),
        ];
        for (e, want) in cases {
            assert!(e.reason().contains(want), "{}", e.reason());
        }
    }
}
