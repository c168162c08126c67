//! Every REST reply kind parsed from a fixture, with exact decimals.
//!
//! Fixtures (tests/fixtures/rest_*.json) are our own, modelled on the shapes recorded in
//! `nautechsystems/nautilus_trader:crates/adapters/kraken/test_data/http_*.json` and
//! Kraken's REST reference, with DOGE/USD and SOL/USD values from kraken.md §3.8.

use flywheel_core::{Fixed, Price, Qty, Quote, Ratio, Side, Timestamp};
use flywheel_kraken::ids::ClOrdId;
use flywheel_kraken::outcome::{classify, CallKind, RestOutcome};
use flywheel_kraken::rest::account::{
    AddOrderResult, BalanceEx, CancelAllOrdersAfterResult, CancelOrderResult, TradeVolume,
    WebSocketsToken,
};
use flywheel_kraken::rest::market::{AssetPairs, Ticker};
use flywheel_kraken::rest::orders::{
    ClosedOrders, HistoryPager, OpenOrders, OrderStatus, PagerStep, QueryOrders, TradeInfo,
    TradesHistory,
};
use flywheel_kraken::rest::requests::{self, AddOrder, OrderRef};
use flywheel_kraken::symbols::PairDirectory;
use flywheel_venue::OrderKind;
use serde::de::DeserializeOwned;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn done<T: DeserializeOwned + std::fmt::Debug>(kind: CallKind, endpoint: &str, file: &str) -> T {
    match classify::<T>(
        kind,
        endpoint,
        200,
        Some("application/json"),
        &fixture(file),
    ) {
        RestOutcome::Done { result, warnings } => {
            assert!(warnings.is_empty());
            result
        }
        other => panic!("{file}: {other:?}"),
    }
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
fn f(s: &str) -> Fixed {
    s.parse().expect("fixed literal")
}

#[test]
fn asset_pairs_give_instruments_and_names() {
    let pairs: AssetPairs = done(CallKind::Read, "AssetPairs", "rest_asset_pairs.json");
    let doge = &pairs["XDGUSD"];
    assert_eq!(doge.ordermin, Some(q("50")));
    assert_eq!(doge.costmin, Some(u("0.5")));
    assert_eq!(doge.tick_size, Some(p("0.0000001")));
    assert_eq!((doge.pair_decimals, doge.lot_decimals), (7, 8));
    let sol = &pairs["SOLUSD"];
    assert_eq!(sol.fees_maker[0].1, "0.25".parse::<Ratio>().unwrap());
    assert_eq!(sol.fees[2].0, u("10000000"));

    let inst = doge
        .to_instrument("DOGE/USD", "0.25".parse().unwrap(), "0.4".parse().unwrap())
        .unwrap();
    assert_eq!(inst.symbol, "DOGE/USD");
    assert_eq!(inst.tick, p("0.0000001"));
    assert_eq!(inst.lot, q("0.00000001"));
    assert_eq!(inst.min_volume, q("50"));
    assert_eq!(inst.min_cost, u("0.5"));

    let dir = PairDirectory::from_asset_pairs(&pairs);
    let cases = [
        ("DOGE/USD", "XDGUSD", Some("XDG/USD")),
        ("SOL/USD", "SOLUSD", Some("SOL/USD")),
    ];
    for (v2, rest, v1) in cases {
        let n = dir.by_v2(v2).unwrap();
        assert_eq!(n.rest, rest, "case {v2}");
        assert_eq!(n.wsname_v1.as_deref(), v1, "case {v2}");
        assert_eq!(dir.by_rest(rest).unwrap().v2, v2, "case {v2}");
        if let Some(v1) = v1 {
            assert_eq!(dir.by_rest(v1).unwrap().v2, v2, "case {v2} by v1 name");
        }
    }
    // Never the legacy concatenation, never the v1 name on v2.
    assert!(dir.by_rest("XXDGZUSD").is_err());
    assert!(dir.by_v2("XDG/USD").is_err());
    assert_eq!(dir.by_v2("DOGE/USD").unwrap().base, "DOGE");
}

#[test]
fn ticker() {
    let t: Ticker = done(CallKind::Read, "Ticker", "rest_ticker.json");
    let d = &t["XDGUSD"];
    assert_eq!(d.ask.0, p("0.1843210"));
    assert_eq!(d.ask.2, q("12000"));
    assert_eq!(d.bid.0, p("0.18431"));
    assert_eq!(d.last.1, q("250"));
    assert_eq!(d.volume.1, q("70123456.87654321"));
    assert_eq!(d.trades, (9876, 14012));
    assert_eq!(d.open, p("0.1801"));
}

#[test]
fn balance_ex_exact_and_available() {
    let b: BalanceEx = done(CallKind::Read, "BalanceEx", "rest_balance_ex.json");
    let cases = [
        ("ZUSD", "200", "154.8766"),
        ("XXDG", "1250", "1150"),
        ("SOL", "0", "0"),
        ("DOGE.F", "10", "10"),
        ("USDT", "5", "5.75"),
    ];
    for (asset, balance, available) in cases {
        let a = &b[asset];
        assert_eq!(a.balance.value().unwrap(), f(balance), "case {asset}");
        assert_eq!(a.available().unwrap(), f(available), "case {asset}");
    }
    // An asset we do not trade with 10 significant decimals keeps its text and refuses a value.
    assert_eq!(b["XETH"].balance.text(), "0.0000034567");
    assert!(b["XETH"].balance.value().is_err());
}

#[test]
fn open_query_closed_orders() {
    let open: OpenOrders = done(CallKind::Read, "OpenOrders", "rest_open_orders.json");
    let o = &open.open["OQCLML-BW3P3-BUCMWZ"];
    assert_eq!(o.cl_ord_id.as_deref(), Some("fw1a9"));
    assert_eq!(o.status, OrderStatus::Open);
    assert_eq!(o.descr.side, Side::Buy);
    assert_eq!(o.descr.price, p("0.18"));
    assert_eq!(o.vol, q("50"));
    assert_eq!(o.leaves(), q("37.5"));
    assert_eq!(o.fee, u("0.005625"));
    assert_eq!(o.opentm, Timestamp::from_millis(1_760_097_600_123));
    assert_eq!(o.starttm, None);
    assert!(o.has_flag("post") && o.has_flag("fciq"));
    assert_eq!(o.trades.as_ref().map(Vec::len), Some(1));
    assert_eq!(open.open["OB5VMB-B4U2U-DK2WRW"].descr.side, Side::Sell);

    let query: QueryOrders = done(CallKind::Read, "QueryOrders", "rest_query_orders.json");
    let o = &query["OQCLML-BW3P3-BUCMWZ"];
    assert_eq!(o.status, OrderStatus::Closed);
    assert_eq!(o.closetm, Some(Timestamp::from_millis(1_760_097_900_750)));
    assert_eq!(o.cost, u("9"));
    assert_eq!(o.leaves(), Qty::ZERO);

    let closed: ClosedOrders = done(CallKind::Read, "ClosedOrders", "rest_closed_orders.json");
    assert_eq!(closed.count, 2);
    let post = &closed.closed["OPOSTX-7GZQE-AAAAAA"];
    assert_eq!(post.status, OrderStatus::Canceled);
    assert_eq!(post.reason.as_deref(), Some("Post only order"));
    let sol = &closed.closed["OUSER5-CXGDQ-BBBBBB"];
    assert_eq!(sol.descr.price, p("220.15"));
    assert_eq!(sol.vol_exec, q("0.02"));
}

#[test]
fn trades_history_and_pager() {
    let h: TradesHistory = done(CallKind::Read, "TradesHistory", "rest_trades_history.json");
    let ordered: Vec<&str> = h.by_time().iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ordered, ["TCWJEG-FL4SZ-3FKGH6", "TZX2WP-XSEOP-FP7WYR"]);
    let t = &h.trades["TZX2WP-XSEOP-FP7WYR"];
    assert_eq!(
        (t.price, t.vol, t.cost, t.fee),
        (p("0.18"), q("37.5"), u("6.75"), u("0.016875"))
    );
    assert_eq!(t.maker, Some(true));
    assert_eq!(t.trade_id, Some(80_012_399));

    // A short page ends paging; a known fill ends paging.
    let mut pager = HistoryPager::new(vec!["TCWJEG-FL4SZ-3FKGH6".to_string()]);
    assert_eq!(pager.on_page(&h), PagerStep::Done);
    let new: Vec<String> = pager
        .into_new_fills()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(new, ["TZX2WP-XSEOP-FP7WYR"]);
}

