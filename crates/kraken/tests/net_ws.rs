//! The WS v2 supervisor against a scripted local tokio-tungstenite server (no internet): a
//! silent server is declared dead after the heartbeat timeout, a closed socket and a refused
//! subscribe reconnect with a fresh token and resubscribe, a malformed frame is reported,
//! frames are written only on their session, shutdown ends the stream. Timeouts are tiny
//! (300 ms heartbeat) so the suite stays fast.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use flywheel_kraken::net::backoff::BackoffConfig;
use flywheel_kraken::net::clock::ManualClock;
use flywheel_kraken::net::ws::{
    spawn_ws, DisconnectReason, NotConnected, TokenError, TokenFuture, TokenSource, WsConfig,
    WsInput,
};
use flywheel_kraken::secret::Redacted;
use flywheel_kraken::ws::requests::Subscription;
use flywheel_kraken::ws::WsMessage;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// What the server does on one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behavior {
    /// Read everything, send nothing.
    Silent,
    /// Close the socket after the first frame received.
    CloseAfterFirst,
    /// Refuse the first subscribe as Kraken does for a bad token.
    RefuseSubscribe,
    /// Send a broken frame, then heartbeats.
    Malformed,
    /// A heartbeat every 50 ms.
    Heartbeats,
}

const BROKEN: &str = r#"{"channel":"book","type":"snapshot","data":[{"symbol":"#;

/// A server whose n-th connection follows `script[n]` (then `Heartbeats`); every text frame
/// received is reported as (connection index, text).
async fn server(script: Vec<Behavior>) -> (String, mpsc::UnboundedReceiver<(usize, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener.local_addr().expect("local address");
    let (seen_tx, seen_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut idx = 0;
        while let Ok((tcp, _)) = listener.accept().await {
            let behavior = script.get(idx).copied().unwrap_or(Behavior::Heartbeats);
            let seen = seen_tx.clone();
            let conn = idx;
            idx += 1;
            tokio::spawn(async move {
                if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                    run_conn(ws, conn, behavior, seen).await;
                }
            });
        }
    });
    (format!("ws://{addr}"), seen_rx)
}

async fn run_conn(
    ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    conn: usize,
    behavior: Behavior,
    seen: mpsc::UnboundedSender<(usize, String)>,
) {
    let (mut tx, mut rx) = ws.split();
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    let mut first = true;
    if behavior == Behavior::Malformed {
        let _ = tx.send(Message::text(BROKEN)).await;
    }
    loop {
        tokio::select! {
            m = rx.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    let _ = seen.send((conn, t.to_string()));
                    if std::mem::take(&mut first) {
                        match behavior {
                            Behavior::CloseAfterFirst => {
                                let _ = tx.send(Message::Close(None)).await;
                                return;
                            }
                            Behavior::RefuseSubscribe => {
                                let _ = tx.send(Message::text(
                                    r#"{"method":"subscribe","req_id":1,"success":false,"error":"EAPI:Invalid token","time_in":"2025-10-10T12:00:00.000000Z","time_out":"2025-10-10T12:00:00.000100Z"}"#,
                                )).await;
                            }
                            _ => {}
                        }
                    }
                }
                Some(Ok(_)) => {}
                _ => return,
            },
            _ = tick.tick() => {
                if behavior != Behavior::Silent
                    && tx.send(Message::text(r#"{"channel":"heartbeat"}"#)).await.is_err()
                {
                    return;
                }
            }
        }
    }
}

fn config(url: &str, name: &str) -> WsConfig {
    WsConfig {
        url: url.to_string(),
        name: name.to_string(),
        heartbeat_timeout: Duration::from_millis(300),
        ping_interval: Duration::from_millis(100),
        connect_timeout: Duration::from_secs(2),
        backoff: BackoffConfig {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(40),
            reset_after: Duration::from_secs(60),
        },
        jitter_seed: 1,
        channel_capacity: 64,
    }
}

/// Counts fetches and hands out `tok-1`, `tok-2`, …
#[derive(Default)]
struct CountingTokens(AtomicUsize);

impl TokenSource for CountingTokens {
    fn token(&self) -> TokenFuture<'_> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Box::pin(async move { Ok::<_, TokenError>(Redacted::new(format!("tok-{n}"))) })
    }
}

/// The next input that is not a heartbeat message (within 5 s).
async fn next(rx: &mut mpsc::Receiver<WsInput>) -> WsInput {
    loop {
        let input = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("an input within 5 s")
            .expect("the stream is open");
        match &input {
            WsInput::Message {
                msg: WsMessage::Heartbeat,
                ..
            } => continue,
            _ => return input,
        }
    }
}

