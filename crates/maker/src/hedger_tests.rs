//! Hedger decisions on a fake clock (plain timestamps): table-driven scenarios, each a named
//! sequence of decisions and engine reports with the exact commands expected.

use flywheel_core::{Instrument, Price, Qty, Quote, Ratio, Side, Timestamp};

use super::*;
use HedgeCommand::{CancelPassive, PlaceIoc, PlacePassive};
use Side::{Buy, Sell};

fn p(s: &str) -> Price {
    s.parse().expect("price literal")
}
fn q(s: &str) -> Qty {
    s.parse().expect("qty literal")
}
fn r(s: &str) -> Ratio {
    s.parse().expect("ratio literal")
}
fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_700_000_000_000 + ms)
}

/// SOL with 3 price and 3 volume decimals and a small minimum.
fn sol(min_volume: &str, min_cost: &str) -> Instrument {
    let mut i = Instrument::with_decimals("SOL/USD", 3, 3).expect("instrument");
    i.min_volume = q(min_volume);
    i.min_cost = min_cost.parse().expect("min cost");
    i
}

/// One step of a scenario.
#[derive(Clone, Debug)]
enum Step {
    /// Decide at `ms` with signed inventory `inv`; expect `want`.
    Decide {
        ms: i64,
        inv: &'static str,
        want: Vec<HedgeCommand>,
    },
    /// Same, with the PnL guard on / quoting blocked since `blocked_ms`.
    DecideWith {
        ms: i64,
        inv: &'static str,
        guard: bool,
        blocked_ms: Option<i64>,
        want: Vec<HedgeCommand>,
    },
    PassiveFill {
        ms: i64,
        qty: &'static str,
        price: &'static str,
    },
    PassiveDone {
        ms: i64,
    },
    IocDone {
        ms: i64,
        filled: &'static str,
        avg: &'static str,
    },
}
use Step::*;

struct Scenario {
    name: &'static str,
    cfg: HedgerConfig,
    inst: Instrument,
    mid: &'static str,
    /// Pre-set over-trigger timer (ms), to start a scenario "already above trigger".
    over_since_ms: Option<i64>,
    steps: Vec<Step>,
}

fn run(s: &Scenario) -> Hedger {
    let mut h = Hedger::new();
    h.over_trigger_since = s.over_since_ms.map(t);
    for (i, step) in s.steps.iter().enumerate() {
        let (ms, inv, guard, blocked, want) = match step {
            Decide { ms, inv, want } => (*ms, *inv, false, None, want),
            DecideWith {
                ms,
                inv,
                guard,
                blocked_ms,
                want,
            } => (*ms, *inv, *guard, *blocked_ms, want),
            PassiveFill { ms, qty, price } => {
                h.on_passive_fill(t(*ms), q(qty), p(price), Quote::ZERO);
                continue;
            }
            PassiveDone { ms } => {
                h.on_passive_done(t(*ms));
                continue;
            }
            IocDone { ms, filled, avg } => {
                h.on_ioc_done(t(*ms), q(filled), p(avg), Quote::ZERO);
                continue;
            }
        };
        let ctx = HedgeCtx {
            now: t(ms),
            inventory: q(inv),
            mid: p(s.mid),
            pnl_guard_active: guard,
            quoting_blocked_since: blocked.map(t),
            instrument: &s.inst,
            // A consistent engine: the passive order rests exactly while we think it does.
            passive_resting: matches!(h.phase, HedgePhase::PassiveResting { .. }),
        };
        let got = h.decide(&s.cfg, &ctx);
        assert_eq!(&got, want, "scenario {:?}, step {i} at {ms} ms", s.name);
    }
    h
}

fn passive(side: Side, price: &str, qty: &str) -> HedgeCommand {
    PlacePassive {
        side,
        price: p(price),
        qty: q(qty),
    }
}
fn ioc(side: Side, limit: &str, qty: &str) -> HedgeCommand {
    PlaceIoc {
        side,
        limit: p(limit),
        qty: q(qty),
    }
}

