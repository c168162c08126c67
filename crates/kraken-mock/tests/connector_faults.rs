//! The Kraken connector against the mock Kraken, one run per injected fault.
//!
//! Each run places a handful of post-only orders through `LiveVenue` (the engine's `Venue`)
//! the way the engine does — an order proven never placed, or refused for a passing reason,
//! is sent again under a **new** id — while the mock prints trades that fill some of them
//! and one is cancelled. The fault is injected before the orders go out. Then the run waits
//! until every order's outcome is settled and checks it against the mock's own ledger:
//!
//! - every order is settled: acked/open, filled, cancelled, rejected or proven never placed
//!   — none is left pending or unknown;
//! - no intent reaches the exchange twice (at most one exchange order per intent, and at
//!   most one applied add per `cl_ord_id`);
//! - our state and filled volume equal the mock's for every order it has, and the orders we
//!   call never placed or rejected are not open there;
//! - the fills we reported are exactly the mock's fills of our orders, each once;
//! - our balances equal the mock's exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flywheel_core::{Price, Qty, Side};
use flywheel_kraken::live::venue::{LiveConfig, LiveVenue};
use flywheel_kraken::net::backoff::BackoffConfig;
use flywheel_kraken::net::clock::SystemClock;
use flywheel_kraken::net::connector::{
    self, ConnectorConfig, ConnectorHandle, KrakenTransport, OrderPath,
};
use flywheel_kraken::net::private::{PrivateRest, PrivateRestOptions};
use flywheel_kraken::net::rest::RestConfig;
use flywheel_kraken::net::ws::WsConfig;
use flywheel_kraken::nonce::MemoryNonceStore;
use flywheel_kraken::ratelimit::{Tier, TradingCounters};
use flywheel_kraken_mock::{Fault, Feed, MockConfig, MockHandle, MockKraken, SystemStatus};
use flywheel_venue::{ClOrdId, OrderKind, OrderRequest, OrderState, Reject, Venue, VenueEvent};

/// One order the "engine" wants on the book, and the ids it was sent under.
#[derive(Debug)]
struct Intent {
    side: Side,
    price: Price,
    qty: Qty,
    ids: Vec<ClOrdId>,
    /// Sends refused before they left (rate limit, unavailable): tried again later.
    refused: u32,
}

struct Rig {
    rt: tokio::runtime::Runtime,
    mock: MockHandle,
    venue: LiveVenue<KrakenTransport>,
    conn: ConnectorHandle,
    intents: Vec<Intent>,
    next_id: u64,
    events: Vec<VenueEvent>,
    /// Intents to send again, and when (the engine retries on its next loop).
    retries: Vec<(Instant, usize)>,
}

fn p(s: &str) -> Price {
    s.parse().expect("price")
}

fn q(s: &str) -> Qty {
    s.parse().expect("qty")
}

impl Rig {
    fn start(path: OrderPath) -> Rig {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let mock = rt
            .block_on(MockKraken::start(MockConfig {
                heartbeat: Duration::from_millis(100),
                timer_tick: Duration::from_millis(20),
                timeout_hold: Duration::from_secs(30),
                ..MockConfig::default()
            }))
            .expect("mock starts");
        let clock = Arc::new(SystemClock);
        let _guard = rt.enter();
        let rest_cfg = RestConfig {
            base_url: mock.rest_url(),
            timeout: Duration::from_millis(800),
            ..RestConfig::default()
        };
        let rest = PrivateRest::spawn(
            &rest_cfg,
            mock.config().credentials().expect("mock credentials"),
            MemoryNonceStore::default(),
            clock.clone(),
            PrivateRestOptions::default(),
        )
        .expect("REST actor");
        let mut ws = WsConfig::private();
        ws.url = mock.ws_private_url();
        ws.heartbeat_timeout = Duration::from_millis(700);
        ws.ping_interval = Duration::from_millis(200);
        ws.connect_timeout = Duration::from_secs(2);
        ws.backoff = BackoffConfig {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(200),
            ..BackoffConfig::default()
        };
        let cfg = ConnectorConfig {
            live: LiveConfig {
                instrument: mock.config().instrument.clone(),
                base_asset: "DOGE".into(),
                quote_asset: "USD".into(),
                id_prefix: "fw1".into(),
                deadline_ms: 1_500,
                reply_timeout_ms: 1_200,
                lookup_interval_ms: 300,
                audit_interval_ms: 1_000,
                counters: TradingCounters::new(Tier::Starter.limits()),
                hold_until_flushed: false,
            },
            rest_pair: mock.config().names.rest_pair.clone(),
            ws,
            order_path: path,
            tick_interval: Duration::from_millis(50),
        };
        let (venue, conn) =
            connector::start(cfg, rest, Box::new(MemoryNonceStore::default()), clock)
                .expect("connector starts");
        drop(_guard);
        let mut rig = Rig {
            rt,
            mock,
            venue,
            conn,
            intents: Vec::new(),
            next_id: 1,
            events: Vec::new(),
            retries: Vec::new(),
        };
        rig.wait("connected with balances", Duration::from_secs(5), |r| {
            r.venue.status().connected && r.venue.balances().quote.total.is_positive()
        });
        rig
    }

