//! Operator commands on the grid: the pause stops entries and nothing else, cancelling
//! entries leaves exits, settings keep the governor's state, everything is journaled and the
//! pause survives a snapshot.

use flywheel_core::{Price, Qty, Timestamp};
use flywheel_grid::{EngineConfig, Role};
use flywheel_marketdata::{MarketEvent, Trade};
use flywheel_venue::SimExchange;

use super::{OperatorParams, Setting};
use crate::config::{instrument, BacktestConfig, VenueConfig};
use crate::engine::{Engine, RunMode};
use crate::journal::{JournalSink, JsonLines, NoJournal};

const T0: i64 = 1_700_000_000;

fn engine_with<J: JournalSink>(slots: u32, journal: J) -> Engine<SimExchange, J> {
    let grid = EngineConfig {
        slots,
        ..EngineConfig::default()
    };
    let venue = VenueConfig::default();
    let bt = BacktestConfig {
        start_base: "1000".parse().expect("base"),
        start_quote: "200".parse().expect("quote"),
    };
    let inst = instrument(&grid, &venue).expect("instrument");
    let sim = SimExchange::new(inst, venue.sim(), bt.start_balances()).expect("sim");
    Engine::new(grid, sim, journal)
}

fn engine(slots: u32) -> Engine<SimExchange, NoJournal> {
    engine_with(slots, NoJournal)
}

fn at(i: i64) -> Timestamp {
    Timestamp::from_secs(T0 + i * 30)
}

/// The saw-tooth between 0.1000 and 0.1038 the snapshot tests use: entries and exits fill.
fn saw(i: i64) -> Price {
    format!("0.{:04}", 1000 + (i % 20) * 2)
        .parse()
        .expect("price")
}

/// One print at `price` at loop `i`, then the loop.
fn feed<J: JournalSink>(e: &mut Engine<SimExchange, J>, i: i64, price: Price) {
    let ts = at(i);
    e.venue_mut()
        .on_market(&MarketEvent::Trade(Trade {
            ts,
            price,
            qty: Qty::lit(50, 0),
            taker_side: None,
        }))
        .expect("venue");
    e.on_market(price, ts);
    e.drain_venue();
    e.run_loop(ts);
}

/// Slot orders of `role` resting at the venue (sent under an id).
fn resting<J: JournalSink>(e: &Engine<SimExchange, J>, role: Role) -> usize {
    e.slots
        .iter()
        .flat_map(|s| &s.state.orders)
        .filter(|o| o.role == role && o.txid.is_some())
        .count()
}

/// Run the saw-tooth from loop `from` until an exit rests (a filled entry), at most 400.
fn until_an_exit_rests(e: &mut Engine<SimExchange, NoJournal>) -> i64 {
    for i in 0..400 {
        feed(e, i, saw(i));
        if resting(e, Role::Exit) > 0 && resting(e, Role::Entry) > 0 {
            return i + 1;
        }
    }
    panic!("no exit rested in 400 loops of the saw-tooth");
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Pause,
    Resume,
    CancelEntries,
    /// `n` loops at an unchanged price.
    Loops(i64),
}

#[test]
fn pause_resume_and_cancel_entries() {
    struct Case {
        name: &'static str,
        /// Start from an engine with an exit and entries resting (else a fresh one).
        busy: bool,
        ops: &'static [Op],
        want_entries: fn(usize) -> bool,
        /// Exits resting after the ops equal those before them.
        exits_kept: bool,
    }
    let cases = [
        Case {
            name: "a paused fresh engine bootstraps nothing",
            busy: false,
            ops: &[Op::Pause, Op::Loops(3)],
            want_entries: |n| n == 0,
            exits_kept: true,
        },
        Case {
            name: "resume lets the bootstrap place entries",
            busy: false,
            ops: &[Op::Pause, Op::Loops(2), Op::Resume, Op::Loops(1)],
            want_entries: |n| n > 0,
            exits_kept: true,
        },
        Case {
            name: "paused, entries cancelled: only exits rest, loops after place none",
            busy: true,
            ops: &[Op::Pause, Op::CancelEntries, Op::Loops(5)],
            want_entries: |n| n == 0,
            exits_kept: true,
        },
        Case {
            name: "entries cancelled while running come back at the next loop",
            busy: true,
            ops: &[Op::CancelEntries, Op::Loops(1)],
            want_entries: |n| n > 0,
            exits_kept: true,
        },
        Case {
            name: "paused, cancelled, resumed: entries come back",
            busy: true,
            ops: &[
                Op::Pause,
                Op::CancelEntries,
                Op::Loops(2),
                Op::Resume,
                Op::Loops(1),
            ],
            want_entries: |n| n > 0,
            exits_kept: true,
        },
    ];
    for case in cases {
        let mut e = engine(2);
        let mut i = if case.busy {
            until_an_exit_rests(&mut e)
        } else {
            0
        };
        let price = if case.busy { saw(i - 1) } else { saw(0) };
        let exits_before = resting(&e, Role::Exit);
        let fills_before = e.stats().orders_filled;
        for op in case.ops {
            match *op {
                Op::Pause => {
                    e.operator_pause(at(i)).expect("pause");
                }
                Op::Resume => {
                    e.operator_resume(at(i)).expect("resume");
                }
                Op::CancelEntries => {
                    e.cancel_entries(at(i)).expect("cancel");
                    assert_eq!(resting(&e, Role::Entry), 0, "{}: after cancel", case.name);
                }
                Op::Loops(n) => {
                    for _ in 0..n {
                        feed(&mut e, i, price);
                        i += 1;
                    }
                }
            }
        }
        let entries = resting(&e, Role::Entry);
        assert!(
            (case.want_entries)(entries),
            "{}: {entries} entries resting",
            case.name
        );
        if case.exits_kept {
            assert_eq!(
                resting(&e, Role::Exit),
                exits_before,
                "{}: exits resting (fills before {fills_before}, after {})",
                case.name,
                e.stats().orders_filled
            );
        }
        assert_eq!(e.mode(), &RunMode::Running, "{}: no halt", case.name);
        assert_eq!(
            e.stats().invariant_violations,
            0,
            "{}: no invariant breach",
            case.name
        );
    }
}

