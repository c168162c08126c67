//! What orders hold and what the smallest useful B entry costs: the fund guard's arithmetic
//! and Patch F's bilateral cap.
//!
//! - A buy holds its notional (rounded up) plus the maker fee the venue holds with it; a sell
//!   holds its volume of base. The engine refuses an entry whose holds exceed the loop's free
//!   funds (the fund guard).
//! - The smallest B entry (seed 001 §3.2) is `max(order_size_usd, min_volume × mark × 1.01)`;
//!   placing it takes that plus its fee plus half a lot of volume rounding at the mark.
//! - Invariant: every amount here is exact; one that cannot be computed is *unaffordable*
//!   (the largest quote), never zero — a minimum that silently became zero would let every
//!   entry through.

use flywheel_core::{Fixed, Price, Qty, Quote, Ratio, Rounding, Side};

/// The largest quote: what an amount that cannot be computed costs.
pub const UNAFFORDABLE: Quote = Quote::new(Fixed::MAX);

/// The funds an order needs free: quote for a buy (notional rounded up, plus the maker fee
/// at `fee_pct` percent), base for a sell.
pub fn holds(side: Side, price: Price, qty: Qty, fee_pct: Ratio) -> (Quote, Qty) {
    match side {
        Side::Buy => {
            let held = price
                .notional(qty, Rounding::Ceil)
                .and_then(|n| n.checked_add(n.pct_of(fee_pct, Rounding::Ceil)?));
            (held.unwrap_or(UNAFFORDABLE), Qty::ZERO)
        }
        Side::Sell => (Quote::ZERO, qty),
    }
}

/// Half a lot at `mark`: what half-even volume rounding can add to an order's notional.
pub fn rounding_margin(mark: Price, lot: Qty) -> Result<Quote, flywheel_core::FixedError> {
    mark.notional(lot, Rounding::Ceil)?
        .scale(Ratio::lit(5, 1), 9, Rounding::Ceil)
}

/// The smallest order the entry floor allows at `mark`: `min_volume × mark × 1.01`
/// (unaffordable when it cannot be computed).
pub fn entry_floor(min_volume: Qty, mark: Price) -> Quote {
    mark.notional(min_volume, Rounding::Ceil)
        .and_then(|n| n.scale(Ratio::lit(101, 2), 9, Rounding::Ceil))
        .unwrap_or(UNAFFORDABLE)
}

/// The smallest B entry (seed 001 §3.2): `max(order_size_usd, min_volume × mark × 1.01)`.
pub fn min_b_entry(order_size_usd: Quote, min_volume: Qty, mark: Price) -> Quote {
    order_size_usd.max(entry_floor(min_volume, mark))
}

/// The free quote a B entry of `size` takes: its notional, the maker fee held with it, and
/// the rounding margin (as the B allocation reserves them).
pub fn b_funding(size: Quote, fee_pct: Ratio, margin: Quote) -> Quote {
    size.pct_of(fee_pct, Rounding::Ceil)
        .and_then(|f| size.checked_add(f))
        .and_then(|s| s.checked_add(margin))
        .unwrap_or(UNAFFORDABLE)
}

/// Patch F: how many slots the quote balance keeps bilateral, `max(1, ⌊quote / min B⌋)`,
/// at most `slots`. The seed divides the *available* quote, which excludes what resting
/// buys hold; but those buys are what keep the bilateral slots bilateral, so counting them
/// out would cap restoration at one slot whenever the quote is deployed. The quote balance
/// (free + held) is the support.
pub fn max_bilateral_slots(quote_total: Quote, min_b: Quote, slots: usize) -> usize {
    if !min_b.is_positive() {
        return slots;
    }
    let n = quote_total
        .fixed()
        .div_round(min_b.fixed(), 0, Rounding::Floor)
        .map(|x| x.raw() / flywheel_core::fixed::SCALE)
        .unwrap_or(0);
    usize::try_from(n.max(1)).unwrap_or(usize::MAX).min(slots)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quote {
        s.parse().unwrap()
    }

    #[test]
    fn holds_table() {
        // (name, side, price, qty, fee %, quote held, base held)
        let cases = [
            ("buy with fee", Side::Buy, "0.1", "20", "0.25", "2.005", "0"),
            (
                "buy rounds up",
                Side::Buy,
                "0.0998",
                "13",
                "0",
                "1.2974",
                "0",
            ),
            (
                "sell holds base",
                Side::Sell,
                "0.1",
                "20",
                "0.25",
                "0",
                "20",
            ),
            ("zero fee", Side::Buy, "2", "3", "0", "6", "0"),
        ];
        for (name, side, price, qty, fee, want_q, want_b) in cases {
            let (hq, hb) = holds(
                side,
                price.parse().unwrap(),
                qty.parse().unwrap(),
                fee.parse().unwrap(),
            );
            assert_eq!((hq, hb), (q(want_q), want_b.parse().unwrap()), "{name}");
        }
    }

    #[test]
    fn an_amount_that_cannot_be_computed_is_unaffordable() {
        let huge: Price = Price::new(Fixed::MAX);
        let (held, _) = holds(Side::Buy, huge, Qty::lit(2, 0), Ratio::ZERO);
        assert_eq!(held, UNAFFORDABLE);
        assert_eq!(entry_floor(Qty::lit(2, 0), huge), UNAFFORDABLE);
        assert_eq!(
            b_funding(UNAFFORDABLE, Ratio::lit(25, 2), q("1")),
            UNAFFORDABLE
        );
    }

    #[test]
    fn minimum_b_entry_and_its_funding() {
        let mark: Price = "0.1".parse().unwrap();
        // 13 × 0.1 × 1.01 = 1.313 > 1: the floor rules; below it the order size does.
        assert_eq!(min_b_entry(q("1"), Qty::lit(13, 0), mark), q("1.313"));
        assert_eq!(min_b_entry(q("2"), Qty::lit(13, 0), mark), q("2"));
        // 2 + 0.25 % (0.005) + margin 0.05.
        assert_eq!(
            b_funding(q("2"), "0.25".parse().unwrap(), q("0.05")),
            q("2.055")
        );
        assert_eq!(rounding_margin(mark, Qty::lit(1, 0)), Ok(q("0.05")));
    }

    #[test]
    fn bilateral_cap_table() {
        // (name, quote total, min B, slots, cap)
        let cases = [
            ("ten minimums", "20", "2", 10, 10),
            ("floor of the ratio", "19.99", "2", 10, 9),
            ("at least one", "1", "2", 10, 1),
            ("no minimum: every slot", "1", "0", 7, 7),
        ];
        for (name, total, min_b, slots, want) in cases {
            assert_eq!(
                max_bilateral_slots(q(total), q(min_b), slots),
                want,
                "{name}"
            );
        }
    }
}
