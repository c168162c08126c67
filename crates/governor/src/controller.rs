//! The PD controller (seed 000 §1–2, §4.4) as a pure update of [`GovernorState`].
//!
//! Each update, at most every `interval_sec` of engine time:
//! 1. `error = idle_ratio − target` (idle ratio on the 0–1 scale: the scoreboard's percent
//!    divided by 100 at the boundary, clamped to 0–1);
//! 2. `α = 1 − exp(−dt / halflife)` (`dt` = time since the last update; the first update uses
//!    `interval_sec`); smoothed error and velocity are EMAs with that α, velocity being the
//!    change of the smoothed error per second;
//! 3. `raw = clamp(Kp·e + Kd·v, ±max)` where `max` is `max_skew`, halved while damped; inside
//!    the neutral band (`|e| < band`) `raw = 0`;
//! 4. slew limit: the skew moves toward `raw` by at most `max_skew_step`.
//!
//! Invariants (property-tested): `|skew| ≤ max_skew` and `|Δskew| ≤ max_skew_step` on every
//! update. Damping lowers the *target* of the slew, so a skew above the damped bound walks
//! down at the step rate rather than jumping.
//!
//! Oscillation (§4.4, §10.2): a sign flip is a change of sign between consecutive non-zero
//! skews. When the flips in the last hour reach 3, the governor warns and halves its bound for
//! the next hour. The seed's §4.4 says "more than 3" while its §10.2 alert fires at `>= 3`
//! ("3 flips/hr"); the alert's rule is used (see docs/governor.md).

use flywheel_core::Timestamp;
use serde::{Deserialize, Serialize};

use crate::config::GovernorConfig;

/// Flips in a rolling hour that trigger damping.
pub const FLIPS_TO_DAMP: usize = 3;
/// Length of the rolling window and of a damping period, seconds.
pub const HOUR_SECS: u64 = 3600;

/// The governor's persistent state (seed §6.1, plus the flip times the rolling count needs).
/// Every field defaults to zero, so an old snapshot without them starts symmetric.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GovernorState {
    pub smoothed_error: f64,
    pub smoothed_velocity: f64,
    pub current_skew: f64,
    /// Engine time of the last update (`None`: never updated).
    pub last_update_ts: Option<Timestamp>,
    pub sign_flips_1h: u32,
    /// Damped (bound halved) until this time.
    pub damped_until: Option<Timestamp>,
    /// Times of the sign flips of the last hour.
    pub flip_times: Vec<Timestamp>,
    /// Sign of the last non-zero skew (−1, 0, +1).
    pub last_sign: i8,
    /// The last idle ratio and raw error seen (telemetry).
    pub idle_ratio: f64,
    pub error: f64,
    /// The skew the actuator applies (see `actuator::applied_skew`): the controller's skew,
    /// zero while a gate holds, slew-limited back after. Persisted so a restart resumes it.
    pub applied_skew: f64,
}

/// What one update did.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    pub previous_skew: f64,
    pub skew: f64,
    /// This update started a damping period (the oscillation warning).
    pub damping_started: bool,
}

impl GovernorState {
    /// Whether the bound is halved at `now`.
    pub fn is_damped(&self, now: Timestamp) -> bool {
        self.damped_until.is_some_and(|until| now < until)
    }

    /// True when an update is due at `now`.
    pub fn due(&self, cfg: &GovernorConfig, now: Timestamp) -> bool {
        match self.last_update_ts {
            None => true,
            Some(last) => now.elapsed_at_least(last, cfg.interval_sec),
        }
    }

    /// Run one controller update with the scoreboard's idle ratio (0–1) if one is due at
    /// `now`; otherwise `None`. A disabled governor decays nothing and holds skew 0.
    pub fn update(
        &mut self,
        cfg: &GovernorConfig,
        idle_ratio: f64,
        now: Timestamp,
    ) -> Option<Update> {
        if !self.due(cfg, now) {
            return None;
        }
        let previous_skew = self.current_skew;
        if !cfg.enabled {
            self.current_skew = 0.0;
            self.last_update_ts = Some(now);
            return Some(Update {
                previous_skew,
                skew: 0.0,
                damping_started: false,
            });
        }
        let dt = match self.last_update_ts {
            Some(last) => (now.millis_since(last) as f64 / 1000.0).max(1e-3),
            None => cfg.interval_sec as f64,
        };
        let idle_ratio = if idle_ratio.is_finite() {
            idle_ratio.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let error = idle_ratio - cfg.target_idle_pct;
        let alpha = 1.0 - (-dt / cfg.ema_halflife as f64).exp();
        let prev = self.smoothed_error;
        self.smoothed_error = alpha * error + (1.0 - alpha) * prev;
        let raw_velocity = (self.smoothed_error - prev) / dt;
        self.smoothed_velocity = alpha * raw_velocity + (1.0 - alpha) * self.smoothed_velocity;
        self.idle_ratio = idle_ratio;
        self.error = error;

        let bound = if self.is_damped(now) {
            cfg.max_skew / 2.0
        } else {
            cfg.max_skew
        };
        let raw = if self.smoothed_error.abs() < cfg.neutral_band {
            0.0
        } else {
            (cfg.kp * self.smoothed_error + cfg.kd * self.smoothed_velocity).clamp(-bound, bound)
        };
        let step = (raw - previous_skew).clamp(-cfg.max_skew_step, cfg.max_skew_step);
        let skew = (previous_skew + step).clamp(-cfg.max_skew, cfg.max_skew);
        self.current_skew = skew;
        self.last_update_ts = Some(now);

        // Rolling-hour sign flips.
        let horizon = now.millis() - (HOUR_SECS as i64) * 1000;
        self.flip_times.retain(|t| t.millis() > horizon);
        let sign = if skew > 0.0 {
            1
        } else if skew < 0.0 {
            -1
        } else {
            0
        };
        if sign != 0 {
            if self.last_sign != 0 && sign != self.last_sign {
                self.flip_times.push(now);
            }
            self.last_sign = sign;
        }
        self.sign_flips_1h = u32::try_from(self.flip_times.len()).unwrap_or(u32::MAX);
        let mut damping_started = false;
        if self.flip_times.len() >= FLIPS_TO_DAMP && !self.is_damped(now) {
            self.damped_until = Some(now.plus_secs(HOUR_SECS));
            damping_started = true;
        }
        Some(Update {
            previous_skew,
            skew,
            damping_started,
        })
    }
}
