//! Operator commands on the grid engine (issue 14): the operator pause, cancelling the
//! resting entries, and the runtime settings. The runner's command channel calls these
//! between steps; each call writes one `operator` journal record
//! (`{"kind":"operator","ts":…,"action":"pause","params":{…},"ok":true,"result":"…"}`).
//!
//! Invariants:
//! - **The operator pause is its own flag**, apart from the run mode: the daily loss lock
//!   (`RunMode::Paused`) and a halt (`RunMode::Halted`) come and go by their own rules, and
//!   resuming one never lifts the other. While the operator pause holds, entries are dropped
//!   at placement time exactly as in a paused run mode (spec grid-origin §2.10: ticks, fills
//!   and exits go on, exits are re-priced and retried; bootstrap, auto-repair, the scheduler
//!   drain and the ancillary cyclers stop).
//! - **Cancelling entries never drops a position.** Only entries resting unfilled are
//!   cancelled; a partially filled entry is a position and keeps resting. The trade keeps a
//!   pending entry, placed again (at the market) by its next timer unless entries are paused:
//!   pause first to keep the book empty of entries.
//! - **A runtime setting keeps all state.** Changing a governor key swaps its configuration
//!   only: smoothed error, velocity, skew, damping and the multipliers in force carry on.

use flywheel_core::{Qty, Timestamp};
use flywheel_governor::GovernorConfig;
use flywheel_grid::{PlaceReason, Role};
use flywheel_maker::{HedgerConfig, MakerConfig};
use flywheel_venue::Venue;
use serde::Serialize;

use crate::engine::Engine;
use crate::journal::{JournalRecord, JournalSink};

/// The keys `set` accepts for the grid, as the configuration file names them.
pub const GRID_SETTABLE_KEYS: &[&str] = &[
    "rebalance.enabled",
    "rebalance.target_idle_pct",
    "rebalance.kp",
    "rebalance.kd",
];

/// The keys `set` accepts for the maker, as the configuration file names them.
pub const MAKER_SETTABLE_KEYS: &[&str] = &[
    "maker.spread_bps",
    "maker.base_size",
    "maker.size_max",
    "maker.inventory_soft_cap",
    "hedger.trigger_units",
];

/// What an operator command answered: `Ok(message)` when applied, `Err(why)` when refused.
pub type OperatorResult = Result<String, String>;

/// One runtime-settable value, already validated (by the configuration file's own checks,
/// in the CLI) and typed as the configuration holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Setting {
    RebalanceEnabled(bool),
    RebalanceTargetIdlePct(f64),
    RebalanceKp(f64),
    RebalanceKd(f64),
    MakerSpreadBps(f64),
    MakerBaseSize(Qty),
    MakerSizeMax(Qty),
    MakerInventorySoftCap(Qty),
    HedgerTriggerUnits(Qty),
}

