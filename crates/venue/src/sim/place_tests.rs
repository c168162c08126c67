//! Placement, cancels, IOC orders and the ledger, through the public surface.

use super::test_support::*;

#[test]
fn reject_table() {
    fn nothing(_: &mut SimExchange) {}
    fn ref_10(s: &mut SimExchange) {
        s.on_market(&trade(0, "10", "1")).unwrap();
    }
    fn one_buy(s: &mut SimExchange) {
        s.place(&buy("5", "1"), t(0)).unwrap();
    }
    fn big_buy(s: &mut SimExchange) {
        s.place(&buy("10", "50"), t(0)).unwrap();
    }
    fn own_ask_below_ref(s: &mut SimExchange) {
        s.on_market(&trade(0, "10", "1")).unwrap();
        s.place(&sell("10.5", "2"), t(1)).unwrap();
        // Partly fills the ask; the reference moves to 11, above it.
        s.on_market(&trade(2, "11", "1")).unwrap();
    }
    fn own_ask_no_ref(s: &mut SimExchange) {
        s.place(&sell("10", "1"), t(0)).unwrap();
    }
    let cap_1 = SimConfig {
        max_open_orders: 1,
        ..SimConfig::frictionless()
    };
    let dflt = SimConfig::frictionless();
    type Setup = fn(&mut SimExchange);
    let cases: Vec<(&str, SimConfig, Setup, OrderRequest, Reject)> = vec![
        (
            "price off tick",
            dflt.clone(),
            nothing,
            buy("10.005", "1"),
            Reject::TickSizeCheckFailed,
        ),
        (
            "zero price",
            dflt.clone(),
            nothing,
            buy("0", "1"),
            Reject::TickSizeCheckFailed,
        ),
        (
            "negative price",
            dflt.clone(),
            nothing,
            sell("-10", "1"),
            Reject::TickSizeCheckFailed,
        ),
        (
            "volume off lot",
            dflt.clone(),
            nothing,
            buy("10", "1.005"),
            Reject::InvalidVolume,
        ),
        (
            "zero volume",
            dflt.clone(),
            nothing,
            buy("10", "0"),
            Reject::InvalidVolume,
        ),
        (
            "negative volume",
            dflt.clone(),
            nothing,
            sell("10", "-1"),
            Reject::InvalidVolume,
        ),
        (
            "tick checked before lot",
            dflt.clone(),
            nothing,
            buy("10.005", "1.005"),
            Reject::TickSizeCheckFailed,
        ),
        (
            "below minimum volume",
            dflt.clone(),
            nothing,
            buy("20", "0.5"),
            Reject::OrderMinimumNotMet,
        ),
        (
            "minimum volume before cost",
            dflt.clone(),
            nothing,
            buy("4", "0.5"),
            Reject::OrderMinimumNotMet,
        ),
        (
            "below minimum cost",
            dflt.clone(),
            nothing,
            buy("4.99", "1"),
            Reject::CostMinimumNotMet,
        ),
        (
            "open-order cap",
            cap_1.clone(),
            one_buy,
            buy("5", "1"),
            Reject::OrdersLimitExceeded,
        ),
        (
            "cap before funds",
            cap_1.clone(),
            one_buy,
            buy("10", "1000"),
            Reject::OrdersLimitExceeded,
        ),
        (
            "cap counts IOC too",
            cap_1,
            one_buy,
            req(Side::Buy, "5", "1", OrderKind::Ioc),
            Reject::OrdersLimitExceeded,
        ),
        (
            "buy beyond quote (fee included)",
            dflt.clone(),
            nothing,
            buy("10", "100"),
            Reject::InsufficientFunds,
        ),
        (
            "buy beyond free quote",
            dflt.clone(),
            big_buy,
            buy("10", "50"),
            Reject::InsufficientFunds,
        ),
        (
            "IOC buy holds the taker fee",
            dflt.clone(),
            nothing,
            req(Side::Buy, "10", "99.65", OrderKind::Ioc),
            Reject::InsufficientFunds,
        ),
        (
            "sell beyond base",
            dflt.clone(),
            nothing,
            sell("20", "100.01"),
            Reject::InsufficientFunds,
        ),
        (
            "funds before post-only",
            dflt.clone(),
            ref_10,
            buy("10", "100"),
            Reject::InsufficientFunds,
        ),
        (
            "post-only buy at reference",
            dflt.clone(),
            ref_10,
            buy("10", "1"),
            Reject::PostOnlyWouldTake,
        ),
        (
            "post-only buy above reference",
            dflt.clone(),
            ref_10,
            buy("10.5", "1"),
            Reject::PostOnlyWouldTake,
        ),
        (
            "post-only sell at reference",
            dflt.clone(),
            ref_10,
            sell("10", "1"),
            Reject::PostOnlyWouldTake,
        ),
        (
            "post-only sell below reference",
            dflt.clone(),
            ref_10,
            sell("9.99", "1"),
            Reject::PostOnlyWouldTake,
        ),
        (
            "post-only buy at own ask",
            dflt.clone(),
            own_ask_no_ref,
            buy("10", "1"),
            Reject::PostOnlyWouldTake,
        ),
        (
            "post-only buy above own ask, below reference",
            dflt,
            own_ask_below_ref,
            buy("10.6", "1"),
            Reject::PostOnlyWouldTake,
        ),
    ];
    for (name, cfg, setup, r, want) in cases {
        let mut s = sim_with(cfg);
        setup(&mut s);
        let before = (s.balances(), s.open_order_count(), drain(&mut s).len());
        assert_eq!(s.place(&r, t(10)), Err(want), "case {name}");
        // A reject changes nothing and emits nothing.
        assert_eq!(s.balances(), before.0, "case {name}: balances");
        assert_eq!(s.open_order_count(), before.1, "case {name}: open orders");
        assert!(drain(&mut s).is_empty(), "case {name}: events");
        assert_eq!(s.check_ledger(), Ok(()), "case {name}: ledger");
    }
}

