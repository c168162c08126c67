//! The order tracker: Kraken's replies, executions and REST lookups in, the venue contract's
//! [`VenueEvent`]s out (`crates/venue/src/venue.rs`). Pure: no socket, no clock, no sleep;
//! every input carries its time.
//!
//! What it guarantees, whatever order Kraken's news arrives in:
//! - **Every order's outcome is settled by proof.** An order is `Pending` from the moment
//!   its `add_order` frame is written. It becomes open on an ack (the reply, or an
//!   `executions` `new`/`pending_new`, or a REST lookup that finds it), rejected on a refusal,
//!   and **unknown** when its reply is lost (the socket dropped, no reply within
//!   `reply_timeout`, or an error we cannot classify). An unknown order is settled only by
//!   evidence: an execution, a snapshot listing it, or a REST lookup by `cl_ord_id` — and it
//!   is declared [`VenueEvent::NeverPlaced`] only when REST finds it neither open nor closed
//!   *after its deadline*, the time after which Kraken can no longer place it (`deadline` on
//!   the request; live.md §6).
//! - **Each fill once.** Fills are keyed by their execution id (`exec_id` on WS, the trade
//!   txid in `TradesHistory`; live.md §8 lists their equality as a verify-live item). A
//!   duplicate is counted and dropped.
//! - **Fills before the end.** A terminal execution (`filled`, `canceled`, `expired`) whose
//!   `cum_qty` exceeds the fills seen so far is held back until the missing fills arrive
//!   (reordered frames) or REST supplies them; only then is the order's end reported, so the
//!   engine never sees an order end with volume missing.
//! - **Leaves from our own sums.** `leaves = order qty − Σ fills seen`, never Kraken's
//!   `cum_qty` of one frame, so reordered partial fills still sum to the right remainder.
//! - Events of orders that are not ours (foreign `cl_ord_id`s, manual orders) are counted,
//!   never turned into events.
//! - Nothing here panics on wire data: amounts that overflow are counted as contradictions and
//!   the order is flagged for reconciliation.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use flywheel_core::{Liquidity, Qty, Quote, Timestamp};
use flywheel_venue::{ClOrdId, DoneReason, OrderRequest, OrderState, Reject, VenueEvent};
use serde::Serialize;

use crate::error::{ErrorKind, Handling, KrakenError, OrderReject, ServiceState};
use crate::rest::orders::{OrderInfo, OrderStatus, TradeInfo};
use crate::ws::market::FeedType;
use crate::ws::private::{ExecType, Execution, ExecutionsMsg};
use crate::ws::replies::{MethodReply, ReplyResult};

/// Counters of what the tracker saw that is worth an operator's eye.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TrackerStats {
    pub duplicate_fills: u64,
    pub foreign_executions: u64,
    /// Terminal executions held back until their fills arrived.
    pub ends_held_for_fills: u64,
    pub unknown_outcomes: u64,
    pub never_placed: u64,
    /// News that contradicts what we know (kept, flagged for reconciliation).
    pub contradictions: u64,
    /// Gaps in the `executions` sequence numbers.
    pub sequence_gaps: u64,
}

/// What a REST lookup by `cl_ord_id` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// In `OpenOrders` or `ClosedOrders`, under this txid.
    Found { txid: String, info: Box<OrderInfo> },
    /// In neither.
    Absent,
}

/// Why trading must stop (credentials, nonce): the order path cannot be trusted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Halt {
    pub reason: String,
}

