//! Orders in flight (issue 12, the venue contract): the grid engine on a simulated venue
//! whose answers are late or lost.
//!
//! - an order whose outcome is *unknown* (its answer lost after the venue applied it) is
//!   never sent twice while unknown, and is not lost: its fill reaches its slot and the exit
//!   goes out, or reconciliation's ack makes it open;
//! - an order proven *never placed* is sent again, once, under a new id;
//! - with an ack latency every answer comes late and the run still closes clean, the grid
//!   and the maker alike, on real market data;
//! - a snapshot taken with orders in flight restores them.
//!
//! Oracles after every step: every order open at the venue is followed by exactly one slot
//! order (no double placement, no orphan), every followed open order is open at the venue,
//! and the venue has seen each id once.

mod common;

use std::collections::BTreeSet;
use std::convert::Infallible;

use flywheel_core::{Qty, Quote, Timestamp};
use flywheel_engine::config::{instrument, BacktestConfig, VenueConfig};
use flywheel_engine::maker_run::{run_maker_backtest, MakerEngine};
use flywheel_engine::{run_backtest, Engine, JournalRecord, JournalSink, NoJournal};
use flywheel_grid::EngineConfig;
use flywheel_maker::{HedgerConfig, MakerConfig};
use flywheel_marketdata::{MarketEvent, Trade};
use flywheel_venue::{Fault, OrderState, SimConfig, SimExchange, Venue};
use serde_json::Value;

const T0: i64 = 1_704_067_200_000;

#[derive(Debug, Default)]
struct VecJournal(Vec<Value>);

impl JournalSink for VecJournal {
    fn enabled(&self) -> bool {
        true
    }
    fn record(&mut self, rec: &JournalRecord<'_>) {
        self.0
            .push(serde_json::to_value(rec).expect("journal record serializes"));
    }
}

type Grid = Engine<SimExchange, VecJournal>;

/// One slot on the frictionless simulator (latency 0, strict fills) with `ack_latency_ms`.
fn grid(ack_latency_ms: u64) -> Grid {
    let cfg = EngineConfig {
        slots: 1,
        ..EngineConfig::default()
    };
    let sim = SimConfig {
        ack_latency_ms,
        ..SimConfig::frictionless()
    };
    let inst = instrument(&cfg, &VenueConfig::default()).expect("instrument");
    let start = BacktestConfig {
        start_base: Qty::lit(1000, 0),
        start_quote: Quote::lit(100, 0),
    };
    let venue = SimExchange::new(inst, sim, start.start_balances()).expect("sim");
    Engine::new(cfg, venue, VecJournal::default())
}

fn trade(s: i64, price: &str) -> MarketEvent {
    MarketEvent::Trade(Trade {
        ts: Timestamp::from_millis(T0 + s * 1000),
        price: price.parse().expect("price"),
        qty: Qty::lit(1_000_000, 0),
        taker_side: None,
    })
}

/// Prints every 10 s from `from` to `to` seconds (exclusive) at `price`.
fn flat(from: i64, to: i64, price: &str) -> Vec<MarketEvent> {
    (from..to).step_by(10).map(|s| trade(s, price)).collect()
}

fn run(e: &mut Grid, events: Vec<MarketEvent>) {
    run_backtest(e, events.into_iter().map(Ok::<_, Infallible>), |_| {}).expect("runs");
}

/// The oracles of the module docs.
fn check_orders(e: &Grid) {
    let venue_open = e.venue().open_orders();
    let mut targets = BTreeSet::new();
    for o in &venue_open {
        let t = e
            .orders()
            .find(|(id, _)| **id == o.cl_ord_id)
            .map(|(_, t)| t)
            .unwrap_or_else(|| panic!("{} is open at the venue but not followed", o.cl_ord_id));
        assert!(t.state.is_live(), "{}: {:?}", o.cl_ord_id, t.state);
        assert!(
            targets.insert((t.slot, format!("{:?}", t.target))),
            "two venue orders for slot {} {:?}",
            t.slot,
            t.target
        );
    }
    for (id, t) in e.orders() {
        if t.state == OrderState::Open {
            assert!(
                venue_open.iter().any(|o| o.cl_ord_id == *id),
                "{id} followed as open but not at the venue"
            );
        }
    }
    assert_eq!(e.venue().ids_seen() as u64, e.order_ids().issued());
    let st = e.stats();
    assert_eq!(st.untracked_executions, 0, "no execution lost");
    assert_eq!(st.venue_contradictions, 0);
    assert_eq!(st.invariant_violations, 0);
    assert_eq!(st.rejected.get("duplicate_cl_ord_id"), None);
}

