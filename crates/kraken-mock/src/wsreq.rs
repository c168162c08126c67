//! WS v2 requests as the mock reads them, and the socket plumbing both feeds share.
//!
//! Invariants: decimals are read from their raw JSON text (`WireDecimal` over `RawValue`),
//! never through `f64`; a frame that is not a request object gets an error reply, never a
//! panic or a silent drop; every send waits out a running stall of its feed.

use axum::extract::ws::{Message, WebSocket};
use flywheel_kraken::wire::WireDecimal;
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::faults::Feed;
use crate::server::Shared;

/// The envelope of a request.
#[derive(Deserialize)]
pub struct Request {
    pub method: String,
    #[serde(default)]
    pub req_id: Option<serde_json::Value>,
    #[serde(default)]
    pub params: Option<Box<RawValue>>,
}

impl Request {
    pub fn parse(text: &str) -> Option<Request> {
        serde_json::from_str(text).ok()
    }
    /// `req_id` when it is an unsigned integer (the only form echoed).
    pub fn req_id(&self) -> Option<u64> {
        self.req_id.as_ref().and_then(serde_json::Value::as_u64)
    }
    /// The params parsed as `T` (an empty object when absent).
    pub fn params<T: for<'de> Deserialize<'de>>(&self) -> Result<T, String> {
        let text = self.params.as_ref().map_or("{}", |p| p.get());
        serde_json::from_str(text).map_err(|e| {
            let field = e.to_string();
            format!(
                "EGeneral:Invalid arguments:{}",
                field.split(" at line").next().unwrap_or("")
            )
        })
    }
}

#[derive(Deserialize, Default)]
pub struct SubscribeParams {
    pub channel: String,
    #[serde(default)]
    pub symbol: Option<Vec<String>>,
    #[serde(default)]
    pub depth: Option<u32>,
    #[serde(default)]
    pub snap_orders: Option<bool>,
    #[serde(default)]
    pub snap_trades: Option<bool>,
    #[serde(default)]
    pub ratecounter: Option<bool>,
    #[serde(default)]
    pub token: Option<String>,
}

#[derive(Deserialize)]
pub struct OrderParams {
    #[serde(default)]
    pub order_type: Option<String>,
    #[serde(default)]
    pub side: Option<String>,
    #[serde(default)]
    pub symbol: Option<String>,
    #[serde(default)]
    pub limit_price: Option<WireDecimal>,
    #[serde(default)]
    pub order_qty: Option<WireDecimal>,
    #[serde(default)]
    pub post_only: Option<bool>,
    #[serde(default)]
    pub time_in_force: Option<String>,
    #[serde(default)]
    pub cl_ord_id: Option<String>,
}

#[derive(Deserialize)]
pub struct AmendParams {
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub cl_ord_id: Option<String>,
    #[serde(default)]
    pub order_qty: Option<WireDecimal>,
    #[serde(default)]
    pub limit_price: Option<WireDecimal>,
}

#[derive(Deserialize)]
pub struct CancelParams {
    #[serde(default)]
    pub order_id: Option<Vec<String>>,
    #[serde(default)]
    pub cl_ord_id: Option<Vec<String>>,
    /// `batch_cancel` names order ids `orders`.
    #[serde(default)]
    pub orders: Option<Vec<String>>,
}

#[derive(Deserialize)]
pub struct BatchAddParams {
    #[serde(default)]
    pub symbol: Option<String>,
    pub orders: Vec<OrderParams>,
}

#[derive(Deserialize)]
pub struct DeadManParams {
    pub timeout: u64,
}

#[derive(Deserialize)]
pub struct TokenOnly {
    #[serde(default)]
    pub token: Option<String>,
}

pub type Sink = SplitSink<WebSocket, Message>;

/// Send one text frame after any stall of `feed`; false if the socket is gone.
pub async fn send(sh: &Shared, feed: Feed, sink: &mut Sink, text: &str) -> bool {
    if let Some(until) = sh.feed(feed).stalled_until() {
        tokio::time::sleep_until(until).await;
    }
    sink.send(Message::Text(text.to_string().into()))
        .await
        .is_ok()
}