#[derive(Clone, Debug)]
struct HeldEnd {
    reason: EndReason,
    cum_qty: Qty,
    ts: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EndReason {
    Filled,
    Cancelled,
    Expired,
    PostOnly,
}

#[derive(Clone, Debug)]
struct Tracked {
    req: OrderRequest,
    state: OrderState,
    txid: Option<String>,
    /// When it was sent (the rate counter's cancel penalty depends on the order's age).
    sent: Timestamp,
    /// After this Kraken can no longer place the order.
    deadline: Timestamp,
    filled: Qty,
    held_end: Option<HeldEnd>,
    /// Something is missing (fills, the end): ask REST.
    needs_lookup: bool,
}

#[derive(Clone, Debug)]
enum Request {
    Add { id: ClOrdId, sent: Timestamp },
    Cancel { id: ClOrdId },
}

/// Tracks this instance's orders on one pair (see the module docs).
#[derive(Clone, Debug)]
pub struct Tracker {
    quote_asset: String,
    reply_timeout_ms: i64,
    orders: BTreeMap<ClOrdId, Tracked>,
    by_txid: HashMap<String, ClOrdId>,
    requests: BTreeMap<u64, Request>,
    fills_seen: HashSet<String>,
    last_sequence: Option<u64>,
    out: Vec<VenueEvent>,
    stats: TrackerStats,
    halt: Option<Halt>,
}

impl Tracker {
    /// A tracker whose fees are charged in `quote_asset` (`USD`), declaring an order unknown
    /// when its reply is `reply_timeout_ms` late.
    pub fn new(quote_asset: &str, reply_timeout_ms: i64) -> Self {
        Tracker {
            quote_asset: quote_asset.to_string(),
            reply_timeout_ms,
            orders: BTreeMap::new(),
            by_txid: HashMap::new(),
            requests: BTreeMap::new(),
            fills_seen: HashSet::new(),
            last_sequence: None,
            out: Vec::new(),
            stats: TrackerStats::default(),
            halt: None,
        }
    }

    pub fn stats(&self) -> &TrackerStats {
        &self.stats
    }

    /// Set when an error means trading must stop (see [`Handling::Halt`]).
    pub fn halt(&self) -> Option<&Halt> {
        self.halt.as_ref()
    }

    /// Stop trading for `reason` (the first reason is kept): e.g. `EAPI:Invalid nonce` on
    /// any REST call means another process may be using the key.
    pub fn set_halt(&mut self, reason: String) {
        self.halt.get_or_insert(Halt { reason });
    }

    /// The state of one of our orders.
    pub fn state(&self, id: &ClOrdId) -> Option<OrderState> {
        self.orders.get(id).map(|t| t.state)
    }

    /// The venue's id of one of our orders, once known.
    pub fn txid(&self, id: &ClOrdId) -> Option<&str> {
        self.orders.get(id).and_then(|t| t.txid.as_deref())
    }

    /// The volume of an order filled so far (as reported to the engine).
    pub fn filled(&self, id: &ClOrdId) -> Option<Qty> {
        self.orders.get(id).map(|t| t.filled)
    }

    /// Our live orders (pending, unknown or open) with their request and what is left.
    pub fn live_orders(&self) -> impl Iterator<Item = (&OrderRequest, OrderState, Qty)> {
        self.orders
            .values()
            .filter(|t| t.state.is_live())
            .map(|t| (&t.req, t.state, t.req.qty - t.filled))
    }

    /// When the order was sent.
    pub fn sent_at(&self, id: &ClOrdId) -> Option<Timestamp> {
        self.orders.get(id).map(|t| t.sent)
    }

    /// Whether the id is one of ours that the tracker knows.
    pub fn knows(&self, id: &ClOrdId) -> bool {
        self.orders.contains_key(id)
    }

    /// Move the events produced so far into `out`, oldest first.
    pub fn drain(&mut self, out: &mut Vec<VenueEvent>) {
        out.append(&mut self.out);
    }

    // ---- requests ----

    /// The add of `req` was handed to the transport as request `req_id` at `now` (a WS frame
    /// to the socket writer, or a REST `AddOrder` call whose answer comes as an
    /// [`AddResult`]); Kraken cannot place it after `deadline`.
    pub fn add_sent(
        &mut self,
        req_id: u64,
        req: &OrderRequest,
        now: Timestamp,
        deadline: Timestamp,
    ) {
        self.follow(req, now, deadline);
        self.requests.insert(
            req_id,
            Request::Add {
                id: req.cl_ord_id.clone(),
                sent: now,
            },
        );
    }

    /// An order accepted and held in the venue's outbox until the runner commits it: ours
    /// (pending, holding funds), not sent yet. [`Tracker::add_sent`] follows at the flush.
    pub fn add_intent(&mut self, req: &OrderRequest, now: Timestamp, deadline: Timestamp) {
        self.follow(req, now, deadline);
    }

