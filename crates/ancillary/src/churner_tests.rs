//! Churner scenarios (spec §2.18) on the origin's DOGE/USD instrument, market 0.10.
//!
//! Buy round trip by hand: entry 0.10 × 0.9985 = 0.09985; $2 → 2 / 0.09985 = 20.03 → 20 DOGE,
//! cost 1.997, fee 0.0049925. Profit target 2 × 0.25 + 0.10 = 0.60 %: 0.09985 × 1.006 =
//! 0.1004491 → 0.100450 (sell exits ceil), beyond market × 1.0015 = 0.10015. Exit 2.009, fee
//! 0.0050225. Gross (0.10045 − 0.09985) × 20 = 0.012; net 0.012 − 0.010015 = 0.001985.
//!
//! Sell round trip: entry 0.10015 × 20 (fee 0.0050075); target 0.10015 × 0.994 = 0.0995491 →
//! 0.099549 (buy exits floor), below market × 0.9985 = 0.09985. Exit 1.99098, fee 0.00497745.
//! Gross 0.000601 × 20 = 0.01202; net 0.01202 − 0.00998495 = 0.00203505.

use flywheel_core::{Instrument, Quote, Side};

use crate::test_support::*;
use crate::{
    pick_parent, AbandonReason, AgeBand, BlockReason, CancelReason, Churner, ChurnerConfig,
    ChurnerCtx, Churners, Funding, OrderKey, Outcome, ReservePool, StuckPosition,
};

const H: i64 = 3600;

fn cfg() -> ChurnerConfig {
    ChurnerConfig {
        enabled: true,
        ..ChurnerConfig::default()
    }
}

/// A parent whose entry filled `age_h` hours before t(0), exit at `exit`.
fn parent(local_id: u64, side: Side, exit: &str, age_h: f64) -> StuckPosition {
    StuckPosition {
        slot_id: 0,
        local_id,
        trade_side: side,
        exit_price: p(exit),
        entry_filled_at: t(-((age_h * H as f64) as i64)),
    }
}

/// A B parent 10 h old, exit 5 % above market: effective age 20 h (aging).
fn b_parent() -> Vec<StuckPosition> {
    vec![parent(7, Side::Buy, "0.105", 10.0)]
}

fn ctx<'a>(inst: &'a Instrument, positions: &'a [StuckPosition], secs: i64) -> ChurnerCtx<'a> {
    ChurnerCtx {
        now: t(secs),
        market: p("0.10"),
        headroom: 50,
        ranging: true,
        instrument: inst,
        positions,
        free_quote: usd("10"),
        free_base: q("1000"),
        account_free_quote: usd("100"),
    }
}

#[test]
fn pick_parent_table() {
    let stuck_only = ChurnerConfig {
        min_band: AgeBand::Stuck,
        ..cfg()
    };
    // (name, cfg, positions, expected index)
    let cases: Vec<(&str, ChurnerConfig, Vec<StuckPosition>, Option<usize>)> = vec![
        ("empty", cfg(), vec![], None),
        (
            "only fresh",
            cfg(),
            vec![parent(1, Side::Buy, "0.10", 5.0)],
            None,
        ),
        (
            "aging by age",
            cfg(),
            vec![parent(1, Side::Buy, "0.10", 7.0)],
            Some(0),
        ),
        (
            // 10 h at 0 % = 10 h; 5 h at 10 % = 5 × (1 + 10/5) = 15 h.
            "distance outweighs age",
            cfg(),
            vec![
                parent(1, Side::Buy, "0.10", 10.0),
                parent(2, Side::Sell, "0.09", 5.0),
            ],
            Some(1),
        ),
        (
            // 4 h at 10 % = 12 h: aging although younger than 6 h.
            "distance ages a young exit",
            cfg(),
            vec![parent(1, Side::Buy, "0.11", 4.0)],
            Some(0),
        ),
        (
            // 12 h at 0 % and 8 h at 2.5 % (8 × 1.5 = 12 h): the earlier fill wins.
            "tie goes to the earlier fill",
            cfg(),
            vec![
                parent(1, Side::Buy, "0.1025", 8.0),
                parent(2, Side::Buy, "0.10", 12.0),
            ],
            Some(1),
        ),
        (
            "full tie goes to the lower order id",
            cfg(),
            vec![
                parent(9, Side::Buy, "0.11", 8.0),
                parent(4, Side::Buy, "0.11", 8.0),
            ],
            Some(1),
        ),
        (
            "min band stuck skips aging",
            stuck_only.clone(),
            vec![parent(1, Side::Buy, "0.10", 10.0)],
            None,
        ),
        (
            "min band stuck takes stuck",
            stuck_only,
            vec![
                parent(1, Side::Buy, "0.10", 10.0),
                parent(2, Side::Buy, "0.10", 80.0),
            ],
            Some(1),
        ),
    ];
    for (name, c, positions, want) in cases {
        assert_eq!(
            pick_parent(&positions, p("0.10"), t(0), &c),
            want,
            "case {name}"
        );
    }
    let a = crate::assess(
        &parent(1, Side::Buy, "0.09", 5.0),
        p("0.10"),
        t(0),
        cfg().age_distance_weight,
    );
    assert_eq!(
        (a.age_secs, a.effective_age_secs, a.band),
        (5 * H, 15 * H, AgeBand::Aging)
    );
}

