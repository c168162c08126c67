//! Every fault does what it says, and nothing more (table-driven where the shape allows).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{is_reply, start, token, Rest, Ws};
use flywheel_core::{Price, Qty, Side};
use flywheel_kraken::book::{L2Book, Resubscribe};
use flywheel_kraken::ids::ClOrdId;
use flywheel_kraken::outcome::{classify, Ambiguity, CallKind, RestOutcome};
use flywheel_kraken::rest::account::AddOrderResult;
use flywheel_kraken::ws::market::FeedType;
use flywheel_kraken::ws::private::ExecType;
use flywheel_kraken::ws::requests::{self, NewOrder, Subscription};
use flywheel_kraken::ws::WsMessage;
use flywheel_kraken_mock::{Fault, Feed, SystemStatus};

fn add_params(cl: &str) -> Vec<(&'static str, String)> {
    vec![
        ("ordertype", "limit".into()),
        ("type", "sell".into()),
        ("pair", "XDGUSD".into()),
        ("price", "0.1900000".into()),
        ("volume", "50".into()),
        ("oflags", "post,fciq".into()),
        ("cl_ord_id", cl.into()),
    ]
}

#[derive(Debug)]
enum Expect {
    Unknown(fn(&Ambiguity) -> bool),
    Refused(&'static str),
    NoAnswer,
}

#[tokio::test]
async fn rest_faults_table() {
    let mock = start().await;
    let mut rest = Rest::new(&mock);
    let ep = || "AddOrder".to_string();
    let cases: Vec<(&str, Fault, Expect, bool)> = vec![
        (
            "502 after apply",
            Fault::HttpErrorAfterApply {
                endpoint: ep(),
                status: 502,
                html: false,
            },
            Expect::Unknown(|a| matches!(a, Ambiguity::HttpStatus { status: 502 })),
            true,
        ),
        (
            "Cloudflare 520 page after apply",
            Fault::HttpErrorAfterApply {
                endpoint: ep(),
                status: 520,
                html: true,
            },
            Expect::Unknown(|a| matches!(a, Ambiguity::HtmlPage { status: 520 })),
            true,
        ),
        (
            "timeout after apply",
            Fault::TimeoutAfterApply { endpoint: ep() },
            Expect::NoAnswer,
            true,
        ),
        (
            "service unavailable",
            Fault::ServiceUnavailable { endpoint: ep() },
            Expect::Refused("EService:Unavailable"),
            false,
        ),
        (
            "REST rate limit",
            Fault::RestRateLimit { endpoint: ep() },
            Expect::Refused("EAPI:Rate limit exceeded"),
            false,
        ),
        (
            "order rate limit",
            Fault::OrderRateLimit,
            Expect::Refused("EOrder:Rate limit exceeded"),
            false,
        ),
        (
            "invalid nonce",
            Fault::InvalidNonce,
            Expect::Refused("EAPI:Invalid nonce"),
            false,
        ),
    ];
    let short = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    for (i, (name, fault, expect, applied)) in cases.into_iter().enumerate() {
        let cl = format!("fwf{i}");
        // A call to another endpoint does not take the fault (InvalidNonce takes the next
        // private call, whichever it is).
        let any_call = matches!(fault, Fault::InvalidNonce);
        mock.inject(fault);
        if !any_call {
            let bal = rest.raw("BalanceEx", &[]).await;
            assert!(
                bal.body.starts_with("{\"error\":[]"),
                "case {name}: {}",
                bal.body
            );
        }
        let params = add_params(&cl);
        let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        rest.nonce += 1;
        let req = flywheel_kraken::sign::sign_private(&rest.creds, "AddOrder", rest.nonce, &refs)
            .unwrap();
        let http = std::mem::replace(&mut rest.http, short.clone());
        let raw = rest
            .send_signed(&req.path, &req.body, &req.api_sign, rest.creds.key.expose())
            .await;
        rest.http = http;
        match (&expect, raw) {
            (Expect::NoAnswer, Err(e)) => assert!(e.is_timeout(), "case {name}: {e}"),
            (Expect::NoAnswer, Ok(r)) => panic!("case {name}: answered {r:?}"),
            (_, Err(e)) => panic!("case {name}: {e}"),
            (Expect::Unknown(f), Ok(r)) => {
                match classify::<AddOrderResult>(
                    CallKind::Order,
                    "AddOrder",
                    r.status,
                    r.content_type.as_deref(),
                    &r.body,
                ) {
                    RestOutcome::Unknown(a) => assert!(f(&a), "case {name}: {a:?}"),
                    o => panic!("case {name}: {o:?}"),
                }
            }
            (Expect::Refused(want), Ok(r)) => {
                match classify::<AddOrderResult>(
                    CallKind::Order,
                    "AddOrder",
                    r.status,
                    r.content_type.as_deref(),
                    &r.body,
                ) {
                    RestOutcome::Refused(e) => assert_eq!(e[0].raw, *want, "case {name}"),
                    o => panic!("case {name}: {o:?}"),
                }
            }
        }
        let l = mock.ledger();
        assert_eq!(
            l.adds_applied.get(&cl).copied().unwrap_or(0),
            u32::from(applied),
            "case {name}"
        );
        // The fault applied once: the next add goes through normally.
        let again = rest.add("sell", "0.1900000", "50", &format!("{cl}b")).await;
        assert!(
            again.done().is_some(),
            "case {name}: the fault applied twice"
        );
    }
    mock.shutdown();
}

fn sell(cl: &str) -> NewOrder {
    NewOrder {
        symbol: "DOGE/USD".into(),
        side: Side::Sell,
        limit_price: Price::lit(1_900_000, 7),
        order_qty: Qty::lit(50, 0),
        cl_ord_id: ClOrdId::new(cl).unwrap(),
        kind: flywheel_venue::OrderKind::PostOnly,
    }
}

async fn private_ws(mock: &flywheel_kraken_mock::MockHandle, tok: &str) -> Ws {
    let mut ws = Ws::connect(&mock.ws_private_url()).await;
    ws.send(&requests::subscribe(1, &Subscription::Executions, Some(&token(tok))).unwrap())
        .await;
    ws.until(
        "snapshot",
        500,
        |m| matches!(m, WsMessage::Executions(e) if e.kind == FeedType::Snapshot),
    )
    .await;
    ws
}

fn exec_frames(ws: &Ws) -> Vec<&String> {
    ws.log
        .iter()
        .filter(|t| t.contains("\"channel\":\"executions\"") && t.contains("\"update\""))
        .collect()
}

#[tokio::test]
async fn ws_stall_silences_without_closing() {
    let mock = start().await;
    let mut rest = Rest::new(&mock);
    let tok = rest.token().await;
    let mut ws = private_ws(&mock, &tok).await;
    ws.until("heartbeat", 500, |m| matches!(m, WsMessage::Heartbeat))
        .await;
    mock.inject(Fault::WsStall {
        feed: Feed::Private,
        millis: 600,
    });
    // Whatever was already on the wire arrives; then silence.
    while ws.next(60).await.is_some() {}
    assert!(ws.next(300).await.is_none(), "a frame during the stall");
    ws.until("heartbeat after the stall", 1000, |m| {
        matches!(m, WsMessage::Heartbeat)
    })
    .await;
    mock.shutdown();
}

#[tokio::test]
async fn ws_drop_closes_only_that_feed() {
    let mock = start().await;
    let mut rest = Rest::new(&mock);
    let tok = rest.token().await;
    let mut public = Ws::connect(&mock.ws_public_url()).await;
    public
        .until("status", 500, |m| matches!(m, WsMessage::Status(_)))
        .await;
    let mut private = private_ws(&mock, &tok).await;
    mock.inject(Fault::WsDrop { feed: Feed::Public });
    assert!(public.closed_within(500).await);
    private
        .until("heartbeat", 500, |m| matches!(m, WsMessage::Heartbeat))
        .await;
    mock.inject(Fault::WsDrop {
        feed: Feed::Private,
    });
    assert!(private.closed_within(500).await);
    mock.shutdown();
}

#[tokio::test]
async fn ws_drop_after_add_order_applies_then_closes_unanswered() {
    let mock = start().await;
    let mut rest = Rest::new(&mock);
    let tok = rest.token().await;
    let mut ws = private_ws(&mock, &tok).await;
    mock.inject(Fault::WsDropAfterAddOrder);
    ws.send(&requests::add_order(7, &sell("fwdrop"), None, &token(&tok)).unwrap())
        .await;
    assert!(ws.closed_within(1000).await);
    assert!(
        !ws.log
            .iter()
            .any(|t| t.contains("\"method\":\"add_order\"")),
        "{:?}",
        ws.log
    );
    assert_eq!(mock.ledger().adds_applied["fwdrop"], 1);
    mock.shutdown();
}

#[tokio::test]
async fn duplicate_and_reordered_executions() {
    let mock = start().await;
    let mut rest = Rest::new(&mock);
    let tok = rest.token().await;
    let mut ws = private_ws(&mock, &tok).await;
    mock.inject(Fault::DuplicateExecutions { count: 1 });
    rest.add("sell", "0.1900000", "50", "fwdup")
        .await
        .done()
        .unwrap();
    ws.until(
        "new",
        500,
        |m| matches!(m, WsMessage::Executions(e) if e.data[0].exec_type == ExecType::New),
    )
    .await;
    let f = exec_frames(&ws);
    assert_eq!(f.len(), 3, "{f:?}");
    assert_eq!(f[0], f[1], "the first frame twice");
    assert!(f[2].contains("\"exec_type\":\"new\""));
    // Reorder: pending_new is held and follows new.
    mock.inject(Fault::ReorderExecutions);
    rest.add("sell", "0.1900000", "50", "fwreo")
        .await
        .done()
        .unwrap();
    ws.until("pending_new", 500, |m| matches!(m, WsMessage::Executions(e) if e.data[0].exec_type == ExecType::PendingNew && e.data[0].cl_ord_id.as_deref() == Some("fwreo"))).await;
    let f = exec_frames(&ws);
    let tail: Vec<_> = f.iter().rev().take(2).rev().collect();
    assert!(
        tail[0].contains("\"exec_type\":\"new\"") && tail[1].contains("pending_new"),
        "{tail:?}"
    );
    mock.shutdown();
}

#[tokio::test]
async fn corrupt_checksum_is_detected_by_the_connector_book() {
    let mock = start().await;
    let mut ws = Ws::connect(&mock.ws_public_url()).await;
    ws.send(
        &requests::subscribe(
            1,
            &Subscription::Book {
                symbols: vec!["DOGE/USD".into()],
                depth: 10,
            },
            None,
        )
        .unwrap(),
    )
    .await;
    let WsMessage::Book(s) = ws
        .until("snapshot", 500, |m| matches!(m, WsMessage::Book(_)))
        .await
    else {
        unreachable!()
    };
    let mut book = L2Book::new("DOGE/USD", 10);
    book.apply(s.kind, &s.data[0]).unwrap();
    mock.inject(Fault::CorruptChecksum);
    mock.trade(Side::Buy, Price::lit(1_800_030, 7), Qty::lit(10, 0))
        .unwrap();
    let WsMessage::Book(u) = ws
        .until("update", 500, |m| matches!(m, WsMessage::Book(_)))
        .await
    else {
        unreachable!()
    };
    assert!(matches!(
        book.apply(u.kind, &u.data[0]),
        Err(Resubscribe::ChecksumMismatch { .. })
    ));
    // Once only: a fresh snapshot and the next update verify.
    ws.send(
        &requests::subscribe(
            2,
            &Subscription::Book {
                symbols: vec!["DOGE/USD".into()],
                depth: 10,
            },
            None,
        )
        .unwrap(),
    )
    .await;
    let WsMessage::Book(s) = ws
        .until(
            "snapshot",
            500,
            |m| matches!(m, WsMessage::Book(b) if b.kind == FeedType::Snapshot),
        )
        .await
    else {
        unreachable!()
    };
    book.apply(s.kind, &s.data[0]).unwrap();
    mock.trade(Side::Sell, Price::lit(1_799_970, 7), Qty::lit(10, 0))
        .unwrap();
    let WsMessage::Book(u) = ws
        .until("update", 500, |m| matches!(m, WsMessage::Book(_)))
        .await
    else {
        unreachable!()
    };
    book.apply(u.kind, &u.data[0]).unwrap();
    mock.shutdown();
}

#[tokio::test]
async fn expired_tokens_status_and_ws_refusals() {
    let mock = start().await;
    let mut rest = Rest::new(&mock);
    let old = rest.token().await;
    mock.inject(Fault::ExpireTokens);
    let mut ws = Ws::connect(&mock.ws_private_url()).await;
    ws.send(&requests::subscribe(1, &Subscription::Executions, Some(&token(&old))).unwrap())
        .await;
    let r = ws.until("refusal", 500, |m| is_reply(m, "subscribe")).await;
    assert!(matches!(r, WsMessage::Reply(ref r) if !r.success), "{r:?}");
    let fresh = rest.token().await;
    let t = token(&fresh);
    ws.send(&requests::subscribe(2, &Subscription::Executions, Some(&t)).unwrap())
        .await;
    ws.until("snapshot", 500, |m| matches!(m, WsMessage::Executions(_)))
        .await;
    // Refusal faults on WS methods, then a status change pushed on both feeds.
    let mut public = Ws::connect(&mock.ws_public_url()).await;
    public
        .until("status", 500, |m| matches!(m, WsMessage::Status(_)))
        .await;
    let cases = [
        (
            "order rate limit",
            Fault::OrderRateLimit,
            "EOrder:Rate limit exceeded",
        ),
        (
            "unavailable",
            Fault::ServiceUnavailable {
                endpoint: "add_order".into(),
            },
            "EService:Unavailable",
        ),
        (
            "cancel_only",
            Fault::SetStatus(SystemStatus::CancelOnly),
            "EService:Market in cancel_only mode",
        ),
    ];
    for (i, (name, fault, want)) in cases.into_iter().enumerate() {
        mock.inject(fault);
        let cl = format!("fwws{i}");
        ws.send(&requests::add_order(10 + i as u64, &sell(&cl), None, &t).unwrap())
            .await;
        let r = ws.until("reply", 500, |m| is_reply(m, "add_order")).await;
        let WsMessage::Reply(r) = r else {
            unreachable!()
        };
        assert_eq!(r.error.map(|e| e.raw).as_deref(), Some(want), "case {name}");
        assert!(!mock.ledger().adds_applied.contains_key(&cl), "case {name}");
    }
    let s = public
        .until("status change", 500, |m| matches!(m, WsMessage::Status(_)))
        .await;
    assert!(
        matches!(s, WsMessage::Status(ref s) if s.data[0].system == "cancel_only"),
        "{s:?}"
    );
    mock.set_status(SystemStatus::Online);
    ws.send(&requests::add_order(20, &sell("fwok"), None, &t).unwrap())
        .await;
    let r = ws.until("ack", 500, |m| is_reply(m, "add_order")).await;
    assert!(matches!(r, WsMessage::Reply(ref r) if r.success), "{r:?}");
    mock.shutdown();
}