    /// Follow again, after a restart, an order the store knows (restart step 4, live.md
    /// §6): `state` is the engine's, `filled` the volume of the fills already applied, and
    /// `deadline` when Kraken could last place it. Whatever happened while we were away is
    /// unknown until proven, so the order is looked up over REST by `cl_ord_id` at once:
    /// found, it is acked and its missing fills are fetched; absent after its deadline, an
    /// order that was never acked is proven never placed.
    pub fn resume(
        &mut self,
        req: &OrderRequest,
        state: OrderState,
        txid: Option<&str>,
        filled: Qty,
        deadline: Timestamp,
    ) {
        if !state.is_live() {
            return;
        }
        if let Some(txid) = txid {
            self.by_txid.insert(txid.to_string(), req.cl_ord_id.clone());
        }
        self.orders.insert(
            req.cl_ord_id.clone(),
            Tracked {
                req: req.clone(),
                state,
                txid: txid.map(str::to_string),
                sent: deadline,
                deadline,
                filled,
                held_end: None,
                needs_lookup: true,
            },
        );
    }

    /// Execution ids already applied (from the store): a fill seen again after a restart is
    /// a duplicate, and `TradesHistory` is paged back only to the newest of them.
    pub fn seed_fills<I: IntoIterator<Item = String>>(&mut self, exec_ids: I) {
        self.fills_seen.extend(exec_ids);
    }

    /// Orders whose outcome or fills are still to be proven (pending, unknown, or flagged
    /// for a lookup): the restart reconciliation is done when this is zero.
    pub fn unsettled(&self) -> usize {
        self.orders
            .values()
            .filter(|t| {
                t.state.in_flight()
                    || (t.state.is_live() && (t.needs_lookup || t.held_end.is_some()))
            })
            .count()
    }

    /// A held cancel could not be handed over (no connection): the engine hears it refused.
    pub fn cancel_not_sent(&mut self, id: &ClOrdId, now: Timestamp) {
        self.out.push(VenueEvent::CancelRejected {
            cl_ord_id: id.clone(),
            reason: Reject::Unavailable,
            ts: now,
        });
    }

    /// An order accepted by `place` could not be handed over: no connection. Nothing left
    /// this process, so it is proven never placed.
    pub fn add_not_sent(&mut self, req: &OrderRequest, now: Timestamp) {
        self.follow(req, now, now);
        self.settle_never_placed(&req.cl_ord_id, now);
    }

    fn follow(&mut self, req: &OrderRequest, now: Timestamp, deadline: Timestamp) {
        self.orders.insert(
            req.cl_ord_id.clone(),
            Tracked {
                req: req.clone(),
                state: OrderState::Pending,
                txid: None,
                sent: now,
                deadline,
                filled: Qty::ZERO,
                held_end: None,
                needs_lookup: false,
            },
        );
    }

    /// A `cancel_order` frame for `id` went out as request `req_id`.
    pub fn cancel_sent(&mut self, req_id: u64, id: &ClOrdId) {
        self.requests
            .insert(req_id, Request::Cancel { id: id.clone() });
    }

    // ---- replies ----

    /// A method reply. Replies to requests we do not know (another session's, `pong`) are
    /// ignored.
    pub fn on_reply(&mut self, reply: &MethodReply, now: Timestamp) {
        let Some(req_id) = reply.req_id else { return };
        // The WS supervisor numbers its own subscribe and ping requests: a reply is ours
        // only if its method is the one we sent under that id.
        match self.requests.get(&req_id) {
            Some(Request::Add { .. }) if reply.method == "add_order" => {
                self.on_add_reply(req_id, reply, now)
            }
            Some(Request::Cancel { id }) if reply.method == "cancel_order" => {
                let id = id.clone();
                self.requests.remove(&req_id);
                self.on_cancel_reply(&id, reply, now);
            }
            _ => {}
        }
    }

    fn on_add_reply(&mut self, req_id: u64, reply: &MethodReply, now: Timestamp) {
        let result = match (reply.success, &reply.result, &reply.error) {
            (true, ReplyResult::AddOrder(ack), _) => AddResult::Placed {
                txid: ack.order_id.clone(),
            },
            // A success without an order id, or a failure without an error, proves nothing
            // we can act on: the executions stream or REST will.
            (true, _, _) | (false, _, None) => AddResult::Unknown,
            (false, _, Some(err)) => AddResult::Refused(err.clone()),
        };
        self.settle_add(req_id, result, now);
    }

