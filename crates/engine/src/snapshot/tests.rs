//! Restore refuses what it cannot resume (typed errors, the engine untouched), loads older
//! snapshots, and keeps executions so far. The byte-identical restart of whole runs is
//! `tests/snapshot_restart.rs`.

use flywheel_core::{Price, Qty, Timestamp};
use flywheel_grid::EngineConfig;
use flywheel_venue::SimExchange;
use serde_json::Value;

use super::{EngineSnapshot, RestoreError};
use crate::engine::Engine;
use crate::journal::NoJournal;

const T0: i64 = 1_700_000_000;

fn engine(slots: u32) -> Engine<SimExchange, NoJournal> {
    let grid = EngineConfig {
        slots,
        ..EngineConfig::default()
    };
    crate::test_support::sim_engine(grid, "200", "1000")
}

/// An engine that ran a few loops on a gently moving market (orders out, fills, figures).
fn busy(slots: u32) -> Engine<SimExchange, NoJournal> {
    let mut e = engine(slots);
    for i in 0..240i64 {
        let ts = Timestamp::from_secs(T0 + i * 30);
        // A saw-tooth between 0.1000 and 0.1038: entries and exits fill.
        let price: Price = format!("0.{:04}", 1000 + (i % 20) * 2)
            .parse()
            .expect("price");
        e.venue_mut()
            .on_market(&flywheel_marketdata::MarketEvent::Trade(
                flywheel_marketdata::Trade {
                    ts,
                    price,
                    qty: Qty::lit(50, 0),
                    taker_side: None,
                },
            ))
            .expect("venue");
        e.on_market(price, ts);
        e.drain_venue();
        e.run_loop(ts);
    }
    e
}

fn json(e: &Engine<SimExchange, NoJournal>) -> String {
    serde_json::to_string(&e.snapshot()).expect("serializes")
}

fn parse(text: &str) -> EngineSnapshot {
    serde_json::from_str(text).expect("parses")
}

#[test]
fn a_snapshot_of_another_slot_count_is_a_typed_error_and_changes_nothing() {
    let stored = json(&busy(3));
    // (engine slots, expected error)
    let cases = [
        (
            1,
            RestoreError::SlotCount {
                snapshot: 3,
                engine: 1,
            },
        ),
        (
            5,
            RestoreError::SlotCount {
                snapshot: 3,
                engine: 5,
            },
        ),
    ];
    for (slots, want) in cases {
        let mut e = engine(slots);
        let before = json(&e);
        assert_eq!(
            e.restore(parse(&stored)),
            Err(want.clone()),
            "{slots} slots"
        );
        assert_eq!(json(&e), before, "{slots} slots: untouched");
        let msg = want.to_string();
        assert!(
            msg.contains('3') && msg.contains(&slots.to_string()),
            "{msg}"
        );
    }
}

/// `stored` with the JSON value at `path` replaced by `f` of it.
fn edited(stored: &str, path: &[&str], f: impl FnOnce(&mut Value)) -> EngineSnapshot {
    let mut v: Value = serde_json::from_str(stored).expect("json");
    let mut at = &mut v;
    for key in path {
        at = at
            .get_mut(*key)
            .unwrap_or_else(|| panic!("no {key} in the snapshot"));
    }
    f(at);
    serde_json::from_value(v).expect("still a snapshot")
}

#[test]
fn inconsistent_snapshots_are_typed_errors_and_change_nothing() {
    let e = busy(2);
    assert!(e.orders().next().is_some(), "orders out");
    let stored = json(&e);
    let drop_one = |v: &mut Value| {
        v.as_array_mut().expect("a list").pop();
    };
    // (name, edited snapshot, expected error)
    let cases = [
        (
            "a per-slot list too short",
            edited(&stored, &["leak", "b_waiting"], drop_one),
            RestoreError::PerSlot {
                field: "leak.b_waiting",
                len: 1,
                slots: 2,
            },
        ),
        (
            "a loop list too short",
            edited(&stored, &["loop", "b_funded"], drop_one),
            RestoreError::PerSlot {
                field: "loop.b_funded",
                len: 1,
                slots: 2,
            },
        ),
        (
            "an unknown gate",
            edited(&stored, &["governance", "held_by"], |v| *v = "moon".into()),
            RestoreError::Invalid {
                field: "governance.held_by",
                reason: "`moon` is not a governor gate".into(),
            },
        ),
    ];
    for (name, snap, want) in cases {
        let mut r = engine(2);
        let before = json(&r);
        assert_eq!(r.restore(snap), Err(want), "{name}");
        assert_eq!(json(&r), before, "{name}: untouched");
    }
    // An order of a slot beyond the snapshot's.
    let (id, _) = e.orders().next().expect("an order");
    let id = id.to_string();
    let snap = edited(&stored, &["orders", id.as_str(), "slot"], |v| *v = 7.into());
    assert_eq!(
        engine(2).restore(snap),
        Err(RestoreError::OrderSlot {
            id,
            slot: 7,
            slots: 2
        })
    );
}

#[test]
fn a_restored_engine_snapshots_to_the_same_text() {
    let e = busy(3);
    let stored = json(&e);
    assert!(e.stats().orders_filled > 0, "fills happened");
    let mut r = engine(3);
    r.restore(parse(&stored)).expect("restores");
    assert_eq!(json(&r), stored);
}

#[test]
fn older_snapshots_load_and_keep_the_engines_own_values() {
    let e = busy(2);
    let full: Value = serde_json::from_str(&json(&e)).expect("json");
    // Each key added by issue 13, dropped: the rest still restores, the engine keeps its
    // own value for the part (a fresh engine's).
    for key in [
        "market",
        "loop",
        "record",
        "governance",
        "leak",
        "ancillary",
    ] {
        let mut v = full.clone();
        v.as_object_mut().expect("object").remove(key);
        let mut r = engine(2);
        let fresh: Value = serde_json::from_str(&json(&r)).expect("json");
        r.restore(serde_json::from_value(v).expect("an older snapshot parses"))
            .unwrap_or_else(|err| panic!("without {key}: {err}"));
        let back: Value = serde_json::from_str(&json(&r)).expect("json");
        assert_eq!(back[key], fresh[key], "without {key}: the fresh engine's");
        assert_eq!(back["slots"], full["slots"], "without {key}: the slots");
    }
    // The first format: slots only; tracking is rebuilt from the ids the slots hold.
    let first = serde_json::json!({ "slots": full["slots"] });
    let mut r = engine(2);
    r.restore(serde_json::from_value(first).expect("parses"))
        .expect("restores");
    let held: usize = e
        .slots()
        .iter()
        .map(|s| {
            let orders = s.state.orders.iter().filter(|o| o.txid.is_some()).count();
            let recoveries = s.state.recovery_orders.iter();
            orders + recoveries.filter(|r| r.txid.is_some()).count()
        })
        .sum();
    assert_eq!(r.orders().count(), held, "every held id followed");
}
