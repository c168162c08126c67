//! An entry refused on arrival: with an order latency the market can move while a post-only
//! entry travels, and the venue refuses it when it reaches the book (a `rejected` event,
//! not an error from `place`). The engine must treat that like a refusal at placement: the
//! entry is re-priced at the next timer, never re-sent at its old price (which the venue
//! refused again every loop: 28 times in 14 minutes on the Coinbase day).

mod common;

use std::convert::Infallible;

use flywheel_core::{Price, Qty, Quote, Timestamp};
use flywheel_engine::{run_backtest, Engine, JournalRecord, JournalSink};
use flywheel_grid::EngineConfig;
use flywheel_marketdata::{MarketEvent, Trade};
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

fn trade(ms: i64, price: &str) -> MarketEvent {
    MarketEvent::Trade(Trade {
        ts: Timestamp::from_millis(T0 + ms),
        price: price.parse().expect("price"),
        qty: Qty::lit(1_000_000, 0),
        taker_side: None,
    })
}

#[test]
fn an_entry_refused_on_arrival_is_repriced_not_resent() {
    let grid = EngineConfig {
        slots: 1,
        ..EngineConfig::default()
    };
    let venue = common::sim(&grid, Qty::lit(1000, 0), Quote::lit(100, 0));
    assert!(venue.config().latency_ms > 0, "the default has a latency");
    let mut e = Engine::new(grid, venue, VecJournal::default());
    // The first loop (at 0) places the B entry at 0.0998; 100 ms later the market prints
    // 0.0990, so when the entry arrives (200 ms) a post-only buy at 0.0998 would take.
    // Then the market stays at 0.0990 for ten minutes of loops.
    let mut events = vec![trade(0, "0.1"), trade(100, "0.0990")];
    events.extend((1..=20).map(|i| trade(i * 30_000, "0.0990")));
    run_backtest(&mut e, events.into_iter().map(Ok::<_, Infallible>), |_| {}).expect("runs");
    let records = &e.journal_mut().0;
    let rejected: Vec<&Value> = records
        .iter()
        .filter(|r| r["kind"] == "venue" && r["event"]["type"] == "rejected")
        .collect();
    assert_eq!(
        rejected.len(),
        1,
        "refused once, not every loop: {rejected:?}"
    );
    let buys: Vec<(&str, &str)> = records
        .iter()
        .filter(|r| r["kind"] == "placed" && r["role"] == "entry" && r["side"] == "buy")
        .map(|r| {
            (
                r["price"].as_str().unwrap_or(""),
                r["source"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(buys.first().map(|b| b.0), Some("0.0998"), "{buys:?}");
    let repriced: Price = "0.098802".parse().expect("price"); // 0.0990 × (1 − 0.2 %)
    assert!(
        buys.iter().skip(1).any(|b| b.0 == repriced.to_string()),
        "the refused entry comes back at the market: {buys:?}"
    );
    assert!(
        buys.iter().skip(1).all(|b| b.0 != "0.0998"),
        "never re-sent at the refused price: {buys:?}"
    );
}
