//! The simulated account's open orders: resting orders in price-time priority per side, and
//! acknowledged orders still in flight (latency) ordered by arrival time.
//!
//! Orders are keyed by their placement sequence number (`SIM-000042` is 42) and found by
//! their client order id too (the caller cancels by it). Time priority is that sequence:
//! with a constant latency and a non-decreasing clock it is also the order of arrival at
//! the book. All containers are ordered (`BTreeMap`/`BTreeSet`), so every iteration is
//! deterministic. The best bid and ask are cached, so a trade that crosses
//! nothing costs two comparisons.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use flywheel_core::{Fixed, Price, Qty, Quote, Side, Timestamp};

use crate::cl_ord_id::ClOrdId;

/// One open order of the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Order {
    pub txid: String,
    pub cl_ord_id: ClOrdId,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    /// Executed so far.
    pub filled: Qty,
    /// Quote still reserved (buys).
    pub held_quote: Quote,
    /// Base still reserved (sells).
    pub held_base: Qty,
    /// When the order reaches (reached) the book.
    pub active_at: Timestamp,
    /// On the book (false: in flight).
    pub resting: bool,
    /// Estimated volume queued ahead of the order at its price (see [`super::queue`]); zero
    /// unless the fill rule is `queue`.
    pub queue_ahead: Qty,
    /// The key of its ack while that is still to be delivered (an ack latency): an order
    /// refused on arrival before it takes its ack back.
    pub ack_due: Option<(Timestamp, u64)>,
}

impl Order {
    pub fn leaves(&self) -> Qty {
        self.qty - self.filled
    }
}

/// Open orders (resting and in flight).
#[derive(Clone, Debug, Default)]
pub(crate) struct Book {
    orders: BTreeMap<u64, Order>,
    /// Resting buys, best (highest price, then oldest) first.
    bids: BTreeSet<(Reverse<Price>, u64)>,
    /// Resting sells, best (lowest price, then oldest) first.
    asks: BTreeSet<(Price, u64)>,
    /// In-flight orders by arrival time, then sequence.
    pending: BTreeSet<(Timestamp, u64)>,
    /// Every order's sequence number by its client order id.
    by_id: BTreeMap<ClOrdId, u64>,
    best_bid: Option<Price>,
    best_ask: Option<Price>,
}

impl Book {
    /// Number of open orders, resting or in flight.
    pub fn len(&self) -> usize {
        self.orders.len()
    }

    pub fn get(&self, seq: u64) -> Option<&Order> {
        self.orders.get(&seq)
    }

    pub fn get_mut(&mut self, seq: u64) -> Option<&mut Order> {
        self.orders.get_mut(&seq)
    }

    /// The open order named `cl_ord_id`.
    pub fn seq_of(&self, cl_ord_id: &ClOrdId) -> Option<u64> {
        self.by_id.get(cl_ord_id).copied()
    }

    /// Open orders in sequence order.
    pub fn orders(&self) -> impl Iterator<Item = (u64, &Order)> {
        self.orders.iter().map(|(s, o)| (*s, o))
    }

    /// Best own resting price on `side`.
    pub fn best_price(&self, side: Side) -> Option<Price> {
        match side {
            Side::Buy => self.best_bid,
            Side::Sell => self.best_ask,
        }
    }

    /// The best resting order on `side` (price, sequence).
    #[cfg(test)]
    pub fn best(&self, side: Side) -> Option<(Price, u64)> {
        match side {
            Side::Buy => self.bids.first().map(|(Reverse(p), s)| (*p, *s)),
            Side::Sell => self.asks.first().copied(),
        }
    }

    /// Add an order, on the book if `order.resting`, else in flight.
    pub fn insert(&mut self, seq: u64, order: Order) {
        if order.resting {
            self.index(seq, order.side, order.price);
        } else {
            self.pending.insert((order.active_at, seq));
        }
        self.by_id.insert(order.cl_ord_id.clone(), seq);
        self.orders.insert(seq, order);
    }

    /// When the next in-flight order is due, and which, if at or before `t` (left in the
    /// flight queue).
    pub fn peek_due(&self, t: Timestamp) -> Option<(Timestamp, u64)> {
        self.pending.first().copied().filter(|&(at, _)| at <= t)
    }

    /// The next in-flight order due at or before `t`, taken out of the flight queue (the
    /// caller then rests it with [`Book::rest`] or removes it).
    pub fn next_due(&mut self, t: Timestamp) -> Option<u64> {
        let &(at, seq) = self.pending.first()?;
        if at > t {
            return None;
        }
        self.pending.pop_first();
        Some(seq)
    }

    /// Put an in-flight order (already taken off the flight queue) on the book.
    pub fn rest(&mut self, seq: u64) {
        if let Some(o) = self.orders.get_mut(&seq) {
            o.resting = true;
            let (side, price) = (o.side, o.price);
            self.index(seq, side, price);
        }
    }

    /// The resting orders on `side` that `reached(price)` accepts, best first, stopping at the
    /// first one it refuses (so `reached` must hold for a prefix of the side, as "at or
    /// through the market price" does).
    pub fn crossing(&self, side: Side, reached: impl Fn(Price) -> bool) -> Vec<(Price, u64)> {
        match side {
            Side::Buy => self
                .bids
                .iter()
                .map(|(Reverse(p), s)| (*p, *s))
                .take_while(|(p, _)| reached(*p))
                .collect(),
            Side::Sell => self
                .asks
                .iter()
                .copied()
                .take_while(|(p, _)| reached(*p))
                .collect(),
        }
    }

