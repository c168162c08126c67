//! The maker runtime's order plumbing: placing and cancelling through the [`Venue`],
//! draining its executions into the FIFO book, the PnL guard and the hedger's hooks, and
//! closing each order's track when the venue ends it.
//!
//! Every order is sent under a fresh client order id and followed from the moment it is
//! sent: pending until the venue answers, unknown if the venue cannot tell, open once
//! acknowledged or executing ([`OrderState`]). Answers are applied in the venue's order
//! (the maker has nothing to settle at once: no volume check, no credited funds).
//!
//! Invariant: every order the runtime sent has a [`Track`] until the venue reports it
//! ended (filled, cancelled, expired, rejected or never placed); the hedger hears about
//! every IOC it was given (`on_ioc_done`) and every passive order's end (`on_passive_done`).
//! Every fill goes through the FIFO book, so inventory is the account's base change. An
//! event that contradicts its order's known state is counted and not applied (a fill
//! always is).

use flywheel_core::{Price, Qty, Quote, Rounding, Side, Wide};
use flywheel_venue::{ClOrdId, OrderKind, OrderRequest, OrderState, Venue, VenueEvent};

use super::{MakerEngine, Track};
use crate::maker_journal::{MakerRecord, MakerRole as Role, MakerSink};

impl<V: Venue, J: MakerSink> MakerEngine<V, J> {
    pub(super) fn place(
        &mut self,
        role: Role,
        side: Side,
        price: Price,
        qty: Qty,
        kind: OrderKind,
    ) -> Option<ClOrdId> {
        let Some(id) = self.ids.issue() else {
            // After u64::MAX orders: nothing can be sent any more.
            *self
                .stats
                .rejected
                .entry("ids_exhausted".into())
                .or_insert(0) += 1;
            return None;
        };
        let req = OrderRequest {
            cl_ord_id: id.clone(),
            side,
            price,
            qty,
            kind,
        };
        match self.venue.place(&req, self.now) {
            Ok(()) => {
                self.stats.orders_placed += 1;
                if self.journal.enabled() {
                    self.journal.record(&MakerRecord::Placed {
                        ts: self.now,
                        cl_ord_id: id.as_str(),
                        role,
                        side,
                        price,
                        qty,
                        order: kind,
                    });
                }
                let track = Track {
                    role,
                    side,
                    price,
                    qty,
                    state: OrderState::Pending,
                    txid: None,
                    filled: Qty::ZERO,
                    notional: Quote::ZERO,
                    fee: Quote::ZERO,
                    cancel_requested: false,
                };
                self.tracks.insert(id.clone(), track);
                Some(id)
            }
            Err(r) => {
                *self.stats.rejected.entry(r.name().to_string()).or_insert(0) += 1;
                if self.journal.enabled() {
                    self.journal.record(&MakerRecord::PlaceRejected {
                        ts: self.now,
                        role,
                        side,
                        price,
                        qty,
                        reason: r.name(),
                    });
                }
                None
            }
        }
    }

    /// Request the cancel of `id`; the order's end arrives as a venue `Done` event.
    pub(super) fn cancel(&mut self, id: &ClOrdId) {
        // A refused cancel means the order is already gone (filled or expired in the same
        // step): its Fill/Done events are in the venue queue and close the track.
        if self.venue.cancel(id, self.now).is_ok() {
            self.stats.orders_cancelled += 1;
            if let Some(t) = self.tracks.get_mut(id) {
                t.cancel_requested = true;
            }
            if self.journal.enabled() {
                self.journal.record(&MakerRecord::Cancelled {
                    ts: self.now,
                    cl_ord_id: id.as_str(),
                    role: self.tracks.get(id).map(|t| t.role),
                });
            }
        }
    }

    /// Apply every execution the venue reported.
    pub fn drain(&mut self) {
        let mut buf = std::mem::take(&mut self.buf);
        loop {
            buf.clear();
            self.venue.poll_events(&mut buf);
            if buf.is_empty() {
                break;
            }
            for ev in buf.drain(..) {
                self.on_venue(ev);
            }
        }
        self.buf = buf;
    }

