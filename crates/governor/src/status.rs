//! Telemetry (seed 000 §9–10): the `rebalancer` status block with exactly the §9.1 keys,
//! the §9.2 dashboard text, and the §10 log lines.

use flywheel_core::Timestamp;
use serde::Serialize;

use crate::actuator::Multipliers;
use crate::config::GovernorConfig;
use crate::controller::GovernorState;

/// The `rebalancer` block of the status snapshot (seed §9.1, these keys exactly).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RebalancerStatus {
    pub enabled: bool,
    pub idle_ratio: f64,
    pub target: f64,
    pub error: f64,
    pub smoothed_error: f64,
    /// The smoothed velocity: change of the smoothed error per hour.
    pub velocity: f64,
    pub skew: f64,
    /// `buy_doge` (B scaled), `sell_doge` (A scaled) or `neutral`.
    pub skew_direction: &'static str,
    pub size_mult_a: f64,
    pub size_mult_b: f64,
    pub damped: bool,
    pub sign_flips_1h: u32,
    /// The gate holding the skewed side at ×1.00 (`capacity`, `quote_runway`,
    /// `base_runway`), or null when the skew acts.
    pub held_by: Option<&'static str>,
    /// Why the target cannot be reached (then no skew is applied), or null.
    pub infeasible: Option<String>,
}

impl RebalancerStatus {
    pub fn new(
        cfg: &GovernorConfig,
        st: &GovernorState,
        mult: Multipliers,
        now: Timestamp,
    ) -> Self {
        let skew_direction = if st.current_skew > 0.0 {
            "buy_doge"
        } else if st.current_skew < 0.0 {
            "sell_doge"
        } else {
            "neutral"
        };
        RebalancerStatus {
            enabled: cfg.enabled,
            idle_ratio: st.idle_ratio,
            target: cfg.target_idle_pct,
            error: st.error,
            smoothed_error: st.smoothed_error,
            velocity: st.smoothed_velocity,
            skew: st.current_skew,
            skew_direction,
            size_mult_a: mult.a,
            size_mult_b: mult.b,
            damped: st.is_damped(now),
            sign_flips_1h: st.sign_flips_1h,
            held_by: None,
            infeasible: None,
        }
    }

    /// The same status with the infeasibility cause (see [`crate::feasibility`]).
    pub fn infeasible(self, cause: Option<String>) -> Self {
        RebalancerStatus {
            infeasible: cause,
            ..self
        }
    }

    /// The same status, naming the gate that holds the skewed side (see
    /// [`crate::actuator::held_by`]).
    pub fn held_by(self, gate: Option<&'static str>) -> Self {
        RebalancerStatus {
            held_by: gate,
            ..self
        }
    }

    /// The dashboard lines of §9.2.
    pub fn dashboard(&self) -> String {
        let head = if !self.enabled {
            "Governor: off".to_string()
        } else {
            let arrow = match (self.held_by, self.skew_direction) {
                // Not pushing (infeasible target) or a gate holds the side at ×1.00: say
                // so, never "Sell DOGE" at ×1.00.
                _ if self.infeasible.is_some() => "■ Standing down",
                (Some(_), _) => "■ Held",
                (None, "buy_doge") => "▶ Buy DOGE",
                (None, "sell_doge") => "◀ Sell DOGE",
                _ => "■ Neutral",
            };
            let damped = if self.damped { ", damped" } else { "" };
            let gate = match (&self.infeasible, self.held_by) {
                (Some(cause), _) => format!(": {cause}"),
                (None, Some(g)) => format!(" by the {} gate", g.replace('_', " ")),
                (None, None) => String::new(),
            };
            format!(
                "Governor: {arrow}{gate} (skew {:+.0}%{damped})",
                self.skew * 100.0
            )
        };
        format!(
            "{head}\nSize B: ×{:.2}  |  Size A: ×{:.2}\nIdle USD: {:.0}% → target {:.0}%",
            self.size_mult_b,
            self.size_mult_a,
            self.idle_ratio * 100.0,
            self.target * 100.0
        )
    }

