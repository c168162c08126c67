//! The one sizing function: how much quote an order of a slot's trade should use
//! (spec §2.8, with §9 #1 fixed).
//!
//! - **A** (sell entries) compounds per slot: `max(order_size, order_size + slot profit)`.
//! - **B** (buy entries), quote-first: the quote that is actually free now (venue balance
//!   minus what resting orders hold), less a safety buffer, split in whole cents over the
//!   buy-ready slots. The cents left over are reported as `carry` but **not** added to the
//!   next loop's pool: they are still part of the free balance the next loop reads, so
//!   adding them again would count the same quote twice (the origin's defect: $10 free and
//!   five idle loops gave a $37.44 order). Committed buys are excluded once — by the venue's
//!   holds — and never subtracted again.
//! - **B without quote-first** sizes like A (`quote_first_allocation = false`): the sizing
//!   seed 000 §3.2 starts from. (The origin's legacy path split all free quote evenly over
//!   the slots, which deploys everything just as quote-first does; it is not kept.)
//! - **Entry floor** (both sides, optional): a size below `min_volume × market × 1.01` is
//!   raised to that, so a slot is not stuck waiting for an order it can never place.
//!
//! Everything here is pure and exact.

use flywheel_core::{Price, Quote, Ratio, Rounding, TradeId};
use flywheel_grid::EngineConfig;
use serde::{Deserialize, Serialize};

/// The B-side allocation for one loop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BAllocation {
    /// Quote per buy-ready slot (whole cents).
    pub per_slot: Quote,
    /// Cents that did not divide evenly (stay free; reported only).
    pub carry: Quote,
    /// Free quote considered.
    pub available: Quote,
    /// Slots that may place a buy entry.
    pub buy_ready: u32,
    /// Of those, how many are funded at `per_slot` (all of them, unless the even share is
    /// below the smallest valid B entry and the quote was pooled: see [`pool_b`]).
    #[serde(default)]
    pub funded: u32,
}

/// `1 + fee_pct / 100`: what a buy of one unit of quote holds with its maker fee.
fn with_fee(fee_pct: Ratio) -> Ratio {
    Ratio::ONE
        .checked_add(fee_pct.percent().unwrap_or_default())
        .unwrap_or(Ratio::ONE)
}

/// Split `free_quote − buffer` over `buy_ready` slots in whole cents, leaving room in each
/// share for the maker fee the venue holds with a buy (`fee_pct`) and for the volume
/// rounding (`margin`: half a lot at the mark, since volumes round half-even), so every
/// allocated entry passes the fund guard.
pub fn allocate_b(
    free_quote: Quote,
    buffer: Quote,
    buy_ready: u32,
    fee_pct: Ratio,
    margin: Quote,
) -> BAllocation {
    let deployable = (free_quote - buffer).max(Quote::ZERO);
    if buy_ready == 0 || !deployable.is_positive() {
        return BAllocation {
            per_slot: Quote::ZERO,
            carry: deployable,
            available: free_quote,
            buy_ready,
            funded: buy_ready,
        };
    }
    let n = Quote::from_int(i64::from(buy_ready)).unwrap_or(Quote::ZERO);
    let with_fee = with_fee(fee_pct);
    // share = deployable / n / (1 + fee) − margin, floored to the cent: exact rational floors.
    let per_slot = deployable
        .fixed()
        .div_round(n.fixed(), 9, Rounding::Floor)
        .and_then(|share| share.div_round(with_fee.fixed(), 9, Rounding::Floor))
        .and_then(|net| (net - margin.fixed()).round_dp(2, Rounding::Floor))
        .map(|x| Quote::new(x).max(Quote::ZERO))
        .unwrap_or(Quote::ZERO);
    let spent = per_slot.fixed().mul_round(n.fixed(), 9, Rounding::Floor);
    let carry = spent
        .map(|s| deployable - Quote::new(s))
        .unwrap_or(deployable);
    BAllocation {
        per_slot,
        carry,
        available: free_quote,
        buy_ready,
        funded: buy_ready,
    }
}

