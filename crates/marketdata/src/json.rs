//! A streaming reader for freqtrade's JSON candle storage, `[[t, o, h, l, c, v], ...]`.
//!
//! A hand-written tokenizer over its own 64 KiB buffer: it holds one bar at a time, so memory
//! is constant in the file length, and numbers go from their text straight to exact decimals
//! (never through `f64`). It accepts exactly the array-of-arrays shape (numbers, or strings
//! holding numbers, and `null` for a missing volume) and reports anything else, including a
//! truncated file, with the line and column where it happened.

use std::io::{ErrorKind, Read};

use flywheel_core::{Price, Qty, Timestamp};

use crate::error::{quote, DataError, Location};
use crate::event::Bar;
use crate::limits::{MAX_FIELDS, MAX_NUMBER_TOKEN, MAX_WHITESPACE_RUN};
use crate::number::{decimal_field, time_field, TimeUnit};

const BUF_SIZE: usize = 64 * 1024;
/// Longest number token accepted (see [`MAX_NUMBER_TOKEN`]).
const MAX_TOKEN: usize = MAX_NUMBER_TOKEN;
const FIELD_NAMES: [&str; 6] = ["open time", "open", "high", "low", "close", "volume"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the outer `[`.
    Start,
    /// After the outer `[`, before the first bar.
    First,
    /// After a bar, before `,` or `]`.
    Next,
    /// After the outer `]` (and the check that nothing follows).
    Done,
}

/// What a field token was, and where its bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    /// In `buf[start..end]` (the common case: the token did not cross a buffer refill).
    InBuf(usize, usize),
    /// Copied into `tok` (it crossed a refill).
    Copied,
    Null,
}

pub(crate) struct JsonBars {
    src: Box<dyn Read + Send>,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    eof: bool,
    /// Bytes consumed before `buf[0]`.
    base: u64,
    line: u64,
    /// Absolute offset of the first byte of the current line.
    line_start: u64,
    state: State,
    tok: Vec<u8>,
    bars: u64,
}

fn is_number_byte(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'.' | b'-' | b'+' | b'e' | b'E')
}

fn show(b: Option<u8>) -> String {
    match b {
        None => "end of file".to_string(),
        Some(c) if c.is_ascii_graphic() => format!("'{}'", c as char),
        Some(c) => format!("byte 0x{c:02x}"),
    }
}

impl JsonBars {
    pub(crate) fn new(src: Box<dyn Read + Send>) -> Self {
        JsonBars {
            src,
            buf: vec![0; BUF_SIZE].into_boxed_slice(),
            pos: 0,
            len: 0,
            eof: false,
            base: 0,
            line: 1,
            line_start: 0,
            state: State::Start,
            tok: Vec::with_capacity(MAX_TOKEN),
            bars: 0,
        }
    }

    fn here(&self) -> Location {
        let abs = self.base + self.pos as u64;
        Location::at(self.line, abs - self.line_start + 1)
    }

    fn err(&self, file: &str, at: Location, reason: impl Into<String>) -> DataError {
        DataError::row(file, at, reason)
    }

    fn truncated(&self, file: &str) -> DataError {
        self.err(
            file,
            self.here(),
            "unexpected end of file inside the JSON array (truncated file?)",
        )
    }

    /// The next byte without consuming it; `None` at end of input.
    #[inline]
    fn peek(&mut self, file: &str) -> Result<Option<u8>, DataError> {
        if self.pos < self.len {
            return Ok(Some(self.buf[self.pos]));
        }
        self.refill(file)
    }

