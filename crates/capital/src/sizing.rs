//! The one sizing function: how much quote an order of a slot's trade should use
//! (spec §2.8, with §9 #1 fixed), and the B-side allocation it reads.
//!
//! - **A** (sell entries) compounds per slot: `max(order_size, order_size + slot profit)`.
//!   Slot profit includes the losses of positions the slot released (see the grid's
//!   `compounding_profit`), so sizes stay bounded by the slot's true net result.
//! - **B** (buy entries), quote-first: the quote that is actually free now (venue balance
//!   minus what resting orders hold), less a safety buffer and **less the governor's runway**
//!   (`rebalance.target_idle_pct` × the quote balance: the idle quote seed 000 targets; 0 =
//!   deploy everything, seed 001's ideal), split in whole cents over the buy-ready slots.
//!   Keeping the runway back is what lets the governor's size skew act both ways: ×1.30 on B
//!   draws on the runway, ×0.70 leaves more of it idle. The cents left over are reported as
//!   `carry` but **not** added to the next loop's pool: they are still part of the free
//!   balance the next loop reads, so adding them again would count the same quote twice (the
//!   origin's defect: $10 free and five idle loops gave a $37.44 order).
//! - **B without quote-first** sizes like A (`quote_first_allocation = false`), or — with
//!   `legacy_b_sizing` — as the origin's legacy path, `max(order_size, free quote / slots)`:
//!   the pre-patch baseline seed 001 measures against.
//! - **Entry floor** (both sides, optional): a size below `min_volume × market × 1.01` is
//!   raised to that, so a slot is not stuck waiting for an order it can never place.
//!
//! Everything here is pure and exact; an amount that cannot be computed is unaffordable,
//! never zero.

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
    /// The governor's runway kept back from the allocation.
    #[serde(default)]
    pub runway: Quote,
}

/// What the B allocation may hand out this loop, and what each share must leave room for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deployable {
    /// Free quote (venue balance minus what resting orders hold).
    pub free: Quote,
    /// `allocation_safety_buffer_usd`.
    pub buffer: Quote,
    /// The governor's runway ([`governor_runway`]); zero without the governor.
    pub runway: Quote,
    /// Maker fee, percent: the venue holds it with a buy.
    pub fee_pct: Ratio,
    /// Half a lot at the mark: half-even volume rounding can add that much.
    pub margin: Quote,
}

impl Deployable {
    /// `free − buffer − runway`, never negative.
    pub fn amount(&self) -> Quote {
        (self.free - self.buffer - self.runway).max(Quote::ZERO)
    }
}

/// The runway the governor targets (seed 000): the quote its scoreboard does not count as
/// idle — the runway floor's `1.5 × next entries` — plus its target idle share
/// `target_idle_pct` (0–1) of the quote balance. With every dollar above it deployed, the
/// scoreboard's idle ratio sits at the target, so the governor's error measures departures
/// from the plan, not the plan itself.
///
/// Zero (deploy everything, seed 001's ideal) when the target is 0; and zero when the runway
/// would reach the whole balance: such a target cannot be met (the governor stands down and
/// says so), and holding the whole balance back would stop the B side. A target outside
/// 0–1 or not a number also gives zero (the config ranges refuse it before a run starts).
pub fn governor_runway(target_idle_pct: f64, quote_balance: Quote, next_entries: Quote) -> Quote {
    if !(target_idle_pct > 0.0 && target_idle_pct <= 1.0) {
        return Quote::ZERO;
    }
    let target = Ratio::from_f64(target_idle_pct, Rounding::HalfEven)
        .and_then(|r| quote_balance.scale(r, 2, Rounding::Floor));
    let floor = next_entries.scale(Ratio::lit(15, 1), 2, Rounding::Ceil);
    match (target, floor) {
        (Ok(t), Ok(f)) => match t.checked_add(f) {
            Ok(r) if r < quote_balance => r.max(Quote::ZERO),
            _ => Quote::ZERO,
        },
        _ => Quote::ZERO,
    }
}

/// `1 + fee_pct / 100`: what a buy of one unit of quote holds with its maker fee.
fn with_fee(fee_pct: Ratio) -> Ratio {
    Ratio::ONE
        .checked_add(fee_pct.percent().unwrap_or_default())
        .unwrap_or(Ratio::ONE)
}