/// The journal's `placed` records as (client order id, slot, local id, side, role).
fn placed(e: &mut Grid) -> Vec<(String, u64, u64, String, String)> {
    e.journal_mut()
        .0
        .iter()
        .filter(|r| r["kind"] == "placed")
        .map(|r| {
            (
                r["cl_ord_id"].as_str().unwrap_or("").to_string(),
                r["slot"].as_u64().unwrap_or(0),
                r["local_id"].as_u64().unwrap_or(0),
                r["side"].as_str().unwrap_or("").to_string(),
                r["role"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The venue events the journal saw for order `id`, by type.
fn venue_events(e: &mut Grid, id: &str) -> Vec<String> {
    e.journal_mut()
        .0
        .iter()
        .filter(|r| r["kind"] == "venue" && r["event"]["cl_ord_id"] == id)
        .map(|r| r["event"]["type"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn an_unknown_order_that_fills_is_not_lost_nor_sent_twice() {
    let mut e = grid(0);
    e.venue_mut().inject(Fault::LostAnswer {
        resolve_after_ms: 600_000,
    });
    // Bootstrap at 0.1 places the B entry (buy 0.0998) first: its answer is lost. At 150 s
    // a print through it fills it while it is still unknown.
    let mut events = flat(0, 150, "0.1");
    events.push(trade(150, "0.0990"));
    events.extend(flat(160, 300, "0.1"));
    run(&mut e, events);
    check_orders(&e);
    let placed = placed(&mut e);
    let (first, slot, local, side, role) = placed[0].clone();
    assert_eq!((side.as_str(), role.as_str()), ("buy", "entry"));
    assert_eq!(
        venue_events(&mut e, &first),
        ["unknown", "fill"],
        "unknown, then proven by its fill"
    );
    assert_eq!(
        placed
            .iter()
            .filter(|p| (p.1, p.2) == (slot, local))
            .count(),
        1,
        "the unknown entry was never sent again: {placed:?}"
    );
    // Its fill reached the slot: the B trade's exit (a sell) was sent and rests.
    let exits: Vec<_> = placed
        .iter()
        .filter(|p| p.3 == "sell" && p.4 == "exit")
        .collect();
    assert_eq!(exits.len(), 1, "{placed:?}");
    assert!(e
        .venue()
        .open_orders()
        .iter()
        .any(|o| o.cl_ord_id == exits[0].0.as_str()));
    assert_eq!(e.stats().orders_unknown, 1);
    assert_eq!(e.stats().never_placed, 0);
    assert!(e.stats().orders_filled >= 1);
}

#[test]
fn an_unknown_order_still_open_is_acked_by_reconciliation() {
    let mut e = grid(0);
    e.venue_mut().inject(Fault::LostAnswer {
        resolve_after_ms: 60_000,
    });
    run(&mut e, flat(0, 180, "0.1"));
    check_orders(&e);
    let placed = placed(&mut e);
    let (first, slot, local, ..) = placed[0].clone();
    assert_eq!(venue_events(&mut e, &first), ["unknown", "acked"]);
    assert_eq!(
        placed
            .iter()
            .filter(|p| (p.1, p.2) == (slot, local))
            .count(),
        1,
        "{placed:?}"
    );
    let state = e
        .orders()
        .find(|(id, _)| id.as_str() == first)
        .map(|(_, t)| t.state);
    assert_eq!(state, Some(OrderState::Open));
}

#[test]
fn a_lost_order_is_sent_again_once_under_a_new_id_after_it_is_proven_never_placed() {
    let mut e = grid(0);
    e.venue_mut().inject(Fault::LostOrder {
        resolve_after_ms: 120_000,
    });
    run(&mut e, flat(0, 300, "0.1"));
    check_orders(&e);
    let placed = placed(&mut e);
    let (first, slot, local, ..) = placed[0].clone();
    assert_eq!(venue_events(&mut e, &first), ["unknown", "never_placed"]);
    let again: Vec<_> = placed
        .iter()
        .filter(|p| (p.1, p.2) == (slot, local))
        .collect();
    assert_eq!(again.len(), 2, "sent once more, not every loop: {placed:?}");
    let second = &again[1].0;
    assert_ne!(*second, first, "a new id");
    // Not before the proof (120 s), and the first loop after it.
    let sent_at = e
        .journal_mut()
        .0
        .iter()
        .find(|r| r["kind"] == "placed" && r["cl_ord_id"] == second.as_str())
        .and_then(|r| r["ts"].as_i64())
        .expect("sent");
    assert_eq!(sent_at, T0 + 120_000);
    assert!(e
        .venue()
        .open_orders()
        .iter()
        .any(|o| o.cl_ord_id == second.as_str()));
    assert!(!e
        .venue()
        .open_orders()
        .iter()
        .any(|o| o.cl_ord_id == first.as_str()));
    assert_eq!((e.stats().orders_unknown, e.stats().never_placed), (1, 1));
}

#[test]
fn every_loop_keeps_the_orders_consistent_under_late_and_lost_answers() {
    // (ack latency ms, fault before the run, fault after 200 s)
    let cases = [
        (0, None, None),
        (500, None, None),
        (
            0,
            Some(Fault::LostAnswer {
                resolve_after_ms: 30_000,
            }),
            Some(Fault::LostOrder {
                resolve_after_ms: 45_000,
            }),
        ),
        (
            2_000,
            Some(Fault::LostOrder {
                resolve_after_ms: 1_000,
            }),
            Some(Fault::LostAnswer {
                resolve_after_ms: 90_000,
            }),
        ),
    ];
    for (ack, first, later) in cases {
        let mut e = grid(ack);
        if let Some(f) = first {
            e.venue_mut().inject(f);
        }
        // A saw-tooth that fills entries and exits both ways.
        let mut events = Vec::new();
        for (i, s) in (0..3_600).step_by(10).enumerate() {
            let px = ["0.1", "0.097", "0.1", "0.103"][(i / 12) % 4];
            events.push(trade(s, px));
        }
        let (head, tail) = events.split_at(20);
        run(&mut e, head.to_vec());
        check_orders(&e);
        if let Some(f) = later {
            e.venue_mut().inject(f);
        }
        run(&mut e, tail.to_vec());
        check_orders(&e);
        assert!(e.stats().round_trips > 0, "ack {ack}: trades happened");
        assert!(
            e.orders().all(|(_, t)| !t.state.in_flight() || ack > 0),
            "ack {ack}: without latency nothing stays in flight"
        );
    }
}

#[test]
fn a_snapshot_keeps_orders_in_flight_and_the_id_sequence() {
    let mut e = grid(0);
    e.venue_mut().inject(Fault::LostAnswer {
        resolve_after_ms: 60_000,
    });
    run(&mut e, flat(0, 30, "0.1"));
    let unknown: Vec<String> = e
        .orders()
        .filter(|(_, t)| t.state == OrderState::Unknown)
        .map(|(id, _)| id.to_string())
        .collect();
    assert_eq!(unknown.len(), 1, "one order in flight");
    let snap = e.snapshot();
    let json = serde_json::to_string(&snap).expect("snapshot serializes");
    let issued = e.order_ids().issued();

    // Restart: a fresh engine on the same venue resumes from the stored snapshot.
    let (venue, _) = e.into_parts();
    let cfg = EngineConfig {
        slots: 1,
        ..EngineConfig::default()
    };
    let mut r = Engine::new(cfg, venue, VecJournal::default());
    r.restore(serde_json::from_str(&json).expect("snapshot parses"))
        .expect("restores");
    assert_eq!(r.order_ids().issued(), issued, "the sequence resumes");
    let state = r
        .orders()
        .find(|(id, _)| id.as_str() == unknown[0])
        .map(|(_, t)| t.state);
    assert_eq!(
        state,
        Some(OrderState::Unknown),
        "in flight after the restart"
    );
    run(&mut r, flat(30, 120, "0.1"));
    check_orders(&r);
    let state = r
        .orders()
        .find(|(id, _)| id.as_str() == unknown[0])
        .map(|(_, t)| t.state);
    assert_eq!(state, Some(OrderState::Open), "reconciliation settled it");
    assert!(
        placed(&mut r).iter().all(|p| p.0 != unknown[0]),
        "the restarted engine did not send it again"
    );
}

#[test]
fn real_data_with_an_ack_latency_closes_clean() {
    for (name, ack) in [
        ("gemini_DOGEUSD_trades_2025-10-10.csv.gz", 300),
        ("gemini_SOLUSD_trades_2025-10-10.csv.gz", 2_000),
    ] {
        let Some(path) = common::data_file(name) else {
            continue;
        };
        let sim = SimConfig {
            ack_latency_ms: ack,
            ..VenueConfig::default().sim()
        };
        let start = BacktestConfig::default().start_balances();
        // The grid, 10 slots.
        let cfg = EngineConfig {
            slots: 10,
            ..EngineConfig::default()
        };
        let inst = instrument(&cfg, &VenueConfig::default()).expect("instrument");
        let venue = SimExchange::new(inst, sim.clone(), start).expect("sim");
        let mut e = Engine::new(cfg, venue, NoJournal);
        let reader = flywheel_marketdata::open(&path).expect("data");
        run_backtest(&mut e, reader, |_| {}).expect("runs");
        let st = e.stats();
        assert!(st.round_trips > 0, "{name}: the grid traded");
        assert_eq!(
            (
                st.invariant_violations,
                st.volume_drift,
                st.venue_contradictions
            ),
            (0, 0, 0),
            "{name}"
        );
        assert_eq!(st.untracked_executions, st.cancel_race_fills, "{name}");
        assert_eq!(
            e.venue().ids_seen() as u64,
            e.order_ids().issued(),
            "{name}"
        );
        assert_eq!(st.rejected.get("duplicate_cl_ord_id"), None, "{name}");
        let ledger = flywheel_engine::stats::ledger_reconciles(
            &start,
            &e.venue().balances(),
            (st.base_bought, st.base_sold),
            (st.quote_received, st.quote_spent),
            st.fees_paid,
        );
        assert!(ledger, "{name}: the grid's flows reconcile with the venue");
        // The maker with its SOL defaults.
        let mcfg = MakerConfig::default();
        let inst = mcfg.instrument("SOL/USD").expect("instrument");
        let venue = SimExchange::new(inst, sim, start).expect("sim");
        let mut m = MakerEngine::new(mcfg, HedgerConfig::default(), venue);
        let reader = flywheel_marketdata::open(&path).expect("data");
        run_maker_backtest(&mut m, reader).expect("runs");
        let st = &m.stats;
        assert_eq!((st.fifo_errors, st.venue_contradictions), (0, 0), "{name}");
        assert_eq!(
            m.venue().ids_seen() as u64,
            m.order_ids().issued(),
            "{name}"
        );
        assert_eq!(st.rejected.get("duplicate_cl_ord_id"), None, "{name}");
        let ledger = flywheel_engine::stats::ledger_reconciles(
            &start,
            &m.venue().balances(),
            (st.base_bought, st.base_sold),
            (st.quote_received, st.quote_spent),
            st.fees_paid,
        );
        assert!(ledger, "{name}: the maker's flows reconcile with the venue");
        // Every order the venue holds is one the maker follows.
        for o in m.venue().open_orders() {
            assert!(
                m.order_states()
                    .any(|(id, s)| *id == o.cl_ord_id && s.is_live()),
                "{name}: {} open but not followed",
                o.cl_ord_id
            );
        }
    }
}