/// Seed 001 Patch F's "concentrate USD into fewer slots": when the even share of
/// [`allocate_b`] is below `min_b` (the smallest valid B entry: the exchange minimum at the
/// mark), the deployable quote funds as many slots as it covers at `min_b` or more — the
/// first `funded` buy-ready slots in slot order — and the others wait for quote instead of
/// each holding an unplaceable share (free quote no B order can use).
pub fn pool_b(
    free_quote: Quote,
    buffer: Quote,
    buy_ready: u32,
    fee_pct: Ratio,
    margin: Quote,
    min_b: Quote,
) -> BAllocation {
    let even = allocate_b(free_quote, buffer, buy_ready, fee_pct, margin);
    if buy_ready == 0 || even.per_slot >= min_b || !min_b.is_positive() {
        return even;
    }
    // One funded slot needs min_b (plus a cent for the floor to cents) with its fee and
    // rounding margin: then every pooled share is at least min_b.
    let deployable = (free_quote - buffer).max(Quote::ZERO);
    let with_fee = with_fee(fee_pct);
    let one =
        (min_b + Quote::lit(1, 2) + margin)
            .fixed()
            .mul_round(with_fee.fixed(), 9, Rounding::Ceil);
    let fundable = one
        .and_then(|one| deployable.fixed().div_round(one, 0, Rounding::Floor))
        .map(|n| u32::try_from(n.raw() / 1_000_000_000).unwrap_or(u32::MAX))
        .unwrap_or(0)
        .min(buy_ready);
    if fundable == 0 {
        return BAllocation {
            per_slot: Quote::ZERO,
            carry: deployable,
            available: free_quote,
            buy_ready,
            funded: 0,
        };
    }
    BAllocation {
        buy_ready,
        funded: fundable,
        ..allocate_b(free_quote, buffer, fundable, fee_pct, margin)
    }
}

/// The smallest order the entry floor allows at `market`: `min_volume × market × 1.01`.
pub fn entry_floor(cfg: &EngineConfig, market: Price) -> Quote {
    market
        .notional(cfg.min_volume, Rounding::Ceil)
        .and_then(|n| {
            n.fixed()
                .mul_round(Ratio::lit(101, 2).fixed(), 9, Rounding::Ceil)
        })
        .map(Quote::new)
        .unwrap_or(Quote::ZERO)
}

/// What sizing needs from the loop: the B allocation and the entry floor at the loop's mark.
/// Computed once per loop, so sizing an order is a few comparisons.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoopSizing {
    pub b: BAllocation,
    /// `min_volume × market × 1.01`, or zero when the floor is disabled.
    pub floor: Quote,
    /// Seed 001 Patch E: the floor does not inflate B entries.
    pub floor_exempt_b: bool,
    /// Half a lot at the loop's mark: what half-even volume rounding can add to an order
    /// (reserved by the B allocation and by the recovery sweep's minimum B).
    #[serde(default)]
    pub rounding_margin: Quote,
    /// Seed 001 §5.2: each slot's share of ranger and churner profit, added to the A-side
    /// compounding base.
    pub ancillary_share: Quote,
}

impl LoopSizing {
    pub fn new(cfg: &EngineConfig, b: BAllocation, market: Price) -> Self {
        let floor = if cfg.entry_floor_enabled && market.is_positive() {
            entry_floor(cfg, market)
        } else {
            Quote::ZERO
        };
        LoopSizing {
            b,
            floor,
            floor_exempt_b: false,
            rounding_margin: Quote::ZERO,
            ancillary_share: Quote::ZERO,
        }
    }
}

