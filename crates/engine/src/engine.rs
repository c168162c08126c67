//! The runtime: N grid slots driven against a [`Venue`], identical in backtest, paper and
//! live (only the venue and the source of time differ).
//!
//! Inputs: [`Engine::on_market`] (a new mark price), [`Engine::drain_venue`] (executions),
//! and [`Engine::run_loop`] every `loop_interval_sec` of engine time. The loop runs these
//! steps, always in this order:
//!
//! 1. **sync**: read balances and the open-order count; compute capacity (band, entry cap)
//!    and the B-side allocation from the quote actually free above the governor's runway
//!    (`flywheel_capital::sizing`);
//! 2. **daily loss lock** (UTC day);
//! 3. **ticks**: for each slot in id order, `PriceTick(mark)` then `TimerTick(now)`;
//! 4. **exit retry**: every exit that is not resting yet is re-priced at the current market
//!    (never below its profit target) and placed again — a filled position is never dropped;
//! 5. **restore** balance-degraded slots (the one restoration path, `leak`), **bootstrap**
//!    empty slots and **auto-repair** other one-sided ones;
//! 6. **scheduler drain** of entries deferred by the per-loop entry cap;
//! 7. **scoreboard** (idle USD), one-sided slot-time, samples for the report.
//!
//! Steps 1 and 7 (and the governor's base runway) serve their figures from the loop memo
//! while the inputs stand, and new-mark loops the slot figures per revision (see `memo`,
//! `figures`); a slot whose ticks are both quiet is not sized.
//!
//! Executions are applied as they arrive (not once per loop), so exits go out at once.
//! Orders are sent under the engine's own client order ids and followed through their
//! in-flight states (pending, unknown, open) until the venue ends them: see `orders`.
//! After every applied event the slot's one-sided flags are normalised and its invariants
//! checked; a breach halts new entries (exits and fills continue), it never panics.

use std::collections::{BTreeMap, VecDeque};

use flywheel_core::{Price, Qty, Quote, Rounding, Timestamp};
use flywheel_grid::{EngineConfig, Event, PairState};
use flywheel_venue::{Balances, ClOrdId, ClOrdIds, Venue, VenueEvent};
use serde::{Deserialize, Serialize};

use flywheel_governor::GovernorConfig;

use crate::capacity::{capacity, Capacity};
use crate::config::LeakConfig;
use crate::governing::Governance;
use crate::journal::{JournalRecord, JournalSink, Source};
use crate::leak::LeakState;
pub(crate) use crate::orders::Track;
use crate::scoreboard::Scoreboard;
use crate::sizing::LoopSizing;
use crate::stats::{FillMark, Sample, Series, Stats};

/// One slot: a pair engine state and its sticky flag.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Slot {
    pub id: u32,
    pub state: PairState,
    pub sticky: bool,
    /// Patch B: quote left over by the volume rounding of the slot's last B order, carried
    /// into its next one.
    #[serde(default)]
    pub b_residual_usd: Quote,
}

/// Whether new entries may be placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", content = "reason", rename_all = "snake_case")]
pub enum RunMode {
    Running,
    /// No new entries; resumes by itself when the cause clears (daily loss lock).
    Paused(String),
    /// No new entries until an operator intervenes (invariant breach).
    Halted(String),
}

