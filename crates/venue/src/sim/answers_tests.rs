//! Answers with an ack latency, client order ids and injected faults, through the public
//! surface: what the caller hears, when, and what the venue's book and ledger did.

use super::test_support::*;

/// `e` in a few words: kind, detail, `@` the time it carries.
fn describe(e: &VenueEvent) -> String {
    match e {
        VenueEvent::Acked { ts, .. } => format!("ack@{}", ts.millis()),
        VenueEvent::Fill { qty, ts, .. } => format!("fill {qty}@{}", ts.millis()),
        VenueEvent::Done {
            reason, filled, ts, ..
        } => {
            let what = match reason {
                DoneReason::Cancelled => "cancelled",
                DoneReason::Expired => "expired",
            };
            format!("{what} {filled}@{}", ts.millis())
        }
        VenueEvent::Rejected {
            reason, txid, ts, ..
        } => {
            let after = if txid.is_some() { " after ack" } else { "" };
            format!("rejected {}{after}@{}", reason.name(), ts.millis())
        }
        VenueEvent::Unknown { ts, .. } => format!("unknown@{}", ts.millis()),
        VenueEvent::NeverPlaced { ts, .. } => format!("never placed@{}", ts.millis()),
        VenueEvent::CancelRejected { reason, ts, .. } => {
            format!("cancel rejected {}@{}", reason.name(), ts.millis())
        }
    }
}

/// What the caller has heard by `ms` (advancing the venue's clock there), described.
fn heard(s: &mut SimExchange, ms: i64) -> Vec<String> {
    s.advance_to(t(ms));
    let mut out = Vec::new();
    s.poll_events(&mut out);
    out.iter().map(describe).collect()
}

fn cfg(ack_latency_ms: u64, latency_ms: u64) -> SimConfig {
    SimConfig {
        ack_latency_ms,
        latency_ms,
        ..SimConfig::frictionless()
    }
}

type Script = fn(&mut SimExchange) -> Vec<Vec<String>>;

