//! The maker's estimators (spec `maker-origin.md` §1.3–1.6): volatility EMA with its band
//! and high-vol pause, the trend filter, and the defensive/aggressive regime switch.
//!
//! All are `f64` state machines fed `(now, mid)` by [`crate::quote::MakerState::update`];
//! none reads a clock. Modelling choices (spec §1.12):
//! - Volatility: `r = |Δmid| / mid_prev × 10⁴` per sample, EMA with the time-aware
//!   `α = 1 − exp(−ln2·Δt/H)` (= `1 − exp(−Δt/τ)` with `τ = H/ln2`). The first move seeds the
//!   EMA; a zero EMA is not re-seeded later. Samples with Δt ≤ 0 or a non-positive mid are
//!   ignored.
//! - Pause: enter at EMA ≥ `pause_threshold_bps`; leave at EMA ≤ `resume_threshold_bps` and
//!   |inventory| ≤ soft cap × `resume_inventory_ratio` (or a residue below the venue minimum,
//!   when the caller says so — see `quote.rs`). [`VolatilityEstimator::pauses`] counts the
//!   entries.
//! - Trend: three states with real hysteresis. Down is entered at `Δ ≤ −down_threshold` and
//!   held until `Δ > −down_resume`; up is entered at `Δ ≥ threshold` and held until
//!   `Δ < resume`. The down cooldown deadline is re-armed on every update in the down state,
//!   so the bid pause lasts `cooldown` seconds *after* the down-trend releases. Entering an
//!   up-trend clears the down cooldown (otherwise both sides could pause at once).
//! - Regime: target defensive when the PnL guard is active, the down guard holds, or
//!   volatility < threshold; a switch needs `regime_min_dwell_seconds` since the last one
//!   (the first switch is free). The profile's size factor and spread bonus both apply.

use std::collections::VecDeque;

use flywheel_core::{Price, Qty, Timestamp};
use serde::{Deserialize, Serialize};

use crate::config::MakerConfig;

/// Bound on kept trend samples (memory only; the lookback decides what counts).
const MAX_TREND_SAMPLES: usize = 4096;

/// EMA of absolute mid moves in bps, plus the high-vol pause state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VolatilityEstimator {
    ema_bps: f64,
    seeded: bool,
    last: Option<(Timestamp, Price)>,
    paused: bool,
    /// Pauses entered so far.
    #[serde(default)]
    pauses: u64,
}

impl VolatilityEstimator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Current estimate, bps (0 until the first move).
    pub fn value_bps(&self) -> f64 {
        self.ema_bps
    }

    /// True while the high-vol pause holds.
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Number of pauses entered so far.
    pub fn pauses(&self) -> u64 {
        self.pauses
    }

    /// Feed one mid sample.
    pub fn on_mid(&mut self, cfg: &MakerConfig, mid: Price, now: Timestamp) {
        if !mid.is_positive() {
            return;
        }
        let Some((t0, m0)) = self.last else {
            self.last = Some((now, mid));
            return;
        };
        let dt_ms = now.millis_since(t0);
        if dt_ms <= 0 {
            return;
        }
        self.last = Some((now, mid));
        let prev = m0.to_f64();
        let r = (mid.to_f64() - prev).abs() / prev * 1e4;
        if !self.seeded {
            self.ema_bps = r;
            self.seeded = true;
            return;
        }
        let h = cfg.vol_halflife_seconds.max(1) as f64;
        let alpha = 1.0 - (-std::f64::consts::LN_2 * (dt_ms as f64 / 1000.0) / h).exp();
        self.ema_bps += alpha * (r - self.ema_bps);
    }

    /// Re-evaluate the pause with the current |inventory| (no-op when volatility is off).
    /// `residue`: |inventory| is a residue below the venue minimum that no reducing quote can
    /// close, which does not hold the pause (the caller decides, per `pause_reducing_quotes`).
    pub fn update_pause(&mut self, cfg: &MakerConfig, inventory: Qty, residue: bool) {
        if !cfg.volatility_enabled {
            self.paused = false;
            return;
        }
        if self.paused {
            let cap = cfg.inventory_soft_cap.to_f64() * cfg.resume_inventory_ratio;
            let flat_enough = residue || inventory.abs().to_f64() <= cap;
            if self.ema_bps <= cfg.resume_threshold_bps && flat_enough {
                self.paused = false;
            }
        } else if self.ema_bps >= cfg.pause_threshold_bps {
            self.paused = true;
            self.pauses += 1;
        }
    }
}