/// The grid runtime.
#[derive(Debug)]
pub struct Engine<V: Venue, J: JournalSink> {
    pub(crate) cfg: EngineConfig,
    pub(crate) venue: V,
    pub(crate) journal: J,
    pub(crate) slots: Vec<Slot>,
    pub(crate) mode: RunMode,
    /// The operator pause (`operator`): no new entries, apart from the run mode.
    pub(crate) operator_paused: bool,
    pub(crate) mark: Price,
    pub(crate) mark_at: Option<Timestamp>,
    pub(crate) now: Timestamp,
    /// The orders followed, by client order id (see `orders`).
    pub(crate) tracks: BTreeMap<ClOrdId, Track>,
    /// The engine's client order id sequence.
    pub(crate) ids: ClOrdIds,
    /// Venue events taken in and not applied yet, in the venue's order.
    pub(crate) inbox: VecDeque<VenueEvent>,
    pub(crate) loop_free_quote: Quote,
    pub(crate) loop_free_base: Qty,
    /// `loop_free_base` valued at the mark, kept with it (sizing reads it per order).
    pub(crate) loop_free_base_value: Quote,
    pub(crate) entry_adds_used: u32,
    pub(crate) capacity: Capacity,
    pub(crate) sizing: LoopSizing,
    /// Per slot: its B entry is funded this loop (see `sizing::pool_b`).
    pub(crate) b_funded: Vec<bool>,
    /// Per slot: quote released this loop by cancelling its stale B entry (funds the
    /// refresh; see `sizes_for`).
    pub(crate) b_released: Vec<Quote>,
    pub(crate) scoreboard: Scoreboard,
    pub(crate) loss_lock_day: Option<i64>,
    pub(crate) stats: Stats,
    pub(crate) loops: u64,
    pub(crate) last_loop_at: Option<Timestamp>,
    pub(crate) start_balances: Balances,
    pub(crate) samples: Series<Sample>,
    pub(crate) fills: Series<FillMark>,
    pub(crate) governor: Governance,
    pub(crate) leak: LeakState,
    /// Ranger and churner profit (seed 001 Patch C).
    pub(crate) ancillary: crate::leak::AncillaryProfit,
    pub(crate) anc: crate::ancillary_run::AncillaryRun,
    pub(crate) venue_buf: Vec<VenueEvent>,
    /// The revision the loop memo keys on (see `memo`).
    pub(crate) rev: u64,
    pub(crate) memo: crate::memo::LoopMemo,
}

impl<V: Venue, J: JournalSink> Engine<V, J> {
    /// An engine with `cfg.slots` empty slots (sticky as configured).
    pub fn new(cfg: EngineConfig, venue: V, journal: J) -> Self {
        let n_slots = cfg.slots as usize;
        let slots = (0..cfg.slots)
            .map(|id| Slot {
                id,
                state: PairState::new(Price::ZERO, Timestamp::EPOCH),
                sticky: cfg.sticky_mode_enabled,
                b_residual_usd: Quote::ZERO,
            })
            .collect();
        let start_balances = venue.balances();
        let capacity = capacity(&cfg, 0);
        Engine {
            cfg,
            venue,
            journal,
            slots,
            mode: RunMode::Running,
            operator_paused: false,
            mark: Price::ZERO,
            mark_at: None,
            now: Timestamp::EPOCH,
            tracks: BTreeMap::new(),
            ids: ClOrdIds::default(),
            inbox: VecDeque::new(),
            loop_free_quote: Quote::ZERO,
            loop_free_base: Qty::ZERO,
            loop_free_base_value: Quote::ZERO,
            entry_adds_used: 0,
            capacity,
            sizing: LoopSizing::default(),
            b_funded: vec![true; n_slots],
            b_released: vec![Quote::ZERO; n_slots],
            scoreboard: Scoreboard::default(),
            loss_lock_day: None,
            stats: Stats::default(),
            loops: 0,
            last_loop_at: None,
            start_balances,
            samples: Series::default(),
            fills: Series::default(),
            governor: Governance::new(GovernorConfig::default()),
            leak: LeakState::new(LeakConfig::default(), n_slots),
            ancillary: crate::leak::AncillaryProfit::default(),
            anc: crate::ancillary_run::AncillaryRun::new(
                flywheel_ancillary::RangerConfig::default(),
                flywheel_ancillary::ChurnerConfig::default(),
                n_slots as u32,
            ),
            venue_buf: Vec::new(),
            rev: 0,
            memo: crate::memo::LoopMemo::default(),
        }
    }

    /// Send orders under ids from `ids` (an instance prefix, or a sequence resumed from
    /// storage); the default is [`ClOrdIds::default`].
    pub fn with_order_ids(mut self, ids: ClOrdIds) -> Self {
        self.ids = ids;
        self
    }

    /// Use these USD-leak patch settings (the default is the seed's, all on).
    pub fn with_leak(mut self, cfg: LeakConfig) -> Self {
        self.touch();
        self.leak = LeakState::new(cfg, self.slots.len());
        self
    }

