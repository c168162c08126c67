//! The journal: every event, action, placement, fill, reject and loop step as a typed
//! record. The engine hands records to a [`JournalSink`]; the CLI writes them as JSON lines.
//! Records carry engine time only (never wall-clock), so the same data and config give a
//! byte-identical journal.

use flywheel_core::{Price, Qty, Quote, Side, Timestamp};
use flywheel_grid::{Action, Event, Phase, Role, Violation};
use flywheel_venue::{Reject, VenueEvent};
use serde::Serialize;

use crate::capacity::Capacity;
use crate::scoreboard::Scoreboard;

/// Where an order placement came from (decides which gates apply).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A reducer transition (tick, timer, fill).
    Reducer,
    Bootstrap,
    AutoRepair,
    SchedulerDrain,
    ExitRetry,
}

/// One journal line.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JournalRecord<'a> {
    LoopStart {
        ts: Timestamp,
        n: u64,
        capacity: Capacity,
    },
    SlotEvent {
        ts: Timestamp,
        slot: u32,
        event: &'a Event,
        from: Phase,
        to: Phase,
    },
    SlotAction {
        ts: Timestamp,
        slot: u32,
        action: &'a Action,
    },
    /// An order sent under the client order id `cl_ord_id` (pending until the venue's
    /// answer, a `venue` record, says more).
    Placed {
        ts: Timestamp,
        slot: u32,
        local_id: u64,
        role: Option<Role>,
        cl_ord_id: &'a str,
        side: Side,
        price: Price,
        qty: Qty,
        source: Source,
    },
    PlaceRejected {
        ts: Timestamp,
        slot: u32,
        local_id: u64,
        role: Role,
        reason: &'a str,
        source: Source,
    },
    Deferred {
        ts: Timestamp,
        slot: u32,
        local_id: u64,
    },
    Venue {
        ts: Timestamp,
        event: &'a VenueEvent,
    },
    CancelFailed {
        ts: Timestamp,
        slot: u32,
        cl_ord_id: &'a str,
        reason: Reject,
    },
    /// A venue event that contradicted what was known of its order (not applied).
    Contradiction {
        ts: Timestamp,
        cl_ord_id: &'a str,
        why: &'a str,
    },
    /// A venue execution the slots could not take (kept for reconciliation, never dropped).
    UntrackedExecution {
        ts: Timestamp,
        cl_ord_id: &'a str,
        side: Side,
        qty: Qty,
        notional: Quote,
        why: &'a str,
    },
    FillRejected {
        ts: Timestamp,
        slot: u32,
        error: &'a str,
    },
    ModeChange {
        ts: Timestamp,
        slot: u32,
        long_only: bool,
        short_only: bool,
        why: &'a str,
    },
    InvariantViolation {
        ts: Timestamp,
        slot: u32,
        violations: &'a [Violation],
    },
    Halt {
        ts: Timestamp,
        reason: &'a str,
    },
    Pause {
        ts: Timestamp,
        reason: &'a str,
    },
    Resume {
        ts: Timestamp,
        reason: &'a str,
    },
    /// A governor update: the `[REBAL]` line and the status block.
    Rebalance {
        ts: Timestamp,
        line: &'a str,
        status: &'a flywheel_governor::RebalancerStatus,
    },
    /// The governor's oscillation warning.
    RebalanceWarning {
        ts: Timestamp,
        line: &'a str,
    },
    /// `n` loops from `ts`, `interval_ms` apart, on a stale mark (no trading).
    StaleLoops {
        ts: Timestamp,
        n: u64,
        interval_ms: i64,
    },
    LoopEnd {
        ts: Timestamp,
        scoreboard: &'a Scoreboard,
    },
    /// An operator command (pause, resume, cancel_entries, reconcile, set) and what it
    /// answered: `ok` false when it was refused, with the reason as `result`.
    Operator {
        ts: Timestamp,
        action: &'a str,
        params: &'a crate::operator::OperatorParams,
        ok: bool,
        result: &'a str,
    },
}

/// Receives journal records.
pub trait JournalSink {
    /// Whether records are wanted at all (lets the engine skip building them).
    fn enabled(&self) -> bool;
    fn record(&mut self, rec: &JournalRecord<'_>);
}

/// Discards everything.
#[derive(Debug, Default)]
pub struct NoJournal;

impl JournalSink for NoJournal {
    fn enabled(&self) -> bool {
        false
    }
    fn record(&mut self, _: &JournalRecord<'_>) {}
}

/// Writes each record as one JSON line. Write errors are kept and reported by `finish`.
#[derive(Debug)]
pub struct JsonLines<W: std::io::Write> {
    out: W,
    error: Option<std::io::Error>,
    pub lines: u64,
}

impl<W: std::io::Write> JsonLines<W> {
    pub fn new(out: W) -> Self {
        JsonLines {
            out,
            error: None,
            lines: 0,
        }
    }
    /// Flush and return the first write error, if any.
    pub fn finish(self) -> std::io::Result<u64> {
        let lines = self.lines;
        self.into_inner().map(|_| lines)
    }
    /// Flush and hand back the writer (e.g. an in-memory buffer), or the first write error.
    pub fn into_inner(mut self) -> std::io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: std::io::Write> JsonLines<W> {
    /// No write has failed yet.
    pub(crate) fn healthy(&self) -> bool {
        self.error.is_none()
    }
    /// Write `rec` as one JSON line; the first error is kept for `finish`.
    pub(crate) fn write_line<T: Serialize>(&mut self, rec: &T) {
        if self.error.is_some() {
            return;
        }
        let res = serde_json::to_writer(&mut self.out, rec)
            .map_err(std::io::Error::other)
            .and_then(|()| self.out.write_all(b"\n"));
        match res {
            Ok(()) => self.lines += 1,
            Err(e) => self.error = Some(e),
        }
    }
}

impl<W: std::io::Write> JournalSink for JsonLines<W> {
    fn enabled(&self) -> bool {
        self.healthy()
    }
    fn record(&mut self, rec: &JournalRecord<'_>) {
        self.write_line(rec);
    }
}
