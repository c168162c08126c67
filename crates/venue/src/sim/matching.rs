//! Fill rules as pure functions: when a market price crosses a resting order, when a
//! post-only order would take, what an IOC order executes at (with the half-spread it pays),
//! and the candle intrabar path.

use flywheel_core::{Fixed, Price, Ratio, Rounding, Side, Timestamp};
use flywheel_marketdata::Bar;

use super::config::FillRule;

/// Does a market print at `market` reach a resting `side` order limited at `limit`? Strict:
/// only strictly through the price; touch and queue: at or through it (under queue, a print
/// at the price then fills only what passes the queue ahead).
pub fn crosses(rule: FillRule, side: Side, limit: Price, market: Price) -> bool {
    match (rule, side) {
        (FillRule::Strict, Side::Buy) => market < limit,
        (FillRule::Strict, Side::Sell) => market > limit,
        (FillRule::Touch | FillRule::Queue, Side::Buy) => market <= limit,
        (FillRule::Touch | FillRule::Queue, Side::Sell) => market >= limit,
    }
}

/// Would a post-only `side` order at `price` take liquidity on arrival?
///
/// It would when it reaches the market reference (a buy at or above the last price, a sell
/// at or below it) or one of our own resting orders on the other side (`best_opposite`: the
/// best own ask for a buy, the best own bid for a sell) — on a real book that order, or a
/// better one, is there to be hit. Without a reference only the own-book check applies.
pub fn post_only_would_take(
    side: Side,
    price: Price,
    reference: Option<Price>,
    best_opposite: Option<Price>,
) -> bool {
    let hits = |other: Price| match side {
        Side::Buy => price >= other,
        Side::Sell => price <= other,
    };
    reference.is_some_and(hits) || best_opposite.is_some_and(hits)
}

/// The price an IOC order executes at, if any: the reference moved `half_spread_bps` against
/// the taker — a buy pays `reference × (1 + h)`, a sell receives `reference × (1 − h)`,
/// `h = half_spread_bps / 10 000` — rounded to the tick away from the taker (a sell never
/// below one tick), when its limit allows that price. The reference is the last print, which
/// sits on either side of the spread; on average the far side is half a spread away from it.
/// No reference, a limit inside the spread, or a price out of the fixed-point range: nothing.
pub fn ioc_fill_price(
    side: Side,
    limit: Price,
    reference: Option<Price>,
    half_spread_bps: Ratio,
    tick: Price,
) -> Option<Price> {
    let r = reference?;
    let h = half_spread_bps
        .fixed()
        .div_round(Fixed::from_int(10_000).ok()?, 9, Rounding::HalfEven)
        .ok()?;
    let price = match side {
        Side::Buy => r
            .scale(
                Ratio::new(Fixed::ONE.checked_add(h).ok()?),
                9,
                Rounding::Ceil,
            )
            .and_then(|p| p.round_to(tick, Rounding::Ceil))
            .ok()?,
        Side::Sell => r
            .scale(
                Ratio::new(Fixed::ONE.checked_sub(h).ok()?),
                9,
                Rounding::Floor,
            )
            .and_then(|p| p.round_to(tick, Rounding::Floor))
            .ok()?
            .max(tick),
    };
    let ok = match side {
        Side::Buy => limit >= price,
        Side::Sell => limit <= price,
    };
    ok.then_some(price)
}

/// The up-to-four price points a candle is replayed as (spec `grid-origin.md` §6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntrabarPath {
    points: [(Timestamp, Price); 4],
    len: usize,
}

impl IntrabarPath {
    /// The points, oldest first.
    pub fn points(&self) -> &[(Timestamp, Price)] {
        &self.points[..self.len]
    }
}