    /// The outcome of an add sent as request `req_id`, from a WS reply or a REST `AddOrder`
    /// (whose 5xx, HTML page or timeout is [`AddResult::Unknown`]).
    pub fn on_add_result(&mut self, req_id: u64, result: AddResult, now: Timestamp) {
        if matches!(self.requests.get(&req_id), Some(Request::Add { .. })) {
            self.settle_add(req_id, result, now);
        }
    }

    fn settle_add(&mut self, req_id: u64, result: AddResult, now: Timestamp) {
        let id = match self.requests.remove(&req_id) {
            Some(Request::Add { id, .. }) => id,
            Some(other) => {
                self.requests.insert(req_id, other);
                return;
            }
            None => return,
        };
        match result {
            AddResult::Placed { txid } => self.ack(&id, &txid, None, now),
            AddResult::Unknown => self.mark_unknown(&id, now),
            AddResult::Refused(err) => match refusal(&err) {
                Refusal::Rejected(reason) => self.reject(&id, None, reason, now),
                Refusal::Halt(reason) => {
                    self.halt.get_or_insert(Halt {
                        reason: format!("add_order refused: {reason}"),
                    });
                    self.reject(&id, None, Reject::Unavailable, now);
                }
                Refusal::Unclear => self.mark_unknown(&id, now),
            },
        }
    }

    fn on_cancel_reply(&mut self, id: &ClOrdId, reply: &MethodReply, now: Timestamp) {
        if reply.success {
            // The cancel is confirmed by the `canceled` execution, not by the reply.
            return;
        }
        self.cancel_refused(id, reply.error.as_ref(), now);
    }

    /// A cancel sent as request `req_id` (over REST) was refused with `error`.
    pub fn on_cancel_refused(&mut self, req_id: u64, error: &KrakenError, now: Timestamp) {
        if let Some(Request::Cancel { id }) = self.requests.remove(&req_id) {
            self.cancel_refused(&id, Some(error), now);
        }
    }

    fn cancel_refused(&mut self, id: &ClOrdId, error: Option<&KrakenError>, now: Timestamp) {
        let reason = match error.map(|e| &e.kind) {
            Some(ErrorKind::Reject {
                reject: OrderReject::UnknownOrder,
            }) => Reject::UnknownOrder,
            Some(ErrorKind::RateLimit { .. }) => Reject::RateLimited,
            Some(ErrorKind::Service { .. }) => Reject::Unavailable,
            _ => Reject::InvalidOrder,
        };
        if reason == Reject::UnknownOrder {
            // Already gone: its end (fills or cancel) is in the stream or must be fetched.
            if let Some(t) = self.orders.get_mut(id) {
                if t.state.is_live() {
                    t.needs_lookup = true;
                }
            }
        }
        self.out.push(VenueEvent::CancelRejected {
            cl_ord_id: id.clone(),
            reason,
            ts: now,
        });
    }

    // ---- connection and time ----

    /// The private socket dropped: replies still awaited will never come. Orders whose add
    /// is unanswered become unknown; unanswered cancels are forgotten (their effect shows in
    /// the next `executions` snapshot or a REST lookup).
    pub fn on_disconnect(&mut self, now: Timestamp) {
        let requests = std::mem::take(&mut self.requests);
        for request in requests.into_values() {
            if let Request::Add { id, .. } = request {
                self.mark_unknown(&id, now);
            }
        }
        // Open orders may have ended while we were away.
        for t in self.orders.values_mut() {
            if t.state == OrderState::Open {
                t.needs_lookup = true;
            }
        }
        self.last_sequence = None;
    }

    /// Time passes: adds whose reply is later than the timeout become unknown.
    pub fn on_timer(&mut self, now: Timestamp) {
        let late: Vec<(u64, ClOrdId)> = self
            .requests
            .iter()
            .filter_map(|(req_id, r)| match r {
                Request::Add { id, sent }
                    if now.millis() - sent.millis() >= self.reply_timeout_ms =>
                {
                    Some((*req_id, id.clone()))
                }
                _ => None,
            })
            .collect();
        for (req_id, id) in late {
            self.requests.remove(&req_id);
            self.mark_unknown(&id, now);
        }
    }

