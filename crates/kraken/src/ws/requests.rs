//! Outgoing WS v2 requests, as JSON text.
//!
//! Invariants:
//! - Every new order (`add_order`, each order of `batch_add`) is a limit order with a
//!   `cl_ord_id` and `fee_preference: "quote"`, and either `post_only: true` (good till
//!   cancelled) or `time_in_force: "ioc"` (the hedger's taker clip, `post_only: false`):
//!   an order that may take never rests. Amends keep `post_only`. The fields are written by
//!   the serializer from the order's [`OrderKind`], not taken from the caller (live.md §1).
//! - Prices and quantities are bare JSON numbers written from their exact decimal text
//!   ([`JsonNumber`]), never through `f64`.
//! - Batch sizes are checked before anything is built (`batch_add` 2–15 orders of one pair,
//!   `batch_cancel` 2–50 ids).

use flywheel_core::{Price, Qty, Side, Timestamp};
use flywheel_venue::OrderKind;
use serde::Serialize;
use thiserror::Error;

use crate::ids::ClOrdId;
use crate::secret::Redacted;
use crate::time::format_rfc3339;
use crate::wire::JsonNumber;

#[derive(Debug, Error)]
pub enum WsRequestError {
    #[error("{method}: {count} orders, allowed {min}..={max}")]
    BatchSize {
        method: &'static str,
        count: usize,
        min: usize,
        max: usize,
    },
    #[error("batch_add: order {cl_ord_id} is for {symbol}, the batch for {batch_symbol}")]
    MixedSymbols {
        cl_ord_id: String,
        symbol: String,
        batch_symbol: String,
    },
    #[error("{method}: cannot encode request: {source}")]
    Encode {
        method: &'static str,
        source: serde_json::Error,
    },
}

/// A new limit order: post-only, or IOC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrder {
    /// WS v2 symbol (`DOGE/USD`).
    pub symbol: String,
    pub side: Side,
    pub limit_price: Price,
    pub order_qty: Qty,
    pub cl_ord_id: ClOrdId,
    /// Post-only (rests, never takes) or IOC (takes what it can, never rests).
    pub kind: OrderKind,
}

#[derive(Serialize)]
struct Envelope<P: Serialize> {
    method: &'static str,
    params: P,
    req_id: u64,
}

fn encode<P: Serialize>(
    method: &'static str,
    req_id: u64,
    params: P,
) -> Result<String, WsRequestError> {
    serde_json::to_string(&Envelope {
        method,
        params,
        req_id,
    })
    .map_err(|source| WsRequestError::Encode { method, source })
}

#[derive(Serialize)]
struct OrderFields<'a> {
    order_type: &'static str,
    side: &'static str,
    limit_price: JsonNumber,
    order_qty: JsonNumber,
    post_only: bool,
    /// Absent for post-only orders (Kraken's default, good till cancelled).
    #[serde(skip_serializing_if = "Option::is_none")]
    time_in_force: Option<&'static str>,
    cl_ord_id: &'a str,
    fee_preference: &'static str,
}

impl<'a> From<&'a NewOrder> for OrderFields<'a> {
    fn from(o: &'a NewOrder) -> Self {
        let (post_only, time_in_force) = match o.kind {
            OrderKind::PostOnly => (true, None),
            OrderKind::Ioc => (false, Some("ioc")),
        };
        OrderFields {
            order_type: "limit",
            side: o.side.as_str(),
            limit_price: JsonNumber(o.limit_price.fixed()),
            order_qty: JsonNumber(o.order_qty.fixed()),
            post_only,
            time_in_force,
            cl_ord_id: o.cl_ord_id.as_str(),
            fee_preference: "quote",
        }
    }
}

#[derive(Serialize)]
struct AddOrderParams<'a> {
    #[serde(flatten)]
    order: OrderFields<'a>,
    symbol: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<String>,
    token: &'a str,
}

