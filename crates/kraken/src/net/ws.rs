//! WS v2 connection supervisor: connect, authenticate, subscribe, watch, reconnect.
//!
//! [`spawn_ws`] starts one task that keeps one WebSocket connection alive and turns
//! everything that happens on it into a stream of [`WsInput`]s:
//!
//! 1. for a private feed, fetch a **fresh** token from the [`TokenSource`] (a token is only
//!    good for 15 minutes before use, kraken.md §3.7);
//! 2. connect, send every subscription (with the token), then emit
//!    [`WsInput::Connected`] with a new `session` number and the token (the caller needs it
//!    to build trading frames);
//! 3. parse every text frame with [`crate::ws::parse_message`] and emit it as
//!    [`WsInput::Message`], or as [`WsInput::Malformed`] with the verbatim text;
//! 4. on a close, an error, a refused `subscribe` (e.g. an invalid token), or
//!    `heartbeat_timeout` of silence (Kraken: "5 s silence = dead"; a `ping` is sent whenever
//!    the feed is quiet for `ping_interval`, so a silent-but-open socket is caught), emit
//!    [`WsInput::Disconnected`] and go back to 1 after a jittered [`Backoff`] delay.
//!
//! Invariants:
//! - `session` strictly increases per established connection; every event of a connection
//!   carries its number, and `Connected{n}` precedes every other event of session n.
//! - A frame given to [`WsHandle::send`] is written only on the session that accepted it
//!   (it carries the session number, in order with other frames); if that session ends
//!   first, the frame is dropped, never replayed on a later connection with a stale token.
//!   The caller learns this from `Disconnected` and must treat its in-flight requests as
//!   unknown.
//! - No frame is dropped silently: unparseable frames are `Malformed`; replies go out as
//!   `Message`s, including the subscribe replies the supervisor also inspects.
//! - The supervisor stops on [`WsHandle::shutdown`] or when the receiver is dropped.
//! - Tokens appear in `Debug` only as `[redacted]`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use thiserror::Error;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::backoff::{Backoff, BackoffConfig};
use super::clock::Clock;
use crate::json::ParseError;
use crate::secret::Redacted;
use crate::ws::requests::{self, Subscription};
use crate::ws::{parse_message, WsMessage};

type Stream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The future of [`TokenSource::token`].
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<Redacted, TokenError>> + Send + 'a>>;

/// Where a private feed gets a fresh WebSocket token for each connection
/// (`GetWebSocketsToken`; implemented by [`super::private::PrivateRest`]).
pub trait TokenSource: Send + Sync {
    fn token(&self) -> TokenFuture<'_>;
}

/// No token could be had. Never contains a token.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("WS token: {0}")]
pub struct TokenError(pub String);

/// Settings of one supervised connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsConfig {
    /// `wss://ws.kraken.com/v2` or `wss://ws-auth.kraken.com/v2` (or a local server).
    pub url: String,
    /// `public` or `private`: names the feed in events and errors.
    pub name: String,
    /// Silence this long means the connection is dead (Kraken: 5 s).
    pub heartbeat_timeout: Duration,
    /// Send a `ping` when nothing was received for this long.
    pub ping_interval: Duration,
    /// Deadline of the TCP + TLS + WebSocket handshake.
    pub connect_timeout: Duration,
    pub backoff: BackoffConfig,
    /// Seed of the backoff jitter (deterministic tests; vary per process in production).
    pub jitter_seed: u64,
    /// Capacity of the [`WsInput`] channel (a slow consumer slows the reader, nothing is lost).
    pub channel_capacity: usize,
}

