//! The dead-man switch (`CancelAllOrdersAfter`): Kraken cancels every order of the account
//! unless the switch is re-armed in time, so a bot that dies or hangs leaves nothing resting
//! for long (live.md §6, kraken.md §3.5: re-arm every 15–30 s with 60 s).
//!
//! Invariants:
//! - The switch is re-armed only while the **engine** is alive: its heartbeat (a counter the
//!   engine thread bumps on every poll, [`crate::live::venue::LiveVenue::set_heartbeat`])
//!   moved since the last re-arm. A hung engine thread stops re-arming, and Kraken cancels
//!   everything `timeout` later — the point of the switch.
//! - A re-arm that fails (unknown outcome, refusal) is retried at the next period; the state
//!   shows the last trigger time Kraken confirmed, never one it did not.
//! - Disarming (`timeout` 0) is explicit: [`DeadManSwitch::disarm`] (before maintenance or a
//!   clean stop that keeps orders resting).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flywheel_core::Timestamp;

use crate::net::private::PrivateRest;
use crate::outcome::RestOutcome;

/// Settings of the switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeadManConfig {
    /// Kraken cancels everything this long after the last re-arm (Kraken: < 86 400 s).
    pub timeout_secs: u32,
    /// Re-arm this often while the engine is alive.
    pub rearm_every: Duration,
}

impl Default for DeadManConfig {
    fn default() -> Self {
        DeadManConfig {
            timeout_secs: 60,
            rearm_every: Duration::from_secs(20),
        }
    }
}

/// What the operator sees of the switch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeadManState {
    /// When Kraken will cancel everything, as it last confirmed (`None`: disarmed or never
    /// armed).
    pub trigger_at: Option<Timestamp>,
    pub rearms: u64,
    pub failures: u64,
    /// Periods skipped because the engine's heartbeat did not move.
    pub skipped_engine_stalled: u64,
}

/// A running switch.
#[derive(Debug, Clone)]
pub struct DeadManSwitch {
    rest: PrivateRest,
    state: Arc<Mutex<DeadManState>>,
    stop: Arc<tokio::sync::Notify>,
}

impl DeadManSwitch {
    /// Start re-arming on the current tokio runtime, following `heartbeat`.
    pub fn start(rest: PrivateRest, cfg: DeadManConfig, heartbeat: Arc<AtomicU64>) -> Self {
        let sw = DeadManSwitch {
            rest,
            state: Arc::new(Mutex::new(DeadManState::default())),
            stop: Arc::new(tokio::sync::Notify::new()),
        };
        let me = sw.clone();
        tokio::spawn(async move {
            let mut seen: Option<u64> = None;
            loop {
                let beat = heartbeat.load(Ordering::Relaxed);
                if seen != Some(beat) {
                    seen = Some(beat);
                    me.arm(cfg.timeout_secs).await;
                } else {
                    me.lock().skipped_engine_stalled += 1;
                    tracing::warn!(target: "flywheel::dead_man", "engine heartbeat stalled: not re-arming the dead-man switch");
                }
                tokio::select! {
                    _ = tokio::time::sleep(cfg.rearm_every) => {}
                    _ = me.stop.notified() => return,
                }
            }
        });
        sw
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DeadManState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn state(&self) -> DeadManState {
        self.lock().clone()
    }

    async fn arm(&self, timeout_secs: u32) {
        match self.rest.cancel_all_orders_after(timeout_secs).await {
            Ok(RestOutcome::Done { result, .. }) => {
                let mut st = self.lock();
                st.trigger_at = result.trigger_time;
                st.rearms += 1;
            }
            other => {
                self.lock().failures += 1;
                let why = match other {
                    Ok(RestOutcome::Refused(e)) => format!("refused: {e:?}"),
                    Ok(RestOutcome::Unknown(a) | RestOutcome::Failed(a)) => format!("{a:?}"),
                    Ok(RestOutcome::Done { .. }) => String::new(),
                    Err(e) => e.to_string(),
                };
                tracing::warn!(target: "flywheel::dead_man", why, "dead-man switch re-arm failed");
            }
        }
    }

    /// Stop re-arming and disarm the switch (orders stay resting).
    pub async fn disarm(&self) {
        self.stop.notify_one();
        if let Ok(RestOutcome::Done { .. }) = self.rest.cancel_all_orders_after(0).await {
            self.lock().trigger_at = None;
        }
    }

    /// Stop re-arming, leaving the switch armed: Kraken cancels everything at the trigger.
    pub fn stop(&self) {
        self.stop.notify_one();
    }
}
