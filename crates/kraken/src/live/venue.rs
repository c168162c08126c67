//! [`LiveVenue`]: Kraken behind the engine's synchronous [`Venue`] contract.
//!
//! The engine thread owns it. It never blocks and never does I/O itself: orders and cancels
//! are handed to an [`OrderTransport`] (the private WebSocket in production, a recorder in
//! tests), and everything the exchange says comes back as [`LiveInput`]s on a channel that
//! [`Venue::poll_events`] drains — one input at a time, in arrival order, into the pure
//! [`Tracker`]. So the same inputs give the same events, and the engine applies them in its
//! own step (live.md §6).
//!
//! Invariants:
//! - **An id is never sent twice.** Before an order leaves, its `cl_ord_id` sequence number
//!   is recorded durably in an [`IdStore`] (the same persisted-`u64` store as the nonce); an
//!   id at or below the recorded one is refused with `DuplicateClOrdId`, also after a
//!   restart whose engine snapshot is older than the last send. [`LiveVenue::min_next_id`]
//!   tells the runner where the engine's sequence must resume.
//! - **Holds are ours, totals are Kraken's.** `total` comes from the `balances` channel (or a
//!   REST `BalanceEx`), `held` from our live orders: a buy holds `buy_hold(price, leaves,
//!   maker fee)` (the taker fee for an IOC), a sell its leaves — including orders whose
//!   outcome is unknown, because they may rest. Kraken's WS balances carry no holds (live.md §1).
//! - **The trading rate counter is asked first.** An add or a cancel that the shadow of
//!   Kraken's per-pair counter says would exceed the threshold is refused with
//!   `RateLimited` before it is sent (the engine retries later) instead of being refused by
//!   Kraken and counted against us. `ratecounter` readings correct the shadow.
//! - Lookups over REST are asked for at most every `lookup_interval_ms`, for every order the
//!   tracker cannot settle from the stream, in one request; every `audit_interval_ms` all
//!   open orders are looked up, so a frame that never comes cannot hide a fill for longer.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use flywheel_core::{Instrument, Qty, Quote, Timestamp};
use flywheel_venue::sim::buy_hold;
use flywheel_venue::{
    AssetBalance, Balances, ClOrdId, OrderKind, OrderRequest, Reject, Venue, VenueEvent,
};
use serde::Serialize;

use crate::error::KrakenError;
use crate::live::tracker::{AddResult, Lookup, Tracker, TrackerStats};
use crate::nonce::{NonceError, NonceStore};
use crate::ratelimit::{Action, CounterStatus, Decision, TradingCounters};
use crate::rest::orders::TradeInfo;
use crate::symbols::normalize_asset;
use crate::wire::LedgerAmount;
use crate::ws::private::{BalancesMsg, ExecutionsMsg};
use crate::ws::replies::MethodReply;

/// The first request id of orders and cancels.
pub const FIRST_REQ_ID: u64 = 1 << 32;

/// Where the last sent `cl_ord_id` sequence number survives a restart (a persisted u64, like
/// the nonce).
pub trait IdStore: NonceStore + Send {}
impl<T: NonceStore + Send> IdStore for T {}

/// The transport could not take the request: nothing left the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotSent;

/// What the venue asks of the I/O side besides orders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IoRequest {
    /// Look these orders up by `cl_ord_id` in `OpenOrders` and `ClosedOrders`; answer with
    /// one [`LiveInput::Lookup`] per id.
    Lookup(Vec<ClOrdId>),
    /// Page `TradesHistory` back to one of the `known` fills; answer with
    /// [`LiveInput::RestTrades`].
    FetchTrades { known: Vec<String> },
}

/// Sends orders and requests. Implementations must not block.
pub trait OrderTransport: Send {
    /// Send `add_order` for `order` on `symbol` as request `req_id`, to be placed no later
    /// than `deadline`.
    fn add(
        &mut self,
        req_id: u64,
        order: &OrderRequest,
        symbol: &str,
        deadline: Timestamp,
    ) -> Result<(), NotSent>;
    /// Send `cancel_order` for `id` as request `req_id`.
    fn cancel(&mut self, req_id: u64, id: &ClOrdId) -> Result<(), NotSent>;
    /// Ask the I/O side for REST work.
    fn request(&mut self, r: IoRequest);
}

