//! Venue events → slot events.
//!
//! Every event first moves its order's [`OrderState`](flywheel_venue::OrderState); an event
//! that contradicts what is known (say `NeverPlaced` for an acknowledged order) is counted
//! and journalled, and has no other effect — except an execution, which is money and is
//! always booked. Acks bind the venue's id and check the volume, `Unknown` only changes the
//! state (the slot keeps the order: it is never sent twice), `NeverPlaced` makes a slot order
//! unplaced again (it is sent anew under a new id), a refused cancel clears the request.
//!
//! Executions are accumulated per order (quantity, notional, fee) and handed to the slot
//! once, when the order is done: fully filled, or cancelled after a partial fill. A partial
//! fill of an entry marks it (so the reducer never refreshes it away) and, once the filled
//! part is large enough for an exit, cancels the rest so the exit can go out. An execution
//! the slots cannot take is journalled as an untracked execution — counted, never dropped
//! silently — and the balances still reconcile, because they are the venue's.

use flywheel_core::{Quote, Rounding, Side, Wide};
use flywheel_grid::{Event, Fill, OrderRef, RecoveryFill, Role};
use flywheel_venue::{ClOrdId, DoneReason, Reject, Venue, VenueEvent};

use crate::engine::{Engine, Track};
use crate::journal::{JournalRecord, JournalSink, Source};

impl<V: Venue, J: JournalSink> Engine<V, J> {
    pub(crate) fn on_venue_event(&mut self, ev: VenueEvent) {
        self.touch();
        if self.journal.enabled() {
            self.journal.record(&JournalRecord::Venue {
                ts: self.now,
                event: &ev,
            });
        }
        if let VenueEvent::Fill {
            side,
            price,
            qty,
            fee,
            ts,
            ..
        } = &ev
        {
            self.count_execution(*side, *price, *qty, *fee, *ts);
        }
        // Ranger and churner orders go to their cyclers.
        if self.ancillary_venue_event(&ev) {
            return;
        }
        if let Some(t) = self.tracks.get_mut(ev.cl_ord_id()) {
            match t.state.after(&ev) {
                Ok(next) => t.state = next,
                Err(c) if !matches!(ev, VenueEvent::Fill { .. }) => {
                    self.contradiction(ev.cl_ord_id(), &c.to_string());
                    return;
                }
                Err(c) => self.contradiction(ev.cl_ord_id(), &c.to_string()),
            }
        }
        match ev {
            VenueEvent::Acked {
                cl_ord_id,
                txid,
                qty,
                ..
            } => self.on_acked(&cl_ord_id, &txid, qty),
            VenueEvent::Unknown { .. } => self.stats.orders_unknown += 1,
            VenueEvent::NeverPlaced { cl_ord_id, .. } => self.on_never_placed(&cl_ord_id),
            VenueEvent::CancelRejected {
                cl_ord_id, reason, ..
            } => self.on_cancel_rejected(&cl_ord_id, reason),
            VenueEvent::Fill {
                cl_ord_id: txid,
                side,
                price,
                qty,
                fee,
                ts,
                leaves,
                ..
            } => {
                let notional = price.notional(qty, Rounding::HalfEven);
                let notional = self.or_halt(notional, "an execution's notional");
                let Some(track) = self.tracks.get_mut(&txid) else {
                    self.untracked(
                        txid.as_str(),
                        side,
                        qty,
                        notional,
                        "fill for an order nobody follows",
                    );
                    return;
                };
                track.cum_qty += qty;
                track.cum_notional += notional;
                track.cum_fee += fee;
                track.last_ts = ts;
                if leaves.is_zero() {
                    if let Some(track) = self.tracks.remove(&txid) {
                        self.complete(&txid, track);
                    }
                    return;
                }
                // A partial fill. Entries: protect from refresh; cancel the rest once the
                // filled part can carry an exit of its own.
                let (idx, target, cum, requested) = (
                    track.slot,
                    track.target,
                    track.cum_qty,
                    track.cancel_requested,
                );
                if let OrderRef::Slot(id) = target {
                    let state = &mut self.slots[idx].state;
                    let is_entry = state.find_order(id).is_some_and(|o| o.role == Role::Entry);
                    if is_entry {
                        state.mark_partially_filled(id);
                        if !requested && cum >= self.cfg.min_volume {
                            if self.venue.cancel(&txid, self.now).is_ok() {
                                self.stats.orders_cancelled += 1;
                            }
                            if let Some(t) = self.tracks.get_mut(&txid) {
                                t.cancel_requested = true;
                            }
                        }
                    }
                }
            }
            VenueEvent::Done {
                cl_ord_id: txid,
                reason,
                filled,
                ..
            } => {
                if reason == DoneReason::Cancelled {
                    self.credit_cancel(&txid, filled);
                }
                let Some(track) = self.tracks.remove(&txid) else {
                    return;
                };
                if track.cum_qty.is_positive() {
                    self.complete(&txid, track);
                } else {
                    self.gone_unfilled(txid.as_str(), &track);
                }
            }
            VenueEvent::Rejected {
                cl_ord_id: txid,
                reason,
                txid: venue_txid,
                ..
            } => {
                self.stats.reject(reason.name());
                if let Some(track) = self.tracks.remove(&txid) {
                    // An entry refused on arrival (an order latency: the market moved while
                    // it travelled) is handled as a synchronous refusal is: a post-only
                    // refusal becomes the trade's pending entry, re-priced by the next timer
                    // (re-sending it at its old price was refused again every loop); any
                    // other refusal makes the slot one-sided. Exits keep their retry path.
                    let entry = match track.target {
                        OrderRef::Slot(id) => self.slots[track.slot]
                            .state
                            .find_order(id)
                            .filter(|o| {
                                o.role == Role::Entry && o.txid.as_deref() == Some(txid.as_str())
                            })
                            .map(|o| o.local_id),
                        OrderRef::Recovery(_) => None,
                    };
                    match entry {
                        Some(id) => {
                            let post_only = reason == Reject::PostOnlyWouldTake;
                            self.drop_entry(track.slot, id, !post_only, reason.name());
                            self.normalize_mode(track.slot);
                            self.validate(track.slot);
                        }
                        None => {
                            // An exit refused as it was sent (an answer that came late)
                            // failed its placement, as a refusal with the reply does.
                            if venue_txid.is_none() && matches!(track.target, OrderRef::Slot(_)) {
                                self.stats.exit_place_failures += 1;
                            }
                            self.gone_unfilled(txid.as_str(), &track);
                        }
                    }
                }
            }
        }
    }

