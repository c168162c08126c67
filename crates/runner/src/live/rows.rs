//! [`Rows`]: the store's `orders` and `fills` rows of one engine step, from what the step
//! captured (placements, venue events), the engine's order tracks and the venue's outbox.
//!
//! Invariants:
//! - **Intent before send.** An order in the outbox is written as `intent` in the step that
//!   placed it — the commit happens before the outbox is flushed — and as `sent` in the
//!   next commit.
//! - **One row per order, final once.** A row leaves the live cache when its order ends
//!   (filled, cancelled, expired, rejected, never placed); a later event for it changes
//!   nothing here (the engine and the tracker refuse it too).
//! - **Each fill once, with its ledger move.** A fill row is keyed by the exchange's
//!   execution id; the simulated exchange has none, so its fills are keyed by
//!   `sim:{txid}:{filled after}` (strictly increasing per order). The ledger moves by the
//!   same fills, with the volume the order had executed before each.

use std::collections::{BTreeMap, BTreeSet};

use flywheel_core::{FixedError, Qty, Timestamp};
use flywheel_store::{FillRow, OrderRow, OrderStatus};
use flywheel_venue::{ClOrdId, DoneReason, OrderState, VenueEvent};

use crate::live::capture::Captured;
use crate::live::ledger::Ledger;

/// What the engine's track of an order says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackView {
    pub state: OrderState,
    pub filled: Qty,
    pub txid: Option<String>,
    pub cancel_requested: bool,
}

/// The ids in the venue's outbox at the end of a step.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outboxed {
    pub adds: BTreeSet<ClOrdId>,
    pub cancels: BTreeSet<ClOrdId>,
}

/// The rows of one step.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StepRows {
    pub orders: Vec<OrderRow>,
    pub fills: Vec<FillRow>,
}

/// The live order rows (see the module docs).
#[derive(Debug, Default)]
pub struct Rows {
    live: BTreeMap<ClOrdId, OrderRow>,
    /// Flushed after the last commit: `sent` in the next one.
    just_sent: BTreeSet<ClOrdId>,
}

fn event_name(ev: &VenueEvent) -> &'static str {
    match ev {
        VenueEvent::Acked { .. } => "acked",
        VenueEvent::Fill { .. } => "fill",
        VenueEvent::Done { .. } => "done",
        VenueEvent::Rejected { .. } => "rejected",
        VenueEvent::Unknown { .. } => "unknown",
        VenueEvent::NeverPlaced { .. } => "never_placed",
        VenueEvent::CancelRejected { .. } => "cancel_rejected",
    }
}

impl Rows {
    /// The live rows a restart found in the store.
    pub fn from_store(rows: Vec<OrderRow>) -> Rows {
        Rows {
            live: rows
                .into_iter()
                .filter(|r| r.state.is_live())
                .map(|r| (r.cl_ord_id.clone(), r))
                .collect(),
            just_sent: BTreeSet::new(),
        }
    }

    pub fn live(&self) -> impl Iterator<Item = &OrderRow> {
        self.live.values()
    }

    pub fn get(&self, id: &ClOrdId) -> Option<&OrderRow> {
        self.live.get(id)
    }

    /// Whether the next commit has rows to write even if the step did nothing.
    pub fn has_pending(&self) -> bool {
        !self.just_sent.is_empty()
    }

