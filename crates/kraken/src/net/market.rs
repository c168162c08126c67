//! Public market feed for one symbol, on top of the WS supervisor.
//!
//! [`spawn_market`] subscribes `instrument`, `book` (depth 10 by default), `trade` and
//! `ticker` for one WS v2 symbol (`DOGE/USD`), keeps a verified [`L2Book`], and emits typed
//! [`MarketInput`]s. The bookkeeping is the pure [`MarketState`]; the task only moves
//! [`WsInput`]s in and [`MarketInput`]s out and asks the supervisor to resubscribe.
//!
//! Invariants:
//! - Every book message is checked against Kraken's CRC32 checksum; [`MarketInput::Top`] is
//!   emitted only after a message that verified, so a consumer never sees a top of book from
//!   a corrupt local book.
//! - On a mismatch (or an update with no snapshot), the book is resubscribed
//!   (unsubscribe + subscribe), [`MarketInput::BookResync`] says why, and updates are skipped
//!   until the fresh snapshot (which replaces the whole book) arrives; one resync is asked
//!   per episode, not one per skipped update.
//! - Each new connection starts from an empty book waiting for its snapshot.
//! - Frames of other symbols, heartbeats, method replies and unmodelled channels are not
//!   market inputs and are not forwarded; malformed frames are (never silently dropped).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flywheel_core::{Price, Qty, Side, Timestamp};
use tokio::sync::mpsc;

use super::clock::Clock;
use super::ws::{spawn_ws, ConnectError, DisconnectReason, WsConfig, WsHandle, WsInput};
use crate::book::{L2Book, Resubscribe};
use crate::json::ParseError;
use crate::ws::market::{FeedType, InstrumentPair, StatusData, TickerData};
use crate::ws::requests::Subscription;
use crate::ws::WsMessage;

/// Settings of a market feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketConfig {
    pub ws: WsConfig,
    /// WS v2 symbol (`DOGE/USD`, never the v1 `XDG/USD`).
    pub symbol: String,
    /// Book depth to subscribe (10, 25, 100, 500, 1000).
    pub depth: u32,
    /// Also emit every parsed frame verbatim ([`MarketInput::Frame`]), before what it
    /// decodes to: a recording of the raw public feed.
    pub frames: bool,
}

impl MarketConfig {
    /// Kraken's public endpoint, depth 10.
    pub fn new(symbol: &str) -> Self {
        MarketConfig {
            ws: WsConfig::public(),
            symbol: symbol.to_string(),
            depth: 10,
            frames: false,
        }
    }

    /// The book subscription (also what a resync resubscribes).
    pub fn book_subscription(&self) -> Subscription {
        Subscription::Book {
            symbols: vec![self.symbol.clone()],
            depth: self.depth,
        }
    }

    /// Everything the feed subscribes to, in order.
    pub fn subscriptions(&self) -> Vec<Subscription> {
        let symbols = vec![self.symbol.clone()];
        vec![
            Subscription::Instrument,
            self.book_subscription(),
            Subscription::Trade {
                symbols: symbols.clone(),
            },
            Subscription::Ticker { symbols },
        ]
    }
}

/// One event of the market feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MarketInput {
    Connected {
        session: u64,
    },
    Disconnected {
        session: u64,
        reason: DisconnectReason,
    },
    ConnectFailed {
        error: ConnectError,
        retry_in: std::time::Duration,
    },
    /// The symbol's trading rules (tick, lot, minimums, status).
    Instrument(InstrumentPair),
    /// One public trade.
    Trade {
        price: Price,
        qty: Qty,
        side: Side,
        ts: Timestamp,
        trade_id: u64,
    },
    /// Best bid and ask after a verified book message (exchange time, else receipt time).
    Top {
        bid: Option<(Price, Qty)>,
        ask: Option<(Price, Qty)>,
        ts: Timestamp,
    },
    Ticker(TickerData),
    /// Exchange state (`online | cancel_only | maintenance | post_only`).
    Status(StatusData),
    /// The book is being rebuilt from a fresh snapshot.
    BookResync {
        reason: Resubscribe,
    },
    Malformed {
        error: ParseError,
        text: String,
    },
    /// A frame verbatim with its receipt time (only with [`MarketConfig::frames`]); the
    /// inputs it decodes to follow it.
    Frame {
        raw: Arc<str>,
        received_at: Timestamp,
    },
}

