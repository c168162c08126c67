//! Public WS v2 channels: `instrument`, `book`, `trade`, `ticker`, and the system messages
//! `heartbeat` and `status`.

use flywheel_core::{Instrument, InstrumentError, Price, Qty, Quote, Ratio, Side, Timestamp};
use serde::Deserialize;

use crate::wire::{de, WireDecimal};

/// `snapshot` or `update`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedType {
    Snapshot,
    Update,
}

/// One price level with its wire text (the checksum is computed on it).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BookLevel {
    pub price: WireDecimal,
    pub qty: WireDecimal,
}

/// One symbol's part of a `book` message.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BookData {
    pub symbol: String,
    #[serde(default)]
    pub bids: Vec<BookLevel>,
    #[serde(default)]
    pub asks: Vec<BookLevel>,
    /// CRC32 of the top 10 levels after applying this message.
    pub checksum: u32,
    #[serde(default, deserialize_with = "de::opt_rfc3339")]
    pub timestamp: Option<Timestamp>,
}

/// `{"channel":"book","type":…,"data":[…]}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BookMsg {
    #[serde(rename = "type")]
    pub kind: FeedType,
    pub data: Vec<BookData>,
}

/// One public trade.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TradeData {
    pub symbol: String,
    pub side: Side,
    #[serde(deserialize_with = "de::price")]
    pub price: Price,
    #[serde(deserialize_with = "de::qty")]
    pub qty: Qty,
    /// `limit` or `market` (the aggressor's order type).
    pub ord_type: String,
    pub trade_id: u64,
    #[serde(deserialize_with = "de::rfc3339")]
    pub timestamp: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TradeMsg {
    #[serde(rename = "type")]
    pub kind: FeedType,
    pub data: Vec<TradeData>,
}

/// Level-1 ticker.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TickerData {
    pub symbol: String,
    #[serde(deserialize_with = "de::price")]
    pub bid: Price,
    #[serde(deserialize_with = "de::qty")]
    pub bid_qty: Qty,
    #[serde(deserialize_with = "de::price")]
    pub ask: Price,
    #[serde(deserialize_with = "de::qty")]
    pub ask_qty: Qty,
    #[serde(deserialize_with = "de::price")]
    pub last: Price,
    #[serde(deserialize_with = "de::qty")]
    pub volume: Qty,
    #[serde(deserialize_with = "de::price")]
    pub vwap: Price,
    #[serde(deserialize_with = "de::price")]
    pub low: Price,
    #[serde(deserialize_with = "de::price")]
    pub high: Price,
    /// Absolute 24 h change (a price difference, may be negative).
    #[serde(deserialize_with = "de::price")]
    pub change: Price,
    #[serde(deserialize_with = "de::ratio")]
    pub change_pct: Ratio,
    #[serde(default, deserialize_with = "de::opt_rfc3339")]
    pub timestamp: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TickerMsg {
    #[serde(rename = "type")]
    pub kind: FeedType,
    pub data: Vec<TickerData>,
}

/// One pair of the `instrument` channel: the live source of tick, lot and minimums.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct InstrumentPair {
    pub symbol: String,
    pub base: String,
    pub quote: String,
    pub status: String,
    pub qty_precision: u32,
    #[serde(deserialize_with = "de::qty")]
    pub qty_increment: Qty,
    pub price_precision: u32,
    #[serde(deserialize_with = "de::price")]
    pub price_increment: Price,
    #[serde(default)]
    pub cost_precision: Option<u32>,
    #[serde(default, deserialize_with = "de::opt_quote")]
    pub cost_min: Option<Quote>,
    #[serde(deserialize_with = "de::qty")]
    pub qty_min: Qty,
    #[serde(default)]
    pub marginable: Option<bool>,
}

impl InstrumentPair {
    /// The engine's instrument, with the fees read from `TradeVolume` (percent).
    pub fn to_instrument(
        &self,
        maker_fee_pct: Ratio,
        taker_fee_pct: Ratio,
    ) -> Result<Instrument, InstrumentError> {
        let inst = Instrument {
            symbol: self.symbol.clone(),
            price_decimals: self.price_precision,
            tick: self.price_increment,
            volume_decimals: self.qty_precision,
            lot: self.qty_increment,
            min_volume: self.qty_min,
            min_cost: self.cost_min.unwrap_or(Quote::ZERO),
            maker_fee_pct,
            taker_fee_pct,
        };
        inst.validate()?;
        Ok(inst)
    }
}

/// One asset of the `instrument` channel.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct InstrumentAsset {
    pub id: String,
    pub status: String,
    pub precision: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct InstrumentData {
    #[serde(default)]
    pub assets: Vec<InstrumentAsset>,
    #[serde(default)]
    pub pairs: Vec<InstrumentPair>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct InstrumentMsg {
    #[serde(rename = "type")]
    pub kind: FeedType,
    pub data: InstrumentData,
}

/// The exchange's state (`status` channel).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct StatusData {
    /// `online | cancel_only | maintenance | post_only`.
    pub system: String,
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub connection_id: Option<u64>,
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct StatusMsg {
    pub data: Vec<StatusData>,
}
