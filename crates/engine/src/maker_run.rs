//! The market maker with its hedger (seed 002) driven against a [`Venue`], the second
//! strategy on the same pieces (venue, market data, journal-free summary, CLI).
//!
//! Per market event at `t`: the mid becomes the trade price (trade data; no book is
//! recorded) or the bar close; executions are applied (FIFO ledger → PnL guard, hedger
//! hooks); every `refresh_seconds` the quote function runs and each side is kept when its
//! resting price is within `refresh_tolerance_bps` of the desired one, else cancelled and
//! replaced; the hedger decides on every event (its own cooldown paces it).
//!
//! Inventory is the FIFO book's position: every fill, maker or hedger, goes through it.

use std::collections::BTreeMap;

use flywheel_core::{Price, Qty, Quote, Rounding, Side, Timestamp};
use flywheel_maker::{
    keep_resting, FifoBook, HedgeCommand, HedgeCtx, Hedger, HedgerConfig, MakerConfig, MakerState,
    MakerTelemetry, QuoteInput, SideQuote,
};
use flywheel_marketdata::MarketEvent;
use flywheel_venue::{OrderKind, OrderRequest, Venue, VenueEvent};
use serde::Serialize;

use crate::backtest::{event_price, BacktestError, DataStats, SimulatedVenue};
use crate::stats::Series;

/// What an order of the maker is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Quote(Side),
    HedgePassive,
    HedgeIoc,
}

#[derive(Clone, Debug)]
struct Track {
    role: Role,
    price: Price,
    qty: Qty,
    filled: Qty,
    notional: Quote,
    fee: Quote,
}

/// Run figures of the maker.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MakerStats {
    pub orders_placed: u64,
    pub orders_cancelled: u64,
    pub rejected: BTreeMap<String, u64>,
    pub quote_fills: u64,
    pub refreshes: u64,
    pub kept: u64,
    /// Time-weighted inventory figures.
    pub within_0_01_ms: i64,
    pub measured_ms: i64,
    pub max_abs_inventory: Qty,
    /// Inventory |inv| histogram in 0.001 buckets (time-weighted, ms), for the p99.
    #[serde(skip)]
    pub histogram: BTreeMap<i64, i64>,
    pub suppressed: BTreeMap<String, u64>,
    pub fifo_errors: u64,
    pub base_bought: Qty,
    pub base_sold: Qty,
    pub quote_spent: Quote,
    pub quote_received: Quote,
    pub fees_paid: Quote,
}

/// One sample for the report.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct MakerSample {
    pub ts: Timestamp,
    pub mid: Price,
    pub inventory: Qty,
    pub bid_spread_bps: f64,
    pub ask_spread_bps: f64,
    pub guard: bool,
    pub realized: Quote,
}

/// The maker runtime.
#[derive(Debug)]
pub struct MakerEngine<V: Venue> {
    cfg: MakerConfig,
    hcfg: HedgerConfig,
    venue: V,
    state: MakerState,
    fifo: FifoBook,
    hedger: Hedger,
    tracks: BTreeMap<String, Track>,
    resting: BTreeMap<Side, String>,
    passive: Option<String>,
    mid: Price,
    now: Timestamp,
    last_refresh: Option<Timestamp>,
    last_account: Option<Timestamp>,
    blocked_since: Option<Timestamp>,
    telemetry: Option<MakerTelemetry>,
    pub stats: MakerStats,
    samples: Series<MakerSample>,
    buf: Vec<VenueEvent>,
}

impl<V: Venue> MakerEngine<V> {
    pub fn new(cfg: MakerConfig, hcfg: HedgerConfig, venue: V) -> Self {
        MakerEngine {
            cfg,
            hcfg,
            venue,
            state: MakerState::new(),
            fifo: FifoBook::new(),
            hedger: Hedger::new(),
            tracks: BTreeMap::new(),
            resting: BTreeMap::new(),
            passive: None,
            mid: Price::ZERO,
            now: Timestamp::EPOCH,
            last_refresh: None,
            last_account: None,
            blocked_since: None,
            telemetry: None,
            stats: MakerStats::default(),
            samples: Series::default(),
            buf: Vec::new(),
        }
    }

    pub fn venue(&self) -> &V {
        &self.venue
    }
    pub fn venue_mut(&mut self) -> &mut V {
        &mut self.venue
    }
    pub fn fifo(&self) -> &FifoBook {
        &self.fifo
    }
    pub fn hedger(&self) -> &Hedger {
        &self.hedger
    }
    pub fn state(&self) -> &MakerState {
        &self.state
    }
    pub fn telemetry(&self) -> Option<&MakerTelemetry> {
        self.telemetry.as_ref()
    }
    pub fn mid(&self) -> Price {
        self.mid
    }
    pub fn samples(&self) -> &[MakerSample] {
        &self.samples.points
    }