    fn poll(&mut self) {
        let mut out = Vec::new();
        self.venue.poll_events(&mut out);
        for ev in &out {
            if let VenueEvent::NeverPlaced { cl_ord_id, .. }
            | VenueEvent::Rejected {
                cl_ord_id,
                reason: Reject::RateLimited | Reject::Unavailable,
                ..
            } = ev
            {
                // The engine re-places what provably never reached the book, under a new
                // id, on a later loop.
                if let Some(k) = self.intent_of(cl_ord_id) {
                    self.retry_later(k);
                }
            }
        }
        self.events.extend(out);
        let now = Instant::now();
        let (due, later): (Vec<_>, Vec<_>) = self.retries.drain(..).partition(|(t, _)| *t <= now);
        self.retries = later;
        for (_, k) in due {
            self.send(k);
        }
    }

    fn retry_later(&mut self, k: usize) {
        self.retries
            .push((Instant::now() + Duration::from_millis(100), k));
    }

    fn intent_of(&self, id: &ClOrdId) -> Option<usize> {
        self.intents.iter().position(|i| i.ids.contains(id))
    }

    fn send(&mut self, k: usize) {
        if self.intents[k].ids.len() + self.intents[k].refused as usize >= 30 {
            return;
        }
        let id = ClOrdId::parse(&format!("fw1{}", self.next_id)).expect("id");
        self.next_id += 1;
        let req = OrderRequest {
            cl_ord_id: id.clone(),
            side: self.intents[k].side,
            price: self.intents[k].price,
            qty: self.intents[k].qty,
            kind: OrderKind::PostOnly,
        };
        match self
            .venue
            .place(&req, flywheel_kraken::net::clock::Clock::now(&SystemClock))
        {
            Ok(()) => self.intents[k].ids.push(id),
            Err(_) => {
                self.intents[k].refused += 1;
                self.retry_later(k);
            }
        }
    }

    fn want(&mut self, side: Side, price: &str, qty: &str) {
        self.intents.push(Intent {
            side,
            price: p(price),
            qty: q(qty),
            ids: Vec::new(),
            refused: 0,
        });
        let k = self.intents.len() - 1;
        self.send(k);
    }

