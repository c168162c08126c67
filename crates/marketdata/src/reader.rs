//! [`MarketDataReader`]: open a file (gzip or plain, detected by magic bytes), detect its
//! format from the content, and stream validated [`MarketEvent`]s in file order.

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{BufReader, Cursor, ErrorKind, Read};
use std::iter::FusedIterator;
use std::path::Path;

use flate2::bufread::MultiGzDecoder;
use flywheel_core::{Fixed, Price};

use crate::csvsrc::CsvSource;
use crate::error::{DataError, Location};
use crate::event::{Bar, MarketEvent, Trade};
use crate::format::Format;
use crate::iso::format_utc;
use crate::json::JsonBars;
use crate::limits::MAX_WHITESPACE_RUN;

/// Bars buffered at open to detect the bar interval.
pub const INTERVAL_PROBE_BARS: usize = 16;
/// Bar interval assumed when a file has a single bar (or none): one minute.
pub const DEFAULT_BAR_INTERVAL_MS: i64 = 60_000;
/// Latest accepted time: 9999-12-31T23:59:59.999Z. Times before 1970 are rejected too.
const MAX_TIME_MS: i64 = 253_402_300_799_999;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const BUF_SIZE: usize = 64 * 1024;

type DynRead = Box<dyn Read + Send>;

enum Source {
    Json(JsonBars),
    Csv(Box<CsvSource>),
}

impl Source {
    #[inline]
    fn next(&mut self, file: &str) -> Result<Option<(MarketEvent, Location)>, DataError> {
        match self {
            Source::Json(j) => Ok(j.next_bar(file)?.map(|(b, at)| (MarketEvent::Bar(b), at))),
            Source::Csv(c) => c.next_event(file),
        }
    }
}

/// A streaming reader of one market data file: an iterator of validated events in file order.
///
/// Memory is constant in the file length (a 64 KiB buffer per layer, a CSV record of at most
/// [`crate::limits::MAX_LINE_BYTES`] and, for bar files, the first [`INTERVAL_PROBE_BARS`]
/// bars) and bounded whatever the input ([`crate::limits`]). The iterator is fused: after the
/// first error it ends.
///
/// Checks on every record: prices > 0; trade sizes > 0; bar volume ≥ 0; `high ≥ max(open,
/// close)`, `low ≤ min(open, close)`; trade times non-decreasing (equal times keep file
/// order); bar open times strictly increasing (gaps are fine); times within 1970..=9999.
pub struct MarketDataReader {
    file: String,
    format: Format,
    source: Source,
    interval: Option<i64>,
    ahead: VecDeque<(Bar, Location)>,
    ahead_err: Option<DataError>,
    /// Time of the previous record (trade time or bar open time).
    last: Option<i64>,
    done: bool,
}

impl fmt::Debug for MarketDataReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MarketDataReader")
            .field("file", &self.file)
            .field("format", &self.format)
            .field("bar_interval", &self.interval)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// Open a market data file, detecting compression and format from its content.
pub fn open(path: &Path) -> Result<MarketDataReader, DataError> {
    MarketDataReader::open(path)
}

/// Open a market data file as the given format (compression is still detected).
pub fn open_as(path: &Path, format: Format) -> Result<MarketDataReader, DataError> {
    MarketDataReader::open_as(path, format)
}

impl MarketDataReader {
    /// See [`open`].
    pub fn open(path: &Path) -> Result<Self, DataError> {
        Self::open_with(path, None)
    }

    /// See [`open_as`].
    pub fn open_as(path: &Path, format: Format) -> Result<Self, DataError> {
        Self::open_with(path, Some(format))
    }

