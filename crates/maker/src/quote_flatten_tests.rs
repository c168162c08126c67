//! Issue 11's quoting rules: the flattening side lands on a closable position, the adding
//! side quotes only within the Phase 2 threshold at the venue minimum or more, and the
//! high-vol pause lets reducing quotes through and can end.

use proptest::prelude::*;

use super::*;
use crate::quote_test_support::*;

/// Estimators and guards off, S = 10 bps (+ the inventory tiers), minimum 0.061, and the
/// defaults' sizing: closable flattening, `raise`.
fn closable() -> MakerConfig {
    MakerConfig {
        volatility_enabled: false,
        trend_enabled: false,
        regimes_enabled: false,
        pnl_guard_enabled: false,
        spread_bps: 10.0,
        min_notional: Quote::ZERO,
        ..MakerConfig::default()
    }
}

#[test]
fn flatten_rules_on_a_table_of_inventories() {
    use SuppressReason::Asymmetric;
    let notional = MakerConfig {
        min_notional: Quote::lit(105, 1),
        ..closable()
    };
    let small = MakerConfig {
        base_size: Qty::lit(5, 2),
        ..closable()
    };
    let small_reduce_only = MakerConfig {
        min_size_policy: MinSizePolicy::ReduceOnly,
        ..small.clone()
    };
    // mid 100; S = 10 bps, +2 above |inv| 0.01, +4 above 0.02, +6 above 0.03.
    // Adding size 0.064 × soft cap factor (1 − 0.15 × |inv| / 0.05), down to the lot.
    let cases = [
        (
            "flat: both add",
            &closable(),
            "0",
            quoted("99.95", "0.064"),
            quoted("100.05", "0.064"),
        ),
        // The ask lands on −0.061; the bid (0.064 × 0.985 = 0.063) on 0.068.
        (
            "long one lot",
            &closable(),
            "0.001",
            quoted("99.95", "0.063"),
            floor("100.05", "0.062"),
        ),
        (
            "long at the threshold",
            &closable(),
            "0.01",
            quoted("99.95", "0.062"),
            floor("100.05", "0.071"),
        ),
        (
            "short at the threshold",
            &closable(),
            "-0.01",
            floor("99.95", "0.071"),
            quoted("100.05", "0.062"),
        ),
        (
            "residue above the threshold",
            &closable(),
            "0.015",
            off(Asymmetric),
            floor("100.06", "0.076"),
        ),
        (
            "just below the minimum",
            &closable(),
            "0.06",
            off(Asymmetric),
            floor("100.08", "0.121"),
        ),
        (
            "at the minimum",
            &closable(),
            "0.061",
            off(Asymmetric),
            quoted("100.08", "0.061"),
        ),
        (
            "above the minimum",
            &closable(),
            "0.075",
            off(Asymmetric),
            quoted("100.08", "0.075"),
        ),
        (
            "short above the minimum",
            &closable(),
            "-0.075",
            quoted("99.92", "0.075"),
            off(Asymmetric),
        ),
        (
            "short residue",
            &closable(),
            "-0.02",
            floor("99.94", "0.081"),
            off(Asymmetric),
        ),
        // 10.5 / 99.92 = 0.10508 → 0.106: a short of 0.075 is a residue at this price.
        (
            "notional minimum: 0.075 is a residue",
            &notional,
            "-0.075",
            floor("99.92", "0.181"),
            off(Asymmetric),
        ),
        // base 0.05 < 0.061: the adding sides are raised; the flattening side is its own.
        (
            "multipliers below the minimum: raised",
            &small,
            "0",
            floor("99.95", "0.061"),
            floor("100.05", "0.061"),
        ),
        (
            "reduce_only: adding suppressed, flattening closable",
            &small_reduce_only,
            "0.005",
            off(SuppressReason::BelowVenueMinimum),
            floor("100.05", "0.066"),
        ),
    ];
    for (name, cfg, inv, bid, ask) in cases {
        let d = MakerState::new().quote(cfg, &input("100", inv));
        assert_eq!((d.bid, d.ask), (bid, ask), "case {name}");
    }
}

#[test]
fn partial_fills_are_resized_from_the_new_position() {
    // Long 0.070: the ask flattens 0.070. It fills 0.065, leaving a residue of 0.005: the
    // next decision asks 0.066 (lands on −0.061); that fills, and the bid closes 0.061.
    let cfg = closable();
    let mut inv = qty("0.070");
    let mut asks = Vec::new();
    for fill in ["0.065", "0.066"] {
        let d = MakerState::new().quote(&cfg, &input("100", &inv.to_string()));
        let (_, size) = d.ask.order().expect("the ask flattens");
        asks.push(size);
        inv -= qty(fill).min(size);
    }
    assert_eq!(asks, vec![qty("0.070"), qty("0.066")]);
    assert_eq!(inv, qty("-0.061"));
    let d = MakerState::new().quote(&cfg, &input("100", &inv.to_string()));
    assert_eq!(d.bid, quoted("99.92", "0.061"));
    assert_eq!(d.ask, off(SuppressReason::Asymmetric));
}