    fn wait(&mut self, what: &str, limit: Duration, mut done: impl FnMut(&mut Rig) -> bool) {
        let start = Instant::now();
        loop {
            self.poll();
            if done(self) {
                return;
            }
            assert!(start.elapsed() < limit, "timed out waiting for: {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn our_ids(&self) -> Vec<ClOrdId> {
        self.intents.iter().flat_map(|i| i.ids.clone()).collect()
    }

    fn settled(&self) -> bool {
        let tr = self.venue.tracker();
        self.retries.is_empty()
            && self
                .our_ids()
                .iter()
                .all(|id| tr.state(id).is_some_and(|s| !s.in_flight()))
            && tr.to_look_up().is_empty()
    }

    fn print(&self, side: Side, price: &str, qty: &str) {
        let _g = self.rt.enter();
        self.mock.trade(side, p(price), q(qty)).expect("print");
    }
}

/// What a run found (all counts must be zero).
#[derive(Debug, Default, PartialEq, Eq)]
struct Discrepancies {
    unsettled: Vec<String>,
    /// Intents that never reached the exchange although the market took orders.
    never_placed_intents: Vec<String>,
    duplicate_orders: Vec<String>,
    state_mismatch: Vec<String>,
    fill_mismatch: Vec<String>,
    balance_drift: Vec<String>,
}

fn check(rig: &mut Rig) -> Discrepancies {
    check_with(rig, true)
}

/// `all_placed`: the market accepted orders throughout, so every intent must be on the
/// exchange exactly once in the end.
fn check_with(rig: &mut Rig, all_placed: bool) -> Discrepancies {
    let mut d = Discrepancies::default();
    let ledger = rig.mock.ledger();
    let tr = rig.venue.tracker();
    for intent in &rig.intents {
        let on_exchange: usize = intent
            .ids
            .iter()
            .map(|id| ledger.orders_of(id.as_str()).len())
            .sum();
        if on_exchange > 1 {
            d.duplicate_orders
                .push(format!("{intent:?}: {on_exchange} exchange orders"));
        }
        if all_placed && on_exchange == 0 {
            d.never_placed_intents.push(format!("{intent:?}"));
        }
        for id in &intent.ids {
            let ours = tr.state(id);
            if ours.is_none_or(|s| s.in_flight()) {
                d.unsettled.push(format!("{id}: {ours:?}"));
            }
            if ledger.adds_applied.get(id.as_str()).copied().unwrap_or(0) > 1 {
                d.duplicate_orders.push(format!("{id}: add applied twice"));
            }
            let theirs = ledger.orders_of(id.as_str());
            use flywheel_kraken_mock::OrderState as M;
            let agree = match (ours, theirs.as_slice()) {
                (Some(OrderState::NeverPlaced), []) | (Some(OrderState::Rejected), []) => true,
                // A post-only order refused on arrival exists there as cancelled, unfilled.
                (Some(OrderState::Rejected), [o]) => o.state == M::Canceled && o.filled.is_zero(),
                (Some(OrderState::Open), [o]) => o.state == M::Open,
                (Some(OrderState::Filled), [o]) => o.state == M::Closed,
                (Some(OrderState::Cancelled), [o]) => o.state == M::Canceled,
                _ => false,
            };
            let filled_agree = match theirs.as_slice() {
                [o] => tr.filled(id) == Some(o.filled),
                _ => true,
            };
            if !agree || !filled_agree {
                d.state_mismatch.push(format!(
                    "{id}: ours {ours:?} filled {:?}, theirs {:?}",
                    tr.filled(id),
                    theirs
                        .iter()
                        .map(|o| (o.state, o.filled))
                        .collect::<Vec<_>>()
                ));
            }
        }
    }
    let ours: BTreeSet<String> = rig.our_ids().iter().map(|i| i.to_string()).collect();
    let their_fills: BTreeMap<String, Qty> = ledger
        .trades
        .iter()
        .filter(|t| ours.contains(&t.cl_ord_id))
        .map(|t| (t.txid.clone(), t.qty))
        .collect();
    let mut our_fills: BTreeMap<String, Qty> = BTreeMap::new();
    let mut fill_count = 0;
    for ev in &rig.events {
        if let VenueEvent::Fill { qty, cl_ord_id, .. } = ev {
            fill_count += 1;
            *our_fills.entry(cl_ord_id.to_string()).or_default() += *qty;
        }
    }
    let mut theirs_by_order: BTreeMap<String, Qty> = BTreeMap::new();
    for t in ledger.trades.iter().filter(|t| ours.contains(&t.cl_ord_id)) {
        *theirs_by_order.entry(t.cl_ord_id.clone()).or_default() += t.qty;
    }
    if our_fills != theirs_by_order || fill_count != their_fills.len() {
        d.fill_mismatch.push(format!(
            "ours {our_fills:?} in {fill_count} fills, theirs {theirs_by_order:?} in {}",
            their_fills.len()
        ));
    }
    let b = rig.venue.balances();
    if b.quote.total != ledger.balances.quote.total || b.base.total != ledger.balances.base.total {
        d.balance_drift.push(format!(
            "ours {} USD {} DOGE, theirs {} USD {} DOGE",
            b.quote.total, b.base.total, ledger.balances.quote.total, ledger.balances.base.total
        ));
    }
    if b.quote.held != ledger.balances.quote.held || b.base.held != ledger.balances.base.held {
        d.balance_drift.push(format!(
            "held: ours {} USD {} DOGE, theirs {} USD {} DOGE",
            b.quote.held, b.base.held, ledger.balances.quote.held, ledger.balances.base.held
        ));
    }
    if let Some(e) = ledger.balance_drift.clone().or(ledger.ledger_error.clone()) {
        d.balance_drift.push(format!("mock: {e}"));
    }
    d
}

/// One run: the fault, five orders (three bids, two asks around 0.18), a print through the
/// best bid, a partial print on the best ask, a cancel of the lowest bid.
fn run(path: OrderPath, fault: Option<Fault>) -> (Discrepancies, Rig) {
    let mut rig = Rig::start(path);
    if let Some(f) = fault {
        rig.mock.inject(f);
    }
    rig.want(Side::Buy, "0.1790000", "100");
    rig.want(Side::Buy, "0.1780000", "100");
    rig.want(Side::Buy, "0.1770000", "100");
    rig.want(Side::Sell, "0.1810000", "100");
    rig.want(Side::Sell, "0.1820000", "100");
    rig.wait("orders settled", Duration::from_secs(20), |r| r.settled());
    rig.print(Side::Sell, "0.1790000", "100");
    rig.print(Side::Buy, "0.1810000", "40");
    let lowest = rig.intents[2].ids.last().cloned();
    rig.wait("fills arrived", Duration::from_secs(20), |r| {
        r.settled() && r.venue.tracker().stats().unknown_outcomes < u64::MAX
    });
    if let Some(id) = lowest {
        let now = flywheel_kraken::net::clock::Clock::now(&SystemClock);
        if rig.venue.tracker().state(&id) == Some(OrderState::Open) {
            rig.venue.cancel(&id, now).expect("cancel sent");
        }
    }
    // Let every stream catch up, then wait until nothing is in flight.
    std::thread::sleep(Duration::from_millis(600));
    rig.wait("all settled", Duration::from_secs(20), |r| r.settled());
    let d = check(&mut rig);
    (d, rig)
}

fn assert_clean(name: &str, path: OrderPath, fault: Option<Fault>) -> Rig {
    let (d, rig) = run(path, fault);
    assert_eq!(d, Discrepancies::default(), "fault case: {name}");
    rig
}

#[test]
fn ws_baseline_without_faults() {
    let rig = assert_clean("none", OrderPath::Ws, None);
    let st = rig.venue.tracker().stats();
    assert_eq!(st.unknown_outcomes, 0);
    // The local shadow of the trading counter was checked against Kraken's `ratecounter`
    // readings, and its headroom is observable.
    let status = rig.venue.status();
    let counter = &status.rate_counter["DOGE/USD"];
    assert!(counter.last_drift.is_some(), "{counter:?}");
    assert!(counter.headroom.is_positive() && counter.headroom <= counter.threshold);
}

#[test]
fn ws_drop_between_add_order_and_its_reply() {
    let rig = assert_clean(
        "drop after add",
        OrderPath::Ws,
        Some(Fault::WsDropAfterAddOrder),
    );
    assert!(
        rig.venue.tracker().stats().unknown_outcomes >= 1,
        "the lost reply made it unknown"
    );
}

#[test]
fn ws_private_drop_and_stall() {
    assert_clean(
        "drop",
        OrderPath::Ws,
        Some(Fault::WsDrop {
            feed: Feed::Private,
        }),
    );
    assert_clean(
        "stall past the watchdog",
        OrderPath::Ws,
        Some(Fault::WsStall {
            feed: Feed::Private,
            millis: 1_500,
        }),
    );
}

#[test]
fn ws_duplicated_and_reordered_executions() {
    let rig = assert_clean(
        "duplicates",
        OrderPath::Ws,
        Some(Fault::DuplicateExecutions { count: 20 }),
    );
    assert!(rig.venue.tracker().stats().duplicate_fills >= 1);
    assert_clean("reorder", OrderPath::Ws, Some(Fault::ReorderExecutions));
}

#[test]
fn ws_rate_limit_and_market_states() {
    assert_clean(
        "order rate limit",
        OrderPath::Ws,
        Some(Fault::OrderRateLimit),
    );
    assert_clean(
        "service unavailable",
        OrderPath::Ws,
        Some(Fault::ServiceUnavailable {
            endpoint: "add_order".into(),
        }),
    );
}

#[test]
fn ws_token_expiry_then_reconnect() {
    let mut rig = Rig::start(OrderPath::Ws);
    // The token dies under a live connection: the next add is refused with
    // `ESession:Invalid session`, the connector reconnects with a fresh token and the
    // intent is placed on a later try.
    rig.mock.inject(Fault::ExpireTokens);
    rig.want(Side::Buy, "0.1790000", "100");
    rig.wait("settled", Duration::from_secs(20), |r| r.settled());
    assert_eq!(check(&mut rig), Discrepancies::default());
    assert!(rig.intents[0].ids.len() >= 2, "the first try was refused");
}

#[test]
fn ws_cancel_only_and_maintenance_refuse_adds_without_losing_any() {
    for status in [SystemStatus::CancelOnly, SystemStatus::Maintenance] {
        let mut rig = Rig::start(OrderPath::Ws);
        rig.mock.set_status(status);
        rig.want(Side::Buy, "0.1790000", "100");
        rig.wait("settled", Duration::from_secs(20), |r| r.settled());
        assert_eq!(
            check_with(&mut rig, false),
            Discrepancies::default(),
            "{status:?}"
        );
        let refused = rig
            .events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    VenueEvent::Rejected {
                        reason: Reject::Unavailable,
                        ..
                    }
                )
            })
            .count();
        assert!(refused >= 1, "{status:?}: the add was refused");
    }
}

