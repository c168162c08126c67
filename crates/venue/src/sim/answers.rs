//! Answers: when and how the caller hears the outcome of its requests (the in-flight
//! states of the [`Venue`](crate::Venue) contract), client order ids, and injected faults.
//!
//! **Requests are decided at once, answered later.** `place` and `cancel` are handled at
//! the request's time `now` as before (validation, holds, an IOC's execution); what the
//! caller hears of them is delivered `ack_latency_ms` later, stamped with the time the
//! venue decided (`now`), except a cancel, which takes effect only when it arrives:
//! - **ack latency 0**: a refusal is the `Err` of `place`/`cancel`; an ack (and an IOC's
//!   execution or expiry) or a cancel's `Done` are queued before the call returns — the
//!   behaviour before orders had in-flight states, so results are unchanged;
//! - **ack latency `A` > 0**: `place` and `cancel` always return `Ok`. At `now + A` the
//!   caller hears `Acked` (then an IOC's fill or expiry) or `Rejected` (`txid` none); a
//!   cancel reaches the book at `now + A` — the order can execute until then — and is
//!   confirmed by `Done { Cancelled }`, or refused by `CancelRejected { UnknownOrder }` if
//!   the order is no longer open. A resting order's executions are not delayed: a fill can
//!   reach the caller before the order's ack. An order refused on arrival at the book
//!   before its ack was delivered takes the ack back: the caller hears only `Rejected`.
//!
//! Due answers and in-flight orders come in together in time order ([`SimExchange::
//! advance_to`]); at the same instant answers go first, in request order.
//!
//! **Client order ids.** Every request names its order by a [`ClOrdId`]; the simulator
//! refuses (`DuplicateClOrdId`) any id it has seen before, accepted or not — stricter than
//! Kraken, which checks open orders only — so a reuse cannot pass a backtest unnoticed.
//!
//! **Faults** ([`Fault`], for tests) apply to the next orders placed, one each, in
//! injection order. They never happen unless injected.
//!
//! Invariants: every order the caller sends is settled by what it hears — an ack, a
//! refusal, executions to the end, a `Done`, or after `Unknown` the reconciliation
//! (`Acked` if open, `Rejected`, `NeverPlaced`, or nothing more when its end was already
//! reported); answers change no balance (the ledger moved when the request was handled).

use std::collections::{BTreeMap, VecDeque};

use flywheel_core::{Qty, Timestamp};

use super::SimExchange;
use crate::cl_ord_id::ClOrdId;
use crate::venue::{DoneReason, OrderRequest, Reject, VenueEvent};

/// A test fault: what goes wrong with the next order placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The order is handled as usual but its answer is lost (a timeout or an HTTP 5xx
    /// *after* the venue applied it): the caller hears `Unknown` instead of the ack or
    /// refusal; `resolve_after_ms` later, reconciliation reports what became of it — `Acked`
    /// if it is still open, its refusal if it was refused, nothing more if its executions
    /// or `Done` already told. Its executions are reported as they happen.
    LostAnswer { resolve_after_ms: u64 },
    /// The order never reaches the venue (a drop before it was applied): the caller hears
    /// `Unknown`, then `NeverPlaced` `resolve_after_ms` later.
    LostOrder { resolve_after_ms: u64 },
}

/// Something to deliver at a time.
#[derive(Clone, Debug)]
pub(super) enum Answer {
    /// An event (an ack, a refusal, an IOC's outcome, `Unknown`, `NeverPlaced`).
    Event(VenueEvent),
    /// A cancel request reaches the book.
    Cancel(ClOrdId),
    /// Reconciliation of an order whose answer was lost, open as `seq` when it was
    /// handled: its ack if it is still open.
    Resolve {
        seq: u64,
        cl_ord_id: ClOrdId,
        txid: String,
        qty: Qty,
    },
}

/// The answers still to deliver, and the faults still to apply.
#[derive(Clone, Debug, Default)]
pub(super) struct Answers {
    due: BTreeMap<(Timestamp, u64), Answer>,
    next: u64,
    faults: VecDeque<Fault>,
}

