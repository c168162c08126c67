//! Queue position of our resting orders when the data has trade prints but no book.
//!
//! On a real exchange an order joining a price level waits behind the volume already resting
//! there; prints at that price fill the queue ahead first (price-time priority). With trade
//! data only, the displayed volume is unknown, so [`FillRule::Queue`](super::FillRule) uses
//! an **estimate** fixed when the order reaches the book:
//!
//! `queue_ahead = queue_ahead_multiple × max(V(p), S̄)`
//!
//! - `V(p)`: base volume printed at exactly the order's price `p` in the last
//!   `queue_window_sec` seconds — a level that traded that much recently showed at least that
//!   much (it was filled from the book);
//! - `S̄`: the mean print size in the same window (the last print's size if the window is
//!   empty) — a floor, so a level the market has not visited lately is not a free front seat;
//! - a later own order at the same level also queues behind our earlier ones there
//!   (`ahead + leaves` of each), so our own orders keep time priority among themselves.
//!
//! After joining, only prints that can fill the order (right aggressor side, see
//! [`aggressor`](super::aggressor)) at exactly its price move it up: each such print first
//! consumes the queue ahead ([`queue_step`]), and only what passes the queue fills the order.
//! A print strictly **through** the price proves the level was cleared: the order is at the
//! front (ahead = 0) and fills up to the print's volume. Cancellations ahead of us are not
//! modelled (they cannot be seen in trades): the queue only shortens by prints, like
//! hftbacktest's risk-averse queue model. Strict and touch are the two limits of this model:
//! an infinite queue (a print at the price never fills) and an empty one.
//!
//! Invariants: the window holds only prints from `(now − window, now]` (at most
//! [`MAX_WINDOW_PRINTS`] of them, the oldest dropped first), its totals equal the sums of the
//! prints it holds exactly (i128), and an estimate is never negative; one that does not fit in
//! a `Qty` is the largest `Qty` (a queue nothing passes).

use std::collections::{BTreeMap, VecDeque};

use flywheel_core::{Fixed, Price, Qty, Ratio, Rounding, Timestamp, Wide};

/// Most prints the window keeps (memory bound for bursts: ~40 bytes each). Beyond it the
/// oldest are dropped, so in a burst the window covers less than `queue_window_sec`.
pub const MAX_WINDOW_PRINTS: usize = 100_000;

/// How far one print at the order's price gets through the queue: `(ahead after, volume
/// left for the order)` from the queue `ahead` and the print's volume `print`. Both results
/// are ≥ 0 and sum with the consumed part to `print` (`print ≥ 0` assumed; negative inputs
/// count as zero).
pub fn queue_step(ahead: Qty, print: Qty) -> (Qty, Qty) {
    let ahead = ahead.max(Qty::ZERO);
    let print = print.max(Qty::ZERO);
    let eaten = ahead.min(print);
    (ahead - eaten, print - eaten)
}

/// Recent trade prints: volume per price and the mean print size over a time window.
#[derive(Clone, Debug)]
pub struct TradeWindow {
    window_ms: i64,
    prints: VecDeque<(Timestamp, Price, Qty)>,
    at_price: BTreeMap<Price, Wide>,
    total: Wide,
    last_qty: Option<Qty>,
}

impl TradeWindow {
    pub fn new(window_sec: u64) -> Self {
        TradeWindow {
            window_ms: i64::try_from(window_sec.saturating_mul(1000)).unwrap_or(i64::MAX),
            prints: VecDeque::new(),
            at_price: BTreeMap::new(),
            total: Wide::ZERO,
            last_qty: None,
        }
    }

    /// Add a print (in time order), dropping the prints it pushes out of the window (so the
    /// window stays small between queries). Non-positive sizes are ignored.
    pub fn record(&mut self, ts: Timestamp, price: Price, qty: Qty) {
        if !qty.is_positive() {
            return;
        }
        self.expire(ts);
        self.prints.push_back((ts, price, qty));
        *self.at_price.entry(price).or_default() += Wide::from(qty);
        self.total += Wide::from(qty);
        self.last_qty = Some(qty);
        if self.prints.len() > MAX_WINDOW_PRINTS {
            self.drop_oldest();
        }
    }

    /// Drop the prints at or before `now − window`.
    fn expire(&mut self, now: Timestamp) {
        let cutoff = now.millis().saturating_sub(self.window_ms);
        while self
            .prints
            .front()
            .is_some_and(|(ts, _, _)| ts.millis() <= cutoff)
        {
            self.drop_oldest();
        }
    }

    fn drop_oldest(&mut self) {
        let Some((_, price, qty)) = self.prints.pop_front() else {
            return;
        };
        self.total -= Wide::from(qty);
        if let Some(v) = self.at_price.get_mut(&price) {
            *v -= Wide::from(qty);
            if !v.is_positive() {
                self.at_price.remove(&price);
            }
        }
    }

    /// Volume printed at `price` in the window ending at `now`.
    pub fn volume_at(&mut self, price: Price, now: Timestamp) -> Wide {
        self.expire(now);
        self.at_price.get(&price).copied().unwrap_or_default()
    }

