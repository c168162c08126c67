//! The trading rate counter against hand-worked sequences (numbers: kraken.md §3.4).

use flywheel_core::{Fixed, Timestamp};
use flywheel_kraken::ratelimit::{Action, Decision, Limits, PairCounter, Tier, TradingCounters};

fn f(s: &str) -> Fixed {
    s.parse().expect("decimal literal")
}
fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}
fn no_reserve(tier: Tier) -> Limits {
    Limits {
        reserve: Fixed::ZERO,
        ..tier.limits()
    }
}

#[test]
fn costs_table() {
    let cases: Vec<(&str, Action, &str)> = vec![
        ("add", Action::Add, "1"),
        ("batch add of 6", Action::BatchAdd { orders: 6 }, "3"),
        ("batch add of 5", Action::BatchAdd { orders: 5 }, "2.5"),
        ("amend at 0 s", Action::Amend { age_ms: 0 }, "4"),
        ("amend at 4.999 s", Action::Amend { age_ms: 4_999 }, "4"),
        ("amend at 5 s", Action::Amend { age_ms: 5_000 }, "3"),
        ("amend at 12 s", Action::Amend { age_ms: 12_000 }, "2"),
        ("amend at 15 s", Action::Amend { age_ms: 15_000 }, "1"),
        ("edit at 3 s", Action::Edit { age_ms: 3_000 }, "7"),
        ("edit at 20 s", Action::Edit { age_ms: 20_000 }, "3"),
        ("edit at 60 s", Action::Edit { age_ms: 60_000 }, "2"),
        ("edit at 90 s", Action::Edit { age_ms: 90_000 }, "1"),
        ("cancel at 1 s", Action::Cancel { age_ms: 1_000 }, "8"),
        ("cancel at 7 s", Action::Cancel { age_ms: 7_000 }, "6"),
        ("cancel at 14.9 s", Action::Cancel { age_ms: 14_900 }, "5"),
        ("cancel at 30 s", Action::Cancel { age_ms: 30_000 }, "4"),
        ("cancel at 89 s", Action::Cancel { age_ms: 89_000 }, "2"),
        ("cancel at 299 s", Action::Cancel { age_ms: 299_000 }, "1"),
        ("cancel at 300 s", Action::Cancel { age_ms: 300_000 }, "0"),
        (
            "batch cancel",
            Action::BatchCancel {
                ages_ms: vec![1_000, 12_000, 40_000, 60_000, 200_000, 400_000],
            },
            "20",
        ),
    ];
    for (name, action, cost) in cases {
        assert_eq!(action.cost(), f(cost), "case {name}");
    }
}

#[test]
fn starter_hand_worked_sequence() {
    // Starter: threshold 60, decay 1/s; no reserve, to follow Kraken's own rule.
    let mut c = PairCounter::new(no_reserve(Tier::Starter), t(0));
    // (name, time ms, action, counter after) — each step checked, then recorded.
    let steps: Vec<(&str, i64, Action, &str)> = vec![
        ("10 adds at 0 s", 0, Action::Add, "1"),
        ("", 0, Action::Add, "2"),
        ("", 0, Action::Add, "3"),
        ("", 0, Action::Add, "4"),
        ("", 0, Action::Add, "5"),
        ("", 0, Action::Add, "6"),
        ("", 0, Action::Add, "7"),
        ("", 0, Action::Add, "8"),
        ("", 0, Action::Add, "9"),
        ("", 0, Action::Add, "10"),
        (
            "cancel a 2 s old order: +8",
            0,
            Action::Cancel { age_ms: 2_000 },
            "18",
        ),
        (
            "1 s later (17), amend a 7 s old order: +1 +2",
            1_000,
            Action::Amend { age_ms: 7_000 },
            "20",
        ),
        (
            "4 s later (16), edit a 20 s old order: +1 +2",
            5_000,
            Action::Edit { age_ms: 20_000 },
            "19",
        ),
        (
            "batch add of 6: +3",
            5_000,
            Action::BatchAdd { orders: 6 },
            "22",
        ),
        (
            "batch cancel (1, 12, 40, 60, 200, 400 s): +8+5+4+2+1+0",
            5_000,
            Action::BatchCancel {
                ages_ms: vec![1_000, 12_000, 40_000, 60_000, 200_000, 400_000],
            },
            "42",
        ),
        (
            "cancel a 3 s old order: +8",
            5_000,
            Action::Cancel { age_ms: 3_000 },
            "50",
        ),
    ];
    for (name, ms, action, after) in &steps {
        let want = f(after);
        assert_eq!(
            c.check(t(*ms), action),
            Decision::Send { after: want },
            "step {name} {after}"
        );
        c.record(t(*ms), action);
        assert_eq!(c.value_at(t(*ms)), want, "step {name} {after}");
    }
    // Ten more adds reach exactly 60: allowed (the threshold itself is not exceeded).
    for i in 51..=60 {
        assert!(
            matches!(c.check(t(5_000), &Action::Add), Decision::Send { .. }),
            "add {i}"
        );
        c.record(t(5_000), &Action::Add);
    }
    assert_eq!(c.headroom(t(5_000)), Fixed::ZERO);
    // The 61st must wait 1 s of decay; half a second later, half a second more.
    assert_eq!(
        c.check(t(5_000), &Action::Add),
        Decision::Defer {
            until: t(6_000),
            cost: f("1")
        }
    );
    assert_eq!(c.value_at(t(5_500)), f("59.5"));
    assert_eq!(
        c.check(t(5_500), &Action::Add),
        Decision::Defer {
            until: t(6_000),
            cost: f("1")
        }
    );
    assert_eq!(
        c.check(t(6_000), &Action::Add),
        Decision::Send { after: f("60") }
    );
    // A clock that goes backwards decays nothing.
    assert_eq!(c.value_at(t(4_000)), f("60"));
    // 60 s later the counter is empty, never negative.
    assert_eq!(c.value_at(t(65_000)), Fixed::ZERO);
    assert_eq!(c.value_at(t(1_000_000)), Fixed::ZERO);
}

