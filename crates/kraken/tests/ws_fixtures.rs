//! Every WS v2 message kind parsed from a fixture, with exact decimals; the book checksum on
//! Kraken's documented example; outgoing requests.
//!
//! Fixtures (tests/fixtures/ws_*.json[l]) are our own, modelled on the shapes in Kraken's WS v2
//! reference and `nautechsystems/nautilus_trader:crates/adapters/kraken/test_data/ws_*.json`.
//! `ws_book_snapshot_btc.json` holds the levels of Kraken's "Spot Websockets (v2) Book
//! Checksum" example (checksum 3310070434, kraken.md §3.7); the DOGE book checksums were
//! computed independently with Python's `zlib.crc32`.

use flywheel_core::{Fixed, Price, Qty, Quote, Side, Timestamp};
use flywheel_kraken::book::{L2Book, Resubscribe};
use flywheel_kraken::error::{ErrorKind, OrderReject, RateLimit};
use flywheel_kraken::ids::ClOrdId;
use flywheel_kraken::secret::Redacted;
use flywheel_kraken::ws::market::FeedType;
use flywheel_kraken::ws::private::{ExecType, WsOrderStatus};
use flywheel_kraken::ws::replies::ReplyResult;
use flywheel_kraken::ws::requests::{self, NewOrder, Subscription, WsOrderRef};
use flywheel_kraken::ws::{parse_message, WsMessage};
use flywheel_venue::OrderKind;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn msg(name: &str) -> WsMessage {
    parse_message(fixture(name).trim()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn p(s: &str) -> Price {
    s.parse().expect("price literal")
}
fn q(s: &str) -> Qty {
    s.parse().expect("qty literal")
}
fn u(s: &str) -> Quote {
    s.parse().expect("quote literal")
}
fn ms(text: &str) -> Timestamp {
    flywheel_kraken::time::parse_rfc3339(text).expect("time literal")
}

#[test]
fn every_fixture_has_its_kind() {
    type Check = fn(&WsMessage) -> bool;
    let cases: Vec<(&str, Check)> = vec![
        ("ws_heartbeat.json", |m| matches!(m, WsMessage::Heartbeat)),
        ("ws_status.json", |m| matches!(m, WsMessage::Status(_))),
        ("ws_instrument.json", |m| {
            matches!(m, WsMessage::Instrument(_))
        }),
        ("ws_book_snapshot_btc.json", |m| {
            matches!(m, WsMessage::Book(_))
        }),
        ("ws_trade.json", |m| matches!(m, WsMessage::Trade(_))),
        ("ws_ticker.json", |m| matches!(m, WsMessage::Ticker(_))),
        ("ws_executions_snapshot.json", |m| {
            matches!(m, WsMessage::Executions(_))
        }),
        ("ws_balances_snapshot.json", |m| {
            matches!(m, WsMessage::Balances(_))
        }),
        ("ws_balances_update.json", |m| {
            matches!(m, WsMessage::Balances(_))
        }),
        (
            "ws_pong.json",
            |m| matches!(m, WsMessage::Reply(r) if r.method == "pong" && r.success),
        ),
    ];
    for (name, check) in cases {
        assert!(check(&msg(name)), "case {name}");
    }
    assert_eq!(
        parse_message(r#"{"channel":"level3","data":[]}"#).expect("frame"),
        WsMessage::Unknown(r#"{"channel":"level3","data":[]}"#.into())
    );
    let err = parse_message(r#"{"channel":"trade","type":"update","data":[{"symbol":"DOGE/USD","side":"buy","price":0.00000000001,"qty":1,"ord_type":"limit","trade_id":1,"timestamp":"2025-10-10T12:00:00Z"}]}"#)
        .expect_err("too precise");
    assert_eq!(
        (err.what.as_str(), err.path.as_str()),
        ("WS trade", "data[0].price")
    );
}

#[test]
fn status_and_instrument() {
    let WsMessage::Status(s) = msg("ws_status_cancel_only.json") else {
        panic!("status")
    };
    assert_eq!(s.data[0].system, "cancel_only");
    let WsMessage::Status(s) = msg("ws_status.json") else {
        panic!("status")
    };
    assert_eq!(s.data[0].connection_id, Some(12_393_906_104_898_154_338));

    let WsMessage::Instrument(i) = msg("ws_instrument.json") else {
        panic!("instrument")
    };
    let doge = i
        .data
        .pairs
        .iter()
        .find(|p| p.symbol == "DOGE/USD")
        .expect("doge");
    let inst = doge
        .to_instrument("0.25".parse().expect("fee"), "0.4".parse().expect("fee"))
        .expect("valid instrument");
    assert_eq!(inst.tick, p("0.0000001"));
    assert_eq!(inst.lot, q("0.00000001"));
    assert_eq!(inst.min_volume, q("50"));
    assert_eq!(inst.min_cost, u("0.5"));
    assert_eq!((inst.price_decimals, inst.volume_decimals), (7, 8));
    let sol = i
        .data
        .pairs
        .iter()
        .find(|p| p.symbol == "SOL/USD")
        .expect("sol");
    assert_eq!(sol.qty_min, q("0.02"));
}

#[test]
fn trade_and_ticker() {
    let WsMessage::Trade(t) = msg("ws_trade.json") else {
        panic!("trade")
    };
    assert_eq!(t.kind, FeedType::Update);
    assert_eq!(
        (t.data[0].side, t.data[0].price, t.data[0].qty),
        (Side::Sell, p("0.18431"), q("1250.5"))
    );
    assert_eq!(t.data[1].trade_id, 80_012_401);
    assert_eq!(t.data[0].timestamp, ms("2025-10-10T12:00:01.123Z"));
    let WsMessage::Ticker(k) = msg("ws_ticker.json") else {
        panic!("ticker")
    };
    let d = &k.data[0];
    assert_eq!(
        (d.bid, d.ask, d.last),
        (p("0.18431"), p("0.184321"), p("0.184315"))
    );
    assert_eq!(d.volume, q("70123456.87654321"));
    assert_eq!(d.change_pct.to_string(), "2.34");
}

#[test]
fn executions_snapshot_and_lifecycle() {
    let WsMessage::Executions(snap) = msg("ws_executions_snapshot.json") else {
        panic!("executions")
    };
    assert_eq!(snap.kind, FeedType::Snapshot);
    let order = &snap.data[0];
    assert_eq!(order.cl_ord_id.as_deref(), Some("fw1a9"));
    assert_eq!(order.leaves(), Some(q("37.5")));
    assert_eq!(order.post_only, Some(true));
    let fill = &snap.data[1];
    assert!(fill.is_fill());
    assert_eq!(
        (fill.last_qty, fill.last_price, fill.cost),
        (Some(q("12.5")), Some(p("0.18")), Some(u("2.25")))
    );
    let fee = &fill.fees.as_ref().expect("fees")[0];
    assert_eq!(
        (fee.asset.as_str(), fee.qty.value()),
        ("USD", "0.005625".parse::<Fixed>().expect("fee"))
    );
    assert_eq!(fill.liquidity_ind.as_deref(), Some("m"));

    let frames: Vec<WsMessage> = fixture("ws_executions_lifecycle.jsonl")
        .lines()
        .map(|l| parse_message(l).expect("frame"))
        .collect();
    let events: Vec<_> = frames
        .iter()
        .map(|f| match f {
            WsMessage::Executions(e) => e.data[0].clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    let kinds: Vec<ExecType> = events.iter().map(|e| e.exec_type.clone()).collect();
    assert_eq!(
        kinds,
        [
            ExecType::PendingNew,
            ExecType::New,
            ExecType::Trade,
            ExecType::Filled,
            ExecType::Canceled,
            ExecType::Amended,
            ExecType::Restated,
            ExecType::Other("future_kind".into()),
        ]
    );
    // The completing trade still says partially_filled; only `filled` closes it.
    assert_eq!(events[2].order_status, Some(WsOrderStatus::PartiallyFilled));
    assert_eq!(events[2].leaves(), None);
    assert_eq!(events[3].order_status, Some(WsOrderStatus::Filled));
    assert_eq!(events[4].reason.as_deref(), Some("Post only order"));
    assert_eq!(events[5].limit_price, Some(p("0.18001")));
    assert_eq!(events[6].ratecount.as_ref().map(|r| r.text()), Some("17.5"));
    let WsMessage::Executions(with_counter) = &frames[6] else {
        panic!("executions")
    };
    let readings = with_counter.rate_counter_readings();
    assert_eq!(readings.len(), 1);
    assert_eq!(
        (
            readings[0].symbol.as_str(),
            readings[0].at,
            readings[0].value
        ),
        (
            "DOGE/USD",
            ms("2025-10-10T12:05:30Z"),
            "17.5".parse::<Fixed>().expect("x")
        )
    );
    let WsMessage::Executions(without) = &frames[0] else {
        panic!("executions")
    };
    assert!(without.rate_counter_readings().is_empty());
    assert_eq!(
        events[7].order_status,
        Some(WsOrderStatus::Other("future_status".into()))
    );
}

#[test]
fn balances() {
    let WsMessage::Balances(s) = msg("ws_balances_snapshot.json") else {
        panic!("balances")
    };
    assert_eq!(s.kind, FeedType::Snapshot);
    assert_eq!(s.data[1].asset, "DOGE");
    assert_eq!(
        s.data[1].balance.value().expect("exact"),
        "1250".parse::<Fixed>().expect("x")
    );
    assert_eq!(s.data[0].wallets[0].kind, "spot");
    let WsMessage::Balances(up) = msg("ws_balances_update.json") else {
        panic!("balances")
    };
    let e = &up.data[0];
    assert_eq!(e.entry_type.as_deref(), Some("trade"));
    assert_eq!(e.amount.as_ref().map(|a| a.text()), Some("11.4000"));
    assert_eq!(
        e.balance.value().expect("exact"),
        "211.3715".parse::<Fixed>().expect("x")
    );
}

#[test]
fn method_replies() {
    let reply = |name| match msg(name) {
        WsMessage::Reply(r) => r,
        other => panic!("{name}: {other:?}"),
    };
    let ok = reply("ws_reply_add_order_ok.json");
    assert_eq!((ok.req_id, ok.success), (Some(42), true));
    let ReplyResult::AddOrder(ack) = &ok.result else {
        panic!("{ok:?}")
    };
    assert_eq!(
        (ack.order_id.as_str(), ack.cl_ord_id.as_deref()),
        ("OB5VMB-B4U2U-DK2WRW", Some("fw1aa"))
    );
    assert_eq!(ok.time_out, Some(ms("2025-10-10T12:01:00.502Z")));

    let refused = reply("ws_reply_add_order_post_only.json");
    assert!(!refused.success);
    assert_eq!(
        refused.error.map(|e| e.kind),
        Some(ErrorKind::Reject {
            reject: OrderReject::PostOnlyWouldTake
        })
    );
    let limited = reply("ws_reply_rate_limited.json");
    assert_eq!(
        limited.error.map(|e| e.kind),
        Some(ErrorKind::RateLimit {
            limit: RateLimit::TradingCounter
        })
    );

    let amend = reply("ws_reply_amend_order.json");
    assert!(
        matches!(amend.result, ReplyResult::AmendOrder(ref a) if a.amend_id == "TTW6PD-RC36L-ZZSWNU")
    );
    let cancel = reply("ws_reply_cancel_order.json");
    assert!(
        matches!(cancel.result, ReplyResult::CancelOrder(ref a) if a.cl_ord_id.as_deref() == Some("fw1a9"))
    );
    let batch = reply("ws_reply_batch_add.json");
    assert!(matches!(batch.result, ReplyResult::BatchAdd(ref v) if v.len() == 2));
    let partial = reply("ws_reply_batch_add_partial.json");
    let ReplyResult::BatchAdd(entries) = &partial.result else {
        panic!("{partial:?}")
    };
    assert_eq!(
        entries[1].error.as_deref(),
        Some("EOrder:Insufficient funds")
    );
    let bc = reply("ws_reply_batch_cancel.json");
    assert!(matches!(bc.result, ReplyResult::BatchCancel(ref c) if c.count == 2));
    let dms = reply("ws_reply_cancel_all_orders_after.json");
    let ReplyResult::CancelAllOrdersAfter(d) = &dms.result else {
        panic!("{dms:?}")
    };
    assert_eq!(d.current_time, ms("2025-10-10T12:00:00Z"));
    assert_eq!(d.trigger_time, "2025-10-10T12:01:00Z");

    // WS v2 refuses the v1 name: surfaced as a failed subscribe naming the symbol.
    let xdg = reply("ws_reply_subscribe_xdg.json");
    assert!(!xdg.success);
    assert_eq!(xdg.symbol.as_deref(), Some("XDG/USD"));
    assert_eq!(
        xdg.error.map(|e| e.raw),
        Some("Currency pair not supported XDG/USD".into())
    );
    let book = reply("ws_reply_subscribe_book.json");
    assert!(
        matches!(book.result, ReplyResult::Subscribe(ref s) if s.channel == "book" && s.depth == Some(10))
    );
}

#[test]
fn book_checksum_matches_krakens_documented_example() {
    let WsMessage::Book(b) = msg("ws_book_snapshot_btc.json") else {
        panic!("book")
    };
    let mut book = L2Book::new("BTC/USD", 10);
    book.apply(b.kind, &b.data[0]).expect("checksum 3310070434");
    assert_eq!(book.checksum(), 3_310_070_434);
    assert!(book
        .checksum_input()
        .starts_with("452852100000452864154571953"));
    assert_eq!(book.best_bid(), Some((p("45283.5"), q("0.1"))));
    assert_eq!(book.best_ask(), Some((p("45285.2"), q("0.001"))));
}

#[test]
fn doge_book_applies_updates_truncates_and_verifies() {
    let frames: Vec<_> = fixture("ws_book_doge.jsonl")
        .lines()
        .map(|l| match parse_message(l).expect("frame") {
            WsMessage::Book(b) => b,
            other => panic!("{other:?}"),
        })
        .collect();
    let mut book = L2Book::new("DOGE/USD", 10);
    // An update before the snapshot: resubscribe.
    assert!(matches!(
        book.apply(FeedType::Update, &frames[1].data[0]),
        Err(Resubscribe::NotSynced { .. })
    ));
    for (i, f) in frames.iter().enumerate() {
        book.apply(f.kind, &f.data[0])
            .unwrap_or_else(|e| panic!("frame {i}: {e}"));
        assert!(
            book.bids().count() <= 10 && book.asks().count() <= 10,
            "frame {i}"
        );
    }
    // Frame 1 added a new best bid (the worst fell off) and replaced 0.18433 by 0.184325.
    assert_eq!(book.best_bid(), Some((p("0.184315"), q("75"))));
    assert_eq!(book.bids().last(), Some((p("0.184"), q("40000"))));
    // Frame 2 added a new best ask; the 11th ask (0.1846) was truncated.
    assert_eq!(book.best_ask(), Some((p("0.18432"), q("10"))));
    assert_eq!(book.asks().last(), Some((p("0.1845"), q("99999.99999999"))));
    assert!(book.asks().all(|(px, _)| px != p("0.18433")));

    // A corrupted checksum: typed resubscribe signal, and the book refuses updates until a
    // snapshot arrives.
    let mut bad = frames[1].data[0].clone();
    bad.checksum ^= 1;
    let mut book = L2Book::new("DOGE/USD", 10);
    book.apply(frames[0].kind, &frames[0].data[0])
        .expect("snapshot");
    assert!(matches!(
        book.apply(FeedType::Update, &bad),
        Err(Resubscribe::ChecksumMismatch { expected, .. }) if expected == bad.checksum
    ));
    assert!(!book.is_synced());
    assert!(book.apply(FeedType::Update, &frames[2].data[0]).is_err());
    book.apply(frames[0].kind, &frames[0].data[0])
        .expect("resynced by a snapshot");
    assert!(book.is_synced());
}

fn order(cl: &str, side: Side, price: &str, qty: &str) -> NewOrder {
    NewOrder {
        symbol: "DOGE/USD".into(),
        side,
        limit_price: p(price),
        order_qty: q(qty),
        cl_ord_id: ClOrdId::new(cl).expect("id"),
        kind: OrderKind::PostOnly,
    }
}

#[test]
fn outgoing_requests_are_post_only_or_ioc_quote_fee_with_cl_ord_id() {
    let token = Redacted::new("TOKEN".into());
    let add = requests::add_order(
        7,
        &order("fw1a9", Side::Sell, "0.18432100", "50"),
        Some(ms("2025-10-10T12:00:05Z")),
        &token,
    )
    .expect("encodes");
    assert_eq!(
        add,
        r#"{"method":"add_order","params":{"order_type":"limit","side":"sell","limit_price":0.184321,"order_qty":50,"post_only":true,"cl_ord_id":"fw1a9","fee_preference":"quote","symbol":"DOGE/USD","deadline":"2025-10-10T12:00:05.000Z","token":"TOKEN"},"req_id":7}"#
    );
    let ioc = NewOrder {
        kind: OrderKind::Ioc,
        ..order("fw1aa", Side::Buy, "0.18", "50")
    };
    assert_eq!(
        requests::add_order(12, &ioc, None, &token).expect("encodes"),
        r#"{"method":"add_order","params":{"order_type":"limit","side":"buy","limit_price":0.18,"order_qty":50,"post_only":false,"time_in_force":"ioc","cl_ord_id":"fw1aa","fee_preference":"quote","symbol":"DOGE/USD","token":"TOKEN"},"req_id":12}"#
    );
    let batch = requests::batch_add(
        8,
        &[
            order("fw1b0", Side::Buy, "0.18", "50"),
            order("fw1b1", Side::Sell, "0.19", "60.5"),
        ],
        None,
        &token,
    )
    .expect("encodes");
    let v: serde_json::Value = serde_json::from_str(&batch).expect("json");
    for o in v["params"]["orders"].as_array().expect("orders") {
        assert_eq!(o["post_only"], true);
        assert_eq!(o["fee_preference"], "quote");
        assert!(o["cl_ord_id"].is_string());
    }
    assert_eq!(v["params"]["symbol"], "DOGE/USD");
    assert!(batch.contains(r#""order_qty":60.5"#));

    let amend = requests::amend_order(
        9,
        &WsOrderRef::ClOrdId(ClOrdId::new("fw1a9").expect("id")),
        q("55"),
        Some(p("0.18001")),
        None,
        &token,
    )
    .expect("encodes");
    assert_eq!(
        amend,
        r#"{"method":"amend_order","params":{"cl_ord_id":"fw1a9","order_qty":55,"limit_price":0.18001,"post_only":true,"token":"TOKEN"},"req_id":9}"#
    );
    let cancel = requests::cancel_order(
        10,
        &[WsOrderRef::ClOrdId(ClOrdId::new("fw1a9").expect("id"))],
        &token,
    )
    .expect("encodes");
    assert_eq!(
        cancel,
        r#"{"method":"cancel_order","params":{"cl_ord_id":["fw1a9"],"token":"TOKEN"},"req_id":10}"#
    );
    let dms = requests::cancel_all_orders_after(11, 60, &token).expect("encodes");
    assert_eq!(
        dms,
        r#"{"method":"cancel_all_orders_after","params":{"timeout":60,"token":"TOKEN"},"req_id":11}"#
    );
    let sub = requests::subscribe(12, &Subscription::Executions, Some(&token)).expect("encodes");
    assert_eq!(
        sub,
        r#"{"method":"subscribe","params":{"channel":"executions","snap_orders":true,"snap_trades":true,"order_status":true,"ratecounter":true,"token":"TOKEN"},"req_id":12}"#
    );
    let book = requests::subscribe(
        13,
        &Subscription::Book {
            symbols: vec!["DOGE/USD".into()],
            depth: 10,
        },
        None,
    )
    .expect("encodes");
    assert_eq!(
        book,
        r#"{"method":"subscribe","params":{"channel":"book","symbol":["DOGE/USD"],"depth":10,"snapshot":true},"req_id":13}"#
    );
}

#[test]
fn batch_limits_are_checked() {
    let token = Redacted::new("T".into());
    let one = [order("fw1b0", Side::Buy, "0.18", "50")];
    assert!(requests::batch_add(1, &one, None, &token).is_err());
    let mut mixed = vec![
        order("fw1b0", Side::Buy, "0.18", "50"),
        order("fw1b1", Side::Buy, "0.18", "50"),
    ];
    mixed[1].symbol = "SOL/USD".into();
    assert!(requests::batch_add(1, &mixed, None, &token).is_err());
    let sixteen: Vec<NewOrder> = (0..16)
        .map(|i| order(&format!("fw1c{i}"), Side::Buy, "0.18", "50"))
        .collect();
    assert!(requests::batch_add(1, &sixteen, None, &token).is_err());
    let ids: Vec<WsOrderRef> = (0..51)
        .map(|i| WsOrderRef::OrderId(format!("O{i}")))
        .collect();
    assert!(requests::batch_cancel(1, &ids, &token).is_err());
    assert!(requests::batch_cancel(1, &ids[..2], &token).is_ok());
}