fn synthetic_page(ids: std::ops::Range<u64>, template: &TradeInfo) -> TradesHistory {
    let trades = ids
        .map(|i| {
            let mut t = template.clone();
            t.time = Timestamp::from_secs(1_000 + i as i64);
            (format!("T{i:04}"), t)
        })
        .collect();
    TradesHistory { trades, count: 500 }
}

#[test]
fn pager_walks_back_full_pages_until_a_known_fill() {
    let h: TradesHistory = done(CallKind::Read, "TradesHistory", "rest_trades_history.json");
    let template = h.trades["TZX2WP-XSEOP-FP7WYR"].clone();
    // Known: T0010. Exchange has T0000..T0119; pages of 50, newest first, end inclusive.
    let mut pager = HistoryPager::new(vec!["T0010".to_string()]);
    let page1 = synthetic_page(70..120, &template);
    assert_eq!(
        pager.on_page(&page1),
        PagerStep::Fetch {
            end: "T0070".into()
        }
    );
    let page2 = synthetic_page(21..71, &template);
    assert_eq!(
        pager.on_page(&page2),
        PagerStep::Fetch {
            end: "T0021".into()
        }
    );
    let page3 = synthetic_page(0..22, &template);
    assert_eq!(pager.on_page(&page3), PagerStep::Done);
    let new: Vec<String> = pager
        .into_new_fills()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let want: Vec<String> = (11..120).map(|i| format!("T{i:04}")).collect();
    assert_eq!(
        new, want,
        "every fill after the known one, oldest first, once"
    );
}