/// Split the deployable quote over `buy_ready` slots in whole cents, leaving room in each
/// share for the maker fee the venue holds with a buy and for the volume rounding, so every
/// allocated entry passes the fund guard.
pub fn allocate_b(d: &Deployable, buy_ready: u32) -> BAllocation {
    let deployable = d.amount();
    let empty = BAllocation {
        per_slot: Quote::ZERO,
        carry: deployable,
        available: d.free,
        buy_ready,
        funded: buy_ready,
        runway: d.runway,
    };
    if buy_ready == 0 || !deployable.is_positive() {
        return empty;
    }
    let n = Quote::from_int(i64::from(buy_ready)).unwrap_or(Quote::ZERO);
    let with_fee = with_fee(d.fee_pct);
    // share = deployable / n / (1 + fee) − margin, floored to the cent: exact rational floors.
    let per_slot = deployable
        .fixed()
        .div_round(n.fixed(), 9, Rounding::Floor)
        .and_then(|share| share.div_round(with_fee.fixed(), 9, Rounding::Floor))
        .and_then(|net| (net - d.margin.fixed()).round_dp(2, Rounding::Floor))
        .map(|x| Quote::new(x).max(Quote::ZERO))
        .unwrap_or(Quote::ZERO);
    let spent = per_slot.fixed().mul_round(n.fixed(), 9, Rounding::Floor);
    let carry = spent
        .map(|s| deployable - Quote::new(s))
        .unwrap_or(deployable);
    BAllocation {
        per_slot,
        carry,
        ..empty
    }
}

/// Seed 001 Patch F's "concentrate USD into fewer slots": when the even share of
/// [`allocate_b`] is below `min_b` (the smallest valid B entry: the exchange minimum at the
/// mark), the deployable quote funds as many slots as it covers at `min_b` or more — the
/// first `funded` buy-ready slots in slot order — and the others wait for quote instead of
/// each holding an unplaceable share (free quote no B order can use).
pub fn pool_b(d: &Deployable, buy_ready: u32, min_b: Quote) -> BAllocation {
    let even = allocate_b(d, buy_ready);
    if buy_ready == 0 || even.per_slot >= min_b || !min_b.is_positive() {
        return even;
    }
    // One funded slot needs min_b (plus a cent for the floor to cents) with its fee and
    // rounding margin: then every pooled share is at least min_b.
    let deployable = d.amount();
    let one = (min_b + Quote::lit(1, 2) + d.margin).fixed().mul_round(
        with_fee(d.fee_pct).fixed(),
        9,
        Rounding::Ceil,
    );
    let fundable = one
        .and_then(|one| deployable.fixed().div_round(one, 0, Rounding::Floor))
        .map(|n| u32::try_from(n.raw() / flywheel_core::fixed::SCALE).unwrap_or(u32::MAX))
        .unwrap_or(0)
        .min(buy_ready);
    if fundable == 0 {
        return BAllocation {
            per_slot: Quote::ZERO,
            carry: deployable,
            funded: 0,
            ..even
        };
    }
    // `allocate_b` over the funded slots reports them as `funded`; the buy-ready count is
    // all of them.
    BAllocation {
        buy_ready,
        ..allocate_b(d, fundable)
    }
}

/// The origin's legacy B size (quote-first off): `max(order_size_usd, free quote / slots)`,
/// floored to the cent.
pub fn legacy_b_size(order_size_usd: Quote, free_quote: Quote, slots: u32) -> Quote {
    let n = Quote::from_int(i64::from(slots.max(1))).unwrap_or(Quote::ZERO);
    let share = free_quote
        .max(Quote::ZERO)
        .fixed()
        .div_round(n.fixed(), 2, Rounding::Floor)
        .map(Quote::new)
        .unwrap_or(Quote::ZERO);
    order_size_usd.max(share)
}