/// Position of `vol` in the band, 0 at `vol_low_bps` to 1 at `vol_high_bps`.
pub fn band_fraction(cfg: &MakerConfig, vol_bps: f64) -> f64 {
    let width = cfg.vol_high_bps - cfg.vol_low_bps;
    if width <= 0.0 || !width.is_finite() {
        return if vol_bps >= cfg.vol_high_bps {
            1.0
        } else {
            0.0
        };
    }
    ((vol_bps - cfg.vol_low_bps) / width).clamp(0.0, 1.0)
}

/// Base full spread (bps): the band when volatility mode is on, else `spread_bps`.
pub fn base_spread_bps(cfg: &MakerConfig, vol_bps: f64) -> f64 {
    if !cfg.volatility_enabled {
        return cfg.spread_bps;
    }
    let f = band_fraction(cfg, vol_bps);
    cfg.vol_min_spread_bps + (cfg.vol_max_spread_bps - cfg.vol_min_spread_bps) * f
}

/// Volatility size factor including the high-vol clip (1.0 when volatility mode is off).
pub fn vol_size_factor(cfg: &MakerConfig, vol_bps: f64) -> f64 {
    if !cfg.volatility_enabled {
        return 1.0;
    }
    let f = band_fraction(cfg, vol_bps);
    let band = cfg.vol_max_size_multiplier
        - (cfg.vol_max_size_multiplier - cfg.vol_min_size_multiplier) * f;
    if high_vol_clip(cfg, vol_bps) {
        band * cfg.high_vol_size_multiplier
    } else {
        band
    }
}

/// True when the high-vol size clip applies.
pub fn high_vol_clip(cfg: &MakerConfig, vol_bps: f64) -> bool {
    cfg.volatility_enabled
        && cfg.high_vol_threshold_bps > 0.0
        && vol_bps >= cfg.high_vol_threshold_bps
}

/// Trend filter state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrendState {
    #[default]
    Neutral,
    /// Falling: bids pause (and stay paused through the cooldown).
    Down,
    /// Rising: asks pause.
    Up,
}

/// Return over the lookback with hysteresis and a down-trend cooldown.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrendFilter {
    samples: VecDeque<(Timestamp, Price)>,
    state: TrendState,
    down_cooldown_until: Option<Timestamp>,
    return_bps: f64,
}

