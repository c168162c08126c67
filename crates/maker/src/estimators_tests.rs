use super::*;

fn px(s: &str) -> Price {
    s.parse().unwrap()
}
fn qty(s: &str) -> Qty {
    s.parse().unwrap()
}
fn t(secs: i64) -> Timestamp {
    Timestamp::from_secs(secs)
}

#[test]
fn volatility_ema_is_time_aware() {
    let cfg = MakerConfig::default(); // half-life 35 s
    let mut v = VolatilityEstimator::new();
    v.on_mid(&cfg, px("100"), t(0));
    assert_eq!(v.value_bps(), 0.0, "first sample only initialises");
    v.on_mid(&cfg, px("100.1"), t(5)); // 10 bps: seeds
    assert!((v.value_bps() - 10.0).abs() < 1e-9);
    // A move of 0 after exactly one half-life halves the estimate.
    v.on_mid(&cfg, px("100.1"), t(40));
    assert!((v.value_bps() - 5.0).abs() < 1e-9, "{}", v.value_bps());
    // Same timestamp and out-of-order samples are ignored.
    let before = v.clone();
    v.on_mid(&cfg, px("200"), t(40));
    v.on_mid(&cfg, px("200"), t(39));
    v.on_mid(&cfg, Price::ZERO, t(50));
    assert_eq!(v, before);
}

#[test]
fn band_mapping_interpolates_between_the_ends() {
    let cfg = MakerConfig::default(); // band 6..22 bps → spread 7..13, size 1.1..0.7, clip ≥ 9
    let cases = [
        ("zero vol", 0.0, 7.0, 1.1, false),
        ("band low end", 6.0, 7.0, 1.1, false),
        (
            "just below clip",
            8.999,
            7.0 + 6.0 * 2.999 / 16.0,
            1.1 - 0.4 * 2.999 / 16.0,
            false,
        ),
        (
            "clip threshold",
            9.0,
            8.125,
            (1.1 - 0.4 * 3.0 / 16.0) * 0.85,
            true,
        ),
        ("band middle", 14.0, 10.0, 0.9 * 0.85, true),
        ("band high end", 22.0, 13.0, 0.7 * 0.85, true),
        ("beyond band", 40.0, 13.0, 0.7 * 0.85, true),
    ];
    for (name, vol, spread, size, clip) in cases {
        assert!(
            (base_spread_bps(&cfg, vol) - spread).abs() < 1e-9,
            "case {name}"
        );
        assert!(
            (vol_size_factor(&cfg, vol) - size).abs() < 1e-9,
            "case {name}"
        );
        assert_eq!(high_vol_clip(&cfg, vol), clip, "case {name}");
    }
    let off = MakerConfig {
        volatility_enabled: false,
        ..MakerConfig::default()
    };
    assert_eq!(base_spread_bps(&off, 40.0), 13.0);
    assert_eq!(vol_size_factor(&off, 40.0), 1.0);
}

#[test]
fn high_vol_pause_resumes_only_on_low_inventory() {
    let cfg = MakerConfig::default(); // pause 30, resume 18, inventory ≤ 0.05 × 0.25 = 0.0125
                                      // (name, ema, |inv|, residue below the minimum, paused after)
    let steps = [
        ("calm", 10.0, "0", false, false),
        ("enter at threshold", 30.0, "0", false, true),
        ("between thresholds holds", 20.0, "0", false, true),
        ("low vol but inventory high", 18.0, "0.02", false, true),
        ("inventory just above", 10.0, "0.012500001", false, true),
        (
            "low vol and inventory at limit",
            18.0,
            "-0.0125",
            false,
            false,
        ),
        ("below pause threshold stays out", 29.9, "0.3", false, false),
        ("re-enter", 31.0, "0.3", false, true),
        (
            "a residue does not hold the pause",
            17.0,
            "0.015",
            true,
            false,
        ),
        ("enter again", 35.0, "0.015", true, true),
        (
            "a residue still waits for low volatility",
            19.0,
            "0.015",
            true,
            true,
        ),
    ];
    let mut v = VolatilityEstimator::new();
    for (name, ema, inv, residue, paused) in steps {
        v.ema_bps = ema;
        v.update_pause(&cfg, qty(inv), residue);
        assert_eq!(v.paused(), paused, "step {name}");
    }
    assert_eq!(v.pauses(), 3, "three entries");
}

