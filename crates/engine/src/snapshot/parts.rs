//! The parts of an [`EngineSnapshot`](super::EngineSnapshot) added after its first format,
//! each taken from and put back into the engine whole. Their fields are private: only the
//! engine reads them, and a snapshot is restored as it was taken, never edited.
//!
//! Every part names each field it copies in both directions (`capture` builds the part
//! field by field, `apply` destructures it without `..`), so a field added to a part that
//! one direction forgets does not compile.

use std::collections::BTreeMap;

use flywheel_ancillary::{AncillaryTotals, Churners, RangerSet};
use flywheel_capital::telemetry::BSideTelemetry;
use flywheel_core::{Price, Qty, Quote, Ratio, Timestamp};
use flywheel_governor::feasibility::Feasibility;
use flywheel_governor::Multipliers;
use flywheel_venue::{Balances, ClOrdId, Venue};
use serde::{Deserialize, Serialize};

use super::RestoreError;
use crate::ancillary_run::AncTrack;
use crate::capacity::Capacity;
use crate::engine::Engine;
use crate::governing::GovernorStats;
use crate::journal::JournalSink;
use crate::leak::AncillaryProfit;
use crate::scoreboard::Scoreboard;
use crate::sizing::LoopSizing;
use crate::stats::{FillMark, Sample, Series, Stats};

/// The mark, when it was last seen, and the engine clock: the stale-mark check and every
/// timer read them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MarketClock {
    mark: Price,
    mark_at: Option<Timestamp>,
    now: Timestamp,
}

impl MarketClock {
    pub(super) fn capture<V: Venue, J: JournalSink>(e: &Engine<V, J>) -> Self {
        MarketClock {
            mark: e.mark,
            mark_at: e.mark_at,
            now: e.now,
        }
    }

    pub(super) fn apply<V: Venue, J: JournalSink>(self, e: &mut Engine<V, J>) {
        let MarketClock { mark, mark_at, now } = self;
        e.mark = mark;
        e.mark_at = mark_at;
        e.now = now;
    }
}

/// What a loop computes and is used until the next one: executions between loops place
/// exits and refreshed entries against the loop's free funds, its entry cap and sizing.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoopState {
    free_quote: Quote,
    free_base: Qty,
    free_base_value: Quote,
    entry_adds_used: u32,
    capacity: Capacity,
    sizing: LoopSizing,
    /// Per slot.
    b_funded: Vec<bool>,
    /// Per slot.
    b_released: Vec<Quote>,
    scoreboard: Scoreboard,
    loops: u64,
    last_loop_at: Option<Timestamp>,
}

impl LoopState {
    pub(super) fn capture<V: Venue, J: JournalSink>(e: &Engine<V, J>) -> Self {
        LoopState {
            free_quote: e.loop_free_quote,
            free_base: e.loop_free_base,
            free_base_value: e.loop_free_base_value,
            entry_adds_used: e.entry_adds_used,
            capacity: e.capacity,
            sizing: e.sizing,
            b_funded: e.b_funded.clone(),
            b_released: e.b_released.clone(),
            scoreboard: e.scoreboard,
            loops: e.loops,
            last_loop_at: e.last_loop_at,
        }
    }

    pub(super) fn per_slot_lengths(&self) -> [(&'static str, usize); 2] {
        [
            ("loop.b_funded", self.b_funded.len()),
            ("loop.b_released", self.b_released.len()),
        ]
    }

    pub(super) fn apply<V: Venue, J: JournalSink>(self, e: &mut Engine<V, J>) {
        let LoopState {
            free_quote,
            free_base,
            free_base_value,
            entry_adds_used,
            capacity,
            sizing,
            b_funded,
            b_released,
            scoreboard,
            loops,
            last_loop_at,
        } = self;
        e.loop_free_quote = free_quote;
        e.loop_free_base = free_base;
        e.loop_free_base_value = free_base_value;
        e.entry_adds_used = entry_adds_used;
        e.capacity = capacity;
        e.sizing = sizing;
        e.b_funded = b_funded;
        e.b_released = b_released;
        e.scoreboard = scoreboard;
        e.loops = loops;
        e.last_loop_at = last_loop_at;
    }
}

/// The figures the summary and the report are built from: the run's counters and flows,
/// the balances it started with (the hold benchmark), and the sampled series (their
/// strides included, so sampling keeps its beat).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRecord {
    stats: Stats,
    start_balances: Balances,
    samples: Series<Sample>,
    fills: Series<FillMark>,
}

impl RunRecord {
    pub(super) fn capture<V: Venue, J: JournalSink>(e: &Engine<V, J>) -> Self {
        RunRecord {
            stats: e.stats.clone(),
            start_balances: e.start_balances,
            samples: e.samples.clone(),
            fills: e.fills.clone(),
        }
    }

    pub(super) fn apply<V: Venue, J: JournalSink>(self, e: &mut Engine<V, J>) {
        let RunRecord {
            stats,
            start_balances,
            samples,
            fills,
        } = self;
        e.stats = stats;
        e.start_balances = start_balances;
        e.samples = samples;
        e.fills = fills;
    }
}