/// The size in quote of the next order of `trade` for a slot with `slot_profit` realized.
/// `trade = None` is the generic estimate (the A formula), used by the scoreboard.
pub fn order_size_usd(
    cfg: &EngineConfig,
    trade: Option<TradeId>,
    slot_profit: Quote,
    sizing: &LoopSizing,
) -> Quote {
    let b = &sizing.b;
    let base = match trade {
        Some(TradeId::B) if cfg.quote_first_allocation => b.per_slot,
        _ => cfg
            .order_size_usd
            .max(cfg.order_size_usd + slot_profit + sizing.ancillary_share),
    };
    if trade == Some(TradeId::B) && sizing.floor_exempt_b {
        return base;
    }
    base.max(sizing.floor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Quote {
        s.parse().unwrap()
    }

    #[test]
    fn b_allocation_table() {
        // (name, free, buffer, buy-ready, per slot, carry)
        let cases = [
            ("even split", "10.10", "0.10", 4, "2.5", "0"),
            (
                "whole cents, rest carried",
                "10.10",
                "0.10",
                3,
                "3.33",
                "0.01",
            ),
            ("nobody buy-ready", "10", "0.10", 0, "0", "9.9"),
            ("nothing free", "0.05", "0.10", 3, "0", "0"),
        ];
        for (name, free, buf, n, per, carry) in cases {
            let a = allocate_b(u(free), u(buf), n, Ratio::ZERO, Quote::ZERO);
            assert_eq!((a.per_slot, a.carry), (u(per), u(carry)), "case {name}");
        }
    }

    #[test]
    fn pooling_table() {
        // (name, free, buy-ready, min B, funded, per slot); buffer 0.10, fee 0.25 %, margin
        // 0.05. One funded slot needs (min B + 0.01 + 0.05) × 1.0025.
        let cases = [
            (
                "even share is enough: no pooling",
                "20",
                10,
                "1.313",
                10,
                "1.93",
            ),
            ("scarce: three of ten", "5", 10, "1.313", 3, "1.57"),
            ("one slot's worth", "1.5", 10, "1.313", 1, "1.34"),
            ("not even one", "1.2", 10, "1.313", 0, "0"),
            ("nobody buy-ready", "5", 0, "1.313", 0, "0"),
            ("no minimum", "5", 10, "0", 10, "0.43"),
        ];
        for (name, free, n, min_b, funded, per) in cases {
            let a = pool_b(
                u(free),
                u("0.10"),
                n,
                "0.25".parse().unwrap(),
                u("0.05"),
                u(min_b),
            );
            assert_eq!((a.funded, a.per_slot), (funded, u(per)), "{name}");
            assert_eq!(a.buy_ready, n, "{name}");
            if funded > 0 && u(min_b).is_positive() {
                assert!(
                    a.per_slot >= u(min_b),
                    "{name}: every funded share is placeable"
                );
            }
        }
    }

    #[test]
    fn shares_leave_room_for_the_fee_and_rounding() {
        // $200 free, one slot, 0.25 % fee, half a DOGE lot at 0.10 = 0.05:
        // 199.90 / 1.0025 − 0.05 = 199.351… → 199.35.
        let a = allocate_b(u("200"), u("0.10"), 1, "0.25".parse().unwrap(), u("0.05"));
        assert_eq!(a.per_slot, u("199.35"));
        // The entry it sizes (B at 0.0998, volume rounded half-even) fits with its fee.
        let price: Price = "0.0998".parse().unwrap();
        let vol = a.per_slot.qty_for(price, 0, Rounding::HalfEven).unwrap();
        let notional = price.notional(vol, Rounding::Ceil).unwrap();
        let fee = notional
            .pct_of("0.25".parse().unwrap(), Rounding::Ceil)
            .unwrap();
        assert!(notional + fee <= u("200"), "{notional} + {fee}");
    }

    #[test]
    fn carry_never_compounds_across_loops() {
        // The origin's defect: $10 free, 5 loops with nobody buy-ready, then one slot.
        // Here every loop reads the same free balance: the slot gets $9.90, not $37.44.
        let mut last = BAllocation::default();
        for _ in 0..5 {
            last = allocate_b(u("10"), u("0.10"), 0, Ratio::ZERO, Quote::ZERO);
        }
        assert_eq!(last.carry, u("9.9"));
        assert_eq!(
            allocate_b(u("10"), u("0.10"), 1, Ratio::ZERO, Quote::ZERO).per_slot,
            u("9.9")
        );
    }

    #[test]
    fn sizes_per_trade() {
        let cfg = EngineConfig::default();
        let market: Price = "0.1".parse().unwrap();
        let b = LoopSizing::new(
            &cfg,
            allocate_b(u("30.10"), u("0.10"), 10, Ratio::ZERO, Quote::ZERO),
            market,
        );
        // Floor: 13 × 0.1 × 1.01 = 1.313.
        assert_eq!(entry_floor(&cfg, market), u("1.313"));
        let cases = [
            ("A compounds profit", Some(TradeId::A), "0.5", "2.5"),
            ("A never below base", Some(TradeId::A), "-1", "2"),
            ("B quote-first share", Some(TradeId::B), "0", "3"),
            ("estimate uses A formula", None, "0.25", "2.25"),
        ];
        for (name, trade, profit, want) in cases {
            assert_eq!(
                order_size_usd(&cfg, trade, u(profit), &b),
                u(want),
                "case {name}"
            );
        }
        let starved = LoopSizing::new(
            &cfg,
            allocate_b(u("1"), u("0.10"), 10, Ratio::ZERO, Quote::ZERO),
            market,
        );
        assert_eq!(
            order_size_usd(&cfg, Some(TradeId::B), Quote::ZERO, &starved),
            u("1.313"),
            "the floor lifts a starved B entry"
        );
    }
}