    /// A new mid at `now`: apply executions, refresh quotes when due, let the hedger act.
    pub fn on_market(&mut self, mid: Price, now: Timestamp) {
        self.account(now);
        if mid.is_positive() {
            self.mid = mid;
        }
        self.now = self.now.max(now);
        self.drain();
        let due = self
            .last_refresh
            .is_none_or(|t| self.now.elapsed_at_least(t, self.cfg.refresh_seconds));
        if due && self.mid.is_positive() {
            self.refresh();
        }
        self.hedge();
        self.drain();
    }

    /// Time-weight the inventory since the last event.
    fn account(&mut self, now: Timestamp) {
        if let Some(last) = self.last_account {
            let dt = now.millis_since(last).max(0);
            let inv = self.fifo.inventory().abs();
            self.stats.measured_ms += dt;
            if inv <= Qty::lit(1, 2) {
                self.stats.within_0_01_ms += dt;
            }
            let bucket = inv.raw() / 1_000_000; // 0.001 units
            *self.stats.histogram.entry(bucket).or_insert(0) += dt;
        }
        self.last_account = Some(now.max(self.last_account.unwrap_or(now)));
    }

    fn refresh(&mut self) {
        self.last_refresh = Some(self.now);
        self.stats.refreshes += 1;
        let input = QuoteInput {
            mid: self.mid,
            inventory: self.fifo.inventory(),
            now: self.now,
            jitter: 0.0,
        };
        let decision = self.state.step(&self.cfg, &input);
        let mut quoting = false;
        for side in [Side::Buy, Side::Sell] {
            let want = *decision.side(side);
            if let SideQuote::Suppressed(r) = &want {
                *self
                    .stats
                    .suppressed
                    .entry(r.as_str().to_string())
                    .or_insert(0) += 1;
            }
            let desired = want.order();
            quoting |= desired.is_some();
            let resting = self.resting.get(&side).cloned();
            if let (Some(txid), Some((price, size))) = (&resting, desired) {
                let keep = self.tracks.get(txid).is_some_and(|t| {
                    t.qty - t.filled == size
                        && keep_resting(t.price, price, self.cfg.refresh_tolerance_bps)
                });
                if keep {
                    self.stats.kept += 1;
                    continue;
                }
            }
            if let Some(txid) = resting {
                if self.venue.cancel(&txid, self.now).is_ok() {
                    self.stats.orders_cancelled += 1;
                }
                self.resting.remove(&side);
            }
            if let Some((price, size)) = desired {
                if let Some(txid) =
                    self.place(Role::Quote(side), side, price, size, OrderKind::PostOnly)
                {
                    self.resting.insert(side, txid);
                }
            }
        }
        // The hedger's emergency watches how long quoting has been blocked altogether.
        self.blocked_since = if quoting {
            None
        } else {
            self.blocked_since.or(Some(self.now))
        };
        let realized = self.fifo.realized();
        let t = decision.telemetry;
        self.samples.push(MakerSample {
            ts: self.now,
            mid: self.mid,
            inventory: self.fifo.inventory(),
            bid_spread_bps: t.bid_spread_bps,
            ask_spread_bps: t.ask_spread_bps,
            guard: t.pnl_guard_active,
            realized,
        });
        self.telemetry = Some(t);
    }

    fn hedge(&mut self) {
        if !self.hcfg.enabled || !self.mid.is_positive() {
            return;
        }
        let inst = self.venue.instrument().clone();
        let ctx = HedgeCtx {
            now: self.now,
            inventory: self.fifo.inventory(),
            mid: self.mid,
            pnl_guard_active: self.state.guard.active(self.now),
            quoting_blocked_since: self.blocked_since,
            instrument: &inst,
            passive_resting: self.passive.is_some(),
        };
        for cmd in self.hedger.decide(&self.hcfg, &ctx) {
            match cmd {
                HedgeCommand::CancelPassive => {
                    if let Some(txid) = self.passive.take() {
                        if self.venue.cancel(&txid, self.now).is_ok() {
                            self.stats.orders_cancelled += 1;
                        }
                    }
                }
                HedgeCommand::PlacePassive { side, price, qty } => {
                    match self.place(Role::HedgePassive, side, price, qty, OrderKind::PostOnly) {
                        Some(txid) => self.passive = Some(txid),
                        None => self.hedger.on_passive_done(self.now),
                    }
                }
                HedgeCommand::PlaceIoc { side, limit, qty } => {
                    if self
                        .place(Role::HedgeIoc, side, limit, qty, OrderKind::Ioc)
                        .is_none()
                    {
                        self.hedger
                            .on_ioc_done(self.now, Qty::ZERO, limit, Quote::ZERO);
                    }
                }
            }
        }
    }

