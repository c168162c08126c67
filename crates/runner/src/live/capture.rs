//! [`StepCapture`]: a journal sink that forwards every record to the sink it wraps and keeps
//! what one engine step must commit — every record as a journal row, and, typed, the
//! placements (slot, role, order) and the venue events the engine applied.
//!
//! Invariant: the engine journals every venue event before applying it and every placement
//! as it sends it (`flywheel_engine::journal`), so what is captured here is exactly what the
//! step changed; [`StepCapture::take`] empties it for the next step.

use flywheel_core::{Price, Qty, Side, Timestamp};
use flywheel_engine::{JournalRecord, JournalSink};
use flywheel_grid::Role;
use flywheel_store::JournalEntry;
use flywheel_venue::{ClOrdId, VenueEvent};

/// An order the engine sent in this step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub cl_ord_id: ClOrdId,
    pub slot: u32,
    pub role: Option<Role>,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    pub ts: Timestamp,
}

/// What one step journaled.
#[derive(Debug, Default)]
pub struct Captured {
    pub journal: Vec<JournalEntry>,
    pub placements: Vec<Placement>,
    pub events: Vec<VenueEvent>,
    /// Records that could not be serialized (never expected: counted, not hidden).
    pub unserializable: u64,
}

impl Captured {
    pub fn is_empty(&self) -> bool {
        self.journal.is_empty() && self.placements.is_empty() && self.events.is_empty()
    }
}

/// Wraps a journal sink (see the module docs).
#[derive(Debug)]
pub struct StepCapture<J: JournalSink> {
    inner: J,
    step: Captured,
}

impl<J: JournalSink> StepCapture<J> {
    pub fn new(inner: J) -> Self {
        StepCapture {
            inner,
            step: Captured::default(),
        }
    }

    /// What the step captured so far; the capture starts empty again.
    pub fn take(&mut self) -> Captured {
        std::mem::take(&mut self.step)
    }

    pub fn inner(&self) -> &J {
        &self.inner
    }

    pub fn into_inner(self) -> J {
        self.inner
    }
}

/// The record's own time (every record carries `ts`).
fn record_ts(body: &serde_json::Value) -> Timestamp {
    body.get("ts")
        .and_then(serde_json::Value::as_i64)
        .map_or(Timestamp::EPOCH, Timestamp::from_millis)
}

impl<J: JournalSink> JournalSink for StepCapture<J> {
    fn enabled(&self) -> bool {
        // The store keeps every record whatever the wrapped sink wants.
        true
    }

    fn record(&mut self, rec: &JournalRecord<'_>) {
        match rec {
            JournalRecord::Placed {
                ts,
                slot,
                role,
                cl_ord_id,
                side,
                price,
                qty,
                ..
            } => {
                if let Ok(id) = ClOrdId::parse(cl_ord_id) {
                    self.step.placements.push(Placement {
                        cl_ord_id: id,
                        slot: *slot,
                        role: *role,
                        side: *side,
                        price: *price,
                        qty: *qty,
                        ts: *ts,
                    });
                }
            }
            JournalRecord::Venue { event, .. } => self.step.events.push((*event).clone()),
            _ => {}
        }
        match serde_json::to_value(rec) {
            Ok(body) => {
                let kind = body
                    .get("kind")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("unknown")
                    .to_string();
                let at = record_ts(&body);
                self.step.journal.push(JournalEntry {
                    at,
                    kind,
                    body: body.to_string(),
                });
            }
            Err(_) => self.step.unserializable += 1,
        }
        if self.inner.enabled() {
            self.inner.record(rec);
        }
    }
}
