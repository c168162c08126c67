//! [`PnlGuard`]: widens and shrinks quotes after realized losses (spec `maker-origin.md`
//! §1.7), driven by **FIFO realized PnL** — the deltas `fifo.rs` produces — not by windowed
//! cash flow (the origin's defect §1.12.5).
//!
//! The caller records each realized-PnL delta with its time ([`PnlGuard::record`]) and calls
//! [`PnlGuard::update`] on its loop; a check runs at most every
//! `pnl_guard_check_interval_seconds`. A check fails when the sum of deltas inside the window
//! `(now − window, now]` is ≤ `pnl_guard_realized_floor`; after
//! `pnl_guard_trigger_consecutive` failing checks the guard is (re-)armed until
//! `now + pnl_guard_ttl_seconds`. It is not cleared early when the window recovers (the
//! origin's clear-on-recovery made it flap): an activation holds for its TTL, and each further
//! failing check extends it. [`PnlGuard::activations`] counts inactive → active transitions.

use std::collections::VecDeque;

use flywheel_core::{Quote, Timestamp};
use serde::{Deserialize, Serialize};

use crate::config::MakerConfig;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PnlGuard {
    events: VecDeque<(Timestamp, Quote)>,
    active_until: Option<Timestamp>,
    consecutive: u32,
    last_check: Option<Timestamp>,
    activations: u64,
}

impl PnlGuard {
    pub fn new() -> Self {
        Self::default()
    }

    /// Record one realized-PnL delta (FIFO, net of fees) realized at `at`.
    pub fn record(&mut self, at: Timestamp, delta: Quote) {
        self.events.push_back((at, delta));
    }

    /// Sum of the deltas realized in `(now − window, now]`.
    pub fn window_realized(&self, cfg: &MakerConfig, now: Timestamp) -> Quote {
        let window_ms = window_ms(cfg);
        self.events
            .iter()
            .filter(|&&(t, _)| t <= now && now.millis_since(t) < window_ms)
            .map(|&(_, q)| q)
            .sum()
    }

    /// Run a check if one is due; returns true when this call activated the guard.
    pub fn update(&mut self, cfg: &MakerConfig, now: Timestamp) -> bool {
        if !cfg.pnl_guard_enabled {
            self.active_until = None;
            self.consecutive = 0;
            return false;
        }
        let window_ms = window_ms(cfg);
        self.events
            .retain(|&(t, _)| now.millis_since(t) < window_ms);
        let due = self
            .last_check
            .is_none_or(|t| now.elapsed_at_least(t, cfg.pnl_guard_check_interval_seconds));
        if !due {
            return false;
        }
        self.last_check = Some(now);
        if self.window_realized(cfg, now) > cfg.pnl_guard_realized_floor {
            self.consecutive = 0;
            return false;
        }
        self.consecutive = self.consecutive.saturating_add(1);
        if self.consecutive < cfg.pnl_guard_trigger_consecutive {
            return false;
        }
        let was_active = self.active(now);
        self.active_until = Some(now.plus_secs(cfg.pnl_guard_ttl_seconds));
        if !was_active {
            self.activations += 1;
        }
        !was_active
    }

    /// True while an activation's TTL runs (gauge `maker_pnl_guard_active`).
    pub fn active(&self, now: Timestamp) -> bool {
        self.active_until.is_some_and(|t| now < t)
    }

    /// When the current activation ends, if any was armed.
    pub fn active_until(&self) -> Option<Timestamp> {
        self.active_until
    }

    /// Number of activations so far.
    pub fn activations(&self) -> u64 {
        self.activations
    }

    /// Extra full spread while active: `min(widen, max_extra)` bps.
    pub fn extra_spread_bps(cfg: &MakerConfig) -> f64 {
        cfg.pnl_guard_widen_bps
            .min(cfg.pnl_guard_max_extra_bps)
            .max(0.0)
    }

    /// Size factor while active: `clamp(size_multiplier, min_size_multiplier, 1)`.
    pub fn size_multiplier(cfg: &MakerConfig) -> f64 {
        cfg.pnl_guard_size_multiplier
            .max(cfg.pnl_guard_min_size_multiplier)
            .min(1.0)
    }
}

fn window_ms(cfg: &MakerConfig) -> i64 {
    (cfg.pnl_guard_window_seconds as i64).saturating_mul(1000)
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