#[test]
fn accepts_boundaries_and_numbers_txids() {
    let mut s = sim();
    // No reference yet: any post-only price is accepted.
    assert_eq!(place(&mut s, &buy("5", "1"), 0), "SIM-000001");
    assert_eq!(
        s.place(&buy("1", "1"), t(0)),
        Err(Reject::CostMinimumNotMet)
    );
    // Exactly the minimums, exactly all free base.
    assert_eq!(place(&mut s, &sell("50", "100"), 0), "SIM-000002");
    assert_eq!(s.open_order_count(), 2);
    assert_eq!(s.balances().base.held, q("100"));
    assert_eq!(s.balances().free_base(), Qty::ZERO);
    // Exactly all free quote: 5 × 1.0025 = 5.0125 held, then 1000 × 1.0025 = 1002.5.
    let mut s = SimExchange::new(
        inst(),
        SimConfig::frictionless(),
        balances("0", "1007.5125"),
    )
    .unwrap();
    place(&mut s, &buy("5", "1"), 0);
    assert_eq!(s.balances().quote.held, u("5.0125"));
    assert_eq!(
        s.place(&buy("10", "100.01"), t(0)),
        Err(Reject::InsufficientFunds)
    );
    assert_eq!(place(&mut s, &buy("10", "100"), 0), "SIM-000002");
    assert_eq!(s.balances().quote.held, u("1007.5125"));
    assert_eq!(s.balances().free_quote(), Quote::ZERO);
}

