//! The state without sockets: amend semantics, batch adds, history filters, ledger checks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use flywheel_core::{Price, Qty, Side, Timestamp};
use flywheel_kraken_mock::orders::{AddRequest, OrderRef, IOC_REMAINDER};
use flywheel_kraken_mock::state::{MockState, PrivateOut};
use flywheel_kraken_mock::{MockConfig, OrderState};
use tokio::sync::broadcast;

fn state() -> (MockState, broadcast::Receiver<PrivateOut>) {
    let (ptx, _) = broadcast::channel(1024);
    let (vtx, vrx) = broadcast::channel(1024);
    let s = MockState::new(
        Arc::new(MockConfig::default()),
        Timestamp::from_secs(1_760_000_000),
        ptx,
        vtx,
    )
    .unwrap();
    (s, vrx)
}

fn req(side: Side, price: i64, qty: i64, cl: &str) -> AddRequest {
    AddRequest {
        side,
        price: Price::lit(price, 7),
        qty: Qty::lit(qty, 0),
        cl_ord_id: Some(cl.into()),
        post_only: true,
        ioc: false,
    }
}

fn ioc(side: Side, price: i64, qty: i64, cl: &str) -> AddRequest {
    AddRequest {
        post_only: false,
        ioc: true,
        ..req(side, price, qty, cl)
    }
}

fn t(s: i64) -> Timestamp {
    Timestamp::from_secs(1_760_000_000 + s)
}

#[test]
fn amend_in_place_and_refused_amend_changes_nothing() {
    let (mut s, _rx) = state();
    let a = s
        .add_order(&req(Side::Buy, 1_790_000, 100, "fwa"), t(1))
        .unwrap();
    s.trade(Side::Sell, Price::lit(1_790_000, 7), Qty::lit(30, 0), t(2))
        .unwrap();
    // Price down to 0.1785, total 120: leaves 90 at the new price.
    let am = s
        .amend_order(
            &OrderRef::ClOrdId("fwa".into()),
            Some(Qty::lit(120, 0)),
            Some(Price::lit(1_785_000, 7)),
            t(20),
        )
        .unwrap();
    assert_eq!(am.txid, a.txid);
    let o = &s.orders[&a.txid];
    assert_eq!(
        (o.qty, o.filled, o.price),
        (Qty::lit(120, 0), Qty::lit(30, 0), Price::lit(1_785_000, 7))
    );
    let open = s.sim.open_orders();
    assert_eq!((open.len(), open[0].qty), (1, Qty::lit(90, 0)));
    // Crossing the last print (0.179) is refused and leaves the order as it was.
    let before = s.ledger_view();
    let e = s
        .amend_order(
            &OrderRef::Txid(a.txid.clone()),
            None,
            Some(Price::lit(1_790_000, 7)),
            t(21),
        )
        .unwrap_err();
    assert_eq!(e, "EOrder:Post only order");
    let e = s
        .amend_order(
            &OrderRef::Txid(a.txid.clone()),
            Some(Qty::lit(30, 0)),
            None,
            t(22),
        )
        .unwrap_err();
    assert_eq!(e, "EGeneral:Invalid arguments:order_qty");
    let after = s.ledger_view();
    assert_eq!(before.balances, after.balances);
    assert_eq!(s.orders[&a.txid].price, Price::lit(1_785_000, 7));
    // The rest fills at the amended price.
    s.trade(
        Side::Sell,
        Price::lit(1_785_000, 7),
        Qty::lit(500, 0),
        t(30),
    )
    .unwrap();
    let o = &s.orders[&a.txid];
    assert_eq!((o.state, o.filled), (OrderState::Closed, Qty::lit(120, 0)));
    let l = s.ledger_view();
    assert_eq!((l.ledger_error, l.balance_drift), (None, None));
    assert_eq!(
        l.trades.iter().fold(Qty::ZERO, |a, t| a + t.qty),
        Qty::lit(120, 0)
    );
}

#[test]
fn batch_add_refuses_only_the_bad_order_and_costs_half() {
    let (mut s, _rx) = state();
    let out = s
        .add_batch(
            &[
                req(Side::Sell, 1_900_000, 50, "fwb1"),
                req(Side::Sell, 1_900_000, 50_000, "fwb2"),
                req(Side::Buy, 1_700_000, 50, "fwb3"),
            ],
            t(1),
        )
        .unwrap();
    assert!(out[0].is_ok() && out[2].is_ok());
    assert_eq!(out[1].as_ref().unwrap_err(), "EOrder:Insufficient funds");
    assert_eq!(s.counter.value_at(t(1)), flywheel_core::Fixed::lit(15, 1));
    assert_eq!(
        s.add_batch(&[req(Side::Sell, 1_900_000, 50, "x")], t(1))
            .unwrap_err(),
        "EGeneral:Invalid arguments:orders"
    );
}

