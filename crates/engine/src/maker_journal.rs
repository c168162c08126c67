//! The maker's journal: each quote decision (with the seed's gauges) and re-quote after a
//! fill, placement, cancel, reject, fill and order end as one typed record, plus the final
//! status snapshot.
//!
//! Like the grid's journal, records carry engine time only, so the same data and config
//! give a byte-identical journal. The sinks are the grid's ([`NoJournal`], [`JsonLines`]).

use flywheel_core::{Price, Qty, Quote, Side, Timestamp};
use flywheel_maker::QuoteDecision;
use flywheel_venue::{OrderKind, VenueEvent};
use serde::{Deserialize, Serialize};

use crate::journal::{JsonLines, NoJournal};
use crate::maker_run::MakerStatus;

/// What an order of the maker is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MakerRole {
    /// A quote on one side of the book.
    Quote(Side),
    /// The hedger's post-only order at mid ± `passive_offset_bps`.
    HedgePassive,
    /// The hedger's IOC order within the slippage cap.
    HedgeIoc,
}

/// One maker journal line.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MakerRecord<'a> {
    /// A run of the quote function: both sides (price and size, or the suppression reason)
    /// and the telemetry (`maker_volatility_bps`, `maker_regime_state`, …).
    Quote {
        ts: Timestamp,
        mid: Price,
        inventory: Qty,
        decision: &'a QuoteDecision,
    },
    /// A quote decision between refreshes, because a fill moved inventory: the estimators
    /// are as at the last refresh, the sizes are for the new position.
    Requote {
        ts: Timestamp,
        mid: Price,
        inventory: Qty,
        decision: &'a QuoteDecision,
    },
    /// An order sent under the client order id `cl_ord_id`.
    Placed {
        ts: Timestamp,
        cl_ord_id: &'a str,
        role: MakerRole,
        side: Side,
        price: Price,
        qty: Qty,
        order: OrderKind,
    },
    /// The venue acknowledged an order: open under its own id `txid`.
    Acked {
        ts: Timestamp,
        cl_ord_id: &'a str,
        txid: &'a str,
        role: MakerRole,
    },
    PlaceRejected {
        ts: Timestamp,
        role: MakerRole,
        side: Side,
        price: Price,
        qty: Qty,
        reason: &'a str,
    },
    /// A cancel request the venue accepted; the order's `done` follows when the venue
    /// confirms it (or its last fill comes first).
    Cancelled {
        ts: Timestamp,
        cl_ord_id: &'a str,
        role: Option<MakerRole>,
    },
    /// An execution with the FIFO position and realized PnL right after it.
    Fill {
        ts: Timestamp,
        cl_ord_id: &'a str,
        role: Option<MakerRole>,
        side: Side,
        price: Price,
        qty: Qty,
        fee: Quote,
        leaves: Qty,
        inventory: Qty,
        fifo_realized: Quote,
    },
    /// The venue ended an order (fully filled, cancelled, expired IOC or rejected).
    Done {
        ts: Timestamp,
        cl_ord_id: &'a str,
        role: MakerRole,
        filled: Qty,
    },
    /// An operator command and what it answered (see `crate::operator`).
    Operator {
        ts: Timestamp,
        action: &'a str,
        params: &'a crate::operator::OperatorParams,
        ok: bool,
        result: &'a str,
    },
    /// Quoting halted (a live session's ledger mismatch, a venue halt): no quotes until a
    /// restart clears it. The first reason is kept.
    Halt { ts: Timestamp, reason: &'a str },
    /// The status snapshot at the end of a run.
    Status {
        ts: Timestamp,
        status: &'a MakerStatus,
    },
}

/// Receives maker journal records.
pub trait MakerSink {
    /// Whether records are wanted at all (lets the engine skip building them).
    fn enabled(&self) -> bool;
    fn record(&mut self, rec: &MakerRecord<'_>);
    /// Every venue event, as the maker takes it and before it applies it (whether or not
    /// records are enabled). The maker's journal keeps its own typed records of them; a
    /// live session's store needs the events themselves (execution ids, liquidity).
    fn venue_event(&mut self, _ev: &VenueEvent) {}
}

impl MakerSink for NoJournal {
    fn enabled(&self) -> bool {
        false
    }
    fn record(&mut self, _: &MakerRecord<'_>) {}
}

impl<W: std::io::Write> MakerSink for JsonLines<W> {
    fn enabled(&self) -> bool {
        self.healthy()
    }
    fn record(&mut self, rec: &MakerRecord<'_>) {
        self.write_line(rec);
    }
}
