use super::*;

fn t(secs: i64) -> Timestamp {
    Timestamp::from_secs(secs)
}
fn ms(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}
fn q(s: &str) -> Quote {
    s.parse().unwrap()
}

#[test]
fn window_sums_realized_deltas_in_the_window() {
    let cfg = MakerConfig::default(); // 300 s
    let mut g = PnlGuard::new();
    g.record(t(0), q("-0.15"));
    g.record(t(100), q("-0.10"));
    g.record(t(400), q("1"));
    let cases = [
        ("before anything", ms(-1), "0"),
        ("first only", t(50), "-0.15"),
        ("both", t(100), "-0.25"),
        ("last ms of first", ms(299_999), "-0.25"),
        ("first left at exactly 300 s", t(300), "-0.10"),
        ("future delta not yet counted", t(399), "-0.10"),
        ("later", t(400), "1"),
    ];
    for (name, now, sum) in cases {
        assert_eq!(g.window_realized(&cfg, now), q(sum), "case {name}");
    }
}

#[test]
fn triggers_at_floor_and_holds_for_the_ttl() {
    let cfg = MakerConfig::default(); // floor -0.20, check 15 s, TTL 120 s
    let mut g = PnlGuard::new();
    g.record(t(0), q("-0.19"));
    assert!(!g.update(&cfg, t(0)), "above floor");
    g.record(t(10), q("-0.01")); // window = -0.20: at the floor triggers
    assert!(!g.update(&cfg, t(10)), "check not due (15 s interval)");
    assert!(g.update(&cfg, t(15)), "due check at the floor activates");
    assert!(g.active(t(15)));
    assert_eq!(g.activations(), 1);
    // Recovery does not clear it early (the origin flapped here).
    g.record(t(20), q("5"));
    assert!(!g.update(&cfg, t(30)));
    assert!(g.active(ms(134_999)));
    assert!(!g.active(t(135)), "TTL over");
    assert_eq!(g.activations(), 1);
}

#[test]
fn persisting_losses_extend_and_count_once() {
    let cfg = MakerConfig::default();
    let mut g = PnlGuard::new();
    g.record(t(0), q("-1"));
    assert!(g.update(&cfg, t(0)));
    assert!(!g.update(&cfg, t(15)), "re-armed, not a new activation");
    assert_eq!(g.active_until(), Some(t(135)));
    assert_eq!(g.activations(), 1);
    // Loss leaves the window at t = 300; the last re-arm (t = 285) holds until 405.
    for s in (30..=600).step_by(15) {
        g.update(&cfg, t(s));
    }
    assert_eq!(g.active_until(), Some(t(405)));
    assert!(!g.active(t(600)));
    g.record(t(601), q("-0.5"));
    assert!(g.update(&cfg, t(615)));
    assert_eq!(g.activations(), 2);
}

#[test]
fn consecutive_checks_and_disable() {
    let cfg = MakerConfig {
        pnl_guard_trigger_consecutive: 2,
        ..MakerConfig::default()
    };
    let mut g = PnlGuard::new();
    g.record(t(0), q("-1"));
    assert!(!g.update(&cfg, t(0)), "one failing check of two");
    assert!(g.update(&cfg, t(15)), "second consecutive failing check");

    let off = MakerConfig {
        pnl_guard_enabled: false,
        ..MakerConfig::default()
    };
    let mut g = PnlGuard::new();
    g.record(t(0), q("-100"));
    assert!(!g.update(&off, t(0)));
    assert!(!g.active(t(0)));
}

#[test]
fn effects_are_capped_and_clamped() {
    let cfg = MakerConfig::default();
    assert_eq!(PnlGuard::extra_spread_bps(&cfg), 6.0);
    assert_eq!(PnlGuard::size_multiplier(&cfg), 0.85);
    let wide = MakerConfig {
        pnl_guard_widen_bps: 20.0,
        pnl_guard_size_multiplier: 0.3,
        ..MakerConfig::default()
    };
    assert_eq!(PnlGuard::extra_spread_bps(&wide), 10.0);
    assert_eq!(PnlGuard::size_multiplier(&wide), 0.6);
}