/// Replay a bar as open → the extreme nearer to the open (the high if `|high − open| <
/// |open − low|`, else the low, so a tie visits the low first) → the other extreme → close,
/// at `t0, t0+q, t0+2q, t0+3q` with `t0 = open_time` and `q = (close_time − open_time) / 4`
/// (whole ms, floored, at least 0). A point equal to the one before it is dropped; the points
/// that remain keep their own slot's time (so the close is always at `t0 + 3q` unless it
/// repeats the previous point).
pub fn intrabar_path(bar: &Bar) -> IntrabarPath {
    let t0 = bar.open_time.millis();
    let q = bar.close_time.millis().saturating_sub(t0).max(0) / 4;
    let high_first = (bar.high - bar.open).abs() < (bar.open - bar.low).abs();
    let (near, far) = if high_first {
        (bar.high, bar.low)
    } else {
        (bar.low, bar.high)
    };
    let prices = [bar.open, near, far, bar.close];
    let mut path = IntrabarPath {
        points: [(bar.open_time, bar.open); 4],
        len: 0,
    };
    for (i, price) in (0i64..).zip(prices) {
        if path.len > 0 && path.points[path.len - 1].1 == price {
            continue;
        }
        let ts = Timestamp::from_millis(t0.saturating_add(q.saturating_mul(i)));
        path.points[path.len] = (ts, price);
        path.len += 1;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    #[test]
    fn crosses_table() {
        use FillRule::*;
        use Side::*;
        let cases = [
            ("strict buy, print below", Strict, Buy, "9", true),
            ("strict buy, print at", Strict, Buy, "10", false),
            ("strict buy, print above", Strict, Buy, "11", false),
            ("strict sell, print above", Strict, Sell, "11", true),
            ("strict sell, print at", Strict, Sell, "10", false),
            ("strict sell, print below", Strict, Sell, "9", false),
            ("touch buy, print below", Touch, Buy, "9", true),
            ("touch buy, print at", Touch, Buy, "10", true),
            ("touch buy, print above", Touch, Buy, "11", false),
            ("touch sell, print above", Touch, Sell, "11", true),
            ("touch sell, print at", Touch, Sell, "10", true),
            ("touch sell, print below", Touch, Sell, "9", false),
            ("queue buy, print at", Queue, Buy, "10", true),
            ("queue sell, print above", Queue, Sell, "11", true),
            ("queue sell, print below", Queue, Sell, "9", false),
        ];
        for (name, rule, side, market, want) in cases {
            assert_eq!(crosses(rule, side, p("10"), p(market)), want, "case {name}");
        }
    }

    #[test]
    fn post_only_table() {
        use Side::*;
        let cases = [
            ("no reference, empty book", Buy, "10", None, None, false),
            ("buy below reference", Buy, "9.9", Some("10"), None, false),
            ("buy at reference", Buy, "10", Some("10"), None, true),
            ("buy above reference", Buy, "10.1", Some("10"), None, true),
            (
                "sell above reference",
                Sell,
                "10.1",
                Some("10"),
                None,
                false,
            ),
            ("sell at reference", Sell, "10", Some("10"), None, true),
            ("sell below reference", Sell, "9.9", Some("10"), None, true),
            (
                "buy at own ask, below reference",
                Buy,
                "9",
                Some("9.5"),
                Some("9"),
                true,
            ),
            (
                "buy below own ask and reference",
                Buy,
                "8.5",
                Some("9.5"),
                Some("9"),
                false,
            ),
            (
                "sell at own bid, no reference",
                Sell,
                "9",
                None,
                Some("9"),
                true,
            ),
        ];
        for (name, side, price, reference, own, want) in cases {
            assert_eq!(
                post_only_would_take(side, p(price), reference.map(p), own.map(p)),
                want,
                "case {name}"
            );
        }
    }

    #[test]
    fn ioc_table() {
        use Side::*;
        // Tick 0.01. (case, side, limit, reference, half-spread bps, fill price)
        let cases = [
            ("no reference expires", Buy, "10", None, "0", None),
            (
                "buy at the reference, no spread",
                Buy,
                "10.5",
                Some("10"),
                "0",
                Some("10"),
            ),
            (
                "buy limit at reference, no spread",
                Buy,
                "10",
                Some("10"),
                "0",
                Some("10"),
            ),
            (
                "buy limit below reference expires",
                Buy,
                "9.9",
                Some("10"),
                "0",
                None,
            ),
            (
                "sell at the reference, no spread",
                Sell,
                "9.5",
                Some("10"),
                "0",
                Some("10"),
            ),
            (
                "sell limit above reference expires",
                Sell,
                "10.1",
                Some("10"),
                "0",
                None,
            ),
            // 10 × 1.0002 = 10.002 → up to 10.01; 10 × 0.9998 = 9.998 → down to 9.99.
            (
                "buy pays the half-spread, tick up",
                Buy,
                "10.5",
                Some("10"),
                "2",
                Some("10.01"),
            ),
            (
                "sell gives the half-spread, tick down",
                Sell,
                "9.5",
                Some("10"),
                "2",
                Some("9.99"),
            ),
            (
                "exact multiple of the tick",
                Buy,
                "11",
                Some("10"),
                "100",
                Some("10.1"),
            ),
            (
                "buy limit inside the spread expires",
                Buy,
                "10",
                Some("10"),
                "2",
                None,
            ),
            (
                "sell limit inside the spread expires",
                Sell,
                "10",
                Some("10"),
                "2",
                None,
            ),
            (
                "sell never below one tick",
                Sell,
                "0.01",
                Some("0.01"),
                "500",
                Some("0.01"),
            ),
        ];
        for (name, side, limit, reference, bps, want) in cases {
            assert_eq!(
                ioc_fill_price(
                    side,
                    p(limit),
                    reference.map(p),
                    bps.parse().unwrap(),
                    p("0.01")
                ),
                want.map(p),
                "case {name}"
            );
        }
    }

    fn bar(o: &str, h: &str, l: &str, c: &str) -> Bar {
        Bar {
            open_time: Timestamp::from_millis(60_000),
            close_time: Timestamp::from_millis(120_000),
            open: p(o),
            high: p(h),
            low: p(l),
            close: p(c),
            volume: None,
        }
    }

    #[test]
    fn intrabar_path_table() {
        // q = 60 000 / 4 = 15 000 ms.
        let cases = [
            (
                "up bar: low is nearer, visited first",
                bar("10", "12", "9.5", "11.5"),
                vec![
                    (60_000, "10"),
                    (75_000, "9.5"),
                    (90_000, "12"),
                    (105_000, "11.5"),
                ],
            ),
            (
                "down bar: high is nearer, visited first",
                bar("10", "10.2", "8", "8.5"),
                vec![
                    (60_000, "10"),
                    (75_000, "10.2"),
                    (90_000, "8"),
                    (105_000, "8.5"),
                ],
            ),
            (
                "tie visits the low first",
                bar("10", "11", "9", "10"),
                vec![
                    (60_000, "10"),
                    (75_000, "9"),
                    (90_000, "11"),
                    (105_000, "10"),
                ],
            ),
            (
                "open at the low: duplicate collapsed, times kept",
                bar("10", "12", "10", "11"),
                vec![(60_000, "10"), (90_000, "12"), (105_000, "11")],
            ),
            (
                "close at the far extreme collapsed",
                bar("10", "10.5", "8", "8"),
                vec![(60_000, "10"), (75_000, "10.5"), (90_000, "8")],
            ),
            (
                "flat bar is one point",
                bar("10", "10", "10", "10"),
                vec![(60_000, "10")],
            ),
        ];
        for (name, b, want) in cases {
            let got: Vec<(i64, Price)> = intrabar_path(&b)
                .points()
                .iter()
                .map(|(t, px)| (t.millis(), *px))
                .collect();
            let want: Vec<(i64, Price)> = want.into_iter().map(|(t, s)| (t, p(s))).collect();
            assert_eq!(got, want, "case {name}");
        }
    }

    #[test]
    fn intrabar_degenerate_interval() {
        let mut b = bar("10", "11", "9", "10.5");
        b.close_time = b.open_time;
        let times: Vec<i64> = intrabar_path(&b)
            .points()
            .iter()
            .map(|(t, _)| t.millis())
            .collect();
        assert_eq!(times, vec![60_000; 4]);
    }
}
