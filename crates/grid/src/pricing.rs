//! The slot's price and volume formulas (spec §1.5), in exact decimals.
//!
//! - Prices round half-even to `price_decimals` and volumes half-even to `volume_decimals`,
//!   as the origin does (Python `round`), but on the exact decimal value: no binary float is
//!   involved, so a price is never off by one tick from float noise.
//! - [`compute_order_volume`] never raises a size to the exchange minimum: an order that is
//!   too small is a [`SizeShortfall`] and the slot waits.

use flywheel_core::{FixedError, Price, Qty, Quote, Ratio, Rounding, Side, TradeId};
use serde::{Deserialize, Serialize};

use crate::EngineConfig;

/// Why an order cannot be sized yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum SizeShortfall {
    #[error("price or size is not positive")]
    NonPositive,
    #[error("notional below the minimum cost")]
    BelowMinCost,
    #[error("volume below the minimum volume")]
    BelowMinVolume,
    #[error("arithmetic overflow while sizing")]
    Overflow,
}

impl From<FixedError> for SizeShortfall {
    fn from(_: FixedError) -> Self {
        SizeShortfall::Overflow
    }
}

/// Entry widening after a losing streak of the same trade:
/// 1 below `loss_backoff_start`, else `min(max, 1 + factor × (streak − start + 1))`.
pub fn entry_backoff_multiplier(streak: u32, cfg: &EngineConfig) -> Result<Ratio, FixedError> {
    if streak < cfg.loss_backoff_start {
        return Ok(Ratio::ONE);
    }
    let steps = Ratio::from_int(i64::from(streak - cfg.loss_backoff_start + 1))?;
    let mult = Ratio::ONE.checked_add(cfg.backoff_factor.times(steps)?)?;
    Ok(mult.min(cfg.backoff_max_multiplier))
}

/// `market × (1 ∓ pct/100)`, rounded half-even to the price decimals.
fn offset_price(market: Price, side: Side, pct: Ratio, decimals: u32) -> Result<Price, FixedError> {
    let frac = pct.percent()?;
    let factor = match side {
        Side::Buy => Ratio::ONE.checked_sub(frac)?,
        Side::Sell => Ratio::ONE.checked_add(frac)?,
    };
    market.scale(factor, decimals, Rounding::HalfEven)
}

/// Price of a new entry for `trade` given the trade's losing streak. Falls back to the
/// un-backed-off distance if the widened one would give a non-positive price.
pub fn entry_price(
    market: Price,
    trade: TradeId,
    losing_streak: u32,
    cfg: &EngineConfig,
) -> Result<Price, FixedError> {
    let side = trade.entry_side();
    let pct = cfg.entry_pct_for(trade);
    let mult = entry_backoff_multiplier(losing_streak, cfg)?;
    let widened = offset_price(market, side, pct.times(mult)?, cfg.price_decimals)?;
    if widened.is_positive() {
        Ok(widened)
    } else {
        offset_price(market, side, pct, cfg.price_decimals)
    }
}

/// Price of the exit for an entry filled at `fill`: at least the profit target away from
/// the fill, and at least the base entry distance away from the market.
/// - sell exit (closing B): `max(fill × (1 + p), market × (1 + e))`
/// - buy exit (closing A): `min(fill × (1 − p), market × (1 − e))`
///
/// A market of zero (no tick seen yet) is replaced by the fill price.
pub fn exit_price(
    fill: Price,
    market: Price,
    exit_side: Side,
    profit_pct: Ratio,
    cfg: &EngineConfig,
) -> Result<Price, FixedError> {
    let market = if market.is_positive() { market } else { fill };
    let from_fill = offset_price(fill, exit_side, profit_pct, cfg.price_decimals)?;
    let from_market = offset_price(market, exit_side, cfg.entry_pct, cfg.price_decimals)?;
    Ok(match exit_side {
        Side::Sell => from_fill.max(from_market),
        Side::Buy => from_fill.min(from_market),
    })
}

/// Volume for an order of `usd` at `price` (spec §1.5), or why the slot must wait.
pub fn compute_order_volume(
    price: Price,
    cfg: &EngineConfig,
    usd: Quote,
) -> Result<Qty, SizeShortfall> {
    if !price.is_positive() || !usd.is_positive() {
        return Err(SizeShortfall::NonPositive);
    }
    let min_cost = cfg.min_cost_usd;
    if min_cost.is_positive() && usd < min_cost {
        return Err(SizeShortfall::BelowMinCost);
    }
    let vol = usd.qty_for(price, cfg.volume_decimals, Rounding::HalfEven)?;
    if !vol.is_positive() || vol < cfg.min_volume {
        return Err(SizeShortfall::BelowMinVolume);
    }
    if min_cost.is_positive() && price.notional(vol, Rounding::HalfEven)? < min_cost {
        return Err(SizeShortfall::BelowMinCost);
    }
    Ok(vol)
}

