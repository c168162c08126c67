//! The engine snapshot: what a restart needs to resume exactly where it stopped — the slots
//! (with their orders and exchange ids), the governor's state (seed 000 §6.1: smoothed error
//! and velocity, skew, last update time, sign flips, damping) and the run mode.
//!
//! Restoring rebuilds the engine's order tracking from the exchange ids the slots hold, so
//! executions arriving after the restart find their orders. Fields missing from an older
//! snapshot take their zero value: a governor without saved state starts symmetric.

use flywheel_governor::GovernorState;
use flywheel_grid::OrderRef;
use flywheel_venue::Venue;
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
        }
    }

    /// Resume from a snapshot taken by [`Engine::snapshot`].
    pub fn restore(&mut self, snap: EngineSnapshot) {
        self.slots = snap.slots;
        self.governor.state = snap.governor;
        self.mode = snap.mode;
        self.loss_lock_day = snap.loss_lock_day;
        self.tracks.clear();
        for (idx, slot) in self.slots.iter().enumerate() {
            let now = slot.state.now;
            let mut follow = |txid: &Option<String>, target, side| {
                if let Some(txid) = txid {
                    self.tracks
                        .insert(txid.clone(), Track::new(idx, target, side, now));
                }
            };
            for o in &slot.state.orders {
                follow(&o.txid, OrderRef::Slot(o.local_id), o.side);
            }
            for r in &slot.state.recovery_orders {
                follow(&r.txid, OrderRef::Recovery(r.recovery_id), r.side);
            }
        }
    }
}