/// Round 1's clips: raised to the venue minimum only when it is ≤ |inv|, residues skipped.
fn round1() -> HedgerConfig {
    HedgerConfig {
        closable_clips: false,
        ..HedgerConfig::default()
    }
}

fn base(name: &'static str, steps: Vec<Step>) -> Scenario {
    Scenario {
        name,
        cfg: HedgerConfig::default(),
        inst: sol("0.005", "0"),
        mid: "150",
        over_since_ms: None,
        steps,
    }
}

fn scenarios() -> Vec<Scenario> {
    let cfg = HedgerConfig::default;
    vec![
        base(
            "below or at trigger: nothing",
            vec![
                Decide { ms: 0, inv: "0.010", want: vec![] },
                Decide { ms: 1, inv: "-0.010", want: vec![] },
                Decide { ms: 2, inv: "0", want: vec![] },
            ],
        ),
        base(
            "above trigger, long: passive sell at mid + 2 bps, clip capped at 0.03",
            vec![Decide { ms: 0, inv: "0.045", want: vec![passive(Sell, "150.03", "0.03")] }],
        ),
        base(
            "above trigger, short: passive buy at mid - 2 bps, clip = |inv| - target",
            vec![Decide { ms: 0, inv: "-0.02", want: vec![passive(Buy, "149.97", "0.019")] }],
        ),
        base(
            "max clip 0.03 caps a large position",
            vec![Decide { ms: 0, inv: "0.5", want: vec![passive(Sell, "150.03", "0.03")] }],
        ),
        base(
            "passive unfilled after 0.5 s: cancel, IOC at mid - 10 bps in the same decision",
            vec![
                Decide { ms: 0, inv: "0.045", want: vec![passive(Sell, "150.03", "0.03")] },
                Decide { ms: 499, inv: "0.045", want: vec![] },
                Decide { ms: 500, inv: "0.045", want: vec![CancelPassive, ioc(Sell, "149.85", "0.03")] },
                // Waiting for the IOC report: nothing new.
                Decide { ms: 600, inv: "0.045", want: vec![] },
            ],
        ),
        base(
            "short side crosses at mid + 10 bps",
            vec![
                Decide { ms: 0, inv: "-0.045", want: vec![passive(Buy, "149.97", "0.03")] },
                Decide { ms: 500, inv: "-0.045", want: vec![CancelPassive, ioc(Buy, "150.15", "0.03")] },
            ],
        ),
        base(
            "passive partly filled (>= 60 %): success, cancel the rest, 2 s cooldown",
            vec![
                Decide { ms: 0, inv: "0.045", want: vec![passive(Sell, "150.03", "0.03")] },
                PassiveFill { ms: 300, qty: "0.018", price: "150.03" },
                Decide { ms: 400, inv: "0.027", want: vec![CancelPassive] },
                Decide { ms: 2399, inv: "0.027", want: vec![] },
                Decide { ms: 2400, inv: "0.027", want: vec![passive(Sell, "150.03", "0.026")] },
            ],
        ),
        base(
            "passive partly filled (< 60 %): the rest crosses after the wait",
            vec![
                Decide { ms: 0, inv: "0.045", want: vec![passive(Sell, "150.03", "0.03")] },
                PassiveFill { ms: 300, qty: "0.017", price: "150.03" },
                Decide { ms: 500, inv: "0.028", want: vec![CancelPassive, ioc(Sell, "149.85", "0.027")] },
            ],
        ),
        base(
            "passive fully filled: cooldown runs from the fill",
            vec![
                Decide { ms: 0, inv: "0.045", want: vec![passive(Sell, "150.03", "0.03")] },
                PassiveFill { ms: 200, qty: "0.03", price: "150.03" },
                Decide { ms: 2199, inv: "0.015", want: vec![] },
                Decide { ms: 2200, inv: "0.015", want: vec![passive(Sell, "150.03", "0.014")] },
            ],
        ),
        base(
            "passive rejected (done, nothing filled): the next decision crosses",
            vec![
                Decide { ms: 0, inv: "0.045", want: vec![passive(Sell, "150.03", "0.03")] },
                PassiveDone { ms: 10 },
                Decide { ms: 20, inv: "0.045", want: vec![ioc(Sell, "149.85", "0.03")] },
            ],
        ),
        base(
            "back within trigger while the passive order rests: cancel it",
            vec![
                Decide { ms: 0, inv: "0.045", want: vec![passive(Sell, "150.03", "0.03")] },
                Decide { ms: 100, inv: "0.008", want: vec![CancelPassive] },
                Decide { ms: 200, inv: "0.008", want: vec![] },
            ],
        ),
        base(
            "cooldown 2 s between clips after an IOC",
            vec![
                Decide { ms: 0, inv: "0.075", want: vec![passive(Sell, "150.03", "0.03")] },
                Decide { ms: 500, inv: "0.075", want: vec![CancelPassive, ioc(Sell, "149.85", "0.03")] },
                IocDone { ms: 600, filled: "0.03", avg: "149.9" },
                Decide { ms: 1000, inv: "0.045", want: vec![] },
                Decide { ms: 2599, inv: "0.045", want: vec![] },
                Decide { ms: 2600, inv: "0.045", want: vec![passive(Sell, "150.03", "0.03")] },
            ],
        ),
        base(
            "forced aggressive after 6 s above trigger (unfilled clips keep the timer)",
            vec![
                Decide { ms: 0, inv: "0.045", want: vec![passive(Sell, "150.03", "0.03")] },
                Decide { ms: 500, inv: "0.045", want: vec![CancelPassive, ioc(Sell, "149.85", "0.03")] },
                IocDone { ms: 500, filled: "0", avg: "0" },
                Decide { ms: 2500, inv: "0.045", want: vec![passive(Sell, "150.03", "0.03")] },
                Decide { ms: 3000, inv: "0.045", want: vec![CancelPassive, ioc(Sell, "149.85", "0.03")] },
                IocDone { ms: 3000, filled: "0", avg: "0" },
                Decide { ms: 5000, inv: "0.045", want: vec![passive(Sell, "150.03", "0.03")] },
                // 6.0 s above trigger: cancel the resting passive and cross now.
                Decide { ms: 6000, inv: "0.045", want: vec![CancelPassive, ioc(Sell, "149.85", "0.03")] },
                IocDone { ms: 6000, filled: "0", avg: "0" },
                // Still forced: straight to IOC, no passive leg.
                Decide { ms: 8000, inv: "0.045", want: vec![ioc(Sell, "149.85", "0.03")] },
                IocDone { ms: 8000, filled: "0.03", avg: "149.85" },
                // A fill reset the timer: passive first again.
                Decide { ms: 10000, inv: "0.015", want: vec![passive(Sell, "150.03", "0.014")] },
            ],
        ),
        Scenario {
            name: "forced aggressive cuts the passive wait short",
            over_since_ms: Some(-5_800),
            ..base(
                "",
                vec![
                    Decide { ms: 0, inv: "0.045", want: vec![passive(Sell, "150.03", "0.03")] },
                    Decide { ms: 199, inv: "0.045", want: vec![] },
                    Decide { ms: 200, inv: "0.045", want: vec![CancelPassive, ioc(Sell, "149.85", "0.03")] },
                ],
            )
        },
        Scenario {
            name: "prefer_passive off: IOC at once",
            cfg: HedgerConfig { prefer_passive: false, ..cfg() },
            ..base(
                "",
                vec![Decide { ms: 0, inv: "0.045", want: vec![ioc(Sell, "149.85", "0.03")] }],
            )
        },
        Scenario {
            name: "slippage cap clamps an offset beyond it (20 bps asked, 12 allowed)",
            cfg: HedgerConfig {
                prefer_passive: false,
                price_offset_bps: r("20"),
                ..cfg()
            },
            ..base(
                "",
                vec![
                    Decide { ms: 0, inv: "0.045", want: vec![ioc(Sell, "149.82", "0.03")] },
                    IocDone { ms: 0, filled: "0", avg: "0" },
                    Decide { ms: 2000, inv: "-0.045", want: vec![ioc(Buy, "150.18", "0.03")] },
                ],
            )
        },
        Scenario {
            name: "limit rounds toward mid on a coarse tick (never beyond the cap)",
            inst: {
                let mut i = sol("0.005", "0");
                i.tick = p("0.05");
                i
            },
            cfg: HedgerConfig { prefer_passive: false, ..cfg() },
            mid: "150.01",
            ..base(
                "",
                vec![
                    // 150.01 × 0.999 = 149.85999 → ceil to 0.05 → 149.9
                    Decide { ms: 0, inv: "0.045", want: vec![ioc(Sell, "149.9", "0.03")] },
                    IocDone { ms: 0, filled: "0", avg: "0" },
                    // 150.01 × 1.001 = 150.16001 → floor to 0.05 → 150.15
                    Decide { ms: 2000, inv: "-0.045", want: vec![ioc(Buy, "150.15", "0.03")] },
                ],
            )
        },
        base(
            "PnL guard dampers: clip 0.35 x 0.03 → 0.010, cross at 9 bps (cap 9)",
            vec![
                DecideWith { ms: 0, inv: "0.045", guard: true, blocked_ms: None, want: vec![passive(Sell, "150.03", "0.01")] },
                DecideWith { ms: 500, inv: "0.045", guard: true, blocked_ms: None, want: vec![CancelPassive, ioc(Sell, "149.865", "0.01")] },
            ],
        ),
        Scenario {
            name: "PnL guard: its cap clamps a larger guard offset",
            cfg: HedgerConfig {
                prefer_passive: false,
                guard_price_offset_bps: r("15"),
                ..cfg()
            },
            ..base(
                "",
                vec![DecideWith { ms: 0, inv: "0.045", guard: true, blocked_ms: None, want: vec![ioc(Sell, "149.865", "0.01")] }],
            )
        },
        base(
            "emergency: blocked >= 8 s ⇒ IOC at once, clip x1.1 = 0.033, 16 bps within its 16 bps cap",
            vec![
                DecideWith { ms: 0, inv: "0.045", guard: false, blocked_ms: Some(-7_999), want: vec![passive(Sell, "150.03", "0.03")] },
                DecideWith { ms: 1, inv: "0.045", guard: false, blocked_ms: Some(-7_999), want: vec![CancelPassive, ioc(Sell, "149.76", "0.033")] },
                IocDone { ms: 100, filled: "0", avg: "0" },
                // Emergency cooldown 0.5 s instead of 2 s.
                DecideWith { ms: 599, inv: "0.045", guard: false, blocked_ms: Some(-7_999), want: vec![] },
                DecideWith { ms: 600, inv: "0.045", guard: false, blocked_ms: Some(-7_999), want: vec![ioc(Sell, "149.76", "0.033")] },
                IocDone { ms: 600, filled: "0.033", avg: "149.8" },
                // Quoting unblocked: normal cooldown and passive first again.
                Decide { ms: 1100, inv: "0.012", want: vec![] },
                Decide { ms: 2600, inv: "0.012", want: vec![passive(Sell, "150.03", "0.011")] },
            ],
        ),
        base(
            "emergency under the PnL guard: no clip damper, 9 + 6 = 15 bps",
            vec![DecideWith { ms: 0, inv: "0.045", guard: true, blocked_ms: Some(-8_000), want: vec![ioc(Sell, "149.775", "0.033")] }],
        ),
        base(
            "emergency clip capped at |inv| - target",
            vec![DecideWith { ms: 0, inv: "-0.02", guard: false, blocked_ms: Some(-9_000), want: vec![ioc(Buy, "150.24", "0.019")] }],
        ),
        Scenario {
            name: "emergency stays within its own cap (12 bps) when offset + extra is larger",
            cfg: HedgerConfig {
                guard_emergency_max_slippage_bps: r("12"),
                ..cfg()
            },
            ..base(
                "",
                vec![DecideWith { ms: 0, inv: "0.045", guard: false, blocked_ms: Some(-8_000), want: vec![ioc(Sell, "149.82", "0.033")] }],
            )
        },
        Scenario {
            name: "emergency disabled (0 s): blocked quoting changes nothing",
            cfg: HedgerConfig {
                guard_emergency_seconds: "0".parse().expect("secs"),
                ..cfg()
            },
            ..base(
                "",
                vec![DecideWith { ms: 0, inv: "0.045", guard: false, blocked_ms: Some(-60_000), want: vec![passive(Sell, "150.03", "0.03")] }],
            )
        },
        Scenario {
            name: "round 1: clip raised to the venue minimum when |inv| allows, else skipped",
            inst: sol("0.02", "0"),
            cfg: round1(),
            ..base(
                "",
                vec![
                    // wanted 0.014 < 0.02 > |inv| 0.015: skipped (would flip)
                    Decide { ms: 0, inv: "0.015", want: vec![] },
                    // wanted 0.010 (guard) < 0.02 ≤ |inv| 0.05: raised to 0.02
                    DecideWith { ms: 1, inv: "0.05", guard: true, blocked_ms: None, want: vec![passive(Sell, "150.03", "0.02")] },
                ],
            )
        },
        Scenario {
            name: "round 1: venue minimum by cost (0.061 SOL and $10.5): 0.07 at 150",
            inst: sol("0.061", "10.5"),
            cfg: round1(),
            ..base(
                "",
                vec![
                    Decide { ms: 0, inv: "0.045", want: vec![] },
                    Decide { ms: 1, inv: "0.075", want: vec![passive(Sell, "150.03", "0.07")] },
                    // IOC at 149.85: 10.5 / 149.85 = 0.07007 → 0.071 (≤ 0.075)
                    Decide { ms: 501, inv: "0.075", want: vec![CancelPassive, ioc(Sell, "149.85", "0.071")] },
                ],
            )
        },
        Scenario {
            name: "closable: venue minimum by cost lands on flat (0.075 − 0.070 would be a residue)",
            inst: sol("0.061", "10.5"),
            ..base(
                "",
                vec![
                    // A residue: left to the maker for the grace period.
                    Decide { ms: 0, inv: "0.045", want: vec![] },
                    Decide { ms: 1, inv: "0.075", want: vec![passive(Sell, "150.03", "0.075")] },
                    Decide { ms: 501, inv: "0.075", want: vec![CancelPassive, ioc(Sell, "149.85", "0.075")] },
                ],
            )
        },
        Scenario {
            name: "closable: the venue minimum leaves a closable position (0.13 → 0.069)",
            inst: sol("0.061", "0"),
            ..base(
                "",
                vec![Decide { ms: 0, inv: "0.13", want: vec![passive(Sell, "150.03", "0.061")] }],
            )
        },
        Scenario {
            name: "notional trigger (OR): 0.009 SOL x 500 = $4.5 > $4",
            mid: "500",
            ..base(
                "",
                vec![
                    Decide { ms: 0, inv: "0.008", want: vec![] },
                    Decide { ms: 1, inv: "0.009", want: vec![passive(Sell, "500.1", "0.008")] },
                ],
            )
        },
        Scenario {
            name: "disabled: nothing",
            cfg: HedgerConfig { enabled: false, ..cfg() },
            ..base("", vec![Decide { ms: 0, inv: "1", want: vec![] }])
        },
        base(
            "position flips while the passive order rests: replace it",
            vec![
                Decide { ms: 0, inv: "0.045", want: vec![passive(Sell, "150.03", "0.03")] },
                Decide { ms: 100, inv: "-0.03", want: vec![CancelPassive, passive(Buy, "149.97", "0.029")] },
            ],
        ),
        Scenario {
            name: "no market data (mid 0): nothing",
            mid: "0",
            ..base("", vec![Decide { ms: 0, inv: "1", want: vec![] }])
        },
    ]
}

