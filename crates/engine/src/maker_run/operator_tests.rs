//! Operator commands on the maker: the pause withdraws and holds the quotes while the hedger
//! works, settings keep the state, the pause survives a snapshot, everything is journaled.

use std::convert::Infallible;

use flywheel_core::{Price, Qty, Quote, Ratio, Rounding, Side, Timestamp};
use flywheel_maker::{HedgerConfig, MakerConfig, MinSizePolicy};
use flywheel_marketdata::MarketEvent;
use flywheel_venue::{Balances, SimExchange};

use super::super::{run_maker_backtest, MakerEngine};
use crate::config::BacktestConfig;
use crate::journal::{JsonLines, NoJournal};
use crate::maker_journal::MakerSink;
use crate::operator::Setting;

fn sim(cfg: &MakerConfig) -> SimExchange {
    let mut inst = cfg.instrument("SOL/USD").expect("instrument");
    inst.taker_fee_pct = Ratio::lit(40, 2);
    let start: Balances = BacktestConfig {
        start_base: "10".parse().expect("base"),
        start_quote: "5000".parse().expect("quote"),
    }
    .start_balances();
    SimExchange::new(inst, Default::default(), start).expect("sim")
}

fn cfg() -> MakerConfig {
    MakerConfig {
        min_size_policy: MinSizePolicy::Raise,
        ..MakerConfig::default()
    }
}

fn maker() -> MakerEngine<SimExchange, NoJournal> {
    let c = cfg();
    let venue = sim(&c);
    MakerEngine::new(c, HedgerConfig::default(), venue)
}

/// A seeded SOL path around 200, a trade every 2 s from `from`.
fn trades(from: usize, n: usize) -> Vec<MarketEvent> {
    let mut p = 200.0f64;
    let mut x: u64 = 7;
    (0..from + n)
        .map(|i| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = ((x >> 33) as f64 / (1u64 << 31) as f64) - 0.5;
            p *= 1.0 + r * 0.0008;
            let price = Price::from_f64(p, Rounding::HalfEven)
                .expect("price")
                .round_dp(3, Rounding::HalfEven)
                .expect("price");
            MarketEvent::Trade(flywheel_marketdata::Trade {
                ts: Timestamp::from_secs(1_760_000_000 + 2 * i as i64),
                price,
                qty: "5".parse().expect("qty"),
                taker_side: None,
            })
        })
        .skip(from)
        .collect()
}

fn run<J: MakerSink>(m: &mut MakerEngine<SimExchange, J>, events: Vec<MarketEvent>) {
    run_maker_backtest(m, events.into_iter().map(Ok::<_, Infallible>)).expect("runs");
}

/// Run until at least one quote rests; the next trade's index.
fn until_quoting<J: MakerSink>(m: &mut MakerEngine<SimExchange, J>) -> usize {
    for i in 0..2_000 {
        run(m, trades(i, 1));
        if !m.resting.is_empty() {
            return i + 1;
        }
    }
    panic!("the maker never quoted");
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Pause,
    Resume,
    CancelQuotes,
    /// `n` more trades of the path.
    Trades(usize),
}

