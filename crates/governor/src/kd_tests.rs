//! The velocity unit (per hour) and the Kd term: a known error ramp gives the documented
//! velocity, Appendix C's step 3 comes out of the controller, and Kd moves the skew when the
//! error moves — harder when it worsens, less when it improves — and not when it is steady.

use flywheel_core::Timestamp;

use crate::*;

const T0: i64 = 1_700_000_000;

/// Update `st` every `interval_sec` for the updates numbered `range` (update `k` at
/// `T0 + k × interval_sec`, idle ratio `idle(k)`); returns the last update.
fn drive(
    st: &mut GovernorState,
    cfg: &GovernorConfig,
    idle: impl Fn(u64) -> f64,
    range: std::ops::Range<u64>,
) -> Option<Update> {
    let mut last = None;
    for k in range {
        let now = Timestamp::from_secs(T0).plus_secs(k * cfg.interval_sec);
        last = st.update(cfg, idle(k), now);
        assert!(last.is_some(), "update {k} is due");
    }
    last
}

/// A steady ramp of the idle ratio: once both EMAs have settled (40 smoothing constants),
/// the smoothed velocity is the ramp's slope per hour, whatever the update cadence.
#[test]
fn a_known_ramp_gives_its_slope_per_hour() {
    // (name, interval_sec, idle change per update, expected velocity per hour)
    let cases: [(&str, u64, f64, f64); 5] = [
        ("rising 0.0005 per 5 min", 300, 0.0005, 0.006),
        ("falling 0.001 per 5 min", 300, -0.001, -0.012),
        ("rising 0.001 per 10 min", 600, 0.001, 0.006),
        ("rising 0.0001 per minute", 60, 0.0001, 0.006),
        ("flat", 300, 0.0, 0.0),
    ];
    for (name, interval, slope, want) in cases {
        let cfg = GovernorConfig {
            interval_sec: interval,
            ..GovernorConfig::default()
        };
        let n = 40 * cfg.ema_halflife / interval;
        let start = if slope < 0.0 { 0.9 } else { 0.1 };
        let mut st = GovernorState::default();
        drive(&mut st, &cfg, |k| start + slope * k as f64, 0..n);
        assert!(
            (st.smoothed_velocity - want).abs() < 1e-9,
            "case {name}: velocity {} per hour, want {want}",
            st.smoothed_velocity
        );
    }
}

/// With a 1 s half-life the EMAs follow their input at once (α = 1 − e^−300 = 1), so one step
/// of the idle ratio shows the raw velocity: the step divided by the elapsed hours.
#[test]
fn one_step_is_divided_by_the_elapsed_hours() {
    // (name, seconds between the two updates, idle step, expected velocity per hour)
    let cases: [(&str, u64, f64, f64); 3] = [
        ("0.01 in 5 min", 300, 0.01, 0.12),
        ("0.01 in 15 min (a late update)", 900, 0.01, 0.04),
        ("-0.05 in an hour", 3600, -0.05, -0.05),
    ];
    for (name, gap, step, want) in cases {
        let cfg = GovernorConfig {
            ema_halflife: 1,
            ..GovernorConfig::default()
        };
        let mut st = GovernorState::default();
        st.update(&cfg, 0.5, Timestamp::from_secs(T0)).expect("due");
        st.update(&cfg, 0.5 + step, Timestamp::from_secs(T0).plus_secs(gap))
            .expect("due");
        assert!(
            (st.smoothed_velocity - want).abs() < 1e-12,
            "case {name}: {} per hour, want {want}",
            st.smoothed_velocity
        );
    }
}

/// Appendix C step 3: `skew = 2.0 * 0.28 + 0.5 * 0.001 = +0.561` (0.5605 exactly); step 4
/// clamps it to 0.30; step 5 rate-limits the first update to +0.05.
#[test]
fn appendix_c_step_3_from_the_controller() {
    let cfg = GovernorConfig::default();
    let wide = GovernorConfig {
        max_skew: 1.0,
        ..GovernorConfig::default()
    };
    // (name, config, damped, expected raw output for e = 0.28, v = 0.001 per hour)
    let cases: [(&str, &GovernorConfig, bool, f64); 4] = [
        ("step 3, unclamped", &wide, false, 0.5605),
        ("step 4, clamped to max_skew", &cfg, false, 0.30),
        ("damped: clamped to half", &cfg, true, 0.15),
        (
            "without Kd",
            &GovernorConfig { kd: 0.0, ..wide },
            false,
            0.56,
        ),
    ];
    for (name, c, damped, want) in cases {
        let raw = raw_skew(c, 0.28, 0.001, damped);
        assert!((raw - want).abs() < 1e-12, "case {name}: {raw}");
    }

    // Step 5 through `update`: a state whose next update lands on e = 0.28, v = 0.001 with
    // the raw error 0.35 (idle 0.75), from skew 0.
    let alpha = 1.0 - (-300.0f64 / 1800.0).exp();
    let prev_e = (0.28 - alpha * 0.35) / (1.0 - alpha);
    let raw_v = (0.28 - prev_e) * 12.0;
    let prev_v = (0.001 - alpha * raw_v) / (1.0 - alpha);
    let mut st = GovernorState {
        smoothed_error: prev_e,
        smoothed_velocity: prev_v,
        last_update_ts: Some(Timestamp::from_secs(T0)),
        ..GovernorState::default()
    };
    let u = st
        .update(&cfg, 0.75, Timestamp::from_secs(T0 + 300))
        .expect("due");
    assert!((st.smoothed_error - 0.28).abs() < 1e-12);
    assert!((st.smoothed_velocity - 0.001).abs() < 1e-12);
    assert_eq!(u.skew, 0.05, "step 5: rate limited from 0 to +0.05");
}

