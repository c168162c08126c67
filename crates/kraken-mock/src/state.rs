//! The mock's state: the simulated exchange plus Kraken's bookkeeping around it, behind one
//! `std::sync::Mutex` (every operation is short and synchronous; nothing awaits under it).
//!
//! Invariants:
//! - **Ground truth.** Every order ever accepted has an [`OrderRecord`] under its Kraken txid;
//!   `adds_applied[cl_ord_id]` counts how many add requests for that id were applied (a client
//!   that never places an order twice keeps it at 1); every fill has one [`TradeRecord`] with
//!   its trade txid (= the `exec_id` of its `executions` row) and public `trade_id`.
//! - The simulated exchange never sees the client's `cl_ord_id`: each accepted order (and each
//!   amend, which the mock carries out as cancel + place inside a trial copy of the exchange)
//!   gets an internal id `m<n>`. So Kraken's rule holds — a `cl_ord_id` is unique only among
//!   *open* orders — while the simulator keeps its own never-reuse rule.
//! - The running balances written in `balances` updates ([`MockState::ws_balances`]) move by
//!   the same amounts as the simulator's ledger; [`MockState::ledger_view`] reports any
//!   difference (`balance_drift`), and the simulator's own `check_ledger`.
//! - Outgoing frames are published while the lock is held, each with a sequence number, so
//!   every subscriber sees them in the order the state changed and can drop those already
//!   contained in a snapshot it took.

use std::collections::BTreeMap;
use std::sync::Arc;

use flywheel_core::{Price, Qty, Quote, Side, Timestamp};
use flywheel_kraken::ratelimit::{Limits, PairCounter};
use flywheel_marketdata::{MarketEvent, Trade};
use flywheel_venue::{Balances, ClOrdId, SimConfig, SimError, SimExchange};
use serde::Serialize;
use tokio::sync::broadcast;

use crate::book_synth::SynthBook;
use crate::config::MockConfig;
use crate::faults::{FaultBook, SystemStatus};
use crate::frames::{self, BalanceUpdateRow, ExecRow};
use crate::ids::IdGen;

/// Capacity of the frame channels; a subscriber that falls this far behind is disconnected.
pub const CHANNEL_CAPACITY: usize = 8192;

/// A public channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PubChannel {
    Book,
    Trade,
    Ticker,
    Status,
}

/// A frame for the public feed.
#[derive(Clone, Debug)]
pub struct PublicOut {
    pub seq: u64,
    pub channel: PubChannel,
    pub text: Arc<str>,
}

/// Something for the private feed; each connection writes its own frames (sequence numbers
/// and the `ratecounter` field are per subscription).
#[derive(Clone, Debug)]
pub enum PrivateOut {
    Executions {
        seq: u64,
        rows: Arc<Vec<ExecRow>>,
        /// The pair's counter when the frame was made.
        ratecount: flywheel_core::Fixed,
        /// Send twice (`DuplicateExecutions`).
        twice: bool,
        /// Hold until the next executions frame (`ReorderExecutions`).
        hold: bool,
    },
    Balances {
        seq: u64,
        rows: Arc<Vec<BalanceUpdateRow>>,
    },
    Status {
        seq: u64,
        text: Arc<str>,
    },
}

impl PrivateOut {
    pub fn seq(&self) -> u64 {
        match self {
            PrivateOut::Executions { seq, .. }
            | PrivateOut::Balances { seq, .. }
            | PrivateOut::Status { seq, .. } => *seq,
        }
    }
}

/// The life of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    Open,
    /// Completely filled.
    Closed,
    Canceled,
}

/// One accepted order (see the module docs).
#[derive(Clone, Debug, Serialize)]
pub struct OrderRecord {
    pub txid: String,
    pub cl_ord_id: String,
    pub side: Side,
    pub price: Price,
    /// Total volume (after amends).
    pub qty: Qty,
    pub filled: Qty,
    pub cost: Quote,
    pub fee: Quote,
    pub state: OrderState,
    pub reason: Option<String>,
    pub opened: Timestamp,
    pub closed: Option<Timestamp>,
    /// Trade txids of its fills.
    pub trades: Vec<String>,
    #[serde(skip)]
    pub sim_id: ClOrdId,
    /// Executed on the current internal order (since the last amend).
    #[serde(skip)]
    pub sim_filled: Qty,
    /// Immediate-or-cancel (the hedger's taker clip); else post-only.
    pub ioc: bool,
}

impl OrderRecord {
    pub fn leaves(&self) -> Qty {
        self.qty - self.filled
    }
}

/// One fill.
#[derive(Clone, Debug, Serialize)]
pub struct TradeRecord {
    /// Trade txid: TradesHistory key and the `exec_id` of the execution.
    pub txid: String,
    pub postxid: String,
    pub ordertxid: String,
    pub cl_ord_id: String,
    /// The public print's id.
    pub trade_id: u64,
    pub time: Timestamp,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    pub cost: Quote,
    pub fee: Quote,
    /// The fill took liquidity (an IOC order's).
    pub taker: bool,
    pub ledgers: [String; 2],
}

