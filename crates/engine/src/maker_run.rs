//! The market maker with its hedger (seed 002) driven against a [`Venue`], the second
//! strategy on the same pieces (venue, market data, journal sinks, summary, CLI).
//!
//! A **step** happens at every market event (the mid becomes the trade price — trade data
//! records no book — or the bar close) and at every **timer tick**: `hedger.
//! poll_interval_seconds` (the origin's 1 s hedger poll) after the last step when no event
//! came, so the hedger's 0.5 s passive wait and 2 s cooldown mean the same on sparse data as
//! on dense data (0 = steps only at events, round 1). Per step at `t`:
//! 1. time-weight the gauges since the last step (inventory, pauses);
//! 2. apply the venue's executions (FIFO ledger → PnL guard, hedger hooks);
//! 3. at a market event at least `refresh_seconds` after the last refresh, run the quote
//!    function (estimators advance: they sample the market, so a tick at an unchanged mid
//!    does not refresh) and keep each side whose resting price is within
//!    `refresh_tolerance_bps` and size unchanged, else cancel and replace; otherwise, when a
//!    fill changed inventory, **re-quote** with the estimators as they are (a quote sized
//!    for the old position would not land on a closable one, and a stale flattening order
//!    would overshoot; `maker.requote_on_fill`, off in round 1);
//! 4. the hedger decides (its own cooldown paces it), its executions are applied, and the
//!    quotes are re-sized again if they changed inventory.
//!
//! Orders are sent under the maker's own client order ids and followed through their
//! in-flight states (`orders`): a quote or hedge order counts as out from the moment it is
//! sent, so none is sent twice while its answer is pending or unknown.
//!
//! Inventory is the FIFO book's position: every fill, maker or hedger, goes through it.
//! Every decision, order and fill goes to the journal ([`MakerSink`]) when one is attached.
//! Time is the events' and the ticks' only: the same data and config give the same bytes.

use std::collections::BTreeMap;

use flywheel_core::{Price, Qty, Quote, Side, Timestamp};
use flywheel_maker::{
    keep_resting, secs_to_ms, FifoBook, HedgeCommand, HedgeCtx, HedgePhase, Hedger, HedgerConfig,
    MakerConfig, MakerState, MakerTelemetry, QuoteDecision, QuoteInput, SideQuote,
};
use flywheel_marketdata::MarketEvent;
use flywheel_venue::{ClOrdId, ClOrdIds, OrderKind, OrderState, Venue, VenueEvent};

use crate::backtest::{event_price, BacktestError, DataStats, SimulatedVenue};
use crate::journal::NoJournal;
use crate::maker_journal::{MakerRecord, MakerRole as Role, MakerSink};
use crate::stats::Series;

mod figures;
mod live;
mod operator;
mod orders;
mod snapshot;
mod stats;
pub use figures::{FeeFigures, HedgerFigures, InventoryFigures, MakerFigures, MakerStatus};
pub use live::MakerOrderView;
pub use snapshot::{MakerRestoreError, MakerSnapshot};
pub use stats::{MakerSample, MakerStats, PauseCause, FLAT_ENOUGH};

