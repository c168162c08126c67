//! Private WS v2 channels: `executions` and `balances`.
//!
//! Invariants: an execution keeps every field Kraken sends that the connector needs, with
//! exact decimals; unknown `exec_type` / `order_status` values are kept verbatim
//! (`Other(text)`), never dropped. Leaves = `order_qty − cum_qty`; a `trade` event may say
//! `partially_filled` while completing the order, and only `exec_type: filled` closes it
//! (live.md §1 "Caveat").

use flywheel_core::{Price, Qty, Quote, Side, Timestamp};
use serde::Deserialize;

use crate::wire::{de, LedgerAmount, WireDecimal};
use crate::ws::market::FeedType;

/// `exec_type` values.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum ExecType {
    PendingNew,
    New,
    Trade,
    Filled,
    IcebergRefill,
    Canceled,
    Expired,
    Amended,
    Restated,
    Status,
    Other(String),
}

impl From<String> for ExecType {
    fn from(s: String) -> Self {
        match s.as_str() {
            "pending_new" => ExecType::PendingNew,
            "new" => ExecType::New,
            "trade" => ExecType::Trade,
            "filled" => ExecType::Filled,
            "iceberg_refill" => ExecType::IcebergRefill,
            "canceled" => ExecType::Canceled,
            "expired" => ExecType::Expired,
            "amended" => ExecType::Amended,
            "restated" => ExecType::Restated,
            "status" => ExecType::Status,
            _ => ExecType::Other(s),
        }
    }
}

/// `order_status` values.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum WsOrderStatus {
    PendingNew,
    New,
    PartiallyFilled,
    Filled,
    Canceled,
    Expired,
    Triggered,
    Other(String),
}

impl From<String> for WsOrderStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "pending_new" => WsOrderStatus::PendingNew,
            "new" => WsOrderStatus::New,
            "partially_filled" => WsOrderStatus::PartiallyFilled,
            "filled" => WsOrderStatus::Filled,
            "canceled" => WsOrderStatus::Canceled,
            "expired" => WsOrderStatus::Expired,
            "triggered" => WsOrderStatus::Triggered,
            _ => WsOrderStatus::Other(s),
        }
    }
}

/// A fee charged on a fill, in `asset` (USD with `fee_preference: quote`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ExecFee {
    pub asset: String,
    pub qty: WireDecimal,
}

/// One `executions` entry: an order event, a fill, or (with `ratecounter`) a counter reading.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Execution {
    pub exec_type: ExecType,
    pub order_id: String,
    #[serde(default)]
    pub cl_ord_id: Option<String>,
    #[serde(default)]
    pub order_userref: Option<i64>,
    #[serde(default)]
    pub symbol: Option<String>,
    #[serde(default)]
    pub side: Option<Side>,
    #[serde(default)]
    pub order_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_qty")]
    pub order_qty: Option<Qty>,
    #[serde(default, deserialize_with = "de::opt_price")]
    pub limit_price: Option<Price>,
    #[serde(default)]
    pub time_in_force: Option<String>,
    #[serde(default)]
    pub post_only: Option<bool>,
    #[serde(default)]
    pub order_status: Option<WsOrderStatus>,
    #[serde(default, deserialize_with = "de::opt_qty")]
    pub cum_qty: Option<Qty>,
    #[serde(default, deserialize_with = "de::opt_quote")]
    pub cum_cost: Option<Quote>,
    #[serde(default, deserialize_with = "de::opt_price")]
    pub avg_price: Option<Price>,
    #[serde(deserialize_with = "de::rfc3339")]
    pub timestamp: Timestamp,
    /// Fill id (the dedupe key, with `trade_id`).
    #[serde(default)]
    pub exec_id: Option<String>,
    #[serde(default)]
    pub trade_id: Option<u64>,
    #[serde(default, deserialize_with = "de::opt_qty")]
    pub last_qty: Option<Qty>,
    #[serde(default, deserialize_with = "de::opt_price")]
    pub last_price: Option<Price>,
    #[serde(default, deserialize_with = "de::opt_quote")]
    pub cost: Option<Quote>,
    /// `m` (maker) or `t` (taker).
    #[serde(default)]
    pub liquidity_ind: Option<String>,
    #[serde(default)]
    pub fees: Option<Vec<ExecFee>>,
    #[serde(default, deserialize_with = "de::opt_quote")]
    pub fee_usd_equiv: Option<Quote>,
    /// Why the order was cancelled or expired (`Post only order`, `User requested`…).
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub amended: Option<bool>,
    /// The pair's trading rate counter, when subscribed with `ratecounter: true`. The exact
    /// field Kraken uses is to be verified live (kraken.md §3.4); `ratecount` as in v1.
    #[serde(default, alias = "ratecounter")]
    pub ratecount: Option<WireDecimal>,
}

impl Execution {
    /// Volume still open, when both quantities are known.
    pub fn leaves(&self) -> Option<Qty> {
        Some(self.order_qty? - self.cum_qty?)
    }
    /// A fill event (carries `last_qty` and an execution id).
    pub fn is_fill(&self) -> bool {
        self.exec_type == ExecType::Trade && self.last_qty.is_some()
    }
}

/// `{"channel":"executions","type":…,"data":[…],"sequence":N}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ExecutionsMsg {
    #[serde(rename = "type")]
    pub kind: FeedType,
    pub data: Vec<Execution>,
    #[serde(default)]
    pub sequence: Option<u64>,
}

/// One `ratecounter` reading, for [`crate::ratelimit::PairCounter::reconcile`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateCounterReading {
    pub symbol: String,
    pub at: Timestamp,
    pub value: flywheel_core::Fixed,
}

impl ExecutionsMsg {
    /// The rate-counter readings in this message (entries that name their symbol).
    pub fn rate_counter_readings(&self) -> Vec<RateCounterReading> {
        self.data
            .iter()
            .filter_map(|e| {
                Some(RateCounterReading {
                    symbol: e.symbol.clone()?,
                    at: e.timestamp,
                    value: e.ratecount.as_ref()?.value(),
                })
            })
            .collect()
    }
}

/// One wallet of a balance snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Wallet {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub balance: LedgerAmount,
}

/// A `balances` entry: in a snapshot, one asset's balance and wallets; in an update, one
/// ledger entry (`amount`, `fee`, and the `balance` after it).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BalanceData {
    pub asset: String,
    #[serde(default)]
    pub asset_class: Option<String>,
    pub balance: LedgerAmount,
    #[serde(default)]
    pub wallets: Vec<Wallet>,
    #[serde(default)]
    pub ledger_id: Option<String>,
    #[serde(default)]
    pub ref_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_rfc3339")]
    pub timestamp: Option<Timestamp>,
    /// Ledger entry type (`trade`, `deposit`…).
    #[serde(default, rename = "type")]
    pub entry_type: Option<String>,
    #[serde(default)]
    pub subtype: Option<String>,
    #[serde(default)]
    pub amount: Option<LedgerAmount>,
    #[serde(default)]
    pub fee: Option<LedgerAmount>,
    #[serde(default)]
    pub wallet_type: Option<String>,
    #[serde(default)]
    pub wallet_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BalancesMsg {
    #[serde(rename = "type")]
    pub kind: FeedType,
    pub data: Vec<BalanceData>,
    #[serde(default)]
    pub sequence: Option<u64>,
}
