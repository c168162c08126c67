//! Issue 11's hedger on a fake clock: residues below the venue minimum (the grace period,
//! the two-step, round 1's skip), and the invariant every clip keeps.

use super::*;

/// Residues below the venue minimum (0.061) on a fake clock: the grace period, the
/// two-step, its retry after a partial fill, and round 1's skip for good. Each case ends
/// with the counters it must have: (skipped episodes, two-steps, clips over the cap, clips).
#[test]
fn residue_two_step_on_a_fake_clock() {
    let min = || sol("0.061", "0");
    let cases: Vec<(Scenario, [u64; 4])> = vec![
        (
            Scenario {
                name:
                    "grace 45 s, then |inv| + min lands on the minimum, then the minimum closes it",
                inst: min(),
                ..base(
                    "",
                    vec![
                        Decide {
                            ms: 0,
                            inv: "0.015",
                            want: vec![],
                        },
                        Decide {
                            ms: 44_999,
                            inv: "0.015",
                            want: vec![],
                        },
                        // Above trigger for 45 s (> the 6 s passive timeout): straight to IOC.
                        Decide {
                            ms: 45_000,
                            inv: "0.015",
                            want: vec![ioc(Sell, "149.85", "0.076")],
                        },
                        IocDone {
                            ms: 45_000,
                            filled: "0.076",
                            avg: "149.85",
                        },
                        Decide {
                            ms: 46_000,
                            inv: "-0.061",
                            want: vec![],
                        },
                        Decide {
                            ms: 47_000,
                            inv: "-0.061",
                            want: vec![passive(Buy, "149.97", "0.061")],
                        },
                        Decide {
                            ms: 47_500,
                            inv: "-0.061",
                            want: vec![CancelPassive, ioc(Buy, "150.15", "0.061")],
                        },
                        IocDone {
                            ms: 47_500,
                            filled: "0.061",
                            avg: "150.15",
                        },
                        Decide {
                            ms: 50_000,
                            inv: "0",
                            want: vec![],
                        },
                    ],
                )
            },
            [1, 1, 2, 2],
        ),
        (
            Scenario {
                name: "the maker closes the residue within the grace: no two-step",
                inst: min(),
                ..base(
                    "",
                    vec![
                        Decide {
                            ms: 0,
                            inv: "0.015",
                            want: vec![],
                        },
                        Decide {
                            ms: 10_000,
                            inv: "0",
                            want: vec![],
                        },
                        // A new residue is a new episode with its own grace.
                        Decide {
                            ms: 20_000,
                            inv: "-0.02",
                            want: vec![],
                        },
                        Decide {
                            ms: 64_999,
                            inv: "-0.02",
                            want: vec![],
                        },
                        Decide {
                            ms: 65_000,
                            inv: "-0.02",
                            want: vec![ioc(Buy, "150.15", "0.081")],
                        },
                    ],
                )
            },
            [2, 1, 1, 1],
        ),
        (
            Scenario {
                name: "a partly filled first leg leaves another residue: retried at once",
                inst: min(),
                ..base(
                    "",
                    vec![
                        Decide {
                            ms: 0,
                            inv: "0.015",
                            want: vec![],
                        },
                        Decide {
                            ms: 45_000,
                            inv: "0.015",
                            want: vec![ioc(Sell, "149.85", "0.076")],
                        },
                        IocDone {
                            ms: 45_000,
                            filled: "0.05",
                            avg: "149.85",
                        },
                        // −0.035 after the cooldown: the episode is still open, so no new grace;
                        // the fill reset the over-trigger timer, so passive first.
                        Decide {
                            ms: 47_000,
                            inv: "-0.035",
                            want: vec![passive(Buy, "149.97", "0.096")],
                        },
                    ],
                )
            },
            [1, 2, 2, 2],
        ),
        (
            Scenario {
                name: "grace 0: the two-step starts at once",
                inst: min(),
                cfg: HedgerConfig {
                    residue_grace_seconds: "0".parse().expect("secs"),
                    ..HedgerConfig::default()
                },
                ..base(
                    "",
                    vec![
                        // The first decision opens the episode; the next one is past its grace.
                        Decide {
                            ms: 0,
                            inv: "0.015",
                            want: vec![],
                        },
                        Decide {
                            ms: 1,
                            inv: "0.015",
                            want: vec![passive(Sell, "150.03", "0.076")],
                        },
                    ],
                )
            },
            [1, 1, 1, 1],
        ),
        (
            Scenario {
                name: "round 1: a residue is skipped for good (one episode)",
                inst: min(),
                cfg: round1(),
                ..base(
                    "",
                    vec![
                        Decide {
                            ms: 0,
                            inv: "0.015",
                            want: vec![],
                        },
                        Decide {
                            ms: 45_000,
                            inv: "0.015",
                            want: vec![],
                        },
                        Decide {
                            ms: 3_600_000,
                            inv: "0.015",
                            want: vec![],
                        },
                    ],
                )
            },
            [1, 0, 0, 0],
        ),
    ];
    for (s, [skipped, two_step, over_cap, clips]) in cases {
        let c = run(&s).counters;
        assert_eq!(
            [
                c.skipped_below_minimum,
                c.two_step_flattens,
                c.clips_over_cap,
                c.clips
            ],
            [skipped, two_step, over_cap, clips],
            "scenario {:?}",
            s.name
        );
    }
}

