//! `LiveVenue` against a recording transport: ids guarded across restarts, holds from our
//! orders, the rate counter asked first, lookups asked for unknown orders.

use std::sync::mpsc::{channel, Sender};

use flywheel_core::{Instrument, Qty, Quote, Side, Timestamp};
use flywheel_venue::{ClOrdId, OrderKind, OrderRequest, Reject, Venue, VenueEvent};

use super::venue::{
    IoRequest, LiveConfig, LiveInput, LiveVenue, NotSent, OrderTransport, FIRST_REQ_ID,
};
use crate::nonce::{FileNonceStore, MemoryNonceStore};
use crate::ratelimit::{Tier, TradingCounters};
use crate::ws::{parse_message, WsMessage};

#[derive(Debug, Default)]
struct Recorder {
    connected: bool,
    adds: Vec<(u64, String)>,
    cancels: Vec<(u64, String)>,
    requests: Vec<IoRequest>,
}

impl OrderTransport for Recorder {
    fn add(&mut self, req_id: u64, o: &OrderRequest, _: &str, _: Timestamp) -> Result<(), NotSent> {
        if !self.connected {
            return Err(NotSent);
        }
        self.adds.push((req_id, o.cl_ord_id.to_string()));
        Ok(())
    }
    fn cancel(&mut self, req_id: u64, id: &ClOrdId) -> Result<(), NotSent> {
        if !self.connected {
            return Err(NotSent);
        }
        self.cancels.push((req_id, id.to_string()));
        Ok(())
    }
    fn request(&mut self, r: IoRequest) {
        self.requests.push(r);
    }
}

fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_760_097_600_000 + ms)
}

fn instrument() -> Instrument {
    Instrument {
        symbol: "DOGE/USD".into(),
        price_decimals: 7,
        tick: "0.0000001".parse().unwrap(),
        volume_decimals: 8,
        lot: "0.00000001".parse().unwrap(),
        min_volume: "50".parse().unwrap(),
        min_cost: "0.5".parse().unwrap(),
        maker_fee_pct: "0.25".parse().unwrap(),
        taker_fee_pct: "0.40".parse().unwrap(),
    }
}

fn cfg() -> LiveConfig {
    LiveConfig {
        instrument: instrument(),
        base_asset: "DOGE".into(),
        quote_asset: "USD".into(),
        id_prefix: "fw1".into(),
        deadline_ms: 5_000,
        reply_timeout_ms: 5_000,
        lookup_interval_ms: 2_000,
        audit_interval_ms: 10_000,
        counters: TradingCounters::new(Tier::Starter.limits()),
        hold_until_flushed: false,
    }
}

fn venue(store: Box<dyn super::venue::IdStore>) -> (LiveVenue<Recorder>, Sender<LiveInput>) {
    let (tx, rx) = channel();
    let transport = Recorder {
        connected: true,
        ..Recorder::default()
    };
    (
        LiveVenue::new(cfg(), transport, rx, store, t(0)).unwrap(),
        tx,
    )
}

fn req(n: &str, side: Side, price: &str, qty: &str) -> OrderRequest {
    OrderRequest {
        cl_ord_id: ClOrdId::parse(&format!("fw1{n}")).unwrap(),
        side,
        price: price.parse().unwrap(),
        qty: qty.parse().unwrap(),
        kind: OrderKind::PostOnly,
    }
}

fn connected(tx: &Sender<LiveInput>) {
    tx.send(LiveInput::Connected { at: t(0) }).unwrap();
}

#[test]
fn an_id_is_never_sent_twice_not_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cl_ord_id.seq");
    {
        let (mut v, _tx) = venue(Box::new(FileNonceStore::new(&path)));
        assert_eq!(v.min_next_id(), 1);
        v.place(&req("1", Side::Buy, "0.1", "50"), t(1)).unwrap();
        v.place(&req("5", Side::Buy, "0.1", "50"), t(2)).unwrap();
        assert_eq!(
            v.place(&req("3", Side::Buy, "0.1", "50"), t(3)),
            Err(Reject::DuplicateClOrdId),
            "below the last sent"
        );
        assert_eq!(v.transport().adds.len(), 2);
    }
    // A restart over an older engine snapshot: the store knows better.
    let (mut v, _tx) = venue(Box::new(FileNonceStore::new(&path)));
    assert_eq!(v.min_next_id(), 6);
    assert_eq!(
        v.place(&req("5", Side::Buy, "0.1", "50"), t(4)),
        Err(Reject::DuplicateClOrdId)
    );
    v.place(&req("6", Side::Buy, "0.1", "50"), t(5)).unwrap();
    assert_eq!(v.transport().adds, vec![(FIRST_REQ_ID, "fw16".to_string())]);
}