/// One thing the exchange (or the I/O side) said, stamped with when it arrived.
#[derive(Clone, Debug)]
pub enum LiveInput {
    Connected {
        at: Timestamp,
    },
    Disconnected {
        at: Timestamp,
    },
    Reply {
        msg: MethodReply,
        at: Timestamp,
    },
    /// A cancel sent over REST `CancelOrder` as request `req_id` was refused.
    CancelRefused {
        req_id: u64,
        error: KrakenError,
        at: Timestamp,
    },
    /// The outcome of an add sent over REST `AddOrder` as request `req_id`.
    AddResult {
        req_id: u64,
        result: AddResult,
        at: Timestamp,
    },
    Executions {
        msg: ExecutionsMsg,
        at: Timestamp,
    },
    Balances {
        msg: BalancesMsg,
        at: Timestamp,
    },
    Lookup {
        id: ClOrdId,
        found: Lookup,
        at: Timestamp,
    },
    RestTrades {
        trades: Vec<(String, TradeInfo)>,
        at: Timestamp,
    },
    /// `BalanceEx` totals by common asset name (`DOGE`, `USD`).
    RestBalances {
        totals: BTreeMap<String, LedgerAmount>,
        at: Timestamp,
    },
    /// The I/O side saw something that must stop trading (an invalid nonce on a REST call,
    /// a credential error).
    Halt {
        reason: String,
        at: Timestamp,
    },
    Tick {
        at: Timestamp,
    },
}

/// Settings of a live venue.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    /// The pair, WS v2 symbol (`DOGE/USD`) and the instrument's rules.
    pub instrument: Instrument,
    /// Common names of the pair's assets (`DOGE`, `USD`).
    pub base_asset: String,
    pub quote_asset: String,
    /// The engine's `cl_ord_id` prefix (`fw1`): the id store guards its sequence.
    pub id_prefix: String,
    /// How long Kraken may take to place an order (`deadline` on the request).
    pub deadline_ms: i64,
    /// A reply later than this makes the order unknown.
    pub reply_timeout_ms: i64,
    pub lookup_interval_ms: i64,
    /// Every this often (while connected) all open orders are looked up over REST, so a
    /// lost or delayed `executions` frame cannot leave an order's fills unreported for
    /// longer. 0: never.
    pub audit_interval_ms: i64,
    pub counters: TradingCounters,
    /// Hold accepted orders and cancels in an outbox until [`LiveVenue::flush`]: the runner
    /// commits them to the store first (live.md §6: state is committed before an order is
    /// sent). `false`: send at once (no store).
    pub hold_until_flushed: bool,
}

/// A request accepted by the venue and not yet handed to the transport.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outgoing {
    Add {
        req: OrderRequest,
        deadline: Timestamp,
    },
    Cancel {
        id: ClOrdId,
    },
}

/// What an operator sees of the venue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LiveVenueStatus {
    pub connected: bool,
    pub tracker: TrackerStats,
    pub rate_counter: BTreeMap<String, CounterStatus>,
    pub halt: Option<String>,
    pub deferred_by_rate_limit: u64,
}

/// Why a live venue cannot start.
#[derive(Debug, thiserror::Error)]
pub enum LiveVenueError {
    #[error("cl_ord_id store: {0}")]
    IdStore(#[from] NonceError),
}

/// Kraken as a [`Venue`] (see the module docs).
pub struct LiveVenue<T: OrderTransport> {
    cfg: LiveConfig,
    tracker: Tracker,
    transport: T,
    inputs: Receiver<LiveInput>,
    ids: Box<dyn IdStore>,
    last_sent_seq: Option<u64>,
    totals: (Qty, Quote),
    connected: bool,
    next_req_id: u64,
    now: Timestamp,
    last_lookup: Option<Timestamp>,
    last_audit: Option<Timestamp>,
    deferred: u64,
    events: Vec<VenueEvent>,
    outbox: Vec<Outgoing>,
    heartbeat: Option<Arc<AtomicU64>>,
}

impl<T: OrderTransport> std::fmt::Debug for LiveVenue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveVenue")
            .field("symbol", &self.cfg.instrument.symbol)
            .field("connected", &self.connected)
            .field("last_sent_seq", &self.last_sent_seq)
            .finish_non_exhaustive()
    }
}

