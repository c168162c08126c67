//! Rule tests for `PriceTick` and `TimerTick` in each phase (spec §1.6), including the fixed
//! re-entry cooldown (spec §9 #2).

use flywheel_core::{Quote, Side, TradeId};

use crate::test_support::*;
use crate::{
    Action, CancelReason, EngineConfig, Event, OrderRef, OrderSizes, OrphanReason, Phase,
    PlaceReason, ReleaseReason, Role, SlotContext,
};

fn tick(price: &str, secs: i64) -> Event {
    Event::PriceTick {
        price: p(price),
        timestamp: t(secs),
    }
}
fn timer(secs: i64) -> Event {
    Event::TimerTick { timestamp: t(secs) }
}

/// S1a: A sold at 0.1002 (t1); buy exit #3 at 0.099198; B buy entry #1 at 0.0998.
fn s1a(cfg: &EngineConfig) -> crate::PairState {
    let mut s = s0(cfg);
    let ev = fill_at_limit(&s, 2, t(1));
    step(&mut s, &ev, &ctx(cfg, true));
    assert_eq!(s.phase(), Phase::S1a);
    s
}

/// S2: S1a plus B bought at 0.0998 (t2); sell exit #4 at 0.100798.
fn s2(cfg: &EngineConfig) -> crate::PairState {
    let mut s = s1a(cfg);
    let ev = fill_at_limit(&s, 1, t(2));
    step(&mut s, &ev, &ctx(cfg, true));
    assert_eq!(s.phase(), Phase::S2);
    s
}

#[test]
fn price_tick_inside_band_moves_only_mark_and_clock() {
    let cfg = EngineConfig::default();
    for (name, mut s) in [("S0", s0(&cfg)), ("S1a", s1a(&cfg)), ("S2", s2(&cfg))] {
        let before = s.clone();
        let actions = step(&mut s, &tick("0.1005", 5), &ctx(&cfg, true));
        assert!(actions.is_empty(), "case {name}");
        assert_eq!(s.market_price, p("0.1005"), "case {name}");
        assert_eq!(s.now, t(5), "case {name}");
        assert_eq!(s.last_price_update_at, Some(t(5)), "case {name}");
        assert_eq!(s.orders, before.orders, "case {name}");
    }
}

#[test]
fn price_tick_refreshes_one_stale_entry_same_cycle() {
    let cfg = EngineConfig::default();
    let mut s = s0(&cfg);
    // Both entries are now > 1 % away; only the first in order (B, #1) is refreshed.
    let actions = step(&mut s, &tick("0.0985", 10), &ctx(&cfg, true));
    assert_eq!(
        actions[0],
        Action::CancelOrder {
            target: OrderRef::Slot(1),
            txid: None,
            reason: CancelReason::StaleEntry
        }
    );
    let placed = placed(&actions);
    assert_eq!(placed.len(), 1);
    let new = placed[0];
    assert_eq!(
        (new.local_id, new.side, new.role),
        (3, Side::Buy, Role::Entry)
    );
    assert_eq!(new.price, p("0.098303")); // 0.0985 × 0.998
    assert_eq!(new.volume, q("20")); // round(2 / 0.098303 = 20.35)
    assert_eq!((new.cycle, new.reason), (1, PlaceReason::RefreshEntry));
    assert_eq!(s.b.consecutive_refreshes, 1);
    assert!(s.find_order(2).is_some(), "A entry untouched this tick");
}

#[test]
fn price_tick_anti_chase_blocks_third_refresh_then_resumes() {
    let cfg = EngineConfig::default();
    let mut s = s1a(&cfg); // only B has an entry, so every refresh is B's
    let c = ctx(&cfg, true);
    let cases = [
        ("1st down refresh", "0.0985", 10, true, 1),
        ("2nd down refresh", "0.0972", 20, true, 2),
        ("3rd is blocked", "0.0959", 30, false, 3),
        ("pause still running", "0.0959", 100, false, 3),
        ("pause over: counting restarts", "0.0959", 330, true, 1),
    ];
    for (name, price, secs, refreshed, count) in cases {
        let actions = step(&mut s, &tick(price, secs), &c);
        assert_eq!(!placed(&actions).is_empty(), refreshed, "case {name}");
        assert_eq!(s.b.consecutive_refreshes, count, "case {name}");
    }
    assert_eq!(s.b.refresh_cooldown_until, None);
}