/// `add_order`.
pub fn add_order(
    req_id: u64,
    order: &NewOrder,
    deadline: Option<Timestamp>,
    token: &Redacted,
) -> Result<String, WsRequestError> {
    encode(
        "add_order",
        req_id,
        AddOrderParams {
            order: order.into(),
            symbol: &order.symbol,
            deadline: deadline.map(format_rfc3339),
            token: token.expose(),
        },
    )
}

/// Which order an amend or cancel names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsOrderRef {
    OrderId(String),
    ClOrdId(ClOrdId),
}

#[derive(Serialize)]
struct AmendParams<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    order_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cl_ord_id: Option<&'a str>,
    order_qty: JsonNumber,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit_price: Option<JsonNumber>,
    post_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<String>,
    token: &'a str,
}

fn split_ref(r: &WsOrderRef) -> (Option<&str>, Option<&str>) {
    match r {
        WsOrderRef::OrderId(id) => (Some(id.as_str()), None),
        WsOrderRef::ClOrdId(c) => (None, Some(c.as_str())),
    }
}

/// `amend_order`: new quantity and optionally a new price, in place (keeps the ids).
pub fn amend_order(
    req_id: u64,
    order: &WsOrderRef,
    order_qty: Qty,
    limit_price: Option<Price>,
    deadline: Option<Timestamp>,
    token: &Redacted,
) -> Result<String, WsRequestError> {
    let (order_id, cl_ord_id) = split_ref(order);
    encode(
        "amend_order",
        req_id,
        AmendParams {
            order_id,
            cl_ord_id,
            order_qty: JsonNumber(order_qty.fixed()),
            limit_price: limit_price.map(|p| JsonNumber(p.fixed())),
            post_only: true,
            deadline: deadline.map(format_rfc3339),
            token: token.expose(),
        },
    )
}

#[derive(Serialize)]
struct CancelParams<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    order_id: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cl_ord_id: Vec<&'a str>,
    token: &'a str,
}

fn split_refs(orders: &[WsOrderRef]) -> (Vec<&str>, Vec<&str>) {
    let mut ids = Vec::new();
    let mut cl = Vec::new();
    for o in orders {
        match o {
            WsOrderRef::OrderId(id) => ids.push(id.as_str()),
            WsOrderRef::ClOrdId(c) => cl.push(c.as_str()),
        }
    }
    (ids, cl)
}

/// `cancel_order` for one or more orders.
pub fn cancel_order(
    req_id: u64,
    orders: &[WsOrderRef],
    token: &Redacted,
) -> Result<String, WsRequestError> {
    let (order_id, cl_ord_id) = split_refs(orders);
    encode(
        "cancel_order",
        req_id,
        CancelParams {
            order_id,
            cl_ord_id,
            token: token.expose(),
        },
    )
}

#[derive(Serialize)]
struct BatchAddParams<'a> {
    symbol: &'a str,
    orders: Vec<OrderFields<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<String>,
    token: &'a str,
}

fn check_size(
    method: &'static str,
    count: usize,
    min: usize,
    max: usize,
) -> Result<(), WsRequestError> {
    if (min..=max).contains(&count) {
        Ok(())
    } else {
        Err(WsRequestError::BatchSize {
            method,
            count,
            min,
            max,
        })
    }
}

/// `batch_add`: 2–15 post-only orders of one symbol.
pub fn batch_add(
    req_id: u64,
    orders: &[NewOrder],
    deadline: Option<Timestamp>,
    token: &Redacted,
) -> Result<String, WsRequestError> {
    check_size("batch_add", orders.len(), 2, 15)?;
    let symbol = orders
        .first()
        .map(|o| o.symbol.as_str())
        .unwrap_or_default();
    if let Some(o) = orders.iter().find(|o| o.symbol != symbol) {
        return Err(WsRequestError::MixedSymbols {
            cl_ord_id: o.cl_ord_id.to_string(),
            symbol: o.symbol.clone(),
            batch_symbol: symbol.to_string(),
        });
    }
    encode(
        "batch_add",
        req_id,
        BatchAddParams {
            symbol,
            orders: orders.iter().map(OrderFields::from).collect(),
            deadline: deadline.map(format_rfc3339),
            token: token.expose(),
        },
    )
}

