//! Account and trading replies: `BalanceEx`, `AddOrder`, `CancelOrder`,
//! `CancelAllOrdersAfter`, `GetWebSocketsToken`.

use std::collections::BTreeMap;

use flywheel_core::{Fixed, FixedError, Timestamp};
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
