//! The grid runtime's side of the [`Venue`] contract: the orders it follows ([`Track`], by
//! client order id), the ids it issues, and how answers reach it.
//!
//! - **Ids.** Every order is sent under a fresh [`ClOrdId`] from the engine's own
//!   [`ClOrdIds`] sequence (persisted in the snapshot, so a restart never reuses one). The
//!   slot records that id as the order's `txid`: an order is *placed* for the slot the moment
//!   it is sent, so no path sends it twice while its outcome is pending or unknown. The
//!   venue's own id arrives with the ack and is kept in the track.
//! - **States.** A track holds the order's [`OrderState`] — only live ones: `Pending` (sent),
//!   `Unknown` (the venue could not tell), `Open` (acked or executing); it is dropped when
//!   the order ends (filled, cancelled, expired, rejected, never placed). A requested cancel
//!   is a flag, not a state: the order executes until the venue confirms.
//! - **Inbox.** Venue events are taken into the engine's inbox in the venue's order and
//!   applied in that order by `drain_venue`. After each request the engine takes in what the
//!   venue already reported and applies *the answer to that request* at once: an order's
//!   `Acked` or `Unknown` (the volume check of seed 000 §5.9 runs as the placement's own
//!   step, as with a synchronous ack), or a cancel's confirmation (its released funds are
//!   credited to the loop before the next placement: a refreshed entry is funded by its
//!   predecessor). Everything else waits its turn. A venue with no ack latency therefore
//!   behaves exactly as the synchronous contract did; one with latency delivers the same
//!   answers later, through the same handlers.
//!
//! Invariants: every slot order bound to an id has exactly one track under that id until
//! the order ends; a track is in exactly one live state; an answer applied early is
//! removed from the inbox, so no event is applied twice.

use flywheel_core::{Price, Qty, Quote, Side, Timestamp};
use flywheel_grid::OrderRef;
use flywheel_venue::{ClOrdId, DoneReason, OrderState, Venue, VenueEvent};
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::journal::{JournalRecord, JournalSink};

/// A venue order the engine is following, by client order id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Track {
    /// Index of the slot the order belongs to.
    pub slot: usize,
    pub target: OrderRef,
    pub side: Side,
    /// The limit price and volume it was sent with.
    pub price: Price,
    pub qty: Qty,
    /// Where the order stands (live states only).
    pub state: OrderState,
    /// The venue's id, once an ack told it.
    pub txid: Option<String>,
    pub cum_qty: Qty,
    pub cum_notional: Quote,
    pub cum_fee: Quote,
    pub last_ts: Timestamp,
    pub cancel_requested: bool,
    /// The cancel was requested to free funds for this loop and its release is not
    /// credited yet: the confirmation credits it.
    #[serde(default)]
    pub credit_on_cancel: bool,
}

impl Track {
    /// A freshly sent order: pending, nothing executed.
    pub fn new(
        slot: usize,
        target: OrderRef,
        side: Side,
        price: Price,
        qty: Qty,
        now: Timestamp,
    ) -> Self {
        Track {
            slot,
            target,
            side,
            price,
            qty,
            state: OrderState::Pending,
            txid: None,
            cum_qty: Qty::ZERO,
            cum_notional: Quote::ZERO,
            cum_fee: Quote::ZERO,
            last_ts: now,
            cancel_requested: false,
            credit_on_cancel: false,
        }
    }

    /// What the order still holds at the venue after `filled` executed: the quote of a buy
    /// (maker fee included, the venue's hold rule) or the base of a sell.
    pub fn release(&self, filled: Qty, fee_pct: flywheel_core::Ratio) -> (Quote, Qty) {
        let holds = |q| flywheel_capital::funds::holds(self.side, self.price, q, fee_pct);
        let (all_q, all_b) = holds(self.qty);
        let (done_q, done_b) = holds(filled.min(self.qty));
        (
            (all_q - done_q).max(Quote::ZERO),
            (all_b - done_b).max(Qty::ZERO),
        )
    }
}

impl<V: Venue, J: JournalSink> Engine<V, J> {
    /// Move everything the venue reported so far to the end of the inbox.
    pub(crate) fn pull_events(&mut self) -> usize {
        let before = self.inbox.len();
        let mut buf = std::mem::take(&mut self.venue_buf);
        buf.clear();
        self.venue.poll_events(&mut buf);
        self.inbox.extend(buf.drain(..));
        self.venue_buf = buf;
        before
    }

    /// After sending order `id`: take in the venue's news and apply the order's answer at
    /// once if it is there (an `Acked` or `Unknown`; see the module docs).
    pub(crate) fn take_answer(&mut self, id: &ClOrdId) {
        let from = self.pull_events();
        let pos = (from..self.inbox.len()).find(|&i| {
            matches!(
                &self.inbox[i],
                VenueEvent::Acked { cl_ord_id, .. } | VenueEvent::Unknown { cl_ord_id, .. }
                    if cl_ord_id == id
            )
        });
        if let Some(ev) = pos.and_then(|i| self.inbox.remove(i)) {
            self.on_venue_event(ev);
        }
    }

    /// After requesting the cancel of `id`: take in the venue's news; whether the cancel is
    /// already confirmed (its `Done` is there; it is applied in its turn).
    pub(crate) fn cancel_confirmed(&mut self, id: &ClOrdId) -> bool {
        let from = self.pull_events();
        self.inbox.range(from..).any(|e| {
            matches!(e, VenueEvent::Done { cl_ord_id, reason: DoneReason::Cancelled, .. }
                if cl_ord_id == id)
        })
    }