#[test]
fn pause_resume_and_cancel_quotes() {
    struct Case {
        name: &'static str,
        ops: &'static [Op],
        quoting: bool,
        paused: bool,
    }
    let cases = [
        Case {
            name: "pause withdraws the quotes at once",
            ops: &[Op::Pause],
            quoting: false,
            paused: true,
        },
        Case {
            name: "paused, refreshes place nothing",
            ops: &[Op::Pause, Op::Trades(300)],
            quoting: false,
            paused: true,
        },
        Case {
            name: "resume quotes again",
            ops: &[Op::Pause, Op::Trades(50), Op::Resume, Op::Trades(300)],
            quoting: true,
            paused: false,
        },
        Case {
            name: "quotes cancelled while running return at a refresh",
            ops: &[Op::CancelQuotes, Op::Trades(300)],
            quoting: true,
            paused: false,
        },
    ];
    for case in cases {
        let mut m = maker();
        let mut i = until_quoting(&mut m);
        let placed_before = m.stats.orders_placed;
        for op in case.ops {
            let now = m.now;
            match *op {
                Op::Pause => {
                    m.operator_pause(now).expect("pause");
                }
                Op::Resume => {
                    m.operator_resume(now).expect("resume");
                }
                Op::CancelQuotes => {
                    m.cancel_quotes(now).expect("cancel");
                    assert!(m.resting.is_empty(), "{}: after cancel", case.name);
                }
                Op::Trades(n) => {
                    run(&mut m, trades(i, n));
                    i += n;
                }
            }
        }
        assert_eq!(!m.resting.is_empty(), case.quoting, "{}", case.name);
        assert_eq!(m.status().paused, case.paused, "{}", case.name);
        if case.paused {
            assert_eq!(
                m.stats.orders_placed, placed_before,
                "{}: nothing placed while paused",
                case.name
            );
        }
    }
}

#[test]
fn the_hedger_still_flattens_while_paused() {
    let mut m = maker();
    let i = until_quoting(&mut m);
    m.operator_pause(m.now).expect("pause");
    // A long well above the hedger's trigger, put into the book directly.
    m.fifo
        .on_fill(
            Side::Buy,
            Price::lit(200, 0),
            Qty::lit(5, 1),
            Quote::ZERO,
            m.now,
        )
        .expect("fill");
    let before = m.fifo().inventory();
    run(&mut m, trades(i, 300));
    assert!(m.resting.is_empty(), "no quote while paused");
    assert!(
        m.fifo().inventory() < before,
        "the hedger sold: {} -> {}",
        before,
        m.fifo().inventory()
    );
}

#[test]
fn set_changes_the_maker_and_keeps_its_state() {
    struct Case {
        name: &'static str,
        setting: Setting,
        check: fn(&MakerConfig, &HedgerConfig) -> bool,
    }
    let cases = [
        Case {
            name: "spread",
            setting: Setting::MakerSpreadBps(12.5),
            check: |m, _| m.spread_bps == 12.5,
        },
        Case {
            name: "base size",
            setting: Setting::MakerBaseSize(Qty::lit(2, 2)),
            check: |m, _| m.base_size == Qty::lit(2, 2),
        },
        Case {
            name: "size max",
            setting: Setting::MakerSizeMax(Qty::lit(9, 2)),
            check: |m, _| m.size_max == Qty::lit(9, 2),
        },
        Case {
            name: "soft cap",
            setting: Setting::MakerInventorySoftCap(Qty::lit(7, 2)),
            check: |m, _| m.inventory_soft_cap == Qty::lit(7, 2),
        },
        Case {
            name: "hedger trigger",
            setting: Setting::HedgerTriggerUnits(Qty::lit(2, 2)),
            check: |_, h| h.trigger_units == Qty::lit(2, 2),
        },
    ];
    for case in cases {
        let mut m = maker();
        run(&mut m, trades(0, 500));
        let state = serde_json::to_string(&m.state).expect("state");
        let fifo = serde_json::to_string(&m.fifo).expect("fifo");
        let raw = case.setting.value();
        m.apply_setting(m.now, &case.setting, &raw)
            .unwrap_or_else(|e| panic!("{}: refused: {e}", case.name));
        let (mc, hc) = m.config();
        assert!((case.check)(mc, hc), "{}", case.name);
        assert_eq!(serde_json::to_string(&m.state).expect("state"), state);
        assert_eq!(serde_json::to_string(&m.fifo).expect("fifo"), fifo);
        if let Setting::MakerInventorySoftCap(q) = case.setting {
            assert_eq!(m.status().inventory_soft_cap, q, "the status shows it");
        }
    }
    let mut m = maker();
    let err = m
        .apply_setting(m.now, &Setting::RebalanceKp(2.0), "2")
        .expect_err("a grid key");
    assert!(err.contains("maker.spread_bps"), "{err}");
}