#[test]
fn ioc_table() {
    // (case, reference trade, half-spread bps, request, expected (price, fee), quote total
    // after, base total after)
    let cases = [
        (
            "buy limit above reference fills at reference, taker fee",
            Some("10"),
            "0",
            req(Side::Buy, "10.5", "2", OrderKind::Ioc),
            Some(("10", "0.08")),
            "979.92",
            "102",
        ),
        (
            "sell limit below reference fills at reference",
            Some("10"),
            "0",
            req(Side::Sell, "9", "2", OrderKind::Ioc),
            Some(("10", "0.08")),
            "1019.92",
            "98",
        ),
        (
            // 10 × (1 + 20 bps) = 10.02: pays 20.04 + 0.4 % fee 0.08016.
            "buy pays the half-spread over the reference",
            Some("10"),
            "20",
            req(Side::Buy, "10.5", "2", OrderKind::Ioc),
            Some(("10.02", "0.08016")),
            "979.87984",
            "102",
        ),
        (
            // 10 × (1 − 20 bps) = 9.98: receives 19.96 less 0.07984.
            "sell receives the half-spread below the reference",
            Some("10"),
            "20",
            req(Side::Sell, "9", "2", OrderKind::Ioc),
            Some(("9.98", "0.07984")),
            "1019.88016",
            "98",
        ),
        (
            "buy limited inside the spread expires",
            Some("10"),
            "20",
            req(Side::Buy, "10.01", "2", OrderKind::Ioc),
            None,
            "1000",
            "100",
        ),
        (
            "buy limit below reference expires",
            Some("10"),
            "0",
            req(Side::Buy, "9.99", "2", OrderKind::Ioc),
            None,
            "1000",
            "100",
        ),
        (
            "sell limit above reference expires",
            Some("10"),
            "0",
            req(Side::Sell, "10.01", "2", OrderKind::Ioc),
            None,
            "1000",
            "100",
        ),
        (
            "no reference expires",
            None,
            "2",
            req(Side::Buy, "10", "2", OrderKind::Ioc),
            None,
            "1000",
            "100",
        ),
    ];
    for (name, reference, half_spread, r, want, quote, base) in cases {
        // Latency does not delay an IOC order.
        let mut s = sim_with(SimConfig {
            latency_ms: 500,
            ioc_half_spread_bps: half_spread.parse().unwrap(),
            ..SimConfig::frictionless()
        });
        if let Some(px) = reference {
            market(&mut s, &trade(0, px, "1"));
        }
        let txid = place(&mut s, &r, 5);
        let want_event = match want {
            Some((price, fee)) => VenueEvent::Fill {
                txid,
                cl_ord_id: any_id(),
                side: r.side,
                price: p(price),
                qty: r.qty,
                fee: u(fee),
                liquidity: Liquidity::Taker,
                ts: t(5),
                leaves: Qty::ZERO,
                exec_id: None,
            },
            None => VenueEvent::Done {
                txid,
                cl_ord_id: any_id(),
                reason: DoneReason::Expired,
                filled: Qty::ZERO,
                ts: t(5),
            },
        };
        assert_eq!(drain(&mut s), vec![want_event], "case {name}");
        assert_eq!(s.open_order_count(), 0, "case {name}");
        assert_eq!(s.balances(), balances(base, quote), "case {name}");
        assert_eq!(
            s.last_price(),
            reference.map(p),
            "case {name}: reference unmoved"
        );
        assert_eq!(s.check_ledger(), Ok(()), "case {name}");
    }
}

#[test]
fn cancel_reports_filled_and_unknown_orders() {
    let mut s = sim();
    market(&mut s, &trade(0, "11", "1"));
    let a = place(&mut s, &buy("10", "5"), 1);
    let b = place(&mut s, &sell("12", "1"), 1);
    market(&mut s, &trade(2, "9", "2"));
    market(&mut s, &trade(3, "13", "5"));
    drain(&mut s);
    cancel(&mut s, &a, 4).unwrap();
    assert_eq!(
        drain(&mut s),
        vec![VenueEvent::Done {
            txid: a.clone(),
            cl_ord_id: any_id(),
            reason: DoneReason::Cancelled,
            filled: q("2"),
            ts: t(4),
        }]
    );
    assert_eq!(s.balances().quote.held, Quote::ZERO);
    let cases = [
        ("already cancelled", a.as_str()),
        ("filled completely", b.as_str()),
        ("never issued", "SIM-000099"),
        ("alias of a real id", "SIM-2"),
        ("not an id", "OABCDE-12345"),
    ];
    for (name, txid) in cases {
        assert_eq!(
            cancel(&mut s, txid, 5),
            Err(Reject::UnknownOrder),
            "case {name}"
        );
    }
    assert!(drain(&mut s).is_empty());

    // An order still in flight can be cancelled, and never arrives.
    let mut s = sim_with(SimConfig {
        latency_ms: 100,
        ..SimConfig::frictionless()
    });
    let c = place(&mut s, &buy("10", "1"), 0);
    cancel(&mut s, &c, 50).unwrap();
    market(&mut s, &trade(200, "5", "10"));
    assert_eq!(
        drain(&mut s),
        vec![VenueEvent::Done {
            txid: c,
            cl_ord_id: any_id(),
            reason: DoneReason::Cancelled,
            filled: Qty::ZERO,
            ts: t(50),
        }]
    );
    assert_eq!(s.balances(), balances("100", "1000"));
}