impl<T: OrderTransport> LiveVenue<T> {
    pub fn new(
        cfg: LiveConfig,
        transport: T,
        inputs: Receiver<LiveInput>,
        ids: Box<dyn IdStore>,
        now: Timestamp,
    ) -> Result<Self, LiveVenueError> {
        let last_sent_seq = ids.load()?;
        Ok(LiveVenue {
            tracker: Tracker::new(&cfg.quote_asset, cfg.reply_timeout_ms),
            cfg,
            transport,
            inputs,
            ids,
            last_sent_seq,
            totals: (Qty::ZERO, Quote::ZERO),
            connected: false,
            // Far above the WS supervisor's own request ids (subscribe, ping), which count
            // from 1: the method tells replies apart too, the range makes logs readable.
            next_req_id: FIRST_REQ_ID,
            now,
            last_lookup: None,
            last_audit: None,
            deferred: 0,
            events: Vec::new(),
            outbox: Vec::new(),
            heartbeat: None,
        })
    }

    /// Follow again an order of a previous run (see [`Tracker::resume`]); the send time of
    /// a resumed order is unknown, so its deadline is what the store computed from its
    /// creation.
    pub fn resume(
        &mut self,
        req: &OrderRequest,
        state: flywheel_venue::OrderState,
        txid: Option<&str>,
        filled: Qty,
        deadline: Timestamp,
    ) {
        self.tracker.resume(req, state, txid, filled, deadline);
        if let Some(seq) = self.seq_of(&req.cl_ord_id) {
            self.last_sent_seq = Some(self.last_sent_seq.map_or(seq, |l| l.max(seq)));
        }
    }

    /// Execution ids already applied (see [`Tracker::seed_fills`]).
    pub fn seed_fills<I: IntoIterator<Item = String>>(&mut self, exec_ids: I) {
        self.tracker.seed_fills(exec_ids);
    }

    /// Balance totals as Kraken last reported them (the `balances` channel or `BalanceEx`).
    pub fn exchange_totals(&self) -> (Qty, Quote) {
        self.totals
    }

    /// The smallest sequence number the engine's `cl_ord_id` generator may issue next.
    pub fn min_next_id(&self) -> u64 {
        self.last_sent_seq.map_or(1, |s| s.saturating_add(1))
    }

    /// A counter bumped on every `poll_events`: the engine thread's heartbeat, which the
    /// dead-man switch follows ([`crate::net::dead_man`]).
    pub fn set_heartbeat(&mut self, beat: Arc<AtomicU64>) {
        self.heartbeat = Some(beat);
    }

    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    pub fn status(&self) -> LiveVenueStatus {
        LiveVenueStatus {
            connected: self.connected,
            tracker: self.tracker.stats().clone(),
            rate_counter: self.cfg.counters.status(self.now),
            halt: self.tracker.halt().map(|h| h.reason.clone()),
            deferred_by_rate_limit: self.deferred,
        }
    }

    /// The id's sequence number under our prefix (`fw1` + base36), if it is one of ours.
    fn seq_of(&self, id: &ClOrdId) -> Option<u64> {
        id.sequence(&self.cfg.id_prefix)
    }

    fn req_id(&mut self) -> u64 {
        let r = self.next_req_id;
        self.next_req_id += 1;
        r
    }

    /// Apply every input that arrived, then the timers.
    fn pump(&mut self) {
        // A closed channel (the I/O side ended) just means no more news.
        while let Ok(input) = self.inputs.try_recv() {
            self.apply(input);
        }
        self.tracker.on_timer(self.now);
        self.audit_if_due();
        self.ask_lookups();
        self.tracker.drain(&mut self.events);
    }