#[test]
fn decision_scenarios() {
    for s in scenarios() {
        run(&s);
    }
}

#[test]
fn counters_and_slippage() {
    let s = base(
        "counters",
        vec![
            Decide {
                ms: 0,
                inv: "0.075",
                want: vec![passive(Sell, "150.03", "0.03")],
            },
            PassiveFill {
                ms: 100,
                qty: "0.005",
                price: "150.03",
            },
            Decide {
                ms: 500,
                inv: "0.07",
                want: vec![CancelPassive, ioc(Sell, "149.85", "0.03")],
            },
            IocDone {
                ms: 600,
                filled: "0.03",
                avg: "149.9",
            },
        ],
    );
    let h = run(&s);
    let c = &h.counters;
    assert_eq!(c.clips, 1);
    assert_eq!(c.passive_orders, 1);
    assert_eq!(c.passive_fills, 1);
    assert_eq!(c.aggressive_orders, 1);
    assert_eq!(c.aggressive_fills, 1);
    assert_eq!(c.volume, q("0.035").into());
    // 0.005 × 150.03 + 0.03 × 149.9 = 0.75015 + 4.497
    assert_eq!(c.notional, "5.24715".parse().expect("quote"));
    // (150 − 149.9) / 150 × 10 000 = 6.666666667 bps; 0.1 × 0.03 = 0.003
    assert_eq!(c.slippage_bps_sum, r("6.666666667").into());
    assert_eq!(c.slippage_quote, "0.003".parse().expect("quote"));
    assert_eq!(c.avg_slippage_bps(), Some(r("6.666666667")));
    assert_eq!(h.phase, HedgePhase::CoolingDown { since: t(600) });
    assert_eq!(h.over_trigger_since, None);
}

