//! One structured log line per order event (tracing, target `flywheel::orders`), with the
//! slot, the role and the `cl_ord_id`: placements, refusals, the venue's news (ack, fill,
//! end, rejection, unknown, never placed, refused cancel), failed cancels and executions no
//! slot could take. A journal sink that forwards every record to the sink it wraps, so the
//! journal is unchanged.
//!
//! Invariant: the slot and role of a venue event come from its placement (`cl_ord_id` →
//! slot, role); an event of an order this run did not place logs `slot=-`.

use std::collections::HashMap;

use flywheel_engine::{JournalRecord, JournalSink};
use flywheel_venue::VenueEvent;

use crate::live::capture::grid_role;

/// Wraps a journal sink and logs order events.
#[derive(Debug)]
pub struct OrderLog<J: JournalSink> {
    inner: J,
    placed: HashMap<String, (u32, &'static str)>,
}

impl<J: JournalSink> OrderLog<J> {
    pub fn new(inner: J) -> Self {
        OrderLog {
            inner,
            placed: HashMap::new(),
        }
    }

    pub fn into_inner(self) -> J {
        self.inner
    }

    fn whose(&self, id: &str) -> (String, &'static str) {
        self.placed
            .get(id)
            .map_or(("-".to_string(), "-"), |(s, r)| (s.to_string(), *r))
    }
}

impl<J: JournalSink> JournalSink for OrderLog<J> {
    fn enabled(&self) -> bool {
        // Records are built for the log even when the wrapped sink keeps none.
        true
    }

    fn record(&mut self, rec: &JournalRecord<'_>) {
        match rec {
            JournalRecord::Placed {
                slot,
                role,
                cl_ord_id,
                side,
                price,
                qty,
                ..
            } => {
                let role = grid_role(*role);
                self.placed.insert((*cl_ord_id).to_string(), (*slot, role));
                tracing::info!(target: "flywheel::orders", slot, role, cl_ord_id, side = side.as_str(), %price, %qty, "placed");
            }
            JournalRecord::PlaceRejected {
                slot, role, reason, ..
            } => {
                tracing::warn!(target: "flywheel::orders", slot, role = ?role, reason, "place refused");
            }
            JournalRecord::CancelFailed {
                slot,
                cl_ord_id,
                reason,
                ..
            } => {
                let (_, role) = self.whose(cl_ord_id);
                tracing::warn!(target: "flywheel::orders", slot, role, cl_ord_id, reason = reason.name(), "cancel failed");
            }
            JournalRecord::Venue { event, .. } => {
                let id = event.cl_ord_id().as_str();
                let (slot, role) = self.whose(id);
                match event {
                    VenueEvent::Acked { txid, .. } => {
                        tracing::info!(target: "flywheel::orders", slot, role, cl_ord_id = id, txid, "acked")
                    }
                    VenueEvent::Fill {
                        price,
                        qty,
                        fee,
                        leaves,
                        ..
                    } => {
                        tracing::info!(target: "flywheel::orders", slot, role, cl_ord_id = id, %price, %qty, %fee, %leaves, "fill")
                    }
                    VenueEvent::Done { reason, filled, .. } => {
                        tracing::info!(target: "flywheel::orders", slot, role, cl_ord_id = id, reason = ?reason, %filled, "done")
                    }
                    VenueEvent::Rejected { reason, .. } => {
                        tracing::warn!(target: "flywheel::orders", slot, role, cl_ord_id = id, reason = reason.name(), "rejected")
                    }
                    VenueEvent::Unknown { .. } => {
                        tracing::warn!(target: "flywheel::orders", slot, role, cl_ord_id = id, "outcome unknown")
                    }
                    VenueEvent::NeverPlaced { .. } => {
                        tracing::warn!(target: "flywheel::orders", slot, role, cl_ord_id = id, "never placed")
                    }
                    VenueEvent::CancelRejected { reason, .. } => {
                        tracing::warn!(target: "flywheel::orders", slot, role, cl_ord_id = id, reason = reason.name(), "cancel refused")
                    }
                }
            }
            JournalRecord::UntrackedExecution {
                cl_ord_id,
                qty,
                why,
                ..
            } => {
                tracing::error!(target: "flywheel::orders", cl_ord_id, %qty, why, "execution no slot could take");
            }
            _ => {}
        }
        if self.inner.enabled() {
            self.inner.record(rec);
        }
    }
}
