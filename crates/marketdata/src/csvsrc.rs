//! CSV sources: Tardis trades, Kraken Time & Sales (and generic trades), generic OHLC,
//! Binance kline archives and Kraken OHLCVT downloads.
//!
//! One [`CsvRecords`] over the (decompressed) stream, whose buffers are allocated once: no
//! allocation per row, and memory bounded by [`crate::limits`] whatever the input (an endless
//! line is an error naming its line). Fields are parsed straight from bytes. The first record
//! decides the layout: header names (any case; surrounding spaces ignored; spaces and dashes
//! inside a name count as `_`, so `Open Time` is `open_time`), found by name so their order
//! does not matter; or, for a headerless file, the number of fields: 3 = Kraken Time & Sales,
//! 7 = Kraken OHLCVT, 12 = Binance klines.

use std::io::Read;

use flywheel_core::{Price, Qty, Side, Timestamp};

use crate::csvrec::{CsvRecords, Record, RecordError};
use crate::error::{quote, DataError, Location};
use crate::event::{Bar, MarketEvent, Trade};
use crate::format::Format;
use crate::iso::parse_iso8601;
use crate::number::{decimal_field, looks_numeric, time_field, TimeUnit};

const TIME_NAMES: &[&str] = &[
    "time",
    "timestamp",
    "ts",
    "date",
    "datetime",
    "date_time",
    "open_time",
    "opentime",
    "time_utc",
    "timestamp_utc",
    "unix",
];
const OPEN_NAMES: &[&str] = &["open", "o"];
const HIGH_NAMES: &[&str] = &["high", "h"];
const LOW_NAMES: &[&str] = &["low", "l"];
const CLOSE_NAMES: &[&str] = &["close", "c"];
const VOLUME_NAMES: &[&str] = &["volume", "v", "vol"];
const QTY_NAMES: &[&str] = &["volume", "amount", "qty", "quantity", "size", "vol"];

/// Column layout of a CSV file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// Tardis trades: timestamp in microseconds.
    Tardis {
        ts: usize,
        side: usize,
        price: usize,
        amount: usize,
    },
    /// Kraken Time & Sales or a generic trades CSV: unix time in seconds (or ms by magnitude).
    Trades {
        ts: usize,
        price: usize,
        qty: usize,
        side: Option<usize>,
    },
    /// OHLC bars: time of the bar's open.
    Ohlc {
        ts: usize,
        open: usize,
        high: usize,
        low: usize,
        close: usize,
        volume: Option<usize>,
    },
}

pub(crate) struct CsvSource {
    rdr: CsvRecords,
    layout: Layout,
    /// Field count every row must have (from the header or the first row).
    fields: usize,
    has_header: bool,
    /// The first record is data (headerless file) and has not been returned yet.
    first_is_pending: bool,
    line: u64,
}

const EXPECTED: &str = "expected a Tardis trades header \
    (exchange,symbol,timestamp,local_timestamp,id,side,price,amount), \
    a Kraken Time & Sales file (TS,PRICE,VOLUME, or headerless timestamp,price,volume), \
    an OHLC header (time,open,high,low,close[,volume]), a headerless Binance kline archive \
    (12 columns), a headerless Kraken OHLCVT file (7 columns) or a freqtrade JSON array";

/// A header name as compared: trimmed, lower case, inner spaces and dashes as `_`.
fn normalize(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw.trim_ascii())
        .trim()
        .to_ascii_lowercase()
        .split([' ', '-'])
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// The OHLC layout by position: time, open, high, low, close, volume in the first six fields
/// (Binance klines and Kraken OHLCVT both start so).
const POSITIONAL_OHLC: Layout = Layout::Ohlc {
    ts: 0,
    open: 1,
    high: 2,
    low: 3,
    close: 4,
    volume: Some(5),
};

