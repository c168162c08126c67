//! Detecting a target the governor cannot reach (issue 10 §3), so it stops pushing.
//!
//! A size skew can only move idle quote if entries at the scaled size can be placed and
//! fill. Three signs that it cannot, checked in this order:
//! - the quote runway floor is above the quote balance itself (no size makes it idle);
//! - a gate has held the skewed side at ×1.00 for an hour ([`HELD_LIMIT_SECS`]);
//! - the controller has sat at its bound for an hour of updates ([`SATURATED_UPDATES`])
//!   and the smoothed error shrank by less than [`MIN_PROGRESS`] over that hour.
//!
//! While one holds, the actuator applies no skew and the status names the cause; it clears
//! by itself when the condition does. Saturation cannot clear by itself while the skew is not
//! applied (the error it would move stays put), so a saturation stand-down lasts one more
//! hour of updates and then the governor pushes again for an hour: a probe, so a target that
//! became reachable (the market turned, quote came back) is found again. Pure: time and
//! observations are inputs.

use flywheel_core::Timestamp;
use serde::{Deserialize, Serialize};

use crate::config::GovernorConfig;
use crate::controller::GovernorState;

/// A gate held this long makes the target infeasible.
pub const HELD_LIMIT_SECS: u64 = 3600;
/// Updates at the bound (12 × the default 300 s = an hour) that make it infeasible.
pub const SATURATED_UPDATES: u32 = 12;
/// The share of the smoothed error an hour at the bound must remove to count as progress.
pub const MIN_PROGRESS: f64 = 0.10;

/// What the detector remembers between loops (stored in the engine's snapshot: a restart
/// keeps counting the run at the bound it was in).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Feasibility {
    /// Consecutive updates with the skew at its bound (standing down included).
    pub saturated_updates: u32,
    /// |smoothed error| when the current run at the bound began.
    pub error_at_saturation: f64,
    /// Since when a gate has held the skewed side.
    pub held_since: Option<Timestamp>,
}

impl Feasibility {
    /// After a controller update: count it when the skew sits at its (possibly damped) bound.
    pub fn observe_update(&mut self, cfg: &GovernorConfig, st: &GovernorState, now: Timestamp) {
        let bound = if st.is_damped(now) {
            cfg.max_skew / 2.0
        } else {
            cfg.max_skew
        };
        let at_bound = bound > 0.0 && st.current_skew.abs() >= bound - 1e-12;
        let error = st.smoothed_error.abs();
        if !at_bound {
            self.saturated_updates = 0;
            return;
        }
        if self.saturated_updates == 0 {
            self.error_at_saturation = error;
        }
        self.saturated_updates = self.saturated_updates.saturating_add(1);
        if self.saturated_updates == SATURATED_UPDATES
            && error < self.error_at_saturation * (1.0 - MIN_PROGRESS)
        {
            // An hour at the bound that moved the error: slow, not infeasible. Start over.
            self.saturated_updates = 1;
            self.error_at_saturation = error;
        } else if self.saturated_updates >= 2 * SATURATED_UPDATES {
            // An hour standing down: probe again with the skew applied.
            self.saturated_updates = 1;
            self.error_at_saturation = error;
        }
    }

    /// Every loop: whether (and which) gate holds the skewed side.
    pub fn observe_gate(&mut self, held: Option<&'static str>, now: Timestamp) {
        if held.is_some() {
            self.held_since.get_or_insert(now);
        } else {
            self.held_since = None;
        }
    }

    /// Why the target is infeasible now, if it is.
    pub fn cause(
        &self,
        runway_above_balance: bool,
        held: Option<&'static str>,
        now: Timestamp,
    ) -> Option<String> {
        self.infeasibility(runway_above_balance, held, now)
            .map(|c| c.to_string())
    }

    /// [`Self::cause`] without its text (which a loop forms only when the cause changes).
    pub fn infeasibility(
        &self,
        runway_above_balance: bool,
        held: Option<&'static str>,
        now: Timestamp,
    ) -> Option<Infeasibility> {
        if runway_above_balance {
            return Some(Infeasibility::RunwayAboveBalance);
        }
        if let (Some(gate), Some(since)) = (held, self.held_since) {
            if now.elapsed_at_least(since, HELD_LIMIT_SECS) {
                return Some(Infeasibility::GateHeld(gate));
            }
        }
        if self.saturated_updates >= SATURATED_UPDATES {
            return Some(Infeasibility::Saturated(self.saturated_updates));
        }
        None
    }
}

/// Why the target is infeasible; its text is the status's `infeasible`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Infeasibility {
    RunwayAboveBalance,
    /// The named gate has held the skewed side for an hour.
    GateHeld(&'static str),
    /// The controller has sat at its bound for this many updates.
    Saturated(u32),
}