#[test]
fn price_tick_direction_change_restarts_the_count() {
    let cfg = EngineConfig::default();
    let mut s = s1a(&cfg);
    let c = ctx(&cfg, true);
    step(&mut s, &tick("0.0985", 10), &c);
    assert_eq!(s.b.last_refresh_direction, Some(crate::Direction::Down));
    step(&mut s, &tick("0.1", 20), &c);
    assert_eq!(s.b.last_refresh_direction, Some(crate::Direction::Up));
    assert_eq!(s.b.consecutive_refreshes, 1);
}

#[test]
fn price_tick_never_refreshes_exits() {
    let cfg = EngineConfig::default();
    let mut s = s2(&cfg);
    let before = s.orders.clone();
    let actions = step(&mut s, &tick("0.08", 10), &ctx(&cfg, true));
    assert!(actions.is_empty());
    assert_eq!(s.orders, before);
}

#[test]
fn price_tick_trade_cooldown_does_not_block_refresh() {
    let cfg = EngineConfig::default();
    let mut s = s1a(&cfg);
    s.b.cooldown_until = t(10_000);
    let actions = step(&mut s, &tick("0.0985", 10), &ctx(&cfg, true));
    assert_eq!(placed(&actions).len(), 1);
}

#[test]
fn refresh_below_minimum_keeps_a_pending_entry_until_size_fits() {
    let cfg = EngineConfig::default();
    let mut s = s1a(&cfg);
    let small = SlotContext {
        sizes: OrderSizes::both(usd("1")),
        ..ctx(&cfg, true)
    };
    let actions = step(&mut s, &tick("0.0985", 10), &small);
    assert!(matches!(actions[0], Action::CancelOrder { .. }));
    assert!(placed(&actions).is_empty());
    assert_eq!(s.b.pending_entry, Some(PlaceReason::RefreshEntry));
    // Still too small on the next timer: keeps waiting.
    assert!(step(&mut s, &timer(40), &small).is_empty());
    // Enough quote: the timer places it.
    let actions = step(&mut s, &timer(70), &ctx(&cfg, true));
    let placed = placed(&actions);
    assert_eq!(
        (placed[0].side, placed[0].reason),
        (Side::Buy, PlaceReason::RefreshEntry)
    );
    assert_eq!(s.b.pending_entry, None);
}

#[test]
fn timer_sticky_slot_never_orphans() {
    let cfg = EngineConfig::default();
    for (name, mut s) in [("S1a", s1a(&cfg)), ("S2", s2(&cfg))] {
        let before = s.orders.clone();
        assert!(
            step(&mut s, &timer(1_000_000), &ctx(&cfg, true)).is_empty(),
            "case {name}"
        );
        assert_eq!(s.orders, before, "case {name}");
        assert_eq!(s.s2_entered_at, None, "case {name}");
    }
}

#[test]
fn timer_s1_orphans_after_timeout_then_reenters_after_cooldown() {
    let cfg = EngineConfig::default();
    let c = ctx(&cfg, false);
    let mut s = s1a(&cfg);
    // Entry filled at t(1): 1349 s later is not yet 1350.
    assert!(step(&mut s, &timer(1350), &c).is_empty());
    let actions = step(&mut s, &timer(1351), &c);
    assert_eq!(
        actions,
        vec![Action::OrphanOrder {
            local_id: 3,
            recovery_id: 1,
            reason: OrphanReason::S1Timeout
        }]
    );
    let rec = &s.recovery_orders[0];
    assert_eq!(
        (rec.side, rec.price, rec.entry_price),
        (Side::Buy, p("0.099198"), p("0.1002"))
    );
    assert_eq!(s.a.cycle, 2);
    assert_eq!(s.a.pending_entry, Some(PlaceReason::OrphanA));
    assert_eq!(s.phase(), Phase::S0);
    // The 60 s re-entry cooldown delays the follow-up; it does not block it.
    assert!(step(&mut s, &timer(1410), &c).is_empty());
    let actions = step(&mut s, &timer(1411), &c);
    let placed = placed(&actions);
    assert_eq!(placed.len(), 1);
    assert_eq!((placed[0].side, placed[0].cycle), (Side::Sell, 2));
    assert_eq!(
        (placed[0].price, placed[0].reason),
        (p("0.1002"), PlaceReason::OrphanA)
    );
}

