//! REST against a real socket: every answer parsed by the connector's own parsers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{start, Rest};
use flywheel_core::{Price, Qty, Quote, Ratio, Side};
use flywheel_kraken::error::{ErrorKind, Permission, RateLimit};
use flywheel_kraken::outcome::{CallKind, RestOutcome};
use flywheel_kraken::rest::account::{BalanceEx, CancelAllOrdersAfterResult, CancelOrderResult};
use flywheel_kraken::rest::market::{AssetPairs, Ticker};
use flywheel_kraken::rest::orders::{
    ClosedOrders, HistoryPager, OpenOrders, OrderStatus, PagerStep, QueryOrders, TradesHistory,
};

fn refused<T: std::fmt::Debug>(o: &RestOutcome<T>) -> Vec<String> {
    match o {
        RestOutcome::Refused(e) => e.iter().map(|e| e.raw.clone()).collect(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn public_endpoints_parse_with_exact_decimals() {
    let mock = start().await;
    let rest = Rest::new(&mock);
    let pairs: AssetPairs = rest.public("AssetPairs").await.done().unwrap();
    let p = &pairs["XDGUSD"];
    assert_eq!(
        (p.altname.as_str(), p.wsname.as_deref()),
        ("XDGUSD", Some("XDG/USD"))
    );
    assert_eq!((p.base.as_str(), p.quote.as_str()), ("XXDG", "ZUSD"));
    let inst = p
        .to_instrument("DOGE/USD", Ratio::lit(25, 2), Ratio::lit(40, 2))
        .unwrap();
    assert_eq!(inst, mock.config().instrument);
    let t: Ticker = rest.public("Ticker").await.done().unwrap();
    let t = &t["XDGUSD"];
    assert_eq!(t.last.0, Price::lit(1_800_000, 7));
    assert!(t.bid.0 < t.last.0 && t.last.0 < t.ask.0);
    let s: serde_json::Value = rest.public("SystemStatus").await.done().unwrap();
    assert_eq!(s["status"], "online");
    mock.shutdown();
}

#[tokio::test]
async fn order_lifecycle_over_rest() {
    let mock = start().await;
    let mut rest = Rest::new(&mock);
    let add = rest
        .add("buy", "0.1790000", "100", "fw1a")
        .await
        .done()
        .unwrap();
    assert_eq!(add.descr.order, "buy 100.00000000 XDGUSD @ limit 0.1790000");
    let txid = add.txid[0].clone();
    let open: OpenOrders = rest
        .call(
            CallKind::Read,
            "OpenOrders",
            &[("trades", "true"), ("cl_ord_id", "fw1a")],
        )
        .await
        .done()
        .unwrap();
    let o = &open.open[&txid];
    assert_eq!(
        (o.status, o.cl_ord_id.as_deref()),
        (OrderStatus::Open, Some("fw1a"))
    );
    assert_eq!(
        (o.vol, o.descr.price),
        (Qty::lit(100, 0), Price::lit(1_790_000, 7))
    );
    assert!(o.has_flag("post"));
    // Held: 17.9 USD + 0.25 % fee = 17.94475 USD.
    let bal: BalanceEx = rest
        .call(CallKind::Read, "BalanceEx", &[])
        .await
        .done()
        .unwrap();
    assert_eq!(
        bal["ZUSD"].hold_trade.as_ref().unwrap().value().unwrap(),
        Quote::lit(1_794_475, 5).fixed()
    );
    assert_eq!(
        bal["XXDG"].balance.value().unwrap(),
        Qty::lit(5000, 0).fixed()
    );
    // A print through it fills 40 of 100.
    mock.trade(Side::Sell, Price::lit(1_790_000, 7), Qty::lit(40, 0))
        .unwrap();
    let q: QueryOrders = rest
        .call(
            CallKind::Read,
            "QueryOrders",
            &[("trades", "true"), ("txid", &txid)],
        )
        .await
        .done()
        .unwrap();
    assert_eq!(q[&txid].vol_exec, Qty::lit(40, 0));
    assert_eq!(q[&txid].trades.as_ref().map(Vec::len), Some(1));
    let c: CancelOrderResult = rest
        .call(CallKind::Order, "CancelOrder", &[("cl_ord_id", "fw1a")])
        .await
        .done()
        .unwrap();
    assert_eq!(c.count, 1);
    let again = rest
        .call::<CancelOrderResult>(CallKind::Order, "CancelOrder", &[("txid", &txid)])
        .await;
    assert_eq!(refused(&again), ["EOrder:Unknown order"]);
    let closed: ClosedOrders = rest
        .call(CallKind::Read, "ClosedOrders", &[("cl_ord_id", "fw1a")])
        .await
        .done()
        .unwrap();
    assert_eq!(closed.count, 1);
    assert_eq!(closed.closed[&txid].status, OrderStatus::Canceled);
    let l = mock.ledger();
    assert_eq!(l.adds_applied["fw1a"], 1);
    assert_eq!(
        (l.ledger_error.clone(), l.balance_drift.clone()),
        (None, None)
    );
    // 40 DOGE bought at 0.179: 7.16 USD + 0.0179 fee.
    assert_eq!(
        l.balances.quote.total,
        Quote::lit(1000, 0) - Quote::lit(716, 2) - Quote::lit(179, 4)
    );
    assert_eq!(l.balances.base.total, Qty::lit(5040, 0));
    mock.shutdown();
}

#[tokio::test]
async fn credentials_and_nonce_are_checked_and_nothing_applies() {
    let mock = start().await;
    let mut rest = Rest::new(&mock);
    let params = [
        ("ordertype", "limit"),
        ("type", "buy"),
        ("pair", "XDGUSD"),
        ("price", "0.1700000"),
        ("volume", "60"),
        ("oflags", "post,fciq"),
        ("cl_ord_id", "fwbad"),
    ];
    let good =
        flywheel_kraken::sign::sign_private(&rest.creds, "AddOrder", 5_000, &params).unwrap();
    let cases: Vec<(&str, String, String, &str, &str)> = vec![
        (
            "wrong key",
            good.body.clone(),
            good.api_sign.clone(),
            "someone-else",
            "EAPI:Invalid key",
        ),
        (
            "body changed after signing",
            good.body.replace("60", "61"),
            good.api_sign.clone(),
            rest.creds.key.expose(),
            "EAPI:Invalid signature",
        ),
        (
            "garbage signature",
            good.body.clone(),
            "AAAA".into(),
            rest.creds.key.expose(),
            "EAPI:Invalid signature",
        ),
    ];
    let key_owned: Vec<String> = cases.iter().map(|c| c.3.to_string()).collect();
    for ((name, body, sign, _, want), key) in cases.iter().zip(&key_owned) {
        let raw = rest.send_signed(&good.path, body, sign, key).await.unwrap();
        assert_eq!(raw.status, 200, "case {name}");
        let out = flywheel_kraken::outcome::classify::<serde_json::Value>(
            CallKind::Order,
            "AddOrder",
            raw.status,
            raw.content_type.as_deref(),
            &raw.body,
        );
        assert_eq!(refused(&out), [*want], "case {name}");
    }
    // The good one applies once; the same nonce again is refused.
    let raw = rest
        .send_signed(
            &good.path,
            &good.body,
            &good.api_sign,
            rest.creds.key.expose(),
        )
        .await
        .unwrap();
    assert!(raw.body.contains("txid"), "{}", raw.body);
    let raw = rest
        .send_signed(
            &good.path,
            &good.body,
            &good.api_sign,
            rest.creds.key.expose(),
        )
        .await
        .unwrap();
    let out = flywheel_kraken::outcome::classify::<serde_json::Value>(
        CallKind::Order,
        "AddOrder",
        raw.status,
        None,
        &raw.body,
    );
    match out {
        RestOutcome::Refused(e) => assert_eq!(e[0].kind, ErrorKind::InvalidNonce),
        o => panic!("{o:?}"),
    }
    // A lower nonce too.
    rest.nonce = 10;
    let r = rest.add("buy", "0.1700000", "60", "fwlow").await;
    assert_eq!(refused(&r), ["EAPI:Invalid nonce"]);
    let l = mock.ledger();
    assert_eq!(l.adds_applied.get("fwbad"), Some(&1));
    assert_eq!(l.adds_applied.get("fwlow"), None);
    assert_eq!(l.orders.len(), 1);
    let perm = flywheel_kraken::error::KrakenError::parse("EAPI:Invalid signature");
    assert_eq!(
        perm.kind,
        ErrorKind::Permission {
            permission: Permission::InvalidSignature
        }
    );
    mock.shutdown();
}

#[tokio::test]
async fn business_refusals_table() {
    let mock = start().await;
    let mut rest = Rest::new(&mock);
    rest.add("sell", "0.1900000", "50", "fwopen")
        .await
        .done()
        .unwrap();
    let cases = [
        (
            "duplicate open cl_ord_id",
            "sell",
            "0.1910000",
            "50",
            "fwopen",
            "EOrder:Duplicate order",
        ),
        (
            "post-only would take",
            "buy",
            "0.1800000",
            "50",
            "fw2",
            "EOrder:Post only order",
        ),
        (
            "below ordermin",
            "buy",
            "0.1700000",
            "49",
            "fw3",
            "EOrder:Order minimum not met",
        ),
        (
            "off tick",
            "buy",
            "0.17000001",
            "50",
            "fw4",
            "EOrder:Tick size check failed",
        ),
        (
            "insufficient funds",
            "buy",
            "0.1700000",
            "100000",
            "fw5",
            "EOrder:Insufficient funds",
        ),
        (
            "bad cl_ord_id",
            "buy",
            "0.1700000",
            "50",
            "has space",
            "EGeneral:Invalid arguments:cl_ord_id",
        ),
    ];
    for (name, side, price, vol, cl, want) in cases {
        let r = rest.add(side, price, vol, cl).await;
        assert_eq!(refused(&r), [want], "case {name}");
    }
    let unknown_pair = rest
        .call::<serde_json::Value>(
            CallKind::Order,
            "AddOrder",
            &[
                ("pair", "XXDGZUSD"),
                ("type", "buy"),
                ("ordertype", "limit"),
                ("price", "0.17"),
                ("volume", "50"),
                ("oflags", "post"),
                ("cl_ord_id", "fw6"),
            ],
        )
        .await;
    assert_eq!(refused(&unknown_pair), ["EQuery:Unknown asset pair"]);
    // After the order is gone, Kraken accepts its cl_ord_id again; the ledger counts both adds.
    rest.call::<CancelOrderResult>(CallKind::Order, "CancelOrder", &[("cl_ord_id", "fwopen")])
        .await
        .done()
        .unwrap();
    rest.add("sell", "0.1900000", "50", "fwopen")
        .await
        .done()
        .unwrap();
    let l = mock.ledger();
    assert_eq!(l.adds_applied.len(), 1);
    assert_eq!(l.adds_applied["fwopen"], 2);
    assert_eq!(l.orders_of("fwopen").len(), 2);
    mock.shutdown();
}

#[tokio::test]
async fn trading_counter_and_open_order_cap() {
    let mock = start().await; // starter: threshold 60, cap 60
    let mut rest = Rest::new(&mock);
    // Add + cancel of a young order costs 1 + 8: the 7th cycle passes 60.
    let mut refused_at = None;
    for i in 0..8 {
        let cl = format!("fwrc{i}");
        match rest.add("sell", "0.1900000", "50", &cl).await {
            RestOutcome::Done { .. } => {}
            r => {
                assert_eq!(refused(&r), ["EOrder:Rate limit exceeded"]);
                refused_at = Some(i);
                break;
            }
        }
        let c = rest
            .call::<CancelOrderResult>(CallKind::Order, "CancelOrder", &[("cl_ord_id", &cl)])
            .await;
        if let RestOutcome::Refused(e) = &c {
            assert_eq!(
                e[0].kind,
                ErrorKind::RateLimit {
                    limit: RateLimit::TradingCounter
                }
            );
            refused_at = Some(i);
            break;
        }
    }
    assert!(refused_at.is_some(), "the counter never refused");
    // Decay (1/s for starter) restores room: 60 s later the counter is back at 0.
    mock.advance_clock(Duration::from_secs(61));
    let before = mock.ledger().open_orders;
    for i in 0..(60 - before) {
        rest.add("sell", "0.1900000", "50", &format!("fwcap{i}"))
            .await
            .done()
            .expect("under the cap");
    }
    let r = rest.add("sell", "0.1900000", "50", "fwcap-over").await;
    assert_eq!(refused(&r), ["EOrder:Orders limit exceeded"]);
    assert!(!mock.ledger().adds_applied.contains_key("fwcap-over"));
    mock.shutdown();
}

#[tokio::test]
async fn trades_history_pages_newest_first() {
    let mock = start().await;
    let mut rest = Rest::new(&mock);
    rest.add("buy", "0.1790000", "1000", "fwbig")
        .await
        .done()
        .unwrap();
    for _ in 0..55 {
        mock.trade(Side::Sell, Price::lit(1_790_000, 7), Qty::lit(2, 0))
            .unwrap();
    }
    let first: TradesHistory = rest
        .call(CallKind::Read, "TradesHistory", &[])
        .await
        .done()
        .unwrap();
    assert_eq!((first.count, first.trades.len()), (55, 50));
    let mut pager = HistoryPager::new([]);
    let mut page = first;
    let mut pages = 1;
    while let PagerStep::Fetch { end } = pager.on_page(&page) {
        page = rest
            .call(CallKind::Read, "TradesHistory", &[("end", &end)])
            .await
            .done()
            .unwrap();
        pages += 1;
        assert!(pages < 5, "the pager does not end");
    }
    let fills = pager.into_new_fills();
    assert_eq!(fills.len(), 55);
    let ledger = mock.ledger();
    let want: std::collections::BTreeSet<_> =
        ledger.trades.iter().map(|t| t.txid.clone()).collect();
    let got: std::collections::BTreeSet<_> = fills.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(got, want);
    let total: Qty = fills.iter().fold(Qty::ZERO, |a, (_, t)| a + t.vol);
    assert_eq!(total, Qty::lit(110, 0));
    mock.shutdown();
}

#[tokio::test]
async fn dead_man_switch_cancels_everything_on_the_mock_clock() {
    let mock = start().await;
    let mut rest = Rest::new(&mock);
    rest.add("sell", "0.1900000", "50", "fwd1")
        .await
        .done()
        .unwrap();
    rest.add("buy", "0.1700000", "50", "fwd2")
        .await
        .done()
        .unwrap();
    let armed: CancelAllOrdersAfterResult = rest
        .call(
            CallKind::Order,
            "CancelAllOrdersAfter",
            &[("timeout", "60")],
        )
        .await
        .done()
        .unwrap();
    let trigger = armed.trigger_time.expect("armed");
    assert_eq!(trigger.millis_since(armed.current_time), 60_000);
    mock.advance_clock(Duration::from_secs(30));
    mock.run_timer();
    assert_eq!(mock.ledger().open_orders, 2, "not yet");
    mock.advance_clock(Duration::from_secs(31));
    mock.run_timer();
    let l = mock.ledger();
    assert_eq!(l.open_orders, 0);
    assert!(l
        .orders
        .values()
        .all(|o| o.state == flywheel_kraken_mock::OrderState::Canceled));
    let disarmed: CancelAllOrdersAfterResult = rest
        .call(CallKind::Order, "CancelAllOrdersAfter", &[("timeout", "0")])
        .await
        .done()
        .unwrap();
    assert_eq!(disarmed.trigger_time, None);
    mock.shutdown();
}

#[tokio::test]
async fn status_refuses_adds() {
    let mock = start().await;
    let mut rest = Rest::new(&mock);
    for (status, want) in [
        (
            flywheel_kraken_mock::SystemStatus::CancelOnly,
            Some("EService:Market in cancel_only mode"),
        ),
        (
            flywheel_kraken_mock::SystemStatus::Maintenance,
            Some("EService:Unavailable"),
        ),
        (flywheel_kraken_mock::SystemStatus::PostOnly, None),
    ] {
        mock.set_status(status);
        let r = rest
            .add(
                "sell",
                "0.1900000",
                "50",
                &format!("fws{}", status.as_str().len()),
            )
            .await;
        match want {
            Some(e) => assert_eq!(refused(&r), [e], "{status:?}"),
            None => assert!(r.done().is_some(), "{status:?}"),
        }
    }
    mock.shutdown();
}