/// What one [`WsInput`] produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    pub out: Vec<MarketInput>,
    /// Ask the supervisor to resubscribe the book.
    pub resubscribe_book: bool,
}

/// The pure bookkeeping of a market feed.
#[derive(Clone, Debug)]
pub struct MarketState {
    symbol: String,
    depth: usize,
    book: L2Book,
    /// A snapshot is due (new connection or resync): updates until then are skipped.
    awaiting_snapshot: bool,
    mismatches: u64,
    skipped_updates: u64,
}

impl MarketState {
    pub fn new(symbol: &str, depth: u32) -> Self {
        let depth = usize::try_from(depth).unwrap_or(usize::MAX);
        MarketState {
            symbol: symbol.to_string(),
            depth,
            book: L2Book::new(symbol, depth),
            awaiting_snapshot: true,
            mismatches: 0,
            skipped_updates: 0,
        }
    }

    pub fn book(&self) -> &L2Book {
        &self.book
    }
    /// Checksum mismatches seen so far.
    pub fn mismatches(&self) -> u64 {
        self.mismatches
    }
    /// Book updates skipped while waiting for a snapshot.
    pub fn skipped_updates(&self) -> u64 {
        self.skipped_updates
    }

    pub fn on_input(&mut self, input: WsInput) -> Step {
        let mut step = Step::default();
        match input {
            WsInput::Connected { session, .. } => {
                self.book = L2Book::new(&self.symbol, self.depth);
                self.awaiting_snapshot = true;
                step.out.push(MarketInput::Connected { session });
            }
            WsInput::Disconnected { session, reason } => {
                step.out.push(MarketInput::Disconnected { session, reason });
            }
            WsInput::ConnectFailed { error, retry_in } => {
                step.out
                    .push(MarketInput::ConnectFailed { error, retry_in });
            }
            WsInput::Malformed { error, text, .. } => {
                step.out.push(MarketInput::Malformed { error, text });
            }
            WsInput::Message {
                msg, received_at, ..
            } => self.on_message(msg, received_at, &mut step),
        }
        step
    }

    fn on_message(&mut self, msg: WsMessage, received_at: Timestamp, step: &mut Step) {
        let mine = |s: &str| s == self.symbol;
        match msg {
            WsMessage::Book(b) => {
                for data in b.data.iter().filter(|d| mine(&d.symbol)) {
                    if b.kind == FeedType::Update && self.awaiting_snapshot {
                        self.skipped_updates += 1;
                        continue;
                    }
                    match self.book.apply(b.kind, data) {
                        Ok(()) => {
                            self.awaiting_snapshot = false;
                            step.out.push(MarketInput::Top {
                                bid: self.book.best_bid(),
                                ask: self.book.best_ask(),
                                ts: data.timestamp.unwrap_or(received_at),
                            });
                        }
                        Err(reason) => {
                            if matches!(reason, Resubscribe::ChecksumMismatch { .. }) {
                                self.mismatches += 1;
                            }
                            self.awaiting_snapshot = true;
                            step.resubscribe_book = true;
                            step.out.push(MarketInput::BookResync { reason });
                        }
                    }
                }
            }
            WsMessage::Trade(t) => {
                step.out
                    .extend(t.data.into_iter().filter(|d| mine(&d.symbol)).map(|d| {
                        MarketInput::Trade {
                            price: d.price,
                            qty: d.qty,
                            side: d.side,
                            ts: d.timestamp,
                            trade_id: d.trade_id,
                        }
                    }));
            }
            WsMessage::Ticker(t) => step.out.extend(
                t.data
                    .into_iter()
                    .filter(|d| mine(&d.symbol))
                    .map(MarketInput::Ticker),
            ),
            WsMessage::Instrument(i) => step.out.extend(
                i.data
                    .pairs
                    .into_iter()
                    .filter(|p| mine(&p.symbol))
                    .map(MarketInput::Instrument),
            ),
            WsMessage::Status(s) => step.out.extend(s.data.into_iter().map(MarketInput::Status)),
            WsMessage::Heartbeat
            | WsMessage::Reply(_)
            | WsMessage::Executions(_)
            | WsMessage::Balances(_)
            | WsMessage::Unknown(_) => {}
        }
    }
}

/// Handle to a market feed.
#[derive(Clone, Debug)]
pub struct MarketHandle {
    ws: WsHandle,
    mismatches: Arc<AtomicU64>,
}

