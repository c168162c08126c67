//! The public WebSocket (`/v2`): `status` on connect and on change, `heartbeat` once anything
//! is subscribed, `instrument`, `book` (depth 10, checksummed), `trade`, `ticker`, `ping`.
//!
//! Invariants:
//! - A subscriber gets a channel's snapshot, then only updates published after it: frames
//!   carry the state's sequence number and those at or below the snapshot's are skipped, so
//!   the book a client builds always matches the checksums.
//! - `XDG/USD` (a v1 name) is refused like Kraken does: `Currency pair not supported XDG/USD`.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::StreamExt;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::MissedTickBehavior;

use crate::faults::Feed;
use crate::frames;
use crate::server::Shared;
use crate::state::PubChannel;
use crate::wsreq::{send, Request, SubscribeParams};

pub async fn upgrade(ws: WebSocketUpgrade, State(sh): State<Arc<Shared>>) -> Response {
    ws.on_upgrade(move |socket| run(sh, socket))
}

/// Per-connection subscriptions: the sequence of each channel's snapshot (`None`: not
/// subscribed).
#[derive(Default)]
struct Subs {
    book: Option<u64>,
    trade: Option<u64>,
    ticker: Option<u64>,
    instrument: bool,
}

impl Subs {
    fn any(&self) -> bool {
        self.book.is_some() || self.trade.is_some() || self.ticker.is_some() || self.instrument
    }
    fn wants(&self, ch: PubChannel, seq: u64) -> bool {
        let after = |s: Option<u64>| s.is_some_and(|snap| seq > snap);
        match ch {
            PubChannel::Status => true,
            PubChannel::Book => after(self.book),
            PubChannel::Trade => after(self.trade),
            PubChannel::Ticker => after(self.ticker),
        }
    }
}

async fn run(sh: Arc<Shared>, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let mut frames_rx = sh.public_tx.subscribe();
    let mut drop_rx = sh.public.drop_gen.subscribe();
    drop_rx.mark_unchanged();
    let mut stop = sh.shutdown.subscribe();
    let mut hb = tokio::time::interval(sh.cfg.heartbeat);
    hb.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut subs = Subs::default();
    let status = frames::status(sh.lock().status.as_str(), 1);
    if !send(&sh, Feed::Public, &mut sink, &status).await {
        return;
    }
    loop {
        tokio::select! {
            msg = stream.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t.to_string(),
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                for out in handle(&sh, &mut subs, &text) {
                    if !send(&sh, Feed::Public, &mut sink, &out).await {
                        return;
                    }
                }
            }
            out = frames_rx.recv() => match out {
                Ok(f) if subs.wants(f.channel, f.seq) => {
                    if !send(&sh, Feed::Public, &mut sink, &f.text).await {
                        return;
                    }
                }
                Ok(_) => {}
                // Too slow a reader: Kraken would drop it too; the client reconnects.
                Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => return,
            },
            _ = hb.tick() => {
                if subs.any() && sh.public.stalled_until().is_none()
                    && !send(&sh, Feed::Public, &mut sink, &frames::heartbeat()).await {
                    return;
                }
            }
            _ = drop_rx.changed() => return,
            _ = crate::server::stopped(&mut stop) => return,
        }
    }
}

/// The frames to send for one request.
fn handle(sh: &Shared, subs: &mut Subs, text: &str) -> Vec<String> {
    let t_in = sh.now();
    let Some(req) = Request::parse(text) else {
        return vec![frames::reply_err(
            "unknown",
            None,
            "EGeneral:Invalid arguments",
            None,
            t_in,
            sh.now(),
        )];
    };
    let id = req.req_id();
    match req.method.as_str() {
        "ping" => vec![frames::pong(id, t_in, sh.now())],
        "subscribe" | "unsubscribe" => {
            let p: SubscribeParams = match req.params() {
                Ok(p) => p,
                Err(e) => {
                    return vec![frames::reply_err(&req.method, id, &e, None, t_in, sh.now())]
                }
            };
            subscribe(sh, subs, &req.method, id, &p, t_in)
        }
        m => vec![frames::reply_err(
            m,
            id,
            "EGeneral:Unknown method",
            None,
            t_in,
            sh.now(),
        )],
    }
}

fn subscribe(
    sh: &Shared,
    subs: &mut Subs,
    method: &str,
    id: Option<u64>,
    p: &SubscribeParams,
    t_in: flywheel_core::Timestamp,
) -> Vec<String> {
    let symbol = &sh.cfg.names.symbol;
    let unsub = method == "unsubscribe";
    let channel = p.channel.as_str();
    if !matches!(channel, "book" | "trade" | "ticker" | "instrument") {
        return vec![frames::reply_err(
            method,
            id,
            "EGeneral:Invalid arguments:channel",
            None,
            t_in,
            sh.now(),
        )];
    }
    if channel != "instrument" {
        let symbols = p.symbol.clone().unwrap_or_default();
        if let Some(bad) = symbols.iter().find(|s| *s != symbol) {
            let e = format!("Currency pair not supported {bad}");
            return vec![frames::reply_err(method, id, &e, Some(bad), t_in, sh.now())];
        }
        if symbols.is_empty() {
            return vec![frames::reply_err(
                method,
                id,
                "EGeneral:Invalid arguments:symbol",
                None,
                t_in,
                sh.now(),
            )];
        }
    }
    let st = sh.lock();
    let now = sh.now();
    let seq = st.seq();
    let mut out = Vec::new();
    let mut result = serde_json::json!({ "channel": channel });
    if channel != "instrument" {
        result["symbol"] = serde_json::json!(symbol);
    }
    match channel {
        "book" => {
            let depth = p.depth.unwrap_or(10);
            result["depth"] = serde_json::json!(depth);
            result["snapshot"] = serde_json::json!(true);
            subs.book = (!unsub).then_some(seq);
        }
        "trade" => {
            result["snapshot"] = serde_json::json!(false);
            subs.trade = (!unsub).then_some(seq);
        }
        "ticker" => subs.ticker = (!unsub).then_some(seq),
        _ => subs.instrument = !unsub,
    }
    out.push(frames::reply_ok(method, id, result, t_in, now));
    if !unsub {
        match channel {
            "book" => out.push(st.book_snapshot_frame(now)),
            "ticker" => out.push(st.ticker_frame("snapshot", now)),
            "instrument" => out.push(st.instrument_frame()),
            _ => {}
        }
    }
    out
}