    /// Orders to look up over REST by `cl_ord_id` now: unknown ones (only once their
    /// deadline has passed can absence prove anything, but presence proves at once) and
    /// those with something missing.
    pub fn to_look_up(&self) -> Vec<ClOrdId> {
        self.orders
            .iter()
            .filter(|(_, t)| {
                t.state.is_live() && (t.state == OrderState::Unknown || t.needs_lookup)
            })
            .map(|(id, _)| id.clone())
            .collect()
    }

    // ---- executions ----

    /// One `executions` message (snapshot or update).
    pub fn on_executions(&mut self, msg: &ExecutionsMsg) {
        if let Some(seq) = msg.sequence {
            if let Some(last) = self.last_sequence {
                // Wire data: `last + 1` must not overflow into a panic.
                if last.checked_add(1).is_some_and(|next| seq > next) {
                    self.stats.sequence_gaps += 1;
                    self.flag_open_for_lookup();
                }
            }
            self.last_sequence = Some(self.last_sequence.map_or(seq, |l| l.max(seq)));
        }
        let snapshot = msg.kind == FeedType::Snapshot;
        let mut listed: BTreeSet<ClOrdId> = BTreeSet::new();
        for e in &msg.data {
            if let Some(id) = self.ours(e) {
                if snapshot && e.exec_type != ExecType::Trade {
                    listed.insert(id.clone());
                }
                self.on_execution(&id, e, snapshot);
            } else if e.ratecount.is_none() {
                // Manual orders, another instance's: never ours to report.
                self.stats.foreign_executions += 1;
            }
        }
        if snapshot {
            // A live order the open-orders snapshot does not list has ended (or, if it was
            // never acked, may never have been placed): only REST can tell which.
            for (id, t) in self.orders.iter_mut() {
                if t.state.is_live()
                    && !listed.contains(id)
                    && !matches!(t.state, OrderState::Pending)
                {
                    t.needs_lookup = true;
                }
            }
        }
    }

    fn ours(&self, e: &Execution) -> Option<ClOrdId> {
        if let Some(text) = &e.cl_ord_id {
            if let Ok(id) = ClOrdId::parse(text) {
                if self.orders.contains_key(&id) {
                    return Some(id);
                }
            }
        }
        self.by_txid.get(&e.order_id).cloned()
    }

    fn on_execution(&mut self, id: &ClOrdId, e: &Execution, snapshot: bool) {
        match &e.exec_type {
            ExecType::PendingNew | ExecType::New => {
                self.ack(id, &e.order_id, e.order_qty, e.timestamp);
            }
            // A `trade` may complete the order while saying `partially_filled` (live.md §1):
            // the fill's leaves come from our own sum, so the last fill ends it either way.
            ExecType::Trade if e.is_fill() => self.fill_from_ws(id, e),
            ExecType::Trade => {}
            ExecType::Filled => self.end(id, e, EndReason::Filled),
            ExecType::Canceled => {
                let post_only = e
                    .reason
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case("Post only order"));
                self.end(
                    id,
                    e,
                    if post_only {
                        EndReason::PostOnly
                    } else {
                        EndReason::Cancelled
                    },
                );
            }
            ExecType::Expired => self.end(id, e, EndReason::Expired),
            ExecType::Status | ExecType::Restated | ExecType::Amended | ExecType::IcebergRefill => {
                if snapshot {
                    self.ack(id, &e.order_id, e.order_qty, e.timestamp);
                }
            }
            ExecType::Other(_) => {}
        }
    }

    fn fill_from_ws(&mut self, id: &ClOrdId, e: &Execution) {
        let (Some(qty), Some(price)) = (e.last_qty, e.last_price) else {
            return;
        };
        let exec_id = e
            .exec_id
            .clone()
            .unwrap_or_else(|| format!("{}:{}", e.order_id, e.trade_id.unwrap_or_default()));
        let fee = self.fee_of(e);
        let liquidity = match e.liquidity_ind.as_deref() {
            Some("t") => Liquidity::Taker,
            _ => Liquidity::Maker,
        };
        self.fill(
            id,
            &e.order_id,
            &exec_id,
            price,
            qty,
            fee,
            liquidity,
            e.timestamp,
        );
    }

