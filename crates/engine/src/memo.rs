//! The loop memo: step 1's capacity, B allocation and sizing, the governor's base runway,
//! and step 7's scoreboard and leak attribution, reused while nothing they read has
//! changed.
//!
//! Half the loops of a backtest on one-minute bars (two 30-second loops per bar) run at
//! the mark the loop before them saw, with no execution in between: recomputing these
//! figures there is most of the loop's exact-decimal work, and it gives the same numbers.
//!
//! Invariant: a memoized figure is exactly what recomputing it would give. Its key is
//! - the engine's **revision** ([`Engine::touch`]), bumped by everything that can change
//!   the slots, the tracked orders, the accounting, the run mode or the configuration:
//!   every venue event, every executed action, placement and cancel, every reducer event
//!   that is not a quiet tick, the restoration, bootstrap, repair, retry and scheduler
//!   steps when they have work, the rangers and churners, halts, operator commands and
//!   snapshot restores;
//! - the exact values of what changes without the engine doing anything: the venue's
//!   balances and open-order count, the mark, and the loop sizing the figure was formed
//!   with.
//!
//! A missed bump would serve a stale figure, so debug builds (every test) recompute the
//! figure on each hit and panic if it differs: the whole test suite checks the key.
//!
//! The other half of the loops see a new mark. What they read from the slots and the
//! tracked orders alone — which slots are buy-ready, the quote the resting buys commit,
//! the marks at which each slot's ticks are quiet — is keyed on the revision only
//! ([`SlotFigures`]), and the next entries' estimate (one
//! sum that step 1, the governor's base runway and step 7 all read) on the revision, the
//! entry floor and the ancillary share. Readers that find either stale compute it afresh.

use flywheel_capital::sizing::LoopSizing;
use flywheel_capital::LeakAttribution;
use flywheel_core::{Price, Quote, Wide};
use flywheel_grid::QuietBand;
use flywheel_venue::{Balances, Venue};

use crate::capacity::Capacity;
use crate::engine::Engine;
use crate::journal::JournalSink;
use crate::scoreboard::Scoreboard;

/// What step 1 (sync) derives from its inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyncFigures {
    pub capacity: Capacity,
    pub b_funded: Vec<bool>,
    pub sizing: LoopSizing,
    /// The next entries' estimate with the sizing's entry floor and ancillary share.
    pub next_entries: Wide,
}

/// The inputs of a memoized figure that the revision does not cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MemoKey {
    pub rev: u64,
    pub balances: Balances,
    pub open_orders: usize,
    pub mark: Price,
    /// The loop sizing the figure reads (step 7's); step 1 forms it and reads none.
    pub sizing: LoopSizing,
}

/// What the loop reads from the slots and the tracked orders alone, whatever the mark.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SlotFigures {
    /// Per slot: may it place a buy entry now (not short-only, its B trade flat, no buy
    /// entry resting).
    pub buy_ready: Vec<bool>,
    pub buy_ready_count: u32,
    /// The quote the tracked buys commit: Σ price × unfilled volume, saturating at the
    /// largest quote (beyond it only with a mark `mark_fits` refuses).
    pub committed_buys: Quote,
    /// Per slot: the marks at which its price tick is quiet, and whether its timer tick is.
    pub quiet: Vec<(QuietBand, bool)>,
}

/// The next entries' estimate is keyed on the revision, the entry floor and the
/// ancillary share it is formed with.
type NextEntriesKey = (u64, Quote, Quote);

#[derive(Clone, Debug)]
pub(crate) struct LoopMemo {
    /// Off: every figure is recomputed (the reference the tests compare against).
    pub enabled: bool,
    /// Figures served from the memo.
    pub hits: u64,
    sync: Option<(MemoKey, SyncFigures)>,
    scoreboard: Option<(MemoKey, Scoreboard)>,
    attribution: Option<((MemoKey, Scoreboard), LeakAttribution)>,
    base_runway: Option<(MemoKey, Wide)>,
    slots: Option<(u64, SlotFigures)>,
    next_entries: Option<(NextEntriesKey, Wide)>,
}

impl Default for LoopMemo {
    fn default() -> Self {
        LoopMemo {
            enabled: true,
            hits: 0,
            sync: None,
            scoreboard: None,
            attribution: None,
            base_runway: None,
            slots: None,
            next_entries: None,
        }
    }
}

impl<V: Venue, J: JournalSink> Engine<V, J> {
    /// Something a memoized figure may read has changed (see the module docs).
    pub(crate) fn touch(&mut self) {
        self.rev = self.rev.wrapping_add(1);
    }

    /// The key of a figure formed now with `sizing`.
    pub(crate) fn memo_key(&self, sizing: LoopSizing) -> MemoKey {
        MemoKey {
            rev: self.rev,
            balances: self.venue.balances(),
            open_orders: self.venue.open_order_count(),
            mark: self.mark,
            sizing,
        }
    }

    /// Step 1's figures, as the loop holds them.
    pub(crate) fn sync_figures_in_force(&self) -> SyncFigures {
        SyncFigures {
            capacity: self.capacity,
            b_funded: self.b_funded.clone(),
            sizing: self.sizing,
            next_entries: self.next_entries_sum(self.sizing.floor, self.sizing.ancillary_share),
        }
    }

