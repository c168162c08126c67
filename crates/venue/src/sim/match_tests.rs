//! Matching: latency, fill rules, partial fills, candles and determinism.

use super::test_support::*;

#[test]
fn post_only_cross_after_latency() {
    let mut s = sim_with(SimConfig {
        latency_ms: 100,
        ..SimConfig::frictionless()
    });
    market(&mut s, &trade(0, "10", "1"));
    // Acknowledged at once even though 9.9 will cross by the time it arrives.
    let a = place(&mut s, &buy("9.9", "1"), 10);
    let b = place(&mut s, &buy("9.8", "1"), 10);
    assert_eq!(s.open_order_count(), 2);
    assert_eq!(s.balances().quote.held, u("9.92475") + u("9.8245"));
    // In flight: a print through both prices fills nothing.
    market(&mut s, &trade(50, "9.85", "5"));
    assert!(drain(&mut s).is_empty());
    // At 110 both arrive before the trade at 110: a (9.9 ≥ 9.85) is refused, b rests and fills.
    market(&mut s, &trade(110, "9.7", "5"));
    assert_eq!(
        drain(&mut s),
        vec![
            VenueEvent::Rejected {
                txid: Some(a),
                cl_ord_id: any_id(),
                reason: Reject::PostOnlyWouldTake,
                ts: t(110),
            },
            fill(&b, Side::Buy, "9.8", "1", "0.0245", 110, "0"),
        ]
    );
    assert_eq!(s.open_order_count(), 0);
    assert_eq!(s.balances().quote.held, Quote::ZERO);
    assert_eq!(s.balances().quote.total, u("1000") - u("9.8245"));
}

#[test]
fn latency_activation_boundaries() {
    let cfg = SimConfig {
        latency_ms: 100,
        ..SimConfig::frictionless()
    };
    // (case, trade time, fills)
    let cases = [
        ("one ms early", 99, false),
        ("exactly on arrival", 100, true),
    ];
    for (name, ms, fills_now) in cases {
        let mut s = sim_with(cfg.clone());
        place(&mut s, &buy("9", "1"), 0);
        market(&mut s, &trade(ms, "8", "1"));
        assert_eq!(
            fills(&drain(&mut s)).len(),
            usize::from(fills_now),
            "case {name}"
        );
    }
    // place/cancel bring in-flight orders in too: the later order sees the earlier resting.
    let mut s = sim_with(cfg);
    place(&mut s, &sell("10", "1"), 0);
    place(&mut s, &buy("10", "1"), 100);
    let open = s.open_orders();
    assert!(open[0].resting && !open[1].resting);
    s.advance_to(t(200));
    assert_eq!(
        drain(&mut s),
        vec![VenueEvent::Rejected {
            txid: Some("SIM-000002".into()),
            cl_ord_id: any_id(),
            reason: Reject::PostOnlyWouldTake,
            ts: t(200),
        }]
    );
    assert_eq!(s.check_ledger(), Ok(()));
}

#[test]
fn default_latency_keeps_an_order_in_flight_for_200_ms() {
    // (case, time of a sell print through the bid placed at 0, fills)
    let cases = [
        ("at 199 ms: still in flight", 199, 0),
        ("at 200 ms: on the book", 200, 1),
    ];
    for (name, ms, want) in cases {
        let mut s = sim_with(SimConfig::default());
        market(&mut s, &trade_by(-1, "10", "1", Some(Side::Buy)));
        place(&mut s, &buy("9", "1"), 0);
        assert!(!s.open_orders()[0].resting, "case {name}");
        market(&mut s, &trade_by(ms, "8", "5", Some(Side::Sell)));
        assert_eq!(fills(&drain(&mut s)).len(), want, "case {name}");
    }
}

