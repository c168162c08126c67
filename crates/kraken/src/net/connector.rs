//! The connector: [`LiveVenue`]'s I/O side over Kraken's private WebSocket and REST.
//!
//! ```text
//!  engine thread ── LiveVenue ── KrakenTransport ──► private WS (add_order, cancel_order)
//!        ▲                           │                 or REST AddOrder / CancelOrder
//!        │ LiveInput (std mpsc)      └─ IoRequest ───► pump: REST lookups, TradesHistory
//!        └──────────────────── pump ◄── WsInput (executions, balances, replies)
//! ```
//!
//! Invariants:
//! - The pump only translates: every private WS event, every REST answer the venue asked
//!   for and a tick every `tick_interval` become [`LiveInput`]s, in arrival order, stamped by
//!   the [`Clock`]. Decisions stay in the pure [`crate::live`] layer.
//! - A frame handed to the socket counts as *sent*; one the supervisor refused
//!   ([`NotConnected`]) is *not sent* and settles at once as never placed.
//! - Over REST, an `AddOrder` whose answer is a 5xx, an HTML page or a timeout is reported
//!   as an unknown outcome (never a failure) and settled by lookups like a lost WS reply.
//! - Lookups ask `OpenOrders` and `ClosedOrders` once per round for all ids, and answer
//!   [`Lookup::Absent`] only when both calls succeeded: a failed read proves nothing.
//! - Startup refuses to trade on an instrument that differs from the configuration
//!   ([`crate::instrument::check_against_config`] names every field and both values).

use std::collections::BTreeMap;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Duration;

use flywheel_core::{Instrument, Timestamp};
use flywheel_venue::{ClOrdId, OrderRequest};
use thiserror::Error;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::error::{ErrorKind, Handling, KrakenError};
use crate::instrument::{check_against_config, InstrumentMismatch};
use crate::live::tracker::{AddResult, Lookup};
use crate::live::venue::{
    IdStore, IoRequest, LiveConfig, LiveInput, LiveVenue, LiveVenueError, NotSent, OrderTransport,
};
use crate::net::clock::Clock;
use crate::net::private::PrivateRest;
use crate::net::rest::{PublicRest, RestError};
use crate::net::ws::{spawn_ws, WsConfig, WsHandle, WsInput};
use crate::outcome::RestOutcome;
use crate::rest::orders::OrderInfo;
use crate::rest::requests::AddOrder;
use crate::secret::Redacted;
use crate::symbols::normalize_asset;
use crate::ws::requests::{add_order, cancel_order, NewOrder, Subscription, WsOrderRef};
use crate::ws::WsMessage;

/// How orders travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderPath {
    /// WS v2 `add_order` / `cancel_order` (live.md §0: the default; no nonce).
    Ws,
    /// REST `AddOrder` / `CancelOrder` (fallback; each call takes a nonce).
    Rest,
}

/// Settings of the connector.
#[derive(Clone, Debug)]
pub struct ConnectorConfig {
    pub live: LiveConfig,
    /// REST pair key (`XDGUSD`).
    pub rest_pair: String,
    pub ws: WsConfig,
    pub order_path: OrderPath,
    pub tick_interval: Duration,
}

