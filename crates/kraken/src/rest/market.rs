//! Public market data: `AssetPairs`, `Ticker`, `SystemStatus`.

use std::collections::BTreeMap;

use flywheel_core::{Instrument, InstrumentError, Price, Qty, Quote, Ratio};
use serde::Deserialize;

use crate::wire::{de, WireDecimal};

/// `AssetPairs` result: pair key → pair.
pub type AssetPairs = BTreeMap<String, AssetPair>;

/// One fee tier: 30-day volume (USD) and the fee in percent.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FeeTier(
    #[serde(deserialize_with = "de::quote")] pub Quote,
    #[serde(deserialize_with = "de::ratio")] pub Ratio,
);

/// One `AssetPairs` entry (fields the connector uses).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AssetPair {
    pub altname: String,
    #[serde(default)]
    pub wsname: Option<String>,
    pub base: String,
    pub quote: String,
    /// Price decimals.
    pub pair_decimals: u32,
    /// Volume decimals.
    pub lot_decimals: u32,
    #[serde(default)]
    pub cost_decimals: Option<u32>,
    /// Minimum order volume in base.
    #[serde(default, deserialize_with = "de::opt_qty")]
    pub ordermin: Option<Qty>,
    /// Minimum order cost in quote.
    #[serde(default, deserialize_with = "de::opt_quote")]
    pub costmin: Option<Quote>,
    #[serde(default, deserialize_with = "de::opt_price")]
    pub tick_size: Option<Price>,
    /// `online | cancel_only | post_only | limit_only | reduce_only`.
    #[serde(default)]
    pub status: Option<String>,
    /// Taker fee tiers (often empty in recent captures: read `TradeVolume` instead).
    #[serde(default)]
    pub fees: Vec<FeeTier>,
    #[serde(default)]
    pub fees_maker: Vec<FeeTier>,
}

impl AssetPair {
    /// The instrument these rules describe, named by its WS v2 `symbol`, with the fees the
    /// caller read from `TradeVolume` (in percent).
    pub fn to_instrument(
        &self,
        symbol: &str,
        maker_fee_pct: Ratio,
        taker_fee_pct: Ratio,
    ) -> Result<Instrument, InstrumentError> {
        let bad = |field: &'static str, e: flywheel_core::FixedError| InstrumentError::Invalid {
            symbol: symbol.to_string(),
            field,
            reason: e.to_string(),
        };
        let tick = match self.tick_size {
            Some(t) => t,
            None => {
                Price::from_parts(1, self.pair_decimals).map_err(|e| bad("pair_decimals", e))?
            }
        };
        let inst = Instrument {
            symbol: symbol.to_string(),
            price_decimals: self.pair_decimals,
            tick,
            volume_decimals: self.lot_decimals,
            lot: Qty::from_parts(1, self.lot_decimals).map_err(|e| bad("lot_decimals", e))?,
            min_volume: self.ordermin.unwrap_or(Qty::ZERO),
            min_cost: self.costmin.unwrap_or(Quote::ZERO),
            maker_fee_pct,
            taker_fee_pct,
        };
        inst.validate()?;
        Ok(inst)
    }
}

/// `[price, whole lot volume, lot volume]` of the best ask or bid.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TickerTop(
    #[serde(deserialize_with = "de::price")] pub Price,
    pub WireDecimal,
    #[serde(deserialize_with = "de::qty")] pub Qty,
);

/// `[price, lot volume]` of the last trade.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TickerLast(
    #[serde(deserialize_with = "de::price")] pub Price,
    #[serde(deserialize_with = "de::qty")] pub Qty,
);

/// `[today, last 24 hours]` of a price.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TwoPrices(
    #[serde(deserialize_with = "de::price")] pub Price,
    #[serde(deserialize_with = "de::price")] pub Price,
);

/// `[today, last 24 hours]` of a volume.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TwoQtys(
    #[serde(deserialize_with = "de::qty")] pub Qty,
    #[serde(deserialize_with = "de::qty")] pub Qty,
);

/// One `Ticker` entry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TickerInfo {
    #[serde(rename = "a")]
    pub ask: TickerTop,
    #[serde(rename = "b")]
    pub bid: TickerTop,
    #[serde(rename = "c")]
    pub last: TickerLast,
    #[serde(rename = "v")]
    pub volume: TwoQtys,
    #[serde(rename = "p")]
    pub vwap: TwoPrices,
    /// Trade counts `[today, last 24 hours]` (kraken.md §4.2: the tick-rate measure).
    #[serde(rename = "t")]
    pub trades: (u64, u64),
    #[serde(rename = "l")]
    pub low: TwoPrices,
    #[serde(rename = "h")]
    pub high: TwoPrices,
    #[serde(rename = "o", deserialize_with = "de::price")]
    pub open: Price,
}

/// `Ticker` result: pair key → ticker.
pub type Ticker = BTreeMap<String, TickerInfo>;

/// `SystemStatus` result.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SystemStatus {
    /// `online | maintenance | cancel_only | post_only`.
    pub status: String,
    /// Server time (RFC 3339).
    #[serde(deserialize_with = "de::rfc3339")]
    pub timestamp: flywheel_core::Timestamp,
}
