//! FIFO realized PnL: hand-worked sequences with exact numbers, and properties.

use flywheel_core::{Price, Qty, Quote, Side, Timestamp};
use proptest::prelude::*;

use super::*;

fn p(s: &str) -> Price {
    s.parse().expect("price literal")
}
fn q(s: &str) -> Qty {
    s.parse().expect("qty literal")
}
fn u(s: &str) -> Quote {
    s.parse().expect("quote literal")
}
fn t(i: i64) -> Timestamp {
    Timestamp::from_secs(1_700_000_000 + i)
}

/// (side, price, qty, fee, expected realized delta)
type Step = (Side, &'static str, &'static str, &'static str, &'static str);

struct Case {
    name: &'static str,
    steps: &'static [Step],
    inventory: &'static str,
    realized: &'static str,
    fees: &'static str,
    open_fees: &'static str,
    /// (mid, unrealized at mid)
    mark: (&'static str, &'static str),
    avg: Option<&'static str>,
    /// Open lots oldest first: (side, qty, price).
    lots: &'static [(Side, &'static str, &'static str)],
}

use Side::{Buy, Sell};

const CASES: &[Case] = &[
    Case {
        name: "brief example, no fees: 0.1@200 + 0.1@210, sell 0.15@220",
        steps: &[
            (Buy, "200", "0.1", "0", "0"),
            (Buy, "210", "0.1", "0", "0"),
            // 0.1×(220−200) + 0.05×(220−210) = 2 + 0.5
            (Sell, "220", "0.15", "0", "2.5"),
        ],
        inventory: "0.05",
        realized: "2.5",
        fees: "0",
        open_fees: "0",
        // 0.05 × (215 − 210)
        mark: ("215", "0.25"),
        avg: Some("210"),
        lots: &[(Buy, "0.05", "210")],
    },
    Case {
        name: "brief example with fees: entry fees pro rata, exit fee on the closing part",
        steps: &[
            (Buy, "200", "0.1", "0.02", "0"),
            (Buy, "210", "0.1", "0.02", "0"),
            // 2.5 − 0.02 (lot 1 entry) − 0.01 (half of lot 2 entry) − 0.033 (exit)
            (Sell, "220", "0.15", "0.033", "2.437"),
        ],
        inventory: "0.05",
        realized: "2.437",
        fees: "0.073",
        open_fees: "0.01",
        // 0.25 − 0.01 attached entry fee
        mark: ("215", "0.24"),
        avg: Some("210"),
        lots: &[(Buy, "0.05", "210")],
    },
    Case {
        name: "flip long to short: close all, remainder opens a short with its fee share",
        steps: &[
            (Buy, "210", "0.05", "0.01", "0"),
            // close 0.05: −0.25 − 0.01 − 0.01025 (half of 0.0205); open short 0.05 @205
            (Sell, "205", "0.1", "0.0205", "-0.27025"),
        ],
        inventory: "-0.05",
        realized: "-0.27025",
        fees: "0.0305",
        open_fees: "0.01025",
        // −0.05×200 − (−10.25) − 0.01025 = 0.25 − 0.01025
        mark: ("200", "0.23975"),
        avg: Some("205"),
        lots: &[(Sell, "0.05", "205")],
    },
    Case {
        name: "flip short to long",
        steps: &[
            (Sell, "150", "0.03", "0", "0"),
            (Sell, "152", "0.02", "0", "0"),
            // close 0.03@150: −0.03; 0.02@152: +0.02; open long 0.01 @151
            (Buy, "151", "0.06", "0", "-0.01"),
        ],
        inventory: "0.01",
        realized: "-0.01",
        fees: "0",
        open_fees: "0",
        mark: ("151", "0"),
        avg: Some("151"),
        lots: &[(Buy, "0.01", "151")],
    },
    Case {
        name: "short lots close oldest first (no LIFO quirk)",
        steps: &[
            (Sell, "100", "1", "0", "0"),
            (Sell, "110", "1", "0", "0"),
            // FIFO closes the 100 lot: 100 − 105 = −5 (LIFO would give +5)
            (Buy, "105", "1", "0", "-5"),
        ],
        inventory: "-1",
        realized: "-5",
        fees: "0",
        open_fees: "0",
        mark: ("110", "0"),
        avg: Some("110"),
        lots: &[(Sell, "1", "110")],
    },
    Case {
        name: "partial lots: three small sells eat one lot",
        steps: &[
            (Buy, "140", "0.09", "0.009", "0"),
            // each closes 0.03: +0.03 − 0.003 entry share
            (Sell, "141", "0.03", "0", "0.027"),
            (Sell, "141", "0.03", "0", "0.027"),
            (Sell, "141", "0.03", "0", "0.027"),
        ],
        inventory: "0",
        realized: "0.081",
        fees: "0.009",
        open_fees: "0",
        mark: ("1", "0"),
        avg: None,
        lots: &[],
    },
    Case {
        name: "fee rounding: thirds of one nano, remainder to the last part",
        steps: &[
            (Buy, "1", "3", "0.000000001", "0"),
            // 1/3 nano rounds to 0 twice; the last part takes the whole nano
            (Sell, "1", "1", "0", "0"),
            (Sell, "1", "1", "0", "0"),
            (Sell, "1", "1", "0", "-0.000000001"),
        ],
        inventory: "0",
        realized: "-0.000000001",
        fees: "0.000000001",
        open_fees: "0",
        mark: ("1", "0"),
        avg: None,
        lots: &[],
    },
    Case {
        name: "exit fee split over two lots and an opening part",
        steps: &[
            (Buy, "10", "1", "0", "0"),
            (Buy, "11", "1", "0", "0"),
            // fee 0.000000010 over 3 units: 3 (lot 1) + 3 (lot 2) + 4 (opening remainder)
            // gross (12−10) + (12−11) = 3
            (Sell, "12", "3", "0.00000001", "2.999999994"),
        ],
        inventory: "-1",
        realized: "2.999999994",
        fees: "0.00000001",
        open_fees: "0.000000004",
        mark: ("12", "-0.000000004"),
        avg: Some("12"),
        lots: &[(Sell, "1", "12")],
    },
    Case {
        name: "rebate (negative fee) increases realized",
        steps: &[
            (Buy, "100", "1", "-0.01", "0"),
            (Sell, "100", "1", "-0.01", "0.02"),
        ],
        inventory: "0",
        realized: "0.02",
        fees: "-0.02",
        open_fees: "0",
        mark: ("100", "0"),
        avg: None,
        lots: &[],
    },
];