impl TrendFilter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn state(&self) -> TrendState {
        self.state
    }

    /// Return over the lookback at the last update, bps.
    pub fn return_bps(&self) -> f64 {
        self.return_bps
    }

    /// True while the down-trend holds or its cooldown runs (gauge `maker_trend_down_guard`).
    pub fn down_guard(&self, now: Timestamp) -> bool {
        self.state == TrendState::Down || self.cooldown_active(now)
    }

    /// True while the down-trend cooldown runs.
    pub fn cooldown_active(&self, now: Timestamp) -> bool {
        self.down_cooldown_until.is_some_and(|t| now < t)
    }

    /// Feed one mid; `down_cooldown_seconds` comes from the regime profile.
    pub fn on_mid(
        &mut self,
        cfg: &MakerConfig,
        mid: Price,
        now: Timestamp,
        down_cooldown_seconds: u64,
    ) {
        if !cfg.trend_enabled {
            *self = TrendFilter::default();
            return;
        }
        if !mid.is_positive() || self.samples.back().is_some_and(|&(t, _)| now < t) {
            return;
        }
        self.samples.push_back((now, mid));
        let window_ms = (cfg.trend_lookback_seconds as i64).saturating_mul(1000);
        while self.samples.len() > MAX_TREND_SAMPLES
            || self
                .samples
                .front()
                .is_some_and(|&(t, _)| now.millis_since(t) > window_ms)
        {
            self.samples.pop_front();
        }
        let oldest = self.samples.front().map_or(mid, |&(_, p)| p).to_f64();
        let d = (mid.to_f64() - oldest) / oldest * 1e4;
        self.return_bps = d;

        // Release first, then entry from neutral (so a release and a new entry can share an
        // update; the thresholds make an immediate re-entry into the same state impossible).
        match self.state {
            TrendState::Down if d > -cfg.trend_down_resume_threshold_bps => {
                self.state = TrendState::Neutral
            }
            TrendState::Up if d < cfg.trend_resume_threshold_bps => {
                self.state = TrendState::Neutral
            }
            _ => {}
        }
        if self.state == TrendState::Neutral {
            if d >= cfg.trend_threshold_bps {
                self.state = TrendState::Up;
                self.down_cooldown_until = None;
            } else if d <= -cfg.trend_down_threshold_bps {
                self.state = TrendState::Down;
            }
        }
        if self.state == TrendState::Down {
            self.down_cooldown_until = Some(now.plus_secs(down_cooldown_seconds));
        }
    }
}

/// The two regime profiles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    #[default]
    Defensive,
    Aggressive,
}

impl Regime {
    /// Gauge `maker_regime_state`: 0 defensive, 1 aggressive.
    pub const fn gauge(self) -> u8 {
        match self {
            Regime::Defensive => 0,
            Regime::Aggressive => 1,
        }
    }
}

/// What a regime does to the quote.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegimeProfile {
    pub size_multiplier: f64,
    pub extra_spread_bps: f64,
    pub down_cooldown_seconds: u64,
}

/// Regime with dwell time; starts defensive.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RegimeSwitch {
    regime: Regime,
    last_switch: Option<Timestamp>,
}

impl RegimeSwitch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn regime(&self) -> Regime {
        self.regime
    }

    /// Move toward the target regime if the dwell time allows; returns true on a switch.
    pub fn update(
        &mut self,
        cfg: &MakerConfig,
        now: Timestamp,
        vol_bps: f64,
        pnl_guard_active: bool,
        trend_down_guard: bool,
    ) -> bool {
        if !cfg.regimes_enabled {
            return false;
        }
        let target =
            if pnl_guard_active || trend_down_guard || vol_bps < cfg.regime_vol_threshold_bps {
                Regime::Defensive
            } else {
                Regime::Aggressive
            };
        let dwell_ok = self
            .last_switch
            .is_none_or(|t| now.elapsed_at_least(t, cfg.regime_min_dwell_seconds));
        if target != self.regime && dwell_ok {
            self.regime = target;
            self.last_switch = Some(now);
            return true;
        }
        false
    }

    /// The active profile (neutral when regimes are off).
    pub fn profile(&self, cfg: &MakerConfig) -> RegimeProfile {
        if !cfg.regimes_enabled {
            return RegimeProfile {
                size_multiplier: 1.0,
                extra_spread_bps: 0.0,
                down_cooldown_seconds: cfg.trend_down_cooldown_seconds,
            };
        }
        match self.regime {
            Regime::Aggressive => RegimeProfile {
                size_multiplier: cfg.aggressive_size_multiplier,
                extra_spread_bps: cfg.aggressive_extra_spread_bps,
                down_cooldown_seconds: cfg.aggressive_down_cooldown_seconds,
            },
            Regime::Defensive => RegimeProfile {
                size_multiplier: cfg.defensive_size_multiplier,
                extra_spread_bps: cfg.defensive_extra_spread_bps,
                down_cooldown_seconds: cfg.defensive_down_cooldown_seconds,
            },
        }
    }
}

#[cfg(test)]
#[path = "estimators_tests.rs"]
mod tests;