    /// Where the queue of our own resting `side` orders at `price` other than `except` ends:
    /// the largest `queue_ahead + leaves` among them (zero if there are none). A new own
    /// order there queues at least this far back.
    pub fn own_queue_end(&self, side: Side, price: Price, except: u64) -> Qty {
        let end = |seq: &u64| {
            (*seq != except)
                .then(|| self.orders.get(seq))
                .flatten()
                .map(|o| {
                    o.queue_ahead
                        .checked_add(o.leaves())
                        .unwrap_or(Qty::new(Fixed::MAX))
                })
        };
        let last = match side {
            Side::Buy => self
                .bids
                .range((Reverse(price), 0)..=(Reverse(price), u64::MAX))
                .filter_map(|(_, s)| end(s))
                .max(),
            Side::Sell => self
                .asks
                .range((price, 0)..=(price, u64::MAX))
                .filter_map(|(_, s)| end(s))
                .max(),
        };
        last.unwrap_or(Qty::ZERO)
    }

    /// Remove an order wherever it is.
    pub fn remove(&mut self, seq: u64) -> Option<Order> {
        let o = self.orders.remove(&seq)?;
        self.by_id.remove(&o.cl_ord_id);
        if o.resting {
            match o.side {
                Side::Buy => {
                    self.bids.remove(&(Reverse(o.price), seq));
                    self.best_bid = self.bids.first().map(|(Reverse(p), _)| *p);
                }
                Side::Sell => {
                    self.asks.remove(&(o.price, seq));
                    self.best_ask = self.asks.first().map(|(p, _)| *p);
                }
            }
        } else {
            self.pending.remove(&(o.active_at, seq));
        }
        Some(o)
    }

    fn index(&mut self, seq: u64, side: Side, price: Price) {
        match side {
            Side::Buy => {
                self.bids.insert((Reverse(price), seq));
                if self.best_bid.is_none_or(|b| price > b) {
                    self.best_bid = Some(price);
                }
            }
            Side::Sell => {
                self.asks.insert((price, seq));
                if self.best_ask.is_none_or(|a| price < a) {
                    self.best_ask = Some(price);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    static NEXT: AtomicU64 = AtomicU64::new(1);

    fn order(side: Side, price: &str, resting: bool, at: i64) -> Order {
        Order {
            txid: String::new(),
            cl_ord_id: ClOrdId::parse(&format!("t{}", NEXT.fetch_add(1, Ordering::Relaxed)))
                .unwrap(),
            side,
            price: price.parse().unwrap(),
            qty: "1".parse().unwrap(),
            filled: Qty::ZERO,
            held_quote: Quote::ZERO,
            held_base: Qty::ZERO,
            active_at: Timestamp::from_millis(at),
            resting,
            queue_ahead: Qty::ZERO,
            ack_due: None,
        }
    }

    #[test]
    fn price_then_time_priority() {
        let mut b = Book::default();
        b.insert(1, order(Side::Buy, "10", true, 0));
        b.insert(2, order(Side::Buy, "10.5", true, 0));
        b.insert(3, order(Side::Buy, "10.5", true, 0));
        b.insert(4, order(Side::Sell, "12", true, 0));
        b.insert(5, order(Side::Sell, "11", true, 0));
        let mut bids = vec![];
        while let Some((_, s)) = b.best(Side::Buy) {
            bids.push(s);
            b.remove(s);
        }
        assert_eq!(bids, vec![2, 3, 1]);
        assert_eq!(b.best_price(Side::Buy), None);
        assert_eq!(b.best(Side::Sell), Some(("11".parse().unwrap(), 5)));
        assert_eq!(b.best_price(Side::Sell), Some("11".parse().unwrap()));
        b.remove(5);
        assert_eq!(b.best_price(Side::Sell), Some("12".parse().unwrap()));
    }

    #[test]
    fn in_flight_orders_come_due_in_time_order() {
        let mut b = Book::default();
        b.insert(1, order(Side::Buy, "10", false, 200));
        b.insert(2, order(Side::Buy, "10", false, 100));
        assert_eq!(b.len(), 2);
        assert_eq!(b.best_price(Side::Buy), None);
        assert_eq!(b.next_due(Timestamp::from_millis(99)), None);
        assert_eq!(b.next_due(Timestamp::from_millis(200)), Some(2));
        b.rest(2);
        assert_eq!(b.best(Side::Buy), Some(("10".parse().unwrap(), 2)));
        assert_eq!(b.next_due(Timestamp::from_millis(200)), Some(1));
        assert_eq!(b.next_due(Timestamp::from_millis(200)), None);
        // Removing an in-flight order clears it from the queue.
        b.insert(3, order(Side::Sell, "11", false, 300));
        assert!(b.remove(3).is_some());
        assert_eq!(b.next_due(Timestamp::from_millis(1_000)), None);
    }

    #[test]
    fn orders_are_found_by_client_order_id_until_removed() {
        let mut b = Book::default();
        let a = order(Side::Buy, "10", true, 0);
        let c = order(Side::Sell, "11", false, 300);
        let (ida, idc) = (a.cl_ord_id.clone(), c.cl_ord_id.clone());
        b.insert(1, a);
        b.insert(2, c);
        assert_eq!((b.seq_of(&ida), b.seq_of(&idc)), (Some(1), Some(2)));
        // Peeking leaves the in-flight order queued.
        assert_eq!(b.peek_due(Timestamp::from_millis(299)), None);
        assert_eq!(
            b.peek_due(Timestamp::from_millis(300)),
            Some((Timestamp::from_millis(300), 2))
        );
        assert_eq!(b.next_due(Timestamp::from_millis(300)), Some(2));
        b.remove(1);
        assert_eq!(b.seq_of(&ida), None);
        assert_eq!(b.seq_of(&idc), Some(2));
    }
}