    fn place(
        &mut self,
        role: Role,
        side: Side,
        price: Price,
        qty: Qty,
        kind: OrderKind,
    ) -> Option<String> {
        let req = OrderRequest {
            client_id: self.stats.orders_placed + 1,
            side,
            price,
            qty,
            kind,
        };
        match self.venue.place(&req, self.now) {
            Ok(ack) => {
                self.stats.orders_placed += 1;
                let track = Track {
                    role,
                    price,
                    qty,
                    filled: Qty::ZERO,
                    notional: Quote::ZERO,
                    fee: Quote::ZERO,
                };
                self.tracks.insert(ack.txid.clone(), track);
                Some(ack.txid)
            }
            Err(r) => {
                *self.stats.rejected.entry(r.name().to_string()).or_insert(0) += 1;
                None
            }
        }
    }

    /// Apply every execution the venue reported.
    pub fn drain(&mut self) {
        let mut buf = std::mem::take(&mut self.buf);
        loop {
            buf.clear();
            self.venue.poll_events(&mut buf);
            if buf.is_empty() {
                break;
            }
            for ev in buf.drain(..) {
                self.on_venue(ev);
            }
        }
        self.buf = buf;
    }

    fn on_venue(&mut self, ev: VenueEvent) {
        match ev {
            VenueEvent::Fill {
                txid,
                side,
                price,
                qty,
                fee,
                ts,
                leaves,
                ..
            } => {
                let notional = price.notional(qty, Rounding::HalfEven).unwrap_or_default();
                self.stats.fees_paid += fee;
                match side {
                    Side::Buy => {
                        self.stats.base_bought += qty;
                        self.stats.quote_spent += notional;
                    }
                    Side::Sell => {
                        self.stats.base_sold += qty;
                        self.stats.quote_received += notional;
                    }
                }
                match self.fifo.on_fill(side, price, qty, fee, ts) {
                    Ok(delta) => self.state.record_realized(ts, delta),
                    Err(_) => self.stats.fifo_errors += 1,
                }
                let inv = self.fifo.inventory().abs();
                if inv > self.stats.max_abs_inventory {
                    self.stats.max_abs_inventory = inv;
                }
                let Some(t) = self.tracks.get_mut(&txid) else {
                    return;
                };
                t.filled += qty;
                t.notional += notional;
                t.fee += fee;
                let role = t.role;
                if role == Role::HedgePassive {
                    self.hedger.on_passive_fill(self.now, qty, price, fee);
                }
                if let Role::Quote(_) = role {
                    self.stats.quote_fills += 1;
                }
                if leaves.is_zero() {
                    self.finish(&txid);
                }
            }
            VenueEvent::Done { txid, .. } => self.finish(&txid),
            VenueEvent::Rejected { txid, reason, .. } => {
                *self
                    .stats
                    .rejected
                    .entry(reason.name().to_string())
                    .or_insert(0) += 1;
                self.finish(&txid);
            }
        }
    }

    /// An order is over: forget it and tell its owner.
    fn finish(&mut self, txid: &str) {
        let Some(t) = self.tracks.remove(txid) else {
            return;
        };
        match t.role {
            Role::Quote(side) => {
                if self.resting.get(&side).map(String::as_str) == Some(txid) {
                    self.resting.remove(&side);
                }
            }
            Role::HedgePassive => {
                if self.passive.as_deref() == Some(txid) {
                    self.passive = None;
                }
                self.hedger.on_passive_done(self.now);
            }
            Role::HedgeIoc => {
                let avg = if t.filled.is_positive() {
                    t.notional
                        .fixed()
                        .div_round(t.filled.fixed(), 9, Rounding::HalfEven)
                        .map(Price::new)
                        .unwrap_or(t.price)
                } else {
                    t.price
                };
                self.hedger.on_ioc_done(self.now, t.filled, avg, t.fee);
            }
        }
    }

    /// The p-th percentile (0–100) of |inventory| over time.
    pub fn inventory_percentile(&self, p: f64) -> Qty {
        let total: i64 = self.stats.histogram.values().sum();
        if total == 0 {
            return Qty::ZERO;
        }
        let target = (total as f64 * p / 100.0).ceil() as i64;
        let mut acc = 0;
        for (bucket, ms) in &self.stats.histogram {
            acc += ms;
            if acc >= target {
                return Qty::from_raw(bucket * 1_000_000);
            }
        }
        Qty::ZERO
    }
}