/// A `GetWebSocketsToken` token.
#[derive(Clone, Debug)]
pub struct TokenInfo {
    pub issued: Timestamp,
    /// Used on a private subscription: valid from then on (Kraken: it does not expire while
    /// a subscription lives).
    pub used: bool,
    pub revoked: bool,
}

/// Running market statistics for the ticker.
#[derive(Clone, Debug)]
pub struct MarketStats {
    pub last: Price,
    pub last_qty: Qty,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub volume: Qty,
    pub notional: Quote,
    pub count: u64,
}

/// The ground truth a test asserts on.
#[derive(Clone, Debug, Serialize)]
pub struct LedgerView {
    /// Every order ever accepted, by txid.
    pub orders: BTreeMap<String, OrderRecord>,
    /// Applied adds per `cl_ord_id`.
    pub adds_applied: BTreeMap<String, u32>,
    /// Every fill, oldest first.
    pub trades: Vec<TradeRecord>,
    pub balances: Balances,
    pub open_orders: usize,
    /// The simulator's ledger check (`None`: consistent).
    pub ledger_error: Option<String>,
    /// Running balances of the `balances` channel minus the simulator's totals
    /// (`None`: equal).
    pub balance_drift: Option<String>,
}

impl LedgerView {
    /// The orders of one `cl_ord_id`.
    pub fn orders_of(&self, cl_ord_id: &str) -> Vec<&OrderRecord> {
        self.orders
            .values()
            .filter(|o| o.cl_ord_id == cl_ord_id)
            .collect()
    }
}

/// Why the mock cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("simulated exchange: {0}")]
    Sim(#[from] SimError),
    #[error("credentials: {0}")]
    Secret(String),
    #[error("bind 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
}

/// The state (see the module docs).
#[derive(Debug)]
pub struct MockState {
    pub cfg: Arc<MockConfig>,
    pub sim: SimExchange,
    pub orders: BTreeMap<String, OrderRecord>,
    pub open_by_cl: BTreeMap<String, String>,
    pub by_sim: BTreeMap<ClOrdId, String>,
    pub adds_applied: BTreeMap<String, u32>,
    pub trades: Vec<TradeRecord>,
    pub ids: IdGen,
    pub counter: PairCounter,
    pub last_nonce: Option<u64>,
    pub tokens: BTreeMap<String, TokenInfo>,
    pub status: SystemStatus,
    pub dms_trigger: Option<Timestamp>,
    pub book: SynthBook,
    pub stats: MarketStats,
    pub faults: FaultBook,
    /// Running balances as written on the `balances` channel.
    pub ws_balances: (Qty, Quote),
    /// The id of the public print being processed (the `trade_id` of its fills).
    pub last_public_trade: u64,
    seq: u64,
    public_tx: broadcast::Sender<PublicOut>,
    private_tx: broadcast::Sender<PrivateOut>,
}

impl MockState {
    pub fn new(
        cfg: Arc<MockConfig>,
        now: Timestamp,
        public_tx: broadcast::Sender<PublicOut>,
        private_tx: broadcast::Sender<PrivateOut>,
    ) -> Result<Self, StartError> {
        let sim_cfg = SimConfig {
            latency_ms: 0,
            ack_latency_ms: 0,
            fill_rule: cfg.fill_rule,
            ioc_half_spread_bps: cfg.ioc_half_spread_bps,
            max_open_orders: cfg.max_open_orders() as usize,
            ..SimConfig::frictionless()
        };
        let start = Balances {
            base: flywheel_venue::AssetBalance {
                total: cfg.start_base,
                held: Qty::ZERO,
            },
            quote: flywheel_venue::AssetBalance {
                total: cfg.start_quote,
                held: Quote::ZERO,
            },
        };
        let mut sim = SimExchange::new(cfg.instrument.clone(), sim_cfg, start)?;
        // A zero-volume print sets the post-only reference to the start price and fills
        // nothing (a print below one lot fills nothing).
        sim.on_market(&MarketEvent::Trade(Trade {
            ts: now,
            price: cfg.start_price,
            qty: Qty::ZERO,
            taker_side: None,
        }))?;
        let limits = Limits {
            // The mock is Kraken: the whole threshold is usable; the reserve is a client habit.
            reserve: flywheel_core::Fixed::ZERO,
            ..cfg.tier.limits()
        };
        let p = cfg.start_price;
        let mut state = MockState {
            sim,
            orders: BTreeMap::new(),
            open_by_cl: BTreeMap::new(),
            by_sim: BTreeMap::new(),
            adds_applied: BTreeMap::new(),
            trades: Vec::new(),
            ids: IdGen::default(),
            counter: PairCounter::new(limits, now),
            last_nonce: None,
            tokens: BTreeMap::new(),
            status: SystemStatus::Online,
            dms_trigger: None,
            book: SynthBook::default(),
            stats: MarketStats {
                last: p,
                last_qty: Qty::ZERO,
                open: p,
                high: p,
                low: p,
                volume: Qty::ZERO,
                notional: Quote::ZERO,
                count: 0,
            },
            faults: FaultBook::default(),
            ws_balances: (cfg.start_base, cfg.start_quote),
            last_public_trade: 0,
            seq: 0,
            public_tx,
            private_tx,
            cfg,
        };
        state.rebuild_book();
        Ok(state)
    }

