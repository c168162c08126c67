//! Account and trading replies: `BalanceEx`, `AddOrder`, `CancelOrder`,
//! `CancelAllOrdersAfter`, `GetWebSocketsToken`, `TradeVolume`.

use std::collections::BTreeMap;

use flywheel_core::{Fixed, FixedError, Ratio, Timestamp};
use serde::{Deserialize, Deserializer};

use crate::secret::Redacted;
use crate::wire::{de, LedgerAmount};

/// One asset in `BalanceEx`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AssetBalance {
    pub balance: LedgerAmount,
    /// Funds held by open orders.
    #[serde(default)]
    pub hold_trade: Option<LedgerAmount>,
    #[serde(default)]
    pub credit: Option<LedgerAmount>,
    #[serde(default)]
    pub credit_used: Option<LedgerAmount>,
}

fn or_zero(a: &Option<LedgerAmount>) -> Result<Fixed, FixedError> {
    a.as_ref().map_or(Ok(Fixed::ZERO), |a| a.value())
}

impl AssetBalance {
    /// `balance + credit − credit_used − hold_trade` (kraken.md §3.5).
    pub fn available(&self) -> Result<Fixed, FixedError> {
        self.balance
            .value()?
            .checked_add(or_zero(&self.credit)?)?
            .checked_sub(or_zero(&self.credit_used)?)?
            .checked_sub(or_zero(&self.hold_trade)?)
    }
}

/// `BalanceEx` result: REST asset code (`XXDG`, `ZUSD`, `SOL`) → balance.
pub type BalanceEx = BTreeMap<String, AssetBalance>;

/// `AddOrder` result.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AddOrderResult {
    pub descr: AddOrderDescr,
    /// The new order's txid (absent with `validate=true`).
    #[serde(default)]
    pub txid: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AddOrderDescr {
    pub order: String,
    #[serde(default)]
    pub close: Option<String>,
}

/// `CancelOrder` result.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CancelOrderResult {
    pub count: u32,
    #[serde(default)]
    pub pending: Option<bool>,
}

/// `"0"` (switch disarmed) or an RFC 3339 time.
fn trigger_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let s = String::deserialize(d)?;
    if s == "0" {
        return Ok(None);
    }
    crate::time::parse_rfc3339(&s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// `CancelAllOrdersAfter` result (the dead-man switch).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CancelAllOrdersAfterResult {
    #[serde(rename = "currentTime", deserialize_with = "de::rfc3339")]
    pub current_time: Timestamp,
    /// When every order will be cancelled; `None` when disarmed (`"0"`).
    #[serde(rename = "triggerTime", deserialize_with = "trigger_time")]
    pub trigger_time: Option<Timestamp>,
}

/// `GetWebSocketsToken` result.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct WebSocketsToken {
    /// Use within 15 minutes; redacted in logs.
    pub token: Redacted,
    /// Seconds the token stays valid unused.
    pub expires: u64,
}

/// One pair's current fee in `TradeVolume` (`fees` for taker, `fees_maker` for maker).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PairFee {
    /// Percent (`0.2500` = 0.25 %).
    #[serde(deserialize_with = "de::ratio")]
    pub fee: Ratio,
    #[serde(default, deserialize_with = "de::opt_ratio")]
    pub nextfee: Option<Ratio>,
    #[serde(default)]
    pub tiervolume: Option<LedgerAmount>,
    #[serde(default)]
    pub nextvolume: Option<LedgerAmount>,
}

/// `TradeVolume` result (asked with `pair=`): the account's 30-day volume and its current
/// per-pair fees — the authoritative source for the fee model (kraken.md §3.5; `AssetPairs`
/// fee arrays are often empty).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TradeVolume {
    pub currency: String,
    pub volume: LedgerAmount,
    /// Taker fees by REST pair key.
    #[serde(default)]
    pub fees: BTreeMap<String, PairFee>,
    /// Maker fees by REST pair key.
    #[serde(default)]
    pub fees_maker: BTreeMap<String, PairFee>,
}

impl TradeVolume {
    /// `(maker, taker)` percent for the pair `rest_key` (`XDGUSD`), when both are listed.
    pub fn fees_for(&self, rest_key: &str) -> Option<(Ratio, Ratio)> {
        Some((
            self.fees_maker.get(rest_key)?.fee,
            self.fees.get(rest_key)?.fee,
        ))
    }
}