impl Setting {
    /// The configuration key (`section.key`).
    pub fn key(&self) -> &'static str {
        match self {
            Setting::RebalanceEnabled(_) => "rebalance.enabled",
            Setting::RebalanceTargetIdlePct(_) => "rebalance.target_idle_pct",
            Setting::RebalanceKp(_) => "rebalance.kp",
            Setting::RebalanceKd(_) => "rebalance.kd",
            Setting::MakerSpreadBps(_) => "maker.spread_bps",
            Setting::MakerBaseSize(_) => "maker.base_size",
            Setting::MakerSizeMax(_) => "maker.size_max",
            Setting::MakerInventorySoftCap(_) => "maker.inventory_soft_cap",
            Setting::HedgerTriggerUnits(_) => "hedger.trigger_units",
        }
    }

    /// The value as the configuration file would print it.
    pub fn value(&self) -> String {
        match self {
            Setting::RebalanceEnabled(v) => v.to_string(),
            Setting::RebalanceTargetIdlePct(v)
            | Setting::RebalanceKp(v)
            | Setting::RebalanceKd(v)
            | Setting::MakerSpreadBps(v) => v.to_string(),
            Setting::MakerBaseSize(q)
            | Setting::MakerSizeMax(q)
            | Setting::MakerInventorySoftCap(q)
            | Setting::HedgerTriggerUnits(q) => q.to_string(),
        }
    }

    /// Read `key` from (validated) configuration sections; `None` for a key outside
    /// [`GRID_SETTABLE_KEYS`] and [`MAKER_SETTABLE_KEYS`].
    pub fn read(
        key: &str,
        rebalance: &GovernorConfig,
        maker: &MakerConfig,
        hedger: &HedgerConfig,
    ) -> Option<Setting> {
        Some(match key {
            "rebalance.enabled" => Setting::RebalanceEnabled(rebalance.enabled),
            "rebalance.target_idle_pct" => {
                Setting::RebalanceTargetIdlePct(rebalance.target_idle_pct)
            }
            "rebalance.kp" => Setting::RebalanceKp(rebalance.kp),
            "rebalance.kd" => Setting::RebalanceKd(rebalance.kd),
            "maker.spread_bps" => Setting::MakerSpreadBps(maker.spread_bps),
            "maker.base_size" => Setting::MakerBaseSize(maker.base_size),
            "maker.size_max" => Setting::MakerSizeMax(maker.size_max),
            "maker.inventory_soft_cap" => Setting::MakerInventorySoftCap(maker.inventory_soft_cap),
            "hedger.trigger_units" => Setting::HedgerTriggerUnits(hedger.trigger_units),
            _ => return None,
        })
    }

    /// Write this value into `cfg` if it is a governor key; false otherwise.
    pub fn apply_governor(&self, cfg: &mut GovernorConfig) -> bool {
        match *self {
            Setting::RebalanceEnabled(v) => cfg.enabled = v,
            Setting::RebalanceTargetIdlePct(v) => cfg.target_idle_pct = v,
            Setting::RebalanceKp(v) => cfg.kp = v,
            Setting::RebalanceKd(v) => cfg.kd = v,
            _ => return false,
        }
        true
    }

    /// Write this value into the maker's sections if it is a maker or hedger key; false
    /// otherwise.
    pub fn apply_maker(&self, maker: &mut MakerConfig, hedger: &mut HedgerConfig) -> bool {
        match *self {
            Setting::MakerSpreadBps(v) => maker.spread_bps = v,
            Setting::MakerBaseSize(q) => maker.base_size = q,
            Setting::MakerSizeMax(q) => maker.size_max = q,
            Setting::MakerInventorySoftCap(q) => maker.inventory_soft_cap = q,
            Setting::HedgerTriggerUnits(q) => hedger.trigger_units = q,
            _ => return false,
        }
        true
    }
}

/// The journal's `params` of a command: `{}`, or `{"key":…,"value":…}` for `set`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OperatorParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl OperatorParams {
    pub fn set(key: &str, value: &str) -> Self {
        OperatorParams {
            key: Some(key.to_string()),
            value: Some(value.to_string()),
        }
    }
}

impl<V: Venue, J: JournalSink> Engine<V, J> {
    /// The operator pause holds (no new entries; see the module docs).
    pub fn operator_paused(&self) -> bool {
        self.operator_paused
    }

    /// New entries may be placed: the run mode is running and the operator has not paused.
    pub(crate) fn entries_allowed(&self) -> bool {
        self.mode == crate::engine::RunMode::Running && !self.operator_paused
    }

    /// Operator pause at `now`: no new entries until [`Self::operator_resume`].
    pub fn operator_pause(&mut self, now: Timestamp) -> OperatorResult {
        self.touch();
        self.now = self.now.max(now);
        let result = if self.operator_paused {
            "already paused".to_string()
        } else {
            self.operator_paused = true;
            "paused: no new entries; exits and fills go on".to_string()
        };
        self.journal_operator(now, "pause", &OperatorParams::default(), Ok(&result));
        Ok(result)
    }

