//! A paper or live run drives the engine by the wall clock: timer ticks arrive between market
//! events, at times that depend on the machine. The [`Driver`] runs loops at their due times
//! whatever the ticks. Checked here with ticks at arbitrary moments against a plain backtest
//! of the same events: every trading record of the journal is identical. The one difference
//! is bookkeeping: a stale stretch crossed by several ticks is journaled as several
//! `stale_loops` records (7 + 1 loops instead of 8). So a paper session's recording keeps its
//! tick times, and its replay through the backtest replays them too: then the journal is
//! byte-identical by construction (determinism), not only in its trading records.

mod common;

use std::convert::Infallible;

use flywheel_core::{Qty, Quote, Timestamp};
use flywheel_engine::{run_backtest, Driver, Engine, JournalRecord, JournalSink};
use flywheel_grid::EngineConfig;
use flywheel_marketdata::{MarketEvent, Trade};
use proptest::prelude::*;

const T0: i64 = 1_704_067_200_000;

#[derive(Debug, Default)]
struct TextJournal(Vec<String>);

impl JournalSink for TextJournal {
    fn enabled(&self) -> bool {
        true
    }
    fn record(&mut self, rec: &JournalRecord<'_>) {
        self.0
            .push(serde_json::to_string(rec).expect("journal record serializes"));
    }
}

fn engine() -> Engine<flywheel_venue::SimExchange, TextJournal> {
    let grid = EngineConfig {
        slots: 3,
        ..EngineConfig::default()
    };
    let venue = common::sim(&grid, Qty::lit(3000, 0), Quote::lit(300, 0));
    Engine::new(grid, venue, TextJournal::default())
}

/// A price path from steps in ticks of 0.0001 around 0.1, with gaps between prints (some
/// long enough for the mark to go stale).
fn events(steps: &[(i8, u32)]) -> Vec<MarketEvent> {
    let mut price: i64 = 1_000;
    let mut t = T0;
    steps
        .iter()
        .map(|(d, gap_s)| {
            price = (price + i64::from(*d)).clamp(900, 1_100);
            t += i64::from(*gap_s) * 1000 + 7;
            MarketEvent::Trade(Trade {
                ts: Timestamp::from_millis(t),
                price: flywheel_core::Price::lit(price, 4),
                qty: Qty::lit(5_000, 0),
                taker_side: None,
            })
        })
        .collect()
}

/// The journal without the records of stale stretches (`stale_loops` and the `loop_end` that
/// closes it).
fn trading(j: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip_end = false;
    for r in j {
        if r.contains("\"kind\":\"stale_loops\"") {
            skip_end = true;
            continue;
        }
        if skip_end && r.contains("\"kind\":\"loop_end\"") {
            skip_end = false;
            continue;
        }
        out.push(r.clone());
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn wall_clock_ticks_between_events_change_nothing(
        steps in prop::collection::vec((-6i8..=6, prop_oneof![1u32..40, 100u32..900]), 20..80),
        ticks in prop::collection::vec(prop::collection::vec(0u32..1000, 0..4), 80),
    ) {
        let evs = events(&steps);
        let mut straight = engine();
        run_backtest(&mut straight, evs.iter().cloned().map(Ok::<_, Infallible>), |_| {})
            .expect("backtest");

        let mut ticked = engine();
        let mut driver = Driver::new(ticked.config().loop_interval_sec);
        let mut last = T0;
        for (i, ev) in evs.iter().enumerate() {
            let t = ev.time().millis();
            // Timer ticks somewhere between the previous event and this one (per mille of
            // the gap), in order, possibly several, possibly at either end.
            let mut at: Vec<i64> = ticks[i % ticks.len()]
                .iter()
                .map(|pm| last + (t - last) * i64::from(*pm) / 1000)
                .collect();
            at.sort_unstable();
            for w in at {
                driver.advance(&mut ticked, Timestamp::from_millis(w));
            }
            driver.on_event(&mut ticked, ev).expect("venue");
            last = t;
        }
        driver.finish(&mut ticked);
        let a = &trading(&ticked.journal_mut().0);
        let b = &trading(&straight.journal_mut().0);
        if let Some(i) = (0..a.len().min(b.len())).find(|i| a[*i] != b[*i]) {
            prop_assert!(false, "first difference at {}:\n ticked:   {}\n straight: {}\n next ticked: {:?}\n next straight: {:?}", i, a[i], b[i], a.get(i + 1), b.get(i + 1));
        }
        prop_assert_eq!(a.len(), b.len());
        prop_assert!(!straight.journal_mut().0.is_empty());
    }
}