#[test]
fn answers_table() {
    // (name, config, script: the events heard at each of its checkpoints, expected)
    let cases: Vec<(&str, SimConfig, Script, Vec<Vec<&str>>)> = vec![
        (
            "no ack latency: the ack comes with the reply",
            cfg(0, 0),
            |s| {
                s.place(&buy("9", "1"), t(0)).unwrap();
                vec![heard(s, 0)]
            },
            vec![vec!["ack@0"]],
        ),
        (
            "the ack is heard ack_latency later, stamped when decided",
            cfg(100, 0),
            |s| {
                s.place(&buy("9", "1"), t(0)).unwrap();
                vec![heard(s, 0), heard(s, 99), heard(s, 100)]
            },
            vec![vec![], vec![], vec!["ack@0"]],
        ),
        (
            "a refusal is an event, not an error",
            cfg(100, 0),
            |s| {
                s.place(&buy("9.005", "1"), t(0)).unwrap();
                vec![heard(s, 99), heard(s, 100)]
            },
            vec![vec![], vec!["rejected tick_size_check_failed@0"]],
        ),
        (
            "an execution can come before the ack",
            cfg(500, 0),
            |s| {
                s.place(&buy("10", "1"), t(0)).unwrap();
                market(s, &trade(100, "9.9", "5"));
                vec![heard(s, 100), heard(s, 500)]
            },
            vec![vec!["fill 1@100"], vec!["ack@0"]],
        ),
        (
            "refused on arrival before its ack: the ack is taken back",
            cfg(500, 100),
            |s| {
                s.place(&buy("9.9", "1"), t(0)).unwrap();
                market(s, &trade(50, "9.8", "5"));
                vec![heard(s, 100), heard(s, 1_000)]
            },
            vec![vec!["rejected post_only_would_take after ack@100"], vec![]],
        ),
        (
            "acked before arriving, then refused on arrival",
            cfg(50, 100),
            |s| {
                s.place(&buy("9.9", "1"), t(0)).unwrap();
                market(s, &trade(60, "9.8", "5"));
                vec![heard(s, 60), heard(s, 100)]
            },
            vec![
                vec!["ack@0"],
                vec!["rejected post_only_would_take after ack@100"],
            ],
        ),
        (
            "a cancel takes effect when it arrives and is confirmed then",
            cfg(100, 0),
            |s| {
                let id = place_heard(s, &sell("11", "1"), 0);
                s.cancel(&id, t(100)).unwrap();
                let held = s.balances().base.held;
                let mut out = vec![heard(s, 199)];
                assert_eq!(s.balances().base.held, held, "still held before it arrives");
                out.push(heard(s, 200));
                assert_eq!(s.balances().base.held, Qty::ZERO);
                out
            },
            vec![vec![], vec!["cancelled 0@200"]],
        ),
        (
            "an order filled while its cancel travels: the cancel is refused",
            cfg(100, 0),
            |s| {
                let id = place_heard(s, &sell("11", "1"), 0);
                s.cancel(&id, t(100)).unwrap();
                market(s, &trade(150, "11.5", "5"));
                vec![heard(s, 150), heard(s, 200)]
            },
            vec![
                vec!["fill 1@150"],
                vec!["cancel rejected unknown_order@200"],
            ],
        ),
        (
            "a cancel of an order that never was is refused later, not at once",
            cfg(100, 0),
            |s| {
                s.cancel(&fresh_id(), t(0)).unwrap();
                vec![heard(s, 100)]
            },
            vec![vec!["cancel rejected unknown_order@100"]],
        ),
        (
            "an IOC executes at once and is heard later, ack first",
            cfg(100, 0),
            |s| {
                market(s, &trade(0, "10", "1"));
                s.place(&req(Side::Buy, "10.5", "1", OrderKind::Ioc), t(5))
                    .unwrap();
                assert_eq!(
                    s.balances().base.total,
                    q("101"),
                    "the ledger moved at once"
                );
                vec![heard(s, 104), heard(s, 105)]
            },
            vec![vec![], vec!["ack@5", "fill 1@5"]],
        ),
        (
            "a reused id is refused with the reply",
            cfg(0, 0),
            |s| {
                let r = buy("9", "1");
                s.place(&r, t(0)).unwrap();
                assert_eq!(s.place(&r, t(1)), Err(Reject::DuplicateClOrdId));
                vec![heard(s, 1)]
            },
            vec![vec!["ack@0"]],
        ),
        (
            "a reused id is refused as an event with an ack latency",
            cfg(100, 0),
            |s| {
                let r = buy("9", "1");
                s.place(&r, t(0)).unwrap();
                s.place(&r, t(1)).unwrap();
                assert_eq!(s.open_order_count(), 1);
                vec![heard(s, 101)]
            },
            vec![vec!["ack@0", "rejected duplicate_cl_ord_id@1"]],
        ),
        (
            "an id refused once stays spent",
            cfg(0, 0),
            |s| {
                let mut r = buy("9", "1000");
                assert_eq!(s.place(&r, t(0)), Err(Reject::InsufficientFunds));
                r.qty = q("1");
                assert_eq!(s.place(&r, t(1)), Err(Reject::DuplicateClOrdId));
                vec![heard(s, 1)]
            },
            vec![vec![]],
        ),
    ];
    for (name, c, script, want) in cases {
        let mut s = sim_with(c);
        let got = script(&mut s);
        let want: Vec<Vec<String>> = want
            .into_iter()
            .map(|v| v.into_iter().map(String::from).collect())
            .collect();
        assert_eq!(got, want, "case {name}");
        assert_eq!(s.check_ledger(), Ok(()), "case {name}");
    }
}

/// Place `r` at `ms` and hear its ack (whatever the latency); returns its id.
fn place_heard(s: &mut SimExchange, r: &OrderRequest, ms: i64) -> ClOrdId {
    s.place(r, t(ms)).unwrap();
    let latency = i64::try_from(s.config().ack_latency_ms).unwrap();
    assert_eq!(heard(s, ms + latency), vec![format!("ack@{ms}")]);
    r.cl_ord_id.clone()
}