#[test]
fn trend_hysteresis_holds_and_cooldown_pauses_after_release() {
    let cfg = MakerConfig::default(); // down 4 / release 2, up 12 / release 6, lookback 45
    let cd = 60;
    // (name, secs, mid, state after, down_guard after)
    let steps = [
        ("flat start", 0, "100", TrendState::Neutral, false),
        (
            "-3 bps is not a trend",
            5,
            "99.97",
            TrendState::Neutral,
            false,
        ),
        ("-5 bps enters down", 10, "99.95", TrendState::Down, true),
        (
            "-3 bps holds down (origin released here)",
            15,
            "99.97",
            TrendState::Down,
            true,
        ),
        ("-2.5 bps still holds", 20, "99.975", TrendState::Down, true),
        (
            "-1 bp releases, cooldown runs",
            25,
            "99.99",
            TrendState::Neutral,
            true,
        ),
    ];
    let mut f = TrendFilter::new();
    for (name, s, mid, state, guard) in steps {
        f.on_mid(&cfg, px(mid), t(s), cd);
        assert_eq!(f.state(), state, "step {name}");
        assert_eq!(f.down_guard(t(s)), guard, "step {name}");
    }
    // The cooldown was re-armed at the last down update (t = 20): it ends at t = 80.
    assert!(f.down_guard(t(79)));
    assert!(!f.down_guard(t(80)));

    // Up-trend: enter at +12, hold above +6, release below; entering clears the down cooldown.
    let mut f = TrendFilter::new();
    f.on_mid(&cfg, px("100"), t(0), cd);
    f.on_mid(&cfg, px("99.95"), t(5), cd);
    assert!(f.down_guard(t(5)));
    let steps = [
        ("+12 bps enters up", 10, "100.12", TrendState::Up),
        ("+7 bps holds up", 15, "100.07", TrendState::Up),
        ("+5.9 bps releases", 20, "100.059", TrendState::Neutral),
    ];
    for (name, s, mid, state) in steps {
        f.on_mid(&cfg, px(mid), t(s), cd);
        assert_eq!(f.state(), state, "step {name}");
        assert!(
            !f.down_guard(t(s)),
            "step {name}: up-trend cleared the down cooldown"
        );
    }
}

#[test]
fn trend_return_uses_the_lookback_window() {
    let cfg = MakerConfig::default();
    let mut f = TrendFilter::new();
    f.on_mid(&cfg, px("100"), t(0), 60);
    f.on_mid(&cfg, px("99"), t(40), 60); // -100 bps within 45 s
    assert_eq!(f.state(), TrendState::Down);
    let mut g = TrendFilter::new();
    g.on_mid(&cfg, px("100"), t(0), 60);
    g.on_mid(&cfg, px("99"), t(46), 60); // the old sample fell out of the window
    assert_eq!(g.state(), TrendState::Neutral);
    assert_eq!(g.return_bps(), 0.0);
    let off = MakerConfig {
        trend_enabled: false,
        ..MakerConfig::default()
    };
    f.on_mid(&off, px("50"), t(50), 60);
    assert_eq!(f.state(), TrendState::Neutral);
    assert!(!f.down_guard(t(50)));
}

#[test]
fn regime_switches_respect_dwell() {
    let cfg = MakerConfig::default(); // threshold 6 bps, dwell 60 s
                                      // (name, secs, vol, guard, down guard, regime after)
    let steps = [
        (
            "starts defensive, first switch is free",
            0,
            10.0,
            false,
            false,
            Regime::Aggressive,
        ),
        (
            "low vol inside dwell: held",
            30,
            2.0,
            false,
            false,
            Regime::Aggressive,
        ),
        (
            "guard inside dwell: held",
            59,
            10.0,
            true,
            false,
            Regime::Aggressive,
        ),
        (
            "guard after dwell: defensive",
            60,
            10.0,
            true,
            false,
            Regime::Defensive,
        ),
        (
            "calm again inside dwell: held",
            100,
            10.0,
            false,
            false,
            Regime::Defensive,
        ),
        (
            "after dwell: aggressive",
            120,
            10.0,
            false,
            false,
            Regime::Aggressive,
        ),
        (
            "down guard after dwell: defensive",
            180,
            10.0,
            false,
            true,
            Regime::Defensive,
        ),
        (
            "vol exactly at threshold is aggressive",
            240,
            6.0,
            false,
            false,
            Regime::Aggressive,
        ),
    ];
    let mut r = RegimeSwitch::new();
    assert_eq!(r.regime(), Regime::Defensive);
    for (name, s, vol, guard, down, regime) in steps {
        r.update(&cfg, t(s), vol, guard, down);
        assert_eq!(r.regime(), regime, "step {name}");
    }
    let p = r.profile(&cfg);
    assert_eq!(
        (
            p.size_multiplier,
            p.extra_spread_bps,
            p.down_cooldown_seconds
        ),
        (1.0, 0.0, 20)
    );
    assert_eq!(Regime::Aggressive.gauge(), 1);
    assert_eq!(Regime::Defensive.gauge(), 0);
    let off = MakerConfig {
        regimes_enabled: false,
        ..MakerConfig::default()
    };
    let p = RegimeSwitch::new().profile(&off);
    assert_eq!(
        (
            p.size_multiplier,
            p.extra_spread_bps,
            p.down_cooldown_seconds
        ),
        (1.0, 0.0, 60)
    );
}
