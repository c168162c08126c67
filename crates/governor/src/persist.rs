//! The stored form of [`GovernorState`] (seed 000 §6.2: resume from persisted values, no
//! cold-start spike; missing fields start at zero).
//!
//! The velocity changed unit, from per second to per hour (see [`crate::controller`]). A number
//! without its unit would be misread by whichever binary did not write it, so the snapshot key
//! names the unit: `smoothed_velocity_per_hour`. On load:
//! - `smoothed_velocity_per_hour` is used as is;
//! - otherwise an older snapshot's `smoothed_velocity` (per second) is multiplied by 3600: the
//!   same motion in the new unit, so the first update after a restart computes exactly the Kd
//!   term an uninterrupted run would (reading it unconverted would silence Kd for a few
//!   half-lives; no reading can move the skew by more than `max_skew_step`, the slew limit
//!   applies to every update);
//! - a binary from before the change, reading a new snapshot, finds no `smoothed_velocity` and
//!   starts its velocity at zero rather than misreading a per-hour number.
//!
//! A non-finite number (only a hand-edited or corrupted snapshot holds one, or a per-second
//! velocity so large that ×3600 overflows) restores as zero, so the controller's `|skew| ≤
//! max_skew` bound cannot be lost to a NaN.

use flywheel_core::Timestamp;
use serde::{Deserialize, Serialize};

use crate::controller::{GovernorState, VELOCITY_UNIT_SECS};

/// [`GovernorState`] as written to a snapshot. Both conversions name every field (no `..`), so
/// a field added to the state does not compile until it is stored here too.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct StoredState {
    smoothed_error: f64,
    /// The velocity per hour (written from this version on).
    #[serde(skip_serializing_if = "Option::is_none")]
    smoothed_velocity_per_hour: Option<f64>,
    /// The velocity per second of snapshots written before the unit changed (read only).
    #[serde(rename = "smoothed_velocity", skip_serializing)]
    legacy_velocity_per_sec: Option<f64>,
    current_skew: f64,
    last_update_ts: Option<Timestamp>,
    sign_flips_1h: u32,
    damped_until: Option<Timestamp>,
    flip_times: Vec<Timestamp>,
    last_sign: i8,
    idle_ratio: f64,
    error: f64,
    applied_skew: f64,
}

