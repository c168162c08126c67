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

use flywheel_capital::sizing::LoopSizing;
use flywheel_capital::LeakAttribution;
use flywheel_core::{Price, Wide};
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
        self.memo.hits = self.memo.hits.saturating_add(1);
        true
    }

    /// Remember the figures in force as step 1's for `key`.
    pub(crate) fn remember_sync(&mut self, key: MemoKey) {
        if !self.memo.enabled {
            return;
        }
        match &mut self.memo.sync {
            Some((k, figures)) => {
                *k = key;
                figures.capacity = self.capacity;
                figures.sizing = self.sizing;
                figures.b_funded.clone_from(&self.b_funded);
            }
            None => self.memo.sync = Some((key, self.sync_figures_in_force())),
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

    /// The scoreboard now.
    pub(crate) fn scoreboard_now(&mut self) -> Scoreboard {
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
