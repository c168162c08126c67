//! The maker's snapshot: everything a restart needs to continue **exactly** where it stopped
//! (issue 13; `tests/snapshot_restart.rs` restarts the maker after every step of a real run
//! and checks the journal and summary byte for byte).
//!
//! It holds every field of [`MakerEngine`] that carries information from one input to the
//! next: the maker state (estimators, regimes, guards), the FIFO book, the hedger, the
//! orders followed with their executions so far, the resting and passive ids, the id
//! sequence, the mid and the clocks, the quoting flags, the operator pause and a halt, the last
//! telemetry, the run figures
//! (with the inventory histogram, which the summary does not print but its p99 is built
//! from) and the sampled series.
//!
//! Left out: the configuration (the engine restored into is built from the same one), the
//! venue (the exchange's state, not the engine's), the journal sink and the venue event
//! buffer (scratch, empty between calls). The maker applies every venue event as it
//! arrives, so there are no pending events to carry.
//!
//! Restore checks before it changes anything: a resting or passive id that names no
//! followed order is a [`MakerRestoreError`], and the engine is left as it was.

use std::collections::BTreeMap;

use flywheel_core::{Price, Qty, Side, Timestamp};
use flywheel_maker::{FifoBook, Hedger, MakerState, MakerTelemetry};
use flywheel_venue::{ClOrdId, ClOrdIds, Venue};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{MakerEngine, MakerSample, MakerStats, Track};
use crate::maker_journal::MakerSink;
use crate::stats::Series;

/// A serializable picture of the maker (see the module docs).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MakerSnapshot {
    state: MakerState,
    fifo: FifoBook,
    hedger: Hedger,
    tracks: BTreeMap<ClOrdId, Track>,
    resting: BTreeMap<Side, ClOrdId>,
    passive: Option<ClOrdId>,
    ids: ClOrdIds,
    mid: Price,
    now: Timestamp,
    last_refresh: Option<Timestamp>,
    last_account: Option<Timestamp>,
    last_step: Option<Timestamp>,
    quoted_inventory: Option<Qty>,
    quoting: bool,
    blocked_since: Option<Timestamp>,
    /// The operator pause (absent in older snapshots: not paused).
    #[serde(default)]
    operator_paused: bool,
    /// Why quoting is halted (absent in older snapshots: not halted).
    #[serde(default)]
    halted: Option<String>,
    telemetry: Option<MakerTelemetry>,
    stats: MakerStats,
    /// `stats.histogram`, which the summary leaves out.
    histogram: Vec<(i64, i64)>,
    samples: Series<MakerSample>,
}

/// A snapshot that cannot be restored.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum MakerRestoreError {
    #[error("maker snapshot: the {what} order {id} is not among the orders followed")]
    UnknownOrder { what: &'static str, id: String },
}

impl<V: Venue, J: MakerSink> MakerEngine<V, J> {
    pub fn snapshot(&self) -> MakerSnapshot {
        MakerSnapshot {
            state: self.state.clone(),
            fifo: self.fifo.clone(),
            hedger: self.hedger.clone(),
            tracks: self.tracks.clone(),
            resting: self.resting.clone(),
            passive: self.passive.clone(),
            ids: self.ids.clone(),
            mid: self.mid,
            now: self.now,
            last_refresh: self.last_refresh,
            last_account: self.last_account,
            last_step: self.last_step,
            quoted_inventory: self.quoted_inventory,
            quoting: self.quoting,
            blocked_since: self.blocked_since,
            operator_paused: self.operator_paused,
            halted: self.halted.clone(),
            telemetry: self.telemetry.clone(),
            stats: self.stats.clone(),
            histogram: self.stats.histogram.iter().map(|(k, v)| (*k, *v)).collect(),
            samples: self.samples.clone(),
        }
    }

    /// Resume from a snapshot taken by [`MakerEngine::snapshot`].
    pub fn restore(&mut self, snap: MakerSnapshot) -> Result<(), MakerRestoreError> {
        let unknown = |what, id: &ClOrdId| MakerRestoreError::UnknownOrder {
            what,
            id: id.to_string(),
        };
        for id in snap.resting.values() {
            if !snap.tracks.contains_key(id) {
                return Err(unknown("resting", id));
            }
        }
        if let Some(id) = &snap.passive {
            if !snap.tracks.contains_key(id) {
                return Err(unknown("passive", id));
            }
        }
        let mut stats = snap.stats;
        stats.histogram = snap.histogram.into_iter().collect();
        self.state = snap.state;
        self.fifo = snap.fifo;
        self.hedger = snap.hedger;
        self.tracks = snap.tracks;
        self.resting = snap.resting;
        self.passive = snap.passive;
        self.ids = snap.ids;
        self.mid = snap.mid;
        self.now = snap.now;
        self.last_refresh = snap.last_refresh;
        self.last_account = snap.last_account;
        self.last_step = snap.last_step;
        self.quoted_inventory = snap.quoted_inventory;
        self.quoting = snap.quoting;
        self.blocked_since = snap.blocked_since;
        self.operator_paused = snap.operator_paused;
        self.halted = snap.halted;
        self.telemetry = snap.telemetry;
        self.stats = stats;
        self.samples = snap.samples;
        Ok(())
    }
}
