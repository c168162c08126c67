//! The backtest driver: feeds recorded market data to a simulated venue and the engine, and
//! runs the loop timer on the data's clock. Nothing here is visible to the engine: paper and
//! live drivers replace this file, not the engine.
//!
//! Per market event at time `t`: first every loop due before `t` runs (the engine sees the
//! world as it was), then the venue matches the event, the engine takes the new mark and
//! applies the executions. The first loop runs at the first event's time.
//!
//! A gap in the data costs O(1): once the mark is stale, every loop up to the next event
//! would see the same stale mark, so they run as one stretch (`Engine::run_stale_loops`,
//! identical in effect to running them one by one).

use flywheel_core::{Price, Timestamp};
use flywheel_marketdata::MarketEvent;
use flywheel_venue::Venue;
use serde::Serialize;

use crate::engine::Engine;
use crate::journal::JournalSink;

/// A venue that consumes market data itself (the simulated exchange).
pub trait SimulatedVenue: Venue {
    type Error: std::fmt::Display;
    fn on_market(&mut self, ev: &MarketEvent) -> Result<(), Self::Error>;
}

impl SimulatedVenue for flywheel_venue::SimExchange {
    type Error = flywheel_venue::SimError;
    fn on_market(&mut self, ev: &MarketEvent) -> Result<(), Self::Error> {
        flywheel_venue::SimExchange::on_market(self, ev)
    }
}

/// Why a backtest stopped early.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError<E: std::fmt::Display> {
    /// The market data could not be read (the error names the file and line).
    #[error("{0}")]
    Data(E),
    /// The simulated venue failed (a broken ledger invariant): the run cannot be trusted.
    #[error("simulated venue: {0}")]
    Venue(String),
}

/// What the driver saw of the data.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct DataStats {
    pub events: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
}

/// The mark price an event sets: the trade price, or a bar's close.
pub fn event_price(ev: &MarketEvent) -> Price {
    match ev {
        MarketEvent::Trade(t) => t.price,
        MarketEvent::Bar(b) => b.close,
    }
}

/// Run the engine over `events`. `progress` is called every 65 536 events with the count.
/// A data error stops the run and is returned as is (it names the file and line).
pub fn run_backtest<V, J, E, I>(
    engine: &mut Engine<V, J>,
    events: I,
    mut progress: impl FnMut(u64),
) -> Result<DataStats, BacktestError<E>>
where
    V: SimulatedVenue,
    J: JournalSink,
    E: std::fmt::Display,
    I: IntoIterator<Item = Result<MarketEvent, E>>,
{
    let interval = i64::try_from(engine.config().loop_interval_sec)
        .unwrap_or(i64::MAX / 2)
        .saturating_mul(1000)
        .max(1);
    let mut stats = DataStats::default();
    let mut next_loop: Option<Timestamp> = None;
    for ev in events {
        let ev = ev.map_err(BacktestError::Data)?;
        let t = ev.time();
        if let Some(mut due) = next_loop {
            while due < t {
                if engine.mark_stale_at(due) {
                    // Every loop from here to the event sees the same stale mark: cross
                    // the gap at once, however long it is.
                    let n = (t.millis() - 1 - due.millis()) / interval + 1;
                    engine.run_stale_loops(due, n as u64, interval);
                    due = Timestamp::from_millis(
                        due.millis().saturating_add(n.saturating_mul(interval)),
                    );
                    break;
                }
                engine.run_loop(due);
                due = Timestamp::from_millis(due.millis() + interval);
            }
            next_loop = Some(due);
        }
        engine
            .venue_mut()
            .on_market(&ev)
            .map_err(|e| BacktestError::Venue(e.to_string()))?;
        engine.on_market(event_price(&ev), t);
        engine.drain_venue();
        if next_loop.is_none() {
            engine.run_loop(t);
            next_loop = Some(Timestamp::from_millis(t.millis() + interval));
        }
        stats.events += 1;
        stats.first_ts.get_or_insert(t);
        stats.last_ts = Some(t);
        if stats.events % 65_536 == 0 {
            progress(stats.events);
        }
    }
    if let (Some(last), Some(due)) = (stats.last_ts, next_loop) {
        // A closing loop at the last event settles what the final events triggered.
        if due > last {
            engine.run_loop(last);
        }
    }
    Ok(stats)
}