    fn apply(&mut self, input: LiveInput) {
        let at = match &input {
            LiveInput::Connected { at }
            | LiveInput::Disconnected { at }
            | LiveInput::Reply { at, .. }
            | LiveInput::AddResult { at, .. }
            | LiveInput::CancelRefused { at, .. }
            | LiveInput::Executions { at, .. }
            | LiveInput::Balances { at, .. }
            | LiveInput::Lookup { at, .. }
            | LiveInput::RestTrades { at, .. }
            | LiveInput::RestBalances { at, .. }
            | LiveInput::Halt { at, .. }
            | LiveInput::Tick { at } => *at,
        };
        self.now = self.now.max(at);
        match input {
            LiveInput::Connected { .. } => self.connected = true,
            LiveInput::Disconnected { at } => {
                self.connected = false;
                self.tracker.on_disconnect(at);
            }
            LiveInput::Reply { msg, at } => self.tracker.on_reply(&msg, at),
            LiveInput::CancelRefused { req_id, error, at } => {
                self.tracker.on_cancel_refused(req_id, &error, at)
            }
            LiveInput::AddResult { req_id, result, at } => {
                self.tracker.on_add_result(req_id, result, at)
            }
            LiveInput::Executions { msg, at } => {
                for r in msg.rate_counter_readings() {
                    self.cfg.counters.reconcile(&r.symbol, at, r.value);
                }
                self.tracker.on_executions(&msg);
            }
            LiveInput::Balances { msg, .. } => self.on_balances(&msg),
            LiveInput::Lookup { id, found, at } => {
                if self.tracker.on_lookup(&id, &found, at) {
                    let known = self.tracker.known_fills().cloned().collect();
                    self.transport.request(IoRequest::FetchTrades { known });
                }
            }
            LiveInput::RestTrades { trades, .. } => {
                for (txid, t) in &trades {
                    self.tracker.on_rest_trade(txid, t);
                }
            }
            LiveInput::RestBalances { totals, .. } => {
                for (asset, amount) in &totals {
                    self.set_total(asset, amount);
                }
            }
            LiveInput::Halt { reason, .. } => self.tracker.set_halt(reason),
            LiveInput::Tick { .. } => {}
        }
    }

    fn on_balances(&mut self, msg: &BalancesMsg) {
        // A snapshot lists each asset's balance; an update is a ledger entry whose
        // `balance` is the asset's balance after it. Either way `balance` is the total.
        for d in &msg.data {
            self.set_total(&d.asset, &d.balance);
        }
    }

    fn set_total(&mut self, asset: &str, amount: &LedgerAmount) {
        let name = normalize_asset(asset);
        if name.wallet.is_some() {
            return;
        }
        if name.name == self.cfg.base_asset {
            if let Ok(v) = amount.value() {
                self.totals.0 = Qty::new(v);
            }
        } else if name.name == self.cfg.quote_asset {
            if let Ok(v) = amount.value() {
                self.totals.1 = Quote::new(v);
            }
        }
    }

    /// The requests accepted since the last [`LiveVenue::flush`], in order: what the runner
    /// commits (orders as intents, cancels as requested) before they are sent.
    pub fn outbox(&self) -> &[Outgoing] {
        &self.outbox
    }

    /// Hand every held request to the transport, in order (call after the step's commit).
    /// A cancel that cannot leave (no connection) comes back as a `CancelRejected
    /// { Unavailable }` event; an add that cannot leave is proven never placed.
    pub fn flush(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
        for out in std::mem::take(&mut self.outbox) {
            match out {
                Outgoing::Add { req, deadline } => self.send_add(&req, self.now, deadline),
                Outgoing::Cancel { id } => {
                    if self.send_cancel(&id).is_err() {
                        self.tracker.cancel_not_sent(&id, self.now);
                    }
                }
            }
        }
    }

    fn send_add(&mut self, req: &OrderRequest, now: Timestamp, deadline: Timestamp) {
        let req_id = self.req_id();
        let symbol = self.cfg.instrument.symbol.clone();
        match self.transport.add(req_id, req, &symbol, deadline) {
            Ok(()) => self.tracker.add_sent(req_id, req, now, deadline),
            Err(NotSent) => self.tracker.add_not_sent(req, now),
        }
    }

    fn send_cancel(&mut self, id: &ClOrdId) -> Result<(), NotSent> {
        let req_id = self.req_id();
        self.transport.cancel(req_id, id)?;
        self.tracker.cancel_sent(req_id, id);
        Ok(())
    }

    fn audit_if_due(&mut self) {
        if self.cfg.audit_interval_ms <= 0 || !self.connected {
            return;
        }
        match self.last_audit {
            Some(t) if self.now.millis() - t.millis() < self.cfg.audit_interval_ms => {}
            // The first audit waits one interval: the connection's snapshot comes first.
            None => self.last_audit = Some(self.now),
            Some(_) => {
                self.last_audit = Some(self.now);
                self.tracker.audit();
            }
        }
    }

    fn ask_lookups(&mut self) {
        let ids = self.tracker.to_look_up();
        if ids.is_empty() || !self.connected {
            return;
        }
        let due = self
            .last_lookup
            .is_none_or(|t| self.now.millis() - t.millis() >= self.cfg.lookup_interval_ms);
        if due {
            self.last_lookup = Some(self.now);
            self.transport.request(IoRequest::Lookup(ids));
        }
    }