#[test]
fn every_clip_is_valid_lands_closable_and_respects_the_slippage_caps() {
    // Exhaustive over a grid of positions, modes and residue states: every order is on the
    // flattening side, at least the venue minimum at its limit, and lands within the target
    // or on a closable position — at most |inv|, except the two-step's first leg, which
    // lands exactly on the minimum on the other side; its limit is within the mode's cap.
    let cfg = HedgerConfig::default();
    for inst in [sol("0.005", "0"), sol("0.061", "10.5"), sol("0.02", "1")] {
        for milli in -200i64..=200 {
            for (guard, blocked, residue_due) in [
                (false, None, false),
                (true, None, false),
                (false, Some(-8_000), false),
                (true, Some(-8_000), true),
                (false, None, true),
            ] {
                let mut h = Hedger::new();
                h.over_trigger_since = Some(t(-6_000)); // forced aggressive
                if residue_due {
                    h.residue_since = Some(t(-60_000));
                }
                let inv = Qty::lit(milli, 3);
                let ctx = HedgeCtx {
                    now: t(0),
                    inventory: inv,
                    mid: p("150"),
                    pnl_guard_active: guard,
                    quoting_blocked_since: blocked.map(t),
                    instrument: &inst,
                    passive_resting: false,
                };
                for cmd in h.decide(&cfg, &ctx) {
                    let PlaceIoc { side, limit, qty } = cmd else {
                        panic!("forced: only IOCs, got {cmd:?}");
                    };
                    assert!(inv.abs() > cfg.trigger_units, "inv {inv}");
                    assert_eq!(side, if inv.is_positive() { Sell } else { Buy });
                    let min = plan::venue_min(&inst, limit).expect("min");
                    assert!(qty >= min && qty.is_positive(), "inv {inv} qty {qty}");
                    assert!(
                        inst.meets_minimums(limit, qty).expect("min"),
                        "inv {inv} qty {qty}"
                    );
                    if qty <= inv.abs() {
                        let after = inv.abs() - qty;
                        assert!(
                            after <= cfg.target_units || after >= min,
                            "inv {inv} qty {qty} leaves {after}"
                        );
                    } else {
                        assert!(residue_due, "inv {inv}: only a due residue crosses flat");
                        assert_eq!(qty - inv.abs(), min, "inv {inv}: lands on the minimum");
                    }
                    let cap = if blocked.is_some() {
                        r("16")
                    } else if guard {
                        r("9")
                    } else {
                        r("12")
                    };
                    let dist = (limit - p("150")).abs();
                    // dist / 150 × 10 000 ≤ cap ⇔ dist × 10 000 ≤ cap × 150
                    assert!(
                        dist.raw() as i128 * 10_000 <= cap.raw() as i128 * 150,
                        "inv {inv}: limit {limit} beyond cap {cap}"
                    );
                }
            }
        }
    }
}
