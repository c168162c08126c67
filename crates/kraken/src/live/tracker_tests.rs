//! Tracker scenarios built from wire text (parsed by the same parsers as live frames), and a
//! property test over reordered and duplicated executions.

use flywheel_core::{Qty, Side, Timestamp};
use flywheel_venue::{ClOrdId, DoneReason, OrderKind, OrderRequest, OrderState, VenueEvent};
use proptest::prelude::*;

use super::tracker::{Lookup, Tracker};
use crate::rest::orders::{OrderInfo, TradeInfo};
use crate::ws::{parse_message, WsMessage};

const TXID: &str = "OB5VMB-B4U2U-DK2WRW";

fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_760_097_600_000 + ms)
}

fn iso(ms: i64) -> String {
    crate::time::format_rfc3339(t(ms))
}

fn id(s: &str) -> ClOrdId {
    ClOrdId::parse(s).unwrap()
}

fn order(cl: &str, qty: &str) -> OrderRequest {
    OrderRequest {
        cl_ord_id: id(cl),
        side: Side::Sell,
        price: "0.19".parse().unwrap(),
        qty: qty.parse().unwrap(),
        kind: OrderKind::PostOnly,
    }
}

fn tracker_with(cl: &str, qty: &str) -> Tracker {
    let mut tr = Tracker::new("USD", 5_000);
    tr.add_sent(1, &order(cl, qty), t(0), t(5_000));
    tr
}

fn feed(tr: &mut Tracker, frame: &str) {
    match parse_message(frame).unwrap() {
        WsMessage::Executions(m) => tr.on_executions(&m),
        WsMessage::Reply(r) => tr.on_reply(&r, t(1)),
        other => panic!("unexpected frame {other:?}"),
    }
}

fn exec(kind: &str, cl: &str, extra: &str, ms: i64) -> String {
    format!(
        r#"{{"channel":"executions","type":"{kind}","data":[{{"order_id":"{TXID}","cl_ord_id":"{cl}",{extra}"timestamp":"{}"}}]}}"#,
        iso(ms)
    )
}

fn new(cl: &str) -> String {
    exec(
        "update",
        cl,
        r#""exec_type":"new","order_status":"new","order_qty":100.0,"#,
        2,
    )
}

fn trade(cl: &str, exec_id: &str, last: &str, cum: &str) -> String {
    exec(
        "update",
        cl,
        &format!(
            r#""exec_type":"trade","exec_id":"{exec_id}","last_qty":{last},"last_price":0.1900000,"cum_qty":{cum},"liquidity_ind":"m","fees":[{{"asset":"USD","qty":0.0010000}}],"#
        ),
        3,
    )
}

