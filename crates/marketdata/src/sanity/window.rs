//! The rolling window of accepted prices and the exact band check.
//!
//! Invariants: the window holds at most `cap` prices, the most recent ones, both in arrival
//! order and sorted (so the middle elements are read in O(1) and a push costs O(cap) moves
//! of 8-byte values: ~100 for the default window); the band check is integer arithmetic on
//! the fixed-point raw values, exact, and cannot overflow (products of two `i64` in `i128`).

use std::collections::VecDeque;

use flywheel_core::fixed::SCALE;
use flywheel_core::{Price, Ratio};

#[derive(Clone, Debug)]
pub(crate) struct Window {
    order: VecDeque<Price>,
    sorted: Vec<Price>,
    cap: usize,
}

impl Window {
    /// A window of the last `cap` (≥ 1) prices.
    pub(crate) fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        Window {
            order: VecDeque::with_capacity(cap),
            sorted: Vec::with_capacity(cap),
            cap,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    /// Add the newest price, dropping the oldest when full.
    pub(crate) fn push(&mut self, p: Price) {
        if self.order.len() == self.cap {
            if let Some(old) = self.order.pop_front() {
                // Any element equal to `old` will do: equal prices are interchangeable.
                if let Ok(i) = self.sorted.binary_search(&old) {
                    self.sorted.remove(i);
                }
            }
        }
        self.order.push_back(p);
        let i = self.sorted.partition_point(|&x| x < p);
        self.sorted.insert(i, p);
    }

    /// The lower and upper middle elements (equal for an odd count); `None` when empty.
    pub(crate) fn middles(&self) -> Option<(Price, Price)> {
        let n = self.sorted.len();
        if n == 0 {
            return None;
        }
        Some((self.sorted[(n - 1) / 2], self.sorted[n / 2]))
    }
}

/// Where `p` lies against the band `[low / ratio, high × ratio]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Inside,
    /// `p > high × ratio`.
    Above,
    /// `p < low / ratio`, i.e. `p × ratio < low`.
    Below,
}

/// Exact: with `S` the fixed-point scale, `p > high × r` ⇔ `p.raw × S > high.raw × r.raw`
/// and `p < low / r` ⇔ `p.raw × r.raw < low.raw × S`: no division, no rounding.
pub(crate) fn band_side(p: Price, low: Price, high: Price, ratio: Ratio) -> Side {
    let (p, low, high, r, s) = (
        i128::from(p.raw()),
        i128::from(low.raw()),
        i128::from(high.raw()),
        i128::from(ratio.raw()),
        i128::from(SCALE),
    );
    if p * s > high * r {
        Side::Above
    } else if p * r < low * s {
        Side::Below
    } else {
        Side::Inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    #[test]
    fn middles_table() {
        /// (name, window size, pushed prices, expected (low, high) middles)
        type Case<'a> = (&'a str, usize, &'a [&'a str], Option<(&'a str, &'a str)>);
        let cases: [Case; 7] = [
            ("empty", 3, &[], None),
            ("one", 3, &["5"], Some(("5", "5"))),
            ("two: both middles", 3, &["7", "5"], Some(("5", "7"))),
            ("three, unsorted", 3, &["9", "1", "5"], Some(("5", "5"))),
            (
                "oldest dropped",
                3,
                &["100", "1", "2", "3"],
                Some(("2", "2")),
            ),
            ("repeats", 3, &["4", "4", "4", "1"], Some(("4", "4"))),
            ("window of one", 1, &["4", "8"], Some(("8", "8"))),
        ];
        for (name, cap, pushes, want) in cases {
            let mut w = Window::new(cap);
            for &x in pushes {
                w.push(p(x));
            }
            assert!(w.len() <= cap, "case {name}");
            assert_eq!(w.middles(), want.map(|(a, b)| (p(a), p(b))), "case {name}");
        }
    }

    #[test]
    fn sorted_matches_a_naive_median() {
        // A deterministic walk with repeats, checked against sorting the last `cap` each time.
        let mut w = Window::new(5);
        let mut all = Vec::new();
        let mut x: i64 = 7;
        for _ in 0..500 {
            x = (x * 31 + 11) % 97;
            let price = Price::from_raw(x * 1_000_000);
            w.push(price);
            all.push(price);
            let mut last: Vec<Price> = all.iter().rev().take(5).copied().collect();
            last.sort();
            let n = last.len();
            assert_eq!(w.middles(), Some((last[(n - 1) / 2], last[n / 2])));
        }
    }

    #[test]
    fn band_side_table() {
        let ten = Ratio::from_int(10).unwrap();
        let cases = [
            ("inside", "200", "200", "200", ten, Side::Inside),
            (
                "exactly ten times is inside",
                "2000",
                "200",
                "200",
                ten,
                Side::Inside,
            ),
            (
                "one unit above",
                "2000.000000001",
                "200",
                "200",
                ten,
                Side::Above,
            ),
            (
                "exactly a tenth is inside",
                "20",
                "200",
                "200",
                ten,
                Side::Inside,
            ),
            (
                "one unit below",
                "19.999999999",
                "200",
                "200",
                ten,
                Side::Below,
            ),
            ("fat finger", "123000000", "200", "200", ten, Side::Above),
            (
                "largest price",
                "9223372036.854775807",
                "0.000000001",
                "0.000000001",
                ten,
                Side::Above,
            ),
            (
                "even window uses the upper middle above",
                "2500",
                "200",
                "250",
                ten,
                Side::Inside,
            ),
            (
                "even window uses the lower middle below",
                "20",
                "200",
                "250",
                ten,
                Side::Inside,
            ),
            (
                "fractional ratio",
                "251",
                "200",
                "200",
                "1.25".parse().unwrap(),
                Side::Above,
            ),
        ];
        for (name, price, low, high, ratio, want) in cases {
            assert_eq!(
                band_side(p(price), p(low), p(high), ratio),
                want,
                "case {name}"
            );
        }
    }
}
