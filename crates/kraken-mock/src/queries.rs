//! REST query results built from the ledger: `BalanceEx`, `OpenOrders`, `ClosedOrders`,
//! `QueryOrders`, `TradesHistory` (shapes of `crates/kraken/tests/fixtures/rest_*.json`).
//!
//! Invariants:
//! - Decimals are strings padded to the market's decimals and never rounded; times are Unix
//!   seconds as numbers.
//! - `TradesHistory` and `ClosedOrders` page newest first, 50 rows per page; `start` is
//!   exclusive and `end` inclusive, each a Unix time or a txid (the time of that row), and
//!   `ofs` skips rows of the filtered list; `count` is the size of the filtered list.

use std::collections::BTreeMap;

use flywheel_core::{Fixed, Rounding, Timestamp};
use flywheel_venue::Venue;
use serde::Serialize;

use crate::frames::{dec, unix_secs, Num};
use crate::state::{MockState, OrderRecord, OrderState, TradeRecord};

/// Rows per page of the history endpoints.
pub const PAGE: usize = 50;

#[derive(Debug, Serialize)]
pub struct AssetBalance {
    pub balance: String,
    pub hold_trade: String,
}

#[derive(Debug, Serialize)]
pub struct OrderDescr {
    pub pair: String,
    #[serde(rename = "type")]
    pub side: &'static str,
    pub ordertype: &'static str,
    pub price: String,
    pub price2: &'static str,
    pub leverage: &'static str,
    pub order: String,
    pub close: &'static str,
}

#[derive(Debug, Serialize)]
pub struct OrderInfo {
    pub refid: Option<String>,
    pub userref: i64,
    pub cl_ord_id: String,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub opentm: Num,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closetm: Option<Num>,
    pub starttm: u8,
    pub expiretm: u8,
    pub descr: OrderDescr,
    pub vol: String,
    pub vol_exec: String,
    pub cost: String,
    pub fee: String,
    pub price: String,
    pub stopprice: String,
    pub limitprice: String,
    pub misc: &'static str,
    pub oflags: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trades: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
pub struct TradeInfo {
    pub ordertxid: String,
    pub postxid: String,
    pub pair: String,
    pub time: Num,
    #[serde(rename = "type")]
    pub side: &'static str,
    pub ordertype: &'static str,
    pub price: String,
    pub cost: String,
    pub fee: String,
    pub vol: String,
    pub margin: String,
    pub misc: &'static str,
    pub trade_id: u64,
    pub maker: bool,
    pub ledgers: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct OpenOrders {
    pub open: BTreeMap<String, OrderInfo>,
}

#[derive(Debug, Serialize)]
pub struct ClosedOrders {
    pub closed: BTreeMap<String, OrderInfo>,
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct TradesHistory {
    pub trades: BTreeMap<String, TradeInfo>,
    pub count: usize,
}

/// A `start`/`end` bound: a Unix time, or a row (its time, then its txid, order rows that
/// share a millisecond).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Bound {
    Time(Timestamp),
    Row(Timestamp, String),
}

impl Bound {
    /// Is the row (t, id) after the bound?
    fn before(&self, t: Timestamp, id: &str) -> bool {
        match self {
            Bound::Time(b) => t > *b,
            Bound::Row(b, bid) => (t, id) > (*b, bid.as_str()),
        }
    }
}

fn bound(
    text: Option<&str>,
    time_of: impl Fn(&str) -> Option<Timestamp>,
) -> Result<Option<Bound>, String> {
    let Some(t) = text.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if let Ok(secs) = t.parse::<Fixed>() {
        return Ok(Some(Bound::Time(flywheel_kraken::wire::secs_to_timestamp(
            secs,
        ))));
    }
    time_of(t)
        .map(|at| Some(Bound::Row(at, t.to_string())))
        .ok_or_else(|| "EGeneral:Invalid arguments:start/end".to_string())
}

/// Newest-first page of `rows` (each with a time) after the start/end/ofs filters.
fn page<T: Clone>(
    mut rows: Vec<(Timestamp, String, T)>,
    start: Option<Bound>,
    end: Option<Bound>,
    ofs: usize,
) -> (Vec<(String, T)>, usize) {
    rows.retain(|(t, id, _)| {
        start.as_ref().is_none_or(|s| s.before(*t, id))
            && end.as_ref().is_none_or(|e| !e.before(*t, id))
    });
    rows.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
    let count = rows.len();
    let out = rows
        .into_iter()
        .skip(ofs)
        .take(PAGE)
        .map(|(_, id, r)| (id, r))
        .collect();
    (out, count)
}

impl MockState {
    /// `BalanceEx`.
    pub fn rest_balances(&self) -> BTreeMap<String, AssetBalance> {
        let b = self.sim.balances();
        let q = self.cfg.instrument.volume_decimals;
        let mut out = BTreeMap::new();
        out.insert(
            self.cfg.names.rest_quote.clone(),
            AssetBalance {
                balance: dec(b.quote.total.fixed(), 4),
                hold_trade: dec(b.quote.held.fixed(), 4),
            },
        );
        out.insert(
            self.cfg.names.rest_base.clone(),
            AssetBalance {
                balance: dec(b.base.total.fixed(), q),
                hold_trade: dec(b.base.held.fixed(), q),
            },
        );
        out
    }