#[test]
fn the_pause_survives_a_snapshot_and_commands_are_journaled() {
    let c = cfg();
    let venue = sim(&c);
    let mut m = MakerEngine::with_journal(
        c,
        HedgerConfig::default(),
        venue,
        JsonLines::new(Vec::new()),
    );
    let i = until_quoting(&mut m);
    m.operator_pause(m.now).expect("pause");
    let snap = serde_json::to_string(&m.snapshot()).expect("snapshot");
    let mut fresh = maker();
    fresh
        .restore(serde_json::from_str(&snap).expect("parses"))
        .expect("restores");
    assert!(fresh.operator_paused());
    // Older snapshots (no field) load unpaused.
    let mut v: serde_json::Value = serde_json::from_str(&snap).expect("value");
    v.as_object_mut().expect("object").remove("operator_paused");
    fresh
        .restore(serde_json::from_value(v).expect("parses"))
        .expect("restores");
    assert!(!fresh.operator_paused());

    run(&mut m, trades(i, 5));
    let text = String::from_utf8(m.finish_journal().into_inner().expect("journal")).expect("utf8");
    let ops: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .filter(|v| v["kind"] == "operator")
        .collect();
    assert_eq!(ops.len(), 1, "{ops:?}");
    assert_eq!(ops[0]["action"], "pause");
    assert_eq!(ops[0]["ok"], true);
    assert_eq!(ops[0]["params"], serde_json::json!({}));
    assert!(ops[0]["result"]
        .as_str()
        .is_some_and(|r| r.starts_with("paused: ")));
}

#[test]
fn a_halt_withdraws_the_quotes_survives_a_snapshot_and_only_a_restart_lifts_it() {
    let mut m = maker();
    let i = until_quoting(&mut m);
    m.halt("ledger mismatch");
    assert!(m.resting.is_empty(), "the quotes are withdrawn at once");
    m.halt("a second reason");
    assert_eq!(
        m.halted(),
        Some("ledger mismatch"),
        "the first reason is kept"
    );
    let placed = m.stats.orders_placed;
    run(&mut m, trades(i, 300));
    assert!(m.resting.is_empty(), "no quote while halted");
    assert_eq!(m.stats.orders_placed, placed, "nothing placed while halted");
    assert_eq!(m.status().halted.as_deref(), Some("ledger mismatch"));

    let body = serde_json::to_string(&m.snapshot()).expect("snapshot");
    let mut restarted = maker();
    restarted
        .restore(serde_json::from_str(&body).expect("parse"))
        .expect("restore");
    assert_eq!(restarted.halted(), Some("ledger mismatch"), "it survives");
    assert_eq!(
        restarted.clear_halt().as_deref(),
        Some("ledger mismatch"),
        "a restart lifts it"
    );
    run(&mut restarted, trades(i + 300, 300));
    assert!(
        restarted.stats.orders_placed > placed,
        "quoting again after the restart"
    );
    assert_eq!(restarted.status().halted, None);
}

/// Under the operator pause the hedger goes on flattening; under a halt (the state is not
/// trusted) it stops, and its passive leg is withdrawn with the quotes.
#[test]
fn a_halt_stops_the_hedger_the_pause_does_not() {
    for halt in [false, true] {
        let mut m = maker();
        let mut i = until_quoting(&mut m);
        // Until a quote fills: an inventory the hedger wants flat.
        while m.fifo.inventory().is_zero() {
            run(&mut m, trades(i, 1));
            i += 1;
            assert!(i < 5_000, "no quote ever filled");
        }
        let now = m.now;
        if halt {
            m.halt("ledger mismatch");
            assert!(m.passive.is_none(), "the passive leg is withdrawn");
        } else {
            m.operator_pause(now).expect("pause");
        }
        let placed = m.stats.orders_placed;
        run(&mut m, trades(i, 300));
        assert!(m.resting.is_empty(), "halt {halt}: no quote");
        if halt {
            assert_eq!(m.stats.orders_placed, placed, "nothing placed while halted");
        } else {
            assert!(
                m.stats.orders_placed > placed,
                "the hedger works under the pause"
            );
        }
    }
}