/// Feed `n` refreshes 5 s apart from `t0`, alternating ±50 bps moves (`wild`) or a flat mid.
fn feed(st: &mut MakerState, cfg: &MakerConfig, inv: &str, t0: i64, n: i64, wild: bool) -> i64 {
    let mut mid = 100.0_f64;
    for s in 0..n {
        if wild {
            mid *= if s % 2 == 0 { 1.005 } else { 0.995 };
        }
        let p = Price::from_f64(mid, Rounding::HalfEven)
            .unwrap()
            .round_dp(3, Rounding::HalfEven)
            .unwrap();
        st.update(
            cfg,
            &QuoteInput {
                mid: p,
                inventory: qty(inv),
                now: t(t0 + s * 5),
                jitter: 0.0,
            },
        );
    }
    t0 + n * 5
}

#[test]
fn the_pause_lets_reducing_quotes_through() {
    use SuppressReason::HighVolPause as P;
    let on = MakerConfig {
        volatility_enabled: true,
        ..closable()
    };
    let off_cfg = MakerConfig {
        pause_reducing_quotes: false,
        ..on.clone()
    };
    // (name, cfg, inv, bid, ask); `None`: the side quotes exactly |inv|.
    let cases = [
        (
            "flat: nothing reduces",
            &on,
            "0",
            Some(off(P)),
            Some(off(P)),
        ),
        ("long: the ask closes it", &on, "0.075", Some(off(P)), None),
        (
            "short: the bid closes it",
            &on,
            "-0.075",
            None,
            Some(off(P)),
        ),
        // 0.015 + 0.061 would land on −0.061: larger, not a reduction.
        (
            "residue: no reducing order exists",
            &on,
            "0.015",
            Some(off(P)),
            Some(off(P)),
        ),
        (
            "switched off: both paused",
            &off_cfg,
            "0.075",
            Some(off(P)),
            Some(off(P)),
        ),
    ];
    for (name, cfg, inv, bid, ask) in cases {
        let mut st = MakerState::new();
        let now = feed(&mut st, cfg, inv, 0, 20, true);
        let d = st.quote(
            cfg,
            &QuoteInput {
                now: t(now),
                ..input("100", inv)
            },
        );
        assert!(d.telemetry.volatility_paused, "case {name}");
        for (got, want) in [(d.bid, bid), (d.ask, ask)] {
            match want {
                Some(w) => assert_eq!(got, w, "case {name}"),
                // The reducing side quotes exactly |inv| (wide spread: only the size matters).
                None => assert_eq!(got.order().map(|o| o.1), Some(qty("0.075")), "case {name}"),
            }
        }
    }
}

#[test]
fn the_pause_ends_with_a_residue_below_the_minimum() {
    // A residue of 0.015 is above soft cap × 0.25 = 0.0125 and no reducing quote can close
    // it: round 1 stays paused for as long as it lasts; with reducing quotes the pause ends
    // when volatility is back under the resume threshold.
    for (name, reducing, ends) in [("round 1", false, false), ("reducing quotes", true, true)] {
        let cfg = MakerConfig {
            volatility_enabled: true,
            pause_reducing_quotes: reducing,
            ..closable()
        };
        let mut st = MakerState::new();
        let now = feed(&mut st, &cfg, "0.015", 0, 20, true);
        assert!(st.vol.paused(), "case {name}: paused by the moves");
        // Calm for 10 minutes: the EMA falls far below 18 bps.
        feed(&mut st, &cfg, "0.015", now, 120, false);
        assert!(st.vol.value_bps() < 1.0, "case {name}");
        assert_eq!(!st.vol.paused(), ends, "case {name}");
        assert_eq!(st.vol.pauses(), 1, "case {name}");
    }
}

proptest! {
    /// Every order the maker quotes (defaults' sizing, any state the estimators reach) is at
    /// least the venue minimum at its price and a full fill lands on a closable position;
    /// a side that adds to |inventory| quotes only within the Phase 2 threshold.
    #[test]
    fn every_quote_is_valid_and_lands_closable(
        inv_lots in -300i64..=300,
        mid_milli in 50_000i64..400_000,
        moves in proptest::collection::vec(-40i64..=40, 0..30),
        loss in proptest::bool::ANY,
        reduce_only in proptest::bool::ANY,
    ) {
        let mut cfg = MakerConfig::default();
        if reduce_only {
            cfg.min_size_policy = MinSizePolicy::ReduceOnly;
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
        for (side, q) in [(Side::Buy, d.bid), (Side::Sell, d.ask)] {
            let Some((price, size)) = q.order() else { continue };
            let min = venue_min_qty(&cfg, price).unwrap();
            prop_assert!(size >= min, "{side} {size} below the minimum {min}");
            let after = if side == Side::Buy { inv + size } else { inv - size };
            prop_assert!(
                crate::flatten::closable(after.abs(), min),
                "{side} {size} from {inv} lands on {after}"
            );
            let adds = after.abs() > inv.abs() && after.signum_eq(inv);
            if adds {
                prop_assert!(inv.abs() <= cfg.asymmetric_threshold, "{side} adds at {inv}");
            }
        }
    }
}

trait SignumEq {
    fn signum_eq(self, other: Self) -> bool;
}

impl SignumEq for Qty {
    /// Same side of flat (flat counts as either).
    fn signum_eq(self, other: Qty) -> bool {
        other.is_zero() || self.is_positive() == other.is_positive()
    }
}