    /// Put step 1's figures for `key` in force when they are memoized (without
    /// allocating); whether they were.
    pub(crate) fn serve_sync(&mut self, key: &MemoKey) -> bool {
        let Some((k, figures)) = &self.memo.sync else {
            return false;
        };
        if k != key {
            return false;
        }
        self.capacity = figures.capacity;
        self.sizing = figures.sizing;
        self.b_funded.clone_from(&figures.b_funded);
        let next_entries = figures.next_entries;
        self.remember_next_entries(self.sizing.floor, self.sizing.ancillary_share, next_entries);
        self.memo.hits = self.memo.hits.saturating_add(1);
        true
    }

    /// Remember the figures in force, whose next entries' estimate is `next_entries`, as
    /// step 1's for `key`.
    pub(crate) fn remember_sync(&mut self, key: MemoKey, next_entries: Wide) {
        if !self.memo.enabled {
            return;
        }
        self.remember_next_entries(self.sizing.floor, self.sizing.ancillary_share, next_entries);
        match &mut self.memo.sync {
            Some((k, figures)) => {
                *k = key;
                figures.capacity = self.capacity;
                figures.sizing = self.sizing;
                figures.b_funded.clone_from(&self.b_funded);
                figures.next_entries = next_entries;
            }
            None => {
                let figures = SyncFigures {
                    capacity: self.capacity,
                    b_funded: self.b_funded.clone(),
                    sizing: self.sizing,
                    next_entries,
                };
                self.memo.sync = Some((key, figures));
            }
        }
    }

    /// The figure in `cell` when its key is `key`, or `compute`d and remembered there. A
    /// debug build recomputes a served figure and panics if it differs.
    fn memoized<K: PartialEq, T: Clone + PartialEq + std::fmt::Debug>(
        &mut self,
        key: K,
        cell: fn(&mut LoopMemo) -> &mut Option<(K, T)>,
        compute: fn(&Self) -> T,
    ) -> T {
        if let Some((k, figure)) = cell(&mut self.memo) {
            if *k == key {
                let figure = figure.clone();
                debug_assert_eq!(figure, compute(self), "{STALE}");
                self.memo.hits = self.memo.hits.saturating_add(1);
                return figure;
            }
        }
        let figure = compute(self);
        if self.memo.enabled {
            *cell(&mut self.memo) = Some((key, figure.clone()));
        }
        figure
    }

    /// Bring the slot figures up to the revision (recomputed in place when it moved).
    pub(crate) fn refresh_slot_figures(&mut self) {
        if !self.memo.enabled {
            return;
        }
        if let Some((rev, figures)) = &self.memo.slots {
            if *rev == self.rev {
                debug_assert_eq!(*figures, self.compute_slot_figures(), "{STALE}");
                self.memo.hits = self.memo.hits.saturating_add(1);
                return;
            }
        }
        let mut figures = self.memo.slots.take().map(|(_, f)| f).unwrap_or_default();
        self.slot_figures_into(&mut figures);
        self.memo.slots = Some((self.rev, figures));
    }

    /// The slot figures when they are at the revision (never with the memo off: its
    /// readers then compute what they read afresh).
    pub(crate) fn fresh_slot_figures(&self) -> Option<&SlotFigures> {
        match &self.memo.slots {
            Some((rev, figures)) if *rev == self.rev && self.memo.enabled => Some(figures),
            _ => None,
        }
    }

    /// The slot figures computed afresh.
    pub(crate) fn compute_slot_figures(&self) -> SlotFigures {
        let mut figures = SlotFigures::default();
        self.slot_figures_into(&mut figures);
        figures
    }

    /// The next entries' estimate with `floor` and `share`: remembered when it is formed
    /// with the revision in force (step 1 forms it; the base runway and step 7 read it).
    pub(crate) fn next_entries_sum(&self, floor: Quote, share: Quote) -> Wide {
        let key = (self.rev, floor, share);
        if let Some((k, sum)) = &self.memo.next_entries {
            if *k == key {
                debug_assert_eq!(*sum, self.compute_next_entries(floor, share), "{STALE}");
                return *sum;
            }
        }
        self.compute_next_entries(floor, share)
    }

    /// Remember the next entries' estimate with `floor` and `share` at this revision.
    pub(crate) fn remember_next_entries(&mut self, floor: Quote, share: Quote, sum: Wide) {
        if self.memo.enabled {
            self.memo.next_entries = Some(((self.rev, floor, share), sum));
        }
    }

    /// The scoreboard now.
    pub(crate) fn scoreboard_now(&mut self) -> Scoreboard {
        self.refresh_slot_figures();
        let key = self.memo_key(self.sizing);
        self.memoized(key, |m| &mut m.scoreboard, Self::compute_scoreboard)
    }

    /// The governor's base runway floor.
    pub(crate) fn base_runway_now(&mut self) -> Wide {
        let key = self.memo_key(self.sizing);
        self.memoized(key, |m| &mut m.base_runway, Self::base_runway)
    }

    /// The leak attribution at the current scoreboard.
    pub(crate) fn attribution_now(&mut self) -> LeakAttribution {
        let key = (self.memo_key(self.sizing), self.scoreboard);
        self.memoized(key, |m| &mut m.attribution, Self::leak_attribution)
    }
}

#[cfg(test)]
#[path = "memo_tests.rs"]
mod tests;

/// The panic message of a debug build's memo check.
pub(crate) const STALE: &str =
    "loop memo served a stale figure: a change did not call Engine::touch (see memo.rs)";
