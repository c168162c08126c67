//! The supported file formats and their names (for messages and `--format`-style options).

use std::fmt;
use std::str::FromStr;

/// A market data file format. [`crate::open`] detects it from the content; it can also be
/// forced with [`crate::open_as`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// freqtrade OHLCV storage: a JSON array of `[open_time_ms, open, high, low, close,
    /// volume]` arrays (five elements without volume; extra trailing elements, as in
    /// Binance's raw kline arrays, are ignored).
    FreqtradeJson,
    /// Tardis.dev `trades` CSV: `exchange,symbol,timestamp,local_timestamp,id,side,price,amount`
    /// with timestamps in microseconds (columns are found by name).
    TardisCsv,
    /// Kraken Time & Sales CSV `timestamp,price,volume` (seconds), with a `TS,PRICE,VOLUME`-style
    /// header or without a header. Also any trades CSV with `time|timestamp|ts|date`, `price`
    /// and `volume|amount|qty|size` columns (and an optional `side`).
    KrakenCsv,
    /// Generic OHLC CSV with a header `time|timestamp|ts|date|open time…, open|o, high|h,
    /// low|l, close|c[, volume|v]` (any case; spaces and dashes in names count as `_`); time as
    /// a unix time in s, ms, µs or ns (by magnitude) or ISO-8601 UTC (the bar's open).
    OhlcCsv,
    /// Binance kline archive (data.binance.vision): headerless, 12 columns `open_time, open,
    /// high, low, close, volume, close_time, quote_volume, trades, taker_buy_base,
    /// taker_buy_quote, ignore`; open time in milliseconds, or microseconds (spot, 2025 on).
    BinanceKlines,
    /// Kraken OHLCVT download: headerless, 7 columns `time, open, high, low, close, volume,
    /// trades`, time in seconds.
    KrakenOhlcvt,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::FreqtradeJson,
        Format::TardisCsv,
        Format::KrakenCsv,
        Format::OhlcCsv,
        Format::BinanceKlines,
        Format::KrakenOhlcvt,
    ];

    /// The short name used in messages and accepted by `FromStr`.
    pub const fn name(self) -> &'static str {
        match self {
            Format::FreqtradeJson => "freqtrade-json",
            Format::TardisCsv => "tardis-csv",
            Format::KrakenCsv => "kraken-csv",
            Format::OhlcCsv => "ohlc-csv",
            Format::BinanceKlines => "binance-klines",
            Format::KrakenOhlcvt => "kraken-ohlcvt",
        }
    }

    /// True for formats whose events are bars (the others produce trades).
    pub const fn has_bars(self) -> bool {
        matches!(
            self,
            Format::FreqtradeJson | Format::OhlcCsv | Format::BinanceKlines | Format::KrakenOhlcvt
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown format name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown data format {0:?}: expected one of freqtrade-json, tardis-csv, kraken-csv, \
     ohlc-csv, binance-klines, kraken-ohlcvt"
)]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let f = match t.as_str() {
            "freqtrade-json" | "freqtrade" | "json" => Format::FreqtradeJson,
            "tardis-csv" | "tardis" => Format::TardisCsv,
            "kraken-csv" | "kraken" => Format::KrakenCsv,
            "ohlc-csv" | "ohlc" => Format::OhlcCsv,
            "binance-klines" | "binance" | "klines" => Format::BinanceKlines,
            "kraken-ohlcvt" | "ohlcvt" => Format::KrakenOhlcvt,
            _ => return Err(UnknownFormat(s.to_string())),
        };
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f), "format {f}");
        }
    }

    #[test]
    fn parse_table() {
        let cases = [
            ("short alias", "json", Ok(Format::FreqtradeJson)),
            ("case and spaces", " Kraken ", Ok(Format::KrakenCsv)),
            ("unknown", "parquet", Err(UnknownFormat("parquet".into()))),
        ];
        for (name, input, want) in cases {
            assert_eq!(input.parse::<Format>(), want, "case {name}");
        }
    }
}