/// The value, or zero when it is not finite.
fn finite_or_zero(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

impl From<StoredState> for GovernorState {
    fn from(s: StoredState) -> Self {
        let velocity = match (s.smoothed_velocity_per_hour, s.legacy_velocity_per_sec) {
            (Some(per_hour), _) => per_hour,
            (None, Some(per_sec)) => per_sec * VELOCITY_UNIT_SECS,
            (None, None) => 0.0,
        };
        GovernorState {
            smoothed_error: finite_or_zero(s.smoothed_error),
            smoothed_velocity: finite_or_zero(velocity),
            current_skew: finite_or_zero(s.current_skew),
            last_update_ts: s.last_update_ts,
            sign_flips_1h: s.sign_flips_1h,
            damped_until: s.damped_until,
            flip_times: s.flip_times,
            last_sign: s.last_sign,
            idle_ratio: finite_or_zero(s.idle_ratio),
            error: finite_or_zero(s.error),
            applied_skew: finite_or_zero(s.applied_skew),
        }
    }
}

impl From<GovernorState> for StoredState {
    fn from(st: GovernorState) -> Self {
        let GovernorState {
            smoothed_error,
            smoothed_velocity,
            current_skew,
            last_update_ts,
            sign_flips_1h,
            damped_until,
            flip_times,
            last_sign,
            idle_ratio,
            error,
            applied_skew,
        } = st;
        StoredState {
            smoothed_error,
            smoothed_velocity_per_hour: Some(smoothed_velocity),
            legacy_velocity_per_sec: None,
            current_skew,
            last_update_ts,
            sign_flips_1h,
            damped_until,
            flip_times,
            last_sign,
            idle_ratio,
            error,
            applied_skew,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::config::GovernorConfig;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_secs(1_700_000_000 + secs)
    }

    /// Every field away from its default, so a field the stored form forgot would show.
    fn busy_state() -> GovernorState {
        GovernorState {
            smoothed_error: 0.21,
            smoothed_velocity: -0.07,
            current_skew: 0.25,
            last_update_ts: Some(at(900)),
            sign_flips_1h: 2,
            damped_until: Some(at(4500)),
            flip_times: vec![at(300), at(600)],
            last_sign: 1,
            idle_ratio: 0.61,
            error: 0.21,
            applied_skew: 0.2,
        }
    }

    fn load(json: &str) -> GovernorState {
        serde_json::from_str(json).expect("a stored governor state")
    }

    #[test]
    fn the_velocity_is_stored_under_a_key_naming_its_unit() {
        let json = serde_json::to_value(busy_state()).expect("serializes");
        let obj = json.as_object().expect("an object");
        assert_eq!(obj.get("smoothed_velocity_per_hour"), Some(&(-0.07).into()));
        assert!(
            !obj.contains_key("smoothed_velocity"),
            "an older binary must not read a per-hour number as per second"
        );
        assert_eq!(load(&json.to_string()), busy_state(), "round trip");
    }

    #[test]
    fn stored_velocities_load_per_hour() {
        // (name, stored JSON, velocity per hour after loading)
        let cases: [(&str, &str, f64); 5] = [
            (
                "current snapshot",
                r#"{"smoothed_velocity_per_hour": 0.25}"#,
                0.25,
            ),
            (
                "older snapshot, per second: ×3600",
                r#"{"smoothed_velocity": 0.00005}"#,
                0.18,
            ),
            (
                "both keys: the per-hour one",
                r#"{"smoothed_velocity": 0.00005, "smoothed_velocity_per_hour": 0.25}"#,
                0.25,
            ),
            ("no velocity: zero", r#"{"smoothed_error": 0.1}"#, 0.0),
            (
                "per second too large for per hour: zero",
                r#"{"smoothed_velocity": 1e306}"#,
                0.0,
            ),
        ];
        for (name, json, want) in cases {
            let v = load(json).smoothed_velocity;
            assert!((v - want).abs() < 1e-12, "case {name}: {v}");
        }
    }

    #[test]
    fn awkward_floats_round_trip_to_the_same_bits() {
        // A restart must resume the very numbers it stopped at: a last-digit error in the
        // smoothed error or the skew moves the next update and every size after it.
        // (name, value)
        let cases: [(&str, f64); 10] = [
            ("0.1 + 0.2", 0.1 + 0.2),
            ("misread without float_roundtrip", 0.212_918_907_267_134_58),
            ("also misread", 0.985_690_694_632_869_5),
            ("tiny", 1e-300),
            ("smallest subnormal", f64::from_bits(1)),
            ("largest subnormal", f64::from_bits(0x000f_ffff_ffff_ffff)),
            ("smallest normal", f64::MIN_POSITIVE),
            ("largest", f64::MAX),
            ("negative zero", -0.0),
            ("a third", -1.0 / 3.0),
        ];
        for (name, x) in cases {
            let st = GovernorState {
                smoothed_error: x,
                smoothed_velocity: -x,
                current_skew: x,
                idle_ratio: x,
                error: x,
                applied_skew: x,
                ..busy_state()
            };
            let back = load(&serde_json::to_string(&st).expect("serializes"));
            let bits = |s: &GovernorState| {
                [
                    s.smoothed_error,
                    s.smoothed_velocity,
                    s.current_skew,
                    s.idle_ratio,
                    s.error,
                    s.applied_skew,
                ]
                .map(f64::to_bits)
            };
            assert_eq!(bits(&back), bits(&st), "case {name}: {x:e}");
        }
    }

    #[test]
    fn non_finite_numbers_restore_as_zero() {
        let stored = StoredState {
            smoothed_error: f64::NAN,
            smoothed_velocity_per_hour: Some(f64::INFINITY),
            current_skew: f64::NEG_INFINITY,
            idle_ratio: f64::NAN,
            error: f64::INFINITY,
            applied_skew: f64::NAN,
            ..StoredState::default()
        };
        assert_eq!(GovernorState::from(stored), GovernorState::default());
    }

    /// An older snapshot (velocity per second, under the old key) taken mid-run resumes
    /// exactly where an uninterrupted run goes: no spike, no lost velocity.
    #[test]
    fn an_older_snapshot_resumes_like_an_uninterrupted_run() {
        let cfg = GovernorConfig::default();
        // Idle climbing then falling back: the velocity is large and changing at the restart.
        let idle = |k: i64| if k < 20 { 0.75 } else { 0.45 };
        let mut live = GovernorState::default();
        for k in 0..26 {
            live.update(&cfg, idle(k), at(300 * k)).expect("due");
        }
        assert!(live.smoothed_velocity < -0.1, "{}", live.smoothed_velocity);
        let mut old = serde_json::to_value(&live).expect("serializes");
        let obj = old.as_object_mut().expect("an object");
        let per_hour = obj
            .remove("smoothed_velocity_per_hour")
            .and_then(|v| v.as_f64())
            .expect("stored");
        obj.insert("smoothed_velocity".into(), (per_hour / 3600.0).into());
        let mut restored = load(&old.to_string());
        for k in 26..40 {
            let before = restored.current_skew;
            let a = live.update(&cfg, idle(k), at(300 * k)).expect("due");
            let b = restored.update(&cfg, idle(k), at(300 * k)).expect("due");
            assert!((a.skew - b.skew).abs() < 1e-12, "update {k}");
            assert!((b.skew - before).abs() <= cfg.max_skew_step + 1e-12);
            assert!((live.smoothed_velocity - restored.smoothed_velocity).abs() < 1e-12);
        }
    }

    proptest! {
        #[test]
        fn any_finite_state_round_trips(
            e in -1.0f64..1.0, v in -10.0f64..10.0, skew in -1.0f64..1.0,
            applied in -1.0f64..1.0, idle in 0.0f64..=1.0, flips in 0u32..10,
            sign in -1i8..=1, last in proptest::option::of(0i64..1_000_000),
        ) {
            let st = GovernorState {
                smoothed_error: e,
                smoothed_velocity: v,
                current_skew: skew,
                last_update_ts: last.map(at),
                sign_flips_1h: flips,
                damped_until: last.map(|s| at(s + 3600)),
                flip_times: last.into_iter().map(at).collect(),
                last_sign: sign,
                idle_ratio: idle,
                error: e,
                applied_skew: applied,
            };
            // serde_json (without its `float_roundtrip` feature) may parse the last digit of an
            // f64 one ulp off; everything else is exact.
            let back = load(&serde_json::to_string(&st).expect("serializes"));
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-15 * b.abs().max(1.0);
            prop_assert!(close(back.smoothed_velocity, st.smoothed_velocity));
            prop_assert!(close(back.smoothed_error, st.smoothed_error));
            prop_assert!(close(back.current_skew, st.current_skew));
            prop_assert!(close(back.applied_skew, st.applied_skew));
            prop_assert!(close(back.idle_ratio, st.idle_ratio));
            prop_assert!(close(back.error, st.error));
            let exact = |s: &GovernorState| (
                s.last_update_ts, s.sign_flips_1h, s.damped_until, s.flip_times.clone(), s.last_sign,
            );
            prop_assert_eq!(exact(&back), exact(&st));
        }
    }
}