/// The message for a header that has some, not all, of a layout's required columns.
fn missing_columns(kind: &str, names: &[String], wanted: &[(&str, &[&str])]) -> String {
    let missing: Vec<String> = wanted
        .iter()
        .filter(|(_, aliases)| !names.iter().any(|n| aliases.contains(&n.as_str())))
        .map(|(what, aliases)| {
            if aliases.len() > 1 {
                format!("{what} (one of {})", aliases.join(", "))
            } else {
                (*what).to_string()
            }
        })
        .collect();
    let want: Vec<&str> = wanted.iter().map(|(w, _)| *w).collect();
    format!(
        "{kind} header without {}: found columns {}; an {kind} file needs {}",
        missing.join(", "),
        names.join(", "),
        want.join(", ")
    )
}

fn classify(rec: Record<'_>, forced: Option<Format>) -> Result<(Layout, Format, bool), String> {
    let names: Vec<String> = rec.iter().map(normalize).collect();
    let find = |aliases: &[&str]| names.iter().position(|n| aliases.contains(&n.as_str()));
    let numeric = rec.iter().all(looks_numeric);
    let header_line = || {
        let mut s = String::new();
        for (i, f) in rec.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(&String::from_utf8_lossy(f));
        }
        quote(s.as_bytes())
    };

    let ohlc = || {
        Some(Layout::Ohlc {
            ts: find(TIME_NAMES)?,
            open: find(OPEN_NAMES)?,
            high: find(HIGH_NAMES)?,
            low: find(LOW_NAMES)?,
            close: find(CLOSE_NAMES)?,
            volume: find(VOLUME_NAMES),
        })
    };
    let tardis = || {
        Some(Layout::Tardis {
            ts: find(&["timestamp"])?,
            side: find(&["side"])?,
            price: find(&["price"])?,
            amount: find(&["amount"])?,
        })
    };
    let trades = || {
        Some(Layout::Trades {
            ts: find(TIME_NAMES)?,
            price: find(&["price"])?,
            qty: find(QTY_NAMES)?,
            side: find(&["side"]),
        })
    };
    let positional = Layout::Trades {
        ts: 0,
        price: 1,
        qty: 2,
        side: None,
    };
    let ohlc_wanted: [(&str, &[&str]); 5] = [
        ("time", TIME_NAMES),
        ("open", OPEN_NAMES),
        ("high", HIGH_NAMES),
        ("low", LOW_NAMES),
        ("close", CLOSE_NAMES),
    ];
    let ohlc_missing = || missing_columns("OHLC", &names, &ohlc_wanted);
    let headerless = |fields: usize, format: Format| {
        if names.len() == fields {
            Ok((POSITIONAL_OHLC, format, false))
        } else {
            Err(format!(
                "format {format} is a headerless CSV of {fields} fields; the first line has {}: {}",
                names.len(),
                header_line()
            ))
        }
    };
    match forced {
        None => {
            if numeric {
                return match names.len() {
                    3 => Ok((positional, Format::KrakenCsv, false)),
                    7 => Ok((POSITIONAL_OHLC, Format::KrakenOhlcvt, false)),
                    12 => Ok((POSITIONAL_OHLC, Format::BinanceKlines, false)),
                    n => Err(format!(
                        "headerless CSV with {n} fields: without a header only Kraken Time & \
                         Sales (3 fields: timestamp,price,volume), Kraken OHLCVT (7: time,open,\
                         high,low,close,volume,trades) and Binance klines (12: open_time,open,\
                         high,low,close,volume,close_time,…) are recognized; {EXPECTED}"
                    )),
                };
            }
            if let Some(l) = ohlc() {
                return Ok((l, Format::OhlcCsv, true));
            }
            if find(&["local_timestamp"]).is_some() {
                if let Some(l) = tardis() {
                    return Ok((l, Format::TardisCsv, true));
                }
            }
            if let Some(l) = trades() {
                return Ok((l, Format::KrakenCsv, true));
            }
            // Two or more of open/high/low/close: an OHLC file missing a column, said so.
            let ohlc_named = [OPEN_NAMES, HIGH_NAMES, LOW_NAMES, CLOSE_NAMES]
                .iter()
                .filter(|aliases| find(aliases).is_some())
                .count();
            if ohlc_named >= 2 {
                return Err(ohlc_missing());
            }
            if find(&["price"]).is_some() {
                return Err(missing_columns(
                    "trades",
                    &names,
                    &[
                        ("time", TIME_NAMES),
                        ("price", &["price"]),
                        ("volume", QTY_NAMES),
                    ],
                ));
            }
            Err(format!(
                "unrecognized CSV header {}: {EXPECTED}",
                header_line()
            ))
        }
        Some(Format::OhlcCsv) => ohlc()
            .map(|l| (l, Format::OhlcCsv, true))
            .ok_or_else(|| format!("format ohlc-csv needs a header: {}", ohlc_missing())),
        Some(format @ Format::BinanceKlines) if numeric => headerless(12, format),
        Some(format @ Format::KrakenOhlcvt) if numeric => headerless(7, format),
        // A Binance archive with its header line (some 2025 files have one).
        Some(format @ (Format::BinanceKlines | Format::KrakenOhlcvt)) => {
            ohlc().map(|l| (l, format, true)).ok_or_else(|| {
                format!(
                    "format {format} needs a headerless CSV of numbers or an OHLC header; {}",
                    ohlc_missing()
                )
            })
        }
        Some(Format::TardisCsv) => {
            tardis()
                .map(|l| (l, Format::TardisCsv, true))
                .ok_or_else(|| {
                    format!(
                        "format tardis-csv needs a header with timestamp, side, price and amount \
                     columns; the first line is {}",
                        header_line()
                    )
                })
        }
        Some(Format::KrakenCsv) => {
            if numeric {
                if names.len() >= 3 {
                    return Ok((positional, Format::KrakenCsv, false));
                }
            } else if let Some(l) = trades() {
                return Ok((l, Format::KrakenCsv, true));
            } else if names.len() >= 3 {
                return Ok((positional, Format::KrakenCsv, true));
            }
            Err(format!(
                "format kraken-csv needs timestamp,price,volume rows; the first line is {}",
                header_line()
            ))
        }
        Some(Format::FreqtradeJson) => Err("not a CSV format".into()),
    }
}