#[test]
fn hand_worked_sequences() {
    for c in CASES {
        let mut book = FifoBook::new();
        for (i, &(side, price, qty, fee, want)) in c.steps.iter().enumerate() {
            let got = book
                .on_fill(side, p(price), q(qty), u(fee), t(i as i64))
                .unwrap_or_else(|e| panic!("case {}: step {i}: {e}", c.name));
            assert_eq!(got, u(want), "case {}: step {i} realized delta", c.name);
        }
        assert_eq!(
            book.inventory(),
            q(c.inventory),
            "case {}: inventory",
            c.name
        );
        assert_eq!(book.realized(), u(c.realized), "case {}: realized", c.name);
        assert_eq!(book.fees(), u(c.fees), "case {}: fees", c.name);
        assert_eq!(
            book.open_fees(),
            u(c.open_fees),
            "case {}: open fees",
            c.name
        );
        let (mid, unreal) = c.mark;
        assert_eq!(
            book.unrealized(p(mid)).expect("unrealized"),
            u(unreal),
            "case {}: unrealized",
            c.name
        );
        assert_eq!(book.avg_price(), c.avg.map(p), "case {}: avg price", c.name);
        let lots: Vec<(Side, Qty, Price)> = book
            .lots()
            .iter()
            .map(|l| (l.side, l.qty, l.price))
            .collect();
        let want: Vec<(Side, Qty, Price)> = c
            .lots
            .iter()
            .map(|&(s, qq, pp)| (s, q(qq), p(pp)))
            .collect();
        assert_eq!(lots, want, "case {}: lots", c.name);
        assert_eq!(book.fills(), c.steps.len() as u64, "case {}: fills", c.name);
    }
}

#[test]
fn volume_counts_both_sides() {
    let mut book = FifoBook::new();
    book.on_fill(Buy, p("200"), q("0.1"), Quote::ZERO, t(0))
        .expect("fill");
    book.on_fill(Sell, p("201"), q("0.25"), Quote::ZERO, t(1))
        .expect("fill");
    assert_eq!(book.volume(), q("0.35"));
    assert_eq!(book.last_fill_at(), Some(t(1)));
    // cash: +50.25 − 20
    assert_eq!(book.cash_flow(), u("30.25"));
}

#[test]
fn bad_fills_are_refused_and_change_nothing() {
    let cases = [
        ("zero qty", p("100"), Qty::ZERO),
        ("negative qty", p("100"), q("-1")),
        ("zero price", Price::ZERO, q("1")),
        ("negative price", p("-1"), q("1")),
    ];
    for (name, price, qty) in cases {
        let mut book = FifoBook::new();
        book.on_fill(Buy, p("100"), q("1"), Quote::ZERO, t(0))
            .expect("first fill");
        let before = book.clone();
        assert!(
            book.on_fill(Sell, price, qty, Quote::ZERO, t(1)).is_err(),
            "case {name}"
        );
        assert_eq!(book, before, "case {name}: unchanged");
    }
}