impl std::fmt::Display for Infeasibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Infeasibility::RunwayAboveBalance => {
                f.write_str("the quote runway floor is above the quote balance")
            }
            Infeasibility::GateHeld(gate) => {
                write!(f, "the {gate} gate has held the skew for over an hour")
            }
            Infeasibility::Saturated(n) => {
                write!(f, "the controller has sat at its bound for {n} updates")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_secs(1_700_000_000 + secs)
    }

    #[test]
    fn causes_table() {
        let cfg = GovernorConfig::default(); // max_skew 0.30
        let saturated = GovernorState {
            current_skew: -0.30,
            ..GovernorState::default()
        };
        let free = GovernorState {
            current_skew: -0.20,
            ..GovernorState::default()
        };
        // (name, updates observed, skew state, gate held since (secs) and now, runway above
        // balance, cause starts with)
        type Case<'a> = (
            &'a str,
            u32,
            &'a GovernorState,
            Option<(i64, i64)>,
            bool,
            Option<&'a str>,
        );
        let cases: [Case; 6] = [
            ("feasible", 20, &free, None, false, None),
            (
                "runway above the balance",
                0,
                &free,
                None,
                true,
                Some("the quote runway floor"),
            ),
            (
                "gate held under an hour",
                0,
                &free,
                Some((0, 3599)),
                false,
                None,
            ),
            (
                "gate held an hour",
                0,
                &free,
                Some((0, 3600)),
                false,
                Some("the capacity gate"),
            ),
            ("saturated 11 updates", 11, &saturated, None, false, None),
            (
                "saturated 12 updates",
                12,
                &saturated,
                None,
                false,
                Some("the controller has sat"),
            ),
        ];
        for (name, updates, st, held, runway, want) in cases {
            let mut f = Feasibility::default();
            for _ in 0..updates {
                f.observe_update(&cfg, st, at(0));
            }
            let (gate, now) = match held {
                Some((since, now)) => {
                    f.observe_gate(Some("capacity"), at(since));
                    f.observe_gate(Some("capacity"), at(now));
                    (Some("capacity"), at(now))
                }
                None => (None, at(0)),
            };
            let got = f.cause(runway, gate, now);
            match want {
                None => assert_eq!(got, None, "{name}"),
                Some(prefix) => assert!(
                    got.as_deref().is_some_and(|c| c.starts_with(prefix)),
                    "{name}: {got:?}"
                ),
            }
        }
        // An hour at the bound that shrank the error is progress, not infeasibility; an hour
        // standing down is followed by a probe (the skew applies again).
        let mut f = Feasibility::default();
        for i in 0..12 {
            let st = GovernorState {
                smoothed_error: 0.30 - 0.01 * f64::from(i),
                ..saturated.clone()
            };
            f.observe_update(&cfg, &st, at(0));
        }
        assert_eq!(f.cause(false, None, at(0)), None, "0.30 → 0.19: progress");
        let mut f = Feasibility::default();
        let stuck = GovernorState {
            smoothed_error: 0.30,
            ..saturated.clone()
        };
        let standing: Vec<bool> = (0..26)
            .map(|_| {
                f.observe_update(&cfg, &stuck, at(0));
                f.cause(false, None, at(0)).is_some()
            })
            .collect();
        let first = standing.iter().position(|s| *s);
        assert_eq!(first, Some(11), "stands down at the 12th update");
        assert!(standing[11..23].iter().all(|s| *s), "for an hour");
        assert!(!standing[23], "then probes: {standing:?}");
        // Progress is judged over the whole hour: an early 10 % drop followed by a stall
        // counts at the 12th update (which restarts the count), so the stand-down comes an
        // hour later, at the 23rd.
        let mut f = Feasibility::default();
        let standing: Vec<bool> = (0..24)
            .map(|i| {
                let e = if i == 0 { 0.30 } else { 0.26 };
                let st = GovernorState {
                    smoothed_error: e,
                    ..saturated.clone()
                };
                f.observe_update(&cfg, &st, at(0));
                f.cause(false, None, at(0)).is_some()
            })
            .collect();
        assert_eq!(standing.iter().position(|s| *s), Some(22), "{standing:?}");
        // A skew off its bound resets the count; a reopened gate clears its clock.
        let mut f = Feasibility::default();
        for _ in 0..12 {
            f.observe_update(&cfg, &saturated, at(0));
        }
        f.observe_update(&cfg, &free, at(0));
        assert_eq!(f.saturated_updates, 0);
        f.observe_gate(Some("capacity"), at(0));
        f.observe_gate(None, at(10));
        assert_eq!(f.held_since, None);
    }

    /// The bound an update is compared with: half of `max_skew` while damped; a zero bound
    /// (`max_skew = 0`: the governor cannot push) never counts as saturated.
    #[test]
    fn saturation_bound_table() {
        let cfg = GovernorConfig::default(); // max_skew 0.30
        let frozen = GovernorConfig {
            max_skew: 0.0,
            ..GovernorConfig::default()
        };
        let damped = Some(at(3600));
        // (name, config, skew, damped until, counts as at the bound)
        let cases = [
            ("at max_skew", &cfg, -0.30, None, true),
            ("below max_skew", &cfg, 0.15, None, false),
            ("damped: at half of max_skew", &cfg, 0.15, damped, true),
            ("damped: below half", &cfg, 0.10, damped, false),
            ("max_skew 0: never saturated", &frozen, 0.0, None, false),
        ];
        for (name, c, skew, damped_until, want) in cases {
            let st = GovernorState {
                current_skew: skew,
                damped_until,
                ..GovernorState::default()
            };
            let mut f = Feasibility::default();
            f.observe_update(c, &st, at(0));
            assert_eq!(f.saturated_updates, u32::from(want), "case {name}");
        }
    }
}
