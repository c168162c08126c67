//! Operator commands on the maker (issue 14): the operator pause, cancelling the quotes and
//! the runtime settings, each written to the maker journal as one `operator` record (the
//! grid's shape: `{"kind":"operator","ts":…,"action":…,"params":{…},"ok":…,"result":…}`).
//!
//! Invariants:
//! - **The operator pause holds the quotes only.** While it holds, every quote decision is
//!   still made (the estimators, regimes and guards keep sampling the market, so a resume
//!   quotes on a warm state) but no side is placed, and the resting quotes are cancelled when
//!   it starts. The hedger goes on managing inventory: quoting counts as blocked, as under a
//!   guard's pause, so its emergency timer runs as the seed's does.
//! - **A runtime setting keeps all state**: only the configuration value changes; the
//!   quotes in force are re-decided at the next refresh.

use flywheel_core::Timestamp;
use flywheel_venue::Venue;

use super::MakerEngine;
use crate::maker_journal::{MakerRecord, MakerSink};
use crate::operator::{OperatorParams, OperatorResult, Setting, MAKER_SETTABLE_KEYS};

impl<V: Venue, J: MakerSink> MakerEngine<V, J> {
    /// The operator pause holds (no quotes; see the module docs).
    pub fn operator_paused(&self) -> bool {
        self.operator_paused
    }

    /// The maker's configuration in force.
    pub fn config(&self) -> (&flywheel_maker::MakerConfig, &flywheel_maker::HedgerConfig) {
        (&self.cfg, &self.hcfg)
    }

    /// Operator pause at `now`: the quotes are cancelled and none is placed until
    /// [`Self::operator_resume`].
    pub fn operator_pause(&mut self, now: Timestamp) -> OperatorResult {
        self.now = self.now.max(now);
        let result = if self.operator_paused {
            "already paused".to_string()
        } else {
            self.operator_paused = true;
            let n = self.withdraw_quotes();
            format!("paused: {n} quotes cancelled, none placed; the hedger goes on")
        };
        self.journal_operator(now, "pause", &OperatorParams::default(), Ok(&result));
        self.drain();
        Ok(result)
    }

    /// Lift the operator pause at `now`: the next refresh quotes again.
    pub fn operator_resume(&mut self, now: Timestamp) -> OperatorResult {
        self.now = self.now.max(now);
        let result = if std::mem::replace(&mut self.operator_paused, false) {
            "resumed: quotes return at the next refresh"
        } else {
            "not paused"
        };
        self.journal_operator(now, "resume", &OperatorParams::default(), Ok(result));
        Ok(result.to_string())
    }

    /// Cancel the resting quotes at `now` (the hedger's orders stay). Not paused, the maker
    /// quotes again at its next refresh.
    pub fn cancel_quotes(&mut self, now: Timestamp) -> OperatorResult {
        self.now = self.now.max(now);
        let n = self.withdraw_quotes();
        let mut result = format!("{n} quotes cancelled");
        if !self.operator_paused {
            result.push_str("; not paused: the maker quotes again at its next refresh");
        }
        self.journal_operator(
            now,
            "cancel_entries",
            &OperatorParams::default(),
            Ok(&result),
        );
        self.drain();
        Ok(result)
    }

    /// Cancel every resting quote; how many. Quoting is blocked from now (the hedger's
    /// emergency timer reads it) and the quotes' inventory is forgotten, so the next
    /// decision re-places rather than keeps.
    pub(super) fn withdraw_quotes(&mut self) -> usize {
        let resting = std::mem::take(&mut self.resting);
        for txid in resting.values() {
            self.cancel(txid);
        }
        self.quoting = false;
        self.blocked_since = self.blocked_since.or(Some(self.now));
        resting.len()
    }

    /// Apply a validated runtime setting at `now`; `raw` is the value as the operator sent
    /// it (journaled). A grid key is refused: this is the maker.
    pub fn apply_setting(
        &mut self,
        now: Timestamp,
        setting: &Setting,
        raw: &str,
    ) -> OperatorResult {
        self.now = self.now.max(now);
        let key = setting.key();
        let (mut maker, mut hedger) = (self.cfg.clone(), self.hcfg.clone());
        let outcome = if setting.apply_maker(&mut maker, &mut hedger) {
            self.cfg = maker;
            self.hcfg = hedger;
            Ok(format!("{key} = {}", setting.value()))
        } else {
            Err(format!(
                "{key} is not settable on the maker; settable keys: {}",
                MAKER_SETTABLE_KEYS.join(", ")
            ))
        };
        let journaled = outcome.as_deref().map_err(String::as_str);
        self.journal_operator(now, "set", &OperatorParams::set(key, raw), journaled);
        outcome
    }

    /// Journal an operator command the maker did not apply itself (refused before it got
    /// here, or answered by the runner).
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
            self.journal.record(&MakerRecord::Operator {
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