    /// Open `path`; `format: None` detects it.
    pub fn open_with(path: &Path, format: Option<Format>) -> Result<Self, DataError> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|source| DataError::Open {
            file: name.clone(),
            source,
        })?;
        Self::build(Box::new(file), name, format)
    }

    /// Read from any byte stream (plain or gzip); `name` is used in messages in place of a
    /// file name.
    pub fn from_reader<R: Read + Send + 'static>(
        reader: R,
        name: impl Into<String>,
    ) -> Result<Self, DataError> {
        Self::build(Box::new(reader), name.into(), None)
    }

    /// Like [`MarketDataReader::from_reader`], with the format forced (`Some`) or detected.
    pub fn from_reader_as<R: Read + Send + 'static>(
        reader: R,
        name: impl Into<String>,
        format: Option<Format>,
    ) -> Result<Self, DataError> {
        Self::build(Box::new(reader), name.into(), format)
    }

    /// The file's format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The display name used in messages (the path as given, or the name passed in).
    pub fn name(&self) -> &str {
        &self.file
    }

    /// The bar interval in milliseconds (`close_time − open_time` of every bar): the smallest
    /// positive open-time step among the first [`INTERVAL_PROBE_BARS`] bars, or
    /// [`DEFAULT_BAR_INTERVAL_MS`] with fewer than two bars. `None` for trade files.
    pub fn bar_interval(&self) -> Option<i64> {
        self.interval
    }

    fn build(raw: DynRead, file: String, forced: Option<Format>) -> Result<Self, DataError> {
        let src = decompress(raw, &file)?;
        let (src, first) = sniff(src, &file)?;
        let Some(first) = first else {
            return Err(DataError::format(&file, "the file is empty"));
        };
        let (source, format) = match forced {
            Some(Format::FreqtradeJson) => {
                (Source::Json(JsonBars::new(src)), Format::FreqtradeJson)
            }
            None if first == b'[' => (Source::Json(JsonBars::new(src)), Format::FreqtradeJson),
            forced => {
                let (csv, format) = CsvSource::new(src, &file, forced)?;
                (Source::Csv(Box::new(csv)), format)
            }
        };
        let mut reader = MarketDataReader {
            file,
            format,
            source,
            interval: None,
            ahead: VecDeque::new(),
            ahead_err: None,
            last: None,
            done: false,
        };
        if format.has_bars() {
            reader.probe_interval();
        }
        Ok(reader)
    }

    /// Buffer the first bars and derive the interval from them. An error met here is kept
    /// and returned by the iterator after the bars before it.
    fn probe_interval(&mut self) {
        let mut smallest: Option<i64> = None;
        let mut prev: Option<i64> = None;
        while self.ahead.len() < INTERVAL_PROBE_BARS {
            match self.pull() {
                Ok(Some((MarketEvent::Bar(b), at))) => {
                    let t = b.open_time.millis();
                    if let Some(p) = prev {
                        let d = t - p;
                        if d > 0 && smallest.is_none_or(|s| d < s) {
                            smallest = Some(d);
                        }
                    }
                    prev = Some(t);
                    self.ahead.push_back((b, at));
                }
                Ok(Some((MarketEvent::Trade(_), _))) | Ok(None) => break,
                Err(e) => {
                    self.ahead_err = Some(e);
                    break;
                }
            }
        }
        self.interval = Some(smallest.unwrap_or(DEFAULT_BAR_INTERVAL_MS));
    }

    /// The next record from the source, validated, and where it is.
    #[inline]
    fn pull(&mut self) -> Result<Option<(MarketEvent, Location)>, DataError> {
        let Some((event, at)) = self.source.next(&self.file)? else {
            return Ok(None);
        };
        let checked = match &event {
            MarketEvent::Trade(t) => check_trade(t, self.last),
            MarketEvent::Bar(b) => check_bar(b, self.last),
        };
        match checked {
            Ok(t) => {
                self.last = Some(t);
                Ok(Some((event, at)))
            }
            Err(why) => Err(DataError::row(&self.file, at, why)),
        }
    }

    #[inline]
    fn finish(&self, event: MarketEvent) -> MarketEvent {
        match event {
            MarketEvent::Bar(mut b) => {
                let step = self.interval.unwrap_or(DEFAULT_BAR_INTERVAL_MS);
                b.close_time = flywheel_core::Timestamp::from_millis(b.open_time.millis() + step);
                MarketEvent::Bar(b)
            }
            t => t,
        }
    }
}

