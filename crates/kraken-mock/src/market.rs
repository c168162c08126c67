//! Market operations on [`MockState`]: public prints, the synthetic book and the ticker, and
//! the frames and REST results built from them.
//!
//! Invariants:
//! - A print first fills the account's resting orders (the simulated exchange's rules), then
//!   the `trade`, `book` and `ticker` frames follow; a print never leaves the book crossed.
//! - Every `book` frame's checksum is the checksum of the book after applying it, except the
//!   one update a `CorruptChecksum` fault spoils (its value is flipped).

use flywheel_core::{Fixed, Price, Qty, Rounding, Side, Timestamp};
use flywheel_marketdata::{MarketEvent, Trade};
use serde::Serialize;

use crate::book_synth::BookDelta;
use crate::frames::{self, dec, ws_time, Num};
use crate::state::{MockState, PubChannel};

#[derive(Serialize)]
struct Level {
    price: Num,
    qty: Num,
}

#[derive(Serialize)]
struct BookData<'a> {
    symbol: &'a str,
    bids: Vec<Level>,
    asks: Vec<Level>,
    checksum: u32,
    timestamp: String,
}

#[derive(Serialize)]
struct TradeRow<'a> {
    symbol: &'a str,
    side: &'static str,
    price: Num,
    qty: Num,
    ord_type: &'static str,
    trade_id: u64,
    timestamp: String,
}

#[derive(Serialize)]
struct TickerData<'a> {
    symbol: &'a str,
    bid: Num,
    bid_qty: Num,
    ask: Num,
    ask_qty: Num,
    last: Num,
    volume: Num,
    vwap: Num,
    low: Num,
    high: Num,
    change: Num,
    change_pct: Num,
    timestamp: String,
}

#[derive(Serialize)]
struct AssetInfo<'a> {
    id: &'a str,
    status: &'static str,
    precision: u32,
    precision_display: u32,
    borrowable: bool,
    collateral_value: Num,
    margin_rate: Num,
}

#[derive(Serialize)]
struct PairInfo<'a> {
    symbol: &'a str,
    base: &'a str,
    quote: &'a str,
    status: &'static str,
    qty_precision: u32,
    qty_increment: Num,
    price_precision: u32,
    cost_precision: u32,
    marginable: bool,
    has_index: bool,
    cost_min: Num,
    tick_size: Num,
    price_increment: Num,
    qty_min: Num,
}

#[derive(Serialize)]
struct InstrumentData<'a> {
    assets: Vec<AssetInfo<'a>>,
    pairs: Vec<PairInfo<'a>>,
}

impl MockState {
    fn levels(&self, side: &[(Price, Qty)]) -> Vec<Level> {
        let (pdp, qdp) = (
            self.cfg.instrument.price_decimals,
            self.cfg.instrument.volume_decimals,
        );
        side.iter()
            .map(|(p, q)| Level {
                price: Num::new(p.fixed(), pdp),
                qty: Num::new(q.fixed(), qdp),
            })
            .collect()
    }

    fn checksum(&self) -> u32 {
        self.book.checksum(
            self.cfg.instrument.price_decimals,
            self.cfg.instrument.volume_decimals,
        )
    }

    /// Rebuild the synthetic book around the last price and the own resting orders.
    pub fn rebuild_book(&mut self) -> BookDelta {
        let own: Vec<(Side, Price, Qty)> = self
            .sim
            .open_orders()
            .iter()
            .filter(|o| o.resting)
            .map(|o| (o.side, o.price, o.qty - o.filled))
            .collect();
        let tick = self.cfg.instrument.tick;
        let step = Price::new(Fixed::from_raw(
            tick.fixed()
                .raw()
                .saturating_mul(self.cfg.book_step_ticks.max(1)),
        ));
        self.book.rebuild(self.stats.last, step, tick, &own)
    }