fn ended(cl: &str, exec_type: &str, cum: &str, reason: Option<&str>) -> String {
    let reason = reason.map_or(String::new(), |r| format!(r#""reason":"{r}","#));
    exec(
        "update",
        cl,
        &format!(
            r#""exec_type":"{exec_type}","order_status":"{exec_type}","cum_qty":{cum},{reason}"#
        ),
        4,
    )
}

fn reply_ok(req_id: u64) -> String {
    format!(
        r#"{{"method":"add_order","req_id":{req_id},"success":true,"result":{{"order_id":"{TXID}","cl_ord_id":"fw1a"}},"time_in":"{}","time_out":"{}"}}"#,
        iso(1),
        iso(1)
    )
}

fn reply_err(method: &str, req_id: u64, error: &str) -> String {
    format!(r#"{{"method":"{method}","req_id":{req_id},"success":false,"error":"{error}"}}"#)
}

fn events(tr: &mut Tracker) -> Vec<VenueEvent> {
    let mut v = Vec::new();
    tr.drain(&mut v);
    v
}

/// Short names of events: `ack`, `fill:<qty>/<leaves>`, `done:<reason>:<filled>`, …
fn names(evs: &[VenueEvent]) -> Vec<String> {
    evs.iter()
        .map(|e| match e {
            VenueEvent::Acked { .. } => "ack".to_string(),
            VenueEvent::Fill { qty, leaves, .. } => format!("fill:{qty}/{leaves}"),
            VenueEvent::Done { reason, filled, .. } => format!(
                "done:{}:{filled}",
                match reason {
                    DoneReason::Cancelled => "cxl",
                    DoneReason::Expired => "exp",
                }
            ),
            VenueEvent::Rejected { reason, .. } => format!("rej:{}", reason.name()),
            VenueEvent::Unknown { .. } => "unknown".to_string(),
            VenueEvent::NeverPlaced { .. } => "never".to_string(),
            VenueEvent::CancelRejected { reason, .. } => format!("cxlrej:{}", reason.name()),
        })
        .collect()
}

#[test]
fn frame_sequences_give_the_contracts_events() {
    // (name, frames after `add_sent(req 1, fw1a, 100)`, expected events)
    let cases: Vec<(&str, Vec<String>, Vec<&str>)> = vec![
        (
            "reply, fill, filled",
            vec![
                reply_ok(1),
                trade("fw1a", "E1", "100.0", "100.0"),
                ended("fw1a", "filled", "100.0", None),
            ],
            vec!["ack", "fill:100/0"],
        ),
        (
            "executions before the reply: one ack",
            vec![new("fw1a"), reply_ok(1)],
            vec!["ack"],
        ),
        (
            "a duplicated fill counts once",
            vec![
                new("fw1a"),
                trade("fw1a", "E1", "40.0", "40.0"),
                trade("fw1a", "E1", "40.0", "40.0"),
            ],
            vec!["ack", "fill:40/60"],
        ),
        (
            "partial fills reordered: leaves from our own sum",
            vec![
                trade("fw1a", "E2", "30.0", "60.0"),
                trade("fw1a", "E1", "30.0", "30.0"),
            ],
            vec!["fill:30/70", "fill:30/40"],
        ),
        (
            "the cancel overtakes its fill: the end waits for it",
            vec![
                new("fw1a"),
                ended("fw1a", "canceled", "30.0", None),
                trade("fw1a", "E1", "30.0", "30.0"),
            ],
            vec!["ack", "fill:30/70", "done:cxl:30"],
        ),
        (
            "post-only cancelled on arrival is a rejection",
            vec![ended("fw1a", "canceled", "0", Some("Post only order"))],
            vec!["rej:post_only_would_take"],
        ),
        (
            "expired",
            vec![new("fw1a"), ended("fw1a", "expired", "0", None)],
            vec!["ack", "done:exp:0"],
        ),
        (
            "insufficient funds",
            vec![reply_err("add_order", 1, "EOrder:Insufficient funds")],
            vec!["rej:insufficient_funds"],
        ),
        (
            "a cl_ord_id that is open already",
            vec![reply_err("add_order", 1, "EOrder:Duplicate order")],
            vec!["rej:duplicate_cl_ord_id"],
        ),
        (
            "a refused session token",
            vec![reply_err("add_order", 1, "ESession:Invalid session")],
            vec!["rej:unavailable"],
        ),
        (
            "rate limited",
            vec![reply_err("add_order", 1, "EOrder:Rate limit exceeded")],
            vec!["rej:rate_limited"],
        ),
        (
            "cancel_only market",
            vec![reply_err(
                "add_order",
                1,
                "EService:Market in cancel_only mode",
            )],
            vec!["rej:unavailable"],
        ),
        (
            "an error we cannot read leaves the outcome unknown",
            vec![reply_err("add_order", 1, "EGeneral:Internal error")],
            vec!["unknown"],
        ),
        (
            "the supervisor's subscribe reply under the same id is not the add's",
            vec![format!(
                r#"{{"method":"subscribe","req_id":1,"success":true,"result":{{"channel":"executions"}}}}"#
            )],
            vec![],
        ),
        (
            "a reply to another request changes nothing",
            vec![reply_err("add_order", 99, "EOrder:Insufficient funds")],
            vec![],
        ),
        (
            "a foreign order's executions are not ours",
            vec![trade("zz9", "E9", "10.0", "10.0")],
            vec![],
        ),
    ];
    for (name, frames, want) in cases {
        let mut tr = tracker_with("fw1a", "100");
        for f in &frames {
            feed(&mut tr, f);
        }
        assert_eq!(names(&events(&mut tr)), want, "case: {name}");
    }
}

#[test]
fn a_lost_reply_is_unknown_until_proven() {
    // Dropped socket → unknown; the next snapshot lists it → open.
    let mut tr = tracker_with("fw1a", "100");
    tr.on_disconnect(t(10));
    feed(
        &mut tr,
        &exec(
            "snapshot",
            "fw1a",
            r#""exec_type":"new","order_status":"new","order_qty":100.0,"#,
            20,
        ),
    );
    assert_eq!(names(&events(&mut tr)), vec!["unknown", "ack"]);
    assert_eq!(tr.state(&id("fw1a")), Some(OrderState::Open));
    assert_eq!(tr.stats().unknown_outcomes, 1);
}

#[test]
fn absence_proves_nothing_before_the_deadline() {
    let mut tr = tracker_with("fw1a", "100");
    tr.on_timer(t(4_999));
    assert!(events(&mut tr).is_empty(), "reply timeout not reached");
    tr.on_timer(t(5_000));
    assert_eq!(names(&events(&mut tr)), vec!["unknown"]);
    assert_eq!(tr.to_look_up(), vec![id("fw1a")]);
    tr.on_lookup(&id("fw1a"), &Lookup::Absent, t(5_000));
    assert!(events(&mut tr).is_empty(), "deadline (5 000) not passed");
    tr.on_lookup(&id("fw1a"), &Lookup::Absent, t(5_001));
    assert_eq!(names(&events(&mut tr)), vec!["never"]);
    assert!(tr.to_look_up().is_empty());
}

fn closed_info(vol_exec: &str, status: &str) -> OrderInfo {
    let text = format!(
        r#"{{"cl_ord_id":"fw1a","status":"{status}","opentm":1760097600.5,"closetm":1760097610.0,"descr":{{"pair":"XDGUSD","type":"sell","ordertype":"limit","price":"0.1900000","price2":"0","order":"sell 100 XDGUSD @ limit 0.19"}},"vol":"100.00000000","vol_exec":"{vol_exec}","cost":"0","fee":"0","price":"0.1900000","oflags":"post,fciq"}}"#
    );
    serde_json::from_str(&text).unwrap()
}

fn rest_trade(vol: &str) -> TradeInfo {
    let text = format!(
        r#"{{"ordertxid":"{TXID}","pair":"XDGUSD","time":1760097605.0,"type":"sell","ordertype":"limit","price":"0.1900000","cost":"1","fee":"0.0025000","vol":"{vol}","misc":"","maker":true}}"#
    );
    serde_json::from_str(&text).unwrap()
}

#[test]
fn an_unknown_order_found_filled_gets_its_fills_from_rest() {
    let mut tr = tracker_with("fw1a", "100");
    tr.on_disconnect(t(10));
    let found = Lookup::Found {
        txid: TXID.to_string(),
        info: Box::new(closed_info("100.00000000", "closed")),
    };
    assert!(
        tr.on_lookup(&id("fw1a"), &found, t(6_000)),
        "fills are missing"
    );
    tr.on_rest_trade("T1", &rest_trade("60.00000000"));
    tr.on_rest_trade("T1", &rest_trade("60.00000000"));
    tr.on_rest_trade("T2", &rest_trade("40.00000000"));
    assert_eq!(
        names(&events(&mut tr)),
        vec!["unknown", "ack", "fill:60/40", "fill:40/0"]
    );
    assert_eq!(tr.stats().duplicate_fills, 1);
    assert_eq!(tr.state(&id("fw1a")), Some(OrderState::Filled));
}

#[test]
fn an_unknown_order_found_cancelled_after_a_partial_fill() {
    let mut tr = tracker_with("fw1a", "100");
    tr.on_disconnect(t(10));
    let found = Lookup::Found {
        txid: TXID.to_string(),
        info: Box::new(closed_info("60.00000000", "canceled")),
    };
    assert!(tr.on_lookup(&id("fw1a"), &found, t(6_000)));
    // The WS fill (exec id = trade txid) and the REST copy are one fill.
    feed(&mut tr, &trade("fw1a", "T1", "60.0", "60.0"));
    tr.on_rest_trade("T1", &rest_trade("60.00000000"));
    assert_eq!(
        names(&events(&mut tr)),
        vec!["unknown", "ack", "fill:60/40", "done:cxl:60"]
    );
}

#[test]
fn credential_errors_halt_and_refuse() {
    let mut tr = tracker_with("fw1a", "100");
    feed(&mut tr, &reply_err("add_order", 1, "EAPI:Invalid key"));
    assert_eq!(names(&events(&mut tr)), vec!["rej:unavailable"]);
    assert!(tr
        .halt()
        .is_some_and(|h| h.reason.contains("EAPI:Invalid key")));
}

#[test]
fn a_refused_cancel_of_a_gone_order_asks_for_a_lookup() {
    let mut tr = tracker_with("fw1a", "100");
    feed(&mut tr, &new("fw1a"));
    tr.cancel_sent(2, &id("fw1a"));
    feed(
        &mut tr,
        &reply_err("cancel_order", 2, "EOrder:Unknown order"),
    );
    assert_eq!(names(&events(&mut tr)), vec!["ack", "cxlrej:unknown_order"]);
    assert_eq!(tr.to_look_up(), vec![id("fw1a")]);
}

#[test]
fn an_order_that_could_not_be_written_never_placed() {
    let mut tr = Tracker::new("USD", 5_000);
    tr.add_not_sent(&order("fw1b", "10"), t(0));
    assert_eq!(names(&events(&mut tr)), vec!["never"]);
}

#[test]
fn an_open_order_missing_from_a_snapshot_is_looked_up() {
    let mut tr = tracker_with("fw1a", "100");
    feed(&mut tr, &new("fw1a"));
    events(&mut tr);
    let empty = r#"{"channel":"executions","type":"snapshot","data":[]}"#;
    feed(&mut tr, empty);
    assert_eq!(tr.to_look_up(), vec![id("fw1a")]);
}

proptest! {
    /// Whatever the order and duplication of an order's fill frames and its end, the engine
    /// sees each fill once, in a state machine that never contradicts itself, the fills sum
    /// to the executed volume, and the end comes last.
    #[test]
    fn reordered_and_duplicated_executions_settle_exactly(
        parts in prop::collection::vec(1u32..40, 1..6),
        cancel in any::<bool>(),
        perm_seed in any::<u64>(),
        dup_mask in any::<u16>(),
    ) {
        let total: u32 = parts.iter().sum();
        let qty = if cancel { total + 7 } else { total };
        let mut tr = tracker_with("fw1a", &qty.to_string());
        let mut frames = Vec::new();
        let mut cum = 0;
        for (i, p) in parts.iter().enumerate() {
            cum += p;
            frames.push(trade("fw1a", &format!("E{i}"), &p.to_string(), &cum.to_string()));
            if dup_mask & (1 << i) != 0 {
                frames.push(trade("fw1a", &format!("E{i}"), &p.to_string(), &cum.to_string()));
            }
        }
        frames.push(if cancel {
            ended("fw1a", "canceled", &total.to_string(), None)
        } else {
            ended("fw1a", "filled", &total.to_string(), None)
        });
        // A deterministic shuffle from the seed.
        let mut s = perm_seed | 1;
        for i in (1..frames.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            frames.swap(i, (s % (i as u64 + 1)) as usize);
        }
        for f in &frames {
            feed(&mut tr, f);
        }
        let evs = events(&mut tr);
        prop_assert_eq!(tr.stats().contradictions, 0);
        let mut state = OrderState::Pending;
        let mut sum = Qty::ZERO;
        for e in &evs {
            state = state.after(e).expect("no contradiction");
            if let VenueEvent::Fill { qty, .. } = e { sum += *qty; }
        }
        prop_assert_eq!(sum, Qty::from_int(i64::from(total)).unwrap());
        prop_assert_eq!(state, if cancel { OrderState::Cancelled } else { OrderState::Filled });
        prop_assert_eq!(evs.iter().filter(|e| matches!(e, VenueEvent::Fill { .. })).count(), parts.len());
    }
}

#[test]
fn rest_add_outcomes_settle_like_ws_replies() {
    use super::tracker::AddResult;
    use crate::error::KrakenError;
    let cases: Vec<(&str, AddResult, Vec<&str>, bool)> = vec![
        (
            "placed",
            AddResult::Placed {
                txid: TXID.to_string(),
            },
            vec!["ack"],
            false,
        ),
        (
            "5xx, HTML page or timeout",
            AddResult::Unknown,
            vec!["unknown"],
            false,
        ),
        (
            "invalid nonce halts",
            AddResult::Refused(KrakenError::parse("EAPI:Invalid nonce")),
            vec!["rej:unavailable"],
            true,
        ),
        (
            "service unavailable",
            AddResult::Refused(KrakenError::parse("EService:Unavailable")),
            vec!["rej:unavailable"],
            false,
        ),
    ];
    for (name, result, want, halts) in cases {
        let mut tr = tracker_with("fw1a", "100");
        tr.on_add_result(1, result.clone(), t(1));
        // A second answer to the same request changes nothing.
        tr.on_add_result(1, result, t(2));
        assert_eq!(names(&events(&mut tr)), want, "case: {name}");
        assert_eq!(tr.halt().is_some(), halts, "case: {name}");
    }
}

#[test]
fn a_rest_cancel_refusal_reaches_the_engine() {
    use crate::error::KrakenError;
    let mut tr = tracker_with("fw1a", "100");
    feed(&mut tr, &new("fw1a"));
    tr.cancel_sent(7, &id("fw1a"));
    tr.on_cancel_refused(7, &KrakenError::parse("EOrder:Unknown order"), t(3));
    // Only once per request.
    tr.on_cancel_refused(7, &KrakenError::parse("EOrder:Unknown order"), t(4));
    assert_eq!(names(&events(&mut tr)), vec!["ack", "cxlrej:unknown_order"]);
}