fn field<'a>(rec: Record<'a>, i: usize) -> &'a [u8] {
    rec.get(i).unwrap_or_default()
}

fn side_field(raw: &[u8]) -> Result<Option<Side>, String> {
    let t = raw.trim_ascii();
    if t.eq_ignore_ascii_case(b"buy") || t.eq_ignore_ascii_case(b"b") {
        Ok(Some(Side::Buy))
    } else if t.eq_ignore_ascii_case(b"sell") || t.eq_ignore_ascii_case(b"s") {
        Ok(Some(Side::Sell))
    } else if t.is_empty() || t.eq_ignore_ascii_case(b"unknown") {
        Ok(None)
    } else {
        Err(format!("side {} is not buy or sell", quote(t)))
    }
}

/// Bar time: a unix time (seconds or ms by magnitude) or an ISO-8601 date-time.
fn bar_time(name: &str, raw: &[u8]) -> Result<i64, String> {
    let t = raw.trim_ascii();
    if !t.is_empty() && t.iter().all(|&b| b.is_ascii_digit() || b == b'.') {
        time_field(name, t, TimeUnit::Auto)
    } else {
        parse_iso8601(t).map_err(|why| {
            if why.contains("is not UTC") {
                // A well-formed time in another zone: say that, not "not a date-time".
                format!("{name} {}: {why}", quote(t))
            } else {
                format!(
                    "{name} {} is neither a unix time nor an ISO-8601 date-time ({why})",
                    quote(t)
                )
            }
        })
    }
}