impl WsConfig {
    fn with(url: &str, name: &str) -> Self {
        WsConfig {
            url: url.to_string(),
            name: name.to_string(),
            heartbeat_timeout: Duration::from_secs(5),
            ping_interval: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(10),
            backoff: BackoffConfig::default(),
            jitter_seed: 0x5eed,
            channel_capacity: 1024,
        }
    }
    /// Kraken's public WS v2 endpoint with default timings.
    pub fn public() -> Self {
        Self::with("wss://ws.kraken.com/v2", "public")
    }
    /// Kraken's authenticated WS v2 endpoint with default timings.
    pub fn private() -> Self {
        Self::with("wss://ws-auth.kraken.com/v2", "private")
    }
}

/// Why a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisconnectReason {
    /// Nothing received for `silent_ms` (≥ `heartbeat_timeout`).
    Silent { silent_ms: u64 },
    /// The server closed the socket (or the stream ended).
    Closed { code: Option<u16>, reason: String },
    /// A read or write failed.
    Error(String),
    /// Kraken refused a `subscribe` (e.g. an invalid or expired token).
    SubscribeRefused { error: String },
    /// [`WsHandle::shutdown`].
    Shutdown,
}

/// Why a connection attempt failed (no session was established).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectError {
    Token(TokenError),
    Handshake(String),
    Timeout,
    /// Sending the subscriptions failed.
    Subscribe(String),
}

/// One event of a supervised feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsInput {
    /// Session `session` is up and its subscriptions are sent; `token` is the one used.
    Connected {
        session: u64,
        token: Option<Redacted>,
    },
    Message {
        session: u64,
        msg: WsMessage,
        received_at: flywheel_core::Timestamp,
        /// The frame verbatim, as it arrived (for a recording of the raw feed).
        raw: Arc<str>,
    },
    /// A frame that did not parse, verbatim.
    Malformed {
        session: u64,
        error: ParseError,
        text: String,
    },
    Disconnected {
        session: u64,
        reason: DisconnectReason,
    },
    /// An attempt to connect failed; the next is in `retry_in`.
    ConnectFailed {
        error: ConnectError,
        retry_in: Duration,
    },
}

/// The supervisor is between connections: the frame was not sent.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
#[error("WS feed not connected: frame not sent")]
pub struct NotConnected;

/// A snapshot of the supervisor's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsState {
    pub connected: bool,
    /// The current (or last) session number; 0 before the first connection.
    pub session: u64,
    /// Time since the last frame of the current session.
    pub last_message_age: Option<Duration>,
    /// Connection attempts made after a lost or failed one.
    pub reconnects: u64,
}

#[derive(Default)]
struct Inner {
    connected: bool,
    session: u64,
    last_rx: Option<Instant>,
    reconnects: u64,
}

struct Shared {
    inner: Mutex<Inner>,
    shutdown: watch::Sender<bool>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means a panic elsewhere; the state itself stays meaningful.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

enum Command {
    Send {
        session: u64,
        frame: String,
    },
    Resubscribe {
        session: u64,
        sub: Subscription,
    },
    /// End this session now (a fresh token on the next connection).
    Reconnect {
        session: u64,
        why: String,
    },
}

/// Handle to a supervised connection. Clones share it.
#[derive(Clone)]
pub struct WsHandle {
    name: Arc<str>,
    cmd: mpsc::UnboundedSender<Command>,
    shared: Arc<Shared>,
}

impl fmt::Debug for WsHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsHandle")
            .field("name", &self.name)
            .field("state", &self.state())
            .finish()
    }
}

impl WsHandle {
    pub fn name(&self) -> &str {
        &self.name
    }

    fn current_session(&self) -> Result<u64, NotConnected> {
        let inner = self.shared.lock();
        if inner.connected {
            Ok(inner.session)
        } else {
            Err(NotConnected)
        }
    }

    /// Queue `frame` for the current connection; the session it will be written on.
    pub fn send(&self, frame: String) -> Result<u64, NotConnected> {
        let session = self.current_session()?;
        self.cmd
            .send(Command::Send { session, frame })
            .map_err(|_| NotConnected)?;
        Ok(session)
    }

