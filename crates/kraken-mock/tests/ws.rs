//! WebSocket v2 against real sockets: every frame parsed by `flywheel_kraken::ws`, the book
//! verified by `flywheel_kraken::book::L2Book`, executions and balances checked against the
//! mock's ledger.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{is_reply, start, token, Rest, Ws};
use flywheel_core::{Price, Qty, Quote, Side};
use flywheel_kraken::book::L2Book;
use flywheel_kraken::ids::ClOrdId;
use flywheel_kraken::ws::market::FeedType;
use flywheel_kraken::ws::private::{ExecType, Execution};
use flywheel_kraken::ws::replies::ReplyResult;
use flywheel_kraken::ws::requests::{self, NewOrder, Subscription, WsOrderRef};
use flywheel_kraken::ws::WsMessage;
use flywheel_venue::OrderKind;

fn order(side: Side, price: Price, qty: Qty, cl: &str) -> NewOrder {
    NewOrder {
        symbol: "DOGE/USD".into(),
        side,
        limit_price: price,
        order_qty: qty,
        cl_ord_id: ClOrdId::new(cl).unwrap(),
        kind: OrderKind::PostOnly,
    }
}

fn px(m: i64) -> Price {
    Price::lit(m, 7)
}

#[tokio::test]
async fn public_feed_book_trade_ticker_heartbeat() {
    let mock = start().await;
    let mut ws = Ws::connect(&mock.ws_public_url()).await;
    let status = ws
        .until("status", 500, |m| matches!(m, WsMessage::Status(_)))
        .await;
    let WsMessage::Status(s) = status else {
        unreachable!()
    };
    assert_eq!(s.data[0].system, "online");
    let sym = vec!["DOGE/USD".to_string()];
    ws.send(
        &requests::subscribe(
            1,
            &Subscription::Book {
                symbols: sym.clone(),
                depth: 10,
            },
            None,
        )
        .unwrap(),
    )
    .await;
    ws.send(
        &requests::subscribe(
            2,
            &Subscription::Trade {
                symbols: sym.clone(),
            },
            None,
        )
        .unwrap(),
    )
    .await;
    ws.send(
        &requests::subscribe(
            3,
            &Subscription::Ticker {
                symbols: sym.clone(),
            },
            None,
        )
        .unwrap(),
    )
    .await;
    ws.send(&requests::subscribe(4, &Subscription::Instrument, None).unwrap())
        .await;
    let mut book = L2Book::new("DOGE/USD", 10);
    let snap = ws
        .until("book snapshot", 500, |m| matches!(m, WsMessage::Book(_)))
        .await;
    let WsMessage::Book(b) = snap else {
        unreachable!()
    };
    assert_eq!(b.kind, FeedType::Snapshot);
    book.apply(b.kind, &b.data[0]).expect("snapshot checksum");
    assert_eq!(book.bids().count(), 10);
    let inst = ws
        .until("instrument", 500, |m| matches!(m, WsMessage::Instrument(_)))
        .await;
    let WsMessage::Instrument(i) = inst else {
        unreachable!()
    };
    let pair = &i.data.pairs[0];
    let got = pair
        .to_instrument(
            mock.config().instrument.maker_fee_pct,
            mock.config().instrument.taker_fee_pct,
        )
        .unwrap();
    assert_eq!(got, mock.config().instrument);
    // A print moves the book; every update verifies.
    for (side, p) in [
        (Side::Buy, 1_800_050),
        (Side::Sell, 1_799_900),
        (Side::Buy, 1_800_000),
    ] {
        mock.trade(side, px(p), Qty::lit(1234, 0)).unwrap();
        let t = ws
            .until("trade", 500, |m| matches!(m, WsMessage::Trade(_)))
            .await;
        let WsMessage::Trade(t) = t else {
            unreachable!()
        };
        assert_eq!(
            (t.data[0].price, t.data[0].qty, t.data[0].side),
            (px(p), Qty::lit(1234, 0), side)
        );
        let u = ws
            .until("book update", 500, |m| matches!(m, WsMessage::Book(_)))
            .await;
        let WsMessage::Book(u) = u else {
            unreachable!()
        };
        book.apply(u.kind, &u.data[0]).expect("update checksum");
        let (bb, _) = book.best_bid().unwrap();
        let (ba, _) = book.best_ask().unwrap();
        assert!(bb < px(p) && px(p) < ba);
    }
    let tk = ws
        .until(
            "ticker",
            500,
            |m| matches!(m, WsMessage::Ticker(t) if t.data[0].last == px(1_800_000)),
        )
        .await;
    let WsMessage::Ticker(tk) = tk else {
        unreachable!()
    };
    assert_eq!(tk.data[0].volume, Qty::lit(3702, 0));
    assert_eq!(tk.data[0].high, px(1_800_050));
    ws.until("heartbeat", 500, |m| matches!(m, WsMessage::Heartbeat))
        .await;
    ws.send(&requests::ping(9)).await;
    let pong = ws.until("pong", 500, |m| is_reply(m, "pong")).await;
    let WsMessage::Reply(r) = pong else {
        unreachable!()
    };
    assert_eq!(r.req_id, Some(9));
    // The v1 name is refused as Kraken does.
    ws.send(
        &requests::subscribe(
            5,
            &Subscription::Trade {
                symbols: vec!["XDG/USD".into()],
            },
            None,
        )
        .unwrap(),
    )
    .await;
    let bad = ws
        .until(
            "refusal",
            500,
            |m| matches!(m, WsMessage::Reply(r) if r.req_id == Some(5)),
        )
        .await;
    let WsMessage::Reply(r) = bad else {
        unreachable!()
    };
    assert!(!r.success);
    assert_eq!(r.error.unwrap().raw, "Currency pair not supported XDG/USD");
    mock.shutdown();
}

