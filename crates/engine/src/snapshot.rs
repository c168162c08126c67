//! The engine snapshot: everything a restart needs to continue **exactly** where the engine
//! stopped — the same journal and the same summary, byte for byte, as a run that never
//! stopped (issue 13; `tests/snapshot_restart.rs` restarts after every step of real runs).
//!
//! **What it holds.** Every field of [`Engine`] that carries information from one input to
//! the next:
//! - the slots (pair states with their orders and the ids they were sent under, residuals),
//!   the run mode, the daily loss lock and the operator pause;
//! - the orders followed ([`Track`]: in-flight state, executions so far — quantity,
//!   notional, fee — cancel request), the venue events taken in and not applied yet, and
//!   the client order id sequence (no id is ever issued twice);
//! - the governor's state (seed 000 §6.1: smoothed error and velocity, skew, last update,
//!   sign flips, damping; §6.2: resume without a cold-start spike) and its runtime: the
//!   multipliers in force, the gate holding, the infeasibility detector, its run figures;
//! - [`parts::MarketClock`]: the mark, its time and the engine clock;
//! - [`parts::LoopState`]: what a loop computes and the executions between loops go on
//!   using — the loop's free funds, entry adds used, capacity, sizing, the per-slot funding
//!   of the B split, the scoreboard, the loop count and last loop time;
//! - [`parts::RunRecord`]: the figures the summary is built from — counters, start
//!   balances, the sampled series with their strides;
//! - [`parts::LeakSnapshot`]: seed 001's per-slot patch state and B-side telemetry;
//! - [`parts::AncillarySnapshot`]: rangers and churners with their orders and totals.
//!
//! **What it leaves out, and why that is enough.** The configuration (grid, governor, leak
//! and ancillary settings) is not state: the engine a snapshot is restored into is built
//! from the same configuration. The venue is not the engine's: it is the exchange (the
//! simulated one is kept across a restart like a real one stays up). The journal sink is
//! the caller's. The venue event buffer is scratch space, empty between calls.
//!
//! **Floats** (governor, estimators' inputs, averaged gauges) serialize in their shortest
//! form and, with serde_json's `float_roundtrip`, parse back to the same bits.
//!
//! **Older snapshots.** Every field added after the first snapshot format is optional: a
//! part that is missing leaves the restored engine's own value, that of a freshly built
//! engine (zero counters, symmetric governor, the venue's balances as start balances).
//! Without orders, tracking is rebuilt from the ids the slots hold (as open orders with
//! nothing executed); without an id sequence, the engine's own goes on.
//!
//! **Restore never panics.** Everything is checked before anything is changed: a snapshot
//! of another slot count, a per-slot list of the wrong length or an order of a slot beyond
//! them is a [`RestoreError`], and the engine is left as it was.

mod parts;

use std::collections::BTreeMap;

use flywheel_governor::GovernorState;
use flywheel_grid::OrderRef;
use flywheel_venue::{ClOrdId, ClOrdIds, OrderState, Venue, VenueEvent};
use serde::{Deserialize, Serialize};

use crate::engine::{Engine, RunMode, Slot, Track};
use crate::journal::JournalSink;
pub use parts::{
    AncillarySnapshot, GovernanceSnapshot, LeakSnapshot, LoopState, MarketClock, RunRecord,
};

/// A serializable picture of the engine (see the module docs for what it holds).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EngineSnapshot {
    pub slots: Vec<Slot>,
    #[serde(default)]
    pub governor: GovernorState,
    #[serde(default = "running")]
    pub mode: RunMode,
    #[serde(default)]
    pub loss_lock_day: Option<i64>,
    /// The operator pause (absent in older snapshots: not paused).
    #[serde(default)]
    pub operator_paused: bool,
    /// The client order id sequence (absent in older snapshots).
    #[serde(default)]
    pub order_ids: Option<ClOrdIds>,
    /// The orders followed, with their in-flight states and executions so far (absent in
    /// older snapshots).
    #[serde(default)]
    pub orders: Option<BTreeMap<ClOrdId, Track>>,
    /// Venue events taken in and not applied yet, in order.
    #[serde(default)]
    pub inbox: Vec<VenueEvent>,
    /// The mark and the engine clock (absent in older snapshots, as are all below).
    #[serde(default)]
    pub market: Option<MarketClock>,
    #[serde(default, rename = "loop")]
    pub loop_state: Option<LoopState>,
    #[serde(default)]
    pub record: Option<RunRecord>,
    #[serde(default)]
    pub governance: Option<GovernanceSnapshot>,
    #[serde(default)]
    pub leak: Option<LeakSnapshot>,
    #[serde(default)]
    pub ancillary: Option<AncillarySnapshot>,
}

