use proptest::prelude::*;

use super::*;
use crate::estimators::TrendState;
use crate::quote_test_support::*;

/// Estimators and guards off, no venue minimum, round 1's sizing (the flattening side sized
/// like the adding side, `reduce_only`): isolates one rule at a time.
fn plain() -> MakerConfig {
    MakerConfig {
        volatility_enabled: false,
        trend_enabled: false,
        regimes_enabled: false,
        pnl_guard_enabled: false,
        spread_bps: 10.0,
        min_size: Qty::lit(1, 3),
        min_notional: Quote::ZERO,
        flatten_sizing: FlattenSizing::Desired,
        min_size_policy: MinSizePolicy::ReduceOnly,
        ..MakerConfig::default()
    }
}

#[test]
fn inventory_tiers_at_exact_thresholds() {
    let cfg = MakerConfig::default();
    // (name, |inv|, extra bps, size factor)
    let cases = [
        ("flat", "0", 0.0, 1.0),
        ("0.01 is not above", "0.01", 0.0, 1.0),
        ("just above 0.01", "0.0100001", 2.0, 0.75),
        ("0.02 is tier 1", "0.02", 2.0, 0.75),
        ("just above 0.02", "0.0200001", 4.0, 0.50),
        ("0.03 is tier 2", "0.03", 4.0, 0.50),
        ("just above 0.03", "0.0300001", 6.0, 0.50),
        ("far above", "1", 6.0, 0.50),
    ];
    for (name, inv, extra, size) in cases {
        for signed in [qty(inv), -qty(inv)] {
            let a = signed.abs();
            assert_eq!(
                inventory_extra_bps(&cfg, a),
                extra,
                "case {name} ({signed})"
            );
            assert_eq!(
                inventory_size_multiplier(&cfg, a),
                size,
                "case {name} ({signed})"
            );
        }
    }
    let off = MakerConfig {
        inventory_tiers_enabled: false,
        ..cfg
    };
    assert_eq!(inventory_extra_bps(&off, qty("1")), 0.0);
    assert_eq!(inventory_size_multiplier(&off, qty("1")), 1.0);
}

#[test]
fn asymmetric_quoting_both_ways() {
    let no_tiers = MakerConfig {
        inventory_tiers_enabled: false,
        soft_cap_size_ratio: 1.0,
        ..plain()
    };
    let no_asym = MakerConfig {
        asymmetric_enabled: false,
        ..no_tiers.clone()
    };
    // mid 100, S = 10 bps: bid 99.95 / ask 100.05, size 0.064
    let cases = [
        (
            "flat",
            &no_tiers,
            "0",
            quoted("99.95", "0.064"),
            quoted("100.05", "0.064"),
        ),
        (
            "long at threshold",
            &no_tiers,
            "0.01",
            quoted("99.95", "0.064"),
            quoted("100.05", "0.064"),
        ),
        (
            "long above",
            &no_tiers,
            "0.0100001",
            off(SuppressReason::Asymmetric),
            quoted("100.05", "0.064"),
        ),
        (
            "short at threshold",
            &no_tiers,
            "-0.01",
            quoted("99.95", "0.064"),
            quoted("100.05", "0.064"),
        ),
        (
            "short above",
            &no_tiers,
            "-0.0100001",
            quoted("99.95", "0.064"),
            off(SuppressReason::Asymmetric),
        ),
        (
            "phase 1: long quotes both",
            &no_asym,
            "0.05",
            quoted("99.95", "0.064"),
            quoted("100.05", "0.064"),
        ),
        (
            "phase 1: short quotes both",
            &no_asym,
            "-0.05",
            quoted("99.95", "0.064"),
            quoted("100.05", "0.064"),
        ),
    ];
    for (name, cfg, inv, bid, ask) in cases {
        let d = MakerState::new().quote(cfg, &input("100", inv));
        assert_eq!((d.bid, d.ask), (bid, ask), "case {name}");
    }
}