/// Kd's effect when the error moves. From a settled state (velocity ≈ 0), one update with a
/// new idle ratio; slew and clamp opened so the PD output shows. The Kd contribution of a
/// 0.2 step is α × (α·0.2 per 1/12 h) × 0.5 ≈ 0.028 — per second it was 8e-6.
#[test]
fn kd_pushes_when_the_error_worsens_and_eases_when_it_improves() {
    // (name, settled idle, new idle, sign of the Kd contribution, sign of the skew)
    let cases: [(&str, f64, f64, f64, f64); 5] = [
        ("excess quote growing: push harder", 0.55, 0.75, 1.0, 1.0),
        (
            "excess quote shrinking: ease off (weak +)",
            0.75,
            0.55,
            -1.0,
            1.0,
        ),
        ("quote depleted, worse: push harder", 0.25, 0.05, -1.0, -1.0),
        (
            "quote depleted, improving: ease off (weak -)",
            0.05,
            0.25,
            1.0,
            -1.0,
        ),
        ("steady: Kd silent", 0.75, 0.75, 0.0, 1.0),
    ];
    for (name, settled, new, kd_sign, skew_sign) in cases {
        let skews: Vec<f64> = [0.5, 0.0]
            .into_iter()
            .map(|kd| {
                let cfg = GovernorConfig {
                    kd,
                    max_skew: 1.0,
                    max_skew_step: 1.0,
                    ..GovernorConfig::default()
                };
                let mut st = GovernorState::default();
                drive(&mut st, &cfg, |_| settled, 0..300);
                drive(&mut st, &cfg, |_| new, 300..301).map_or(f64::NAN, |u| u.skew)
            })
            .collect();
        let kd_part = skews[0] - skews[1];
        if kd_sign == 0.0 {
            assert!(kd_part.abs() < 1e-9, "case {name}: {skews:?}");
        } else {
            assert!(
                kd_part * kd_sign > 0.02 && kd_part.abs() < 0.03,
                "case {name}: Kd part {kd_part}"
            );
        }
        assert!(skews[0] * skew_sign > 0.0, "case {name}: {skews:?}");
    }
}

/// Appendix C steps 12–14 with Kd: idle falls from 75 % to 45 % after the skew has settled at
/// +0.30. The falling error's velocity eases the push before the error itself has come down:
/// with Kd the skew leaves 0.30 on the 5th update after the fall (0.252), without it on the 7th
/// (0.287), where the skew with Kd is already down to 0.178.
#[test]
fn kd_eases_the_skew_down_earlier_on_the_way_back() {
    let path = |kd: f64| {
        let cfg = GovernorConfig {
            kd,
            ..GovernorConfig::default()
        };
        let mut st = GovernorState::default();
        drive(&mut st, &cfg, |_| 0.75, 0..60);
        assert!((st.current_skew - 0.30).abs() < 1e-12);
        (60..67)
            .map(|k| {
                drive(&mut st, &cfg, |_| 0.45, k..k + 1);
                st.current_skew
            })
            .collect::<Vec<f64>>()
    };
    let (with, without) = (path(0.5), path(0.0));
    // (name, path, updates after the fall still at 0.30, the skew on the 7th)
    let cases = [("kd 0.5", &with, 4, 0.178), ("kd 0", &without, 6, 0.287)];
    for (name, p, at_bound, last) in cases {
        let held = p.iter().take_while(|&&s| (s - 0.30).abs() < 1e-12).count();
        assert_eq!(held, at_bound, "case {name}: {p:?}");
        assert!((p[6] - last).abs() < 1e-3, "case {name}: {p:?}");
    }
}