#[test]
fn entry_side_and_funding_table() {
    type Mutate = fn(&mut ChurnerCtx<'_>, &mut Churner, &mut ReservePool, &mut ChurnerConfig);
    let a_parent = vec![parent(3, Side::Sell, "0.095", 10.0)];
    // (name, A parent?, mutate, expected (side, qty, funding) or block)
    type Case = (
        &'static str,
        bool,
        Mutate,
        Result<(Side, &'static str, Funding), BlockReason>,
    );
    let cases: Vec<Case> = vec![
        (
            "B parent buys",
            false,
            |_, _, _, _| {},
            Ok((Side::Buy, "20", Funding::Own)),
        ),
        (
            "A parent sells",
            true,
            |_, _, _, _| {},
            Ok((Side::Sell, "20", Funding::Own)),
        ),
        (
            "B parent short of quote sells",
            false,
            |x, _, _, _| x.free_quote = usd("1.99"),
            Ok((Side::Sell, "20", Funding::Own)),
        ),
        (
            "A parent short of base buys",
            true,
            |x, _, _, _| x.free_base = q("19"),
            Ok((Side::Buy, "20", Funding::Own)),
        ),
        (
            // 2.5 / 0.09985 = 25.04 → 25.
            "compound grows the order",
            false,
            |_, c, _, _| c.compound_usd = usd("0.5"),
            Ok((Side::Buy, "25", Funding::Own)),
        ),
        (
            "no own funds: reserve buy of one base size",
            true,
            |x, c, _, _| {
                x.free_quote = Quote::ZERO;
                x.free_base = q("0");
                c.compound_usd = usd("0.5");
            },
            Ok((Side::Buy, "20", Funding::Reserve { loan: usd("1.997") })),
        ),
        (
            "reserve loan needs real free quote",
            false,
            |x, _, _, _| {
                x.free_quote = Quote::ZERO;
                x.free_base = q("0");
                x.account_free_quote = usd("1.99");
            },
            Err(BlockReason::NoFunds),
        ),
        (
            // 5 − 2 × 1.997 = 1.006 < 1.997.
            "reserve pool exhausted",
            false,
            |x, _, pool, _| {
                x.free_quote = Quote::ZERO;
                x.free_base = q("0");
                pool.loans.insert(1, usd("1.997"));
                pool.loans.insert(2, usd("1.997"));
            },
            Err(BlockReason::NoFunds),
        ),
        (
            "one reserve order per slot",
            false,
            |x, _, pool, _| {
                x.free_quote = Quote::ZERO;
                x.free_base = q("0");
                pool.loans.insert(0, usd("0.01"));
            },
            Err(BlockReason::NoFunds),
        ),
        (
            "below minimum",
            false,
            |_, _, _, c| c.order_size_usd = usd("1"),
            Err(BlockReason::BelowMinimum),
        ),
        (
            "not ranging",
            false,
            |x, _, _, _| x.ranging = false,
            Err(BlockReason::NotRanging),
        ),
        (
            "headroom",
            false,
            |x, _, _, _| x.headroom = 9,
            Err(BlockReason::Headroom),
        ),
        (
            "disabled",
            false,
            |_, _, _, c| c.enabled = false,
            Err(BlockReason::Disabled),
        ),
    ];
    let inst = doge();
    let b = b_parent();
    for (name, is_a, mutate, want) in cases {
        let positions = if is_a { &a_parent } else { &b };
        let mut x = ctx(&inst, positions, 0);
        let mut ch = Churner::new(0);
        let mut pool = ReservePool::new(usd("5"));
        let mut c = cfg();
        mutate(&mut x, &mut ch, &mut pool, &mut c);
        let lent_before = pool.lent();
        let out = ch.step(&c, &x, &mut pool).expect("step");
        match want {
            Ok((side, qty, funding)) => {
                let (_, s, price, got_qty) = placed(&out);
                let want_price = if side == Side::Buy {
                    "0.09985"
                } else {
                    "0.10015"
                };
                assert_eq!(
                    (s, price, got_qty),
                    (side, p(want_price), q(qty)),
                    "case {name}"
                );
                assert_eq!(ch.funding, funding, "case {name}");
                assert_eq!(ch.parent, Some(positions[0].local_id), "case {name}");
                if let Funding::Reserve { loan } = funding {
                    assert_eq!(pool.loan(0), Some(loan), "case {name}");
                    assert_eq!(pool.available(), usd("3.003"), "case {name}");
                }
            }
            Err(reason) => {
                assert!(out.commands.is_empty(), "case {name}");
                assert_eq!(out.blocked[0].reason, reason, "case {name}");
                assert_eq!(pool.lent(), lent_before, "case {name}");
            }
        }
    }
}

/// Run one churner round trip to its exit fill; returns the reaction of the exit fill.
fn round_trip(
    ch: &mut Churner,
    pool: &mut ReservePool,
    positions: &[StuckPosition],
    entry: (&str, &str),
    exit: (&str, &str),
) -> crate::Reaction {
    let inst = doge();
    let out = ch
        .step(&cfg(), &ctx(&inst, positions, 0), pool)
        .expect("step");
    let (key, _, price, _) = placed(&out);
    assert_eq!(price, p(entry.0));
    let out = ch
        .on_fill(
            &cfg(),
            &inst,
            p("0.10"),
            pool,
            key,
            &fill(t(10), entry.0, entry.1),
        )
        .expect("entry fill");
    let (exit_key, _, exit_price, _) = placed(&out);
    assert_eq!(exit_price, p(exit.0));
    ch.on_fill(
        &cfg(),
        &inst,
        p("0.10"),
        pool,
        exit_key,
        &fill(t(100), exit.0, exit.1),
    )
    .expect("exit fill")
}

#[test]
fn round_trips_book_exact_profit_into_compound() {
    // (name, parent side, entry fill, exit fill, net)
    let cases = [
        (
            "B parent: buy then sell",
            Side::Buy,
            ("0.09985", "20"),
            ("0.10045", "20"),
            "0.001985",
        ),
        (
            "A parent: sell then buy",
            Side::Sell,
            ("0.10015", "20"),
            ("0.099549", "20"),
            "0.00203505",
        ),
    ];
    for (name, side, entry, exit, net) in cases {
        let positions = vec![parent(1, side, "0.10", 10.0)];
        let mut ch = Churner::new(0);
        let mut pool = ReservePool::new(usd("5"));
        let out = round_trip(&mut ch, &mut pool, &positions, entry, exit);
        let Outcome::Closed(c) = only_outcome(&out) else {
            panic!("case {name}: {out:?}");
        };
        assert_eq!(c.net, usd(net), "case {name}");
        assert_eq!(ch.compound_usd, usd(net), "case {name}");
        assert!(ch.is_idle(), "case {name}: no cooldown for churners");
        assert_eq!(
            ch.parent,
            Some(1),
            "case {name}: the last parent stays readable"
        );
        let mut totals = crate::AncillaryTotals::default();
        totals.apply_all(&out.outcomes);
        assert_eq!(totals.churner_profit_usd, usd(net), "case {name}");
        assert_eq!(totals.total_lifetime_usd, usd(net), "case {name}");
    }
}

fn starved<'a>(inst: &'a Instrument, positions: &'a [StuckPosition], secs: i64) -> ChurnerCtx<'a> {
    ChurnerCtx {
        free_quote: Quote::ZERO,
        free_base: q("0"),
        ..ctx(inst, positions, secs)
    }
}

#[test]
fn reserve_loan_repaid_on_close_written_off_on_abandon() {
    let inst = doge();
    let b = b_parent();
    // Closed: the loan is repaid, the profit compounds.
    let mut ch = Churner::new(0);
    let mut pool = ReservePool::new(usd("5"));
    let out = ch
        .step(&cfg(), &starved(&inst, &b, 0), &mut pool)
        .expect("step");
    let (key, ..) = placed(&out);
    assert_eq!(pool.available(), usd("3.003"));
    let out = ch
        .on_fill(
            &cfg(),
            &inst,
            p("0.10"),
            &mut pool,
            key,
            &fill(t(10), "0.09985", "20"),
        )
        .expect("fill");
    let (exit, ..) = placed(&out);
    ch.on_fill(
        &cfg(),
        &inst,
        p("0.10"),
        &mut pool,
        exit,
        &fill(t(50), "0.10045", "20"),
    )
    .expect("exit");
    assert_eq!((pool.lent(), pool.available()), (Quote::ZERO, usd("5")));
    assert_eq!(
        (ch.funding, ch.compound_usd),
        (Funding::Own, usd("0.001985"))
    );

    // Abandoned: the loan's quote sits in the unsold DOGE and is written off the pool.
    let mut ch = Churner::new(0);
    let mut pool = ReservePool::new(usd("5"));
    let out = ch
        .step(&cfg(), &starved(&inst, &b, 0), &mut pool)
        .expect("step");
    let (key, ..) = placed(&out);
    let out = ch
        .on_fill(
            &cfg(),
            &inst,
            p("0.10"),
            &mut pool,
            key,
            &fill(t(10), "0.09985", "20"),
        )
        .expect("fill");
    let (exit, ..) = placed(&out);
    assert!(ch
        .step(&cfg(), &starved(&inst, &b, 609), &mut pool)
        .expect("step")
        .commands
        .is_empty());
    let out = ch
        .step(&cfg(), &starved(&inst, &b, 610), &mut pool)
        .expect("step");
    assert_eq!(cancelled(&out), (exit, CancelReason::ExitTimeout));
    let out = ch
        .on_cancelled(&cfg(), &inst, &mut pool, exit, t(611))
        .expect("ack");
    let Outcome::Abandoned(a) = only_outcome(&out) else {
        panic!("{out:?}");
    };
    assert_eq!(
        (a.entry_side, a.qty, a.reason),
        (Side::Buy, q("20"), AbandonReason::ExitTimeout)
    );
    assert_eq!((pool.lent(), pool.written_off), (Quote::ZERO, usd("1.997")));
    assert_eq!(pool.available(), usd("3.003"));

    // A later own-funded profit restores the pool before compounding.
    let out = round_trip(&mut ch, &mut pool, &b, ("0.09985", "20"), ("0.10045", "20"));
    assert_eq!(out.outcomes.len(), 1);
    assert_eq!(pool.written_off, usd("1.995015"));
    assert_eq!(ch.compound_usd, Quote::ZERO);
}

#[test]
fn timeouts_and_gates() {
    let inst = doge();
    let b = b_parent();
    let mut ch = Churner::new(0);
    let mut pool = ReservePool::new(usd("5"));
    let out = ch
        .step(&cfg(), &ctx(&inst, &b, 0), &mut pool)
        .expect("step");
    let (key, ..) = placed(&out);
    assert!(ch
        .step(&cfg(), &ctx(&inst, &b, 299), &mut pool)
        .expect("step")
        .is_empty());
    let out = ch
        .step(&cfg(), &ctx(&inst, &b, 300), &mut pool)
        .expect("step");
    assert_eq!(cancelled(&out), (key, CancelReason::EntryTimeout));
    ch.on_cancelled(&cfg(), &inst, &mut pool, key, t(301))
        .expect("ack");
    let out = ch
        .step(&cfg(), &ctx(&inst, &b, 330), &mut pool)
        .expect("step");
    let (key, ..) = placed(&out);
    assert_eq!(key.cycle, 2);

    // The parent's exit fills: no candidate, the open entry is cancelled.
    let none: Vec<StuckPosition> = vec![];
    let out = ch
        .step(&cfg(), &ctx(&inst, &none, 340), &mut pool)
        .expect("step");
    assert_eq!(cancelled(&out), (key, CancelReason::GateClosed));
    ch.on_cancelled(&cfg(), &inst, &mut pool, key, t(341))
        .expect("ack");
    let out = ch
        .step(&cfg(), &ctx(&inst, &none, 350), &mut pool)
        .expect("step");
    assert_eq!(out.blocked[0].reason, BlockReason::NoCandidate);
    assert!(ch.is_idle());
}

#[test]
fn churners_share_the_pool_and_retire() {
    let inst = doge();
    let b = b_parent();
    let mut all = Churners::new(&cfg());
    for slot in [0, 1, 2] {
        assert!(all.spawn(slot));
    }
    assert!(!all.spawn(1), "one churner per slot");
    let mut keys: Vec<OrderKey> = vec![];
    let mut blocked = vec![];
    for slot in [0, 1, 2] {
        let out = all
            .step_slot(&cfg(), slot, &starved(&inst, &b, 0))
            .expect("step");
        keys.extend(out.commands.iter().map(|c| c.key()));
        blocked.extend(out.blocked.iter().map(|b| (b.owner, b.reason)));
    }
    // $5 pool: two loans of 1.997, the third slot waits.
    assert_eq!(keys.len(), 2);
    assert_eq!(
        blocked,
        vec![(crate::Owner::Churner(2), BlockReason::NoFunds)]
    );
    assert_eq!(all.pool.available(), usd("1.006"));
    assert_eq!(all.live_orders(), keys);

    // Kill slot 0: its entry is cancelled, the loan returns, the churner is removed.
    assert!(all.kill(0));
    let out = all
        .step_slot(&cfg(), 0, &starved(&inst, &b, 10))
        .expect("step");
    assert_eq!(cancelled(&out), (keys[0], CancelReason::GateClosed));
    assert!(all.remove_finished().is_empty(), "still holds an order");
    all.on_cancelled(&cfg(), &inst, keys[0], t(11))
        .expect("ack");
    assert_eq!(all.pool.available(), usd("3.003"));
    assert_eq!(all.remove_finished(), vec![0]);
    // Slot 2 can now borrow.
    let out = all
        .step_slot(&cfg(), 2, &starved(&inst, &b, 20))
        .expect("step");
    assert_eq!(placed(&out).1, Side::Buy);
    // Routing refuses unknown owners.
    assert!(all
        .on_rejected(
            &cfg(),
            &inst,
            OrderKey {
                owner: crate::Owner::Ranger(0),
                ..keys[1]
            },
            t(21)
        )
        .is_err());
}

#[test]
fn state_survives_a_snapshot() {
    let inst = doge();
    let b = b_parent();
    let mut all = Churners::new(&cfg());
    all.spawn(4);
    let out = all
        .step_slot(&cfg(), 4, &starved(&inst, &b, 0))
        .expect("step");
    let key = out.commands[0].key();
    all.on_fill(&cfg(), &inst, p("0.10"), key, &fill(t(10), "0.09985", "20"))
        .expect("fill");
    assert!(all.by_slot[&4].position().is_some());
    let json = serde_json::to_string(&all).expect("serialize");
    let back: Churners = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, all);
    assert_eq!(back.by_slot[&4].parent, Some(7));
    assert_eq!(back.pool.loan(4), Some(usd("1.997")));
}
