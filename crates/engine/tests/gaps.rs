//! Gaps in market data: crossed in O(1), with the same result as running every loop.
//!
//! The backtest driver runs every loop of a stale stretch at once
//! (`Engine::run_stale_loops`). These tests drive a second engine the slow way — one
//! `run_loop` per loop interval — and require the same summary, samples and counters.

mod common;

use std::convert::Infallible;

use flywheel_core::{Price, Qty, Quote, Timestamp};
use flywheel_engine::backtest::event_price;
use flywheel_engine::{run_backtest, Engine, NoJournal, Summary};
use flywheel_grid::EngineConfig;
use flywheel_marketdata::{MarketEvent, Trade};
use flywheel_venue::{SimExchange, Venue};
use proptest::prelude::*;
use serde_json::Value;

/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200_000;

fn engine(grid: EngineConfig) -> Engine<SimExchange, NoJournal> {
    let sim = common::default_sim(&grid);
    Engine::new(grid, sim, NoJournal)
}

fn trade(t: i64, price: Price) -> MarketEvent {
    MarketEvent::Trade(Trade {
        ts: Timestamp::from_millis(t),
        price,
        qty: Qty::from_int(100_000).expect("qty"),
        taker_side: None,
    })
}

/// The driver without the gap shortcut: every loop runs on its own.
fn run_loop_by_loop(e: &mut Engine<SimExchange, NoJournal>, events: &[MarketEvent]) {
    let interval = e.config().loop_interval_sec as i64 * 1000;
    let mut next: Option<i64> = None;
    let mut last = None;
    for ev in events {
        let t = ev.time().millis();
        if let Some(mut due) = next {
            while due < t {
                e.run_loop(Timestamp::from_millis(due));
                due += interval;
            }
            next = Some(due);
        }
        e.venue_mut().on_market(ev).expect("venue");
        e.on_market(event_price(ev), ev.time());
        e.drain_venue();
        if next.is_none() {
            e.run_loop(ev.time());
            next = Some(t + interval);
        }
        last = Some(t);
    }
    if let (Some(last), Some(due)) = (last, next) {
        if due > last {
            e.run_loop(Timestamp::from_millis(last));
        }
    }
}

/// The summary as JSON, without what may differ: wall time, and the f64 means (a stretch
/// adds `n × v` where loop by loop adds `v` n times; both are compared with a tolerance).
fn comparable(mut v: Value) -> (Value, [f64; 4]) {
    let o = v.as_object_mut().expect("object");
    o.remove("run");
    let mut take = |section: &str, key: &str| {
        o[section]
            .as_object_mut()
            .expect(section)
            .remove(key)
            .and_then(|x| x.as_f64())
            .unwrap_or(0.0)
    };
    let means = [
        take("idle_usd", "mean_ratio"),
        take("rebalancer", "mean_abs_error"),
        take("idle_usd", "free_quote_not_committed_mean_share"),
        take("idle_usd", "free_quote_beyond_runway_mean_share"),
    ];
    (v, means)
}

fn summary(e: &Engine<SimExchange, NoJournal>, events: &[MarketEvent]) -> Value {
    let data = flywheel_engine::backtest::DataStats {
        events: events.len() as u64,
        first_ts: events.first().map(MarketEvent::time),
        last_ts: events.last().map(MarketEvent::time),
    };
    let first = events.first().map(event_price).unwrap_or(Price::ZERO);
    serde_json::to_value(Summary::build(e, vec!["gaps".into()], &data, first)).expect("json")
}