    pub fn order_info(&self, o: &OrderRecord, with_trades: bool) -> OrderInfo {
        let (pdp, qdp) = (
            self.cfg.instrument.price_decimals,
            self.cfg.instrument.volume_decimals,
        );
        let avg = if o.filled.is_zero() {
            Fixed::ZERO
        } else {
            o.cost
                .fixed()
                .div_round(o.filled.fixed(), pdp, Rounding::HalfEven)
                .unwrap_or(Fixed::ZERO)
        };
        let status = match o.state {
            OrderState::Open => "open",
            OrderState::Closed => "closed",
            OrderState::Canceled => "canceled",
        };
        let vol = dec(o.qty.fixed(), qdp);
        let price = dec(o.price.fixed(), pdp);
        OrderInfo {
            refid: None,
            userref: 0,
            cl_ord_id: o.cl_ord_id.clone(),
            status,
            reason: o.reason.clone(),
            opentm: unix_secs(o.opened),
            closetm: o.closed.map(unix_secs),
            starttm: 0,
            expiretm: 0,
            descr: OrderDescr {
                pair: self.cfg.names.rest_pair.clone(),
                side: o.side.as_str(),
                ordertype: "limit",
                order: format!(
                    "{} {vol} {} @ limit {price}",
                    o.side, self.cfg.names.rest_pair
                ),
                price,
                price2: "0",
                leverage: "none",
                close: "",
            },
            vol,
            vol_exec: dec(o.filled.fixed(), qdp),
            cost: dec(o.cost.fixed(), pdp),
            fee: dec(o.fee.fixed(), pdp),
            price: dec(avg, pdp),
            stopprice: dec(Fixed::ZERO, pdp),
            limitprice: dec(Fixed::ZERO, pdp),
            misc: "",
            oflags: if o.ioc { "fciq" } else { "post,fciq" },
            trades: (with_trades && !o.trades.is_empty()).then(|| o.trades.clone()),
        }
    }

    /// `OpenOrders`, optionally only the order carrying `cl_ord_id`.
    pub fn rest_open_orders(&self, cl_ord_id: Option<&str>, trades: bool) -> OpenOrders {
        let open = self
            .orders
            .values()
            .filter(|o| o.state == OrderState::Open)
            .filter(|o| cl_ord_id.is_none_or(|c| o.cl_ord_id == c))
            .map(|o| (o.txid.clone(), self.order_info(o, trades)))
            .collect();
        OpenOrders { open }
    }

    /// `QueryOrders` for a comma list of txids; an unknown txid is an error.
    pub fn rest_query_orders(
        &self,
        txids: &str,
        trades: bool,
    ) -> Result<BTreeMap<String, OrderInfo>, String> {
        let mut out = BTreeMap::new();
        for t in txids.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let o = self.orders.get(t).ok_or("EOrder:Invalid order")?;
            out.insert(t.to_string(), self.order_info(o, trades));
        }
        if out.is_empty() {
            return Err("EGeneral:Invalid arguments:txid".into());
        }
        Ok(out)
    }

    /// `ClosedOrders` (closed and canceled), newest close first.
    pub fn rest_closed_orders(
        &self,
        cl_ord_id: Option<&str>,
        start: Option<&str>,
        end: Option<&str>,
        ofs: usize,
        trades: bool,
    ) -> Result<ClosedOrders, String> {
        let time_of = |id: &str| {
            self.orders
                .get(id)
                .and_then(|o| o.closed.or(Some(o.opened)))
        };
        let (start, end) = (bound(start, time_of)?, bound(end, time_of)?);
        let rows: Vec<_> = self
            .orders
            .values()
            .filter(|o| o.state != OrderState::Open)
            .filter(|o| cl_ord_id.is_none_or(|c| o.cl_ord_id == c))
            .map(|o| (o.closed.unwrap_or(o.opened), o.txid.clone(), o))
            .collect();
        let (rows, count) = page(rows, start, end, ofs);
        Ok(ClosedOrders {
            closed: rows
                .into_iter()
                .map(|(id, o)| (id, self.order_info(o, trades)))
                .collect(),
            count,
        })
    }

    fn trade_info(&self, t: &TradeRecord) -> TradeInfo {
        let (pdp, qdp) = (
            self.cfg.instrument.price_decimals,
            self.cfg.instrument.volume_decimals,
        );
        TradeInfo {
            ordertxid: t.ordertxid.clone(),
            postxid: t.postxid.clone(),
            pair: self.cfg.names.rest_pair.clone(),
            time: unix_secs(t.time),
            side: t.side.as_str(),
            ordertype: "limit",
            price: dec(t.price.fixed(), pdp),
            cost: dec(t.cost.fixed(), pdp),
            fee: dec(t.fee.fixed(), pdp),
            vol: dec(t.qty.fixed(), qdp),
            margin: dec(Fixed::ZERO, pdp),
            misc: "",
            trade_id: t.trade_id,
            maker: !t.taker,
            ledgers: t.ledgers.to_vec(),
        }
    }

    /// `TradesHistory`: 50 fills per page, newest first.
    pub fn rest_trades_history(
        &self,
        start: Option<&str>,
        end: Option<&str>,
        ofs: usize,
    ) -> Result<TradesHistory, String> {
        let time_of = |id: &str| self.trades.iter().find(|t| t.txid == id).map(|t| t.time);
        let (start, end) = (bound(start, time_of)?, bound(end, time_of)?);
        let rows: Vec<_> = self
            .trades
            .iter()
            .map(|t| (t.time, t.txid.clone(), t))
            .collect();
        let (rows, count) = page(rows, start, end, ofs);
        Ok(TradesHistory {
            trades: rows
                .into_iter()
                .map(|(id, t)| (id, self.trade_info(t)))
                .collect(),
            count,
        })
    }
}
