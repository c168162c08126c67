//! WebSocket v2 messages: incoming channels and method replies, outgoing requests.
//!
//! [`parse_message`] reads one text frame into a [`WsMessage`]: it first reads only the
//! routing fields (`channel`, `method`), then parses the whole frame again into the typed
//! message, so exact decimals keep their wire text (see [`crate::wire`]).
//!
//! Invariants: every frame gives exactly one `WsMessage` or a [`ParseError`] naming the
//! channel and the JSON path; a frame of a channel or method we do not model is
//! [`WsMessage::Unknown`] with its text verbatim, never dropped.

pub mod market;
pub mod private;
pub mod replies;
pub mod requests;

use serde::Deserialize;

use crate::json::{parse, ParseError};
use market::{BookMsg, InstrumentMsg, StatusMsg, TickerMsg, TradeMsg};
use private::{BalancesMsg, ExecutionsMsg};
use replies::{parse_reply, MethodReply};

/// One incoming frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsMessage {
    Heartbeat,
    Status(StatusMsg),
    Instrument(InstrumentMsg),
    Book(BookMsg),
    Trade(TradeMsg),
    Ticker(TickerMsg),
    Executions(ExecutionsMsg),
    Balances(BalancesMsg),
    /// A reply to one of our requests (including `pong`).
    Reply(MethodReply),
    /// Anything else, verbatim.
    Unknown(String),
}

#[derive(Deserialize)]
struct Route {
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    method: Option<String>,
}

/// Parse one text frame.
pub fn parse_message(text: &str) -> Result<WsMessage, ParseError> {
    let route: Route = parse("WS frame", text)?;
    if let Some(channel) = route.channel.as_deref() {
        let what = format!("WS {channel}");
        return Ok(match channel {
            "heartbeat" => WsMessage::Heartbeat,
            "status" => WsMessage::Status(parse(&what, text)?),
            "instrument" => WsMessage::Instrument(parse(&what, text)?),
            "book" => WsMessage::Book(parse(&what, text)?),
            "trade" => WsMessage::Trade(parse(&what, text)?),
            "ticker" => WsMessage::Ticker(parse(&what, text)?),
            "executions" => WsMessage::Executions(parse(&what, text)?),
            "balances" => WsMessage::Balances(parse(&what, text)?),
            _ => WsMessage::Unknown(text.to_string()),
        });
    }
    if route.method.is_some() {
        return parse_reply(text).map(WsMessage::Reply);
    }
    Ok(WsMessage::Unknown(text.to_string()))
}