#[test]
fn spread_and_size_pipeline() {
    // (name, cfg edit, inv, bid, ask)
    type Edit = fn(&mut MakerConfig);
    let cases: [(&str, Edit, &str, SideQuote, SideQuote); 5] = [
        (
            "base",
            |_| {},
            "0",
            quoted("99.95", "0.064"),
            quoted("100.05", "0.064"),
        ),
        // |inv| 0.025: S = 10 + 4; size 0.064 × (1 - 0.15 × 0.5) × 0.5 = 0.0296 → 0.029
        (
            "tier 2 short",
            |_| {},
            "-0.025",
            quoted("99.93", "0.029"),
            off(SuppressReason::Asymmetric),
        ),
        // Beyond the soft cap: × 0.85; tier 3 spread +6
        (
            "past soft cap",
            |c| c.asymmetric_enabled = false,
            "0.06",
            quoted("99.92", "0.027"),
            quoted("100.08", "0.027"),
        ),
        (
            "size_max caps",
            |c| c.base_size = Qty::lit(1, 0),
            "0",
            quoted("99.95", "0.072"),
            quoted("100.05", "0.072"),
        ),
        // Bid rounds down, ask up to the tick: 100.001 × (1 ∓ 0.0005) = 99.9509995 / 100.0510005
        (
            "tick rounding widens",
            |_| {},
            "0",
            quoted("99.95", "0.064"),
            quoted("100.052", "0.064"),
        ),
    ];
    for (name, edit, inv, bid, ask) in cases {
        let mut cfg = plain();
        edit(&mut cfg);
        let mid = if name == "tick rounding widens" {
            "100.001"
        } else {
            "100"
        };
        let d = MakerState::new().quote(&cfg, &input(mid, inv));
        assert_eq!((d.bid, d.ask), (bid, ask), "case {name}");
    }
}

#[test]
fn venue_minimum_handling_both_ways() {
    // min 0.061; at |inv| 0.04 the multipliers give 0.064 × 0.88 × 0.5 = 0.028, S = 10 + 6.
    let base = MakerConfig {
        min_size: Qty::lit(61, 3),
        asymmetric_enabled: false,
        ..plain()
    };
    let raise = MakerConfig {
        min_size_policy: MinSizePolicy::Raise,
        ..base.clone()
    };
    let notional = MakerConfig {
        min_notional: Quote::lit(105, 1),
        ..base.clone()
    };
    let cases = [
        (
            "flat: above minimum",
            &base,
            "0",
            quoted("99.95", "0.064"),
            quoted("100.05", "0.064"),
        ),
        // Raising the ask to 0.061 takes |inv| 0.04 → 0.021: allowed; the bid would add.
        (
            "long: reducing side raised",
            &base,
            "0.04",
            off(SuppressReason::BelowVenueMinimum),
            floor("100.08", "0.061"),
        ),
        (
            "short: reducing side raised",
            &base,
            "-0.04",
            floor("99.92", "0.061"),
            off(SuppressReason::BelowVenueMinimum),
        ),
        // |inv| 0.03 < 0.061 / 2: the flip would increase |inv| (0.03 → 0.031).
        (
            "reducing side would overshoot",
            &base,
            "0.03",
            off(SuppressReason::BelowVenueMinimum),
            off(SuppressReason::BelowVenueMinimum),
        ),
        (
            "raise policy: both raised",
            &raise,
            "0.04",
            floor("99.92", "0.061"),
            floor("100.08", "0.061"),
        ),
        // 10.5 / 99.92 = 0.10508… → 0.106 lots; short 0.2 flattens by buying.
        (
            "notional floor on the bid",
            &notional,
            "-0.2",
            floor("99.92", "0.106"),
            off(SuppressReason::BelowVenueMinimum),
        ),
    ];
    for (name, cfg, inv, bid, ask) in cases {
        let d = MakerState::new().quote(cfg, &input("100", inv));
        assert_eq!((d.bid, d.ask), (bid, ask), "case {name}");
        let bound = |q: &SideQuote| {
            q.floor_bound() || *q == SideQuote::Suppressed(SuppressReason::BelowVenueMinimum)
        };
        assert_eq!(
            d.telemetry.size_floor_bound,
            bound(&d.bid) || bound(&d.ask),
            "case {name}"
        );
    }
}