#[test]
fn timer_s1_exit_not_moved_away_stays() {
    let cfg = EngineConfig::default();
    let c = ctx(&cfg, false);
    let mut s = s1a(&cfg);
    step(&mut s, &tick("0.0991", 5), &c); // below the 0.099198 buy exit
    assert!(step(&mut s, &timer(5000), &c).is_empty());
    assert!(s.recovery_orders.is_empty());
}

#[test]
fn timer_s2_clock_starts_at_first_timer_and_orphans_farther_exit() {
    let cfg = EngineConfig::default();
    let c = ctx(&cfg, false);
    let mut s = s2(&cfg);
    assert!(step(&mut s, &timer(10), &c).is_empty());
    assert_eq!(s.s2_entered_at, Some(t(10)));
    assert!(step(&mut s, &timer(1809), &c).is_empty());
    let actions = step(&mut s, &timer(1810), &c);
    // |0.099198 − 0.1| = 0.000802 > |0.100798 − 0.1| = 0.000798: the A buy exit goes.
    assert_eq!(
        actions,
        vec![Action::OrphanOrder {
            local_id: 3,
            recovery_id: 1,
            reason: OrphanReason::S2Timeout
        }]
    );
    assert_eq!(s.s2_entered_at, None);
    assert_eq!(s.phase(), Phase::S1b);
}

#[test]
fn timer_s2_tie_orphans_the_sell_exit() {
    let cfg = EngineConfig::default();
    let c = ctx(&cfg, false);
    let mut s = s2(&cfg);
    for o in s.orders.iter_mut() {
        o.price = if o.side == Side::Buy {
            p("0.0992")
        } else {
            p("0.1008")
        };
    }
    step(&mut s, &timer(10), &c);
    let actions = step(&mut s, &timer(1810), &c);
    assert!(matches!(
        actions[0],
        Action::OrphanOrder { local_id: 4, .. }
    ));
}

#[test]
fn exit_fill_reentry_is_delayed_by_base_cooldown_not_blocked() {
    // (name, base cooldown, placed at the fill?, first timer that places it)
    let cases = [
        ("cooldown 60 s", 60, false, Some(160)),
        ("no cooldown", 0, true, None),
    ];
    for (name, base, immediate, placed_at) in cases {
        let cfg = EngineConfig {
            reentry_base_cooldown_sec: base,
            ..EngineConfig::default()
        };
        let c = ctx(&cfg, true);
        let mut s = s0(&cfg);
        let ev = fill_at_limit(&s, 1, t(1));
        step(&mut s, &ev, &c);
        let ev = fill_at_limit(&s, 3, t(100));
        let actions = step(&mut s, &ev, &c);
        assert!(matches!(actions[0], Action::BookCycle(_)), "case {name}");
        assert_eq!(!placed(&actions).is_empty(), immediate, "case {name}");
        if let Some(at) = placed_at {
            assert_eq!(
                s.b.pending_entry,
                Some(PlaceReason::CycleComplete),
                "case {name}"
            );
            assert!(step(&mut s, &timer(at - 1), &c).is_empty(), "case {name}");
            let actions = step(&mut s, &timer(at), &c);
            let placed = placed(&actions);
            assert_eq!(placed.len(), 1, "case {name}");
            assert_eq!(
                (placed[0].side, placed[0].cycle),
                (Side::Buy, 2),
                "case {name}"
            );
            assert_eq!(placed[0].reason, PlaceReason::CycleComplete, "case {name}");
        }
        assert_eq!(s.b.cycle, 2, "case {name}");
    }
}