#[test]
fn rest_order_calls_with_ambiguous_answers() {
    for (name, fault) in [
        (
            "502 after apply",
            Fault::HttpErrorAfterApply {
                endpoint: "AddOrder".into(),
                status: 502,
                html: false,
            },
        ),
        (
            "Cloudflare page after apply",
            Fault::HttpErrorAfterApply {
                endpoint: "AddOrder".into(),
                status: 520,
                html: true,
            },
        ),
        (
            "timeout after apply",
            Fault::TimeoutAfterApply {
                endpoint: "AddOrder".into(),
            },
        ),
    ] {
        let timeout = matches!(fault, Fault::TimeoutAfterApply { .. });
        let rig = assert_clean(name, OrderPath::Rest, Some(fault));
        // A 5xx answers at once: the order is unknown until the stream or a lookup proves
        // it. A timeout answers after the executions stream has already proven the order,
        // so it changes nothing.
        if !timeout {
            assert!(
                rig.venue.tracker().stats().unknown_outcomes >= 1,
                "{name}: the outcome was unknown first"
            );
        }
    }
}

#[test]
fn rest_refusals_and_rate_limits() {
    assert_clean(
        "service unavailable",
        OrderPath::Rest,
        Some(Fault::ServiceUnavailable {
            endpoint: "AddOrder".into(),
        }),
    );
    assert_clean(
        "order rate limit",
        OrderPath::Rest,
        Some(Fault::OrderRateLimit),
    );
    assert_clean(
        "lookup rate limited",
        OrderPath::Rest,
        Some(Fault::RestRateLimit {
            endpoint: "OpenOrders".into(),
        }),
    );
}

