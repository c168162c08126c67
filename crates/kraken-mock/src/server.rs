//! Starting the mock: the shared state, the axum router on 127.0.0.1, the background timer
//! (dead-man switch) and the optional replay task, and the [`MockHandle`] tests drive it by.
//!
//! Invariants:
//! - One [`Shared`] per mock; every request and every socket goes through its one state lock,
//!   so the mock applies requests one at a time, like a matching engine.
//! - Immediate faults ([`Fault::WsStall`], [`Fault::WsDrop`], [`Fault::ExpireTokens`],
//!   [`Fault::SetStatus`]) act when injected; the rest wait in the fault book.
//! - `shutdown` stops the server, the timer, the replay and every open socket.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use flywheel_core::{Price, Qty, Side, Timestamp};
use flywheel_kraken::secret::ApiSecret;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use crate::clock::Clock;
use crate::config::MockConfig;
use crate::faults::{Fault, Feed, SystemStatus};
use crate::state::{LedgerView, MockState, PrivateOut, PublicOut, StartError, CHANNEL_CAPACITY};

/// Per-feed socket controls.
#[derive(Debug)]
pub struct FeedControl {
    /// Sockets send nothing before this instant.
    pub stall_until: Mutex<Option<Instant>>,
    /// Bumped to close every open socket of the feed.
    pub drop_gen: watch::Sender<u64>,
}

impl FeedControl {
    fn new() -> Self {
        FeedControl {
            stall_until: Mutex::new(None),
            drop_gen: watch::channel(0).0,
        }
    }

    /// The end of the current stall, if one is running.
    pub fn stalled_until(&self) -> Option<Instant> {
        let g = self
            .stall_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.filter(|t| *t > Instant::now())
    }
}

/// Everything the handlers share.
#[derive(Debug)]
pub struct Shared {
    pub cfg: Arc<MockConfig>,
    pub secret: ApiSecret,
    pub clock: Clock,
    state: Mutex<MockState>,
    pub public_tx: broadcast::Sender<PublicOut>,
    pub private_tx: broadcast::Sender<PrivateOut>,
    pub public: FeedControl,
    pub private: FeedControl,
    pub shutdown: watch::Sender<bool>,
    /// Set by [`MockHandle::close_market`]: no print is matched any more.
    market_closed: std::sync::atomic::AtomicBool,
}

/// What [`Shared::trade`] answers once the market is closed.
pub const MARKET_CLOSED: &str = "the market is closed";

impl Shared {
    /// The state, even after a panic elsewhere poisoned the lock (the state is kept
    /// consistent by every operation before it can panic, and a mock must keep answering).
    pub fn lock(&self) -> MutexGuard<'_, MockState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn feed(&self, feed: Feed) -> &FeedControl {
        match feed {
            Feed::Public => &self.public,
            Feed::Private => &self.private,
        }
    }

    /// Inject a fault (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        match fault {
            Fault::WsStall { feed, millis } => {
                let mut g = self
                    .feed(feed)
                    .stall_until
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                // A stall beyond the clock's range lasts a day: admin input must not panic.
                let now = Instant::now();
                *g = Some(
                    now.checked_add(Duration::from_millis(millis))
                        .unwrap_or(now + Duration::from_secs(86_400)),
                );
            }
            Fault::WsDrop { feed } => {
                self.feed(feed).drop_gen.send_modify(|g| *g += 1);
            }
            Fault::ExpireTokens => self.lock().expire_tokens(),
            Fault::SetStatus(s) => self.lock().set_status(s),
            f => self.lock().faults.push(f),
        }
    }

    /// A public print now (refused once the market is closed).
    pub fn trade(&self, side: Side, price: Price, qty: Qty) -> Result<u64, String> {
        if self.market_closed() {
            return Err(MARKET_CLOSED.into());
        }
        let now = self.now();
        self.lock().trade(side, price, qty, now)
    }

    /// Whether [`MockHandle::close_market`] was called.
    pub fn market_closed(&self) -> bool {
        self.market_closed.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The mock, started.
#[derive(Debug, Clone)]
pub struct MockHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

/// Entry point.
#[derive(Debug)]
pub struct MockKraken;

impl MockKraken {
    /// Bind 127.0.0.1 (the configured port or any free one) and serve on the current tokio
    /// runtime.
    pub async fn start(cfg: MockConfig) -> Result<MockHandle, StartError> {
        let secret = ApiSecret::from_base64(&cfg.api_secret_b64)
            .map_err(|e| StartError::Secret(e.to_string()))?;
        let cfg = Arc::new(cfg);
        let clock = Clock::default();
        let (public_tx, _) = broadcast::channel(CHANNEL_CAPACITY);
        let (private_tx, _) = broadcast::channel(CHANNEL_CAPACITY);
        let state = MockState::new(
            cfg.clone(),
            clock.now(),
            public_tx.clone(),
            private_tx.clone(),
        )?;
        let shared = Arc::new(Shared {
            cfg: cfg.clone(),
            secret,
            clock,
            state: Mutex::new(state),
            public_tx,
            private_tx,
            public: FeedControl::new(),
            private: FeedControl::new(),
            shutdown: watch::channel(false).0,
            market_closed: std::sync::atomic::AtomicBool::new(false),
        });
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((
            [127, 0, 0, 1],
            cfg.port.unwrap_or(0),
        )))
        .await?;
        let addr = listener.local_addr()?;
        let app = router(shared.clone());
        let mut stop = shared.shutdown.subscribe();
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                crate::server::stopped(&mut stop).await;
            });
            let _ = serve.await;
        });
        tokio::spawn(timer(shared.clone()));
        if let Some(r) = cfg.replay.clone() {
            tokio::spawn(crate::replay::run(shared.clone(), r));
        }
        Ok(MockHandle { shared, addr })
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/0/public/{method}",
            get(crate::rest::public).post(crate::rest::public),
        )
        .route("/0/private/{method}", post(crate::rest::private))
        .route("/v2", get(crate::ws_public::upgrade))
        .route("/v2-auth", get(crate::ws_private::upgrade))
        .merge(crate::admin::routes())
        .with_state(shared)
}