    fn on_venue(&mut self, ev: VenueEvent) {
        self.journal.venue_event(&ev);
        if let Some(t) = self.tracks.get_mut(ev.cl_ord_id()) {
            match t.state.after(&ev) {
                Ok(next) => t.state = next,
                Err(_) => {
                    self.stats.venue_contradictions += 1;
                    if !matches!(ev, VenueEvent::Fill { .. }) {
                        return;
                    }
                }
            }
        }
        match ev {
            VenueEvent::Acked {
                cl_ord_id, txid, ..
            } => {
                let Some(t) = self.tracks.get_mut(&cl_ord_id) else {
                    return;
                };
                let role = t.role;
                if self.journal.enabled() {
                    self.journal.record(&MakerRecord::Acked {
                        ts: self.now,
                        cl_ord_id: cl_ord_id.as_str(),
                        txid: &txid,
                        role,
                    });
                }
                t.txid = Some(txid);
            }
            VenueEvent::Unknown { .. } => self.stats.orders_unknown += 1,
            VenueEvent::NeverPlaced { cl_ord_id, .. } => {
                self.stats.never_placed += 1;
                self.finish(&cl_ord_id);
            }
            VenueEvent::CancelRejected { .. } => {}
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
                // The venue settled this fill, so its notional fits; if it ever does not, the
                // fault is counted (never a silent zero in the order's average price).
                let notional = price.notional(qty, Rounding::HalfEven).unwrap_or_else(|_| {
                    self.stats.arithmetic_faults += 1;
                    Quote::ZERO
                });
                // Flow totals are exact at any size; `notional` above is the order's own.
                let flow = Wide::product(price.fixed(), qty.fixed(), Rounding::HalfEven);
                self.stats.fees_paid += Wide::from(fee);
                match side {
                    Side::Buy => {
                        self.stats.base_bought += Wide::from(qty);
                        self.stats.quote_spent += flow;
                    }
                    Side::Sell => {
                        self.stats.base_sold += Wide::from(qty);
                        self.stats.quote_received += flow;
                    }
                }
                match self.fifo.on_fill(side, price, qty, fee, ts) {
                    Ok(delta) => self.state.record_realized(ts, delta),
                    Err(_) => self.stats.fifo_errors += 1,
                }
                let inv = self.fifo.inventory().abs();
                if inv > self.stats.max_abs_inventory {
                    self.stats.max_abs_inventory = inv;
                }
                if self.journal.enabled() {
                    self.journal.record(&MakerRecord::Fill {
                        ts,
                        cl_ord_id: txid.as_str(),
                        role: self.tracks.get(&txid).map(|t| t.role),
                        side,
                        price,
                        qty,
                        fee,
                        leaves,
                        inventory: self.fifo.inventory(),
                        fifo_realized: self.fifo.realized(),
                    });
                }
                let Some(t) = self.tracks.get_mut(&txid) else {
                    return;
                };
                t.filled += qty;
                t.notional += notional;
                t.fee += fee;
                let role = t.role;
                if role == Role::HedgePassive {
                    self.hedger.on_passive_fill(self.now, qty, price, fee);
                }
                if let Role::Quote(_) = role {
                    self.stats.quote_fills += 1;
                }
                if leaves.is_zero() {
                    self.finish(&txid);
                }
            }
            VenueEvent::Done { cl_ord_id, .. } => self.finish(&cl_ord_id),
            VenueEvent::Rejected {
                cl_ord_id, reason, ..
            } => {
                *self
                    .stats
                    .rejected
                    .entry(reason.name().to_string())
                    .or_insert(0) += 1;
                self.finish(&cl_ord_id);
            }
        }
    }

    /// An order is over: forget it and tell its owner.
    fn finish(&mut self, id: &ClOrdId) {
        let Some(t) = self.tracks.remove(id) else {
            return;
        };
        if self.journal.enabled() {
            self.journal.record(&MakerRecord::Done {
                ts: self.now,
                cl_ord_id: id.as_str(),
                role: t.role,
                filled: t.filled,
            });
        }
        match t.role {
            Role::Quote(side) => {
                if self.resting.get(&side) == Some(id) {
                    self.resting.remove(&side);
                }
            }
            Role::HedgePassive => {
                if self.passive.as_ref() == Some(id) {
                    self.passive = None;
                }
                self.hedger.on_passive_done(self.now);
            }
            Role::HedgeIoc => {
                let avg = if t.filled.is_positive() {
                    t.notional
                        .fixed()
                        .div_round(t.filled.fixed(), 9, Rounding::HalfEven)
                        .map(Price::new)
                        .unwrap_or(t.price)
                } else {
                    t.price
                };
                self.hedger.on_ioc_done(self.now, t.filled, avg, t.fee);
            }
        }
    }
}
