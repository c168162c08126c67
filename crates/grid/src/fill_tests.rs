//! Rule tests for `Fill`, `RecoveryFill`, `RecoveryCancel` and bootstrap (spec §1.6–1.7),
//! including the fixed defects: per-UTC-day realized loss, bounded cycle history, and
//! rejected fills that leave the state unchanged.

use flywheel_core::{Side, TradeId};

use crate::booking::apply_loss_counters;
use crate::test_support::*;
use crate::{
    bootstrap_orders, Action, BookCycle, EngineConfig, EntryError, Event, Fill, ModeSource,
    OrderSizes, PairState, Phase, PlaceReason, RecoveryFill, ReleaseReason, Role, SlotContext,
    TransitionError,
};

#[test]
fn entry_fills_open_the_exit_in_each_phase() {
    let cfg = EngineConfig::default();
    let c = ctx(&cfg, true);
    // (name, fill order id, phase before, phase after, exit side, exit price)
    let cases = [
        (
            "A entry: S0 → S1a",
            2,
            Phase::S0,
            Phase::S1a,
            Side::Buy,
            "0.099198",
        ),
        (
            "B entry: S0 → S1b",
            1,
            Phase::S0,
            Phase::S1b,
            Side::Sell,
            "0.100798",
        ),
    ];
    for (name, id, from, to, side, price) in cases {
        let mut s = s0(&cfg);
        assert_eq!(s.phase(), from);
        let entry = s.find_order(id).cloned().expect("entry");
        let ev = fill_at_limit(&s, id, t(1));
        let actions = step(&mut s, &ev, &c);
        assert_eq!(s.phase(), to, "case {name}");
        let placed = placed(&actions);
        assert_eq!(placed.len(), 1, "case {name}");
        let exit = placed[0];
        assert_eq!(
            (exit.side, exit.role, exit.price),
            (side, Role::Exit, p(price)),
            "case {name}"
        );
        assert_eq!((exit.volume, exit.cycle), (q("20"), 1), "case {name}");
        assert_eq!(exit.reason, PlaceReason::EntryFillExit, "case {name}");
        let rec = s.find_order(exit.local_id).expect("exit in state");
        assert_eq!(rec.entry_price, entry.price, "case {name}");
        assert_eq!(rec.entry_fee, fee(entry.price, entry.volume), "case {name}");
        assert_eq!(rec.entry_filled_at, Some(t(1)), "case {name}");
        assert_eq!(s.total_fees, fee(entry.price, entry.volume), "case {name}");
    }
}

#[test]
fn second_entry_fill_reaches_s2() {
    let cfg = EngineConfig::default();
    let c = ctx(&cfg, true);
    let mut s = s0(&cfg);
    let ev = fill_at_limit(&s, 2, t(1));
    step(&mut s, &ev, &c);
    let ev = fill_at_limit(&s, 1, t(2));
    step(&mut s, &ev, &c);
    assert_eq!(s.phase(), Phase::S2);
    assert_eq!(s.orders.iter().filter(|o| o.role == Role::Exit).count(), 2);
}

#[test]
fn partial_entry_fill_sizes_the_exit_to_what_filled() {
    let cfg = EngineConfig::default();
    let mut s = s0(&cfg);
    let ev = Event::Fill(Fill {
        order_local_id: 1,
        txid: None,
        side: Side::Buy,
        price: p("0.0998"),
        volume: q("15"),
        fee: fee(p("0.0998"), q("15")),
        timestamp: t(1),
    });
    let actions = step(&mut s, &ev, &ctx(&cfg, true));
    assert_eq!(placed(&actions)[0].volume, q("15"));
}