#[test]
fn overflow_is_an_error_and_changes_nothing() {
    let mut book = FifoBook::new();
    let before = book.clone();
    let r = book.on_fill(
        Buy,
        Price::from_int(3_000_000_000).expect("price"),
        Qty::from_int(4).expect("qty"),
        Quote::ZERO,
        t(0),
    );
    assert!(matches!(r, Err(FifoError::Arithmetic(_))));
    assert_eq!(book, before);
}

fn fill_strategy() -> impl Strategy<Value = (bool, i64, i64, i64)> {
    // SOL-like: price 2 dp in 100..200, qty 3 dp in 0.001..0.2, fee up to 0.05 at 9 dp.
    (
        any::<bool>(),
        10_000i64..20_000,
        1i64..200,
        0i64..50_000_000,
    )
}

fn apply(fills: &[(bool, i64, i64, i64)]) -> FifoBook {
    let mut book = FifoBook::new();
    for (i, &(buy, pc, qm, fee)) in fills.iter().enumerate() {
        let side = if buy { Buy } else { Sell };
        book.on_fill(
            side,
            Price::lit(pc, 2),
            Qty::lit(qm, 3),
            Quote::from_raw(fee),
            t(i as i64),
        )
        .expect("fill");
    }
    book
}

proptest! {
    #[test]
    fn accounting_identities(
        fills in prop::collection::vec(fill_strategy(), 1..60),
        mid_cents in 10_000i64..20_000,
    ) {
        let book = apply(&fills);
        let mid = Price::lit(mid_cents, 2);

        // Inventory is the sum of signed fills.
        let signed: Qty = fills
            .iter()
            .map(|&(buy, _, qm, _)| if buy { Qty::lit(qm, 3) } else { -Qty::lit(qm, 3) })
            .sum();
        prop_assert_eq!(book.inventory(), signed);

        // All lots on one side, positive quantities.
        let lots = book.lots();
        prop_assert!(lots.iter().all(|l| l.qty.is_positive()));
        prop_assert!(lots.iter().all(|l| Some(l.side) == lots.front().map(|f| f.side)));

        // Fees: Σ fill fees, of which the open part is still attached to lots.
        let fee_sum: Quote = fills.iter().map(|&(_, _, _, f)| Quote::from_raw(f)).sum();
        prop_assert_eq!(book.fees(), fee_sum);

        // Cash flow from the fills themselves.
        let cash: Quote = fills
            .iter()
            .map(|&(buy, pc, qm, f)| {
                let n = Price::lit(pc, 2)
                    .notional(Qty::lit(qm, 3), Rounding::HalfEven)
                    .expect("notional");
                (if buy { -n } else { n }) - Quote::from_raw(f)
            })
            .sum();
        prop_assert_eq!(book.cash_flow(), cash);

        // Equity change = cash flows + inventory × mid, exactly.
        let value = mid.notional(book.inventory(), Rounding::HalfEven).expect("value");
        let unreal = book.unrealized(mid).expect("unrealized");
        prop_assert_eq!(book.realized() + unreal, cash + value);

        // Lot costs match price × qty (exact at these decimals).
        for l in lots {
            let n = l.price.notional(l.qty, Rounding::HalfEven).expect("n");
            let want = if l.side == Buy { n } else { -n };
            prop_assert_eq!(l.cost, want);
        }

        // Replaying gives the same book.
        prop_assert_eq!(apply(&fills), book);
    }

    #[test]
    fn realized_deltas_sum_to_realized(fills in prop::collection::vec(fill_strategy(), 1..40)) {
        let mut book = FifoBook::new();
        let mut sum = Quote::ZERO;
        for (i, &(buy, pc, qm, fee)) in fills.iter().enumerate() {
            let side = if buy { Buy } else { Sell };
            sum += book
                .on_fill(side, Price::lit(pc, 2), Qty::lit(qm, 3), Quote::from_raw(fee), t(i as i64))
                .expect("fill");
        }
        prop_assert_eq!(sum, book.realized());
        // Flat book: nothing unrealized, every fee realized.
        if book.inventory().is_zero() {
            prop_assert_eq!(book.open_fees(), Quote::ZERO);
            prop_assert_eq!(book.realized(), book.cash_flow());
        }
    }
}