#[test]
fn rest_invalid_nonce_halts_trading() {
    let mut rig = Rig::start(OrderPath::Rest);
    rig.mock.inject(Fault::InvalidNonce);
    rig.want(Side::Buy, "0.1790000", "100");
    rig.wait("settled", Duration::from_secs(20), |r| r.settled());
    assert!(rig.venue.status().halt.is_some(), "an invalid nonce halts");
    let now = flywheel_kraken::net::clock::Clock::now(&SystemClock);
    let req = OrderRequest {
        cl_ord_id: ClOrdId::parse("fw1zz").expect("id"),
        side: Side::Buy,
        price: p("0.1700000"),
        qty: q("100"),
        kind: OrderKind::PostOnly,
    };
    assert_eq!(rig.venue.place(&req, now), Err(Reject::Unavailable));
    assert_eq!(
        check_with(&mut rig, false).duplicate_orders,
        Vec::<String>::new()
    );
}

#[test]
fn ws_a_held_back_fill_is_recovered_by_the_audit() {
    let mut rig = Rig::start(OrderPath::Ws);
    rig.want(Side::Buy, "0.1790000", "100");
    rig.wait("placed", Duration::from_secs(10), |r| r.settled());
    // The fill's one `executions` frame is held back until another one comes — and none
    // does: only the periodic audit (a REST lookup of open orders) can find the fill.
    rig.mock.inject(Fault::ReorderExecutions);
    rig.print(Side::Sell, "0.1790000", "100");
    rig.wait("filled", Duration::from_secs(10), |r| {
        r.settled() && r.venue.tracker().state(&r.intents[0].ids[0]) == Some(OrderState::Filled)
    });
    assert_eq!(check(&mut rig), Discrepancies::default());
}