    /// These outbox adds were handed to the transport after the commit.
    pub fn flushed<'a>(&mut self, ids: impl IntoIterator<Item = &'a ClOrdId>) {
        self.just_sent.extend(ids.into_iter().cloned());
    }

    /// The rows of step `step` at `at`; fills move `ledger` (when there is one). `intents`
    /// and cancels are the outbox's; `track` reads the engine's track of an
    /// order (`None` once the engine dropped it: it ended).
    pub fn step(
        &mut self,
        step: u64,
        at: Timestamp,
        cap: &Captured,
        outbox: &Outboxed,
        mut ledger: Option<&mut Ledger>,
        track: impl Fn(&ClOrdId) -> Option<TrackView>,
    ) -> Result<StepRows, FixedError> {
        let (intents, cancels) = (&outbox.adds, &outbox.cancels);
        let mut out = StepRows::default();
        let mut touched: BTreeSet<ClOrdId> = std::mem::take(&mut self.just_sent);
        for p in &cap.placements {
            self.live.insert(
                p.cl_ord_id.clone(),
                OrderRow {
                    cl_ord_id: p.cl_ord_id.clone(),
                    step,
                    slot: p.slot,
                    role: Some(p.role.to_string()),
                    side: p.side,
                    price: p.price,
                    qty: p.qty,
                    state: OrderStatus::Intent,
                    txid: None,
                    filled: Qty::ZERO,
                    created_at: p.ts,
                    updated_at: p.ts,
                    last_event: Some("placed".into()),
                },
            );
            touched.insert(p.cl_ord_id.clone());
        }
        touched.extend(cancels.iter().cloned());
        let mut last_event: BTreeMap<ClOrdId, &VenueEvent> = BTreeMap::new();
        for ev in &cap.events {
            let id = ev.cl_ord_id().clone();
            if let VenueEvent::Fill {
                txid,
                side,
                price,
                qty,
                fee,
                liquidity,
                ts,
                exec_id,
                ..
            } = ev
            {
                let row = self.live.get_mut(&id);
                let before = row.as_ref().map_or(Qty::ZERO, |r| r.filled);
                let after = before.checked_add(*qty)?;
                if let Some(l) = ledger.as_deref_mut() {
                    l.apply_fill(*side, *price, before, *qty, *fee)?;
                }
                if let Some(r) = row {
                    r.filled = after;
                    r.txid.get_or_insert_with(|| txid.clone());
                }
                out.fills.push(FillRow {
                    exec_id: exec_id
                        .clone()
                        .unwrap_or_else(|| format!("sim:{txid}:{after}")),
                    cl_ord_id: id.clone(),
                    txid: Some(txid.clone()),
                    side: *side,
                    price: *price,
                    qty: *qty,
                    fee: *fee,
                    liquidity: *liquidity,
                    ts: *ts,
                    step,
                });
            }
            last_event.insert(id.clone(), ev);
            touched.insert(id);
        }
        for id in touched {
            let Some(row) = self.live.get_mut(&id) else {
                // Not an order of ours this run knows (nothing to write but its fills).
                continue;
            };
            let ev = last_event.get(&id).copied();
            let state = match track(&id) {
                Some(t) => {
                    row.filled = row.filled.max(t.filled);
                    if let Some(x) = t.txid {
                        row.txid.get_or_insert(x);
                    }
                    OrderStatus::from_engine(
                        t.state,
                        intents.contains(&id),
                        row.filled.is_positive(),
                        t.cancel_requested || cancels.contains(&id),
                    )
                }
                None => ended_state(ev, row),
            };
            if let Some(VenueEvent::Acked { txid, .. }) = ev {
                row.txid.get_or_insert_with(|| txid.clone());
            }
            row.state = state;
            row.updated_at = at;
            if let Some(ev) = ev {
                row.last_event = Some(event_name(ev).to_string());
            }
            out.orders.push(row.clone());
            if !state.is_live() {
                self.live.remove(&id);
            }
        }
        Ok(out)
    }
}

/// The state of an order the engine no longer follows, from its last event.
fn ended_state(ev: Option<&VenueEvent>, row: &OrderRow) -> OrderStatus {
    match ev {
        Some(VenueEvent::Fill { leaves, .. }) if leaves.is_zero() => OrderStatus::Filled,
        Some(VenueEvent::Done { reason, .. }) => match reason {
            DoneReason::Cancelled => OrderStatus::Cancelled,
            DoneReason::Expired => OrderStatus::Expired,
        },
        Some(VenueEvent::Rejected { .. }) => OrderStatus::Rejected,
        Some(VenueEvent::NeverPlaced { .. }) => OrderStatus::NeverPlaced,
        _ if row.filled >= row.qty => OrderStatus::Filled,
        // The engine dropped it without an ending event of this step: keep what we knew.
        _ => row.state,
    }
}