#[test]
fn faults_table() {
    let lost = |ms| Fault::LostAnswer {
        resolve_after_ms: ms,
    };
    let never = |ms| Fault::LostOrder {
        resolve_after_ms: ms,
    };
    // (name, ack latency, fault, script, expected checkpoints)
    type Case = (&'static str, u64, Fault, Script, Vec<Vec<&'static str>>);
    let cases: Vec<Case> = vec![
        (
            "lost answer of an order that rests: unknown, then the ack",
            0,
            lost(1_000),
            |s| {
                s.place(&buy("9", "1"), t(0)).unwrap();
                assert_eq!(s.open_order_count(), 1, "the venue applied it");
                vec![heard(s, 0), heard(s, 999), heard(s, 1_000)]
            },
            vec![vec!["unknown@0"], vec![], vec!["ack@1000"]],
        ),
        (
            "lost answer with an ack latency: everything shifts by it",
            100,
            lost(1_000),
            |s| {
                s.place(&buy("9", "1"), t(0)).unwrap();
                vec![heard(s, 99), heard(s, 100), heard(s, 1_100)]
            },
            vec![vec![], vec!["unknown@0"], vec!["ack@1100"]],
        ),
        (
            "lost answer of an order that filled meanwhile: its fill tells, nothing more",
            0,
            lost(1_000),
            |s| {
                s.place(&buy("10", "1"), t(0)).unwrap();
                market(s, &trade(500, "9.9", "5"));
                vec![heard(s, 500), heard(s, 2_000)]
            },
            vec![vec!["unknown@0", "fill 1@500"], vec![]],
        ),
        (
            "lost answer of a refused order: unknown, then the refusal",
            0,
            lost(1_000),
            |s| {
                s.place(&buy("9", "1000"), t(0)).unwrap();
                assert_eq!(s.open_order_count(), 0);
                vec![heard(s, 0), heard(s, 1_000)]
            },
            vec![vec!["unknown@0"], vec!["rejected insufficient_funds@1000"]],
        ),
        (
            "lost answer of an IOC: unknown, then its execution",
            0,
            lost(1_000),
            |s| {
                market(s, &trade(0, "10", "1"));
                s.place(&req(Side::Sell, "9.5", "1", OrderKind::Ioc), t(1))
                    .unwrap();
                vec![heard(s, 1), heard(s, 5_000)]
            },
            vec![vec!["unknown@1", "fill 1@1"], vec![]],
        ),
        (
            "lost order: unknown, then never placed; nothing held",
            0,
            never(1_000),
            |s| {
                s.place(&buy("9", "1"), t(0)).unwrap();
                assert_eq!(s.open_order_count(), 0);
                assert_eq!(s.balances().quote.held, Quote::ZERO);
                vec![heard(s, 0), heard(s, 1_000)]
            },
            vec![vec!["unknown@0"], vec!["never placed@1000"]],
        ),
        (
            "a fault applies to one order; the next is answered as usual",
            0,
            never(10),
            |s| {
                s.place(&buy("9", "1"), t(0)).unwrap();
                s.place(&buy("9", "1"), t(1)).unwrap();
                vec![heard(s, 10)]
            },
            vec![vec!["unknown@0", "ack@1", "never placed@10"]],
        ),
        (
            "an unknown order that exists can be cancelled; reconciliation then adds nothing",
            0,
            lost(1_000),
            |s| {
                let r = buy("9", "1");
                s.place(&r, t(0)).unwrap();
                s.cancel(&r.cl_ord_id, t(5)).unwrap();
                vec![heard(s, 5), heard(s, 2_000)]
            },
            vec![vec!["unknown@0", "cancelled 0@5"], vec![]],
        ),
        (
            "a reused id does not spend a fault",
            0,
            never(10),
            |s| {
                let r = buy("9", "1");
                s.inject(Fault::LostOrder {
                    resolve_after_ms: 0,
                });
                // The first fault (never(10)) takes this order.
                s.place(&r, t(0)).unwrap();
                assert_eq!(s.place(&r, t(1)), Err(Reject::DuplicateClOrdId));
                assert_eq!(s.pending_faults(), 1);
                vec![heard(s, 10)]
            },
            vec![vec!["unknown@0", "never placed@10"]],
        ),
    ];
    for (name, ack, fault, script, want) in cases {
        let mut s = sim_with(cfg(ack, 0));
        s.inject(fault);
        let got = script(&mut s);
        let want: Vec<Vec<String>> = want
            .into_iter()
            .map(|v| v.into_iter().map(String::from).collect())
            .collect();
        assert_eq!(got, want, "case {name}");
        assert_eq!(s.check_ledger(), Ok(()), "case {name}");
        assert_eq!(
            s.answers_in_flight(),
            0,
            "case {name}: everything delivered"
        );
    }
}

#[test]
fn ids_are_echoed_and_open_orders_are_found_by_them() {
    let mut s = sim_with(cfg(0, 0));
    let a = buy("9", "1");
    let b = sell("11", "1");
    s.place(&a, t(0)).unwrap();
    s.place(&b, t(0)).unwrap();
    let mut evs = Vec::new();
    s.poll_events(&mut evs);
    let ids: Vec<&ClOrdId> = evs.iter().map(VenueEvent::cl_ord_id).collect();
    assert_eq!(ids, vec![&a.cl_ord_id, &b.cl_ord_id]);
    let open: Vec<ClOrdId> = s.open_orders().into_iter().map(|o| o.cl_ord_id).collect();
    assert_eq!(open, vec![a.cl_ord_id.clone(), b.cl_ord_id.clone()]);
    assert_eq!(s.ids_seen(), 2);
    s.cancel(&b.cl_ord_id, t(1)).unwrap();
    assert_eq!(s.cancel(&b.cl_ord_id, t(2)), Err(Reject::UnknownOrder));
    assert_eq!(s.open_order_count(), 1);
}