impl Answers {
    fn schedule(&mut self, at: Timestamp, answer: Answer) -> (Timestamp, u64) {
        self.next += 1;
        let key = (at, self.next);
        self.due.insert(key, answer);
        key
    }

    /// The key of the next answer due at or before `t`.
    pub fn peek(&self, t: Timestamp) -> Option<(Timestamp, u64)> {
        self.due
            .first_key_value()
            .map(|(k, _)| *k)
            .filter(|k| k.0 <= t)
    }

    pub fn take(&mut self, key: (Timestamp, u64)) -> Option<Answer> {
        self.due.remove(&key)
    }

    /// Answers not delivered yet.
    pub fn len(&self) -> usize {
        self.due.len()
    }
}

/// What `place` did with an order it accepted.
#[derive(Clone, Debug)]
pub(super) struct Accepted {
    pub seq: u64,
    pub txid: String,
    pub qty: Qty,
    /// An IOC's execution or expiry (post-only: none, the order is open).
    pub outcome: Option<VenueEvent>,
}

fn later(t: Timestamp, ms: u64) -> Timestamp {
    Timestamp::from_millis(
        t.millis()
            .saturating_add(i64::try_from(ms).unwrap_or(i64::MAX)),
    )
}

impl SimExchange {
    /// Queue a fault for the next order placed (see [`Fault`]).
    pub fn inject(&mut self, fault: Fault) {
        self.answers.faults.push_back(fault);
    }

    /// Faults injected but not applied yet.
    pub fn pending_faults(&self) -> usize {
        self.answers.faults.len()
    }

    /// Answers (acks, refusals, cancels, reconciliations) not delivered yet.
    pub fn answers_in_flight(&self) -> usize {
        self.answers.len()
    }

    /// How many distinct client order ids the caller has used.
    pub fn ids_seen(&self) -> usize {
        self.seen.len()
    }

    /// Deliver `events` as the answer to a request handled at `now`.
    fn answer(&mut self, now: Timestamp, events: impl IntoIterator<Item = VenueEvent>) {
        if self.cfg.ack_latency_ms == 0 {
            self.events.extend(events);
            return;
        }
        let at = later(now, self.cfg.ack_latency_ms);
        for ev in events {
            self.answers.schedule(at, Answer::Event(ev));
        }
    }

    /// [`Venue::place`](crate::Venue::place): handle the order at `now` and answer it.
    pub(super) fn place_request(
        &mut self,
        req: &OrderRequest,
        now: Timestamp,
    ) -> Result<(), Reject> {
        self.advance_to(now);
        let id = req.cl_ord_id.clone();
        let latency = self.cfg.ack_latency_ms;
        if !self.seen.insert(id.clone()) {
            // Refused before anything else, and no fault is spent on it.
            return self.refuse(now, id, Reject::DuplicateClOrdId);
        }
        let fault = self.answers.faults.pop_front();
        let unknown = VenueEvent::Unknown {
            cl_ord_id: id.clone(),
            ts: now,
        };
        let outcome = match fault {
            Some(Fault::LostOrder { resolve_after_ms }) => {
                self.answer(now, [unknown]);
                let at = later(later(now, latency), resolve_after_ms);
                let never = VenueEvent::NeverPlaced {
                    cl_ord_id: id,
                    ts: at,
                };
                self.answers.schedule(at, Answer::Event(never));
                return Ok(());
            }
            _ => self.accept(req, now),
        };
        match (fault, outcome) {
            (Some(Fault::LostAnswer { resolve_after_ms }), outcome) => {
                let at = later(later(now, latency), resolve_after_ms);
                match outcome {
                    Ok(acc) => {
                        let open = acc.outcome.is_none();
                        self.answer(now, std::iter::once(unknown).chain(acc.outcome));
                        if open {
                            let resolve = Answer::Resolve {
                                seq: acc.seq,
                                cl_ord_id: id,
                                txid: acc.txid,
                                qty: acc.qty,
                            };
                            self.answers.schedule(at, resolve);
                        }
                    }
                    Err(reason) => {
                        self.answer(now, [unknown]);
                        let rejected = VenueEvent::Rejected {
                            cl_ord_id: id,
                            txid: None,
                            reason,
                            ts: at,
                        };
                        self.answers.schedule(at, Answer::Event(rejected));
                    }
                }
                Ok(())
            }
            (_, Err(reason)) => self.refuse(now, id, reason),
            (_, Ok(acc)) => {
                let acked = VenueEvent::Acked {
                    cl_ord_id: id,
                    txid: acc.txid.clone(),
                    qty: acc.qty,
                    ts: now,
                };
                if latency == 0 {
                    self.events.push(acked);
                    self.events.extend(acc.outcome);
                    return Ok(());
                }
                let at = later(now, latency);
                let key = self.answers.schedule(at, Answer::Event(acked));
                match acc.outcome {
                    Some(ev) => {
                        self.answers.schedule(at, Answer::Event(ev));
                    }
                    None => {
                        if let Some(o) = self.book.get_mut(acc.seq) {
                            o.ack_due = Some(key);
                        }
                    }
                }
                Ok(())
            }
        }
    }