    /// After any change of orders or price: publish the book update and the ticker.
    pub fn after_change(&mut self, now: Timestamp) {
        let delta = self.rebuild_book();
        if delta.is_empty() {
            return;
        }
        let mut checksum = self.checksum();
        if self.faults.take_corrupt_checksum() {
            checksum = !checksum;
        }
        let text = frames::feed(
            "book",
            "update",
            [BookData {
                symbol: &self.cfg.names.symbol,
                bids: self.levels(&delta.bids),
                asks: self.levels(&delta.asks),
                checksum,
                timestamp: ws_time(now),
            }],
            None,
        );
        self.publish_public(PubChannel::Book, text);
        let ticker = self.ticker_frame("update", now);
        self.publish_public(PubChannel::Ticker, ticker);
    }

    /// The `book` snapshot a new subscriber gets.
    pub fn book_snapshot_frame(&self, now: Timestamp) -> String {
        let (bids, asks) = self.book.levels();
        frames::feed(
            "book",
            "snapshot",
            [BookData {
                symbol: &self.cfg.names.symbol,
                bids: self.levels(&bids),
                asks: self.levels(&asks),
                checksum: self.checksum(),
                timestamp: ws_time(now),
            }],
            None,
        )
    }

    fn vwap(&self) -> Price {
        if self.stats.volume.is_zero() {
            return self.stats.last;
        }
        self.stats
            .notional
            .fixed()
            .div_round(
                self.stats.volume.fixed(),
                self.cfg.instrument.price_decimals,
                Rounding::HalfEven,
            )
            .map(Price::new)
            .unwrap_or(self.stats.last)
    }

    /// The `ticker` frame (`snapshot` on subscribe, `update` after changes).
    pub fn ticker_frame(&self, kind: &str, now: Timestamp) -> String {
        let (pdp, qdp) = (
            self.cfg.instrument.price_decimals,
            self.cfg.instrument.volume_decimals,
        );
        let s = &self.stats;
        let (bid, bid_qty) = self.book.best_bid().unwrap_or((s.last, Qty::ZERO));
        let (ask, ask_qty) = self.book.best_ask().unwrap_or((s.last, Qty::ZERO));
        let change = s.last - s.open;
        let change_pct = change
            .fixed()
            .mul_round(Fixed::lit(100, 0), 9, Rounding::HalfEven)
            .and_then(|c| c.div_round(s.open.fixed(), 2, Rounding::HalfEven))
            .ok()
            .unwrap_or(Fixed::ZERO);
        let p = |v: Price| Num::new(v.fixed(), pdp);
        frames::feed(
            "ticker",
            kind,
            [TickerData {
                symbol: &self.cfg.names.symbol,
                bid: p(bid),
                bid_qty: Num::new(bid_qty.fixed(), qdp),
                ask: p(ask),
                ask_qty: Num::new(ask_qty.fixed(), qdp),
                last: p(s.last),
                volume: Num::new(s.volume.fixed(), qdp),
                vwap: p(self.vwap()),
                low: p(s.low),
                high: p(s.high),
                change: p(change),
                change_pct: Num::new(change_pct, 2),
                timestamp: ws_time(now),
            }],
            None,
        )
    }

    /// The `instrument` snapshot.
    pub fn instrument_frame(&self) -> String {
        let i = &self.cfg.instrument;
        let n = &self.cfg.names;
        let status = match self.status.as_str() {
            "maintenance" => "maintenance",
            "cancel_only" => "cancel_only",
            "post_only" => "post_only",
            _ => "online",
        };
        let asset = |id, precision| AssetInfo {
            id,
            status: "enabled",
            precision,
            precision_display: 2,
            borrowable: false,
            collateral_value: Num("0.0".into()),
            margin_rate: Num("0.02".into()),
        };
        frames::feed(
            "instrument",
            "snapshot",
            InstrumentData {
                assets: vec![
                    asset(n.ws_base.as_str(), i.volume_decimals),
                    asset(n.ws_quote.as_str(), 4),
                ],
                pairs: vec![PairInfo {
                    symbol: &n.symbol,
                    base: &n.ws_base,
                    quote: &n.ws_quote,
                    status,
                    qty_precision: i.volume_decimals,
                    qty_increment: Num::new(i.lot.fixed(), i.volume_decimals),
                    price_precision: i.price_decimals,
                    cost_precision: 5,
                    marginable: false,
                    has_index: true,
                    cost_min: Num::new(i.min_cost.fixed(), 1),
                    tick_size: Num::new(i.tick.fixed(), i.price_decimals),
                    price_increment: Num::new(i.tick.fixed(), i.price_decimals),
                    qty_min: Num::new(i.min_volume.fixed(), i.volume_decimals),
                }],
            },
            None,
        )
    }