#[test]
fn intermediate_decay_rounds_the_wait_up_to_the_millisecond() {
    let mut c = PairCounter::new(no_reserve(Tier::Intermediate), t(0));
    for _ in 0..125 {
        c.record(t(0), &Action::Add);
    }
    // 1 unit at 2.34/s = 0.427350… s -> 428 ms.
    let Decision::Defer { until, .. } = c.check(t(0), &Action::Add) else {
        panic!("must defer")
    };
    assert_eq!(until, t(428));
    assert!(matches!(
        c.check(until, &Action::Add),
        Decision::Send { .. }
    ));
    assert!(matches!(
        c.check(t(427), &Action::Add),
        Decision::Defer { .. }
    ));
    assert_eq!(c.value_at(t(428)), f("123.99848"));
}

#[test]
fn never_when_one_action_exceeds_the_threshold() {
    let c = PairCounter::new(no_reserve(Tier::Starter), t(0));
    let eight_young = Action::BatchCancel {
        ages_ms: vec![100; 8],
    };
    assert_eq!(
        c.check(t(0), &eight_young),
        Decision::Never {
            cost: f("64"),
            usable: f("60")
        }
    );
}

#[test]
fn reserve_keeps_room_for_a_cancel() {
    // Starter with the default reserve of 8: adds stop at 52, a young cancel still fits.
    let mut c = PairCounter::new(Tier::Starter.limits(), t(0));
    for _ in 0..52 {
        c.record(t(0), &Action::Add);
    }
    assert!(
        matches!(c.check(t(0), &Action::Add), Decision::Defer { until, .. } if until == t(1_000))
    );
    assert!(matches!(
        c.check(t(0), &Action::Amend { age_ms: 0 }),
        Decision::Defer { .. }
    ));
    assert_eq!(
        c.check(t(0), &Action::Cancel { age_ms: 0 }),
        Decision::Send { after: f("60") }
    );
}

#[test]
fn reconcile_takes_krakens_reading_and_reports_drift() {
    let mut counters = TradingCounters::new(no_reserve(Tier::Pro));
    for _ in 0..40 {
        counters.record("DOGE/USD", t(0), &Action::Add);
    }
    // 2 s later at 3.75/s: 40 - 7.5 = 32.5 locally; Kraken says 35 (it saw something we did
    // not, e.g. a cancel by hand).
    let drift = counters.reconcile("DOGE/USD", t(2_000), f("35"));
    assert_eq!(drift, f("-2.5"));
    let s = &counters.status(t(2_000))["DOGE/USD"];
    assert_eq!(
        (s.value, s.headroom, s.last_drift),
        (f("35"), f("145"), Some(f("-2.5")))
    );
    // Pairs are independent.
    assert_eq!(
        counters.check("SOL/USD", t(2_000), &Action::Add),
        Decision::Send { after: f("1") }
    );
}

#[test]
fn open_order_caps_by_tier() {
    let cases = [
        (Tier::Starter, 60, 0, true),
        (Tier::Starter, 60, 1, false),
        (Tier::Intermediate, 79, 1, true),
        (Tier::Intermediate, 80, 1, false),
        (Tier::Pro, 220, 5, true),
        (Tier::Pro, 220, 6, false),
    ];
    for (tier, open, adding, fits) in cases {
        let c = PairCounter::new(tier.limits(), t(0));
        assert_eq!(
            c.open_orders_fit(open, adding),
            fits,
            "case {tier:?} {open}+{adding}"
        );
    }
}