#[test]
fn exit_fill_books_the_spec_worked_examples() {
    let cfg = EngineConfig {
        reentry_base_cooldown_sec: 0,
        ..EngineConfig::default()
    };
    let c = ctx(&cfg, true);
    // (name, entry id, gross, entry fee, exit fee, net, settled)
    let cases = [
        (
            "B round trip",
            1,
            TradeId::B,
            "0.01996",
            "0.00499",
            "0.0050399",
            "0.0099301",
            "0.0149201",
        ),
        (
            "A round trip",
            2,
            TradeId::A,
            "0.02004",
            "0.00501",
            "0.0049599",
            "0.0100701",
            "0.01503",
        ),
    ];
    for (name, entry_id, trade, gross, entry_fee, exit_fee, net, settled) in cases {
        let mut s = s0(&cfg);
        let ev = fill_at_limit(&s, entry_id, t(1));
        step(&mut s, &ev, &c);
        let exit_id = id_of(&s, Role::Exit, trade);
        let ev = fill_at_limit(&s, exit_id, t(50));
        let actions = step(&mut s, &ev, &c);
        let fees = usd(entry_fee) + usd(exit_fee);
        assert_eq!(
            actions[0],
            Action::BookCycle(BookCycle {
                trade_id: trade,
                cycle: 1,
                net_profit: usd(net),
                gross_profit: usd(gross),
                fees,
                settled_usd: usd(settled),
                from_recovery: false,
            }),
            "case {name}"
        );
        let rec = s.completed_cycles.back().expect("cycle recorded");
        assert_eq!(
            (rec.entry_time, rec.exit_time),
            (Some(t(1)), t(50)),
            "case {name}"
        );
        assert_eq!(s.total_profit, usd(net), "case {name}");
        assert_eq!(s.total_settled_usd, usd(settled), "case {name}");
        assert_eq!(s.total_fees, fees, "case {name}: each fee counted once");
        assert_eq!(s.total_round_trips, 1, "case {name}");
        assert_eq!(s.trade(trade).cycle, 2, "case {name}");
        // The follow-up entry re-opens the trade at cycle 2 (no cooldown configured).
        let placed = placed(&actions);
        assert_eq!(
            (placed[0].trade_id, placed[0].cycle),
            (trade, 2),
            "case {name}"
        );
        assert_eq!(placed[0].reason, PlaceReason::CycleComplete, "case {name}");
    }
}

/// Fill the B entry, reprice its exit to `exit_price` (as a soft close would) and fill it.
fn close_b_at(s: &mut PairState, c: &SlotContext<'_>, exit_price: &str, at: i64) -> Vec<Action> {
    let entry = id_of(s, Role::Entry, TradeId::B);
    let ev = fill_at_limit(s, entry, t(at));
    step(s, &ev, c);
    let exit = id_of(s, Role::Exit, TradeId::B);
    s.orders.iter_mut().for_each(|o| {
        if o.local_id == exit {
            o.price = p(exit_price);
        }
    });
    let ev = fill_at_limit(s, exit, t(at + 1));
    step(s, &ev, c)
}

#[test]
fn losing_cycles_widen_the_next_entry() {
    let cfg = EngineConfig {
        reentry_base_cooldown_sec: 0,
        ..EngineConfig::default()
    };
    let c = ctx(&cfg, true);
    let mut s = s0(&cfg);
    // (name, streak after, B entry price after: 0.2 % × backoff multiplier below 0.10)
    let cases = [
        ("1st loss", 1, "0.0998"),
        ("2nd loss", 2, "0.0998"),
        ("3rd loss: ×1.5", 3, "0.0997"),
        ("4th loss: ×2", 4, "0.0996"),
    ];
    for (i, (name, streak, entry)) in cases.into_iter().enumerate() {
        close_b_at(&mut s, &c, "0.099", 10 * i as i64 + 10);
        assert_eq!(s.b.consecutive_losses, streak, "case {name}");
        let e = s.entry_of(TradeId::B).expect("B re-entered");
        assert_eq!(e.price, p(entry), "case {name}");
    }
}