#[test]
fn a_file_spanning_1970_to_9999_finishes_at_once() {
    // Two prints eight thousand years apart: 8e10 loops of 30 s, crossed as one stretch.
    let events = [
        trade(0, Price::lit(1, 1)),
        trade(253_402_300_799_000, Price::lit(1, 1)),
    ];
    let mut e = engine(EngineConfig::default());
    let data = run_backtest(
        &mut e,
        events.iter().cloned().map(Ok::<_, Infallible>),
        |_| {},
    )
    .expect("runs");
    assert_eq!(data.events, 2);
    let loops = e.loops();
    assert!(loops > 8_000_000_000, "{loops} loops");
    let fresh = loops - e.stats().stale_loops;
    // The first loop and the two after it (the mark is fresh for 60 s), and the closing one.
    assert_eq!(fresh, 4, "fresh loops: only those next to the two prints");
    assert!(e.samples().len() <= 2000, "samples stay bounded");
}

fn case_strategy() -> impl Strategy<Value = (Vec<(i64, i64)>, u64, bool)> {
    (
        prop::collection::vec(
            (
                prop::sample::select(vec![
                    1i64, 5_000, 30_000, 61_000, 600_000, 3_600_000, 20_000_000,
                ]),
                -300i64..=300,
            ),
            2..80,
        ),
        prop::sample::select(vec![5u64, 30, 60]),
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn stretches_equal_loop_by_loop((steps, loop_sec, governor) in case_strategy()) {
        let mut t = T0;
        let mut price: i64 = 100_000_000; // 0.1
        let events: Vec<MarketEvent> = steps
            .iter()
            .map(|&(gap, step)| {
                t += gap;
                price = (price + price * step / 10_000).max(1_000_000);
                trade(t, Price::from_raw(price))
            })
            .collect();
        let grid = EngineConfig { slots: 4, loop_interval_sec: loop_sec, ..EngineConfig::default() };
        let gov = flywheel_governor::GovernorConfig { enabled: governor, ..Default::default() };
        let mut fast = engine(grid.clone()).with_governor(gov.clone());
        run_backtest(&mut fast, events.iter().cloned().map(Ok::<_, Infallible>), |_| {})
            .expect("runs");
        let mut slow = engine(grid).with_governor(gov);
        run_loop_by_loop(&mut slow, &events);
        prop_assert_eq!(fast.loops(), slow.loops());
        let (a, means_a) = comparable(summary(&fast, &events));
        let (b, means_b) = comparable(summary(&slow, &events));
        prop_assert_eq!(a, b);
        for (x, y) in means_a.iter().zip(means_b) {
            prop_assert!((x - y).abs() < 1e-9, "{} vs {}", x, y);
        }
        let samples = |e: &Engine<SimExchange, NoJournal>| serde_json::to_string(e.samples()).expect("json");
        prop_assert_eq!(samples(&fast), samples(&slow));
        prop_assert_eq!(fast.venue().balances(), slow.venue().balances());
    }
}

/// A year of 1-second loops at 10 million idle quote: the per-loop sums (idle USD and its
/// attribution) reach ~3 × 10¹⁴, far past a single `Quote`, and must stay exact.
#[test]
fn a_year_of_one_second_loops_at_ten_million_quote() {
    let grid = EngineConfig {
        loop_interval_sec: 1,
        ..EngineConfig::default()
    };
    let sim = common::sim(&grid, Qty::ZERO, Quote::lit(10_000_000, 0));
    let mut e = Engine::new(grid, sim, NoJournal);
    let year_ms = 365 * 86_400_000;
    let events = [
        trade(T0, Price::lit(1, 1)),
        trade(T0 + year_ms, Price::lit(1, 1)),
    ];
    run_backtest(
        &mut e,
        events.iter().cloned().map(Ok::<_, Infallible>),
        |_| {},
    )
    .expect("runs");
    assert!(e.loops() >= 31_536_000, "{} loops", e.loops());
    let totals = e.leak_totals();
    let sum = totals.attribution_sum.idle_usd;
    assert!(
        sum.to_fixed().is_err(),
        "the sum ({sum}) is beyond a single Quote, as the test intends"
    );
    let mean = totals.attribution_mean().idle_usd;
    assert!(
        mean > "9000000".parse().expect("quote"),
        "most of the quote sits idle on average: {mean}"
    );
}
