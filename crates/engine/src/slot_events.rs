//! Applying one event to one slot: run the reducer, execute its actions (place, cancel),
//! normalise the slot's one-sided flags and check its invariants. A breach halts new entries
//! (exits and fills continue); nothing here panics.

use flywheel_core::Side;
use flywheel_grid::{check_invariants, Event, Phase, Role, SlotContext, Violation};
use flywheel_venue::Venue;

use crate::engine::{Engine, RunMode};
use crate::journal::{JournalRecord, JournalSink, Source};

impl<V: Venue, J: JournalSink> Engine<V, J> {
    /// Apply one reducer event to a slot, execute its actions, normalise and validate.
    pub(crate) fn apply_to_slot(&mut self, idx: usize, ev: &Event, source: Source) {
        let sizes = self.sizes_for(idx, source == Source::Reducer);
        self.apply_sized(idx, ev, source, sizes);
    }

    /// Whether both of a loop's ticks are quiet for slot `idx` (see
    /// [`flywheel_grid::PairState::is_quiet`]) and the sizes they would be handed are read
    /// by nobody: then [`Self::apply_quiet`] skips sizing them. The B size handed to the
    /// reducer is kept as the budget of the Patch B residual, which is read only without
    /// quote-first allocation; there the ticks are sized as always.
    pub(crate) fn ticks_are_quiet(&self, idx: usize, tick: &Event, timer: &Event) -> bool {
        if self.leak.cfg.residual() && !self.cfg.quote_first_allocation {
            return false;
        }
        let slot = &self.slots[idx];
        let sticky = slot.sticky || !self.cfg.recovery_orders_enabled;
        // A quiet price tick moves neither the orders nor the pending entries the timer's
        // test reads, so both are decided on the state before the first.
        let full = || {
            slot.state.is_quiet(tick, &self.cfg, sticky)
                && slot.state.is_quiet(timer, &self.cfg, sticky)
        };
        // At this revision the slot figures answer with two comparisons (see `memo`); a
        // mark outside the band may still be quiet (a refresh cooling down).
        let known = self.fresh_slot_figures().and_then(|f| f.quiet.get(idx));
        if let (Some(&(band, timer_quiet)), Event::PriceTick { price, .. }) = (known, tick) {
            if !timer_quiet {
                debug_assert!(!full(), "{}", crate::memo::STALE);
                return false;
            }
            if band.contains(*price) {
                debug_assert!(full(), "{}", crate::memo::STALE);
                return true;
            }
        }
        full()
    }

    /// Apply a tick [`Self::ticks_are_quiet`] vouched for: it moves only the slot's clock,
    /// mark and loss day, acts on nothing and is journaled by nobody (as in `apply_sized`).
    pub(crate) fn apply_quiet(&mut self, idx: usize, ev: &Event) {
        self.slots[idx].state.apply_quiet(ev);
    }

    /// [`Self::apply_to_slot`] with the sizes given; returns whether the event produced
    /// actions.
    pub(crate) fn apply_sized(
        &mut self,
        idx: usize,
        ev: &Event,
        source: Source,
        sizes: flywheel_grid::OrderSizes,
    ) -> bool {
        self.leak.last_b_budget[idx] = sizes.b;
        let slot = &mut self.slots[idx];
        // Without recovery orders no slot orphans its exits (spec §2.5).
        let sticky = slot.sticky || !self.cfg.recovery_orders_enabled;
        let ctx = SlotContext {
            cfg: &self.cfg,
            sticky,
            sizes,
        };
        let from = slot.state.phase();
        // Only a quiet tick leaves what the loop memo reads as it was.
        let changes = !slot.state.is_quiet(ev, &self.cfg, sticky);
        let result = slot.state.apply(ev, &ctx);
        let slot_id = slot.id;
        if changes {
            self.touch();
        }
        match result {
            Ok(actions) => {
                let quiet = actions.is_empty()
                    && matches!(ev, Event::PriceTick { .. } | Event::TimerTick { .. });
                if self.journal.enabled() && !quiet {
                    let to = self.slots[idx].state.phase();
                    self.journal.record(&JournalRecord::SlotEvent {
                        ts: self.now,
                        slot: slot_id,
                        event: ev,
                        from,
                        to,
                    });
                }
                // A tick or timer without actions changed no order (only the clock, the
                // mark, or timers): the slot's shape is as already checked.
                let acted = !actions.is_empty();
                if acted || !quiet {
                    self.execute(idx, actions, source);
                    self.normalize_mode(idx);
                    self.validate(idx);
                }
                acted
            }
            Err(e) => {
                self.stats.fill_rejects += 1;
                if self.journal.enabled() {
                    let msg = e.to_string();
                    self.journal.record(&JournalRecord::FillRejected {
                        ts: self.now,
                        slot: slot_id,
                        error: &msg,
                    });
                }
                false
            }
        }
    }

