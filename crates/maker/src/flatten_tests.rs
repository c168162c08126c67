use proptest::prelude::*;

use super::*;

fn q(s: &str) -> Qty {
    s.parse().expect("qty literal")
}

#[test]
fn flatten_size_table() {
    // (name, |inv|, min, size, |position| after a full fill)
    let cases = [
        ("flat", "0", "0.061", None, "0"),
        ("one lot", "0.001", "0.061", Some("0.062"), "0.061"),
        ("residue", "0.015", "0.061", Some("0.076"), "0.061"),
        (
            "just below the minimum",
            "0.060",
            "0.061",
            Some("0.121"),
            "0.061",
        ),
        ("at the minimum", "0.061", "0.061", Some("0.061"), "0"),
        ("above the minimum", "0.075", "0.061", Some("0.075"), "0"),
        ("two minimums", "0.122", "0.061", Some("0.122"), "0"),
        ("notional minimum", "0.061", "0.062", Some("0.123"), "0.062"),
    ];
    for (name, inv, min, size, after) in cases {
        let got = flatten_size(q(inv), q(min)).expect("no overflow");
        assert_eq!(got, size.map(q), "case {name}");
        if let Some(s) = got {
            let left = (q(inv) - s).abs();
            assert_eq!(left, q(after), "case {name}");
            assert!(closable(left, q(min)), "case {name}");
            assert!(s >= q(min), "case {name}");
        }
    }
}

#[test]
fn flatten_after_partial_fills_reaches_flat() {
    // A long of 0.070 flattened by an ask of 0.070 that fills 0.065 then the rest: each
    // decision sizes from the position it sees, and every full fill lands closable.
    let min = q("0.061");
    let fills = ["0.065", "0.005"];
    let mut inv = q("0.070");
    let mut sizes = Vec::new();
    for f in fills {
        let size = flatten_size(inv.abs(), min).unwrap().unwrap();
        sizes.push(size);
        inv -= q(f).min(size);
    }
    // 0.070 → (0.065 filled) → residue 0.005 → the next order is 0.066 (lands on −0.061).
    assert_eq!(sizes, vec![q("0.070"), q("0.066")]);
    assert_eq!(inv, q("0"));
    let mut inv = q("0.005");
    let first = flatten_size(inv, min).unwrap().unwrap();
    inv -= first;
    assert_eq!(inv, q("-0.061"), "the two-step lands on the minimum");
    let second = flatten_size(inv.abs(), min).unwrap().unwrap();
    assert_eq!(inv + second, q("0"), "then the minimum closes it");
}

#[test]
fn hedge_clip_table() {
    // Seed 002: cap 0.03, target 0.001; venue minimum 0.061 (or a small 0.005).
    // (name, |inv|, wanted, min, clip, over cap)
    let cases = [
        ("residue: none", "0.015", "0.014", "0.061", None),
        (
            "at the minimum: raised",
            "0.061",
            "0.03",
            "0.061",
            Some(("0.061", true)),
        ),
        // 0.075 − 0.061 = 0.014 would be a residue: close it all.
        (
            "between one and two minimums",
            "0.075",
            "0.03",
            "0.061",
            Some(("0.075", true)),
        ),
        // 0.13 − 0.061 = 0.069 ≥ 0.061: the minimum leaves a closable position.
        (
            "above two minimums",
            "0.130",
            "0.03",
            "0.061",
            Some(("0.061", true)),
        ),
        (
            "small minimum: wanted",
            "0.050",
            "0.03",
            "0.005",
            Some(("0.03", false)),
        ),
        // wanted 0.03 would leave 0.002 (dead zone 0.001–0.005): leave exactly 0.005.
        (
            "small minimum: leave the minimum",
            "0.032",
            "0.03",
            "0.005",
            Some(("0.027", false)),
        ),
        // wanted lands within target: fine.
        (
            "small minimum: to target",
            "0.031",
            "0.03",
            "0.005",
            Some(("0.03", false)),
        ),
        // wanted 0.008 ≥ min 0.005 leaves 0.003: leave_min 0.006 ≥ min.
        (
            "small clip leaves the minimum",
            "0.011",
            "0.008",
            "0.005",
            Some(("0.006", false)),
        ),
        // wanted 0.004 < min; min leaves 0.003 (dead zone): all 0.008 — over the 0.004 cap.
        (
            "raised to flat",
            "0.008",
            "0.004",
            "0.005",
            Some(("0.008", true)),
        ),
        // A cap below one lot wants nothing: raised like any clip (0.009 left is dead zone).
        (
            "nothing wanted",
            "0.070",
            "0",
            "0.061",
            Some(("0.070", true)),
        ),
    ];
    for (name, inv, wanted, min, want) in cases {
        let got = hedge_clip(q(inv), q(wanted), q(wanted), q("0.001"), q(min)).unwrap();
        let want = want.map(|(qty, over_cap)| Clip {
            qty: q(qty),
            over_cap,
        });
        assert_eq!(got, want, "case {name}");
    }
}

proptest! {
    /// Every flattening size is at least the minimum and a full fill lands closable.
    #[test]
    fn flatten_sizes_land_closable(inv in 0i64..2_000, min in 1i64..200) {
        let (inv, min) = (Qty::lit(inv, 3), Qty::lit(min, 3));
        if let Some(s) = flatten_size(inv, min).unwrap() {
            prop_assert!(s >= min);
            prop_assert!(closable((inv - s).abs(), min));
        } else {
            prop_assert!(inv.is_zero());
        }
    }

    /// Every hedge clip is between the minimum and |inv|, and lands within the target or
    /// on a closable position; it exceeds the cap only when flagged.
    #[test]
    fn hedge_clips_land_closable(
        inv in 0i64..2_000, wanted in 0i64..200, target in 0i64..5, min in 1i64..200,
    ) {
        let (inv, target, min) = (Qty::lit(inv, 3), Qty::lit(target, 3), Qty::lit(min, 3));
        let cap = Qty::lit(wanted, 3);
        let wanted = cap.min((inv - target).max(Qty::ZERO));
        if let Some(c) = hedge_clip(inv, wanted, cap, target, min).unwrap() {
            prop_assert!(c.qty >= min && c.qty <= inv, "{c:?}");
            let after = inv - c.qty;
            prop_assert!(after <= target || after >= min, "{c:?} leaves {after}");
            prop_assert_eq!(c.over_cap, c.qty > cap);
        } else {
            prop_assert!(inv < min);
        }
    }
}