/// Frames the server saw, until one contains `needle` (within 5 s).
async fn seen_until(
    seen: &mut mpsc::UnboundedReceiver<(usize, String)>,
    needle: &str,
) -> Vec<(usize, String)> {
    let mut all = Vec::new();
    loop {
        let f = tokio::time::timeout(Duration::from_secs(5), seen.recv())
            .await
            .unwrap_or_else(|_| panic!("no frame with {needle:?}; saw {all:?}"))
            .expect("server alive");
        let hit = f.1.contains(needle);
        all.push(f);
        if hit {
            return all;
        }
    }
}

fn book() -> Subscription {
    Subscription::Book {
        symbols: vec!["DOGE/USD".into()],
        depth: 10,
    }
}

#[tokio::test]
async fn silent_server_is_dead_after_the_heartbeat_timeout() {
    let (url, mut seen) = server(vec![Behavior::Silent]).await;
    let (ws, mut rx) = spawn_ws(
        config(&url, "public"),
        vec![book()],
        None,
        Arc::new(ManualClock::default()),
    );
    assert_eq!(
        next(&mut rx).await,
        WsInput::Connected {
            session: 1,
            token: None
        }
    );
    // While silent, the client pings (ping_interval 100 ms < heartbeat 300 ms).
    let frames = seen_until(&mut seen, r#""method":"ping""#).await;
    assert!(
        frames[0].1.contains(r#""method":"subscribe""#),
        "{frames:?}"
    );
    let WsInput::Disconnected { session, reason } = next(&mut rx).await else {
        panic!("not a disconnect")
    };
    assert_eq!(session, 1);
    assert!(
        matches!(reason, DisconnectReason::Silent { silent_ms } if silent_ms >= 300),
        "{reason:?}"
    );
    assert_eq!(
        next(&mut rx).await,
        WsInput::Connected {
            session: 2,
            token: None
        }
    );
    // The new session resubscribed and is alive.
    let frames = seen_until(&mut seen, "subscribe").await;
    assert_eq!(frames.last().map(|f| f.0), Some(1));
    let heartbeat = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .expect("heartbeat")
        .expect("open");
    assert!(matches!(
        heartbeat,
        WsInput::Message {
            session: 2,
            msg: WsMessage::Heartbeat,
            ..
        }
    ));
    let state = ws.state();
    assert!(state.connected);
    assert_eq!((state.session, state.reconnects), (2, 1));
    assert!(state.last_message_age.expect("age") < Duration::from_millis(300));
    ws.shutdown();
}

#[tokio::test]
async fn closed_socket_reconnects_with_a_fresh_token_and_resubscribes() {
    let (url, mut seen) = server(vec![Behavior::CloseAfterFirst]).await;
    let tokens = Arc::new(CountingTokens::default());
    let (ws, mut rx) = spawn_ws(
        config(&url, "private"),
        vec![Subscription::Executions, Subscription::Balances],
        Some(tokens.clone()),
        Arc::new(ManualClock::default()),
    );
    let connected = next(&mut rx).await;
    assert_eq!(
        connected,
        WsInput::Connected {
            session: 1,
            token: Some(Redacted::new("tok-1".into()))
        }
    );
    assert!(
        !format!("{connected:?}").contains("tok-1"),
        "token redacted"
    );
    let WsInput::Disconnected { session: 1, reason } = next(&mut rx).await else {
        panic!("not a disconnect of session 1")
    };
    assert!(
        matches!(reason, DisconnectReason::Closed { .. }),
        "{reason:?}"
    );
    assert_eq!(
        next(&mut rx).await,
        WsInput::Connected {
            session: 2,
            token: Some(Redacted::new("tok-2".into()))
        }
    );
    assert_eq!(
        tokens.0.load(Ordering::SeqCst),
        2,
        "one token per connection"
    );
    let frames = seen_until(&mut seen, r#""channel":"balances""#).await;
    let frames: Vec<_> = if frames.iter().any(|f| f.0 == 1) {
        frames
    } else {
        seen_until(&mut seen, r#""channel":"balances""#).await
    };
    let second: Vec<&String> = frames.iter().filter(|f| f.0 == 1).map(|f| &f.1).collect();
    assert!(
        second
            .iter()
            .any(|f| f.contains(r#""channel":"executions""#) && f.contains("tok-2")),
        "{second:?}"
    );
    ws.shutdown();
}

#[tokio::test]
async fn refused_subscribe_reconnects_with_a_fresh_token() {
    let (url, _seen) = server(vec![Behavior::RefuseSubscribe]).await;
    let tokens = Arc::new(CountingTokens::default());
    let (ws, mut rx) = spawn_ws(
        config(&url, "private"),
        vec![Subscription::Executions],
        Some(tokens.clone()),
        Arc::new(ManualClock::default()),
    );
    assert!(matches!(
        next(&mut rx).await,
        WsInput::Connected { session: 1, .. }
    ));
    // The refusal itself is delivered, then the session ends.
    let WsInput::Message {
        msg: WsMessage::Reply(reply),
        ..
    } = next(&mut rx).await
    else {
        panic!("the refusal reply")
    };
    assert!(!reply.success);
    assert_eq!(
        next(&mut rx).await,
        WsInput::Disconnected {
            session: 1,
            reason: DisconnectReason::SubscribeRefused {
                error: "EAPI:Invalid token".into()
            }
        }
    );
    assert_eq!(
        next(&mut rx).await,
        WsInput::Connected {
            session: 2,
            token: Some(Redacted::new("tok-2".into()))
        }
    );
    ws.shutdown();
}

#[tokio::test]
async fn malformed_frame_is_reported_verbatim() {
    let (url, _seen) = server(vec![Behavior::Malformed]).await;
    let (ws, mut rx) = spawn_ws(
        config(&url, "public"),
        vec![book()],
        None,
        Arc::new(ManualClock::new(flywheel_core::Timestamp::from_millis(42))),
    );
    assert!(matches!(
        next(&mut rx).await,
        WsInput::Connected { session: 1, .. }
    ));
    let WsInput::Malformed {
        session,
        error,
        text,
    } = next(&mut rx).await
    else {
        panic!("not malformed")
    };
    assert_eq!((session, text.as_str()), (1, BROKEN));
    assert_eq!(error.what, "WS frame");
    // The feed goes on: the next frame is a message stamped by the clock.
    let input = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .expect("a message")
        .expect("open");
    assert_eq!(
        input,
        WsInput::Message {
            session: 1,
            msg: WsMessage::Heartbeat,
            received_at: flywheel_core::Timestamp::from_millis(42),
            raw: r#"{"channel":"heartbeat"}"#.into(),
        }
    );
    ws.shutdown();
}

#[tokio::test]
async fn send_resubscribe_and_shutdown() {
    let (url, mut seen) = server(vec![Behavior::Heartbeats]).await;
    let (ws, mut rx) = spawn_ws(
        config(&url, "public"),
        vec![book()],
        None,
        Arc::new(ManualClock::default()),
    );
    assert!(matches!(
        next(&mut rx).await,
        WsInput::Connected { session: 1, .. }
    ));
    assert_eq!(ws.send(r#"{"method":"ping","req_id":77}"#.into()), Ok(1));
    seen_until(&mut seen, r#""req_id":77"#).await;
    assert_eq!(ws.resubscribe(book()), Ok(1));
    let frames = seen_until(&mut seen, r#""method":"subscribe""#).await;
    let n = frames.len();
    assert!(n >= 2, "{frames:?}");
    assert!(frames[n - 2].1.contains(r#""method":"unsubscribe""#));
    assert!(frames[n - 2].1.contains(r#""channel":"book""#));
    assert!(frames[n - 1].1.contains(r#""channel":"book""#));

    ws.shutdown();
    assert_eq!(
        next(&mut rx).await,
        WsInput::Disconnected {
            session: 1,
            reason: DisconnectReason::Shutdown
        }
    );
    let end = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .expect("the stream ends");
    assert!(end.is_none());
    assert_eq!(ws.send("x".into()), Err(NotConnected));
    assert!(!ws.state().connected);
}

#[tokio::test]
async fn nothing_listening_gives_connect_failures_and_not_connected() {
    // Bind then drop: a port with nobody listening.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let (ws, mut rx) = spawn_ws(
        config(&format!("ws://127.0.0.1:{port}"), "public"),
        vec![book()],
        None,
        Arc::new(ManualClock::default()),
    );
    for _ in 0..3 {
        let input = next(&mut rx).await;
        assert!(
            matches!(input, WsInput::ConnectFailed { retry_in, .. } if retry_in <= Duration::from_millis(40)),
            "{input:?}"
        );
    }
    assert_eq!(ws.send("x".into()), Err(NotConnected));
    assert!(ws.state().reconnects >= 3);
    ws.shutdown();
}