#[test]
fn holds_and_balances_exact_after_a_sequence() {
    let mut s = sim();
    market(&mut s, &trade(0, "11", "1"));
    let a = place(&mut s, &buy("10", "3"), 1);
    // 30 + 0.25 % = 30.075
    assert_eq!(s.balances().quote.held, u("30.075"));
    let b = place(&mut s, &sell("12", "2"), 1);
    assert_eq!(s.balances().base.held, q("2"));
    // Buy fills 1: pays 10 + 0.025, releases 10.025.
    market(&mut s, &trade(2, "9.99", "1"));
    assert_eq!(s.balances(), {
        let mut x = balances("101", "989.975");
        x.quote.held = u("20.05");
        x.base.held = q("2");
        x
    });
    // Sell fills 2: receives 24 − 0.06.
    market(&mut s, &trade(3, "12.5", "5"));
    assert_eq!(s.balances(), {
        let mut x = balances("99", "1013.915");
        x.quote.held = u("20.05");
        x
    });
    cancel(&mut s, &a, 4).unwrap();
    assert_eq!(s.balances(), balances("99", "1013.915"));
    assert_eq!(s.fees_paid().to_string(), "0.085");
    assert_eq!(
        drain(&mut s),
        vec![
            fill(&a, Side::Buy, "10", "1", "0.025", 2, "2"),
            fill(&b, Side::Sell, "12", "2", "0.06", 3, "0"),
            VenueEvent::Done {
                txid: a,
                cl_ord_id: any_id(),
                reason: DoneReason::Cancelled,
                filled: q("1"),
                ts: t(4),
            },
        ]
    );
}

#[test]
fn fee_math_with_rounding_splits_exactly() {
    // DOGE-like: tick 1e-7, lot 1e-8, so notionals carry 15 decimals and must be rounded.
    let mut i = Instrument::with_decimals("DOGE/USD", 7, 8).unwrap();
    i.maker_fee_pct = "0.25".parse().unwrap();
    let mut s = SimExchange::new(i, SimConfig::frictionless(), balances("0", "10")).unwrap();
    market(&mut s, &trade(0, "0.2", "1"));
    let a = place(&mut s, &buy("0.1234567", "3.33333333"), 1);
    // 0.1234567 × 3.33333333 = 0.411522332921811: ⌈⌉ 0.411522333, ⌈0.25 %⌉ 0.001028806.
    assert_eq!(s.balances().quote.held, u("0.412551139"));
    for (ms, part) in [(2, "1.11111111"), (3, "0.00000001"), (4, "2.22222221")] {
        market(&mut s, &trade(ms, "0.1", part));
    }
    let events = drain(&mut s);
    assert_eq!(
        fills(&events),
        vec![
            f(&a, "1.11111111", "2.22222222"),
            f(&a, "0.00000001", "2.22222221"),
            f(&a, "2.22222221", "0"),
        ]
    );
    let fee: Quote = events
        .iter()
        .map(|e| match e {
            VenueEvent::Fill { fee, .. } => *fee,
            _ => Quote::ZERO,
        })
        .sum();
    // Exactly one fill of the whole: N = 0.411522333 (half-even), fee 0.001028806 (…58325).
    assert_eq!(fee, u("0.001028806"));
    assert_eq!(s.balances(), {
        let mut x = balances("3.33333333", "10");
        x.quote.total = u("10") - u("0.411522333") - u("0.001028806");
        x
    });
}

#[test]
fn new_rejects_bad_setups() {
    let mut held = balances("1", "1");
    held.quote.held = u("0.5");
    let mut zero_lot = inst();
    zero_lot.lot = Qty::ZERO;
    let mut fee_100 = inst();
    fee_100.taker_fee_pct = "100".parse().unwrap();
    let cases = [
        ("held at start", inst(), held, true),
        ("negative start", inst(), balances("-1", "1"), true),
        ("invalid instrument", zero_lot, balances("1", "1"), true),
        ("fee of 100 %", fee_100, balances("1", "1"), true),
        ("fine", inst(), balances("0", "0"), false),
    ];
    for (name, i, start, fails) in cases {
        let r = SimExchange::new(i, SimConfig::frictionless(), start);
        assert_eq!(r.is_err(), fails, "case {name}");
    }
}