    /// Unsubscribe and subscribe `sub` again on the current connection (rebuilds a book
    /// from a fresh snapshot).
    pub fn resubscribe(&self, sub: Subscription) -> Result<u64, NotConnected> {
        let session = self.current_session()?;
        self.cmd
            .send(Command::Resubscribe { session, sub })
            .map_err(|_| NotConnected)?;
        Ok(session)
    }

    /// End the current session and connect again (fresh token, subscriptions, snapshots):
    /// for a token Kraken stopped accepting (`ESession:Invalid session` on a request).
    pub fn reconnect(&self, why: &str) -> Result<u64, NotConnected> {
        let session = self.current_session()?;
        self.cmd
            .send(Command::Reconnect {
                session,
                why: why.to_string(),
            })
            .map_err(|_| NotConnected)?;
        Ok(session)
    }

    pub fn state(&self) -> WsState {
        let inner = self.shared.lock();
        WsState {
            connected: inner.connected,
            session: inner.session,
            last_message_age: inner.last_rx.map(|t| t.elapsed()),
            reconnects: inner.reconnects,
        }
    }

    /// Close the connection (a `Disconnected{Shutdown}` follows) and stop the supervisor.
    pub fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
    }
}

/// Start a supervised connection on the current tokio runtime (like `tokio::spawn`, it
/// must be called from within one). `token`: `Some` for a private feed.
pub fn spawn_ws(
    cfg: WsConfig,
    subs: Vec<Subscription>,
    token: Option<Arc<dyn TokenSource>>,
    clock: Arc<dyn Clock>,
) -> (WsHandle, mpsc::Receiver<WsInput>) {
    super::tls::init();
    let (tx, rx) = mpsc::channel(cfg.channel_capacity.max(1));
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (shutdown, shutdown_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner::default()),
        shutdown,
    });
    let handle = WsHandle {
        name: cfg.name.as_str().into(),
        cmd: cmd_tx.clone(),
        shared: shared.clone(),
    };
    let sup = Supervisor {
        backoff: Backoff::new(cfg.backoff, cfg.jitter_seed),
        cfg,
        subs,
        token,
        clock,
        tx,
        cmd_rx,
        _cmd_keep: cmd_tx,
        shutdown: shutdown_rx,
        shared,
        session: 0,
        req_id: 0,
    };
    tokio::spawn(sup.run());
    (handle, rx)
}

/// The receiver is gone or shutdown was asked: stop the task.
struct Stop;

enum Event {
    Frame(Option<Result<Message, tokio_tungstenite::tungstenite::Error>>),
    Command(Option<Command>),
    Tick,
}

struct Supervisor {
    cfg: WsConfig,
    subs: Vec<Subscription>,
    token: Option<Arc<dyn TokenSource>>,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<WsInput>,
    cmd_rx: mpsc::UnboundedReceiver<Command>,
    /// Keeps the command channel open so `recv` never spins on a closed channel.
    _cmd_keep: mpsc::UnboundedSender<Command>,
    shutdown: watch::Receiver<bool>,
    shared: Arc<Shared>,
    backoff: Backoff,
    session: u64,
    req_id: u64,
}

impl Supervisor {
    async fn run(mut self) {
        while !*self.shutdown.borrow() {
            if self.cycle().await.is_err() {
                break;
            }
        }
        self.shared.lock().connected = false;
    }

    async fn emit(&self, input: WsInput) -> Result<(), Stop> {
        self.tx.send(input).await.map_err(|_| Stop)
    }

    fn next_req_id(&mut self) -> u64 {
        self.req_id += 1;
        self.req_id
    }