/// Connect, subscribe executions (with snapshots and ratecounter) and balances.
async fn private(mock: &flywheel_kraken_mock::MockHandle, tok: &str) -> Ws {
    let mut ws = Ws::connect(&mock.ws_private_url()).await;
    ws.send(&requests::subscribe(1, &Subscription::Executions, Some(&token(tok))).unwrap())
        .await;
    ws.until(
        "executions snapshot",
        500,
        |m| matches!(m, WsMessage::Executions(e) if e.kind == FeedType::Snapshot),
    )
    .await;
    ws.send(&requests::subscribe(2, &Subscription::Balances, Some(&token(tok))).unwrap())
        .await;
    ws.until(
        "balances snapshot",
        500,
        |m| matches!(m, WsMessage::Balances(b) if b.kind == FeedType::Snapshot),
    )
    .await;
    ws
}

fn executions(ws: &Ws) -> Vec<Execution> {
    ws.log
        .iter()
        .filter_map(|t| match flywheel_kraken::ws::parse_message(t).unwrap() {
            WsMessage::Executions(e) if e.kind == FeedType::Update => Some(e.data),
            _ => None,
        })
        .flatten()
        .collect()
}

#[tokio::test]
async fn private_trading_and_fills_match_the_ledger() {
    let mock = start().await;
    let mut rest = Rest::new(&mock);
    let tok = rest.token().await;
    let mut ws = private(&mock, &tok).await;
    let t = token(&tok);
    ws.send(
        &requests::add_order(
            10,
            &order(Side::Buy, px(1_790_000), Qty::lit(100, 0), "fwb1"),
            None,
            &t,
        )
        .unwrap(),
    )
    .await;
    let r = ws
        .until("add reply", 500, |m| is_reply(m, "add_order"))
        .await;
    let WsMessage::Reply(r) = r else {
        unreachable!()
    };
    let ReplyResult::AddOrder(ack) = r.result else {
        panic!("{r:?}")
    };
    assert_eq!(ack.cl_ord_id.as_deref(), Some("fwb1"));
    let txid = ack.order_id;
    ws.send(
        &requests::add_order(
            11,
            &order(Side::Sell, px(1_810_000), Qty::lit(60, 0), "fws1"),
            None,
            &t,
        )
        .unwrap(),
    )
    .await;
    ws.until("add reply", 500, |m| is_reply(m, "add_order"))
        .await;
    // Amend the sell: 80 at 0.1811.
    ws.send(
        &requests::amend_order(
            12,
            &WsOrderRef::ClOrdId(ClOrdId::new("fws1").unwrap()),
            Qty::lit(80, 0),
            Some(px(1_811_000)),
            None,
            &t,
        )
        .unwrap(),
    )
    .await;
    let a = ws
        .until("amend reply", 500, |m| is_reply(m, "amend_order"))
        .await;
    assert!(
        matches!(a, WsMessage::Reply(ref r) if r.success && matches!(r.result, ReplyResult::AmendOrder(_))),
        "{a:?}"
    );
    // Two prints: 30 then 70 fill the buy completely.
    mock.trade(Side::Sell, px(1_790_000), Qty::lit(30, 0))
        .unwrap();
    mock.trade(Side::Sell, px(1_789_000), Qty::lit(500, 0))
        .unwrap();
    ws.until("filled", 500, |m| matches!(m, WsMessage::Executions(e) if e.data.iter().any(|x| x.exec_type == ExecType::Filled))).await;
    // The second fill's balances follow its executions frame.
    ws.until(
        "balances",
        500,
        |m| matches!(m, WsMessage::Balances(b) if b.kind == FeedType::Update),
    )
    .await;
    let ex = executions(&ws);
    let kinds: Vec<ExecType> = ex
        .iter()
        .filter(|e| e.order_id == txid)
        .map(|e| e.exec_type.clone())
        .collect();
    assert_eq!(
        kinds,
        [
            ExecType::PendingNew,
            ExecType::New,
            ExecType::Trade,
            ExecType::Trade,
            ExecType::Filled
        ]
    );
    let fills: Vec<&Execution> = ex.iter().filter(|e| e.is_fill()).collect();
    let ledger = mock.ledger();
    assert_eq!(fills.len(), ledger.trades.len());
    for (f, t) in fills.iter().zip(&ledger.trades) {
        assert_eq!(f.exec_id.as_deref(), Some(t.txid.as_str()));
        assert_eq!(f.trade_id, Some(t.trade_id));
        assert_eq!(
            (f.last_qty, f.last_price, f.cost),
            (Some(t.qty), Some(t.price), Some(t.cost))
        );
        assert_eq!(f.liquidity_ind.as_deref(), Some("m"));
        let fee = &f.fees.as_ref().unwrap()[0];
        assert_eq!((fee.asset.as_str(), fee.qty.quote()), ("USD", t.fee));
        assert!(f.ratecount.is_some(), "ratecounter was asked for");
    }
    assert_eq!(
        ex.iter()
            .rev()
            .find(|e| e.order_id == txid)
            .unwrap()
            .cum_qty,
        Some(Qty::lit(100, 0))
    );
    // 100 DOGE at 0.179: 17.9 USD + 0.04475 fee.
    assert_eq!(
        ledger.balances.quote.total,
        Quote::lit(1000, 0) - Quote::lit(179, 1) - Quote::lit(4475, 5)
    );
    assert_eq!(
        (ledger.ledger_error.clone(), ledger.balance_drift.clone()),
        (None, None)
    );
    // The last USD ledger entry carries the exchange's USD total.
    let usd_frames: Vec<_> = ws
        .log
        .iter()
        .filter_map(|t| match flywheel_kraken::ws::parse_message(t).unwrap() {
            WsMessage::Balances(b) if b.kind == FeedType::Update => {
                b.data.into_iter().find(|d| d.asset == "USD")
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        usd_frames.last().unwrap().balance.value().unwrap(),
        ledger.balances.quote.total.fixed()
    );
    // Cancels, batch and the dead-man switch reply in their fixture shapes.
    let orders = [
        order(Side::Buy, px(1_780_000), Qty::lit(50, 0), "fwb2"),
        order(Side::Buy, px(1_770_000), Qty::lit(50, 0), "fwb3"),
    ];
    ws.send(&requests::batch_add(20, &orders, None, &t).unwrap())
        .await;
    let b = ws
        .until("batch reply", 500, |m| is_reply(m, "batch_add"))
        .await;
    assert!(
        matches!(b, WsMessage::Reply(ref r) if matches!(&r.result, ReplyResult::BatchAdd(v) if v.len() == 2)),
        "{b:?}"
    );
    ws.send(
        &requests::batch_cancel(
            21,
            &[
                WsOrderRef::ClOrdId(ClOrdId::new("fwb2").unwrap()),
                WsOrderRef::ClOrdId(ClOrdId::new("fwb3").unwrap()),
            ],
            &t,
        )
        .unwrap(),
    )
    .await;
    let c = ws
        .until("batch cancel", 500, |m| is_reply(m, "batch_cancel"))
        .await;
    assert!(
        matches!(c, WsMessage::Reply(ref r) if matches!(&r.result, ReplyResult::BatchCancel(c) if c.count == 2)),
        "{c:?}"
    );
    ws.send(
        &requests::cancel_order(
            22,
            &[WsOrderRef::ClOrdId(ClOrdId::new("fws1").unwrap())],
            &t,
        )
        .unwrap(),
    )
    .await;
    let c = ws
        .until("cancel", 500, |m| is_reply(m, "cancel_order"))
        .await;
    assert!(matches!(c, WsMessage::Reply(ref r) if r.success), "{c:?}");
    ws.send(&requests::cancel_all_orders_after(23, 60, &t).unwrap())
        .await;
    let d = ws
        .until("dms", 500, |m| is_reply(m, "cancel_all_orders_after"))
        .await;
    assert!(
        matches!(d, WsMessage::Reply(ref r) if matches!(&r.result, ReplyResult::CancelAllOrdersAfter(_))),
        "{d:?}"
    );
    let l = mock.ledger();
    assert_eq!(l.open_orders, 0);
    assert!(l.adds_applied.values().all(|n| *n == 1));
    mock.shutdown();
}

#[tokio::test]
async fn snapshots_on_reconnect_and_token_rules() {
    let mock = start().await;
    let mut rest = Rest::new(&mock);
    rest.add("buy", "0.1790000", "100", "fwr1")
        .await
        .done()
        .unwrap();
    mock.trade(Side::Sell, px(1_790_000), Qty::lit(25, 0))
        .unwrap();
    let tok = rest.token().await;
    let mut ws = Ws::connect(&mock.ws_private_url()).await;
    ws.send(&requests::subscribe(1, &Subscription::Executions, Some(&token(&tok))).unwrap())
        .await;
    let snap = ws
        .until(
            "snapshot",
            500,
            |m| matches!(m, WsMessage::Executions(e) if e.kind == FeedType::Snapshot),
        )
        .await;
    let WsMessage::Executions(s) = snap else {
        unreachable!()
    };
    let open: Vec<_> = s
        .data
        .iter()
        .filter(|e| e.exec_type == ExecType::New)
        .collect();
    assert_eq!(open.len(), 1);
    assert_eq!(
        (open[0].cum_qty, open[0].order_qty),
        (Some(Qty::lit(25, 0)), Some(Qty::lit(100, 0)))
    );
    let fills: Vec<_> = s.data.iter().filter(|e| e.is_fill()).collect();
    assert_eq!(
        fills[0].exec_id.as_deref(),
        Some(mock.ledger().trades[0].txid.as_str())
    );
    // Unknown token on a trading request; a fresh token whose lifetime passed unused.
    ws.send(
        &requests::add_order(
            2,
            &order(Side::Buy, px(1_700_000), Qty::lit(50, 0), "fwr2"),
            None,
            &token("nope"),
        )
        .unwrap(),
    )
    .await;
    let r = ws.until("refusal", 500, |m| is_reply(m, "add_order")).await;
    assert!(
        matches!(r, WsMessage::Reply(ref r) if !r.success && r.error.as_ref().unwrap().raw == "ESession:Invalid session"),
        "{r:?}"
    );
    let stale = rest.token().await;
    mock.advance_clock(std::time::Duration::from_secs(901));
    ws.send(&requests::subscribe(3, &Subscription::Balances, Some(&token(&stale))).unwrap())
        .await;
    let r = ws.until("refusal", 500, |m| is_reply(m, "subscribe")).await;
    assert!(matches!(r, WsMessage::Reply(ref r) if !r.success), "{r:?}");
    // The used token stays valid.
    ws.send(
        &requests::add_order(
            4,
            &order(Side::Buy, px(1_700_000), Qty::lit(50, 0), "fwr3"),
            None,
            &token(&tok),
        )
        .unwrap(),
    )
    .await;
    let r = ws.until("ack", 500, |m| is_reply(m, "add_order")).await;
    assert!(matches!(r, WsMessage::Reply(ref r) if r.success), "{r:?}");
    assert!(!mock.ledger().adds_applied.contains_key("fwr2"));
    mock.shutdown();
}