/// Run the maker over `events` on a simulated venue.
pub fn run_maker_backtest<V, E, I>(
    maker: &mut MakerEngine<V>,
    events: I,
) -> Result<DataStats, BacktestError<E>>
where
    V: SimulatedVenue,
    E: std::fmt::Display,
    I: IntoIterator<Item = Result<MarketEvent, E>>,
{
    let mut stats = DataStats::default();
    for ev in events {
        let ev = ev.map_err(BacktestError::Data)?;
        let t = ev.time();
        maker
            .venue_mut()
            .on_market(&ev)
            .map_err(|e| BacktestError::Venue(e.to_string()))?;
        maker.on_market(event_price(&ev), t);
        stats.events += 1;
        stats.first_ts.get_or_insert(t);
        stats.last_ts = Some(t);
    }
    Ok(stats)
}

/// Summary figures of the maker (`maker` in the JSON).
#[derive(Clone, Debug, Serialize)]
pub struct MakerFigures {
    pub fifo_realized_quote: Quote,
    pub unrealized_quote: Quote,
    pub fees_quote: Quote,
    pub volume_base: Qty,
    pub inventory: InventoryFigures,
    pub pnl_guard_activations: u64,
    pub pnl_guard_activations_per_hour: f64,
    pub hedger: HedgerFigures,
    pub quote_fills: u64,
    pub suppressed: BTreeMap<String, u64>,
    pub telemetry: Option<MakerTelemetry>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InventoryFigures {
    pub final_base: Qty,
    pub max_abs: Qty,
    pub p99_abs: Qty,
    pub pct_time_within_0_01: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct HedgerFigures {
    pub clips: u64,
    pub passive: u64,
    pub aggressive: u64,
    pub avg_slippage_bps: Option<f64>,
    pub volume_base: Qty,
    pub fees_quote: Quote,
}

impl<V: Venue> MakerEngine<V> {
    pub fn figures(&self, hours: f64) -> MakerFigures {
        let c = &self.hedger.counters;
        let activations = self.state.guard.activations();
        MakerFigures {
            fifo_realized_quote: self.fifo.realized(),
            unrealized_quote: self.fifo.unrealized(self.mid).unwrap_or_default(),
            fees_quote: self.fifo.fees(),
            volume_base: self.fifo.volume(),
            inventory: InventoryFigures {
                final_base: self.fifo.inventory(),
                max_abs: self.stats.max_abs_inventory,
                p99_abs: self.inventory_percentile(99.0),
                pct_time_within_0_01: if self.stats.measured_ms > 0 {
                    100.0 * self.stats.within_0_01_ms as f64 / self.stats.measured_ms as f64
                } else {
                    0.0
                },
            },
            pnl_guard_activations: activations,
            pnl_guard_activations_per_hour: if hours > 0.0 {
                activations as f64 / hours
            } else {
                0.0
            },
            hedger: HedgerFigures {
                clips: c.clips,
                passive: c.passive_fills,
                aggressive: c.aggressive_fills,
                avg_slippage_bps: c.avg_slippage_bps().map(|r| r.to_f64()),
                volume_base: c.volume,
                fees_quote: c.fees,
            },
            quote_fills: self.stats.quote_fills,
            suppressed: self.stats.suppressed.clone(),
            telemetry: self.telemetry.clone(),
        }
    }
}

/// The maker's status snapshot: the seed's gauges plus inventory, sizes and hedger counters.
#[derive(Clone, Debug, Serialize)]
pub struct MakerStatus {
    pub maker_fifo_realized_quote: Quote,
    /// 0 = defensive, 1 = aggressive.
    pub maker_regime_state: u8,
    pub maker_volatility_bps: f64,
    pub maker_trend_down_guard: bool,
    pub maker_pnl_guard_active: bool,
    pub inventory_base: Qty,
    pub unrealized_quote: Quote,
    pub bid_size: Option<Qty>,
    pub ask_size: Option<Qty>,
    pub hedger_volume_base: Qty,
    pub hedger_fees_quote: Quote,
    pub hedger_passive_fills: u64,
    pub hedger_aggressive_fills: u64,
    pub hedger_emergency_orders: u64,
}

impl<V: Venue> MakerEngine<V> {
    pub fn status(&self) -> MakerStatus {
        let t = self.telemetry.as_ref();
        let c = &self.hedger.counters;
        let size = |side: Side| {
            self.resting
                .get(&side)
                .and_then(|txid| self.tracks.get(txid))
                .map(|t| t.qty - t.filled)
        };
        MakerStatus {
            maker_fifo_realized_quote: self.fifo.realized(),
            maker_regime_state: t.map_or(0, |t| t.regime_state),
            maker_volatility_bps: t.map_or(0.0, |t| t.volatility_bps),
            maker_trend_down_guard: t.is_some_and(|t| t.trend_down_guard),
            maker_pnl_guard_active: self.state.guard.active(self.now),
            inventory_base: self.fifo.inventory(),
            unrealized_quote: self.fifo.unrealized(self.mid).unwrap_or_default(),
            bid_size: size(Side::Buy),
            ask_size: size(Side::Sell),
            hedger_volume_base: c.volume,
            hedger_fees_quote: c.fees,
            hedger_passive_fills: c.passive_fills,
            hedger_aggressive_fills: c.aggressive_fills,
            hedger_emergency_orders: c.emergency_orders,
        }
    }
}

#[cfg(test)]
mod tests {
    use flywheel_core::{Price, Ratio, Timestamp};
    use flywheel_maker::{HedgerConfig, MakerConfig, MinSizePolicy};
    use flywheel_venue::{Balances, SimExchange, Venue};

    use super::*;
    use crate::config::BacktestConfig;

    fn maker(cfg: MakerConfig) -> MakerEngine<SimExchange> {
        let mut inst = cfg.instrument("SOL/USD").unwrap();
        inst.taker_fee_pct = Ratio::lit(40, 2);
        let start: Balances = BacktestConfig {
            start_base: "10".parse().unwrap(),
            start_quote: "5000".parse().unwrap(),
        }
        .start_balances();
        let sim = SimExchange::new(inst, Default::default(), start).unwrap();
        MakerEngine::new(cfg, HedgerConfig::default(), sim)
    }

    /// A seeded synthetic SOL path around 200 with trades every 2 s.
    fn trades(n: usize) -> Vec<MarketEvent> {
        let mut p = 200.0f64;
        let mut x: u64 = 7;
        (0..n)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = ((x >> 33) as f64 / (1u64 << 31) as f64) - 0.5;
                p *= 1.0 + r * 0.0008;
                MarketEvent::Trade(flywheel_marketdata::Trade {
                    ts: Timestamp::from_secs(1_760_000_000 + 2 * i as i64),
                    price: Price::from_f64(p, flywheel_core::Rounding::HalfEven)
                        .unwrap()
                        .round_dp(3, flywheel_core::Rounding::HalfEven)
                        .unwrap(),
                    qty: "5".parse().unwrap(),
                    taker_side: None,
                })
            })
            .collect()
    }