#[test]
fn the_dead_man_switch_holds_while_the_engine_polls_and_fires_when_it_stops() {
    use flywheel_kraken::net::dead_man::{DeadManConfig, DeadManSwitch};
    use std::sync::atomic::AtomicU64;
    let mut rig = Rig::start(OrderPath::Ws);
    let beat = Arc::new(AtomicU64::new(0));
    rig.venue.set_heartbeat(beat.clone());
    let switch = {
        let _g = rig.rt.enter();
        DeadManSwitch::start(
            rig.conn.rest.clone(),
            DeadManConfig {
                timeout_secs: 2,
                rearm_every: Duration::from_millis(300),
            },
            beat,
        )
    };
    rig.want(Side::Buy, "0.1790000", "100");
    rig.want(Side::Sell, "0.1810000", "100");
    // Both orders rest first — under a loaded CI machine that can take longer than the
    // switch's timeout, so the clock for "a live engine" starts only once they do.
    rig.wait("both orders rest", Duration::from_secs(20), |r| r.settled());
    let rearms_before = switch.state().rearms;
    // The engine polls for 3 s, longer than the 2 s timeout: the switch is re-armed and
    // the orders stay.
    let until = Instant::now() + Duration::from_secs(3);
    rig.wait("3 s of a live engine", Duration::from_secs(10), |_| {
        Instant::now() > until
    });
    // A periodic audit may be between its lookup and its answer at this instant.
    rig.wait("settled after 3 s", Duration::from_secs(10), |r| {
        r.settled()
    });
    let open = |r: &Rig| r.mock.ledger().open_orders;
    assert_eq!(open(&rig), 2, "a live engine keeps its orders");
    let st = switch.state();
    // Re-armed every 300 ms over 3 s: ten times on an idle machine; a loaded one
    // still re-arms more than once inside the 2 s timeout, or the orders would be gone.
    assert!(
        st.rearms >= rearms_before + 2 && st.trigger_at.is_some(),
        "{st:?}"
    );
    // The engine hangs (no polls) past the timeout: Kraken cancels everything. The rig
    // is not polled while waiting — only the mock's book is read.
    let hang = Instant::now();
    while open(&rig) != 0 {
        assert!(
            hang.elapsed() < Duration::from_secs(15),
            "the switch did not fire within 15 s of the engine hanging"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        hang.elapsed() >= Duration::from_millis(1_000),
        "fired early"
    );
    assert!(switch.state().skipped_engine_stalled >= 1);
    // When the engine comes back it hears of the cancels.
    rig.wait(
        "the cancels reach the engine",
        Duration::from_secs(10),
        |r| {
            r.intents
                .iter()
                .all(|i| r.venue.tracker().state(&i.ids[0]) == Some(OrderState::Cancelled))
        },
    );
    assert_eq!(check_with(&mut rig, true), Discrepancies::default());
}