    fn fee_of(&mut self, e: &Execution) -> Quote {
        let mut total = Quote::ZERO;
        for f in e.fees.iter().flatten() {
            if f.asset.eq_ignore_ascii_case(&self.quote_asset) {
                match total.checked_add(Quote::new(f.qty.value())) {
                    Ok(t) => total = t,
                    Err(_) => self.stats.contradictions += 1,
                }
            } else {
                // `fee_preference: quote` was not honoured (live.md §8): the fee is in base.
                // Use Kraken's USD equivalent and count it.
                self.stats.contradictions += 1;
                if let Some(usd) = e.fee_usd_equiv {
                    total = total.checked_add(usd).unwrap_or(total);
                }
            }
        }
        total
    }

    #[allow(clippy::too_many_arguments)]
    fn fill(
        &mut self,
        id: &ClOrdId,
        txid: &str,
        exec_id: &str,
        price: flywheel_core::Price,
        qty: Qty,
        fee: Quote,
        liquidity: Liquidity,
        ts: Timestamp,
    ) {
        if !self.fills_seen.insert(exec_id.to_string()) {
            self.stats.duplicate_fills += 1;
            return;
        }
        let Some(t) = self.orders.get_mut(id) else {
            return;
        };
        if !t.state.is_live() {
            self.stats.contradictions += 1;
            return;
        }
        let Ok(filled) = t.filled.checked_add(qty) else {
            self.stats.contradictions += 1;
            t.needs_lookup = true;
            return;
        };
        if filled > t.req.qty {
            // More than the order's volume: something is wrong with our records.
            self.stats.contradictions += 1;
            t.needs_lookup = true;
            return;
        }
        t.filled = filled;
        if t.txid.is_none() {
            t.txid = Some(txid.to_string());
            self.by_txid.insert(txid.to_string(), id.clone());
        }
        let ev = VenueEvent::Fill {
            cl_ord_id: id.clone(),
            txid: txid.to_string(),
            side: t.req.side,
            price,
            qty,
            fee,
            liquidity,
            ts,
            leaves: t.req.qty - filled,
            exec_id: Some(exec_id.to_string()),
        };
        self.push(id, ev);
        self.release_held_end(id);
    }

    fn end(&mut self, id: &ClOrdId, e: &Execution, reason: EndReason) {
        let Some(t) = self.orders.get_mut(id) else {
            return;
        };
        if t.txid.is_none() {
            t.txid = Some(e.order_id.clone());
            self.by_txid.insert(e.order_id.clone(), id.clone());
        }
        let cum = e.cum_qty.unwrap_or(t.filled);
        t.held_end = Some(HeldEnd {
            reason,
            cum_qty: cum,
            ts: e.timestamp,
        });
        if cum > t.filled {
            self.stats.ends_held_for_fills += 1;
            t.needs_lookup = true;
        }
        self.release_held_end(id);
    }

    /// Report a held end once the fills it counts have all been reported.
    fn release_held_end(&mut self, id: &ClOrdId) {
        let Some(t) = self.orders.get_mut(id) else {
            return;
        };
        let Some(end) = t.held_end.clone() else {
            return;
        };
        if end.cum_qty > t.filled || !t.state.is_live() {
            if !t.state.is_live() {
                t.held_end = None;
            }
            return;
        }
        t.held_end = None;
        t.needs_lookup = false;
        let txid = t.txid.clone().unwrap_or_default();
        let filled = t.filled;
        let ev = match end.reason {
            // The last fill already reported leaves 0 when the whole volume traded.
            EndReason::Filled if filled == t.req.qty => return,
            EndReason::Filled => {
                // Kraken says filled with less than the order volume: it trimmed the order.
                self.stats.contradictions += 1;
                VenueEvent::Done {
                    cl_ord_id: id.clone(),
                    txid,
                    reason: DoneReason::Cancelled,
                    filled,
                    ts: end.ts,
                }
            }
            EndReason::Cancelled => VenueEvent::Done {
                cl_ord_id: id.clone(),
                txid,
                reason: DoneReason::Cancelled,
                filled,
                ts: end.ts,
            },
            EndReason::Expired => VenueEvent::Done {
                cl_ord_id: id.clone(),
                txid,
                reason: DoneReason::Expired,
                filled,
                ts: end.ts,
            },
            EndReason::PostOnly if filled.is_zero() => VenueEvent::Rejected {
                cl_ord_id: id.clone(),
                txid: Some(txid),
                reason: Reject::PostOnlyWouldTake,
                ts: end.ts,
            },
            EndReason::PostOnly => VenueEvent::Done {
                cl_ord_id: id.clone(),
                txid,
                reason: DoneReason::Cancelled,
                filled,
                ts: end.ts,
            },
        };
        self.push(id, ev);
    }