#[test]
fn holds_come_from_our_orders_and_totals_from_kraken() {
    let (mut v, tx) = venue(Box::new(MemoryNonceStore::default()));
    connected(&tx);
    let snapshot = r#"{"channel":"balances","type":"snapshot","data":[{"asset":"USD","asset_class":"currency","balance":1000.0000,"wallets":[]},{"asset":"DOGE","asset_class":"currency","balance":5000.00000000,"wallets":[]}],"sequence":1}"#;
    let WsMessage::Balances(msg) = parse_message(snapshot).unwrap() else {
        panic!("balances")
    };
    tx.send(LiveInput::Balances { msg, at: t(1) }).unwrap();
    v.place(&req("1", Side::Buy, "0.1", "100"), t(2)).unwrap();
    v.place(&req("2", Side::Sell, "0.2", "300"), t(2)).unwrap();
    let mut out = Vec::new();
    v.poll_events(&mut out);
    let b = v.balances();
    assert_eq!(b.quote.total, "1000".parse::<Quote>().unwrap());
    assert_eq!(b.base.total, "5000".parse::<Qty>().unwrap());
    // 100 × 0.1 = 10 USD + 0.25 % = 10.025.
    assert_eq!(b.quote.held, "10.025".parse::<Quote>().unwrap());
    assert_eq!(b.base.held, "300".parse::<Qty>().unwrap());
    assert_eq!(v.open_order_count(), 2);
}

#[test]
fn the_rate_counter_is_asked_before_sending() {
    let (mut v, _tx) = venue(Box::new(MemoryNonceStore::default()));
    // Starter: threshold 60, 8 kept for cancels: 52 adds fit at one instant.
    let mut sent = 0;
    let mut refused = None;
    for n in 1..=60u32 {
        match v.place(&req(&format!("{n}"), Side::Buy, "0.1", "50"), t(10)) {
            Ok(()) => sent += 1,
            Err(r) => {
                refused = Some(r);
                break;
            }
        }
    }
    assert_eq!(sent, 52);
    assert_eq!(refused, Some(Reject::RateLimited));
    assert_eq!(v.status().deferred_by_rate_limit, 1);
    // The counter decays 1/s: three seconds later three more fit.
    for n in 100..103 {
        v.place(&req(&format!("{n}"), Side::Buy, "0.1", "50"), t(3_010))
            .unwrap();
    }
    assert_eq!(
        v.place(&req("200", Side::Buy, "0.1", "50"), t(3_010)),
        Err(Reject::RateLimited)
    );
}

#[test]
fn an_unsent_order_never_placed_and_a_lost_reply_is_looked_up() {
    let (mut v, tx) = venue(Box::new(MemoryNonceStore::default()));
    connected(&tx);
    v.place(&req("1", Side::Buy, "0.1", "50"), t(1)).unwrap();
    // The socket drops before the reply.
    tx.send(LiveInput::Disconnected { at: t(2) }).unwrap();
    let mut out = Vec::new();
    v.poll_events(&mut out);
    assert!(matches!(out.as_slice(), [VenueEvent::Unknown { .. }]));
    assert!(
        v.transport().requests.is_empty(),
        "no lookups while disconnected"
    );
    // Back online: one lookup for the unknown order.
    tx.send(LiveInput::Connected { at: t(3) }).unwrap();
    v.poll_events(&mut out);
    assert_eq!(
        v.transport().requests,
        vec![IoRequest::Lookup(vec![ClOrdId::parse("fw11").unwrap()])]
    );
    // Asked again only after the interval.
    tx.send(LiveInput::Tick { at: t(1_000) }).unwrap();
    v.poll_events(&mut out);
    assert_eq!(v.transport().requests.len(), 1);
    tx.send(LiveInput::Tick { at: t(3_000) }).unwrap();
    v.poll_events(&mut out);
    assert_eq!(v.transport().requests.len(), 2);
}

#[test]
fn cancels_of_orders_we_do_not_have_are_refused_at_once() {
    let (mut v, _tx) = venue(Box::new(MemoryNonceStore::default()));
    assert_eq!(
        v.cancel(&ClOrdId::parse("fw19").unwrap(), t(1)),
        Err(Reject::UnknownOrder)
    );
    v.place(&req("1", Side::Buy, "0.1", "50"), t(1)).unwrap();
    v.cancel(&ClOrdId::parse("fw11").unwrap(), t(2)).unwrap();
    assert_eq!(
        v.transport().cancels,
        vec![(FIRST_REQ_ID + 1, "fw11".to_string())]
    );
}

#[test]
fn only_orders_under_our_prefix_leave() {
    let (mut v, _tx) = venue(Box::new(MemoryNonceStore::default()));
    let mut foreign = req("1", Side::Buy, "0.1", "50");
    foreign.cl_ord_id = ClOrdId::parse("xx1").unwrap();
    assert_eq!(v.place(&foreign, t(1)), Err(Reject::InvalidOrder));
    assert!(v.transport().adds.is_empty());
}

fn executions(tx: &Sender<LiveInput>, frame: &str, at: Timestamp) {
    let WsMessage::Executions(msg) = parse_message(frame).unwrap() else {
        panic!("executions: {frame}")
    };
    tx.send(LiveInput::Executions { msg, at }).unwrap();
}

