//! The backtest driver: feeds recorded market data to a simulated venue and the engine, and
//! runs the loop timer on the data's clock ([`Driver`]). Nothing here is visible to the
//! engine; paper and live runs use the same [`Driver`] with the wall clock, so a recorded
//! session replays through the backtest step for step.
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

/// The clock side of a run, shared by the backtest and the paper and live drivers so that a
/// session replayed through the backtest sees exactly the same steps in the same order.
///
/// Invariants:
/// - loops run at their due times `first + k·interval`, never at the time they happen to be
///   noticed: a loop due at `d` runs before any event at `t > d` and after every event at
///   `t ≤ d` (an event and a loop at the same instant: the event first);
/// - the first loop runs at the first event's time;
/// - a stretch of loops over a stale mark runs as one (`Engine::run_stale_loops`, identical
///   in effect to running them one by one).
#[derive(Clone, Debug)]
pub struct Driver {
    interval_ms: i64,
    next_loop: Option<Timestamp>,
    stats: DataStats,
}

impl Driver {
    /// A driver for loops every `loop_interval_sec` seconds.
    pub fn new(loop_interval_sec: u64) -> Self {
        Driver {
            interval_ms: i64::try_from(loop_interval_sec)
                .unwrap_or(i64::MAX / 2)
                .saturating_mul(1000)
                .max(1),
            next_loop: None,
            stats: DataStats::default(),
        }
    }

    pub fn stats(&self) -> DataStats {
        self.stats
    }

    /// When the next loop is due (`None` before the first event).
    pub fn next_loop(&self) -> Option<Timestamp> {
        self.next_loop
    }

    /// Run every loop due strictly before `t`: time has reached `t` (an event at `t`, or the
    /// wall clock in a live run).
    pub fn advance<V: Venue, J: JournalSink>(&mut self, engine: &mut Engine<V, J>, t: Timestamp) {
        let Some(mut due) = self.next_loop else {
            return;
        };
        while due < t {
            if engine.mark_stale_at(due) {
                // Every loop from here to `t` sees the same stale mark: cross the gap at
                // once, however long it is.
                let n = (t.millis() - 1 - due.millis()) / self.interval_ms + 1;
                engine.run_stale_loops(due, n as u64, self.interval_ms);
                due = Timestamp::from_millis(
                    due.millis()
                        .saturating_add(n.saturating_mul(self.interval_ms)),
                );
                break;
            }
            engine.run_loop(due);
            due = Timestamp::from_millis(due.millis() + self.interval_ms);
        }
        self.next_loop = Some(due);
    }

    /// One market event at its time, on a venue that matches market data itself: the loops
    /// due before it, then the venue matches it, the engine takes the new mark and applies
    /// the executions.
    pub fn on_event<V: SimulatedVenue, J: JournalSink>(
        &mut self,
        engine: &mut Engine<V, J>,
        ev: &MarketEvent,
    ) -> Result<(), String> {
        let t = ev.time();
        self.advance(engine, t);
        engine
            .venue_mut()
            .on_market(ev)
            .map_err(|e| e.to_string())?;
        self.after_market(engine, event_price(ev), t);
        Ok(())
    }

    /// A new mark at `t` on a venue that matches by itself (a live exchange): the loops due
    /// before it, then the mark and whatever executions arrived.
    pub fn on_mark<V: Venue, J: JournalSink>(
        &mut self,
        engine: &mut Engine<V, J>,
        price: Price,
        t: Timestamp,
    ) {
        self.advance(engine, t);
        self.after_market(engine, price, t);
    }

    fn after_market<V: Venue, J: JournalSink>(
        &mut self,
        engine: &mut Engine<V, J>,
        price: Price,
        t: Timestamp,
    ) {
        engine.on_market(price, t);
        engine.drain_venue();
        if self.next_loop.is_none() {
            engine.run_loop(t);
            self.next_loop = Some(Timestamp::from_millis(t.millis() + self.interval_ms));
        }
        self.stats.events += 1;
        self.stats.first_ts.get_or_insert(t);
        self.stats.last_ts = Some(t);
    }

    /// The end of the data: a closing loop at the last event settles what the final events
    /// triggered.
    pub fn finish<V: Venue, J: JournalSink>(&mut self, engine: &mut Engine<V, J>) {
        if let (Some(last), Some(due)) = (self.stats.last_ts, self.next_loop) {
            if due > last {
                engine.run_loop(last);
            }
        }
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
    let mut driver = Driver::new(engine.config().loop_interval_sec);
    for ev in events {
        let ev = ev.map_err(BacktestError::Data)?;
        driver.on_event(engine, &ev).map_err(BacktestError::Venue)?;
        let n = driver.stats().events;
        if n.is_multiple_of(65_536) {
            progress(n);
        }
    }
    driver.finish(engine);
    Ok(driver.stats())
}
