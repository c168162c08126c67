//! The engine snapshot: what a restart needs to resume exactly where it stopped — the slots
//! (with their orders and the ids they were sent under), the orders in flight, the client
//! order id sequence, the governor's state (seed 000 §6.1: smoothed error and velocity,
//! skew, last update time, sign flips, damping) and the run mode.
//!
//! **In-flight states.** The snapshot carries every followed order ([`Track`]) with its
//! [`OrderState`](flywheel_venue::OrderState) — pending, unknown or open — its executions so
//! far and its cancel request, and the venue events taken in but not applied yet; the id
//! sequence resumes where it stopped, so no id is ever issued twice. A restart thus knows
//! which orders still await an answer (to reconcile by client order id) and never sends an
//! order again that may already be on the venue.
//!
//! Fields missing from an older snapshot take their zero value: a governor without saved
//! state starts symmetric; without orders, tracking is rebuilt from the ids the slots hold
//! (as open orders with nothing executed); without an id sequence, the engine's own goes on.

use std::collections::BTreeMap;

use flywheel_governor::GovernorState;
use flywheel_grid::OrderRef;
use flywheel_venue::{ClOrdId, ClOrdIds, OrderState, Venue, VenueEvent};
use serde::{Deserialize, Serialize};

use crate::engine::{Engine, RunMode, Slot, Track};
use crate::journal::JournalSink;

/// A serializable picture of the engine.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EngineSnapshot {
    pub slots: Vec<Slot>,
    #[serde(default)]
    pub governor: GovernorState,
    #[serde(default = "running")]
    pub mode: RunMode,
    #[serde(default)]
    pub loss_lock_day: Option<i64>,
    /// The client order id sequence (absent in older snapshots).
    #[serde(default)]
    pub order_ids: Option<ClOrdIds>,
    /// The orders followed, with their in-flight states (absent in older snapshots).
    #[serde(default)]
    pub orders: Option<BTreeMap<ClOrdId, Track>>,
    /// Venue events taken in and not applied yet, in order.
    #[serde(default)]
    pub inbox: Vec<VenueEvent>,
}

fn running() -> RunMode {
    RunMode::Running
}

impl<V: Venue, J: JournalSink> Engine<V, J> {
    pub fn snapshot(&self) -> EngineSnapshot {
        EngineSnapshot {
            slots: self.slots.clone(),
            governor: self.governor.state.clone(),
            mode: self.mode.clone(),
            loss_lock_day: self.loss_lock_day,
            order_ids: Some(self.ids.clone()),
            orders: Some(self.tracks.clone()),
            inbox: self.inbox.iter().cloned().collect(),
        }
    }

    /// Resume from a snapshot taken by [`Engine::snapshot`]. A followed order whose slot
    /// index is beyond the snapshot's slots cannot be anybody's and is left out.
    pub fn restore(&mut self, snap: EngineSnapshot) {
        self.slots = snap.slots;
        self.governor.state = snap.governor;
        self.mode = snap.mode;
        self.loss_lock_day = snap.loss_lock_day;
        if let Some(ids) = snap.order_ids {
            self.ids = ids;
        }
        self.inbox = snap.inbox.into();
        let n = self.slots.len();
        self.tracks = match snap.orders {
            Some(orders) => orders.into_iter().filter(|(_, t)| t.slot < n).collect(),
            None => self.rebuild_tracks(),
        };
    }

    /// Tracking for an older snapshot: every id a slot holds, as an open order.
    fn rebuild_tracks(&self) -> BTreeMap<ClOrdId, Track> {
        let mut tracks = BTreeMap::new();
        for (idx, slot) in self.slots.iter().enumerate() {
            let now = slot.state.now;
            let mut follow = |txid: &Option<String>, target, side, price, qty| {
                if let Some(id) = txid.as_deref().and_then(|t| ClOrdId::parse(t).ok()) {
                    let mut t = Track::new(idx, target, side, price, qty, now);
                    t.state = OrderState::Open;
                    tracks.insert(id, t);
                }
            };
            for o in &slot.state.orders {
                follow(
                    &o.txid,
                    OrderRef::Slot(o.local_id),
                    o.side,
                    o.price,
                    o.volume,
                );
            }
            for r in &slot.state.recovery_orders {
                follow(
                    &r.txid,
                    OrderRef::Recovery(r.recovery_id),
                    r.side,
                    r.price,
                    r.volume,
                );
            }
        }
        tracks
    }
}
