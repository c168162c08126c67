//! Ranger scenarios (spec §2.17) on the origin's DOGE/USD instrument.
//!
//! The standard cycle, by hand: market 0.10, entry sell at 0.10 × 1.0015 = 0.10015; $2 buys
//! 2 / 0.10015 = 19.97 DOGE → 20 (whole DOGE, half-even). Exit target
//! max(1.20, 2 × 0.25 + 0.20) = 1.20 %: 0.10015 × 0.988 = 0.0989482 → 0.098948 (buy exits
//! floor). Fees at 0.25 %: entry 2.003 × 0.0025 = 0.0050075, exit 1.97896 × 0.0025 =
//! 0.0049474. Gross (0.10015 − 0.098948) × 20 = 0.02404; net 0.02404 − 0.0099549 = 0.0140851.

use flywheel_core::{Instrument, Price, Side};

use crate::test_support::*;
use crate::{
    AbandonReason, AncillaryError, AncillaryTotals, BlockReason, CancelReason, Leg, OrderKey,
    Outcome, Phase, Ranger, RangerConfig, RangerCtx, RangerSet, Reaction,
};

fn cfg() -> RangerConfig {
    RangerConfig {
        enabled: true,
        ..RangerConfig::default()
    }
}

fn ctx(inst: &Instrument, secs: i64) -> RangerCtx<'_> {
    RangerCtx {
        now: t(secs),
        market: p("0.10"),
        free_base: q("1000"),
        headroom: 50,
        ranging: true,
        instrument: inst,
    }
}

/// A ranger whose entry (sell 20 @ 0.10015) was placed at t(0); returns its key.
fn entered(r: &mut Ranger, inst: &Instrument) -> OrderKey {
    let out = r.step(&cfg(), &ctx(inst, 0)).expect("step");
    let (key, side, price, qty) = placed(&out);
    assert_eq!((side, price, qty), (Side::Sell, p("0.10015"), q("20")));
    key
}

/// A ranger holding 20 DOGE sold at 0.10015 (filled at t(10)), exit placed; returns its key.
fn in_exit(r: &mut Ranger, inst: &Instrument) -> OrderKey {
    let key = entered(r, inst);
    let out = r
        .on_fill(
            &cfg(),
            inst,
            p("0.10015"),
            key,
            &fill(t(10), "0.10015", "20"),
        )
        .expect("entry fill");
    let (exit, side, price, qty) = placed(&out);
    assert_eq!((side, price, qty), (Side::Buy, p("0.098948"), q("20")));
    exit
}

#[test]
fn test_ancillary_profit_tracked() {
    let inst = doge();
    let mut r = Ranger::new(0);
    let exit = in_exit(&mut r, &inst);
    let out = r
        .on_fill(
            &cfg(),
            &inst,
            p("0.0989"),
            exit,
            &fill(t(600), "0.098948", "20"),
        )
        .expect("exit fill");
    let Outcome::Closed(trip) = only_outcome(&out) else {
        panic!("expected a closed trip: {out:?}");
    };
    assert_eq!(trip.gross, usd("0.02404"));
    assert_eq!(trip.fees, usd("0.0099549"));
    assert_eq!(trip.net, usd("0.0140851"));
    let mut totals = AncillaryTotals::default();
    totals.apply_all(&out.outcomes);
    assert_eq!(totals.ranger_profit_usd, usd("0.0140851"));
    assert_eq!(totals.total_lifetime_usd, usd("0.0140851"));
    assert_eq!(totals.ranger_cycles, 1);
    assert_eq!(*r.phase(), Phase::Cooldown { until: t(630) });
}

