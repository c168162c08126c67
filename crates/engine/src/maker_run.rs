//! The market maker with its hedger (seed 002) driven against a [`Venue`], the second
//! strategy on the same pieces (venue, market data, journal sinks, summary, CLI).
//!
//! Per market event at `t`: the mid becomes the trade price (trade data; no book is
//! recorded) or the bar close; executions are applied (FIFO ledger → PnL guard, hedger
//! hooks); every `refresh_seconds` the quote function runs and each side is kept when its
//! resting price is within `refresh_tolerance_bps` of the desired one, else cancelled and
//! replaced; the hedger decides on every event (its own cooldown paces it).
//!
//! Inventory is the FIFO book's position: every fill, maker or hedger, goes through it.
//! Every decision, order and fill goes to the journal ([`MakerSink`]) when one is attached.

use std::collections::BTreeMap;

use flywheel_core::{Price, Qty, Quote, Rounding, Side, Timestamp, Wide};
use flywheel_maker::{
    keep_resting, FifoBook, HedgeCommand, HedgeCtx, Hedger, HedgerConfig, MakerConfig, MakerState,
    MakerTelemetry, QuoteInput, SideQuote,
};
use flywheel_marketdata::MarketEvent;
use flywheel_venue::{OrderKind, OrderRequest, Venue, VenueEvent};
use serde::Serialize;

use crate::backtest::{event_price, BacktestError, DataStats, SimulatedVenue};
use crate::journal::NoJournal;
use crate::maker_journal::{MakerRecord, MakerRole as Role, MakerSink};
use crate::stats::Series;

mod figures;
pub use figures::{HedgerFigures, InventoryFigures, MakerFigures, MakerStatus};

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
    /// Refreshes where the venue minimum decided a side (`size_floor_bound`).
    pub floor_bound_refreshes: u64,
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
    /// Computations that could not be done exactly (an execution's notional).
    pub arithmetic_faults: u64,
    /// Flow totals are [`Wide`]: a long run's flows outgrow a single `Fixed`.
    pub base_bought: Wide,
    pub base_sold: Wide,
    pub quote_spent: Wide,
    pub quote_received: Wide,
    pub fees_paid: Wide,
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

/// The maker runtime; `J` receives the journal.
#[derive(Debug)]
pub struct MakerEngine<V: Venue, J: MakerSink = NoJournal> {
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
    journal: J,
}

impl<V: Venue> MakerEngine<V> {
    /// A maker without a journal.
    pub fn new(cfg: MakerConfig, hcfg: HedgerConfig, venue: V) -> Self {
        MakerEngine::with_journal(cfg, hcfg, venue, NoJournal)
    }
}

impl<V: Venue, J: MakerSink> MakerEngine<V, J> {
    /// A maker writing its journal to `journal`.
    pub fn with_journal(cfg: MakerConfig, hcfg: HedgerConfig, venue: V, journal: J) -> Self {
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
            journal,
        }
    }

    /// Write the status snapshot to the journal and hand the sink back.
    pub fn finish_journal(mut self) -> J {
        if self.journal.enabled() {
            let status = self.status();
            self.journal.record(&MakerRecord::Status {
                ts: self.now,
                status: &status,
            });
        }
        self.journal
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
        if decision.telemetry.size_floor_bound {
            self.stats.floor_bound_refreshes += 1;
        }
        if self.journal.enabled() {
            self.journal.record(&MakerRecord::Quote {
                ts: self.now,
                mid: self.mid,
                inventory: input.inventory,
                decision: &decision,
            });
        }
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
                self.cancel(&txid);
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
                        self.cancel(&txid);
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
                if self.journal.enabled() {
                    self.journal.record(&MakerRecord::Placed {
                        ts: self.now,
                        txid: &ack.txid,
                        role,
                        side,
                        price,
                        qty,
                        order: kind,
                    });
                }
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
                if self.journal.enabled() {
                    self.journal.record(&MakerRecord::PlaceRejected {
                        ts: self.now,
                        role,
                        side,
                        price,
                        qty,
                        reason: r.name(),
                    });
                }
                None
            }
        }
    }

    /// Cancel `txid`; the order's end arrives as a venue `Done` event.
    fn cancel(&mut self, txid: &str) {
        // A failed cancel means the order is already gone (filled or expired in the same
        // step): its Fill/Done events are in the venue queue and close the track.
        if self.venue.cancel(txid, self.now).is_ok() {
            self.stats.orders_cancelled += 1;
            if self.journal.enabled() {
                self.journal.record(&MakerRecord::Cancelled {
                    ts: self.now,
                    txid,
                    role: self.tracks.get(txid).map(|t| t.role),
                });
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
                // The venue settled this fill, so its notional fits; if it ever does not, the
                // fault is counted (never a silent zero in the order's average price).
                let notional = price.notional(qty, Rounding::HalfEven).unwrap_or_else(|_| {
                    self.stats.arithmetic_faults += 1;
                    Quote::ZERO
                });
                // Flow totals are exact at any size; `notional` above is the order's own.
                let flow = Wide::product(price.fixed(), qty.fixed(), Rounding::HalfEven);
                self.stats.fees_paid += Wide::from(fee);
                match side {
                    Side::Buy => {
                        self.stats.base_bought += Wide::from(qty);
                        self.stats.quote_spent += flow;
                    }
                    Side::Sell => {
                        self.stats.base_sold += Wide::from(qty);
                        self.stats.quote_received += flow;
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
                if self.journal.enabled() {
                    self.journal.record(&MakerRecord::Fill {
                        ts,
                        txid: &txid,
                        role: self.tracks.get(&txid).map(|t| t.role),
                        side,
                        price,
                        qty,
                        fee,
                        leaves,
                        inventory: self.fifo.inventory(),
                        fifo_realized: self.fifo.realized(),
                    });
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
        if self.journal.enabled() {
            self.journal.record(&MakerRecord::Done {
                ts: self.now,
                txid,
                role: t.role,
                filled: t.filled,
            });
        }
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
pub fn run_maker_backtest<V, J, E, I>(
    maker: &mut MakerEngine<V, J>,
    events: I,
) -> Result<DataStats, BacktestError<E>>
where
    V: SimulatedVenue,
    J: MakerSink,
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

#[cfg(test)]
mod tests;