#[test]
fn loss_counter_rules_table() {
    let cfg = EngineConfig::default();
    // (name, streak before, net, streak after, cooldown until (secs from t(0)))
    let cases = [
        ("win resets", 4, "0.01", 0, 60),
        ("zero profit resets", 2, "0", 0, 60),
        ("loss counts", 1, "-0.01", 2, 60),
        ("5th loss: loss cooldown", 4, "-0.01", 5, 900),
    ];
    for (name, before, net, after, until) in cases {
        let mut s = PairState::new(p("0.1"), t(0));
        s.a.consecutive_losses = before;
        apply_loss_counters(&mut s, &cfg, TradeId::A, usd(net));
        assert_eq!(s.a.consecutive_losses, after, "case {name}");
        assert_eq!(s.a.cooldown_until, t(until), "case {name}");
    }
}

#[test]
fn realized_loss_is_per_utc_day() {
    let cfg = EngineConfig {
        reentry_base_cooldown_sec: 0,
        ..EngineConfig::default()
    };
    let c = ctx(&cfg, true);
    let mut s = s0(&cfg);
    close_b_at(&mut s, &c, "0.099", 10);
    let day_one_loss = s.today_realized_loss;
    assert!(day_one_loss.is_positive());
    assert_eq!(s.realized_loss_on_day_of(t(20)), day_one_loss);
    // A loss on the next UTC day starts from zero.
    let next_day = 86_400 - 1_700_000_000 % 86_400 + 100;
    step(
        &mut s,
        &Event::TimerTick {
            timestamp: t(next_day),
        },
        &c,
    );
    assert_eq!(s.today_realized_loss, usd("0"));
    close_b_at(&mut s, &c, "0.099", next_day + 10);
    assert_eq!(s.today_realized_loss, day_one_loss);
    assert!(
        s.total_profit < -day_one_loss,
        "lifetime profit keeps both losses"
    );
}

#[test]
fn cycle_history_in_state_is_bounded() {
    let cfg = EngineConfig {
        reentry_base_cooldown_sec: 0,
        max_completed_cycles: 2,
        ..EngineConfig::default()
    };
    let c = ctx(&cfg, true);
    let mut s = s0(&cfg);
    for i in 0..3 {
        close_b_at(&mut s, &c, "0.1008", 10 * i + 10);
    }
    assert_eq!(s.total_round_trips, 3);
    let kept: Vec<u32> = s.completed_cycles.iter().map(|r| r.cycle).collect();
    assert_eq!(kept, vec![2, 3]);
}

#[test]
fn one_sided_mode_skips_the_excluded_follow_up() {
    let cfg = EngineConfig {
        reentry_base_cooldown_sec: 0,
        ..EngineConfig::default()
    };
    let c = ctx(&cfg, true);
    let mut s = s0(&cfg);
    let ev = fill_at_limit(&s, 2, t(1));
    step(&mut s, &ev, &c);
    s.long_only = true;
    let exit = id_of(&s, Role::Exit, TradeId::A);
    let ev = fill_at_limit(&s, exit, t(2));
    let actions = step(&mut s, &ev, &c);
    assert!(placed(&actions).is_empty());
    assert_eq!(s.a.pending_entry, None);
    assert_eq!(s.phase(), Phase::S0);
}

#[test]
fn runtime_profit_target_drives_new_exits() {
    let cfg = EngineConfig::default();
    let c = ctx(&cfg, true);
    // (name, profit_pct_runtime, B sell exit after a 0.0998 fill)
    let cases = [
        ("runtime 2 %", "2", "0.101796"),
        ("zero ⇒ config 1 %", "0", "0.100798"),
    ];
    for (name, pct, want) in cases {
        let mut s = s0(&cfg);
        s.profit_pct_runtime = r(pct);
        let ev = fill_at_limit(&s, 1, t(1));
        let actions = step(&mut s, &ev, &c);
        assert_eq!(placed(&actions)[0].price, p(want), "case {name}");
    }
}