#[test]
fn entry_gates_table() {
    type Mutate = fn(&mut RangerConfig, &mut RangerCtx<'_>);
    let cases: [(&str, Mutate, Option<BlockReason>); 9] = [
        ("open", |_, _| {}, None),
        (
            "disabled",
            |c, _| c.enabled = false,
            Some(BlockReason::Disabled),
        ),
        (
            "trending",
            |_, x| x.ranging = false,
            Some(BlockReason::NotRanging),
        ),
        (
            "headroom 9 < 10",
            |_, x| x.headroom = 9,
            Some(BlockReason::Headroom),
        ),
        ("headroom exactly 10", |_, x| x.headroom = 10, None),
        (
            "no market yet",
            |_, x| x.market = Price::ZERO,
            Some(BlockReason::NoMarket),
        ),
        // 119 − 20 = 99 < 100 reserve; 120 − 20 = 100 is enough.
        (
            "reserve blocks",
            |_, x| x.free_base = q("119"),
            Some(BlockReason::BaseReserve),
        ),
        ("reserve exactly kept", |_, x| x.free_base = q("120"), None),
        // $1 at 0.10015 = 10 DOGE < 13 minimum.
        (
            "below minimum",
            |c, _| c.order_size_usd = usd("1"),
            Some(BlockReason::BelowMinimum),
        ),
    ];
    let inst = doge();
    for (name, mutate, want) in cases {
        let mut c = cfg();
        let mut x = ctx(&inst, 0);
        mutate(&mut c, &mut x);
        let mut r = Ranger::new(0);
        let out = r.step(&c, &x).expect("step");
        match want {
            None => {
                let (_, side, _, _) = placed(&out);
                assert_eq!(side, Side::Sell, "case {name}");
                assert!(out.blocked.is_empty(), "case {name}");
            }
            Some(reason) => {
                assert!(out.commands.is_empty(), "case {name}");
                assert_eq!(out.blocked.len(), 1, "case {name}");
                assert_eq!(out.blocked[0].reason, reason, "case {name}");
                assert!(r.is_idle(), "case {name}");
            }
        }
    }
}

#[test]
fn entry_timeout_cancels_then_idles() {
    let inst = doge();
    let mut r = Ranger::new(0);
    let key = entered(&mut r, &inst);
    assert!(r.step(&cfg(), &ctx(&inst, 299)).expect("step").is_empty());
    let out = r.step(&cfg(), &ctx(&inst, 300)).expect("step");
    assert_eq!(cancelled(&out), (key, CancelReason::EntryTimeout));
    // The cancel is asked once; the order stays live until acknowledged.
    assert!(r.step(&cfg(), &ctx(&inst, 330)).expect("step").is_empty());
    assert_eq!(r.live_order(), Some(key));
    let out = r.on_cancelled(&cfg(), &inst, key, t(331)).expect("ack");
    assert!(out.is_empty());
    assert!(r.is_idle());
    // No cooldown after an unfilled entry: the next step enters again, cycle 2.
    let out = r.step(&cfg(), &ctx(&inst, 360)).expect("step");
    assert_eq!(placed(&out).0.cycle, 2);
}

#[test]
fn exit_timeout_reports_abandoned_then_cools_down() {
    let inst = doge();
    let mut r = Ranger::new(0);
    let exit = in_exit(&mut r, &inst);
    assert!(r
        .step(&cfg(), &ctx(&inst, 10 + 1349))
        .expect("step")
        .is_empty());
    let out = r.step(&cfg(), &ctx(&inst, 10 + 1350)).expect("step");
    assert_eq!(cancelled(&out), (exit, CancelReason::ExitTimeout));
    let out = r.on_cancelled(&cfg(), &inst, exit, t(1361)).expect("ack");
    let Outcome::Abandoned(a) = only_outcome(&out) else {
        panic!("expected abandoned: {out:?}");
    };
    assert_eq!(
        (a.entry_side, a.qty, a.entry_price),
        (Side::Sell, q("20"), p("0.10015"))
    );
    assert_eq!(
        (a.entry_fee, a.reason),
        (usd("0.0050075"), AbandonReason::ExitTimeout)
    );
    let mut totals = AncillaryTotals::default();
    totals.apply_all(&out.outcomes);
    assert_eq!(totals.abandoned_positions, 1);
    assert_eq!(totals.abandoned_sold_qty, q("20"));
    assert_eq!(totals.total_lifetime_usd, usd("0"));
    // Cooldown 30 s, then a new entry.
    assert!(r
        .step(&cfg(), &ctx(&inst, 1390))
        .expect("step")
        .commands
        .is_empty());
    let out = r.step(&cfg(), &ctx(&inst, 1391)).expect("step");
    assert_eq!(placed(&out).0.cycle, 2);
}

#[test]
fn exit_filled_partly_while_cancelling() {
    let inst = doge();
    let mut r = Ranger::new(0);
    let exit = in_exit(&mut r, &inst);
    r.step(&cfg(), &ctx(&inst, 1360)).expect("timeout cancel");
    // 15 of 20 bought back before the cancel landed.
    let out = r
        .on_fill(
            &cfg(),
            &inst,
            p("0.0989"),
            exit,
            &fill(t(1361), "0.098948", "15"),
        )
        .expect("fill");
    let [Outcome::Closed(c), Outcome::Abandoned(a)] = out.outcomes[..] else {
        panic!("expected closed + abandoned: {out:?}");
    };
    // Entry fee 0.0050075 split 15:5 → 0.003755625 + 0.001251875.
    assert_eq!(c.qty, q("15"));
    assert_eq!(c.gross, usd("0.01803")); // 0.001202 × 15
    assert_eq!(c.fees, usd("0.003755625") + fee("0.098948", "15"));
    assert_eq!((a.qty, a.entry_fee), (q("5"), usd("0.001251875")));
    assert_eq!(a.reason, AbandonReason::ExitTimeout);
}

#[test]
fn gate_closing_cancels_entries_not_exits() {
    let inst = doge();
    let trending = |secs| RangerCtx {
        ranging: false,
        ..ctx(&inst, secs)
    };
    let mut r = Ranger::new(0);
    let key = entered(&mut r, &inst);
    let out = r.step(&cfg(), &trending(20)).expect("step");
    assert_eq!(cancelled(&out), (key, CancelReason::GateClosed));
    r.on_cancelled(&cfg(), &inst, key, t(21)).expect("ack");
    assert!(r.is_idle());

    let mut r = Ranger::new(0);
    let exit = in_exit(&mut r, &inst);
    let out = r.step(&cfg(), &trending(20)).expect("step");
    assert!(out.commands.is_empty(), "an exit keeps resting: {out:?}");
    assert_eq!(r.live_order(), Some(exit));
    let disabled = RangerConfig {
        enabled: false,
        ..cfg()
    };
    assert!(r
        .step(&disabled, &ctx(&inst, 30))
        .expect("step")
        .commands
        .is_empty());
}

#[test]
fn partial_entry_fills() {
    let inst = doge();
    // (name, filled qty, exit expected)
    let cases = [
        ("above minimum: exit for the filled part", "15", true),
        ("exactly the minimum", "13", true),
        ("below minimum: abandoned and reported", "10", false),
    ];
    for (name, qty, exits) in cases {
        let mut r = Ranger::new(0);
        let key = entered(&mut r, &inst);
        let out = r
            .on_fill(&cfg(), &inst, p("0.10"), key, &fill(t(10), "0.10015", qty))
            .expect("fill");
        if exits {
            let (k, side, _, placed_qty) = placed(&out);
            assert_eq!(
                (k.leg, side, placed_qty),
                (Leg::Exit, Side::Buy, q(qty)),
                "case {name}"
            );
            assert_eq!(r.position().map(|p| p.qty), Some(q(qty)), "case {name}");
        } else {
            let Outcome::Abandoned(a) = only_outcome(&out) else {
                panic!("case {name}: {out:?}");
            };
            assert_eq!(
                (a.qty, a.reason),
                (q(qty), AbandonReason::BelowMinimum),
                "case {name}"
            );
            assert!(out.commands.is_empty(), "case {name}");
            assert!(matches!(r.phase(), Phase::Cooldown { .. }), "case {name}");
        }
    }
}

#[test]
fn rejections() {
    let inst = doge();
    // Entry rejected: cooldown, no position.
    let mut r = Ranger::new(0);
    let key = entered(&mut r, &inst);
    assert!(r
        .on_rejected(&cfg(), &inst, key, t(1))
        .expect("reject")
        .is_empty());
    assert_eq!(*r.phase(), Phase::Cooldown { until: t(31) });

    // Exit rejected: placed again at the next step, beyond a market that passed the target.
    let mut r = Ranger::new(0);
    let exit = in_exit(&mut r, &inst);
    r.on_rejected(&cfg(), &inst, exit, t(11)).expect("reject");
    assert_eq!(r.live_order(), None);
    assert_eq!(r.position().map(|p| p.qty), Some(q("20")));
    let low = RangerCtx {
        market: p("0.0980"),
        ..ctx(&inst, 40)
    };
    let out = r.step(&cfg(), &low).expect("step");
    // 0.0980 × 0.9985 = 0.097853 < target 0.098948.
    assert_eq!(placed(&out), (exit, Side::Buy, p("0.097853"), q("20")));

    // Rejected again and never placed before the timeout: abandoned without a cancel.
    r.on_rejected(&cfg(), &inst, exit, t(41)).expect("reject");
    let out = r.step(&cfg(), &ctx(&inst, 1360)).expect("step");
    assert!(out.commands.is_empty());
    let Outcome::Abandoned(a) = only_outcome(&out) else {
        panic!("{out:?}");
    };
    assert_eq!((a.qty, a.reason), (q("20"), AbandonReason::ExitTimeout));
}

#[test]
fn unrequested_exit_cancel_replaces_exit() {
    let inst = doge();
    let mut r = Ranger::new(0);
    let exit = in_exit(&mut r, &inst);
    let out = r.on_cancelled(&cfg(), &inst, exit, t(100)).expect("ack");
    assert!(
        out.outcomes.is_empty(),
        "nothing abandoned before the timeout"
    );
    let out = r.step(&cfg(), &ctx(&inst, 130)).expect("step");
    assert_eq!(placed(&out), (exit, Side::Buy, p("0.098948"), q("20")));
}

#[test]
fn events_for_other_orders_are_refused_unchanged() {
    let inst = doge();
    let mut r = Ranger::new(0);
    let key = entered(&mut r, &inst);
    let before = r.clone();
    let stale = OrderKey { cycle: 7, ..key };
    let wrong_leg = OrderKey {
        leg: Leg::Exit,
        ..key
    };
    type Event = Box<dyn Fn(&mut Ranger) -> Result<Reaction, AncillaryError>>;
    let cases: [(&str, Event); 5] = [
        (
            "stale cycle",
            Box::new(move |r| r.on_cancelled(&cfg(), &doge(), stale, t(1))),
        ),
        (
            "wrong leg",
            Box::new(move |r| r.on_rejected(&cfg(), &doge(), wrong_leg, t(1))),
        ),
        (
            "overfill",
            Box::new(move |r| {
                r.on_fill(&cfg(), &doge(), p("0.1"), key, &fill(t(1), "0.10015", "21"))
            }),
        ),
        (
            "zero fill",
            Box::new(move |r| {
                r.on_fill(&cfg(), &doge(), p("0.1"), key, &fill(t(1), "0.10015", "0"))
            }),
        ),
        (
            "negative fee",
            Box::new(move |r| {
                let mut f = fill(t(1), "0.10015", "20");
                f.fee = usd("-0.01");
                r.on_fill(&cfg(), &doge(), p("0.1"), key, &f)
            }),
        ),
    ];
    for (name, event) in cases {
        assert!(event(&mut r).is_err(), "case {name}");
        assert_eq!(r, before, "case {name}");
    }
}

#[test]
fn ranger_set_shares_base_and_headroom() {
    let inst = doge();
    // (name, free base, headroom, entries placed, block of the last ranger)
    let cases = [
        ("all three", "160", 50, 3, None),
        // 150 − 20 − 20 = 110; 110 − 20 = 90 < 100.
        (
            "third hits the reserve",
            "150",
            50,
            2,
            Some(BlockReason::BaseReserve),
        ),
        // 11, then 10, then 9 < 10.
        (
            "third hits the headroom",
            "1000",
            11,
            2,
            Some(BlockReason::Headroom),
        ),
    ];
    for (name, base, headroom, n, last) in cases {
        let mut set = RangerSet::new(&cfg());
        let x = RangerCtx {
            free_base: q(base),
            headroom,
            ..ctx(&inst, 0)
        };
        let out = set.step(&cfg(), &x).expect("step");
        assert_eq!(out.commands.len(), n, "case {name}");
        assert_eq!(set.live_orders().len(), n, "case {name}");
        assert_eq!(out.blocked.first().map(|b| b.reason), last, "case {name}");
    }
    // Shrinking max_slots: ranger 2 finishes its position but enters no more.
    let mut set = RangerSet::new(&cfg());
    set.step(&cfg(), &ctx(&inst, 0)).expect("step");
    let key = set.live_orders()[2];
    set.on_fill(&cfg(), &inst, p("0.10"), key, &fill(t(5), "0.10015", "20"))
        .expect("fill");
    let two = RangerConfig {
        max_slots: 2,
        ..cfg()
    };
    let out = set.step(&two, &ctx(&inst, 10)).expect("step");
    assert!(out.commands.is_empty());
    assert_eq!(
        set.get(2).and_then(|r| r.position()).map(|p| p.qty),
        Some(q("20"))
    );
}

#[test]
fn state_survives_a_snapshot() {
    let inst = doge();
    let mut set = RangerSet::new(&cfg());
    set.step(&cfg(), &ctx(&inst, 0)).expect("step");
    let key = set.live_orders()[1];
    set.on_fill(&cfg(), &inst, p("0.10"), key, &fill(t(5), "0.10015", "20"))
        .expect("fill");
    let json = serde_json::to_string(&set).expect("serialize");
    let back: RangerSet = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, set);
    assert_eq!(
        back.get(1).and_then(|r| r.position()).map(|p| p.qty),
        Some(q("20"))
    );
}
