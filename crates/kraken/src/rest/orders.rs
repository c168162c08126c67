//! Orders and fills: `OpenOrders`, `QueryOrders`, `ClosedOrders`, `TradesHistory`, and the
//! backwards pager over `TradesHistory`.
//!
//! Invariants: [`HistoryPager`] pages backwards with `end = oldest txid seen` (so fills that
//! arrive meanwhile cannot shift pages, live.md §2), stops at the first page that contains a
//! known fill or is short, and returns the new fills in exchange time order (ties by txid).

use std::collections::{BTreeMap, BTreeSet};

use flywheel_core::{Price, Qty, Quote, Side, Timestamp};
use serde::{Deserialize, Deserializer};

use crate::wire::{de, WireDecimal};

/// Kraken's order status in REST replies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Pending,
    Open,
    Closed,
    Canceled,
    Expired,
}

/// Unix seconds where `0` means "not set".
fn unix_secs_nonzero<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    Ok(de::opt_unix_secs(d)?.filter(|t| t.millis() != 0))
}

/// An order's description.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct OrderDescr {
    pub pair: String,
    #[serde(rename = "type")]
    pub side: Side,
    pub ordertype: String,
    #[serde(deserialize_with = "de::price")]
    pub price: Price,
    #[serde(default, deserialize_with = "de::opt_price")]
    pub price2: Option<Price>,
    /// Kraken's one-line description (`buy 50.00000000 XDGUSD @ limit 0.1000000`).
    pub order: String,
    #[serde(default)]
    pub close: Option<String>,
}

/// One order in `OpenOrders`, `ClosedOrders` or `QueryOrders`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct OrderInfo {
    #[serde(default)]
    pub refid: Option<String>,
    #[serde(default)]
    pub userref: Option<i64>,
    #[serde(default)]
    pub cl_ord_id: Option<String>,
    pub status: OrderStatus,
    #[serde(deserialize_with = "de::unix_secs")]
    pub opentm: Timestamp,
    #[serde(default, deserialize_with = "unix_secs_nonzero")]
    pub starttm: Option<Timestamp>,
    #[serde(default, deserialize_with = "unix_secs_nonzero")]
    pub expiretm: Option<Timestamp>,
    #[serde(default, deserialize_with = "unix_secs_nonzero")]
    pub closetm: Option<Timestamp>,
    pub descr: OrderDescr,
    #[serde(deserialize_with = "de::qty")]
    pub vol: Qty,
    #[serde(deserialize_with = "de::qty")]
    pub vol_exec: Qty,
    #[serde(deserialize_with = "de::quote")]
    pub cost: Quote,
    #[serde(deserialize_with = "de::quote")]
    pub fee: Quote,
    /// Average fill price.
    #[serde(deserialize_with = "de::price")]
    pub price: Price,
    #[serde(default)]
    pub misc: String,
    /// Comma list: `post`, `fciq`, `fcib`, …
    #[serde(default)]
    pub oflags: String,
    /// Fill txids (with `trades=true`).
    #[serde(default)]
    pub trades: Option<Vec<String>>,
    /// Why it closed (`User requested`, `Post only order`, …).
    #[serde(default)]
    pub reason: Option<String>,
}

impl OrderInfo {
    /// Volume still open.
    pub fn leaves(&self) -> Qty {
        self.vol - self.vol_exec
    }
    pub fn has_flag(&self, flag: &str) -> bool {
        self.oflags.split(',').any(|f| f.trim() == flag)
    }
}

/// `OpenOrders` result.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct OpenOrders {
    pub open: BTreeMap<String, OrderInfo>,
}

/// `ClosedOrders` result (one page).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ClosedOrders {
    pub closed: BTreeMap<String, OrderInfo>,
    pub count: u64,
}

/// `QueryOrders` result: txid → order.
pub type QueryOrders = BTreeMap<String, OrderInfo>;

/// One fill in `TradesHistory`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TradeInfo {
    pub ordertxid: String,
    #[serde(default)]
    pub postxid: Option<String>,
    pub pair: String,
    #[serde(deserialize_with = "de::unix_secs")]
    pub time: Timestamp,
    #[serde(rename = "type")]
    pub side: Side,
    pub ordertype: String,
    #[serde(deserialize_with = "de::price")]
    pub price: Price,
    #[serde(deserialize_with = "de::quote")]
    pub cost: Quote,
    /// In the fee currency (quote with `fciq`).
    #[serde(deserialize_with = "de::quote")]
    pub fee: Quote,
    #[serde(deserialize_with = "de::qty")]
    pub vol: Qty,
    #[serde(default)]
    pub margin: Option<WireDecimal>,
    #[serde(default)]
    pub misc: String,
    #[serde(default)]
    pub trade_id: Option<u64>,
    #[serde(default)]
    pub maker: Option<bool>,
    #[serde(default)]
    pub ledgers: Option<Vec<String>>,
}

/// `TradesHistory` result (one page of at most 50, newest first on the wire).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TradesHistory {
    pub trades: BTreeMap<String, TradeInfo>,
    pub count: u64,
}

impl TradesHistory {
    /// The fills oldest first (time, then txid).
    pub fn by_time(&self) -> Vec<(&String, &TradeInfo)> {
        let mut v: Vec<_> = self.trades.iter().collect();
        v.sort_by(|a, b| (a.1.time, a.0).cmp(&(b.1.time, b.0)));
        v
    }
}

/// Kraken's page size for `TradesHistory`.
pub const TRADES_PAGE: usize = 50;

/// What to do after a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PagerStep {
    /// Ask for the next (older) page with `end = txid` (inclusive: the fill is seen again and
    /// skipped).
    Fetch { end: String },
    /// Every fill newer than the known ones has been seen.
    Done,
}

/// Pages `TradesHistory` backwards until a known fill.
#[derive(Clone, Debug, Default)]
pub struct HistoryPager {
    known: BTreeSet<String>,
    found: BTreeMap<String, TradeInfo>,
}

impl HistoryPager {
    /// `known`: fill txids already in the store (the newest few are enough).
    pub fn new(known: impl IntoIterator<Item = String>) -> Self {
        HistoryPager {
            known: known.into_iter().collect(),
            found: BTreeMap::new(),
        }
    }

    /// Take one page; say whether to fetch another. Fills at or before the newest known fill
    /// of the page are not new (the store saw them in order).
    pub fn on_page(&mut self, page: &TradesHistory) -> PagerStep {
        let cutoff = page
            .trades
            .iter()
            .filter(|(id, _)| self.known.contains(*id))
            .map(|(id, t)| (t.time, id.clone()))
            .max();
        let mut new_in_page = 0usize;
        for (txid, t) in &page.trades {
            let newer = cutoff.as_ref().is_none_or(|c| (t.time, txid) > (c.0, &c.1));
            if newer && !self.known.contains(txid) && !self.found.contains_key(txid) {
                self.found.insert(txid.clone(), t.clone());
                new_in_page += 1;
            }
        }
        let oldest = page.by_time().first().map(|(id, _)| (*id).clone());
        match oldest {
            Some(end)
                if cutoff.is_none() && new_in_page > 0 && page.trades.len() >= TRADES_PAGE =>
            {
                PagerStep::Fetch { end }
            }
            _ => PagerStep::Done,
        }
    }

    /// The new fills, oldest first.
    pub fn into_new_fills(self) -> Vec<(String, TradeInfo)> {
        let mut v: Vec<_> = self.found.into_iter().collect();
        v.sort_by(|a, b| (a.1.time, &a.0).cmp(&(b.1.time, &b.0)));
        v
    }
}
