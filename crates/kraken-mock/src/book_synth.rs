//! A plausible L2 book around the last trade price, for the public `book` channel.
//!
//! The mock has no other participants, so it invents them: `depth` levels each side, `step`
//! apart, starting one step from the last price, each with a quantity that depends only on
//! its price (so levels stay put until the price moves), plus the leaves of the account's own
//! resting orders at their prices (a client sees its own quotes in the book, as on Kraken).
//!
//! Invariants:
//! - Both sides hold at most `depth` levels, bids strictly below asks (own bids rest below the
//!   last price and own asks above it, which the simulated exchange's post-only rule ensures).
//! - [`SynthBook::rebuild`] returns exactly the levels that changed (qty 0 for a level that
//!   left), so snapshot + updates reproduce [`SynthBook::levels`]; the checksum is computed on
//!   the very texts that are sent (Kraken's v2 rule, `spec/kraken.md` §3.7).

use std::collections::BTreeMap;

use flywheel_core::{Fixed, Price, Qty, Rounding, Side};

use crate::frames::dec;

/// Levels per side (Kraken's smallest subscription depth, and the checksum's).
pub const DEPTH: usize = 10;

/// Levels, best first: (price, qty).
pub type Levels = Vec<(Price, Qty)>;

/// Changed levels: (price, new qty; zero = removed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BookDelta {
    pub bids: Vec<(Price, Qty)>,
    pub asks: Vec<(Price, Qty)>,
}

impl BookDelta {
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }
}

/// The synthetic book.
#[derive(Clone, Debug, Default)]
pub struct SynthBook {
    bids: BTreeMap<Price, Qty>,
    asks: BTreeMap<Price, Qty>,
}

fn mix(mut x: u64) -> u64 {
    // splitmix64: a fixed, well-spread function of the price, so quantities look random
    // but are reproducible.
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// 100 to 50 000 units at 8 decimals, a function of the price.
fn level_qty(price: Price) -> Qty {
    let lots = 10_000_000_000u64 + mix(price.fixed().raw().unsigned_abs()) % 4_990_000_000_000;
    // lots are units of 1e-8; Fixed holds 1e-9.
    Qty::new(Fixed::from_raw(
        i64::try_from(lots * 10).unwrap_or(i64::MAX),
    ))
}

fn diff(old: &BTreeMap<Price, Qty>, new: &BTreeMap<Price, Qty>) -> Vec<(Price, Qty)> {
    let mut out: Vec<(Price, Qty)> = new
        .iter()
        .filter(|(p, q)| old.get(p) != Some(q))
        .map(|(p, q)| (*p, *q))
        .collect();
    out.extend(
        old.keys()
            .filter(|p| !new.contains_key(p))
            .map(|p| (*p, Qty::ZERO)),
    );
    out.sort_by_key(|(p, _)| *p);
    out
}

impl SynthBook {
    /// Rebuild around `last` with levels `step` apart (a multiple of the tick) and the own
    /// resting orders `own` (side, price, leaves); returns what changed.
    pub fn rebuild(
        &mut self,
        last: Price,
        step: Price,
        tick: Price,
        own: &[(Side, Price, Qty)],
    ) -> BookDelta {
        let mut bids = BTreeMap::new();
        let mut asks = BTreeMap::new();
        let base_bid = last.round_to(tick, Rounding::Floor).unwrap_or(last);
        let base_ask = last.round_to(tick, Rounding::Ceil).unwrap_or(last);
        let mut k = Price::ZERO;
        for _ in 0..DEPTH {
            k += step;
            let b = base_bid - k;
            if b.is_positive() {
                bids.insert(b, level_qty(b));
            }
            let a = base_ask + k;
            asks.insert(a, level_qty(a));
        }
        for (side, price, leaves) in own {
            let book = match side {
                Side::Buy => &mut bids,
                Side::Sell => &mut asks,
            };
            let q = book.entry(*price).or_insert(Qty::ZERO);
            *q += *leaves;
        }
        while bids.len() > DEPTH {
            bids.pop_first();
        }
        while asks.len() > DEPTH {
            asks.pop_last();
        }
        let delta = BookDelta {
            bids: diff(&self.bids, &bids),
            asks: diff(&self.asks, &asks),
        };
        self.bids = bids;
        self.asks = asks;
        delta
    }

    /// Bids best first, asks best first.
    pub fn levels(&self) -> (Levels, Levels) {
        (
            self.bids.iter().rev().map(|(p, q)| (*p, *q)).collect(),
            self.asks.iter().map(|(p, q)| (*p, *q)).collect(),
        )
    }

    pub fn best_bid(&self) -> Option<(Price, Qty)> {
        self.bids.iter().next_back().map(|(p, q)| (*p, *q))
    }
    pub fn best_ask(&self) -> Option<(Price, Qty)> {
        self.asks.iter().next().map(|(p, q)| (*p, *q))
    }

    /// Kraken's v2 checksum over the top 10 levels, on the texts written with
    /// `price_decimals` / `qty_decimals`.
    pub fn checksum(&self, price_decimals: u32, qty_decimals: u32) -> u32 {
        let mut s = String::new();
        let mut part = |v: Fixed, d: u32| {
            let text = dec(v, d).replace('.', "");
            s.push_str(text.trim_start_matches('0'));
        };
        for (p, q) in self.asks.iter().take(DEPTH) {
            part(p.fixed(), price_decimals);
            part(q.fixed(), qty_decimals);
        }
        for (p, q) in self.bids.iter().rev().take(DEPTH) {
            part(p.fixed(), price_decimals);
            part(q.fixed(), qty_decimals);
        }
        crc32fast::hash(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(m: i64) -> Price {
        Price::lit(m, 7)
    }

    #[test]
    fn rebuild_shape_and_delta() {
        let mut b = SynthBook::default();
        let d0 = b.rebuild(p(1_800_000), p(10), p(1), &[]);
        assert_eq!((d0.bids.len(), d0.asks.len()), (DEPTH, DEPTH));
        let (bids, asks) = b.levels();
        assert_eq!(bids[0].0, p(1_799_990));
        assert_eq!(asks[0].0, p(1_800_010));
        // Same price, an own bid inside the spread: one new level, the worst bid leaves.
        let d1 = b.rebuild(
            p(1_800_000),
            p(10),
            p(1),
            &[(Side::Buy, p(1_799_995), Qty::lit(50, 0))],
        );
        assert!(d1.asks.is_empty());
        assert_eq!(d1.bids.len(), 2);
        assert!(d1
            .bids
            .iter()
            .any(|(px, q)| *px == p(1_799_995) && *q == Qty::lit(50, 0)));
        assert!(d1
            .bids
            .iter()
            .any(|(px, q)| *px == p(1_799_900) && q.is_zero()));
        assert!(b
            .rebuild(
                p(1_800_000),
                p(10),
                p(1),
                &[(Side::Buy, p(1_799_995), Qty::lit(50, 0))]
            )
            .is_empty());
    }
}