    #[cold]
    fn refill(&mut self, file: &str) -> Result<Option<u8>, DataError> {
        if self.eof {
            return Ok(None);
        }
        self.base += self.len as u64;
        self.pos = 0;
        self.len = 0;
        loop {
            match self.src.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(None);
                }
                Ok(n) => {
                    self.len = n;
                    return Ok(Some(self.buf[0]));
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(DataError::Read {
                        file: file.to_string(),
                        at: self.here(),
                        source,
                    })
                }
            }
        }
    }

    /// Skip whitespace (counting lines) and return the next byte, not consumed. A run longer
    /// than [`MAX_WHITESPACE_RUN`] is an error, so an endless one cannot keep us reading.
    #[inline]
    fn skip_ws(&mut self, file: &str) -> Result<Option<u8>, DataError> {
        let mut run = 0usize;
        loop {
            match self.peek(file)? {
                Some(b'\n') => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.base + self.pos as u64;
                }
                Some(b' ' | b'\t' | b'\r') => self.pos += 1,
                other => return Ok(other),
            }
            run += 1;
            if run > MAX_WHITESPACE_RUN {
                return Err(self.err(
                    file,
                    self.here(),
                    format!("more than {MAX_WHITESPACE_RUN} bytes of whitespace in a row"),
                ));
            }
        }
    }

    /// Read one field token into `self.tok`.
    fn token(&mut self, file: &str, index: u64) -> Result<Token, DataError> {
        self.tok.clear();
        let at = self.here();
        match self.peek(file)? {
            Some(b'"') => {
                self.pos += 1;
                // Fast path: the closing quote is in the buffer.
                let start = self.pos;
                let rest = &self.buf[start..self.len];
                if let Some(n) = rest
                    .iter()
                    .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                {
                    if rest[n] == b'"' && n <= MAX_TOKEN {
                        self.pos += n + 1;
                        return Ok(Token::InBuf(start, start + n));
                    }
                }
                loop {
                    match self.peek(file)? {
                        None => return Err(self.truncated(file)),
                        Some(b'"') => {
                            self.pos += 1;
                            break;
                        }
                        Some(c) if c == b'\\' || c < 0x20 => {
                            return Err(self.err(
                                file,
                                self.here(),
                                format!(
                                    "bar {index}: unexpected {} inside a number string",
                                    show(Some(c))
                                ),
                            ))
                        }
                        Some(c) => {
                            self.push(file, at, c)?;
                            self.pos += 1;
                        }
                    }
                }
                Ok(Token::Copied)
            }
            Some(c) if is_number_byte(c) => {
                // Fast path: the number ends inside the buffer.
                let start = self.pos;
                let rest = &self.buf[start..self.len];
                if let Some(n) = rest.iter().position(|&c| !is_number_byte(c)) {
                    if n <= MAX_TOKEN {
                        self.pos += n;
                        return Ok(Token::InBuf(start, start + n));
                    }
                }
                while let Some(c) = self.peek(file)? {
                    if !is_number_byte(c) {
                        break;
                    }
                    self.push(file, at, c)?;
                    self.pos += 1;
                }
                Ok(Token::Copied)
            }
            Some(b'n') => {
                for &want in b"null" {
                    if self.peek(file)? != Some(want) {
                        return Err(self.err(file, at, format!("bar {index}: expected a number")));
                    }
                    self.pos += 1;
                }
                Ok(Token::Null)
            }
            None => Err(self.truncated(file)),
            other => Err(self.err(
                file,
                at,
                format!("bar {index}: expected a number, found {}", show(other)),
            )),
        }
    }

    #[inline]
    fn push(&mut self, file: &str, at: Location, c: u8) -> Result<(), DataError> {
        if self.tok.len() >= MAX_TOKEN {
            return Err(self.err(file, at, format!("number {} is too long", quote(&self.tok))));
        }
        self.tok.push(c);
        Ok(())
    }

    /// After the outer `]`: only whitespace may follow.
    fn finish(&mut self, file: &str) -> Result<(), DataError> {
        self.state = State::Done;
        match self.skip_ws(file)? {
            None => Ok(()),
            Some(c) => Err(self.err(
                file,
                self.here(),
                format!(
                    "unexpected {} after the end of the JSON array",
                    show(Some(c))
                ),
            )),
        }
    }

    /// The next bar (with `close_time` = `open_time`; the reader sets the real close) and the
    /// location of its `[`.
    pub(crate) fn next_bar(&mut self, file: &str) -> Result<Option<(Bar, Location)>, DataError> {
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::Start => match self.skip_ws(file)? {
                    Some(b'[') => {
                        self.pos += 1;
                        self.state = State::First;
                    }
                    other => {
                        return Err(self.err(
                            file,
                            self.here(),
                            format!(
                                "expected '[' starting a freqtrade JSON array of \
                                 [open_time, open, high, low, close, volume] bars, found {}",
                                show(other)
                            ),
                        ))
                    }
                },
                State::First => match self.skip_ws(file)? {
                    Some(b']') => {
                        self.pos += 1;
                        self.finish(file)?;
                    }
                    None => return Err(self.truncated(file)),
                    Some(_) => return self.bar(file).map(Some),
                },
                State::Next => match self.skip_ws(file)? {
                    Some(b',') => {
                        self.pos += 1;
                        self.skip_ws(file)?;
                        return self.bar(file).map(Some);
                    }
                    Some(b']') => {
                        self.pos += 1;
                        self.finish(file)?;
                    }
                    None => return Err(self.truncated(file)),
                    other => {
                        return Err(self.err(
                            file,
                            self.here(),
                            format!("expected ',' or ']' after a bar, found {}", show(other)),
                        ))
                    }
                },
            }
        }
    }

    /// One `[t, o, h, l, c, v]` element; the cursor is at its `[`.
    fn bar(&mut self, file: &str) -> Result<(Bar, Location), DataError> {
        let at = self.here();
        self.bars += 1;
        let index = self.bars;
        match self.peek(file)? {
            Some(b'[') => self.pos += 1,
            None => return Err(self.truncated(file)),
            other => {
                return Err(self.err(
                    file,
                    at,
                    format!(
                        "bar {index}: expected '[' starting a bar array, found {}",
                        show(other)
                    ),
                ))
            }
        }
        let mut open_time = 0i64;
        let mut prices = [Price::ZERO; 4];
        let mut volume = None;
        let mut n = 0usize;
        loop {
            let c = self.skip_ws(file)?;
            if n == 0 && c == Some(b']') {
                return Err(self.err(file, at, format!("bar {index}: empty bar array")));
            }
            let field_at = self.here();
            let tok = self.token(file, index)?;
            let name = FIELD_NAMES.get(n).copied().unwrap_or("extra field");
            let bad = |reason: String| self.err(file, field_at, format!("bar {index}: {reason}"));
            let bytes: &[u8] = match tok {
                Token::InBuf(a, b) => &self.buf[a..b],
                Token::Copied | Token::Null => &self.tok,
            };
            match (n, tok) {
                (0..=4, Token::Null) => return Err(bad(format!("{name} is null"))),
                (0, _) => {
                    open_time = time_field(name, bytes, TimeUnit::Millis).map_err(bad)?;
                }
                (1..=4, _) => {
                    let v = decimal_field(name, bytes).map_err(bad)?;
                    prices[n - 1] = Price::new(v);
                }
                (5, Token::Null) => {}
                (5, _) => {
                    volume = Some(Qty::new(decimal_field(name, bytes).map_err(bad)?));
                }
                _ => {} // extra trailing fields (Binance kline layout)
            }
            n += 1;
            if n > MAX_FIELDS {
                return Err(self.err(
                    file,
                    at,
                    format!("bar {index} has more than {MAX_FIELDS} fields"),
                ));
            }
            match self.skip_ws(file)? {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                None => return Err(self.truncated(file)),
                other => {
                    return Err(self.err(
                        file,
                        self.here(),
                        format!(
                            "bar {index}: expected ',' or ']' inside a bar, found {}",
                            show(other)
                        ),
                    ))
                }
            }
        }
        if n < 5 {
            return Err(self.err(
                file,
                at,
                format!(
                    "bar {index} has {n} fields; expected [open_time, open, high, low, close, volume]"
                ),
            ));
        }
        self.state = State::Next;
        let t = Timestamp::from_millis(open_time);
        let [open, high, low, close] = prices;
        Ok((
            Bar {
                open_time: t,
                close_time: t,
                open,
                high,
                low,
                close,
                volume,
            },
            at,
        ))
    }
}