    #[test]
    fn maker_trades_reconciles_and_reports_the_seed_gauges() {
        let cfg = MakerConfig {
            min_size_policy: MinSizePolicy::Raise,
            ..MakerConfig::default()
        };
        let mut m = maker(cfg);
        let events = trades(20_000);
        run_maker_backtest(
            &mut m,
            events.into_iter().map(Ok::<_, std::convert::Infallible>),
        )
        .unwrap();
        assert!(m.stats.quote_fills > 0, "the maker traded");
        assert_eq!(m.stats.fifo_errors, 0);
        // The FIFO position is exactly the account's base change.
        let b = m.venue().balances();
        assert_eq!(
            b.base.total - "10".parse::<Qty>().unwrap(),
            m.fifo().inventory()
        );
        let s = serde_json::to_value(m.status()).unwrap();
        for key in [
            "maker_fifo_realized_quote",
            "maker_regime_state",
            "maker_volatility_bps",
            "maker_trend_down_guard",
            "maker_pnl_guard_active",
        ] {
            assert!(s.get(key).is_some(), "status lacks {key}");
        }
    }

    #[test]
    fn phase_two_quotes_only_the_flattening_side_when_long() {
        let mut m = maker(MakerConfig {
            min_size_policy: MinSizePolicy::Raise,
            ..MakerConfig::default()
        });
        // Seed a long position of 0.05 SOL through the FIFO book directly.
        m.fifo
            .on_fill(
                Side::Buy,
                Price::lit(200, 0),
                "0.05".parse().unwrap(),
                Quote::ZERO,
                Timestamp::from_secs(1),
            )
            .unwrap();
        m.on_market(Price::lit(200, 0), Timestamp::from_secs(1_760_000_000));
        assert!(
            !m.resting.contains_key(&Side::Buy),
            "no bid while long beyond 0.01"
        );
        assert!(m.resting.contains_key(&Side::Sell), "the ask flattens");
    }
}