    /// Mean print size in the window ending at `now` (the last print's size if it is empty;
    /// zero before any print).
    pub fn mean_print(&mut self, now: Timestamp) -> Wide {
        self.expire(now);
        let n = u64::try_from(self.prints.len()).unwrap_or(u64::MAX);
        match self.total.mean(n) {
            Ok(m) if n > 0 => Wide::from(m),
            _ => self.last_qty.map(Wide::from).unwrap_or_default(),
        }
    }

    /// The queue-ahead estimate for an order joining `price` at `now` (module docs).
    pub fn queue_ahead(&mut self, price: Price, now: Timestamp, multiple: Ratio) -> Qty {
        let base = self.volume_at(price, now).max(self.mean_print(now));
        base.mul_fixed(multiple.fixed(), Rounding::Ceil)
            .and_then(|w| w.to_fixed())
            .map(Qty::new)
            .unwrap_or(Qty::new(Fixed::MAX))
            .max(Qty::ZERO)
    }

    /// Prints currently held (for tests).
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.prints.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }
    fn q(s: &str) -> Qty {
        s.parse().unwrap()
    }
    fn r(s: &str) -> Ratio {
        s.parse().unwrap()
    }
    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    #[test]
    fn queue_step_table() {
        // (case, ahead, print, ahead after, left for the order)
        let cases = [
            ("print inside the queue", "5", "2", "3", "0"),
            ("print exactly the queue", "5", "5", "0", "0"),
            ("print passes the queue", "5", "7", "0", "2"),
            ("front of the queue", "0", "3", "0", "3"),
            ("empty print", "5", "0", "5", "0"),
            ("negative ahead counts as zero", "-1", "3", "0", "3"),
        ];
        for (name, ahead, print, want_ahead, want_left) in cases {
            assert_eq!(
                queue_step(q(ahead), q(print)),
                (q(want_ahead), q(want_left)),
                "case {name}"
            );
        }
    }

    /// Prints at 10 (3 + 1), 10.5 (4) and 11 (8) at 0, 1 000, 2 000 and 3 000 ms.
    fn window(sec: u64) -> TradeWindow {
        let mut w = TradeWindow::new(sec);
        w.record(t(0), p("10"), q("3"));
        w.record(t(1_000), p("10.5"), q("4"));
        w.record(t(2_000), p("10"), q("1"));
        w.record(t(3_000), p("11"), q("8"));
        w
    }

    #[test]
    fn queue_ahead_table() {
        // (case, window s, price, now ms, multiple, estimate)
        let cases = [
            ("traded level: its volume", 60, "10", 3_000, "1", "4"),
            ("untraded level: the mean print", 60, "9.9", 3_000, "1", "4"),
            ("mean above the level's volume", 60, "10.5", 3_000, "1", "4"),
            ("busy level above the mean", 60, "11", 3_000, "1", "8"),
            ("multiple scales", 60, "10", 3_000, "2.5", "10"),
            (
                "zero multiple: front of the queue",
                60,
                "11",
                3_000,
                "0",
                "0",
            ),
            // Window (1 000, 3 000]: the first two prints are gone.
            ("expired prints do not count", 2, "10", 3_000, "1", "4.5"),
            (
                "expired level falls to the mean",
                2,
                "10.5",
                3_000,
                "1",
                "4.5",
            ),
            // Everything expired: the last print's size.
            ("empty window: last print", 1, "10", 10_000, "1", "8"),
        ];
        for (name, sec, price, now, multiple, want) in cases {
            let mut w = window(sec);
            assert_eq!(
                w.queue_ahead(p(price), t(now), r(multiple)),
                q(want),
                "case {name}"
            );
        }
        assert_eq!(
            TradeWindow::new(60).queue_ahead(p("10"), t(0), r("1")),
            Qty::ZERO,
            "no print yet"
        );
    }

    #[test]
    fn window_is_bounded_and_totals_follow() {
        let mut w = TradeWindow::new(86_400);
        for i in 0..(MAX_WINDOW_PRINTS as i64 + 10) {
            w.record(t(i), p("10"), q("1"));
        }
        assert_eq!(w.held(), MAX_WINDOW_PRINTS);
        assert_eq!(
            w.volume_at(p("10"), t(0)),
            Wide::from(q(&MAX_WINDOW_PRINTS.to_string()))
        );
        // Expiring everything empties the per-price map too.
        assert_eq!(w.volume_at(p("10"), t(i64::MAX)), Wide::ZERO);
        assert_eq!(w.held(), 0);
    }

    #[test]
    fn oversized_estimate_is_the_largest_qty() {
        let mut w = TradeWindow::new(60);
        w.record(t(0), p("10"), Qty::new(Fixed::MAX));
        w.record(t(1), p("10"), Qty::new(Fixed::MAX));
        assert_eq!(w.queue_ahead(p("10"), t(1), r("1")), Qty::new(Fixed::MAX));
    }
}