impl MarketDataReader {
    /// Like [`Iterator::next`], with where the event is in the file: its line (and for JSON,
    /// the column of its `[`), for messages about an event that is valid data but suspect
    /// (see [`crate::sanity`]).
    #[inline]
    pub fn next_located(&mut self) -> Option<Result<(MarketEvent, Location), DataError>> {
        if let Some((b, at)) = self.ahead.pop_front() {
            return Some(Ok((self.finish(MarketEvent::Bar(b)), at)));
        }
        if let Some(e) = self.ahead_err.take() {
            self.done = true;
            return Some(Err(e));
        }
        if self.done {
            return None;
        }
        match self.pull() {
            Ok(Some((event, at))) => Some(Ok((self.finish(event), at))),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl Iterator for MarketDataReader {
    type Item = Result<MarketEvent, DataError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.next_located().map(|r| r.map(|(event, _)| event))
    }
}

impl FusedIterator for MarketDataReader {}

fn show_time(ms: i64) -> String {
    format!("{} ({ms} ms)", format_utc(ms))
}

fn check_time(t: i64) -> Result<(), String> {
    if !(0..=MAX_TIME_MS).contains(&t) {
        return Err(format!(
            "time {t} ms is outside 1970-01-01..9999-12-31 (wrong unit?)"
        ));
    }
    Ok(())
}

fn positive(name: &str, v: Fixed) -> Result<(), String> {
    if v.is_positive() {
        Ok(())
    } else {
        Err(format!("{name} {v} is not positive"))
    }
}

/// Validate a trade; returns its time.
fn check_trade(t: &Trade, last: Option<i64>) -> Result<i64, String> {
    let ts = t.ts.millis();
    check_time(ts)?;
    positive("price", t.price.fixed())?;
    positive("size", t.qty.fixed())?;
    if let Some(prev) = last {
        if ts < prev {
            return Err(format!(
                "time {} is before the previous row's {} (time goes backwards)",
                show_time(ts),
                show_time(prev)
            ));
        }
    }
    Ok(ts)
}

/// Validate a bar; returns its open time.
fn check_bar(b: &Bar, last: Option<i64>) -> Result<i64, String> {
    let t = b.open_time.millis();
    check_time(t)?;
    for (name, p) in [
        ("open", b.open),
        ("high", b.high),
        ("low", b.low),
        ("close", b.close),
    ] {
        positive(name, p.fixed())?;
    }
    if let Some(v) = b.volume {
        if v.is_negative() {
            return Err(format!("volume {v} is negative"));
        }
    }
    let top: Price = b.open.max(b.close);
    if b.high < top {
        return Err(format!(
            "high {} is below max(open {}, close {})",
            b.high, b.open, b.close
        ));
    }
    let bottom: Price = b.open.min(b.close);
    if b.low > bottom {
        return Err(format!(
            "low {} is above min(open {}, close {})",
            b.low, b.open, b.close
        ));
    }
    if let Some(prev) = last {
        if t <= prev {
            let what = if t == prev { "repeats" } else { "is before" };
            return Err(format!(
                "bar open time {} {what} the previous bar's {} (bars must be in strictly \
                 increasing time order)",
                show_time(t),
                show_time(prev)
            ));
        }
    }
    Ok(t)
}

fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Wrap the raw stream in a gzip decoder when it starts with the gzip magic bytes.
fn decompress(mut raw: DynRead, file: &str) -> Result<DynRead, DataError> {
    let mut magic = [0u8; 2];
    let n = read_full(&mut raw, &mut magic).map_err(|source| DataError::Open {
        file: file.to_string(),
        source,
    })?;
    let chained = Cursor::new(magic).take(n as u64).chain(raw);
    if n == 2 && magic == GZIP_MAGIC {
        // Multi-member: `cat a.gz b.gz` is a valid gzip file of both.
        Ok(Box::new(MultiGzDecoder::new(BufReader::with_capacity(
            BUF_SIZE, chained,
        ))))
    } else {
        Ok(Box::new(chained))
    }
}

/// Read until the first non-whitespace byte (after an optional UTF-8 BOM, which is dropped)
/// and return a stream that replays everything read, plus that byte (`None`: empty input).
fn sniff(mut src: DynRead, file: &str) -> Result<(DynRead, Option<u8>), DataError> {
    let mut prefix: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut bom_checked = false;
    let first = loop {
        let n = match src.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(source) => {
                let line = 1 + prefix.iter().filter(|&&b| b == b'\n').count() as u64;
                return Err(DataError::Read {
                    file: file.to_string(),
                    at: Location::line(line),
                    source,
                });
            }
        };
        prefix.extend_from_slice(&chunk[..n]);
        if !bom_checked && (prefix.len() >= 3 || n == 0) {
            bom_checked = true;
            if prefix.starts_with(b"\xEF\xBB\xBF") {
                prefix.drain(..3);
            }
        }
        if bom_checked {
            if let Some(&b) = prefix.iter().find(|b| !b.is_ascii_whitespace()) {
                break Some(b);
            }
        }
        if n == 0 {
            break None;
        }
        if prefix.len() > MAX_WHITESPACE_RUN {
            return Err(DataError::format(
                file,
                "no data in the first 1 MiB (only whitespace)",
            ));
        }
    };
    Ok((Box::new(Cursor::new(prefix).chain(src)), first))
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "reader_limit_tests.rs"]
mod limit_tests;