/// True when `|price − market| / market × 100 > pct`, computed exactly.
pub fn drift_exceeds(price: Price, market: Price, pct: Ratio) -> bool {
    if !market.is_positive() {
        return false;
    }
    let diff = (price.raw() as i128 - market.raw() as i128).abs();
    // diff/market × 100 > pct  ⇔  diff × 100 × SCALE > pct_raw × market  (all raw, scale 1e9)
    diff * 100 * flywheel_core::fixed::SCALE as i128 > pct.raw() as i128 * market.raw() as i128
}

/// The markets (raw, scale 1e9) at which `price` has *not* drifted past `pct`: the
/// inclusive range `lo..=hi` of positive marks where [`drift_exceeds`] is false, exactly.
/// `None` for a negative `pct` (every mark drifts then, so no range is promised).
///
/// From `|p − m| × K ≤ q × m` with `K = 100 × SCALE` and `q = pct` raw: below `p` that is
/// `m ≥ p·K / (K + q)` (rounded up), above it `m ≤ p·K / (K − q)` (rounded down; every
/// mark above `p` when `q ≥ K`, a drift of 100 % or more).
pub fn drift_free_range(price: Price, pct: Ratio) -> Option<(i64, i64)> {
    let k = 100 * flywheel_core::fixed::SCALE as i128;
    let (p, q) = (i128::from(price.raw()), i128::from(pct.raw()));
    if q < 0 {
        return None;
    }
    let pk = p * k;
    // K + q > 0 and p·K ≥ 0 (a positive price): a ceiling by adding the divisor less one.
    let lo = (pk + (k + q) - 1) / (k + q);
    let hi = if q < k { pk / (k - q) } else { i128::MAX };
    let clamp = |v: i128| i64::try_from(v).unwrap_or(i64::MAX);
    Some((clamp(lo).max(1), clamp(hi)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }
    fn r(s: &str) -> Ratio {
        s.parse().unwrap()
    }

    #[test]
    fn backoff_multiplier_table() {
        let cfg = EngineConfig::default();
        let cases = [
            (0, "1"),
            (2, "1"),
            (3, "1.5"),
            (4, "2"),
            (5, "2.5"),
            (10, "5"),
            (100, "5"),
        ];
        for (streak, want) in cases {
            assert_eq!(
                entry_backoff_multiplier(streak, &cfg).unwrap(),
                r(want),
                "streak {streak}"
            );
        }
    }

    #[test]
    fn spec_worked_example() {
        // Defaults, market 0.10, $2 (spec §1.5).
        let cfg = EngineConfig::default();
        let m = p("0.10");
        let b = entry_price(m, TradeId::B, 0, &cfg).unwrap();
        let a = entry_price(m, TradeId::A, 0, &cfg).unwrap();
        assert_eq!(b, p("0.0998"));
        assert_eq!(a, p("0.1002"));
        let usd: Quote = "2".parse().unwrap();
        assert_eq!(
            compute_order_volume(b, &cfg, usd).unwrap(),
            "20".parse().unwrap()
        );
        assert_eq!(
            compute_order_volume(a, &cfg, usd).unwrap(),
            "20".parse().unwrap()
        );
        let one = r("1.0");
        assert_eq!(
            exit_price(b, m, Side::Sell, one, &cfg).unwrap(),
            p("0.100798")
        );
        assert_eq!(
            exit_price(a, m, Side::Buy, one, &cfg).unwrap(),
            p("0.099198")
        );
    }

    #[test]
    fn entry_price_cases() {
        let mut cfg = EngineConfig {
            entry_pct_b: Some(r("0.5")),
            ..EngineConfig::default()
        };
        let m = p("0.10");
        let cases = [
            ("A plain", TradeId::A, 0, "0.1002"),
            ("B per-side pct", TradeId::B, 0, "0.0995"),
            ("A backed off x1.5", TradeId::A, 3, "0.1003"),
            ("B backed off x2 on 0.5%", TradeId::B, 4, "0.099"),
        ];
        for (name, t, streak, want) in cases {
            assert_eq!(
                entry_price(m, t, streak, &cfg).unwrap(),
                p(want),
                "case {name}"
            );
        }
        // A widened distance of ≥ 100 % falls back to the plain distance.
        cfg.entry_pct_b = Some(r("30"));
        assert_eq!(entry_price(m, TradeId::B, 10, &cfg).unwrap(), p("0.07"));
    }

    #[test]
    fn exit_price_market_floor() {
        let cfg = EngineConfig::default();
        let one = r("1.0");
        // Market ran up past the target: the sell exit is pinned above market.
        assert_eq!(
            exit_price(p("0.0998"), p("0.102"), Side::Sell, one, &cfg).unwrap(),
            p("0.102204")
        );
        // Market fell below the A target: the buy exit is pinned below market.
        assert_eq!(
            exit_price(p("0.1002"), p("0.098"), Side::Buy, one, &cfg).unwrap(),
            p("0.097804")
        );
        // No market yet: the fill stands in.
        assert_eq!(
            exit_price(p("0.1"), Price::ZERO, Side::Sell, one, &cfg).unwrap(),
            p("0.101")
        );
    }

    #[test]
    fn volume_waits_never_upsizes() {
        let mut cfg = EngineConfig::default();
        let cases: [(&str, &str, &str, Result<&str, SizeShortfall>); 5] = [
            ("fits", "0.1", "2", Ok("20")),
            (
                "below min volume",
                "0.1",
                "1.2",
                Err(SizeShortfall::BelowMinVolume),
            ),
            ("zero usd", "0.1", "0", Err(SizeShortfall::NonPositive)),
            ("zero price", "0", "2", Err(SizeShortfall::NonPositive)),
            ("rounds half-even", "0.1", "1.35", Ok("14")),
        ];
        for (name, price, usd, want) in cases {
            let got = compute_order_volume(p(price), &cfg, usd.parse().unwrap());
            assert_eq!(got, want.map(|v| v.parse().unwrap()), "case {name}");
        }
        cfg.min_cost_usd = "5".parse().unwrap();
        cfg.min_volume = Qty::ZERO;
        assert_eq!(
            compute_order_volume(p("0.1"), &cfg, "4.99".parse().unwrap()),
            Err(SizeShortfall::BelowMinCost)
        );
        // $5.04 → 50 units at 0.1 (half-even) = $5.00 ≥ min cost.
        assert_eq!(
            compute_order_volume(p("0.1"), &cfg, "5.04".parse().unwrap()),
            Ok("50".parse().unwrap())
        );
        // $5.04 at 0.101 → 49.9 → 50 = $5.05 ok; $5.01 at 0.1021 → 49.07 → 49 = $5.0029 ok;
        // $5.00 at 0.1011 → 49.46 → 49 = $4.9539 < $5 → wait.
        assert_eq!(
            compute_order_volume(p("0.1011"), &cfg, "5".parse().unwrap()),
            Err(SizeShortfall::BelowMinCost)
        );
    }

    #[test]
    fn drift_is_exact_at_the_boundary() {
        let one = r("1");
        assert!(!drift_exceeds(p("0.101"), p("0.1"), one)); // exactly 1 %: not more
        assert!(drift_exceeds(p("0.101000001"), p("0.1"), one));
        assert!(drift_exceeds(p("0.098999999"), p("0.1"), one));
        assert!(!drift_exceeds(p("0.1"), Price::ZERO, one));
    }

    #[test]
    fn drift_free_range_table() {
        // (name, entry price, pct, lo, hi)
        let cases = [
            // 1 % of 0.1 either way: m ≥ 0.1 / 1.01 (rounded up), m ≤ 0.1 / 0.99 (down).
            ("one percent", "0.1", "1", "0.099009901", "0.101010101"),
            ("zero pct: only the price itself", "0.1", "0", "0.1", "0.1"),
            (
                "a drift of 100 % or more: no upper bound",
                "0.1",
                "100",
                "0.05",
                "MAX",
            ),
        ];
        for (name, price, pct, lo, hi) in cases {
            let (got_lo, got_hi) = drift_free_range(p(price), r(pct)).expect(name);
            assert_eq!(got_lo, p(lo).raw(), "{name}: lo");
            let hi = if hi == "MAX" { i64::MAX } else { p(hi).raw() };
            assert_eq!(got_hi, hi, "{name}: hi");
        }
        assert_eq!(drift_free_range(p("0.1"), r("-1")), None, "negative pct");
    }

    proptest::proptest! {
        /// The range is exactly the marks at which the price has not drifted: inside it,
        /// at its ends, one raw unit beyond them, and anywhere else.
        #[test]
        fn drift_free_range_is_exact(
            price in 1i64..=i64::MAX / 4,
            pct in 0i64..=150_000_000_000,
            other in 1i64..=i64::MAX / 2,
        ) {
            let (price, pct) = (Price::from_raw(price), Ratio::from_raw(pct));
            let (lo, hi) = drift_free_range(price, pct).expect("pct ≥ 0");
            let probes = [lo, hi, lo - 1, hi.saturating_add(1), other, price.raw()];
            for m in probes.into_iter().filter(|&m| m > 0) {
                let inside = lo <= m && m <= hi;
                let drifts = drift_exceeds(price, Price::from_raw(m), pct);
                proptest::prop_assert_eq!(inside, !drifts, "mark {}: range {}..={}", m, lo, hi);
            }
        }
    }
}
