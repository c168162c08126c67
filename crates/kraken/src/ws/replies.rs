//! Replies to WS v2 methods (`add_order`, `amend_order`, `cancel_order`, `batch_add`,
//! `batch_cancel`, `cancel_all_orders_after`, `cancel_all`, `subscribe`, `ping`).
//!
//! Invariants: a reply with `success: false` carries its error as a typed
//! [`KrakenError`] (verbatim text kept); a reply to a method we do not model keeps its result
//! text verbatim in [`ReplyResult::Other`]; `req_id` is how the connector matches a reply to
//! its request.

use flywheel_core::Timestamp;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::KrakenError;
use crate::json::{parse, ParseError};
use crate::wire::de;

/// `add_order` / `cancel_order` / `edit_order` result.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct OrderAck {
    pub order_id: String,
    #[serde(default)]
    pub cl_ord_id: Option<String>,
    #[serde(default)]
    pub order_userref: Option<i64>,
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// `amend_order` result.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AmendAck {
    pub amend_id: String,
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub cl_ord_id: Option<String>,
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One order of a `batch_add` result.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BatchEntry {
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub cl_ord_id: Option<String>,
    #[serde(default)]
    pub order_userref: Option<i64>,
    /// Per-order outcome when the batch reports one (a funding failure rejects only that
    /// order, live.md §1).
    #[serde(default)]
    pub success: Option<bool>,
    #[serde(default)]
    pub error: Option<String>,
}

/// `batch_add` result: an array, or `{"orders":[…]}` in some recorded shapes.
#[derive(Deserialize)]
#[serde(untagged)]
enum BatchShape {
    List(Vec<BatchEntry>),
    Wrapped { orders: Vec<BatchEntry> },
}

/// `cancel_all` / `batch_cancel` result.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CountAck {
    pub count: u32,
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// `cancel_all_orders_after` result.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct DeadManAck {
    #[serde(rename = "currentTime", deserialize_with = "de::rfc3339")]
    pub current_time: Timestamp,
    #[serde(rename = "triggerTime")]
    pub trigger_time: String,
}

/// `subscribe` / `unsubscribe` result.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SubscribeAck {
    pub channel: String,
    #[serde(default)]
    pub symbol: Option<String>,
    #[serde(default)]
    pub depth: Option<u32>,
    #[serde(default)]
    pub snapshot: Option<bool>,
}

/// The typed result of a successful reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyResult {
    AddOrder(OrderAck),
    AmendOrder(AmendAck),
    CancelOrder(OrderAck),
    BatchAdd(Vec<BatchEntry>),
    BatchCancel(CountAck),
    CancelAll(CountAck),
    CancelAllOrdersAfter(DeadManAck),
    Subscribe(SubscribeAck),
    /// No result (a failure, or `pong`).
    None,
    /// A method this module does not model, result text verbatim.
    Other(String),
}

/// A reply to one of our requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodReply {
    pub method: String,
    pub req_id: Option<u64>,
    /// `false` when Kraken refused the request; `true` for `pong`.
    pub success: bool,
    pub error: Option<KrakenError>,
    pub result: ReplyResult,
    pub time_in: Option<Timestamp>,
    pub time_out: Option<Timestamp>,
    /// The symbol a failed subscribe names (`XDG/USD`).
    pub symbol: Option<String>,
}

#[derive(Deserialize)]
struct RawReply {
    method: String,
    #[serde(default)]
    req_id: Option<u64>,
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    result: Option<Box<RawValue>>,
    #[serde(default, deserialize_with = "de::opt_rfc3339")]
    time_in: Option<Timestamp>,
    #[serde(default, deserialize_with = "de::opt_rfc3339")]
    time_out: Option<Timestamp>,
    #[serde(default)]
    symbol: Option<String>,
}

/// Parse a method reply from its text.
pub fn parse_reply(text: &str) -> Result<MethodReply, ParseError> {
    let raw: RawReply = parse("WS method reply", text)?;
    let success = raw.success.unwrap_or(raw.error.is_none());
    let what = format!("WS {} result", raw.method);
    let result = match (&raw.result, success) {
        (Some(r), true) => {
            let t = r.get();
            match raw.method.as_str() {
                "add_order" => ReplyResult::AddOrder(parse(&what, t)?),
                "amend_order" => ReplyResult::AmendOrder(parse(&what, t)?),
                "cancel_order" => ReplyResult::CancelOrder(parse(&what, t)?),
                "batch_add" => ReplyResult::BatchAdd(match parse::<BatchShape>(&what, t)? {
                    BatchShape::List(v) | BatchShape::Wrapped { orders: v } => v,
                }),
                "batch_cancel" => ReplyResult::BatchCancel(parse(&what, t)?),
                "cancel_all" => ReplyResult::CancelAll(parse(&what, t)?),
                "cancel_all_orders_after" => ReplyResult::CancelAllOrdersAfter(parse(&what, t)?),
                "subscribe" | "unsubscribe" => ReplyResult::Subscribe(parse(&what, t)?),
                _ => ReplyResult::Other(t.to_string()),
            }
        }
        _ => ReplyResult::None,
    };
    Ok(MethodReply {
        method: raw.method,
        req_id: raw.req_id,
        success,
        error: raw.error.as_deref().map(KrakenError::parse),
        result,
        time_in: raw.time_in,
        time_out: raw.time_out,
        symbol: raw.symbol,
    })
}