impl MarketHandle {
    /// The underlying connection (state, shutdown).
    pub fn ws(&self) -> &WsHandle {
        &self.ws
    }
    /// Book checksum mismatches so far (`book_checksum_mismatch_total`).
    pub fn checksum_mismatches(&self) -> u64 {
        self.mismatches.load(Ordering::Relaxed)
    }
    pub fn shutdown(&self) {
        self.ws.shutdown();
    }
}

/// Start the feed on the current tokio runtime.
pub fn spawn_market(
    cfg: MarketConfig,
    clock: Arc<dyn Clock>,
) -> (MarketHandle, mpsc::Receiver<MarketInput>) {
    let capacity = cfg.ws.channel_capacity.max(1);
    let (ws, mut ws_rx) = spawn_ws(cfg.ws.clone(), cfg.subscriptions(), None, clock);
    let (tx, rx) = mpsc::channel(capacity);
    let mismatches = Arc::new(AtomicU64::new(0));
    let handle = MarketHandle {
        ws: ws.clone(),
        mismatches: mismatches.clone(),
    };
    let book_sub = cfg.book_subscription();
    let mut state = MarketState::new(&cfg.symbol, cfg.depth);
    let frames = cfg.frames;
    tokio::spawn(async move {
        while let Some(input) = ws_rx.recv().await {
            let frame = match &input {
                WsInput::Message {
                    raw, received_at, ..
                } if frames => Some(MarketInput::Frame {
                    raw: raw.clone(),
                    received_at: *received_at,
                }),
                _ => None,
            };
            let mut step = state.on_input(input);
            if let Some(f) = frame {
                step.out.insert(0, f);
            }
            mismatches.store(state.mismatches(), Ordering::Relaxed);
            if step.resubscribe_book {
                // Not connected: the next connection subscribes (and snapshots) anyway.
                let _ = ws.resubscribe(book_sub.clone());
            }
            for out in step.out {
                if tx.send(out).await.is_err() {
                    ws.shutdown();
                    return;
                }
            }
        }
    });
    (handle, rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ws::parse_message;

    fn book(kind: &str, bid: &str, ask: &str, checksum: u32) -> WsInput {
        let text = format!(
            r#"{{"channel":"book","type":"{kind}","data":[{{"symbol":"DOGE/USD","bids":[{bid}],"asks":[{ask}],"checksum":{checksum}}}]}}"#
        );
        WsInput::Message {
            session: 1,
            msg: parse_message(&text).expect("book frame"),
            received_at: Timestamp::from_millis(7),
            raw: Arc::from(text.as_str()),
        }
    }

    #[test]
    fn resync_once_per_episode_and_reset_on_connect() {
        let mut st = MarketState::new("DOGE/USD", 10);
        let bid = r#"{"price":0.1,"qty":10}"#;
        let ask = r#"{"price":0.2,"qty":5}"#;
        // Checksum input: ask "2" "5", bid "1" "10".
        let good = crc32fast::hash(b"25110");

        let early = st.on_input(book("update", bid, ask, good));
        assert_eq!(
            early,
            Step::default(),
            "update before the snapshot: skipped"
        );
        assert_eq!(st.skipped_updates(), 1);

        let snap = st.on_input(book("snapshot", bid, ask, good));
        assert_eq!(
            snap.out,
            vec![MarketInput::Top {
                bid: Some(("0.1".parse().expect("p"), "10".parse().expect("q"))),
                ask: Some(("0.2".parse().expect("p"), "5".parse().expect("q"))),
                ts: Timestamp::from_millis(7),
            }]
        );

        let bad = st.on_input(book("update", "", "", good ^ 1));
        assert!(bad.resubscribe_book);
        assert!(matches!(
            bad.out.as_slice(),
            [MarketInput::BookResync {
                reason: Resubscribe::ChecksumMismatch { .. }
            }]
        ));
        assert_eq!(st.mismatches(), 1);
        let skipped = st.on_input(book("update", "", "", good));
        assert_eq!(skipped, Step::default(), "no second resync");

        let conn = st.on_input(WsInput::Connected {
            session: 2,
            token: None,
        });
        assert_eq!(conn.out, vec![MarketInput::Connected { session: 2 }]);
        assert_eq!(st.book().best_bid(), None, "a new connection starts empty");
    }
}