#[test]
fn bad_fills_are_rejected_with_state_unchanged() {
    let cfg = EngineConfig::default();
    let c = ctx(&cfg, true);
    let mut base = s0(&cfg);
    assert!(base.bind_txid(1, "TX-B"));
    let ev = fill_at_limit(&base, 2, t(1)); // A fills: #2 inactive, exit #3 active
    step(&mut base, &ev, &c);
    let good = |id: u64| match fill_at_limit(&base, id, t(5)) {
        Event::Fill(f) => f,
        _ => unreachable!(),
    };
    let exit = good(3);
    type Expect = fn(&TransitionError) -> bool;
    let cases: Vec<(&str, Fill, Expect)> = vec![
        (
            "never issued",
            Fill {
                order_local_id: 99,
                ..good(1)
            },
            |e| matches!(e, TransitionError::UnknownOrder { local_id: 99 }),
        ),
        (
            "already filled",
            Fill {
                order_local_id: 2,
                side: Side::Sell,
                ..good(1)
            },
            |e| matches!(e, TransitionError::InactiveOrder { local_id: 2 }),
        ),
        (
            "wrong side",
            Fill {
                side: Side::Sell,
                ..good(1)
            },
            |e| matches!(e, TransitionError::SideMismatch { .. }),
        ),
        (
            "other txid",
            Fill {
                txid: Some("TX-X".into()),
                ..good(1)
            },
            |e| matches!(e, TransitionError::TxidMismatch { .. }),
        ),
        (
            "over-fill",
            Fill {
                volume: q("21"),
                ..good(1)
            },
            |e| matches!(e, TransitionError::Overfill { .. }),
        ),
        (
            "through the limit",
            Fill {
                price: p("0.0999"),
                ..good(1)
            },
            |e| matches!(e, TransitionError::ThroughLimit { .. }),
        ),
        (
            "partial exit",
            Fill {
                volume: q("10"),
                ..exit.clone()
            },
            |e| matches!(e, TransitionError::PartialExitFill { .. }),
        ),
        (
            "zero price",
            Fill {
                price: p("0"),
                ..good(1)
            },
            |e| matches!(e, TransitionError::InvalidEvent(_)),
        ),
    ];
    for (name, fill, is_expected) in cases {
        let mut s = base.clone();
        let err = s.apply(&Event::Fill(fill), &c).expect_err(name);
        assert!(is_expected(&err), "case {name}: got {err:?}");
        assert_eq!(s, base, "case {name}: state must be unchanged");
    }
    // The same fill twice: the second is a duplicate.
    let mut s = base.clone();
    let ev = Event::Fill(exit);
    s.apply(&ev, &c).expect("first fill");
    let after_first = s.clone();
    assert!(matches!(
        s.apply(&ev, &c),
        Err(TransitionError::InactiveOrder { local_id: 3 })
    ));
    assert_eq!(s, after_first);
}

/// S0 after A's exit was orphaned into recovery 1 (buy 0.099198 × 20, entry 0.1002).
fn with_recovery(cfg: &EngineConfig) -> PairState {
    let mut s = s0(cfg);
    let ev = fill_at_limit(&s, 2, t(1));
    step(&mut s, &ev, &ctx(cfg, true));
    step(
        &mut s,
        &Event::TimerTick { timestamp: t(1351) },
        &ctx(cfg, false),
    );
    assert_eq!(s.recovery_orders.len(), 1);
    s
}

#[test]
fn recovery_fill_books_from_recovery_without_reentry() {
    let cfg = EngineConfig::default();
    let c = ctx(&cfg, true);
    let mut s = with_recovery(&cfg);
    let cycle_a = s.a.cycle;
    let ev = Event::RecoveryFill(RecoveryFill {
        recovery_id: 1,
        txid: None,
        side: Side::Buy,
        price: p("0.099198"),
        volume: q("20"),
        fee: usd("0.0049599"),
        timestamp: t(2000),
    });
    let actions = step(&mut s, &ev, &c);
    assert_eq!(actions.len(), 1);
    match &actions[0] {
        Action::BookCycle(b) => {
            assert!(b.from_recovery);
            assert_eq!(
                (b.trade_id, b.cycle, b.net_profit),
                (TradeId::A, 1, usd("0.0100701"))
            );
        }
        other => panic!("expected a booking, got {other:?}"),
    }
    assert!(s.recovery_orders.is_empty());
    assert_eq!(s.a.cycle, cycle_a);
    assert_eq!(
        s.completed_cycles.back().map(|r| r.entry_time),
        Some(Some(t(1)))
    );
    // Unknown recovery: rejected, unchanged.
    let before = s.clone();
    assert!(matches!(
        s.apply(&ev, &c),
        Err(TransitionError::UnknownRecovery { recovery_id: 1 })
    ));
    assert_eq!(s, before);
}

