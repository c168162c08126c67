//! Streaming readers for recorded market data.
//!
//! [`open`] takes a path, detects gzip by its magic bytes (not the extension) and the format
//! by the content, and returns a [`MarketDataReader`]: an iterator of
//! `Result<`[`MarketEvent`]`, `[`DataError`]`>` in file order, with constant memory in the
//! file length, and bounded on any input ([`limits`]: a line longer than [`MAX_LINE_BYTES`]
//! is an error naming its line, never a reallocation). Supported formats ([`Format`]):
//!
//! | format | content | events |
//! |---|---|---|
//! | `freqtrade-json` | `[[open_time_ms, open, high, low, close, volume], ...]` | bars |
//! | `tardis-csv` | `exchange,symbol,timestamp(µs),local_timestamp,id,side,price,amount` | trades with taker side |
//! | `kraken-csv` | `timestamp(s),price,volume`, with a `TS,PRICE,VOLUME` header or none | trades |
//! | `ohlc-csv` | header `time,open,high,low,close[,volume]` (any case, `Open Time` too); unix s / ms / µs / ns or ISO-8601 UTC | bars |
//! | `binance-klines` | headerless, 12 columns, open time in ms or µs | bars |
//! | `kraken-ohlcvt` | headerless `time(s),open,high,low,close,volume,trades` | bars |
//!
//! A numeric time's unit is decided by magnitude: below 10¹¹ seconds, below 10¹⁴
//! milliseconds, below 10¹⁷ microseconds, else nanoseconds (exact for every time from 1973
//! to 5138). ISO-8601 times must be UTC (`Z`, `+00:00` or no offset); another offset is an
//! error, never a silent conversion.
//!
//! Numbers are parsed from their text into exact decimals (never `f64`); more than nine
//! decimals (float noise in freqtrade volumes) are rounded once, half-even. Bars get
//! `close_time = open_time + interval`, the interval detected from the first bars
//! ([`MarketDataReader::bar_interval`]). Every error names the file and line (and, for JSON,
//! the column) and displays as one line, e.g. `data.csv:57: price "abc" is not a decimal number`.
//!
//! Valid but implausible prices (a single print at 1.23e8 in a $200 market) pass the readers;
//! [`sanity::SanityFilter`] skips or rejects them against the recent median.
//!
//! ```no_run
//! # fn main() -> Result<(), flywheel_marketdata::DataError> {
//! let reader = flywheel_marketdata::open(std::path::Path::new("trades.csv.gz"))?;
//! println!("{} ({})", reader.name(), reader.format());
//! for event in reader {
//!     let event = event?;
//!     // feed the engine
//!     # let _ = event;
//! }
//! # Ok(())
//! # }
//! ```
mod csvrec;
mod csvsrc;
pub mod error;
pub mod event;
pub mod format;
mod iso;
mod json;
pub mod limits;
mod number;
pub mod reader;
pub mod sanity;

pub use error::{DataError, Location};
pub use event::{Bar, MarketEvent, Trade};
pub use format::{Format, UnknownFormat};
pub use iso::format_utc;
pub use limits::MAX_LINE_BYTES;
pub use reader::{open, open_as, MarketDataReader, DEFAULT_BAR_INTERVAL_MS, INTERVAL_PROBE_BARS};