    /// Issue the next client order id; `None` (the sequence is exhausted) halts entries.
    pub(crate) fn issue_id(&mut self) -> Option<ClOrdId> {
        let id = self.ids.issue();
        if id.is_none() {
            self.halt("client order ids exhausted: no order can be sent");
        }
        id
    }

    /// The venue acknowledged order `id`: it is open under `txid`. Seed 000 §5.9, one
    /// number: the volume the venue accepted must be the volume the slot sent. A mismatch
    /// means sizes drifted between decision and order: entries halt (exits and fills
    /// continue), naming both volumes.
    pub(crate) fn on_acked(&mut self, id: &ClOrdId, txid: &str, qty: Qty) {
        let Some(t) = self.tracks.get_mut(id) else {
            return;
        };
        t.txid = Some(txid.to_string());
        let (slot, target, sent) = (t.slot, t.target, t.qty);
        if qty == sent {
            return;
        }
        self.stats.volume_drift += 1;
        let slot_id = self.slots[slot].id;
        let order = match target {
            OrderRef::Slot(id) => format!("order {id}"),
            OrderRef::Recovery(id) => format!("recovery {id}"),
        };
        self.halt(&format!(
            "volume integrity (seed 000 §5.9): slot {slot_id} {order} records {sent}, the \
             venue acknowledged {qty} ({id}, {txid})"
        ));
    }

    /// Order `id` never reached the venue (proven after an unknown outcome): forget it; a
    /// slot order becomes unplaced again and is sent anew under a new id.
    pub(crate) fn on_never_placed(&mut self, id: &ClOrdId) {
        self.stats.never_placed += 1;
        if let Some(track) = self.tracks.remove(id) {
            self.gone_unfilled(id.as_str(), &track);
        }
    }

    /// A cancel request was refused: the order is not cancelling (if it is still open it
    /// keeps executing; usually it had ended and its events say so).
    pub(crate) fn on_cancel_rejected(&mut self, id: &ClOrdId, reason: flywheel_venue::Reject) {
        let slot = match self.tracks.get_mut(id) {
            Some(t) => {
                t.cancel_requested = false;
                t.credit_on_cancel = false;
                self.slots[t.slot].id
            }
            None => u32::MAX,
        };
        if self.journal.enabled() {
            self.journal.record(&JournalRecord::CancelFailed {
                ts: self.now,
                slot,
                cl_ord_id: id.as_str(),
                reason,
            });
        }
    }

    /// A cancel confirmed after the request returned: credit what it released to the loop's
    /// free funds (the confirmation is the proof the funds are free).
    pub(crate) fn credit_cancel(&mut self, id: &ClOrdId, filled: Qty) {
        let Some(t) = self.tracks.get_mut(id) else {
            return;
        };
        if !std::mem::take(&mut t.credit_on_cancel) {
            return;
        }
        let fee = self.venue.instrument().maker_fee_pct;
        let (quote, base) = t.release(filled, fee);
        self.loop_free_quote += quote;
        if base.is_positive() {
            self.set_free_base(self.loop_free_base + base);
        }
    }

    /// The orders the engine follows and their states, by client order id.
    pub fn orders(&self) -> impl Iterator<Item = (&ClOrdId, &Track)> {
        self.tracks.iter()
    }

    /// The engine's track of one order (`None` once the order ended).
    pub fn order(&self, id: &ClOrdId) -> Option<&Track> {
        self.tracks.get(id)
    }

    /// Venue events taken in and not applied yet, in the venue's order.
    pub fn pending_events(&self) -> impl Iterator<Item = &VenueEvent> {
        self.inbox.iter()
    }

    /// Issue no id numbered below `next` (see [`flywheel_venue::ClOrdIds::skip_to`]): the
    /// runner resumes the sequence past the last id the venue recorded as sent.
    pub fn skip_order_ids_to(&mut self, next: u64) {
        self.ids.skip_to(next);
    }

    /// The engine's id sequence (how many ids it issued, its prefix).
    pub fn order_ids(&self) -> &flywheel_venue::ClOrdIds {
        &self.ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_table() {
        let fee: flywheel_core::Ratio = "0.25".parse().unwrap();
        let p = |s: &str| -> Price { s.parse().unwrap() };
        let q = |s: &str| -> Qty { s.parse().unwrap() };
        let u = |s: &str| -> Quote { s.parse().unwrap() };
        // (side, price, qty, filled, released quote, released base)
        let cases = [
            (Side::Buy, "0.1", "100", "0", "10.025", "0"),
            (Side::Buy, "0.1", "100", "40", "6.015", "0"),
            (Side::Buy, "0.1", "100", "100", "0", "0"),
            (Side::Buy, "0.1", "100", "150", "0", "0"),
            (Side::Sell, "0.1", "100", "0", "0", "100"),
            (Side::Sell, "0.1", "100", "40", "0", "60"),
        ];
        for (side, price, qty, filled, rq, rb) in cases {
            let t = Track::new(
                0,
                OrderRef::Slot(1),
                side,
                p(price),
                q(qty),
                Timestamp::EPOCH,
            );
            assert_eq!(
                t.release(q(filled), fee),
                (u(rq), q(rb)),
                "{side:?} {qty} filled {filled}"
            );
        }
    }
}