#[test]
fn recovery_cancel_releases_the_position() {
    let cfg = EngineConfig::default();
    let mut s = with_recovery(&cfg);
    let ev = Event::RecoveryCancel {
        recovery_id: 1,
        txid: None,
        timestamp: t(2000),
    };
    let actions = step(&mut s, &ev, &ctx(&cfg, true));
    assert!(matches!(
        &actions[..],
        [Action::ReleaseRecovery {
            reason: ReleaseReason::RecoveryCancelled,
            ..
        }]
    ));
    assert!(s.recovery_orders.is_empty());
    assert_eq!(s.total_round_trips, 0);
}

#[test]
fn bootstrap_sides_table() {
    let cfg = EngineConfig::default();
    // (name, A usd, B usd, long_only, short_only, mode source, placed sides in order)
    let cases = [
        (
            "both",
            "2",
            "2",
            false,
            false,
            ModeSource::None,
            vec![Side::Buy, Side::Sell],
        ),
        (
            "only B sizable",
            "1",
            "2",
            true,
            false,
            ModeSource::Balance,
            vec![Side::Buy],
        ),
        (
            "only A sizable",
            "2",
            "1",
            false,
            true,
            ModeSource::Balance,
            vec![Side::Sell],
        ),
    ];
    for (name, a, b, long_only, short_only, source, sides) in cases {
        let mut s = PairState::new(p("0.1"), t(0));
        let c = SlotContext {
            sizes: OrderSizes {
                a: usd(a),
                b: usd(b),
            },
            ..ctx(&cfg, true)
        };
        let actions = bootstrap_orders(&mut s, &c).expect(name);
        let got: Vec<Side> = placed(&actions).iter().map(|p| p.side).collect();
        assert_eq!(got, sides, "case {name}");
        assert_eq!(
            (s.long_only, s.short_only, s.mode_source),
            (long_only, short_only, source)
        );
        assert!(crate::check_invariants(&s).is_empty(), "case {name}");
    }
    let mut s = PairState::new(p("0.1"), t(0));
    let none = SlotContext {
        sizes: OrderSizes::both(usd("1")),
        ..ctx(&cfg, true)
    };
    let before = s.clone();
    assert!(matches!(
        bootstrap_orders(&mut s, &none),
        Err(EntryError::NothingSizable { .. })
    ));
    assert_eq!(s, before);
    let mut s = s0(&cfg);
    assert_eq!(
        bootstrap_orders(&mut s, &ctx(&cfg, true)),
        Err(EntryError::NotEmpty)
    );
}

#[test]
fn pair_state_round_trips_through_json() {
    let cfg = EngineConfig {
        reentry_base_cooldown_sec: 0,
        ..EngineConfig::default()
    };
    let c = ctx(&cfg, true);
    let mut s = with_recovery(&cfg);
    close_b_at(&mut s, &c, "0.099", 1500); // a losing cycle: history, loss day, streak
    assert!(s.bind_txid(id_of(&s, Role::Entry, TradeId::B), "TX-1"));
    s.b.last_refresh_direction = Some(crate::Direction::Up);
    s.b.refresh_cooldown_until = Some(t(99));
    s.s2_entered_at = None;
    let json = serde_json::to_string(&s).expect("serialize");
    let back: PairState = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, s);
    // Money is written as exact decimal strings.
    assert!(json.contains("\"market_price\":\"0.1\""), "{json}");
}