/// Resolves once shutdown was requested (or the mock is gone).
pub async fn stopped(rx: &mut watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// The background timer: the dead-man switch runs on the mock's clock.
async fn timer(shared: Arc<Shared>) {
    let mut stop = shared.shutdown.subscribe();
    let mut tick = tokio::time::interval(shared.cfg.timer_tick);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let now = shared.now();
                shared.lock().on_timer(now);
            }
            _ = crate::server::stopped(&mut stop) => return,
        }
    }
}

impl MockHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `http://127.0.0.1:PORT` (paths `/0/public/…`, `/0/private/…`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// `ws://127.0.0.1:PORT/v2`.
    pub fn ws_public_url(&self) -> String {
        format!("ws://{}/v2", self.addr)
    }
    /// `ws://127.0.0.1:PORT/v2-auth`.
    pub fn ws_private_url(&self) -> String {
        format!("ws://{}/v2-auth", self.addr)
    }
    pub fn config(&self) -> &MockConfig {
        &self.shared.cfg
    }
    pub fn inject(&self, fault: Fault) {
        self.shared.inject(fault);
    }
    pub fn set_status(&self, status: SystemStatus) {
        self.shared.inject(Fault::SetStatus(status));
    }
    /// A public print: `trade` frame, book and ticker move, resting orders fill.
    pub fn trade(&self, side: Side, price: Price, qty: Qty) -> Result<u64, String> {
        self.shared.trade(side, price, qty)
    }
    pub fn ledger(&self) -> LedgerView {
        self.shared.lock().ledger_view()
    }
    /// The mock's clock.
    pub fn now(&self) -> Timestamp {
        self.shared.now()
    }
    /// Move the mock's clock forward (dead-man switch, token lifetime, counter decay).
    pub fn advance_clock(&self, by: Duration) {
        self.shared
            .clock
            .advance(i64::try_from(by.as_millis()).unwrap_or(i64::MAX));
    }
    /// Run the timer's work now (tests: no wait for the next tick).
    pub fn run_timer(&self) {
        let now = self.shared.now();
        self.shared.lock().on_timer(now);
    }
    /// Replay a recorded file through the public feed now (see [`crate::replay`]); the task
    /// ends with the number of prints.
    pub fn replay(
        &self,
        cfg: crate::config::ReplayConfig,
    ) -> tokio::task::JoinHandle<Result<usize, String>> {
        tokio::spawn(crate::replay::run(self.shared.clone(), cfg))
    }
    /// Close the market: no print (replayed or handed in) is matched from now on, while
    /// orders, cancels and queries are still answered. A paper session closes it when it
    /// stops, so the audit that follows compares its store with an exchange that no longer
    /// moves.
    pub fn close_market(&self) {
        self.shared
            .market_closed
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
    /// Whether [`MockHandle::close_market`] was called.
    pub fn market_closed(&self) -> bool {
        self.shared.market_closed()
    }
    pub fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
    }
}
