//! The market feed against a local server replaying fixtures: status, instrument, a book
//! snapshot and updates that verify, trades and ticker come out typed; a corrupted checksum
//! triggers one resync (unsubscribe + subscribe), updates are skipped until the fresh
//! snapshot, and the top of book is back after it.

use std::sync::Arc;
use std::time::Duration;

use flywheel_core::{Price, Qty, Side};
use flywheel_kraken::book::Resubscribe;
use flywheel_kraken::net::backoff::BackoffConfig;
use flywheel_kraken::net::clock::ManualClock;
use flywheel_kraken::net::market::{spawn_market, MarketConfig, MarketInput};
use flywheel_kraken::net::ws::WsConfig;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn p(s: &str) -> Price {
    s.parse().expect("price literal")
}
fn q(s: &str) -> Qty {
    s.parse().expect("qty literal")
}

/// Serves one connection: after the 4 subscriptions, replays the fixtures and a corrupted
/// update; after the book is resubscribed, a fresh snapshot. Reports every frame received.
async fn server() -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener.local_addr().expect("local address");
    let (seen_tx, seen_rx) = mpsc::unbounded_channel();
    let book: Vec<String> = fixture("ws_book_doge.jsonl")
        .lines()
        .map(str::to_string)
        .collect();
    let corrupted = book[2].replace("767623755", "767623756");
    assert_ne!(corrupted, book[2]);
    let script = vec![
        fixture("ws_status.json"),
        fixture("ws_instrument.json"),
        book[0].clone(),
        book[1].clone(),
        book[2].clone(),
        fixture("ws_trade.json"),
        fixture("ws_ticker.json"),
        corrupted,
        // Arrives before the fresh snapshot: skipped, no second resync.
        book[1].clone(),
    ];
    tokio::spawn(async move {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else {
            return;
        };
        let (mut tx, mut rx) = ws.split();
        let mut subscribes = 0;
        let mut unsubscribed = false;
        while let Some(Ok(m)) = rx.next().await {
            let Message::Text(t) = m else { continue };
            let t = t.to_string();
            let _ = seen_tx.send(t.clone());
            if t.contains(r#""method":"unsubscribe""#) {
                unsubscribed = true;
            } else if t.contains(r#""method":"subscribe""#) {
                subscribes += 1;
                if subscribes == 4 {
                    for frame in &script {
                        let _ = tx.send(Message::text(frame.trim().to_string())).await;
                    }
                } else if unsubscribed && t.contains(r#""channel":"book""#) {
                    let _ = tx.send(Message::text(book[0].clone())).await;
                }
            }
            let _ = tx.send(Message::text(r#"{"channel":"heartbeat"}"#)).await;
        }
    });
    (format!("ws://{addr}"), seen_rx)
}

async fn next(rx: &mut mpsc::Receiver<MarketInput>) -> MarketInput {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("an input within 5 s")
        .expect("the stream is open")
}

#[tokio::test]
async fn book_verified_and_resynced_after_a_bad_checksum() {
    let (url, mut seen) = server().await;
    let cfg = MarketConfig {
        ws: WsConfig {
            url,
            heartbeat_timeout: Duration::from_secs(2),
            ping_interval: Duration::from_millis(500),
            backoff: BackoffConfig {
                base: Duration::from_millis(10),
                cap: Duration::from_millis(40),
                reset_after: Duration::from_secs(60),
            },
            ..WsConfig::public()
        },
        ..MarketConfig::new("DOGE/USD")
    };
    let (feed, mut rx) = spawn_market(cfg, Arc::new(ManualClock::default()));

    assert_eq!(next(&mut rx).await, MarketInput::Connected { session: 1 });
    let MarketInput::Status(status) = next(&mut rx).await else {
        panic!("status")
    };
    assert_eq!(status.system, "online");
    let MarketInput::Instrument(pair) = next(&mut rx).await else {
        panic!("instrument")
    };
    assert_eq!(pair.symbol, "DOGE/USD", "other pairs are filtered out");

    let snapshot_top = MarketInput::Top {
        bid: Some((p("0.18431"), q("5400"))),
        ask: Some((p("0.184321"), q("1250"))),
        ts: flywheel_kraken::time::parse_rfc3339("2025-10-10T12:00:00Z").expect("time"),
    };
    assert_eq!(next(&mut rx).await, snapshot_top);
    let MarketInput::Top { bid, .. } = next(&mut rx).await else {
        panic!("top after update 1")
    };
    assert_eq!(bid, Some((p("0.184315"), q("75"))));
    let MarketInput::Top { ask, .. } = next(&mut rx).await else {
        panic!("top after update 2")
    };
    assert_eq!(ask, Some((p("0.18432"), q("10"))));

    let MarketInput::Trade {
        price,
        qty,
        side,
        trade_id,
        ..
    } = next(&mut rx).await
    else {
        panic!("trade")
    };
    assert_eq!(
        (price, qty, side, trade_id),
        (p("0.18431"), q("1250.5"), Side::Sell, 80012400)
    );
    assert!(matches!(
        next(&mut rx).await,
        MarketInput::Trade {
            trade_id: 80012401,
            ..
        }
    ));
    assert!(matches!(next(&mut rx).await, MarketInput::Ticker(t) if t.symbol == "DOGE/USD"));

    let MarketInput::BookResync { reason } = next(&mut rx).await else {
        panic!("resync")
    };
    assert!(
        matches!(
            reason,
            Resubscribe::ChecksumMismatch {
                expected: 767623756,
                ..
            }
        ),
        "{reason:?}"
    );
    // The skipped update produced nothing; the fresh snapshot gives the top again.
    assert_eq!(next(&mut rx).await, snapshot_top);
    assert_eq!(feed.checksum_mismatches(), 1);

    let mut frames = Vec::new();
    while let Ok(f) = seen.try_recv() {
        frames.push(f);
    }
    let unsubs = frames.iter().filter(|f| f.contains("unsubscribe")).count();
    assert_eq!(unsubs, 1, "one resync per episode: {frames:?}");
    feed.shutdown();
}