    // ---- REST ----

    /// The result of looking `id` up in `OpenOrders`/`ClosedOrders` at `now`. Returns whether
    /// fills are missing (the order executed more than the fills seen): fetch `TradesHistory`.
    pub fn on_lookup(&mut self, id: &ClOrdId, found: &Lookup, now: Timestamp) -> bool {
        let Some(t) = self.orders.get(id) else {
            return false;
        };
        if !t.state.is_live() {
            return false;
        }
        match found {
            Lookup::Absent => {
                if t.state.in_flight() && now > t.deadline {
                    self.settle_never_placed(id, now);
                } else if t.state == OrderState::Open {
                    // Acked but nowhere to be found: keep asking; this is a discrepancy.
                    self.stats.contradictions += 1;
                }
                false
            }
            Lookup::Found { txid, info } => {
                self.ack(id, txid, Some(info.vol), info.opentm);
                let Some(t) = self.orders.get_mut(id) else {
                    return false;
                };
                let missing = info.vol_exec > t.filled;
                let reason = match info.status {
                    OrderStatus::Canceled => {
                        if info
                            .reason
                            .as_deref()
                            .is_some_and(|r| r.eq_ignore_ascii_case("Post only order"))
                        {
                            Some(EndReason::PostOnly)
                        } else {
                            Some(EndReason::Cancelled)
                        }
                    }
                    OrderStatus::Expired => Some(EndReason::Expired),
                    OrderStatus::Closed => Some(EndReason::Filled),
                    _ => None,
                };
                if let Some(reason) = reason {
                    t.held_end = Some(HeldEnd {
                        reason,
                        cum_qty: info.vol_exec,
                        ts: info.closetm.unwrap_or(now),
                    });
                }
                if missing {
                    t.needs_lookup = true;
                } else if reason.is_none() {
                    t.needs_lookup = false;
                }
                self.release_held_end(id);
                missing
            }
        }
    }

    /// A fill from `TradesHistory` (txid = its execution id).
    pub fn on_rest_trade(&mut self, trade_txid: &str, trade: &TradeInfo) {
        let Some(id) = self.by_txid.get(&trade.ordertxid).cloned() else {
            if !self.fills_seen.contains(trade_txid) {
                self.stats.foreign_executions += 1;
            }
            return;
        };
        let liquidity = match trade.maker {
            Some(false) => Liquidity::Taker,
            _ => Liquidity::Maker,
        };
        self.fill(
            &id,
            &trade.ordertxid,
            trade_txid,
            trade.price,
            trade.vol,
            trade.fee,
            liquidity,
            trade.time,
        );
    }

    /// Fill ids seen so far (to page `TradesHistory` back to a known one).
    pub fn known_fills(&self) -> impl Iterator<Item = &String> {
        self.fills_seen.iter()
    }

    // ---- state changes ----

    fn ack(&mut self, id: &ClOrdId, txid: &str, qty: Option<Qty>, ts: Timestamp) {
        let Some(t) = self.orders.get_mut(id) else {
            return;
        };
        if t.txid.is_none() {
            t.txid = Some(txid.to_string());
            self.by_txid.insert(txid.to_string(), id.clone());
        }
        if !t.state.in_flight() {
            return;
        }
        let ev = VenueEvent::Acked {
            cl_ord_id: id.clone(),
            txid: txid.to_string(),
            qty: qty.unwrap_or(t.req.qty),
            ts,
        };
        self.push(id, ev);
    }

    fn reject(&mut self, id: &ClOrdId, txid: Option<String>, reason: Reject, ts: Timestamp) {
        let Some(t) = self.orders.get(id) else { return };
        if !t.state.is_live() {
            return;
        }
        self.push(
            id,
            VenueEvent::Rejected {
                cl_ord_id: id.clone(),
                txid,
                reason,
                ts,
            },
        );
    }