    /// Flows, fees and the fill marker of one execution (slot or ancillary order).
    fn count_execution(
        &mut self,
        side: Side,
        price: flywheel_core::Price,
        qty: flywheel_core::Qty,
        fee: Quote,
        ts: flywheel_core::Timestamp,
    ) {
        // Exact in a Wide: a flow total is never cut short by one big fill.
        let notional = Wide::product(price.fixed(), qty.fixed(), Rounding::HalfEven);
        self.stats.fees_paid += Wide::from(fee);
        match side {
            Side::Buy => {
                self.stats.base_bought += Wide::from(qty);
                self.stats.quote_spent += notional;
            }
            Side::Sell => {
                self.stats.base_sold += Wide::from(qty);
                self.stats.quote_received += notional;
            }
        }
        self.mark_fill(ts, price, side);
    }

    /// An event that contradicts its order's known state (never applied; see the module
    /// docs).
    fn contradiction(&mut self, id: &ClOrdId, why: &str) {
        self.stats.venue_contradictions += 1;
        if self.journal.enabled() {
            self.journal.record(&JournalRecord::Contradiction {
                ts: self.now,
                cl_ord_id: id.as_str(),
                why,
            });
        }
    }

    fn untracked(
        &mut self,
        txid: &str,
        side: Side,
        qty: flywheel_core::Qty,
        notional: Quote,
        why: &str,
    ) {
        self.stats.untracked_executions += 1;
        if self.journal.enabled() {
            self.journal.record(&JournalRecord::UntrackedExecution {
                ts: self.now,
                cl_ord_id: txid,
                side,
                qty,
                notional,
                why,
            });
        }
    }

    /// Hand a done order's executions to its slot as one fill.
    fn complete(&mut self, id: &ClOrdId, t: Track) {
        let txid = id.as_str();
        self.stats.orders_filled += 1;
        let decimals = self.cfg.price_decimals;
        let avg = t
            .cum_notional
            .fixed()
            .div_round(t.cum_qty.fixed(), decimals, Rounding::HalfEven)
            .map(flywheel_core::Price::new);
        let avg = self.or_halt(avg, "an order's average fill price");
        let state = &self.slots[t.slot].state;
        let event = match t.target {
            OrderRef::Slot(id) if state.find_order(id).is_some() => Event::Fill(Fill {
                order_local_id: id,
                txid: Some(txid.to_string()),
                side: t.side,
                price: avg,
                volume: t.cum_qty,
                fee: t.cum_fee,
                timestamp: t.last_ts,
            }),
            OrderRef::Recovery(id) if state.find_recovery(id).is_some() => {
                Event::RecoveryFill(RecoveryFill {
                    recovery_id: id,
                    txid: Some(txid.to_string()),
                    side: t.side,
                    price: avg,
                    volume: t.cum_qty,
                    fee: t.cum_fee,
                    timestamp: t.last_ts,
                })
            }
            _ if t.cancel_requested => {
                // The slot let the order go when it asked for the cancel (a refreshed entry,
                // an evicted recovery); with a cancel that takes time, the order executed
                // first. The account holds the result; no slot does.
                self.stats.cancel_race_fills += 1;
                self.untracked(
                    txid,
                    t.side,
                    t.cum_qty,
                    t.cum_notional,
                    "executed while its cancel was on the way; the slot had let it go",
                );
                return;
            }
            _ => {
                self.untracked(
                    txid,
                    t.side,
                    t.cum_qty,
                    t.cum_notional,
                    "order no longer held by its slot",
                );
                return;
            }
        };
        let before = self.stats.fill_rejects;
        self.apply_to_slot(t.slot, &event, Source::Reducer);
        if self.stats.fill_rejects != before {
            self.untracked(
                txid,
                t.side,
                t.cum_qty,
                t.cum_notional,
                "slot rejected the fill",
            );
        }
    }

    /// The venue dropped an order without executing it (rejected late, or cancelled by
    /// someone else). A slot order becomes unplaced again (exits are retried next loop,
    /// entries are placed by the scheduler); a recovery is released.
    pub(crate) fn gone_unfilled(&mut self, txid: &str, t: &Track) {
        match t.target {
            OrderRef::Slot(id) => {
                let state = &mut self.slots[t.slot].state;
                if let Some(o) = state
                    .orders
                    .iter_mut()
                    .find(|o| o.local_id == id && o.txid.as_deref() == Some(txid))
                {
                    o.txid = None;
                }
            }
            OrderRef::Recovery(id) => {
                if self.slots[t.slot].state.find_recovery(id).is_some() {
                    let ev = Event::RecoveryCancel {
                        recovery_id: id,
                        txid: Some(txid.to_string()),
                        timestamp: self.now,
                    };
                    self.apply_to_slot(t.slot, &ev, Source::Reducer);
                }
            }
        }
    }
}