#[test]
fn fees_are_counted() {
    let inst = sol("0.005", "0");
    let cfg = HedgerConfig {
        prefer_passive: false,
        ..HedgerConfig::default()
    };
    let mut h = Hedger::new();
    let ctx = HedgeCtx {
        now: t(0),
        inventory: q("0.045"),
        mid: p("150"),
        pnl_guard_active: false,
        quoting_blocked_since: None,
        instrument: &inst,
        passive_resting: false,
    };
    assert_eq!(h.decide(&cfg, &ctx), vec![ioc(Sell, "149.85", "0.03")]);
    h.on_ioc_done(t(10), q("0.03"), p("150.1"), "0.0009".parse().expect("fee"));
    assert_eq!(h.counters.fees, "0.0009".parse::<Wide>().expect("fee"));
    // Filled above mid: negative slippage (price improvement).
    assert_eq!(
        h.counters.slippage_quote,
        "-0.003".parse::<Wide>().expect("q")
    );
}

#[test]
fn engine_says_passive_gone_without_a_hook() {
    let inst = sol("0.005", "0");
    let cfg = HedgerConfig::default();
    let mut h = Hedger::new();
    let mut ctx = HedgeCtx {
        now: t(0),
        inventory: q("0.045"),
        mid: p("150"),
        pnl_guard_active: false,
        quoting_blocked_since: None,
        instrument: &inst,
        passive_resting: false,
    };
    assert_eq!(h.decide(&cfg, &ctx), vec![passive(Sell, "150.03", "0.03")]);
    ctx.now = t(100);
    // Not resting any more, nothing filled: treated as done, crosses at once (no cancel).
    assert_eq!(h.decide(&cfg, &ctx), vec![ioc(Sell, "149.85", "0.03")]);
}

#[test]
fn disabling_cancels_a_resting_passive_order() {
    let inst = sol("0.005", "0");
    let mut cfg = HedgerConfig::default();
    let mut h = Hedger::new();
    let ctx = HedgeCtx {
        now: t(0),
        inventory: q("0.045"),
        mid: p("150"),
        pnl_guard_active: false,
        quoting_blocked_since: None,
        instrument: &inst,
        passive_resting: true,
    };
    assert_eq!(h.decide(&cfg, &ctx), vec![passive(Sell, "150.03", "0.03")]);
    cfg.enabled = false;
    assert_eq!(h.decide(&cfg, &ctx), vec![CancelPassive]);
    assert_eq!(h.phase, HedgePhase::Idle);
}

#[test]
fn same_inputs_same_decisions() {
    let a = run(&scenarios().swap_remove(12));
    let b = run(&scenarios().swap_remove(12));
    assert_eq!(a, b);
}

#[path = "hedger_residue_tests.rs"]
mod residue;