    fn mark_unknown(&mut self, id: &ClOrdId, ts: Timestamp) {
        let Some(t) = self.orders.get(id) else { return };
        if t.state != OrderState::Pending {
            return;
        }
        self.stats.unknown_outcomes += 1;
        self.push(
            id,
            VenueEvent::Unknown {
                cl_ord_id: id.clone(),
                ts,
            },
        );
    }

    fn settle_never_placed(&mut self, id: &ClOrdId, ts: Timestamp) {
        self.stats.never_placed += 1;
        self.push(
            id,
            VenueEvent::NeverPlaced {
                cl_ord_id: id.clone(),
                ts,
            },
        );
    }

    /// Ask for a lookup of every open order: the periodic audit that catches what no frame
    /// announces (a frame lost or held back with nothing after it).
    pub fn audit(&mut self) {
        self.flag_open_for_lookup();
    }

    fn flag_open_for_lookup(&mut self) {
        for t in self.orders.values_mut() {
            if t.state == OrderState::Open {
                t.needs_lookup = true;
            }
        }
    }

    /// Apply `ev` to the order's state and queue it; a contradiction is counted and the
    /// event dropped (the state machine refuses it), the order flagged for a lookup.
    fn push(&mut self, id: &ClOrdId, ev: VenueEvent) {
        let Some(t) = self.orders.get_mut(id) else {
            return;
        };
        match t.state.after(&ev) {
            Ok(next) => {
                t.state = next;
                if !next.is_live() {
                    t.needs_lookup = false;
                    t.held_end = None;
                }
                self.out.push(ev);
            }
            Err(_) => {
                self.stats.contradictions += 1;
                t.needs_lookup = t.state.is_live();
            }
        }
    }
}

/// What became of an add request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddResult {
    /// Kraken took it, under this txid.
    Placed { txid: String },
    /// Kraken answered with this error.
    Refused(KrakenError),
    /// No usable answer (5xx, HTML page, timeout, unreadable reply).
    Unknown,
}

/// How an `add_order` error settles the order.
enum Refusal {
    /// Kraken refused it: nothing was placed.
    Rejected(Reject),
    /// Refused, and trading must stop.
    Halt(String),
    /// We cannot tell what happened: reconcile.
    Unclear,
}

fn refusal(err: &KrakenError) -> Refusal {
    match (&err.kind, err.handling()) {
        (ErrorKind::Reject { reject }, _) => Refusal::Rejected(match reject {
            OrderReject::InsufficientFunds => Reject::InsufficientFunds,
            OrderReject::OrderMinimumNotMet => Reject::OrderMinimumNotMet,
            OrderReject::CostMinimumNotMet => Reject::CostMinimumNotMet,
            OrderReject::PostOnlyWouldTake => Reject::PostOnlyWouldTake,
            OrderReject::OrdersLimitExceeded => Reject::OrdersLimitExceeded,
            OrderReject::TickSizeCheckFailed => Reject::TickSizeCheckFailed,
            OrderReject::InvalidVolume => Reject::InvalidVolume,
            OrderReject::UnknownOrder => Reject::UnknownOrder,
            OrderReject::DuplicateOrder => Reject::DuplicateClOrdId,
            OrderReject::InvalidPrice
            | OrderReject::InvalidOrder
            | OrderReject::DeadlineElapsed => Reject::InvalidOrder,
        }),
        (ErrorKind::RateLimit { .. }, _) => Refusal::Rejected(Reject::RateLimited),
        (
            ErrorKind::Service {
                state:
                    ServiceState::Unavailable
                    | ServiceState::Busy
                    | ServiceState::CancelOnly
                    | ServiceState::PostOnly
                    | ServiceState::LimitOnly,
            },
            _,
        ) => Refusal::Rejected(Reject::Unavailable),
        (ErrorKind::InvalidArguments { .. }, _) => Refusal::Rejected(Reject::InvalidOrder),
        // The token was refused: the request was not processed.
        (ErrorKind::Session, _) => Refusal::Rejected(Reject::Unavailable),
        (_, Handling::Halt) => Refusal::Halt(err.raw.clone()),
        // `EGeneral:Internal error`, unrecognised strings: Kraken may have placed it.
        _ => Refusal::Unclear,
    }
}