/// The governor's runtime beside its controller state (which is the snapshot's
/// `governor`, the seed's fields): the multipliers in force and their exact ratios, the
/// gate holding the skewed side, the infeasibility detector, and the run figures.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GovernanceSnapshot {
    mult: Multipliers,
    ratio_a: Ratio,
    ratio_b: Ratio,
    stats: GovernorStats,
    started: Option<Timestamp>,
    /// A name of [`flywheel_governor::GATE_NAMES`].
    held_by: Option<String>,
    feasibility: Feasibility,
    infeasible: Option<String>,
}

impl GovernanceSnapshot {
    pub(super) fn capture<V: Venue, J: JournalSink>(e: &Engine<V, J>) -> Self {
        let g = &e.governor;
        GovernanceSnapshot {
            mult: g.mult,
            ratio_a: g.ratio_a,
            ratio_b: g.ratio_b,
            stats: g.stats.clone(),
            started: g.started,
            held_by: g.held_by.map(str::to_string),
            feasibility: g.feasibility.clone(),
            infeasible: g.infeasible.clone(),
        }
    }

    pub(super) fn check(&self) -> Result<(), RestoreError> {
        match self.held_by.as_deref() {
            Some(name) if flywheel_governor::gate_named(name).is_none() => {
                Err(RestoreError::Invalid {
                    field: "governance.held_by",
                    reason: format!("`{name}` is not a governor gate"),
                })
            }
            _ => Ok(()),
        }
    }

    pub(super) fn apply<V: Venue, J: JournalSink>(self, e: &mut Engine<V, J>) {
        let GovernanceSnapshot {
            mult,
            ratio_a,
            ratio_b,
            stats,
            started,
            held_by,
            feasibility,
            infeasible,
        } = self;
        let g = &mut e.governor;
        g.mult = mult;
        g.ratio_a = ratio_a;
        g.ratio_b = ratio_b;
        g.stats = stats;
        g.started = started;
        // Checked by `check`.
        g.held_by = held_by.as_deref().and_then(flywheel_governor::gate_named);
        g.feasibility = feasibility;
        g.infeasible = infeasible;
        g.infeasible_from = None;
    }
}

/// Seed 001's patch state: per slot, when it was degraded and restored (cooldown, LIFO
/// order), the B budget its residual comes from, whether its B entry waits for size; and
/// the B-side telemetry with its rolling 24 h windows and run totals.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LeakSnapshot {
    degraded_at: Vec<Option<Timestamp>>,
    restored_at: Vec<Option<Timestamp>>,
    last_b_budget: Vec<Quote>,
    b_waiting: Vec<bool>,
    telemetry: BSideTelemetry,
}

impl LeakSnapshot {
    pub(super) fn capture<V: Venue, J: JournalSink>(e: &Engine<V, J>) -> Self {
        let l = &e.leak;
        LeakSnapshot {
            degraded_at: l.degraded_at.clone(),
            restored_at: l.restored_at.clone(),
            last_b_budget: l.last_b_budget.clone(),
            b_waiting: l.b_waiting.clone(),
            telemetry: l.telemetry.clone(),
        }
    }

    pub(super) fn per_slot_lengths(&self) -> [(&'static str, usize); 4] {
        [
            ("leak.degraded_at", self.degraded_at.len()),
            ("leak.restored_at", self.restored_at.len()),
            ("leak.last_b_budget", self.last_b_budget.len()),
            ("leak.b_waiting", self.b_waiting.len()),
        ]
    }

    pub(super) fn apply<V: Venue, J: JournalSink>(self, e: &mut Engine<V, J>) {
        let LeakSnapshot {
            degraded_at,
            restored_at,
            last_b_budget,
            b_waiting,
            telemetry,
        } = self;
        let l = &mut e.leak;
        l.degraded_at = degraded_at;
        l.restored_at = restored_at;
        l.last_b_budget = last_b_budget;
        l.b_waiting = b_waiting;
        l.telemetry = telemetry;
    }
}

/// Rangers and churners (their cycles, positions, reserve pools), their orders by client
/// order id with the executions so far, their totals, and the `ancillary_profit` block.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AncillarySnapshot {
    rangers: RangerSet,
    churners: Churners,
    totals: AncillaryTotals,
    orders: BTreeMap<ClOrdId, AncTrack>,
    profit: AncillaryProfit,
}

impl AncillarySnapshot {
    pub(super) fn capture<V: Venue, J: JournalSink>(e: &Engine<V, J>) -> Self {
        AncillarySnapshot {
            rangers: e.anc.rangers.clone(),
            churners: e.anc.churners.clone(),
            totals: e.anc.totals.clone(),
            orders: e.anc.tracks.clone(),
            profit: e.ancillary.clone(),
        }
    }

    pub(super) fn apply<V: Venue, J: JournalSink>(self, e: &mut Engine<V, J>) {
        let AncillarySnapshot {
            rangers,
            churners,
            totals,
            orders,
            profit,
        } = self;
        e.anc.rangers = rangers;
        e.anc.churners = churners;
        e.anc.totals = totals;
        e.anc.tracks = orders;
        e.ancillary = profit;
    }
}