    /// Make the one-sided flags match what the slot holds (spec §2.9), counting pending
    /// entries as entries.
    pub(crate) fn normalize_mode(&mut self, idx: usize) {
        self.touch();
        let s = &mut self.slots[idx].state;
        let mut buy_entries = usize::from(s.b.pending_entry.is_some());
        let mut sell_entries = usize::from(s.a.pending_entry.is_some());
        let (mut buy_exits, mut sell_exits) = (0usize, 0usize);
        for o in &s.orders {
            match (o.role, o.side) {
                (Role::Entry, Side::Buy) => buy_entries += 1,
                (Role::Entry, Side::Sell) => sell_entries += 1,
                (Role::Exit, Side::Buy) => buy_exits += 1,
                (Role::Exit, Side::Sell) => sell_exits += 1,
            }
        }
        let entries = buy_entries + sell_entries;
        let exits = buy_exits + sell_exits;
        let (long_only, short_only) = match (exits, entries) {
            (0, 0) => (false, false),
            (1, 0) => (sell_exits == 1, buy_exits == 1),
            (2, _) => (false, false),
            (1, 1)
                if (buy_exits == 1 && buy_entries == 1)
                    || (sell_exits == 1 && sell_entries == 1) =>
            {
                (false, false)
            }
            (0, _) if buy_entries >= 1 && sell_entries >= 1 => (false, false),
            (0, _) if buy_entries >= 1 => (true, false),
            (0, _) => (false, true),
            _ => (s.long_only, s.short_only),
        };
        if (long_only, short_only) != (s.long_only, s.short_only) {
            s.long_only = long_only;
            s.short_only = short_only;
            s.mode_source = if !long_only && !short_only {
                flywheel_grid::ModeSource::None
            } else if s.mode_source == flywheel_grid::ModeSource::Regime {
                flywheel_grid::ModeSource::Regime
            } else {
                flywheel_grid::ModeSource::Balance
            };
            let slot = self.slots[idx].id;
            if self.journal.enabled() {
                self.journal.record(&JournalRecord::ModeChange {
                    ts: self.now,
                    slot,
                    long_only,
                    short_only,
                    why: "normalize",
                });
            }
        }
    }

    /// Check invariants; the only tolerated findings are the S0 shape messages of a slot
    /// that holds no exit and at most one entry (waiting for bootstrap or for size).
    pub(crate) fn validate(&mut self, idx: usize) {
        let s = &self.slots[idx].state;
        let violations = check_invariants(s);
        if violations.is_empty() {
            return;
        }
        let entries = s.orders.iter().filter(|o| o.role == Role::Entry).count()
            + usize::from(s.a.pending_entry.is_some())
            + usize::from(s.b.pending_entry.is_some());
        let s0_only = violations.iter().all(|v| {
            matches!(
                v,
                Violation::S0Shape | Violation::S0LongOnlyShape | Violation::S0ShortOnlyShape
            )
        });
        if s.phase() == Phase::S0 && entries <= 1 && s0_only {
            return;
        }
        self.stats.invariant_violations += 1;
        let slot = self.slots[idx].id;
        let reason = format!("slot {slot}: {}", violations[0]);
        if self.journal.enabled() {
            self.journal.record(&JournalRecord::InvariantViolation {
                ts: self.now,
                slot,
                violations: &violations,
            });
        }
        self.halt(&reason);
    }

    /// Lift a halt (an operator restarting the bot after dealing with its cause): entries
    /// resume; the reason it held is returned. A cause that persists halts again at its
    /// next check (the ledger at a restart, the slot invariants on the next event).
    pub fn clear_halt(&mut self) -> Option<String> {
        self.touch();
        match std::mem::replace(&mut self.mode, RunMode::Running) {
            RunMode::Halted(reason) => Some(reason),
            other => {
                self.mode = other;
                None
            }
        }
    }

    /// Stop new entries until an operator intervenes; exits, fills and cancels go on. The
    /// first reason is kept and journaled. Also the runner's: a ledger mismatch or a venue
    /// halt at a restart.
    pub fn halt(&mut self, reason: &str) {
        self.touch();
        if matches!(self.mode, RunMode::Halted(_)) {
            return;
        }
        self.mode = RunMode::Halted(reason.to_string());
        if self.journal.enabled() {
            self.journal.record(&JournalRecord::Halt {
                ts: self.now,
                reason,
            });
        }
    }
}