#[test]
fn strict_versus_touch() {
    use FillRule::*;
    // Resting buy at 10 and sell at 11 (reference 10.5).
    let cases = [
        ("strict: print at buy price", Strict, "10", 0),
        ("strict: print below buy price", Strict, "9.99", 1),
        ("strict: print at sell price", Strict, "11", 0),
        ("strict: print above sell price", Strict, "11.01", 1),
        ("touch: print at buy price", Touch, "10", 1),
        ("touch: print at sell price", Touch, "11", 1),
        ("touch: print between", Touch, "10.5", 0),
    ];
    for (name, rule, price, want) in cases {
        let mut s = sim_with(SimConfig {
            fill_rule: rule,
            ..SimConfig::frictionless()
        });
        market(&mut s, &trade(0, "10.5", "1"));
        place(&mut s, &buy("10", "1"), 1);
        place(&mut s, &sell("11", "1"), 1);
        market(&mut s, &trade(2, price, "5"));
        assert_eq!(fills(&drain(&mut s)).len(), want, "case {name}");
        assert_eq!(s.last_price(), Some(p(price)), "case {name}");
    }
}

#[test]
fn aggressor_side_table() {
    use AggressorRule::*;
    use Side::{Buy, Sell};
    type Print = (&'static str, Option<Side>);
    // Reference 10.5, resting bid 10 × 2 and ask 11 × 2; every print is 0.5.
    // (case, rule, prints in order, (bid filled, ask filled))
    type Case = (
        &'static str,
        AggressorRule,
        &'static [Print],
        (&'static str, &'static str),
    );
    let cases: [Case; 11] = [
        (
            "recorded sell taker through the bid fills it",
            DataOrTick,
            &[("9.9", Some(Sell))],
            ("0.5", "0"),
        ),
        (
            "recorded buy taker below the bid cannot fill it",
            DataOrTick,
            &[("9.9", Some(Buy))],
            ("0", "0"),
        ),
        (
            "recorded buy taker through the ask fills it",
            DataOrTick,
            &[("11.1", Some(Buy))],
            ("0", "0.5"),
        ),
        (
            "recorded sell taker above the ask cannot fill it",
            DataOrTick,
            &[("11.1", Some(Sell))],
            ("0", "0"),
        ),
        (
            "no side: a downtick through the bid is a sell",
            DataOrTick,
            &[("9.9", None)],
            ("0.5", "0"),
        ),
        (
            "no side: an uptick still below the bid is a buy",
            DataOrTick,
            &[("9.8", None), ("9.9", None)],
            ("0.5", "0"),
        ),
        (
            "no side: a zero tick keeps the downtick",
            DataOrTick,
            &[("9.8", None), ("9.8", None)],
            ("1", "0"),
        ),
        (
            "no side: an uptick through the ask is a buy",
            DataOrTick,
            &[("11.2", None)],
            ("0", "0.5"),
        ),
        (
            "data-or-both: a sideless uptick below the bid fills it",
            DataOrBoth,
            &[("9.8", None), ("9.9", None)],
            ("1", "0"),
        ),
        (
            "tick: a recorded side is overruled by the downtick",
            Tick,
            &[("9.9", Some(Buy))],
            ("0.5", "0"),
        ),
        (
            "ignore: a buy taker below the bid fills it",
            Ignore,
            &[("9.9", Some(Buy))],
            ("0.5", "0"),
        ),
    ];
    for (name, aggressor, prints, (bid, ask)) in cases {
        let mut s = sim_with(SimConfig {
            aggressor,
            ..SimConfig::frictionless()
        });
        market(&mut s, &trade(0, "10.5", "1"));
        let b = place(&mut s, &buy("10", "2"), 1);
        let a = place(&mut s, &sell("11", "2"), 1);
        for (i, (px, taker)) in (2i64..).zip(prints) {
            market(&mut s, &trade_by(i, px, "0.5", *taker));
        }
        let events = drain(&mut s);
        assert_eq!(
            (filled_of(&events, &b), filled_of(&events, &a)),
            (q(bid), q(ask)),
            "case {name}"
        );
    }
}

#[test]
fn partial_fills_share_a_print_by_price_then_time() {
    let mut s = sim();
    market(&mut s, &trade(0, "11", "1"));
    let a = place(&mut s, &buy("10", "5"), 1);
    let b = place(&mut s, &buy("10", "5"), 2);
    let c = place(&mut s, &buy("10.5", "3"), 3);
    market(&mut s, &trade(10, "9", "6"));
    assert_eq!(
        fills(&drain(&mut s)),
        vec![f(&c, "3", "0"), f(&a, "3", "2")]
    );
    market(&mut s, &trade(11, "9", "4"));
    assert_eq!(
        fills(&drain(&mut s)),
        vec![f(&a, "2", "0"), f(&b, "2", "3")]
    );
    // A print that does not cross leaves b alone.
    market(&mut s, &trade(12, "10", "100"));
    assert!(drain(&mut s).is_empty());
    assert_eq!(s.open_orders()[0].filled, q("2"));

    // Sells: lowest first.
    let mut s = sim();
    market(&mut s, &trade(0, "11", "1"));
    let hi = place(&mut s, &sell("12", "1"), 1);
    let lo = place(&mut s, &sell("11.5", "1"), 2);
    market(&mut s, &trade(10, "13", "1.5"));
    assert_eq!(
        fills(&drain(&mut s)),
        vec![f(&lo, "1", "0"), f(&hi, "0.5", "0.5")]
    );
}

#[test]
fn without_partial_fills_every_crossed_order_fills_entirely() {
    let mut s = sim_with(SimConfig {
        partial_fills: false,
        ..SimConfig::frictionless()
    });
    market(&mut s, &trade(0, "11", "1"));
    let a = place(&mut s, &buy("10", "5"), 1);
    let b = place(&mut s, &buy("10.5", "3"), 1);
    place(&mut s, &buy("8", "1"), 1);
    market(&mut s, &trade(10, "9", "0.01"));
    assert_eq!(
        fills(&drain(&mut s)),
        vec![f(&b, "3", "0"), f(&a, "5", "0")]
    );
    assert_eq!(s.open_order_count(), 1);
}

#[test]
fn candle_path_order() {
    // Buy at 9.5, sell at 11, reference 10. Bars open at 60 000 (q = 15 000).
    // (case, bar, expected (txid, ts) of fills in order)
    let cases = [
        (
            "up bar: low nearer, buy fills first",
            bar(60_000, "10", "11.2", "9.4", "11"),
            vec![("SIM-000001", 75_000), ("SIM-000002", 90_000)],
        ),
        (
            "down bar: high nearer, sell fills first",
            bar(60_000, "10", "11", "8", "8.5"),
            vec![("SIM-000002", 75_000), ("SIM-000001", 90_000)],
        ),
        (
            "touch: extremes exactly at the prices",
            bar(60_000, "10", "11", "9.5", "10"),
            vec![("SIM-000001", 75_000), ("SIM-000002", 90_000)],
        ),
        (
            "open at the low collapsed: buy at t0, sell keeps its slot time",
            bar(60_000, "9.5", "11.5", "9.5", "11"),
            vec![("SIM-000001", 60_000), ("SIM-000002", 90_000)],
        ),
        (
            "inside bar fills nothing",
            bar(60_000, "10", "10.9", "9.6", "10.2"),
            vec![],
        ),
    ];
    for (name, b, want) in cases {
        let mut s = sim();
        market(&mut s, &trade(0, "10", "1"));
        place(&mut s, &buy("9.5", "2"), 1);
        place(&mut s, &sell("11", "2"), 1);
        market(&mut s, &b);
        let got: Vec<(String, i64, Qty, Qty)> = drain(&mut s)
            .into_iter()
            .filter_map(|e| match e {
                VenueEvent::Fill {
                    txid,
                    ts,
                    qty,
                    leaves,
                    ..
                } => Some((txid, ts.millis(), qty, leaves)),
                _ => None,
            })
            .collect();
        // Entire fills, despite the bar's tiny volume.
        let want: Vec<(String, i64, Qty, Qty)> = want
            .into_iter()
            .map(|(id, ms)| (id.to_string(), ms, q("2"), Qty::ZERO))
            .collect();
        assert_eq!(got, want, "case {name}");
        if let MarketEvent::Bar(b) = &b {
            assert_eq!(
                s.last_price(),
                Some(b.close),
                "case {name}: reference is the close"
            );
        }
    }
}

#[test]
fn candle_fills_at_own_price_and_honours_latency_per_point() {
    let mut s = sim_with(SimConfig {
        latency_ms: 20_000,
        ..SimConfig::frictionless()
    });
    market(&mut s, &trade(0, "10", "1"));
    // Arrives at 80 000: after the bar's low point (75 000), before its high (90 000).
    let a = place(&mut s, &buy("9.5", "1"), 60_000);
    let b = place(&mut s, &sell("11", "1"), 60_000);
    market(&mut s, &bar(60_000, "10", "11.5", "9", "11"));
    // Path: 10 @60 000, 9 @75 000, 11.5 @90 000, 11 @105 000. At arrival (80 000) the
    // reference is 9: the buy at 9.5 would take and is refused; the sell rests and fills at 11.
    assert_eq!(
        drain(&mut s),
        vec![
            VenueEvent::Rejected {
                txid: Some(a),
                cl_ord_id: any_id(),
                reason: Reject::PostOnlyWouldTake,
                ts: t(80_000),
            },
            fill(&b, Side::Sell, "11", "1", "0.0275", 90_000, "0"),
        ]
    );
}

#[test]
fn candle_points_before_an_order_arrives_never_fill_it() {
    // The backtest driver runs the loops inside a bar before it hands the bar over, so an
    // order can be placed at 80 000 and the bar (60 000–120 000) replayed afterwards.
    // (case, bar, fill time of a buy at 9.5 placed at 80 000 with no latency)
    let cases = [
        (
            "low at 75 000, before the order: no fill",
            bar(60_000, "10", "11.5", "9", "11"),
            None,
        ),
        (
            "low at 90 000, after the order: fills",
            bar(60_000, "10", "10.2", "9", "9.6"),
            Some(90_000),
        ),
    ];
    for (name, b, want) in cases {
        let mut s = sim();
        market(&mut s, &trade(0, "10", "1"));
        let txid = place(&mut s, &buy("9.5", "1"), 80_000);
        market(&mut s, &b);
        let got: Vec<(String, i64)> = drain(&mut s)
            .into_iter()
            .filter_map(|e| match e {
                VenueEvent::Fill { txid, ts, .. } => Some((txid, ts.millis())),
                _ => None,
            })
            .collect();
        assert_eq!(
            got,
            want.map(|ms| (txid.clone(), ms))
                .into_iter()
                .collect::<Vec<_>>(),
            "case {name}"
        );
    }
}

#[test]
fn same_inputs_same_events() {
    let run = || {
        let mut s = sim_with(SimConfig {
            latency_ms: 3,
            ..SimConfig::frictionless()
        });
        let mut out = Vec::new();
        let mut ms = 0;
        for (i, px) in ["10", "9.8", "10.3", "9.6", "10.6", "9.9"]
            .into_iter()
            .enumerate()
        {
            let _ = s.place(&buy("9.7", "1"), t(ms));
            let _ = s.place(&sell("10.4", "1"), t(ms));
            s.on_market(&trade(ms + 5, px, "1.5")).unwrap();
            if i % 2 == 1 {
                let _ = cancel(&mut s, "SIM-000003", ms + 6);
            }
            ms += 10;
        }
        s.on_market(&bar(ms, "10", "11", "9", "10")).unwrap();
        s.poll_events(&mut out);
        let out: Vec<VenueEvent> = out.into_iter().map(anonymous).collect();
        (out, s.balances())
    };
    let (a, ba) = run();
    let (b, bb) = run();
    assert!(!a.is_empty());
    assert_eq!(a, b);
    assert_eq!(ba, bb);
}