    /// Lift the operator pause at `now`. A loss lock or a halt still in force is named: it
    /// keeps entries stopped by its own rule.
    pub fn operator_resume(&mut self, now: Timestamp) -> OperatorResult {
        self.touch();
        self.now = self.now.max(now);
        let was = std::mem::replace(&mut self.operator_paused, false);
        let mut result = if was {
            "resumed".to_string()
        } else {
            "not paused".to_string()
        };
        match &self.mode {
            crate::engine::RunMode::Running => {}
            crate::engine::RunMode::Paused(r) => {
                result.push_str(&format!("; entries stay stopped by the loss lock: {r}"));
            }
            crate::engine::RunMode::Halted(r) => {
                result.push_str(&format!("; entries stay stopped by a halt: {r}"));
            }
        }
        self.journal_operator(now, "resume", &OperatorParams::default(), Ok(&result));
        Ok(result)
    }

    /// Cancel every entry resting unfilled at the venue at `now` (exits and partially
    /// filled entries stay; see the module docs). Returns how many cancels were requested.
    pub fn cancel_entries(&mut self, now: Timestamp) -> OperatorResult {
        self.touch();
        self.now = self.now.max(now);
        let mut cancelled = 0usize;
        for idx in 0..self.slots.len() {
            let resting: Vec<(u64, String)> = self.slots[idx]
                .state
                .orders
                .iter()
                .filter(|o| o.role == Role::Entry)
                .filter_map(|o| Some((o.local_id, o.txid.clone()?)))
                .filter(|(_, txid)| {
                    // Unfilled so far: a partial fill is a position, never let go.
                    self.tracks
                        .get(txid.as_str())
                        .is_some_and(|t| t.cum_qty.is_zero() && !t.cancel_requested)
                })
                .collect();
            for (local_id, txid) in resting {
                let s = &mut self.slots[idx].state;
                let Some(pos) = s.orders.iter().position(|o| o.local_id == local_id) else {
                    continue;
                };
                let order = s.orders.remove(pos);
                // The trade waits for its entry again, as after a stale refresh.
                s.trade_mut(order.trade_id).pending_entry = Some(PlaceReason::RefreshEntry);
                self.cancel(idx, &txid);
                cancelled += 1;
                self.normalize_mode(idx);
                self.validate(idx);
            }
        }
        self.drain_venue();
        let mut result = format!("cancel requested for {cancelled} resting entries");
        if !self.operator_paused {
            result.push_str("; not paused: the grid places entries again at its next loop");
        }
        self.journal_operator(
            now,
            "cancel_entries",
            &OperatorParams::default(),
            Ok(&result),
        );
        Ok(result)
    }

    /// Apply a validated runtime setting at `now`; `raw` is the value as the operator sent
    /// it (journaled). A maker key is refused: this is the grid.
    pub fn apply_setting(
        &mut self,
        now: Timestamp,
        setting: &Setting,
        raw: &str,
    ) -> OperatorResult {
        self.touch();
        self.now = self.now.max(now);
        let key = setting.key();
        let mut cfg = self.governor.cfg.clone();
        let outcome = if setting.apply_governor(&mut cfg) {
            // The configuration only: the controller's state and the multipliers in force
            // carry on (the next update uses the new gains).
            self.governor.cfg = cfg;
            Ok(format!("{key} = {}", setting.value()))
        } else {
            Err(format!(
                "{key} is not settable on the grid; settable keys: {}",
                GRID_SETTABLE_KEYS.join(", ")
            ))
        };
        let journaled = outcome.as_deref().map_err(String::as_str);
        self.journal_operator(now, "set", &OperatorParams::set(key, raw), journaled);
        outcome
    }

    /// Journal an operator command at `now` that the engine did not apply itself (refused
    /// before it got here, or answered by the runner: a reconcile).
    pub fn journal_operator(
        &mut self,
        now: Timestamp,
        action: &str,
        params: &OperatorParams,
        outcome: Result<&str, &str>,
    ) {
        self.now = self.now.max(now);
        if self.journal.enabled() {
            let (ok, result) = match outcome {
                Ok(r) => (true, r),
                Err(r) => (false, r),
            };
            self.journal.record(&JournalRecord::Operator {
                ts: self.now,
                action,
                params,
                ok,
                result,
            });
        }
    }
}

#[cfg(test)]
#[path = "operator_tests.rs"]
mod tests;