#[test]
fn order_replies() {
    let add: AddOrderResult = done(CallKind::Order, "AddOrder", "rest_add_order.json");
    assert_eq!(add.txid, ["OQCLML-BW3P3-BUCMWZ"]);
    let cancel: CancelOrderResult = done(CallKind::Order, "CancelOrder", "rest_cancel_order.json");
    assert_eq!(cancel.count, 1);
    let dms: CancelAllOrdersAfterResult = done(
        CallKind::Order,
        "CancelAllOrdersAfter",
        "rest_cancel_all_orders_after.json",
    );
    assert_eq!(
        dms.trigger_time
            .map(|t| t.millis() - dms.current_time.millis()),
        Some(60_000)
    );
    let off: CancelAllOrdersAfterResult = done(
        CallKind::Order,
        "CancelAllOrdersAfter",
        "rest_cancel_all_orders_after_disarmed.json",
    );
    assert_eq!(off.trigger_time, None);
    let token: WebSocketsToken = done(
        CallKind::Read,
        "GetWebSocketsToken",
        "rest_get_websockets_token.json",
    );
    assert_eq!(token.expires, 900);
    assert!(!format!("{token:?}").contains("1Dwc4lz"));
    assert!(token.token.expose().starts_with("1Dwc4lz"));
}

#[test]
fn add_order_is_post_only_or_ioc_with_quote_fees_and_cl_ord_id() {
    let req = AddOrder {
        pair: "XDGUSD".into(),
        side: Side::Sell,
        price: p("0.18432100"),
        volume: q("50.000"),
        kind: OrderKind::PostOnly,
        cl_ord_id: ClOrdId::new("fw1a9").unwrap(),
        deadline: Some(Timestamp::from_millis(1_760_097_605_000)),
        validate: false,
    };
    let params = req.params().unwrap();
    let body = flywheel_kraken::sign::form_body(7, &requests::as_refs(&params));
    assert_eq!(
        body,
        "nonce=7&ordertype=limit&type=sell&pair=XDGUSD&price=0.184321&volume=50\
         &oflags=post%2Cfciq&cl_ord_id=fw1a9&deadline=2025-10-10T12%3A00%3A05.000Z"
    );
    let zero = AddOrder {
        volume: Qty::ZERO,
        ..req.clone()
    };
    assert!(zero.params().is_err());
    assert_eq!(
        requests::cancel_order(&OrderRef::ClOrdId(req.cl_ord_id.clone())),
        vec![("cl_ord_id", "fw1a9".to_string())]
    );
    // The hedger's taker clip: IOC, fees in quote, never post-only (it could not take).
    let ioc = AddOrder {
        kind: OrderKind::Ioc,
        ..req.clone()
    };
    let body = flywheel_kraken::sign::form_body(8, &requests::as_refs(&ioc.params().unwrap()));
    assert_eq!(
        body,
        "nonce=8&ordertype=limit&type=sell&pair=XDGUSD&price=0.184321&volume=50\
         &oflags=fciq&timeinforce=IOC&cl_ord_id=fw1a9&deadline=2025-10-10T12%3A00%3A05.000Z"
    );
    assert!(requests::cancel_all_orders_after(86_400).is_err());
    assert_eq!(
        requests::cancel_all_orders_after(60).unwrap(),
        vec![("timeout", "60".to_string())]
    );
}

#[test]
fn a_failed_decimal_names_endpoint_and_field() {
    let body = fixture("rest_open_orders.json").replace("\"12.50000000\"", "\"12.5000000001\"");
    let got = classify::<OpenOrders>(CallKind::Read, "OpenOrders", 200, None, &body);
    let RestOutcome::Failed(why) = got else {
        panic!("{got:?}")
    };
    let text = format!("{why:?}");
    assert!(text.contains("REST OpenOrders result"), "{text}");
    assert!(text.contains("open.OQCLML-BW3P3-BUCMWZ.vol_exec"), "{text}");
}

#[test]
fn trade_volume_gives_the_accounts_fees_exactly() {
    let tv: TradeVolume = done(CallKind::Read, "TradeVolume", "rest_trade_volume.json");
    let r = |s: &str| s.parse::<Ratio>().expect("ratio literal");
    assert_eq!(tv.fees_for("XDGUSD"), Some((r("0.25"), r("0.4"))));
    assert_eq!(tv.fees_maker["XDGUSD"].nextfee, Some(r("0.2")));
    assert_eq!(tv.fees_for("SOLUSD"), None);
    assert_eq!(tv.volume.text(), "1520.3400");
}