    /// Refuse order `id`: at once without ack latency, else as a `Rejected` event.
    fn refuse(&mut self, now: Timestamp, id: ClOrdId, reason: Reject) -> Result<(), Reject> {
        if self.cfg.ack_latency_ms == 0 {
            return Err(reason);
        }
        let rejected = VenueEvent::Rejected {
            cl_ord_id: id,
            txid: None,
            reason,
            ts: now,
        };
        self.answer(now, [rejected]);
        Ok(())
    }

    /// [`Venue::cancel`](crate::Venue::cancel): at once without ack latency, else when the
    /// request reaches the book.
    pub(super) fn cancel_request(&mut self, id: &ClOrdId, now: Timestamp) -> Result<(), Reject> {
        self.advance_to(now);
        if self.cfg.ack_latency_ms == 0 {
            return self.cancel_now(id, now);
        }
        let at = later(now, self.cfg.ack_latency_ms);
        self.answers.schedule(at, Answer::Cancel(id.clone()));
        Ok(())
    }

    /// Take order `id` off the book at `ts`, releasing its holds; `Done` reports it.
    fn cancel_now(&mut self, id: &ClOrdId, ts: Timestamp) -> Result<(), Reject> {
        let seq = self.book.seq_of(id).ok_or(Reject::UnknownOrder)?;
        // An undelivered ack stays: it was scheduled before this cancel arrived, so the
        // caller hears it first.
        let o = self.book.remove(seq).ok_or(Reject::UnknownOrder)?;
        self.ledger.release_quote(o.held_quote);
        self.ledger.release_base(o.held_base);
        self.events.push(VenueEvent::Done {
            cl_ord_id: o.cl_ord_id,
            txid: o.txid,
            reason: DoneReason::Cancelled,
            filled: o.filled,
            ts,
        });
        self.debug_check();
        Ok(())
    }

    /// Deliver the answer `key`, due now.
    pub(super) fn deliver(&mut self, key: (Timestamp, u64)) {
        let Some(answer) = self.answers.take(key) else {
            return;
        };
        let at = key.0;
        match answer {
            Answer::Event(ev) => {
                if let VenueEvent::Acked { cl_ord_id, .. } = &ev {
                    if let Some(o) = self
                        .book
                        .seq_of(cl_ord_id)
                        .and_then(|s| self.book.get_mut(s))
                    {
                        o.ack_due = None;
                    }
                }
                self.events.push(ev);
            }
            Answer::Cancel(id) => {
                if let Err(reason) = self.cancel_now(&id, at) {
                    self.events.push(VenueEvent::CancelRejected {
                        cl_ord_id: id,
                        reason,
                        ts: at,
                    });
                }
            }
            Answer::Resolve {
                seq,
                cl_ord_id,
                txid,
                qty,
            } => {
                let open = self.book.get(seq).is_some_and(|o| o.cl_ord_id == cl_ord_id);
                if open {
                    self.events.push(VenueEvent::Acked {
                        cl_ord_id,
                        txid,
                        qty,
                        ts: at,
                    });
                }
            }
        }
    }

    /// An order refused on arrival at the book: its undelivered ack is taken back.
    pub(super) fn take_back_ack(&mut self, ack_due: Option<(Timestamp, u64)>) {
        if let Some(key) = ack_due {
            self.answers.take(key);
        }
    }
}