impl CsvSource {
    /// Read the first record and decide the layout. `forced` must not be `FreqtradeJson`.
    pub(crate) fn new(
        src: Box<dyn Read + Send>,
        file: &str,
        forced: Option<Format>,
    ) -> Result<(CsvSource, Format), DataError> {
        let mut s = CsvSource {
            rdr: CsvRecords::new(src),
            layout: Layout::Trades {
                ts: 0,
                price: 1,
                qty: 2,
                side: None,
            },
            fields: 0,
            has_header: false,
            first_is_pending: false,
            line: 0,
        };
        if !s.read(file)? {
            return Err(DataError::format(file, "the file has no data rows"));
        }
        let (layout, format, has_header) = classify(s.rdr.record(), forced)
            .map_err(|why| DataError::row(file, Location::line(s.line), why))?;
        s.layout = layout;
        s.fields = s.rdr.record().len();
        s.has_header = has_header;
        s.first_is_pending = !has_header;
        Ok((s, format))
    }

    /// Read the next record (see [`CsvRecords::record`]); false at the end.
    fn read(&mut self, file: &str) -> Result<bool, DataError> {
        match self.rdr.read() {
            Ok(more) => {
                if more {
                    self.line = self.rdr.line();
                }
                Ok(more)
            }
            Err(RecordError::Io(source)) => Err(DataError::Read {
                file: file.to_string(),
                at: Location::line(self.rdr.current_line()),
                source,
            }),
            Err(e) => Err(DataError::row(
                file,
                Location::line(self.rdr.line()),
                e.reason(),
            )),
        }
    }

    /// The next event and its line.
    pub(crate) fn next_event(
        &mut self,
        file: &str,
    ) -> Result<Option<(MarketEvent, Location)>, DataError> {
        if self.first_is_pending {
            self.first_is_pending = false;
        } else if !self.read(file)? {
            return Ok(None);
        }
        let at = Location::line(self.line);
        let rec = self.rdr.record();
        if rec.len() != self.fields {
            let origin = if self.has_header {
                "as in the header"
            } else {
                "as in the first line"
            };
            return Err(DataError::row(
                file,
                at,
                format!(
                    "expected {} fields ({origin}), found {}",
                    self.fields,
                    rec.len()
                ),
            ));
        }
        let event = parse_row(self.layout, rec);
        event
            .map(|e| Some((e, at)))
            .map_err(|why: String| DataError::row(file, at, why))
    }
}

fn parse_row(layout: Layout, rec: Record<'_>) -> Result<MarketEvent, String> {
    let event = match layout {
        Layout::Tardis {
            ts,
            side,
            price,
            amount,
        } => MarketEvent::Trade(Trade {
            ts: Timestamp::from_millis(time_field("timestamp", field(rec, ts), TimeUnit::Micros)?),
            price: Price::new(decimal_field("price", field(rec, price))?),
            qty: Qty::new(decimal_field("amount", field(rec, amount))?),
            taker_side: side_field(field(rec, side))?,
        }),
        Layout::Trades {
            ts,
            price,
            qty,
            side,
        } => MarketEvent::Trade(Trade {
            ts: Timestamp::from_millis(time_field("timestamp", field(rec, ts), TimeUnit::Auto)?),
            price: Price::new(decimal_field("price", field(rec, price))?),
            qty: Qty::new(decimal_field("volume", field(rec, qty))?),
            taker_side: match side {
                Some(i) => side_field(field(rec, i))?,
                None => None,
            },
        }),
        Layout::Ohlc {
            ts,
            open,
            high,
            low,
            close,
            volume,
        } => {
            let t = Timestamp::from_millis(bar_time("time", field(rec, ts))?);
            MarketEvent::Bar(Bar {
                open_time: t,
                close_time: t,
                open: Price::new(decimal_field("open", field(rec, open))?),
                high: Price::new(decimal_field("high", field(rec, high))?),
                low: Price::new(decimal_field("low", field(rec, low))?),
                close: Price::new(decimal_field("close", field(rec, close))?),
                volume: match volume {
                    Some(i) => Some(Qty::new(decimal_field("volume", field(rec, i))?)),
                    None => None,
                },
            })
        }
    };
    Ok(event)
}