    /// The sequence number of the last published frame.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn publish_public(&mut self, channel: PubChannel, text: String) {
        let seq = self.next_seq();
        // No subscriber is not an error: frames are not kept for later.
        let _ = self.public_tx.send(PublicOut {
            seq,
            channel,
            text: text.into(),
        });
    }

    /// Publish executions rows, applying the duplicate/reorder faults.
    pub fn publish_executions(&mut self, rows: Vec<ExecRow>, now: Timestamp) {
        if rows.is_empty() {
            return;
        }
        let seq = self.next_seq();
        let twice = self.faults.take_duplicate();
        let hold = self.faults.take_reorder();
        let _ = self.private_tx.send(PrivateOut::Executions {
            seq,
            rows: Arc::new(rows),
            ratecount: self.counter.value_at(now),
            twice,
            hold,
        });
    }

    pub fn publish_balances(&mut self, rows: Vec<BalanceUpdateRow>) {
        if rows.is_empty() {
            return;
        }
        let seq = self.next_seq();
        let _ = self.private_tx.send(PrivateOut::Balances {
            seq,
            rows: Arc::new(rows),
        });
    }

    /// Change the system status and tell both feeds.
    pub fn set_status(&mut self, status: SystemStatus) {
        if self.status == status {
            return;
        }
        self.status = status;
        let text = frames::status(status.as_str(), 0);
        self.publish_public(PubChannel::Status, text.clone());
        let seq = self.next_seq();
        let _ = self.private_tx.send(PrivateOut::Status {
            seq,
            text: text.into(),
        });
    }

    /// Accept the nonce of a private REST call if it is above every earlier one.
    pub fn accept_nonce(&mut self, nonce: u64) -> bool {
        if self.last_nonce.is_some_and(|last| nonce <= last) {
            return false;
        }
        self.last_nonce = Some(nonce);
        true
    }

    /// Issue a WebSocket token.
    pub fn issue_token(&mut self, now: Timestamp) -> String {
        let token = self.ids.token();
        self.tokens.insert(
            token.clone(),
            TokenInfo {
                issued: now,
                used: false,
                revoked: false,
            },
        );
        token
    }

    /// Check a token; a subscription marks it used (valid from then on).
    pub fn check_token(
        &mut self,
        token: Option<&str>,
        now: Timestamp,
        subscribing: bool,
    ) -> Result<(), &'static str> {
        const INVALID: &str = "ESession:Invalid session";
        let Some(token) = token else {
            return Err("EGeneral:Invalid arguments:token");
        };
        let lifetime = i64::try_from(self.cfg.token_lifetime.as_millis()).unwrap_or(i64::MAX);
        let info = self.tokens.get_mut(token).ok_or(INVALID)?;
        if info.revoked || (!info.used && now.millis_since(info.issued) > lifetime) {
            return Err(INVALID);
        }
        if subscribing {
            info.used = true;
        }
        Ok(())
    }

    /// Every token issued so far becomes invalid.
    pub fn expire_tokens(&mut self) {
        for t in self.tokens.values_mut() {
            t.revoked = true;
        }
    }

    /// Arm (`timeout_secs` > 0) or disarm (0) the dead-man switch; returns the trigger time.
    pub fn cancel_all_after(&mut self, timeout_secs: u64, now: Timestamp) -> Option<Timestamp> {
        self.dms_trigger = (timeout_secs > 0).then(|| now.plus_secs(timeout_secs));
        self.dms_trigger
    }

    /// The background timer: fire the dead-man switch when due.
    pub fn on_timer(&mut self, now: Timestamp) {
        if self.dms_trigger.is_some_and(|t| t <= now) {
            self.dms_trigger = None;
            self.cancel_all(now, "Cancel all orders after timeout");
        }
    }

    pub fn ledger_view(&self) -> LedgerView {
        let balances = flywheel_venue::Venue::balances(&self.sim);
        let (b, q) = self.ws_balances;
        let balance_drift = (b != balances.base.total || q != balances.quote.total).then(|| {
            format!(
                "balances channel {b} base / {q} quote, exchange {} / {}",
                balances.base.total, balances.quote.total
            )
        });
        LedgerView {
            orders: self.orders.clone(),
            adds_applied: self.adds_applied.clone(),
            trades: self.trades.clone(),
            balances,
            open_orders: self.open_by_cl.len(),
            ledger_error: self.sim.check_ledger().err().map(|e| e.to_string()),
            balance_drift,
        }
    }
}