#[test]
fn recovery_cap_evicts_farthest_and_releases_without_booking() {
    let cfg = EngineConfig {
        max_recovery_slots: 1,
        reentry_base_cooldown_sec: 0,
        ..EngineConfig::default()
    };
    let c = ctx(&cfg, false);
    let mut s = s1a(&cfg);
    step(&mut s, &timer(1351), &c); // orphan #3 → recovery 1; A re-enters at once
    assert!(s.bind_recovery_txid(1, "TX-R1"));
    let a_entry = id_of(&s, Role::Entry, TradeId::A);
    let ev = fill_at_limit(&s, a_entry, t(1400));
    step(&mut s, &ev, &c);
    let profit_before = s.total_profit;
    let losses_before = s.a.consecutive_losses;
    let actions = step(&mut s, &timer(2751), &c);
    assert_eq!(
        actions[0],
        Action::CancelOrder {
            target: OrderRef::Recovery(1),
            txid: Some("TX-R1".into()),
            reason: CancelReason::RecoveryCapEvictPriority
        }
    );
    match &actions[1] {
        Action::ReleaseRecovery {
            recovery,
            reason,
            mark_price,
            pnl_at_mark,
        } => {
            assert_eq!(recovery.recovery_id, 1);
            assert_eq!(*reason, ReleaseReason::RecoveryCapEvict);
            assert_eq!(*mark_price, p("0.10"));
            let want = crate::orphan::pnl_at(recovery, *mark_price, cfg.maker_fee_pct).unwrap();
            assert_eq!(*pnl_at_mark, want);
            assert_eq!(s.released_loss, want.min(Quote::ZERO), "a loss is charged");
            assert!(
                want.is_negative(),
                "the evicted recovery is under water here"
            );
            assert_eq!(
                s.compounding_profit(),
                s.total_profit + want,
                "compounding builds on booked profit less the released loss"
            );
        }
        other => panic!("expected a release, got {other:?}"),
    }
    assert!(matches!(
        actions[2],
        Action::OrphanOrder { recovery_id: 2, .. }
    ));
    assert!(!actions.iter().any(|a| matches!(a, Action::BookCycle(_))));
    assert_eq!(s.total_profit, profit_before);
    assert_eq!(s.a.consecutive_losses, losses_before);
    assert_eq!(s.recovery_orders.len(), 1);
}

#[test]
fn partially_filled_entry_is_never_refreshed() {
    let cfg = EngineConfig::default();
    let mut s = s1a(&cfg);
    assert!(s.mark_partially_filled(1));
    assert!(step(&mut s, &tick("0.0985", 10), &ctx(&cfg, true)).is_empty());
    assert!(s.find_order(1).is_some());
}

#[test]
fn unbound_exit_is_repriced_at_the_current_market_never_below_target() {
    let cfg = EngineConfig::default();
    let mut s = s0(&cfg);
    let ev = fill_at_limit(&s, 1, t(1)); // B bought at 0.0998: sell exit #3 at 0.100798
    step(&mut s, &ev, &ctx(&cfg, true));
    // (name, market, new exit price)
    let cases = [
        ("market ran past the exit", "0.1020", "0.102204"),
        (
            "market back below: profit target holds",
            "0.0990",
            "0.100798",
        ),
    ];
    for (name, market, want) in cases {
        s.market_price = p(market);
        assert_eq!(
            s.reprice_unbound_exit(3, &cfg).unwrap(),
            Some(p(want)),
            "case {name}"
        );
    }
    assert!(s.bind_txid(3, "TX"));
    assert_eq!(
        s.reprice_unbound_exit(3, &cfg).unwrap(),
        None,
        "bound exits are not touched"
    );
    assert_eq!(
        s.reprice_unbound_exit(2, &cfg).unwrap(),
        None,
        "entries are not exits"
    );
}