/// Why the connector cannot start.
#[derive(Debug, Error)]
pub enum ConnectorError {
    #[error(transparent)]
    Rest(#[from] RestError),
    #[error("REST {endpoint}: {detail}")]
    Startup {
        endpoint: &'static str,
        detail: String,
    },
    #[error(transparent)]
    Instrument(#[from] InstrumentMismatch),
    #[error(transparent)]
    Venue(#[from] LiveVenueError),
}

/// Read the pair's rules (`AssetPairs`) and the account's fees (`TradeVolume`) and compare
/// them with the configured instrument.
pub async fn check_instrument(
    public: &PublicRest,
    private: &PrivateRest,
    rest_pair: &str,
    config: &Instrument,
) -> Result<Instrument, ConnectorError> {
    let startup = |endpoint, detail: String| ConnectorError::Startup { endpoint, detail };
    let pairs = match public.asset_pairs(Some(rest_pair)).await {
        RestOutcome::Done { result, .. } => result,
        other => return Err(startup("AssetPairs", format!("{other:?}"))),
    };
    let pair = pairs
        .get(rest_pair)
        .ok_or_else(|| startup("AssetPairs", format!("no pair {rest_pair} in the answer")))?;
    let (maker, taker) = match private.trade_volume(rest_pair).await? {
        RestOutcome::Done { result, .. } => result
            .fees_for(rest_pair)
            .ok_or_else(|| startup("TradeVolume", format!("no fees for {rest_pair}")))?,
        other => return Err(startup("TradeVolume", format!("{other:?}"))),
    };
    let live = pair
        .to_instrument(&config.symbol, maker, taker)
        .map_err(|e| startup("AssetPairs", e.to_string()))?;
    check_against_config(config, &live)?;
    Ok(live)
}

/// The venue's transport: frames to the private socket (or REST calls), requests to the pump.
pub struct KrakenTransport {
    path: OrderPath,
    ws: WsHandle,
    rest: PrivateRest,
    rest_pair: String,
    token: Arc<std::sync::Mutex<Option<Redacted>>>,
    requests: UnboundedSender<IoRequest>,
    inputs: Sender<LiveInput>,
    clock: Arc<dyn Clock>,
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for KrakenTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KrakenTransport")
            .field("path", &self.path)
            .field("rest_pair", &self.rest_pair)
            .finish_non_exhaustive()
    }
}

impl KrakenTransport {
    fn token(&self) -> Option<Redacted> {
        self.token.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn ws_send(&self, frame: Result<String, impl std::fmt::Display>) -> Result<(), NotSent> {
        let frame = frame.map_err(|_| NotSent)?;
        self.ws.send(frame).map(|_| ()).map_err(|_| NotSent)
    }
}

fn kraken_id(id: &ClOrdId) -> Result<crate::ids::ClOrdId, NotSent> {
    crate::ids::ClOrdId::new(id.as_str()).map_err(|_| NotSent)
}

impl OrderTransport for KrakenTransport {
    fn add(
        &mut self,
        req_id: u64,
        order: &OrderRequest,
        symbol: &str,
        deadline: Timestamp,
    ) -> Result<(), NotSent> {
        let cl_ord_id = kraken_id(&order.cl_ord_id)?;
        match self.path {
            OrderPath::Ws => {
                let token = self.token().ok_or(NotSent)?;
                let new = NewOrder {
                    symbol: symbol.to_string(),
                    side: order.side,
                    limit_price: order.price,
                    order_qty: order.qty,
                    cl_ord_id,
                    kind: order.kind,
                };
                self.ws_send(add_order(req_id, &new, Some(deadline), &token))
            }
            OrderPath::Rest => {
                let call = AddOrder {
                    pair: self.rest_pair.clone(),
                    side: order.side,
                    price: order.price,
                    volume: order.qty,
                    kind: order.kind,
                    cl_ord_id,
                    deadline: Some(deadline),
                    validate: false,
                };
                let rest = self.rest.clone();
                let inputs = self.inputs.clone();
                let clock = self.clock.clone();
                // The call is sent from here on: whatever happens, an answer goes back.
                self.runtime.spawn(async move {
                    let result = match rest.add_order(&call).await {
                        Ok(RestOutcome::Done { result, .. }) => match result.txid.first() {
                            Some(txid) => AddResult::Placed { txid: txid.clone() },
                            None => AddResult::Unknown,
                        },
                        Ok(RestOutcome::Refused(errors)) => match errors.into_iter().next() {
                            Some(e) => AddResult::Refused(e),
                            None => AddResult::Unknown,
                        },
                        Ok(RestOutcome::Unknown(_)) | Ok(RestOutcome::Failed(_)) => {
                            AddResult::Unknown
                        }
                        // Refused locally before anything was sent (a bad parameter).
                        Err(e) => AddResult::Refused(KrakenError::parse(&format!(
                            "EGeneral:Invalid arguments:{e}"
                        ))),
                    };
                    let _ = inputs.send(LiveInput::AddResult {
                        req_id,
                        result,
                        at: clock.now(),
                    });
                });
                Ok(())
            }
        }
    }

    fn cancel(&mut self, req_id: u64, id: &ClOrdId) -> Result<(), NotSent> {
        let cl_ord_id = kraken_id(id)?;
        match self.path {
            OrderPath::Ws => {
                let token = self.token().ok_or(NotSent)?;
                self.ws_send(cancel_order(
                    req_id,
                    &[WsOrderRef::ClOrdId(cl_ord_id)],
                    &token,
                ))
            }
            OrderPath::Rest => {
                let rest = self.rest.clone();
                let inputs = self.inputs.clone();
                let clock = self.clock.clone();
                self.runtime.spawn(async move {
                    let outcome = rest
                        .cancel_order(&crate::rest::requests::OrderRef::ClOrdId(cl_ord_id))
                        .await;
                    let error = match outcome {
                        Ok(RestOutcome::Refused(errors)) => errors.into_iter().next(),
                        _ => None,
                    };
                    if let Some(error) = error {
                        let _ = inputs.send(LiveInput::CancelRefused {
                            req_id,
                            error,
                            at: clock.now(),
                        });
                    }
                });
                Ok(())
            }
        }
    }

    fn request(&mut self, r: IoRequest) {
        let _ = self.requests.send(r);
    }
}

/// What the running connector exposes besides the venue.
#[derive(Debug, Clone)]
pub struct ConnectorHandle {
    pub ws: WsHandle,
    pub rest: PrivateRest,
}

impl ConnectorHandle {
    pub fn shutdown(&self) {
        self.ws.shutdown();
    }
}

/// Start the connector on the current tokio runtime (outside one: an error, not a panic):
/// the private WS supervisor
/// (`executions` with snapshots and the rate counter, `balances`), the pump and a first
/// `BalanceEx`. The venue it returns belongs to the engine thread.
pub fn start(
    cfg: ConnectorConfig,
    rest: PrivateRest,
    ids: Box<dyn IdStore>,
    clock: Arc<dyn Clock>,
) -> Result<(LiveVenue<KrakenTransport>, ConnectorHandle), ConnectorError> {
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| ConnectorError::Startup {
        endpoint: "connector",
        detail: "must be started inside a tokio runtime".into(),
    })?;
    let (ws, ws_rx) = spawn_ws(
        cfg.ws.clone(),
        vec![Subscription::Executions, Subscription::Balances],
        Some(Arc::new(rest.clone())),
        clock.clone(),
    );
    let (inputs_tx, inputs_rx) = std::sync::mpsc::channel();
    let (req_tx, req_rx) = unbounded_channel();
    let token = Arc::new(std::sync::Mutex::new(None));
    let transport = KrakenTransport {
        path: cfg.order_path,
        ws: ws.clone(),
        rest: rest.clone(),
        rest_pair: cfg.rest_pair.clone(),
        token: token.clone(),
        requests: req_tx,
        inputs: inputs_tx.clone(),
        clock: clock.clone(),
        runtime: runtime.clone(),
    };
    let venue = LiveVenue::new(cfg.live.clone(), transport, inputs_rx, ids, clock.now())?;
    let pump = Pump {
        ws: ws.clone(),
        rest: rest.clone(),
        inputs: inputs_tx,
        clock,
        token,
    };
    runtime.spawn(pump.run(ws_rx, req_rx, cfg.tick_interval));
    Ok((venue, ConnectorHandle { ws, rest }))
}

struct Pump {
    ws: WsHandle,
    rest: PrivateRest,
    inputs: Sender<LiveInput>,
    clock: Arc<dyn Clock>,
    token: Arc<std::sync::Mutex<Option<Redacted>>>,
}

impl Pump {
    fn send(&self, input: LiveInput) -> bool {
        self.inputs.send(input).is_ok()
    }

    async fn run(
        self,
        mut ws_rx: tokio::sync::mpsc::Receiver<WsInput>,
        mut req_rx: UnboundedReceiver<IoRequest>,
        tick_interval: Duration,
    ) {
        let mut tick = tokio::time::interval(tick_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.balances().await;
        loop {
            let alive = tokio::select! {
                ev = ws_rx.recv() => match ev {
                    Some(ev) => self.on_ws(ev).await,
                    None => false,
                },
                r = req_rx.recv() => match r {
                    Some(r) => { self.serve(r).await; true }
                    None => false,
                },
                _ = tick.tick() => self.send(LiveInput::Tick { at: self.clock.now() }),
            };
            if !alive {
                break;
            }
        }
    }

    async fn on_ws(&self, ev: WsInput) -> bool {
        match ev {
            WsInput::Connected { token, .. } => {
                *self.token.lock().unwrap_or_else(|e| e.into_inner()) = token;
                // Totals may have moved while we were away.
                self.balances().await;
                self.send(LiveInput::Connected {
                    at: self.clock.now(),
                })
            }
            WsInput::Disconnected { .. } => {
                *self.token.lock().unwrap_or_else(|e| e.into_inner()) = None;
                self.send(LiveInput::Disconnected {
                    at: self.clock.now(),
                })
            }
            WsInput::Message {
                msg, received_at, ..
            } => match msg {
                WsMessage::Executions(msg) => self.send(LiveInput::Executions {
                    msg,
                    at: received_at,
                }),
                WsMessage::Balances(msg) => self.send(LiveInput::Balances {
                    msg,
                    at: received_at,
                }),
                WsMessage::Reply(msg) => {
                    if msg
                        .error
                        .as_ref()
                        .is_some_and(|e| e.kind == ErrorKind::Session)
                    {
                        // The token is dead for requests too: a new session gets a new one.
                        let _ = self.ws.reconnect("Kraken refused the session token");
                    }
                    self.send(LiveInput::Reply {
                        msg,
                        at: received_at,
                    })
                }
                _ => true,
            },
            // Never dropped silently: a frame we cannot read may have been an execution (the
            // audit's lookups will find what it said), a failed connection is retried.
            WsInput::Malformed { error, text, .. } => {
                tracing::error!(target: "flywheel::kraken", %error, frame = %text, "private WS frame not understood");
                true
            }
            WsInput::ConnectFailed { error, retry_in } => {
                tracing::warn!(target: "flywheel::kraken", ?error, ?retry_in, "private WS connection failed");
                true
            }
        }
    }

    /// A credential, nonce or lockout error on any call halts trading: retrying would only
    /// lead to a lockout (kraken.md §3.6).
    fn guard<T>(&self, endpoint: &str, r: &Result<RestOutcome<T>, RestError>) {
        if let Ok(RestOutcome::Refused(errors)) = r {
            for e in errors.iter().filter(|e| e.handling() == Handling::Halt) {
                self.send(LiveInput::Halt {
                    reason: format!("REST {endpoint}: {}", e.raw),
                    at: self.clock.now(),
                });
            }
        }
    }

    async fn balances(&self) {
        let r = self.rest.balance_ex().await;
        self.guard("BalanceEx", &r);
        if let Ok(RestOutcome::Done { result, .. }) = r {
            let totals: BTreeMap<String, _> = result
                .into_iter()
                .filter(|(code, _)| normalize_asset(code).wallet.is_none())
                .map(|(code, b)| (normalize_asset(&code).name, b.balance))
                .collect();
            self.send(LiveInput::RestBalances {
                totals,
                at: self.clock.now(),
            });
        }
    }

    async fn serve(&self, r: IoRequest) {
        match r {
            IoRequest::Lookup(ids) => self.lookup(ids).await,
            IoRequest::FetchTrades { known } => {
                let r = self.rest.trades_history_until_known(known).await;
                self.guard("TradesHistory", &r);
                if let Ok(RestOutcome::Done { result, .. }) = r {
                    self.send(LiveInput::RestTrades {
                        trades: result,
                        at: self.clock.now(),
                    });
                }
            }
        }
    }

    /// One round: all open orders, then recent closed ones; an id found in neither is
    /// absent only if both reads succeeded.
    async fn lookup(&self, ids: Vec<ClOrdId>) {
        let mut by_id: BTreeMap<String, (String, OrderInfo)> = BTreeMap::new();
        let open = self.rest.open_orders(None).await;
        self.guard("OpenOrders", &open);
        let Ok(RestOutcome::Done { result: open, .. }) = open else {
            return;
        };
        for (txid, info) in open.open {
            if let Some(c) = info.cl_ord_id.clone() {
                by_id.insert(c, (txid, info));
            }
        }
        let mut complete = true;
        for id in &ids {
            if by_id.contains_key(id.as_str()) {
                continue;
            }
            let Ok(k) = crate::ids::ClOrdId::new(id.as_str()) else {
                continue;
            };
            let closed = self.rest.closed_orders_by_cl_ord_id(&k).await;
            self.guard("ClosedOrders", &closed);
            match closed {
                Ok(RestOutcome::Done { result, .. }) => {
                    for (txid, info) in result.closed {
                        if let Some(c) = info.cl_ord_id.clone() {
                            by_id.insert(c, (txid, info));
                        }
                    }
                }
                _ => complete = false,
            }
        }
        let at = self.clock.now();
        for id in ids {
            let found = match by_id.remove(id.as_str()) {
                Some((txid, info)) => Lookup::Found {
                    txid,
                    info: Box::new(info),
                },
                None if complete => Lookup::Absent,
                None => continue,
            };
            if !self.send(LiveInput::Lookup { id, found, at }) {
                return;
            }
        }
    }
}