#[test]
fn self_trade_and_position_guards() {
    type Edit = fn(&mut MakerConfig);
    let cases: [(&str, Edit, &str, SideQuote, SideQuote); 5] = [
        (
            "zero spread crosses",
            |c| c.spread_bps = 0.0,
            "0",
            off(SuppressReason::Crossed),
            off(SuppressReason::Crossed),
        ),
        (
            "outside price band",
            |c| c.spread_bps = 80.0,
            "0",
            off(SuppressReason::OutsidePriceBand),
            off(SuppressReason::OutsidePriceBand),
        ),
        (
            "max position blocks the adding side",
            |c| {
                c.asymmetric_enabled = false;
                c.inventory_tiers_enabled = false;
                c.soft_cap_size_ratio = 1.0;
            },
            "0.29",
            off(SuppressReason::MaxPosition),
            quoted("100.05", "0.064"),
        ),
        (
            "max notional at flat",
            |c| c.max_inventory_notional = Quote::lit(5, 0),
            "0",
            off(SuppressReason::MaxNotional),
            off(SuppressReason::MaxNotional),
        ),
        (
            "band edge is inside",
            |c| c.spread_bps = 70.0,
            "0",
            quoted("99.65", "0.064"),
            quoted("100.35", "0.064"),
        ),
    ];
    for (name, edit, inv, bid, ask) in cases {
        let mut cfg = plain();
        edit(&mut cfg);
        let d = MakerState::new().quote(&cfg, &input("100", inv));
        assert_eq!((d.bid, d.ask), (bid, ask), "case {name}");
    }
    let d = MakerState::new().quote(&plain(), &input("0", "0"));
    assert_eq!(
        (d.bid, d.ask),
        (
            off(SuppressReason::InvalidMid),
            off(SuppressReason::InvalidMid)
        )
    );
}

#[test]
fn downtrend_pauses_bids_through_the_cooldown() {
    let cfg = MakerConfig {
        trend_enabled: true,
        ..plain()
    };
    let mut st = MakerState::new();
    let at = |s: i64, mid: &str, inv: &str| QuoteInput {
        now: t(s),
        ..input(mid, inv)
    };
    st.update(&cfg, &at(0, "100", "0"));
    let d = st.step(&cfg, &at(5, "99.9", "0")); // -10 bps
    assert_eq!(d.bid, off(SuppressReason::TrendPause));
    assert!(d.ask.order().is_some());
    assert!(d.telemetry.trend_down_guard);
    assert_eq!(d.telemetry.trend_extra_bps, 8.0);
    assert_eq!(d.telemetry.full_spread_bps, 18.0);
    // Short beyond 0.05 × 0.6 = 0.03: the bid flattens, so it quotes (the ask is asymmetric).
    let d = st.quote(&cfg, &at(5, "99.9", "-0.0300001"));
    assert!(d.bid.order().is_some());
    assert_eq!(d.ask, off(SuppressReason::Asymmetric));
    // Released at t = 10 (back to flat); cooldown (60 s from t = 5) keeps the bid paused.
    let d = st.step(&cfg, &at(10, "100", "0"));
    assert_eq!(st.trend.state(), TrendState::Neutral);
    assert_eq!(d.bid, off(SuppressReason::TrendPause));
    let d = st.step(&cfg, &at(65, "100", "0"));
    assert!(d.bid.order().is_some(), "cooldown over");
    assert!(!d.telemetry.trend_down_guard);
}

#[test]
fn guard_regime_pause_and_jitter_reach_the_quote() {
    let cfg = MakerConfig {
        pnl_guard_enabled: true,
        regimes_enabled: true,
        ..plain()
    };
    let mut st = MakerState::new();
    st.record_realized(t(990), Quote::lit(-25, 2));
    let d = st.step(&cfg, &input("100", "0"));
    assert!(d.telemetry.pnl_guard_active);
    assert_eq!(d.telemetry.pnl_guard_window_realized, Quote::lit(-25, 2));
    assert_eq!(d.telemetry.regime_state, 0);
    // S = 10 + 2 (defensive) + 6 (guard); size 0.064 × 0.7 × 0.85 = 0.03808 → 0.038
    assert_eq!(d.telemetry.full_spread_bps, 18.0);
    assert_eq!(d.bid, quoted("99.91", "0.038"));
    assert_eq!(d.ask, quoted("100.09", "0.038"));
    assert!((d.telemetry.bid_spread_bps - 9.0).abs() < 1e-9);

    let jit = MakerConfig {
        randomize_bps: 4.0,
        ..plain()
    };
    let d = MakerState::new().quote(
        &jit,
        &QuoteInput {
            jitter: 1.0,
            ..input("100", "0")
        },
    );
    assert_eq!(d.telemetry.full_spread_bps, 14.0);
    let d = MakerState::new().quote(
        &plain(),
        &QuoteInput {
            jitter: 1.0,
            ..input("100", "0")
        },
    );
    assert_eq!(d.telemetry.full_spread_bps, 10.0, "amplitude 0 by default");

    let vol = MakerConfig {
        volatility_enabled: true,
        ..plain()
    };
    let mut st = MakerState::new();
    let mut mid = 100.0_f64;
    for s in 0..20 {
        mid *= if s % 2 == 0 { 1.005 } else { 0.995 }; // ~50 bps moves
        let p = Price::from_f64(mid, Rounding::HalfEven).unwrap();
        st.update(
            &vol,
            &QuoteInput {
                mid: p,
                inventory: Qty::ZERO,
                now: t(s * 5),
                jitter: 0.0,
            },
        );
    }
    let d = st.quote(
        &vol,
        &QuoteInput {
            now: t(95),
            ..input("100", "0")
        },
    );
    assert!(d.telemetry.volatility_paused);
    assert_eq!(
        (d.bid, d.ask),
        (
            off(SuppressReason::HighVolPause),
            off(SuppressReason::HighVolPause)
        )
    );
}

