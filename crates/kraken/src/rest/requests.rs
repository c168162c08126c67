//! REST request parameters (form fields, `nonce` is added by [`crate::sign`]).
//!
//! Invariants: an order request is always a **limit** order with a `cl_ord_id` and fees
//! charged in quote (`fciq`: fills are accounted in USD, live.md §1 "Always send
//! fee_preference quote"). It is either **post-only** (`oflags=post,fciq`, good till
//! cancelled: every quote and exit) or **immediate-or-cancel** (`timeinforce=IOC`: the seed
//! 002 hedger's taker clip). No other combination can be built: an order that may take never
//! rests, and an order that rests never takes. Prices and volumes are written in their exact
//! canonical decimal text.

use flywheel_core::{Price, Qty, Side, Timestamp};
use flywheel_venue::OrderKind;
use thiserror::Error;

use crate::ids::ClOrdId;

/// Params as (name, value) pairs, in the order they are sent and signed.
pub type Params = Vec<(&'static str, String)>;

/// Borrow params for [`crate::sign::sign_private`].
pub fn as_refs(p: &Params) -> Vec<(&str, &str)> {
    p.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum RequestError {
    #[error("CancelAllOrdersAfter: timeout {0} s must be below 86400")]
    Timeout(u32),
    #[error("{endpoint}: {field} must be positive, got {value}")]
    NotPositive {
        endpoint: &'static str,
        field: &'static str,
        value: String,
    },
}

/// `AddOrder`: a post-only or an IOC limit order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddOrder {
    /// REST pair key (`XDGUSD`), from the pair directory.
    pub pair: String,
    pub side: Side,
    pub price: Price,
    pub volume: Qty,
    /// Post-only (rests, never takes) or IOC (takes what it can, never rests).
    pub kind: OrderKind,
    pub cl_ord_id: ClOrdId,
    /// Refuse the order if it waits in Kraken's queue past this time (now+2 s … now+60 s).
    pub deadline: Option<Timestamp>,
    /// Validate only (`validate=true`): nothing is placed.
    pub validate: bool,
}

impl AddOrder {
    pub fn params(&self) -> Result<Params, RequestError> {
        let positive = |field, ok: bool, value: String| {
            if ok {
                Ok(())
            } else {
                Err(RequestError::NotPositive {
                    endpoint: "AddOrder",
                    field,
                    value,
                })
            }
        };
        positive("price", self.price.is_positive(), self.price.to_string())?;
        positive("volume", self.volume.is_positive(), self.volume.to_string())?;
        let mut p: Params = vec![
            ("ordertype", "limit".into()),
            ("type", self.side.as_str().into()),
            ("pair", self.pair.clone()),
            ("price", self.price.to_string()),
            ("volume", self.volume.to_string()),
        ];
        match self.kind {
            OrderKind::PostOnly => p.push(("oflags", "post,fciq".into())),
            OrderKind::Ioc => {
                p.push(("oflags", "fciq".into()));
                p.push(("timeinforce", "IOC".into()));
            }
        }
        p.push(("cl_ord_id", self.cl_ord_id.to_string()));
        if let Some(d) = self.deadline {
            p.push(("deadline", crate::time::format_rfc3339(d)));
        }
        if self.validate {
            p.push(("validate", "true".into()));
        }
        Ok(p)
    }
}

/// Which order(s) a cancel names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderRef {
    Txid(String),
    ClOrdId(ClOrdId),
}

/// `CancelOrder`.
pub fn cancel_order(order: &OrderRef) -> Params {
    match order {
        OrderRef::Txid(t) => vec![("txid", t.clone())],
        OrderRef::ClOrdId(c) => vec![("cl_ord_id", c.to_string())],
    }
}

/// `CancelAllOrdersAfter` (0 disarms).
pub fn cancel_all_orders_after(timeout_secs: u32) -> Result<Params, RequestError> {
    if timeout_secs >= 86_400 {
        return Err(RequestError::Timeout(timeout_secs));
    }
    Ok(vec![("timeout", timeout_secs.to_string())])
}

/// `OpenOrders` with fill ids, optionally one `cl_ord_id`.
pub fn open_orders(cl_ord_id: Option<&ClOrdId>) -> Params {
    let mut p: Params = vec![("trades", "true".into())];
    if let Some(c) = cl_ord_id {
        p.push(("cl_ord_id", c.to_string()));
    }
    p
}

/// `QueryOrders` for up to 50 txids.
pub fn query_orders(txids: &[String]) -> Params {
    vec![("trades", "true".into()), ("txid", txids.join(","))]
}

/// `ClosedOrders` from `start` (exclusive, Unix seconds or txid), page offset `ofs`.
pub fn closed_orders(start: Option<&str>, ofs: u32) -> Params {
    let mut p: Params = vec![("trades", "true".into())];
    if let Some(s) = start {
        p.push(("start", s.to_string()));
    }
    p.push(("ofs", ofs.to_string()));
    p
}

/// `TradesHistory` ending at `end` (inclusive txid), for [`super::orders::HistoryPager`].
pub fn trades_history(end: Option<&str>) -> Params {
    match end {
        Some(e) => vec![("end", e.to_string())],
        None => vec![],
    }
}

/// `TradeVolume` for the pair's current maker and taker fees (REST pair key, `XDGUSD`).
pub fn trade_volume(pair: &str) -> Params {
    vec![("pair", pair.to_string())]
}