/// The smallest order the entry floor allows at `market`: `min_volume × market × 1.01`.
pub fn entry_floor(cfg: &EngineConfig, market: Price) -> Quote {
    crate::funds::entry_floor(cfg.min_volume, market)
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
    /// The origin's legacy B size this loop (used with `legacy_b_sizing`).
    #[serde(default)]
    pub legacy_b: Quote,
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
            legacy_b: Quote::ZERO,
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
        Some(TradeId::B) if cfg.legacy_b_sizing => sizing.legacy_b,
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

    /// Free quote, buffer, fee % and rounding margin; no runway.
    fn dep(free: &str, buffer: &str, fee: &str, margin: &str) -> Deployable {
        Deployable {
            free: u(free),
            buffer: u(buffer),
            runway: Quote::ZERO,
            fee_pct: fee.parse().unwrap(),
            margin: u(margin),
        }
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
            let a = allocate_b(&dep(free, buf, "0", "0"), n);
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
            // The even share equals the minimum: placeable, so nobody is pooled out.
            ("share exactly the minimum", "20", 10, "1.93", 10, "1.93"),
            // 2.75 deployable against 1.3764 per funded slot (the cent and the margin
            // included): one slot, not two.
            ("just short of two", "2.85", 10, "1.313", 1, "2.69"),
        ];
        for (name, free, n, min_b, funded, per) in cases {
            let d = dep(free, "0.10", "0.25", "0.05");
            let a = pool_b(&d, n, u(min_b));
            assert_eq!((a.funded, a.per_slot), (funded, u(per)), "{name}");
            assert_eq!(a.buy_ready, n, "{name}");
            if funded == 0 {
                assert_eq!(a.carry, d.amount(), "{name}: nothing funded, all carried");
            }
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
        let a = allocate_b(&dep("200", "0.10", "0.25", "0.05"), 1);
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
            last = allocate_b(&dep("10", "0.10", "0", "0"), 0);
        }
        assert_eq!(last.carry, u("9.9"));
        assert_eq!(
            allocate_b(&dep("10", "0.10", "0", "0"), 1).per_slot,
            u("9.9")
        );
    }

    #[test]
    fn sizes_per_trade() {
        let cfg = EngineConfig::default();
        let market: Price = "0.1".parse().unwrap();
        let b = LoopSizing::new(
            &cfg,
            allocate_b(&dep("30.10", "0.10", "0", "0"), 10),
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
        // The ancillary share adds to the compounding base; Patch E exempts B (only) from
        // the floor.
        let mut shared = b;
        shared.ancillary_share = u("0.25");
        assert_eq!(
            order_size_usd(&cfg, Some(TradeId::A), u("0.5"), &shared),
            u("2.75")
        );
        let mut exempt = LoopSizing::new(&cfg, allocate_b(&dep("1", "0.10", "0", "0"), 10), market);
        exempt.floor_exempt_b = true;
        assert_eq!(
            order_size_usd(&cfg, Some(TradeId::B), Quote::ZERO, &exempt),
            u("0.09"),
            "B unfloored"
        );
        assert_eq!(
            order_size_usd(&cfg, Some(TradeId::A), Quote::ZERO, &exempt),
            u("2"),
            "A keeps the floor and its base"
        );
        let starved = LoopSizing::new(&cfg, allocate_b(&dep("1", "0.10", "0", "0"), 10), market);
        assert_eq!(
            order_size_usd(&cfg, Some(TradeId::B), Quote::ZERO, &starved),
            u("1.313"),
            "the floor lifts a starved B entry"
        );
    }

    #[test]
    fn the_runway_is_kept_back_from_the_allocation() {
        // (name, target, quote balance, next entries, free, runway, per slot of 4)
        let cases = [
            ("deploy everything", 0.0, "200", "20", "100.10", "0", "25"),
            (
                "40 % of 200 + 1.5 × 20",
                0.4,
                "200",
                "20",
                "150.10",
                "110",
                "10",
            ),
            (
                "runway above free: nothing",
                0.4,
                "200",
                "20",
                "50.10",
                "110",
                "0",
            ),
            (
                "unreachable (≥ balance): none",
                0.4,
                "20",
                "20",
                "20.10",
                "0",
                "5",
            ),
            (
                "everything kept: unreachable",
                1.0,
                "200",
                "0",
                "100.10",
                "0",
                "25",
            ),
            (
                "out of range: no runway",
                1.5,
                "200",
                "20",
                "100.10",
                "0",
                "25",
            ),
            (
                "not a number: no runway",
                f64::NAN,
                "200",
                "20",
                "100.10",
                "0",
                "25",
            ),
        ];
        for (name, target, balance, next, free, runway, per) in cases {
            let r = governor_runway(target, u(balance), u(next));
            assert_eq!(r, u(runway), "{name}");
            let d = Deployable {
                runway: r,
                ..dep(free, "0.10", "0", "0")
            };
            let a = allocate_b(&d, 4);
            assert_eq!((a.per_slot, a.runway), (u(per), r), "{name}");
        }
        assert_eq!(
            governor_runway(0.333, u("10"), u("0.001")),
            u("3.34"),
            "3.33 floored, 0.0015 ceiled, to the cent"
        );
    }

    #[test]
    fn legacy_b_sizing_is_the_origins() {
        let mut cfg = EngineConfig {
            quote_first_allocation: false,
            entry_floor_enabled: false,
            ..EngineConfig::default()
        };
        // (name, free, slots, legacy size)
        let cases = [
            ("free share above the order size", "50", 10, "5"),
            ("order size above the share", "5", 10, "2"),
            ("cents floored", "10", 3, "3.33"),
            ("zero slots read as one", "7", 0, "7"),
        ];
        for (name, free, slots, want) in cases {
            assert_eq!(
                legacy_b_size(cfg.order_size_usd, u(free), slots),
                u(want),
                "{name}"
            );
        }
        let mut sizing = LoopSizing::new(&cfg, BAllocation::default(), "0.1".parse().unwrap());
        sizing.legacy_b = u("5");
        let compounding = order_size_usd(&cfg, Some(TradeId::B), u("1"), &sizing);
        assert_eq!(
            compounding,
            u("3"),
            "without legacy sizing B compounds like A"
        );
        cfg.legacy_b_sizing = true;
        assert_eq!(
            order_size_usd(&cfg, Some(TradeId::B), u("1"), &sizing),
            u("5")
        );
        assert_eq!(
            order_size_usd(&cfg, Some(TradeId::A), u("1"), &sizing),
            u("3"),
            "A is unchanged"
        );
    }
}