#[test]
fn the_operator_pause_and_the_loss_lock_are_apart() {
    let mut e = engine(2);
    e.operator_pause(at(0)).expect("pause");
    e.mode = RunMode::Paused("daily loss limit hit: test".into());
    let msg = e.operator_resume(at(0)).expect("resume");
    assert!(!e.operator_paused());
    assert!(msg.contains("loss lock"), "{msg}");
    assert!(
        matches!(e.mode(), RunMode::Paused(_)),
        "the lock still holds"
    );
    assert!(!e.entries_allowed());
}

#[test]
fn set_changes_the_governor_and_keeps_its_state() {
    struct Case {
        name: &'static str,
        setting: Setting,
        check: fn(&flywheel_governor::GovernorConfig) -> bool,
    }
    let cases = [
        Case {
            name: "kp",
            setting: Setting::RebalanceKp(3.5),
            check: |c| c.kp == 3.5,
        },
        Case {
            name: "kd",
            setting: Setting::RebalanceKd(0.25),
            check: |c| c.kd == 0.25,
        },
        Case {
            name: "target",
            setting: Setting::RebalanceTargetIdlePct(0.2),
            check: |c| c.target_idle_pct == 0.2,
        },
        Case {
            name: "disable",
            setting: Setting::RebalanceEnabled(false),
            check: |c| !c.enabled,
        },
    ];
    for case in cases {
        let mut e = engine(2);
        for i in 0..60 {
            feed(&mut e, i, saw(i));
        }
        let state = e.governor.state.clone();
        let mult = e.governor.mult;
        let before = e.governor.cfg.clone();
        let raw = case.setting.value();
        e.apply_setting(at(60), &case.setting, &raw)
            .unwrap_or_else(|m| panic!("{}: refused: {m}", case.name));
        assert!((case.check)(e.governor_config()), "{}", case.name);
        assert_ne!(e.governor.cfg, before, "{}: changed", case.name);
        assert_eq!(
            e.governor.state, state,
            "{}: controller state kept",
            case.name
        );
        assert_eq!(e.governor.mult, mult, "{}: multipliers kept", case.name);
        assert!(
            e.governor.stats.updates > 0,
            "{}: the governor ran",
            case.name
        );
    }
}

#[test]
fn a_maker_key_is_refused_on_the_grid() {
    let mut e = engine(1);
    let before = e.governor.cfg.clone();
    let err = e
        .apply_setting(at(0), &Setting::MakerSpreadBps(9.0), "9")
        .expect_err("refused");
    assert!(err.contains("rebalance.kp"), "lists the grid's keys: {err}");
    assert_eq!(e.governor.cfg, before);
}

#[test]
fn commands_are_journaled_as_operator_records() {
    let mut e = engine_with(1, JsonLines::new(Vec::new()));
    e.operator_pause(at(0)).expect("pause");
    e.apply_setting(at(1), &Setting::RebalanceKp(2.5), "2.5")
        .expect("set");
    e.journal_operator(
        at(1),
        "set",
        &OperatorParams::set("grid.slots", "3"),
        Err("grid.slots is not settable"),
    );
    let (_, j) = e.into_parts();
    let text = String::from_utf8(j.into_inner().expect("journal")).expect("utf8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let want = [
        serde_json::json!({"kind": "operator", "ts": at(0).millis(), "action": "pause",
            "params": {}, "ok": true, "result": "paused: no new entries; exits and fills go on"}),
        serde_json::json!({"kind": "operator", "ts": at(1).millis(), "action": "set",
            "params": {"key": "rebalance.kp", "value": "2.5"}, "ok": true,
            "result": "rebalance.kp = 2.5"}),
        serde_json::json!({"kind": "operator", "ts": at(1).millis(), "action": "set",
            "params": {"key": "grid.slots", "value": "3"}, "ok": false,
            "result": "grid.slots is not settable"}),
    ];
    assert_eq!(lines, want);
}

#[test]
fn the_pause_survives_a_snapshot_and_older_snapshots_are_not_paused() {
    for paused in [true, false] {
        let mut e = engine(2);
        for i in 0..10 {
            feed(&mut e, i, saw(i));
        }
        if paused {
            e.operator_pause(at(10)).expect("pause");
        }
        let text = serde_json::to_string(&e.snapshot()).expect("snapshot");
        let mut fresh = engine(2);
        fresh
            .restore(serde_json::from_str(&text).expect("parses"))
            .expect("restores");
        assert_eq!(fresh.operator_paused(), paused, "paused = {paused}");
        assert_eq!(fresh.status().paused, paused);
        let again = serde_json::to_string(&fresh.snapshot()).expect("snapshot");
        assert_eq!(again, text, "round trip, paused = {paused}");
    }
    // A snapshot written before the field existed.
    let mut e = engine(2);
    e.operator_pause(at(0)).expect("pause");
    let mut v = serde_json::to_value(e.snapshot()).expect("value");
    v.as_object_mut().expect("object").remove("operator_paused");
    e.restore(serde_json::from_value(v).expect("parses"))
        .expect("restores");
    assert!(!e.operator_paused());
}