/// The hedger's taker clip: it leaves like any order, holds its notional with the taker fee
/// while it lives, and ends when Kraken cancels its remainder — filled as far as it took.
#[test]
fn an_ioc_order_holds_the_taker_fee_and_ends_with_its_remainder_cancelled() {
    let (mut v, tx) = venue(Box::new(MemoryNonceStore::default()));
    connected(&tx);
    let mut ioc = req("1", Side::Buy, "0.1", "50");
    ioc.kind = OrderKind::Ioc;
    v.place(&ioc, t(1)).unwrap();
    assert_eq!(v.transport().adds, vec![(FIRST_REQ_ID, "fw11".to_string())]);
    // 50 × 0.1 = 5 USD and 0.40 % of it: 5.02, not the maker fee's 5.0125.
    assert_eq!(v.balances().quote.held, "5.02".parse::<Quote>().unwrap());
    let row = |extra: &str| {
        format!(
            r#"{{"channel":"executions","type":"update","data":[{{"order_id":"O1","cl_ord_id":"fw11",{extra}"timestamp":"2025-10-10T12:00:00Z"}}]}}"#
        )
    };
    executions(
        &tx,
        &row(r#""exec_type":"new","order_status":"new","order_qty":50.0,"time_in_force":"IOC","#),
        t(2),
    );
    executions(
        &tx,
        &row(
            r#""exec_type":"trade","exec_id":"T1","last_qty":20.0,"last_price":0.0999,"cum_qty":20.0,"liquidity_ind":"t","fees":[{"asset":"USD","qty":0.0079920}],"#,
        ),
        t(2),
    );
    executions(
        &tx,
        &row(
            r#""exec_type":"canceled","order_status":"canceled","cum_qty":20.0,"reason":"IOC remainder","#,
        ),
        t(2),
    );
    let mut out = Vec::new();
    v.poll_events(&mut out);
    let kinds: Vec<String> = out
        .iter()
        .map(|e| match e {
            VenueEvent::Acked { .. } => "ack".to_string(),
            VenueEvent::Fill {
                qty,
                liquidity,
                leaves,
                ..
            } => format!("fill {qty} {liquidity:?} leaves {leaves}"),
            VenueEvent::Done { reason, filled, .. } => format!("done {reason:?} {filled}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        vec!["ack", "fill 20 Taker leaves 30", "done Cancelled 20"]
    );
    assert_eq!(v.balances().quote.held, Quote::ZERO);
    assert_eq!(v.open_order_count(), 0);
}

#[test]
fn open_orders_are_audited_every_interval() {
    let (mut v, tx) = venue(Box::new(MemoryNonceStore::default()));
    connected(&tx);
    v.place(&req("1", Side::Buy, "0.1", "50"), t(1)).unwrap();
    let new = r#"{"channel":"executions","type":"update","data":[{"order_id":"O1","cl_ord_id":"fw11","exec_type":"new","order_status":"new","order_qty":50.0,"timestamp":"2025-10-10T12:00:00Z"}]}"#;
    let WsMessage::Executions(msg) = parse_message(new).unwrap() else {
        panic!("executions")
    };
    tx.send(LiveInput::Executions { msg, at: t(2) }).unwrap();
    let mut out = Vec::new();
    v.poll_events(&mut out);
    assert!(
        v.transport().requests.is_empty(),
        "an acked order needs no lookup"
    );
    tx.send(LiveInput::Tick { at: t(9_000) }).unwrap();
    v.poll_events(&mut out);
    assert!(v.transport().requests.is_empty(), "not yet due");
    tx.send(LiveInput::Tick { at: t(10_002) }).unwrap();
    v.poll_events(&mut out);
    assert_eq!(
        v.transport().requests,
        vec![IoRequest::Lookup(vec![ClOrdId::parse("fw11").unwrap()])]
    );
}

#[test]
fn held_requests_leave_only_when_flushed() {
    let (tx, rx) = channel();
    let mut c = cfg();
    c.hold_until_flushed = true;
    let transport = Recorder {
        connected: true,
        ..Recorder::default()
    };
    let mut v = LiveVenue::new(
        c,
        transport,
        rx,
        Box::new(MemoryNonceStore::default()),
        t(0),
    )
    .unwrap();
    connected(&tx);
    v.place(&req("1", Side::Buy, "0.1", "100"), t(1)).unwrap();
    assert!(
        v.transport().adds.is_empty(),
        "nothing leaves before the commit"
    );
    assert_eq!(v.outbox().len(), 1);
    // The intent is ours already: it holds its funds and counts as open.
    assert_eq!(v.balances().quote.held, "10.025".parse::<Quote>().unwrap());
    assert_eq!(v.open_order_count(), 1);
    v.flush(t(2));
    assert!(v.outbox().is_empty());
    assert_eq!(v.transport().adds, vec![(FIRST_REQ_ID, "fw11".to_string())]);

    // A held cancel that cannot leave is refused back to the engine.
    let id = ClOrdId::parse("fw11").unwrap();
    v.cancel(&id, t(3)).unwrap();
    v.transport_mut().connected = false;
    v.flush(t(4));
    let mut out = Vec::new();
    v.poll_events(&mut out);
    assert!(
        out.iter().any(|e| matches!(
            e,
            VenueEvent::CancelRejected {
                reason: Reject::Unavailable,
                ..
            }
        )),
        "{out:?}"
    );
}