    /// The per-update log line of §10.1, in the seed's format. Velocity is per hour, so the
    /// seed's three decimals show it (per second, as before, it printed `+0.000`).
    pub fn log_line(&self) -> String {
        format!(
            "[REBAL] idle={:.2} target={:.2} err={:+.2} vel={:+.3} skew={:+.2} size_a=×{:.2} size_b=×{:.2}",
            self.idle_ratio,
            self.target,
            self.smoothed_error,
            self.velocity,
            self.skew,
            self.size_mult_a,
            self.size_mult_b
        )
    }
}

/// The oscillation warning of §10.2.
pub fn oscillation_warning(cfg: &GovernorConfig, flips: u32) -> String {
    format!(
        "[REBAL] WARNING: oscillation detected ({flips} flips/hr), auto-damping MAX_SKEW to {:.2}",
        cfg.max_skew / 2.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_examples_render_in_the_seed_formats() {
        let cfg = GovernorConfig::default();
        let st = GovernorState {
            smoothed_error: 0.28,
            smoothed_velocity: 0.001,
            current_skew: 0.15,
            idle_ratio: 0.75,
            error: 0.35,
            ..GovernorState::default()
        };
        let s = RebalancerStatus::new(&cfg, &st, Multipliers { a: 1.0, b: 1.15 }, Timestamp::EPOCH);
        assert_eq!(
            s.log_line(),
            "[REBAL] idle=0.75 target=0.40 err=+0.28 vel=+0.001 skew=+0.15 size_a=×1.00 size_b=×1.15"
        );
        assert_eq!(
            s.dashboard(),
            "Governor: ▶ Buy DOGE (skew +15%)\nSize B: ×1.15  |  Size A: ×1.00\nIdle USD: 75% → target 40%"
        );
        let held = RebalancerStatus::new(
            &cfg,
            &GovernorState {
                current_skew: -0.30,
                ..st.clone()
            },
            Multipliers::NEUTRAL,
            Timestamp::EPOCH,
        )
        .held_by(Some("capacity"));
        assert_eq!(
            held.dashboard(),
            "Governor: ■ Held by the capacity gate (skew -30%)\nSize B: ×1.00  |  Size A: ×1.00\nIdle USD: 75% → target 40%",
            "never 'Sell DOGE' while A is ×1.00"
        );
        assert_eq!(
            oscillation_warning(&cfg, 3),
            "[REBAL] WARNING: oscillation detected (3 flips/hr), auto-damping MAX_SKEW to 0.15"
        );
        let keys: Vec<String> = serde_json::to_value(&s)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let mut want = vec![
            "enabled",
            "idle_ratio",
            "target",
            "error",
            "smoothed_error",
            "velocity",
            "skew",
            "skew_direction",
            "size_mult_a",
            "size_mult_b",
            "damped",
            "sign_flips_1h",
            "held_by",
            "infeasible",
        ];
        want.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, want);
    }

    /// The dashboard's first line for each situation; the cause set by `infeasible` is kept.
    #[test]
    fn dashboard_heads_table() {
        let cfg = GovernorConfig::default();
        let st = |skew| GovernorState {
            current_skew: skew,
            ..GovernorState::default()
        };
        let cause = || Some("the quote runway floor is above the quote balance".to_string());
        // (name, skew, held by, infeasible cause, first line)
        let cases = [
            ("buy", 0.15, None, None, "Governor: ▶ Buy DOGE (skew +15%)"),
            ("sell", -0.15, None, None, "Governor: ◀ Sell DOGE (skew -15%)"),
            ("neutral", 0.0, None, None, "Governor: ■ Neutral (skew +0%)"),
            (
                "held",
                -0.15,
                Some("base_runway"),
                None,
                "Governor: ■ Held by the base runway gate (skew -15%)",
            ),
            (
                "standing down, skew +",
                0.3,
                None,
                cause(),
                "Governor: ■ Standing down: the quote runway floor is above the quote balance (skew +30%)",
            ),
        ];
        for (name, skew, held, infeasible, want) in cases {
            let s = RebalancerStatus::new(&cfg, &st(skew), Multipliers::NEUTRAL, Timestamp::EPOCH)
                .held_by(held)
                .infeasible(infeasible.clone());
            assert_eq!(s.infeasible, infeasible, "case {name}");
            let dash = s.dashboard();
            assert_eq!(dash.lines().next(), Some(want), "case {name}");
        }
    }
}
