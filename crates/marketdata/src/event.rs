//! The market events every reader produces and every consumer (simulated venue, engine)
//! reads. Prices and sizes are exact decimals; time is engine `Timestamp` (ms).

use flywheel_core::{Price, Qty, Side, Timestamp};
use serde::{Deserialize, Serialize};

/// One executed trade on the exchange.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    pub ts: Timestamp,
    pub price: Price,
    pub qty: Qty,
    /// The aggressor (taker) side, when the source records it.
    pub taker_side: Option<Side>,
}

/// One OHLC bar. `open_time` is the bar's open; the bar is complete at `close_time`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    pub open_time: Timestamp,
    pub close_time: Timestamp,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
    /// Traded base volume in the bar, when the source records it.
    pub volume: Option<Qty>,
}

/// A market data record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MarketEvent {
    Trade(Trade),
    Bar(Bar),
}

impl MarketEvent {
    /// The time at which the event is fully known (a bar: its close).
    pub fn time(&self) -> Timestamp {
        match self {
            MarketEvent::Trade(t) => t.ts,
            MarketEvent::Bar(b) => b.close_time,
        }
    }
}