    fn rate_check(&mut self, action: &Action, now: Timestamp) -> Result<(), Reject> {
        match self
            .cfg
            .counters
            .check(&self.cfg.instrument.symbol, now, action)
        {
            Decision::Send { .. } => {
                self.cfg
                    .counters
                    .record(&self.cfg.instrument.symbol, now, action);
                Ok(())
            }
            // `Never`: more than the threshold in one action; refused like a deferral.
            Decision::Defer { .. } | Decision::Never { .. } => {
                self.deferred += 1;
                Err(Reject::RateLimited)
            }
        }
    }
}

impl<T: OrderTransport> Venue for LiveVenue<T> {
    fn instrument(&self) -> &Instrument {
        &self.cfg.instrument
    }

    fn place(&mut self, req: &OrderRequest, now: Timestamp) -> Result<(), Reject> {
        self.now = self.now.max(now);
        if self.tracker.halt().is_some() {
            return Err(Reject::Unavailable);
        }
        let Some(seq) = self.seq_of(&req.cl_ord_id) else {
            return Err(Reject::InvalidOrder);
        };
        if self.last_sent_seq.is_some_and(|last| seq <= last) || self.tracker.knows(&req.cl_ord_id)
        {
            return Err(Reject::DuplicateClOrdId);
        }
        let cap = usize::try_from(self.cfg.counters.limits().max_open_orders).unwrap_or(usize::MAX);
        if self.open_order_count() >= cap {
            return Err(Reject::OrdersLimitExceeded);
        }
        self.rate_check(&Action::Add, now)?;
        // Durable before it leaves: a crash after this line cannot reuse the id.
        if self.ids.store(seq).is_err() {
            return Err(Reject::Unavailable);
        }
        self.last_sent_seq = Some(seq);
        let deadline = Timestamp::from_millis(now.millis() + self.cfg.deadline_ms);
        if self.cfg.hold_until_flushed {
            // The intent is ours (pending, holding its funds) but leaves only after the
            // runner committed it: `flush`.
            self.tracker.add_intent(req, now, deadline);
            self.outbox.push(Outgoing::Add {
                req: req.clone(),
                deadline,
            });
        } else {
            self.send_add(req, now, deadline);
        }
        Ok(())
    }

    fn cancel(&mut self, id: &ClOrdId, now: Timestamp) -> Result<(), Reject> {
        self.now = self.now.max(now);
        if !self.tracker.state(id).is_some_and(|s| s.is_live()) {
            return Err(Reject::UnknownOrder);
        }
        let age_ms = self
            .tracker
            .sent_at(id)
            .map_or(i64::MAX, |t| now.millis() - t.millis());
        self.rate_check(&Action::Cancel { age_ms }, now)?;
        if self.cfg.hold_until_flushed {
            self.outbox.push(Outgoing::Cancel { id: id.clone() });
            return Ok(());
        }
        match self.send_cancel(id) {
            Ok(()) => Ok(()),
            // Not connected: the cancel did not leave; the engine retries later.
            Err(NotSent) => Err(Reject::Unavailable),
        }
    }

    fn balances(&self) -> Balances {
        let mut held_quote = Quote::ZERO;
        let mut held_base = Qty::ZERO;
        for (req, _, leaves) in self.tracker.live_orders() {
            // An IOC buy pays the taker fee on what it takes.
            let fee = match req.kind {
                OrderKind::PostOnly => self.cfg.instrument.maker_fee_pct,
                OrderKind::Ioc => self.cfg.instrument.taker_fee_pct,
            };
            match req.side {
                flywheel_core::Side::Buy => {
                    // An amount we cannot compute counts as all of it: never as zero.
                    let h = buy_hold(req.price, leaves, fee).unwrap_or(self.totals.1);
                    held_quote = held_quote.checked_add(h).unwrap_or(self.totals.1);
                }
                flywheel_core::Side::Sell => {
                    held_base = held_base.checked_add(leaves).unwrap_or(self.totals.0);
                }
            }
        }
        Balances {
            base: AssetBalance {
                total: self.totals.0,
                held: held_base,
            },
            quote: AssetBalance {
                total: self.totals.1,
                held: held_quote,
            },
        }
    }

    fn open_order_count(&self) -> usize {
        self.tracker.live_orders().count()
    }

    fn poll_events(&mut self, out: &mut Vec<VenueEvent>) {
        if let Some(beat) = &self.heartbeat {
            beat.fetch_add(1, Ordering::Relaxed);
        }
        self.pump();
        out.append(&mut self.events);
    }
}