/// One order the maker follows, by client order id.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Track {
    role: Role,
    side: Side,
    price: Price,
    qty: Qty,
    /// Where it stands (live states only: the track goes when the order ends).
    state: OrderState,
    /// The venue's id, once acknowledged.
    txid: Option<String>,
    filled: Qty,
    notional: Quote,
    fee: Quote,
    /// A cancel was requested and accepted for sending; the order's end is to come.
    #[serde(default)]
    cancel_requested: bool,
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
    tracks: BTreeMap<ClOrdId, Track>,
    resting: BTreeMap<Side, ClOrdId>,
    passive: Option<ClOrdId>,
    /// The client order id sequence.
    ids: ClOrdIds,
    mid: Price,
    now: Timestamp,
    last_refresh: Option<Timestamp>,
    last_account: Option<Timestamp>,
    /// Time of the last step (event or tick): the timer runs from here.
    last_step: Option<Timestamp>,
    /// The inventory the current quotes were decided for.
    quoted_inventory: Option<Qty>,
    /// The last decision quoted at least one side.
    quoting: bool,
    blocked_since: Option<Timestamp>,
    /// The operator pause (`operator`): no quotes placed.
    operator_paused: bool,
    /// Why quoting is halted (`live`): no quotes placed until a restart clears it.
    halted: Option<String>,
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
            ids: ClOrdIds::default(),
            mid: Price::ZERO,
            now: Timestamp::EPOCH,
            last_refresh: None,
            last_account: None,
            last_step: None,
            quoted_inventory: None,
            quoting: false,
            blocked_since: None,
            operator_paused: false,
            halted: None,
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

    /// Send orders under ids from `ids` (an instance prefix, or a resumed sequence).
    pub fn with_order_ids(mut self, ids: ClOrdIds) -> Self {
        self.ids = ids;
        self
    }

    /// The orders out and their states, by client order id.
    pub fn order_states(&self) -> impl Iterator<Item = (&ClOrdId, OrderState)> {
        self.tracks.iter().map(|(id, t)| (id, t.state))
    }

    /// The client order id sequence (how many ids were issued).
    pub fn order_ids(&self) -> &ClOrdIds {
        &self.ids
    }

    /// The venue and the journal sink (a restart moves them into a fresh engine).
    pub fn into_parts(self) -> (V, J) {
        (self.venue, self.journal)
    }

    pub fn venue(&self) -> &V {
        &self.venue
    }
    pub fn venue_mut(&mut self) -> &mut V {
        &mut self.venue
    }
    /// The journal sink (a live session empties its step capture through it).
    pub fn journal_mut(&mut self) -> &mut J {
        &mut self.journal
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

    /// A new mid at `now` (a market event): one step.
    pub fn on_market(&mut self, mid: Price, now: Timestamp) {
        if mid.is_positive() {
            self.mid = mid;
        }
        self.step(now, true);
    }

    /// A timer tick at `now` (no market event): one step at the last mid.
    pub fn on_timer(&mut self, now: Timestamp) {
        self.stats.ticks += 1;
        self.step(now, false);
    }

    /// When the next timer tick is due, if the timer runs (`hedger.poll_interval_seconds`).
    pub fn next_tick(&self) -> Option<Timestamp> {
        let poll = secs_to_ms(self.hcfg.poll_interval_seconds);
        if poll <= 0 {
            return None;
        }
        self.last_step
            .map(|t| Timestamp::from_millis(t.millis().saturating_add(poll)))
    }

    /// Run the timer ticks due before `t` (the next market event's time) while they can
    /// change anything: they stop once the runtime is quiet ([`Self::quiet`]), and after
    /// [`Self::max_idle_ticks`] in one gap between events — by then every hedger timer has
    /// run out, and at an unchanged mid a further tick would repeat the last one. A gap of
    /// any length therefore costs a bounded number of steps.
    pub fn tick_until(&mut self, t: Timestamp) {
        let cap = self.max_idle_ticks();
        let mut ticks = 0;
        while let Some(next) = self.next_tick().filter(|&n| n < t) {
            if ticks >= cap || self.quiet() {
                break;
            }
            self.on_timer(next);
            ticks += 1;
        }
    }

    /// Nothing left for a tick to do: no re-quote pending, and the hedger (when on) saw no
    /// position above its trigger, has no order out and is not waiting to cross.
    fn quiet(&self) -> bool {
        let requote = self.cfg.requote_on_fill
            && self.last_refresh.is_some()
            && self.quoted_inventory != Some(self.fifo.inventory());
        let hedger_busy = self.hcfg.enabled
            && (self.hedger.flags.above_trigger
                || self.passive.is_some()
                || !matches!(
                    self.hedger.phase,
                    HedgePhase::Idle | HedgePhase::CoolingDown { .. }
                ));
        !requote && !hedger_busy
    }

    /// Ticks in one gap that cover every hedger timer twice over (a residue's grace, then
    /// a two-step of two clips with their passive waits and cooldowns).
    fn max_idle_ticks(&self) -> u64 {
        let h = &self.hcfg;
        let total: i64 = [
            h.passive_wait_seconds,
            h.passive_timeout_seconds,
            h.cooldown_seconds,
            h.guard_emergency_seconds,
            h.guard_emergency_cooldown_seconds,
            h.residue_grace_seconds,
        ]
        .into_iter()
        .map(secs_to_ms)
        .sum();
        let poll = secs_to_ms(h.poll_interval_seconds).max(1);
        u64::try_from(total.saturating_mul(2) / poll).unwrap_or(0) + 16
    }

    fn step(&mut self, now: Timestamp, market: bool) {
        self.account(now);
        self.now = self.now.max(now);
        self.last_step = Some(self.now);
        self.drain();
        // The refresh samples the market (its estimators advance on the mid), so it runs
        // at market events only; a tick at an unchanged mid would feed them zero moves.
        let due = market
            && self
                .last_refresh
                .is_none_or(|t| self.now.elapsed_at_least(t, self.cfg.refresh_seconds));
        if due && self.mid.is_positive() {
            self.refresh();
        } else {
            self.requote_if_moved();
        }
        self.hedge();
        self.drain();
        self.requote_if_moved();
    }

    /// Time-weight the gauges since the last step.
    fn account(&mut self, now: Timestamp) {
        if let Some(last) = self.last_account {
            let dt = now.millis_since(last).max(0);
            let inv = self.fifo.inventory().abs();
            self.stats
                .weigh(dt, inv, self.telemetry.as_ref(), self.quoting);
        }
        self.last_account = Some(now.max(self.last_account.unwrap_or(now)));
    }

    fn input(&self) -> QuoteInput {
        QuoteInput {
            mid: self.mid,
            inventory: self.fifo.inventory(),
            now: self.now,
            jitter: 0.0,
        }
    }

    /// A refresh: the estimators advance and the quotes are decided again.
    fn refresh(&mut self) {
        self.last_refresh = Some(self.now);
        self.stats.refreshes += 1;
        let input = self.input();
        let decision = self.state.step(&self.cfg, &input);
        if decision.telemetry.size_floor_bound {
            self.stats.floor_bound_refreshes += 1;
        }
        for side in [&decision.bid, &decision.ask] {
            if let SideQuote::Suppressed(r) = side {
                *self
                    .stats
                    .suppressed
                    .entry(r.as_str().to_string())
                    .or_insert(0) += 1;
            }
        }
        if self.journal.enabled() {
            self.journal.record(&MakerRecord::Quote {
                ts: self.now,
                mid: self.mid,
                inventory: input.inventory,
                decision: &decision,
            });
        }
        self.apply(decision, input.inventory);
        let t = self.telemetry.as_ref();
        self.samples.push(MakerSample {
            ts: self.now,
            mid: self.mid,
            inventory: input.inventory,
            bid_spread_bps: t.map_or(0.0, |t| t.bid_spread_bps),
            ask_spread_bps: t.map_or(0.0, |t| t.ask_spread_bps),
            guard: t.is_some_and(|t| t.pnl_guard_active),
            realized: self.fifo.realized(),
        });
    }

    /// Between refreshes: a fill moved inventory, so decide again for the new position with
    /// the estimators as they are (the quote function is pure: nothing advances). Off with
    /// `requote_on_fill = false` (round 1): the quotes wait for the next refresh.
    fn requote_if_moved(&mut self) {
        let inv = self.fifo.inventory();
        if !self.cfg.requote_on_fill
            || self.last_refresh.is_none()
            || self.quoted_inventory == Some(inv)
        {
            return;
        }
        if !self.mid.is_positive() {
            return;
        }
        self.stats.requotes += 1;
        let input = self.input();
        let decision = self.state.quote(&self.cfg, &input);
        if self.journal.enabled() {
            self.journal.record(&MakerRecord::Requote {
                ts: self.now,
                mid: self.mid,
                inventory: inv,
                decision: &decision,
            });
        }
        self.apply(decision, inv);
    }

    /// Make the resting quotes match `decision` (decided for `inventory`).
    fn apply(&mut self, decision: QuoteDecision, inventory: Qty) {
        self.quoted_inventory = Some(inventory);
        let mut quoting = false;
        // Every cancel goes before any placement: a new bid must not meet our own stale ask
        // (a post-only order would be refused as taking, or trade with ourselves).
        let mut to_place = Vec::new();
        for side in [Side::Buy, Side::Sell] {
            // The operator pause places nothing: the decision stands (journaled, its
            // telemetry kept) and the resting quotes go.
            let desired = decision
                .side(side)
                .order()
                .filter(|_| !self.operator_paused && self.halted.is_none());
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
            if let Some(order) = desired {
                to_place.push((side, order));
            }
        }
        for (side, (price, size)) in to_place {
            if let Some(txid) =
                self.place(Role::Quote(side), side, price, size, OrderKind::PostOnly)
            {
                self.resting.insert(side, txid);
            }
        }
        // The hedger's emergency watches how long quoting has been blocked altogether.
        self.blocked_since = if quoting {
            None
        } else {
            self.blocked_since.or(Some(self.now))
        };
        self.quoting = quoting;
        self.telemetry = Some(decision.telemetry);
    }

    fn hedge(&mut self) {
        // A halt stops the hedger too (`live` module docs).
        if !self.hcfg.enabled || !self.mid.is_positive() || self.halted.is_some() {
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
}

/// One market event on a venue that matches market data itself: the timer ticks due before
/// it ([`MakerEngine::tick_until`]), then the venue matches it, then the maker steps at the
/// new mid. The backtest and paper sessions both drive the maker through this, so a session
/// replayed from its recording makes the same calls in the same order.
pub fn on_sim_event<V: SimulatedVenue, J: MakerSink>(
    maker: &mut MakerEngine<V, J>,
    ev: &MarketEvent,
) -> Result<(), V::Error> {
    let t = ev.time();
    maker.tick_until(t);
    maker.venue_mut().on_market(ev)?;
    maker.on_market(event_price(ev), t);
    Ok(())
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
        on_sim_event(maker, &ev).map_err(|e| BacktestError::Venue(e.to_string()))?;
        stats.events += 1;
        stats.first_ts.get_or_insert(t);
        stats.last_ts = Some(t);
    }
    Ok(stats)
}

#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod tests;