#[derive(Serialize)]
struct BatchCancelParams<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    orders: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cl_ord_id: Vec<&'a str>,
    token: &'a str,
}

/// `batch_cancel`: 2–50 orders.
pub fn batch_cancel(
    req_id: u64,
    orders: &[WsOrderRef],
    token: &Redacted,
) -> Result<String, WsRequestError> {
    check_size("batch_cancel", orders.len(), 2, 50)?;
    let (ids, cl_ord_id) = split_refs(orders);
    encode(
        "batch_cancel",
        req_id,
        BatchCancelParams {
            orders: ids,
            cl_ord_id,
            token: token.expose(),
        },
    )
}

#[derive(Serialize)]
struct DeadManParams<'a> {
    timeout: u32,
    token: &'a str,
}

/// `cancel_all_orders_after` (0 disarms). Re-arm every 15–30 s with 60 s.
pub fn cancel_all_orders_after(
    req_id: u64,
    timeout_secs: u32,
    token: &Redacted,
) -> Result<String, WsRequestError> {
    encode(
        "cancel_all_orders_after",
        req_id,
        DeadManParams {
            timeout: timeout_secs,
            token: token.expose(),
        },
    )
}

/// A channel to subscribe to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subscription {
    Book {
        symbols: Vec<String>,
        depth: u32,
    },
    Trade {
        symbols: Vec<String>,
    },
    Ticker {
        symbols: Vec<String>,
    },
    Instrument,
    /// With `snap_orders`, `snap_trades`, `order_status` and `ratecounter` all on.
    Executions,
    Balances,
}

#[derive(Serialize)]
struct SubscribeParams<'a> {
    channel: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    symbol: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    depth: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snap_orders: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snap_trades: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order_status: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ratecounter: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
}

/// `subscribe`; private channels need the token.
pub fn subscribe(
    req_id: u64,
    sub: &Subscription,
    token: Option<&Redacted>,
) -> Result<String, WsRequestError> {
    encode("subscribe", req_id, subscribe_params(sub, token))
}

/// `unsubscribe` (the same channel parameters, without the snapshot options). Used with
/// [`subscribe`] to rebuild a book from a fresh snapshot after a checksum mismatch.
pub fn unsubscribe(
    req_id: u64,
    sub: &Subscription,
    token: Option<&Redacted>,
) -> Result<String, WsRequestError> {
    let mut p = subscribe_params(sub, token);
    p.snapshot = None;
    p.snap_orders = None;
    p.snap_trades = None;
    p.order_status = None;
    p.ratecounter = None;
    encode("unsubscribe", req_id, p)
}

fn subscribe_params<'a>(sub: &'a Subscription, token: Option<&'a Redacted>) -> SubscribeParams<'a> {
    let mut p = SubscribeParams {
        channel: "",
        symbol: None,
        depth: None,
        snapshot: Some(true),
        snap_orders: None,
        snap_trades: None,
        order_status: None,
        ratecounter: None,
        token: None,
    };
    match sub {
        Subscription::Book { symbols, depth } => {
            p.channel = "book";
            p.symbol = Some(symbols);
            p.depth = Some(*depth);
        }
        Subscription::Trade { symbols } => {
            p.channel = "trade";
            p.symbol = Some(symbols);
            p.snapshot = Some(false);
        }
        Subscription::Ticker { symbols } => {
            p.channel = "ticker";
            p.symbol = Some(symbols);
        }
        Subscription::Instrument => p.channel = "instrument",
        Subscription::Executions => {
            p.channel = "executions";
            p.snapshot = None;
            p.snap_orders = Some(true);
            p.snap_trades = Some(true);
            p.order_status = Some(true);
            p.ratecounter = Some(true);
            p.token = token.map(Redacted::expose);
        }
        Subscription::Balances => {
            p.channel = "balances";
            p.token = token.map(Redacted::expose);
        }
    }
    p
}

/// `ping` (answered by `pong`).
pub fn ping(req_id: u64) -> String {
    format!(r#"{{"method":"ping","req_id":{req_id}}}"#)
}