#[test]
fn history_filters_and_pages() {
    let (mut s, _rx) = state();
    for i in 0..5 {
        s.add_order(
            &req(Side::Sell, 1_900_000 + i, 50, &format!("fwh{i}")),
            t(i),
        )
        .unwrap();
        s.cancel_orders(&[OrderRef::ClOrdId(format!("fwh{i}"))], t(100 + i))
            .unwrap();
    }
    let all = s.rest_closed_orders(None, None, None, 0, false).unwrap();
    assert_eq!((all.count, all.closed.len()), (5, 5));
    let one = s
        .rest_closed_orders(Some("fwh3"), None, None, 0, false)
        .unwrap();
    assert_eq!(one.count, 1);
    // start exclusive, end inclusive, by time.
    let mid = s
        .rest_closed_orders(
            None,
            Some(&format!("{}", 1_760_000_101)),
            Some(&format!("{}", 1_760_000_103)),
            0,
            false,
        )
        .unwrap();
    assert_eq!(mid.count, 2);
    let skipped = s.rest_closed_orders(None, None, None, 3, false).unwrap();
    assert_eq!((skipped.count, skipped.closed.len()), (5, 2));
    assert!(s
        .rest_closed_orders(None, Some("NOPE"), None, 0, false)
        .is_err());
}

#[test]
fn ratecount_and_duplicate_faults_travel_with_the_frames() {
    let (mut s, mut rx) = state();
    s.faults
        .push(flywheel_kraken_mock::Fault::DuplicateExecutions { count: 1 });
    s.add_order(&req(Side::Sell, 1_900_000, 50, "fwx"), t(1))
        .unwrap();
    let mut seen = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        if let PrivateOut::Executions {
            ratecount, twice, ..
        } = ev
        {
            seen.push((ratecount, twice));
        }
    }
    // pending_new (sent twice) and new; the add is counted after both were made.
    assert_eq!(seen.len(), 2);
    assert!(seen[0].1 && !seen[1].1);
}

#[test]
fn bad_prints_are_refused_not_panics() {
    let (mut s, _rx) = state();
    let cases = [
        ("zero price", Price::ZERO, Qty::lit(1, 0)),
        ("negative qty", Price::lit(18, 2), Qty::lit(-1, 0)),
        ("huge price", Price::lit(9_000_000_000, 0), Qty::lit(1, 0)),
        ("huge qty", Price::lit(18, 2), Qty::lit(9_000_000_000, 0)),
    ];
    for (name, p, q) in cases {
        assert!(s.trade(Side::Buy, p, q, t(1)).is_err(), "case {name}");
    }
    for _ in 0..20 {
        s.trade(Side::Buy, Price::lit(18, 2), Qty::lit(900_000_000, 0), t(2))
            .unwrap();
    }
}

/// The hedger's taker clip: an IOC executes inside its add at the last print moved by the
/// half-spread (2 bps), pays the taker fee, and is never open afterwards; one that cannot
/// reach the price is cancelled whole. An order that would rest and take, or a post-only
/// IOC, is refused and changes nothing.
#[test]
fn ioc_orders_take_at_once_or_are_cancelled_whole() {
    let (mut s, _rx) = state();
    s.trade(Side::Sell, Price::lit(1_800_000, 7), Qty::lit(10, 0), t(1))
        .unwrap();
    let before = s.ledger_view();
    let gtc_taker = AddRequest {
        ioc: false,
        ..ioc(Side::Buy, 1_810_000, 100, "fwi0")
    };
    let post_ioc = AddRequest {
        post_only: true,
        ..ioc(Side::Buy, 1_810_000, 100, "fwi0")
    };
    for bad in [gtc_taker, post_ioc] {
        assert_eq!(
            s.add_order(&bad, t(2)).unwrap_err(),
            "EGeneral:Invalid arguments:post_only"
        );
    }
    assert_eq!(before.balances, s.ledger_view().balances);

    // 0.18 + 2 bps = 0.180036, within the limit 0.181: all 100 taken.
    let a = s
        .add_order(&ioc(Side::Buy, 1_810_000, 100, "fwi1"), t(3))
        .unwrap();
    let o = &s.orders[&a.txid];
    assert_eq!((o.state, o.filled), (OrderState::Closed, Qty::lit(100, 0)));
    let l = s.ledger_view();
    let fill = l.trades.last().unwrap();
    assert_eq!(fill.price, Price::lit(1_800_360, 7));
    // 18.0036 USD at the taker 0.40 %: 0.07201440.
    assert_eq!(fill.fee.to_string(), "0.0720144");
    assert!(fill.taker);
    assert_eq!((l.ledger_error, l.balance_drift), (None, None));
    assert!(s.sim.open_orders().is_empty());

    // A sell limited above the reachable price: nothing taken, cancelled with the reason.
    let b = s
        .add_order(&ioc(Side::Sell, 1_810_000, 50, "fwi2"), t(4))
        .unwrap();
    let o = &s.orders[&b.txid];
    assert_eq!(
        (o.state, o.filled, o.reason.as_deref()),
        (OrderState::Canceled, Qty::ZERO, Some(IOC_REMAINDER))
    );
    assert!(s.open_by_cl.is_empty());
}