    /// A public print at `now`: fills resting orders, then `trade`, `book`, `ticker`.
    pub fn trade(
        &mut self,
        side: Side,
        price: Price,
        qty: Qty,
        now: Timestamp,
    ) -> Result<u64, String> {
        if !price.is_positive() || !qty.is_positive() {
            return Err("trade: price and qty must be positive".into());
        }
        // Far inside the fixed-point range, so the synthetic levels and running sums built
        // from a print cannot overflow (an admin request must never panic the mock).
        let limit = Fixed::lit(1_000_000_000, 0);
        if price.fixed() > limit || qty.fixed() > limit {
            return Err("trade: price or qty out of range".into());
        }
        let id = self.ids.public_trade();
        self.last_public_trade = id;
        self.sim
            .on_market(&MarketEvent::Trade(Trade {
                ts: now,
                price,
                qty,
                taker_side: Some(side),
            }))
            .map_err(|e| e.to_string())?;
        let s = &mut self.stats;
        s.last = price;
        s.last_qty = qty;
        s.high = s.high.max(price);
        s.low = s.low.min(price);
        // Saturate the statistics rather than overflow: they only feed the ticker.
        s.volume = s.volume.checked_add(qty).unwrap_or(s.volume);
        if let Ok(n) = price.notional(qty, Rounding::HalfEven) {
            s.notional = s.notional.checked_add(n).unwrap_or(s.notional);
        }
        s.count += 1;
        self.drain_sim(now, "User requested");
        let (pdp, qdp) = (
            self.cfg.instrument.price_decimals,
            self.cfg.instrument.volume_decimals,
        );
        let text = frames::feed(
            "trade",
            "update",
            [TradeRow {
                symbol: &self.cfg.names.symbol,
                side: side.as_str(),
                price: Num::new(price.fixed(), pdp),
                qty: Num::new(qty.fixed(), qdp),
                ord_type: "market",
                trade_id: id,
                timestamp: ws_time(now),
            }],
            None,
        );
        self.publish_public(PubChannel::Trade, text);
        self.after_change(now);
        Ok(id)
    }

    /// REST `Ticker` result for the pair.
    pub fn rest_ticker(&self) -> serde_json::Value {
        let (pdp, qdp) = (
            self.cfg.instrument.price_decimals,
            self.cfg.instrument.volume_decimals,
        );
        let s = &self.stats;
        let p = |v: Price| dec(v.fixed(), pdp);
        let q = |v: Qty| dec(v.fixed(), qdp);
        let whole = |v: Qty| {
            v.fixed()
                .round_dp(0, Rounding::Floor)
                .unwrap_or(Fixed::ZERO)
                .to_string()
        };
        let (bid, bid_qty) = self.book.best_bid().unwrap_or((s.last, Qty::ZERO));
        let (ask, ask_qty) = self.book.best_ask().unwrap_or((s.last, Qty::ZERO));
        serde_json::json!({
            self.cfg.names.rest_pair.clone(): {
                "a": [p(ask), whole(ask_qty), q(ask_qty)],
                "b": [p(bid), whole(bid_qty), q(bid_qty)],
                "c": [p(s.last), q(s.last_qty)],
                "v": [q(s.volume), q(s.volume)],
                "p": [p(self.vwap()), p(self.vwap())],
                "t": [s.count, s.count],
                "l": [p(s.low), p(s.low)],
                "h": [p(s.high), p(s.high)],
                "o": p(s.open),
            }
        })
    }
}