#[test]
fn keep_resting_within_tolerance() {
    let cases = [
        ("same", "100", "100", 2.0, true),
        ("2 bps away, inclusive", "100.02", "100", 2.0, true),
        ("just beyond", "100.021", "100", 2.0, false),
        ("below", "99.98", "100", 2.0, true),
        ("zero tolerance, moved a tick", "100.001", "100", 0.0, false),
        ("bad desired", "1", "0", 2.0, false),
    ];
    for (name, resting, desired, tol, keep) in cases {
        assert_eq!(
            keep_resting(px(resting), px(desired), tol),
            keep,
            "case {name}"
        );
    }
}

proptest! {
    /// Round 1's sizing with asymmetric quoting on (defaults otherwise): a quoted side never
    /// takes |inventory| above the threshold plus one quote (≤ size_max); a floor-bound quote
    /// never increases it.
    #[test]
    fn quotes_never_grow_inventory_past_threshold_plus_one_quote(
        inv_lots in -300i64..=300,
        mid_milli in 10_000i64..400_000,
        moves in proptest::collection::vec(-40i64..=40, 0..30),
        loss in proptest::bool::ANY,
        raise in proptest::bool::ANY,
    ) {
        let mut cfg = MakerConfig {
            flatten_sizing: FlattenSizing::Desired,
            min_size_policy: MinSizePolicy::ReduceOnly,
            ..MakerConfig::default()
        };
        if raise {
            cfg.min_size_policy = MinSizePolicy::Raise;
            cfg.min_notional = Quote::ZERO; // keep the venue minimum (0.061) ≤ size_max
        }
        let inv = Qty::from_raw(inv_lots * 1_000_000); // lots of 0.001
        let mut st = MakerState::new();
        if loss {
            st.record_realized(t(0), Quote::lit(-1, 0));
        }
        let mut mid = Price::from_raw(mid_milli * 1_000_000);
        let mut now = t(0);
        for m in &moves {
            let step = Ratio::from_f64(1.0 + *m as f64 / 10_000.0, Rounding::HalfEven).unwrap();
            mid = mid.scale(step, 3, Rounding::HalfEven).unwrap();
            now = now.plus_secs(5);
            st.update(&cfg, &QuoteInput { mid, inventory: inv, now, jitter: 0.0 });
        }
        let d = st.quote(&cfg, &QuoteInput { mid, inventory: inv, now, jitter: 0.0 });
        let bound = cfg.asymmetric_threshold + cfg.size_max;
        for (side, q) in [(Side::Buy, d.bid), (Side::Sell, d.ask)] {
            if let SideQuote::Quote { price, size, floor_bound } = q {
                let after = if side == Side::Buy { inv + size } else { inv - size };
                prop_assert!(size.is_positive());
                // The side that moves away from flat quotes only at |inv| ≤ threshold.
                let adds = if side == Side::Buy { !inv.is_negative() } else { !inv.is_positive() };
                if adds {
                    prop_assert!(inv.abs() <= cfg.asymmetric_threshold, "{side} adds at {inv}");
                }
                if after.abs() > inv.abs() {
                    prop_assert!(after.abs() <= bound, "{side} {size} from {inv}");
                    prop_assert!(size <= cfg.size_max);
                }
                if floor_bound && !raise {
                    prop_assert!(after.abs() <= inv.abs());
                }
                if !floor_bound {
                    prop_assert!(size <= cfg.size_max);
                }
                prop_assert!(price.is_positive());
            }
        }
        if let (Some((b, _)), Some((a, _))) = (d.bid.order(), d.ask.order()) {
            prop_assert!(b < a);
        }
    }
}