fn running() -> RunMode {
    RunMode::Running
}

/// Why a snapshot cannot be restored into this engine (nothing was changed).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    #[error(
        "the snapshot holds {snapshot} slots but the engine is configured with {engine}: \
         restore into an engine built with the snapshot's slot count"
    )]
    SlotCount { snapshot: usize, engine: usize },
    #[error("snapshot field `{field}` lists {len} slots, the snapshot holds {slots}")]
    PerSlot {
        field: &'static str,
        len: usize,
        slots: usize,
    },
    #[error("snapshot order {id} belongs to slot index {slot}, beyond the {slots} slots")]
    OrderSlot {
        id: String,
        slot: usize,
        slots: usize,
    },
    #[error("snapshot field `{field}`: {reason}")]
    Invalid { field: &'static str, reason: String },
}

impl<V: Venue, J: JournalSink> Engine<V, J> {
    pub fn snapshot(&self) -> EngineSnapshot {
        EngineSnapshot {
            slots: self.slots.clone(),
            governor: self.governor.state.clone(),
            mode: self.mode.clone(),
            loss_lock_day: self.loss_lock_day,
            operator_paused: self.operator_paused,
            order_ids: Some(self.ids.clone()),
            orders: Some(self.tracks.clone()),
            inbox: self.inbox.iter().cloned().collect(),
            market: Some(MarketClock::capture(self)),
            loop_state: Some(LoopState::capture(self)),
            record: Some(RunRecord::capture(self)),
            governance: Some(GovernanceSnapshot::capture(self)),
            leak: Some(LeakSnapshot::capture(self)),
            ancillary: Some(AncillarySnapshot::capture(self)),
        }
    }

    /// Resume from a snapshot taken by [`Engine::snapshot`] of an engine with the same
    /// configuration. Checked whole before anything changes: on an error the engine is
    /// untouched (see [`RestoreError`]).
    pub fn restore(&mut self, snap: EngineSnapshot) -> Result<(), RestoreError> {
        self.check(&snap)?;
        self.touch();
        let EngineSnapshot {
            slots,
            governor,
            mode,
            loss_lock_day,
            operator_paused,
            order_ids,
            orders,
            inbox,
            market,
            loop_state,
            record,
            governance,
            leak,
            ancillary,
        } = snap;
        self.slots = slots;
        self.governor.state = governor;
        self.mode = mode;
        self.loss_lock_day = loss_lock_day;
        self.operator_paused = operator_paused;
        if let Some(ids) = order_ids {
            self.ids = ids;
        }
        self.inbox = inbox.into();
        self.tracks = match orders {
            Some(orders) => orders,
            None => self.rebuild_tracks(),
        };
        if let Some(m) = market {
            m.apply(self);
        }
        if let Some(l) = loop_state {
            l.apply(self);
        }
        if let Some(r) = record {
            r.apply(self);
        }
        if let Some(g) = governance {
            g.apply(self);
        }
        if let Some(l) = leak {
            l.apply(self);
        }
        if let Some(a) = ancillary {
            a.apply(self);
        }
        Ok(())
    }

    /// Everything [`Self::restore`] relies on, checked before it changes anything.
    fn check(&self, snap: &EngineSnapshot) -> Result<(), RestoreError> {
        let slots = snap.slots.len();
        if slots != self.slots.len() {
            return Err(RestoreError::SlotCount {
                snapshot: slots,
                engine: self.slots.len(),
            });
        }
        let per_slot = |field: &'static str, len: usize| {
            if len == slots {
                Ok(())
            } else {
                Err(RestoreError::PerSlot { field, len, slots })
            }
        };
        if let Some(l) = &snap.loop_state {
            l.per_slot_lengths()
                .into_iter()
                .try_for_each(|(f, n)| per_slot(f, n))?;
        }
        if let Some(l) = &snap.leak {
            l.per_slot_lengths()
                .into_iter()
                .try_for_each(|(f, n)| per_slot(f, n))?;
        }
        if let Some(g) = &snap.governance {
            g.check()?;
        }
        let tracks = snap.orders.iter().flatten();
        if let Some((id, t)) = tracks.into_iter().find(|(_, t)| t.slot >= slots) {
            return Err(RestoreError::OrderSlot {
                id: id.to_string(),
                slot: t.slot,
                slots,
            });
        }
        Ok(())
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

#[cfg(test)]
mod tests;