    /// Sleep `d` unless shutdown comes first.
    async fn pause(&mut self, d: Duration) -> Result<(), Stop> {
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = self.shutdown.wait_for(|stop| *stop) => Err(Stop),
        }
    }

    /// One connection attempt and, if it succeeds, one session; then the backoff pause.
    async fn cycle(&mut self) -> Result<(), Stop> {
        let mut stop = self.shutdown.clone();
        let attempt = tokio::select! {
            r = self.connect() => r,
            _ = stop.wait_for(|stop| *stop) => return Err(Stop),
        };
        let (mut ws, token) = match attempt {
            Ok(ok) => ok,
            Err(error) => {
                let retry_in = self.backoff.next_delay();
                self.shared.lock().reconnects += 1;
                self.emit(WsInput::ConnectFailed { error, retry_in })
                    .await?;
                return self.pause(retry_in).await;
            }
        };
        self.session += 1;
        let session = self.session;
        let started = Instant::now();
        {
            let mut inner = self.shared.lock();
            inner.connected = true;
            inner.session = session;
            inner.last_rx = Some(started);
        }
        self.emit(WsInput::Connected {
            session,
            token: token.clone(),
        })
        .await?;
        let reason = self.session_loop(&mut ws, session, token.as_ref()).await;
        self.shared.lock().connected = false;
        let reason = match reason {
            Ok(r) => r,
            Err(Stop) => DisconnectReason::Shutdown,
        };
        let stop = reason == DisconnectReason::Shutdown;
        // Best effort: the peer may already be gone.
        let _ = tokio::time::timeout(Duration::from_millis(500), ws.close(None)).await;
        self.emit(WsInput::Disconnected { session, reason }).await?;
        if stop {
            return Err(Stop);
        }
        self.backoff.connection_ended(started.elapsed());
        self.shared.lock().reconnects += 1;
        let retry_in = self.backoff.next_delay();
        self.pause(retry_in).await
    }

    /// Token (private), handshake, subscriptions.
    async fn connect(&mut self) -> Result<(Stream, Option<Redacted>), ConnectError> {
        let token = match &self.token {
            Some(src) => Some(src.token().await.map_err(ConnectError::Token)?),
            None => None,
        };
        let (mut ws, _) = tokio::time::timeout(
            self.cfg.connect_timeout,
            tokio_tungstenite::connect_async(self.cfg.url.as_str()),
        )
        .await
        .map_err(|_| ConnectError::Timeout)?
        .map_err(|e| ConnectError::Handshake(format!("WS {}: {e}", self.cfg.name)))?;
        for i in 0..self.subs.len() {
            let req_id = self.next_req_id();
            let frame = requests::subscribe(req_id, &self.subs[i], token.as_ref())
                .map_err(|e| ConnectError::Subscribe(e.to_string()))?;
            ws.send(Message::text(frame))
                .await
                .map_err(|e| ConnectError::Subscribe(format!("WS {}: {e}", self.cfg.name)))?;
        }
        Ok((ws, token))
    }

    async fn session_loop(
        &mut self,
        ws: &mut Stream,
        session: u64,
        token: Option<&Redacted>,
    ) -> Result<DisconnectReason, Stop> {
        let hb = self.cfg.heartbeat_timeout;
        let ping_every = self.cfg.ping_interval;
        let tick = (hb.min(ping_every) / 4).max(Duration::from_millis(5));
        let mut ticker = tokio::time::interval(tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_rx = Instant::now();
        let mut last_ping = last_rx;
        loop {
            // The select only picks the event; handling it afterwards frees the borrows of
            // `self` the branch futures hold.
            let event = tokio::select! {
                frame = ws.next() => Event::Frame(frame),
                cmd = self.cmd_rx.recv() => Event::Command(cmd),
                _ = ticker.tick() => Event::Tick,
                _ = self.shutdown.wait_for(|stop| *stop) => return Err(Stop),
            };
            match event {
                Event::Frame(None) => {
                    return Ok(DisconnectReason::Closed {
                        code: None,
                        reason: "stream ended".into(),
                    })
                }
                Event::Frame(Some(Err(e))) => return Ok(DisconnectReason::Error(e.to_string())),
                Event::Frame(Some(Ok(msg))) => {
                    last_rx = Instant::now();
                    self.shared.lock().last_rx = Some(last_rx);
                    if let Some(reason) = self.on_frame(session, msg).await? {
                        return Ok(reason);
                    }
                }
                Event::Command(cmd) => {
                    let frames = match cmd {
                        Some(Command::Send { session: s, frame }) if s == session => vec![frame],
                        Some(Command::Resubscribe { session: s, sub }) if s == session => {
                            self.resubscribe_frames(&sub, token)
                        }
                        Some(Command::Reconnect { session: s, why }) if s == session => {
                            let _ = ws.close(None).await;
                            return Ok(DisconnectReason::Error(why));
                        }
                        // Accepted for an earlier session: never sent on this one.
                        _ => Vec::new(),
                    };
                    for frame in frames {
                        if let Err(e) = ws.send(Message::text(frame)).await {
                            return Ok(DisconnectReason::Error(e.to_string()));
                        }
                    }
                }
                Event::Tick => {
                    let silent = last_rx.elapsed();
                    if silent >= hb {
                        let silent_ms = u64::try_from(silent.as_millis()).unwrap_or(u64::MAX);
                        return Ok(DisconnectReason::Silent { silent_ms });
                    }
                    if silent >= ping_every && last_ping.elapsed() >= ping_every {
                        last_ping = Instant::now();
                        let ping = requests::ping(self.next_req_id());
                        if let Err(e) = ws.send(Message::text(ping)).await {
                            return Ok(DisconnectReason::Error(e.to_string()));
                        }
                    }
                }
            }
        }
    }

    fn resubscribe_frames(&mut self, sub: &Subscription, token: Option<&Redacted>) -> Vec<String> {
        let un = requests::unsubscribe(self.next_req_id(), sub, token);
        let re = requests::subscribe(self.next_req_id(), sub, token);
        // Building a frame from our own typed values cannot fail in practice; if it did,
        // sending nothing is safer than half a resubscribe.
        match (un, re) {
            (Ok(u), Ok(s)) => vec![u, s],
            _ => Vec::new(),
        }
    }

    /// Emit one frame; `Some(reason)` when it ends the session.
    async fn on_frame(
        &mut self,
        session: u64,
        msg: Message,
    ) -> Result<Option<DisconnectReason>, Stop> {
        match msg {
            Message::Text(text) => {
                let received_at = self.clock.now();
                match parse_message(text.as_str()) {
                    Ok(msg) => {
                        let refused = subscribe_refused(&msg);
                        self.emit(WsInput::Message {
                            session,
                            msg,
                            received_at,
                            raw: Arc::from(text.as_str()),
                        })
                        .await?;
                        Ok(refused.map(|error| DisconnectReason::SubscribeRefused { error }))
                    }
                    Err(error) => {
                        self.emit(WsInput::Malformed {
                            session,
                            error,
                            text: text.as_str().to_string(),
                        })
                        .await?;
                        Ok(None)
                    }
                }
            }
            Message::Binary(bytes) => {
                self.emit(WsInput::Malformed {
                    session,
                    error: ParseError {
                        what: format!("WS {} frame", self.cfg.name),
                        path: ".".into(),
                        message: format!("binary frame of {} bytes", bytes.len()),
                    },
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                })
                .await?;
                Ok(None)
            }
            Message::Close(frame) => Ok(Some(DisconnectReason::Closed {
                code: frame.as_ref().map(|f| u16::from(f.code)),
                reason: frame
                    .map(|f| f.reason.as_str().to_string())
                    .unwrap_or_default(),
            })),
            // Protocol pings are answered by tungstenite itself; they still prove liveness.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => Ok(None),
        }
    }
}

/// The error of a refused `subscribe` reply.
fn subscribe_refused(msg: &WsMessage) -> Option<String> {
    match msg {
        WsMessage::Reply(r) if r.method == "subscribe" && !r.success => Some(
            r.error
                .as_ref()
                .map(|e| e.raw.clone())
                .unwrap_or_else(|| "subscribe refused without an error text".into()),
        ),
        _ => None,
    }
}