    /// Use these ranger and churner settings (both off by default).
    pub fn with_ancillary(
        mut self,
        rangers: flywheel_ancillary::RangerConfig,
        churners: flywheel_ancillary::ChurnerConfig,
    ) -> Self {
        self.touch();
        let n = self.slots.len() as u32;
        self.anc = crate::ancillary_run::AncillaryRun::new(rangers, churners, n);
        self
    }

    /// Use these governor settings (the default is the seed's, enabled).
    pub fn with_governor(mut self, cfg: GovernorConfig) -> Self {
        self.touch();
        self.governor = Governance::new(cfg);
        self
    }

    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }
    pub fn mode(&self) -> &RunMode {
        &self.mode
    }
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    pub fn scoreboard(&self) -> &Scoreboard {
        &self.scoreboard
    }
    pub fn venue(&self) -> &V {
        &self.venue
    }
    /// Mutable access for the driver that feeds a simulated venue its market data.
    pub fn venue_mut(&mut self) -> &mut V {
        &mut self.venue
    }
    pub fn journal_mut(&mut self) -> &mut J {
        &mut self.journal
    }
    pub fn into_parts(self) -> (V, J) {
        (self.venue, self.journal)
    }
    pub fn start_balances(&self) -> Balances {
        self.start_balances
    }
    pub fn samples(&self) -> &[Sample] {
        &self.samples.points
    }
    pub fn fill_marks(&self) -> &[FillMark] {
        &self.fills.points
    }
    pub fn loops(&self) -> u64 {
        self.loops
    }
    pub fn mark(&self) -> Price {
        self.mark
    }

    /// A new market price at `ts`. A price the account cannot be valued at exactly (see
    /// [`Self::mark_fits`]) is not adopted: the mark keeps its last value, the refusal is
    /// counted and trading halts with the reason. Upstream, the data sanity filter drops
    /// such prints before they get here; this is the backstop.
    pub fn on_market(&mut self, price: Price, ts: Timestamp) {
        self.now = self.now.max(ts);
        if !price.is_positive() {
            return;
        }
        if price != self.mark {
            if let Err(reason) = self.mark_fits(price) {
                self.stats.marks_refused += 1;
                self.halt(&reason);
                return;
            }
            self.mark = price;
        }
        self.mark_at = Some(ts);
    }

    /// The mark is known and no older than `stale_price_max_age_sec`.
    pub(crate) fn mark_is_fresh(&self) -> bool {
        !self.mark_stale_at(self.now)
    }

    /// Apply every event the venue reported so far, in its order (the inbox first).
    pub fn drain_venue(&mut self) {
        loop {
            if self.inbox.is_empty() {
                self.pull_events();
            }
            let Some(ev) = self.inbox.pop_front() else {
                break;
            };
            self.on_venue_event(ev);
        }
    }

    /// One loop at engine time `now` (see the module docs for the steps). A loop on a
    /// stale mark (an exchange outage, a gap in the data) skips the trading steps and the
    /// governor's update: see [`Self::run_stale_loops`].
    pub fn run_loop(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
        if !self.mark_is_fresh() {
            self.run_stale_loops(self.now, 1, 0);
            return;
        }
        let now = self.now;
        self.loops += 1;
        self.sync();
        if self.journal.enabled() {
            self.journal.record(&JournalRecord::LoopStart {
                ts: now,
                n: self.loops,
                capacity: self.capacity,
            });
        }
        self.update_daily_loss_lock();
        self.governor_step();
        for idx in 0..self.slots.len() {
            self.slots[idx].state.profit_pct_runtime = self.cfg.profit_pct;
            let tick = Event::PriceTick {
                price: self.mark,
                timestamp: now,
            };
            let timer = Event::TimerTick { timestamp: now };
            if self.ticks_are_quiet(idx, &tick, &timer) {
                // Most ticks of most loops: nothing to size, nothing to place.
                self.apply_quiet(idx, &tick);
                self.apply_quiet(idx, &timer);
            } else {
                // One sizing for both events unless the tick placed something (which moves
                // the free funds the starvation guard reads).
                let sizes = self.sizes_for(idx, true);
                let acted = self.apply_sized(idx, &tick, Source::Reducer, sizes);
                let sizes = if acted {
                    self.sizes_for(idx, true)
                } else {
                    sizes
                };
                self.apply_sized(idx, &timer, Source::Reducer, sizes);
            }
            // Patch D: a B entry still pending after its timer is waiting for size; the
            // failure is the start of the wait, not every loop of it.
            let s = &self.slots[idx].state;
            let waiting = s.b.pending_entry.is_some() && now >= s.b.cooldown_until && !s.short_only;
            if waiting && !self.leak.b_waiting[idx] {
                // A slot the pooled allocation (patch F) left unfunded waits by design: the
                // quote went to fewer, valid B entries. Counted apart, not as a failure.
                if self.cfg.quote_first_allocation && !self.b_funded[idx] {
                    self.leak.totals_mut().pooled_waits += 1;
                } else {
                    self.leak.record_failure("throughput_below_min", now);
                }
            }
            self.leak.b_waiting[idx] = waiting;
        }
        self.retry_exits();
        if self.entries_allowed() {
            self.restore_balance_degraded_slots();
            self.ancillary_step();
            for idx in 0..self.slots.len() {
                self.ensure_bootstrapped(idx);
                self.auto_repair(idx);
            }
            self.drain_deferred_entries();
        }
        self.drain_venue();
        self.finish_loop();
    }

    /// Step 1: balances, capacity, B allocation.
    pub(crate) fn sync(&mut self) {
        let bal = self.venue.balances();
        self.loop_free_quote = bal.free_quote();
        self.set_free_base(bal.free_base());
        self.entry_adds_used = 0;
        self.b_released.iter_mut().for_each(|r| *r = Quote::ZERO);
        self.refresh_slot_figures();
        // Step 1 forms the loop's sizing: it reads none.
        let key = self.memo_key(LoopSizing::default());
        if self.serve_sync(&key) {
            debug_assert_eq!(
                Ok(self.sync_figures_in_force()),
                self.sync_figures(&bal),
                "{}",
                crate::memo::STALE
            );
            return;
        }
        let (figures, exact) = match self.sync_figures(&bal) {
            Ok(figures) => (figures, true),
            Err(e) => {
                // Not remembered: every loop at this mark halts with the reason again.
                let margin = self.or_halt(Err(e), "half a lot at the mark");
                (self.sync_figures_with(&bal, margin), false)
            }
        };
        self.capacity = figures.capacity;
        self.b_funded = figures.b_funded;
        self.sizing = figures.sizing;
        if exact {
            self.remember_sync(key, figures.next_entries);
        }
    }

    /// Set the loop's free base and its value at the mark.
    pub(crate) fn set_free_base(&mut self, base: Qty) {
        self.loop_free_base = base;
        let value = self.mark.notional(base, Rounding::Floor);
        self.loop_free_base_value = self.or_halt(value, "the free base at the mark");
    }

    /// Daily loss lock on the UTC day: pause when today's realized loss reaches the limit,
    /// resume at the next UTC day.
    pub(crate) fn update_daily_loss_lock(&mut self) {
        self.update_daily_loss_lock_at(self.now);
    }

    /// [`Self::update_daily_loss_lock`] as of `now` (a stretch of stale loops reads it at
    /// its first and last loop).
    pub(crate) fn update_daily_loss_lock_at(&mut self, now: Timestamp) {
        let today = now.utc_day();
        if let Some(day) = self.loss_lock_day {
            if day != today {
                self.loss_lock_day = None;
                if matches!(self.mode, RunMode::Paused(_)) {
                    self.mode = RunMode::Running;
                    if self.journal.enabled() {
                        let reason = "UTC day rollover clears the daily loss lock";
                        self.journal
                            .record(&JournalRecord::Resume { ts: now, reason });
                    }
                }
            }
        }
        let limit = self.cfg.daily_loss_limit;
        if !limit.is_positive() || self.loss_lock_day.is_some() {
            return;
        }
        let loss: Quote = self
            .slots
            .iter()
            .map(|s| s.state.realized_loss_on_day_of(now))
            .sum();
        if loss >= limit {
            self.loss_lock_day = Some(today);
            if self.mode == RunMode::Running {
                let reason = format!("daily loss limit hit: {loss} >= {limit}");
                self.mode = RunMode::Paused(reason.clone());
                if self.journal.enabled() {
                    self.journal.record(&JournalRecord::Pause {
                        ts: now,
                        reason: &reason,
                    });
                }
            }
        }
    }
}
