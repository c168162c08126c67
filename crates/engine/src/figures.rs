//! Step 1's figures — capacity, the B allocation and the loop sizing — and what they and
//! step 7 read from the slots: which slots are buy-ready, the quote the resting buys
//! commit, and the next entries' estimate.
//!
//! Invariant: every figure here is a pure function of the engine's state (balances, open
//! orders, slots, tracked orders, mark, configuration); the memo (`memo`) only decides
//! whether it is computed again, never what it is.

use flywheel_capital::funds;
use flywheel_core::{Fixed, Quote, Rounding, Side, Wide};
use flywheel_grid::{Event, OrderRef, PairState, Phase, Role};
use flywheel_venue::{Balances, Venue};

use crate::capacity::capacity;
use crate::engine::Engine;
use crate::journal::JournalSink;
use crate::memo::{SlotFigures, SyncFigures};
use crate::sizing::{
    allocate_b, entry_floor, governor_runway, legacy_b_size, order_size_usd, pool_b, Deployable,
    LoopSizing,
};

impl<V: Venue, J: JournalSink> Engine<V, J> {
    /// Step 1's figures from the balances, the open orders and the slots at the mark; an
    /// error when half a lot at the mark is beyond exact arithmetic.
    pub(crate) fn sync_figures(
        &self,
        bal: &Balances,
    ) -> Result<SyncFigures, flywheel_core::FixedError> {
        let margin = funds::rounding_margin(self.mark, self.venue.instrument().lot)?;
        Ok(self.sync_figures_with(bal, margin))
    }

    pub(crate) fn sync_figures_with(&self, bal: &Balances, margin: Quote) -> SyncFigures {
        let owned;
        let slots = match self.fresh_slot_figures() {
            Some(figures) => figures,
            None => {
                owned = self.compute_slot_figures();
                &owned
            }
        };
        let open = u32::try_from(self.venue.open_order_count()).unwrap_or(u32::MAX);
        let capacity = capacity(&self.cfg, open);
        let fee = self.venue.instrument().maker_fee_pct;
        let buy_ready = slots.buy_ready_count;
        // The entry floor at the mark, formed once: the sizing, the next entries' estimate
        // and (as the smallest B entry) the pooling all read it.
        let mut sizing = LoopSizing::new(&self.cfg, Default::default(), self.mark);
        sizing.ancillary_share = self.ancillary_share();
        let next_entries = self.next_entries_sum(sizing.floor, sizing.ancillary_share);
        // Seed 000 meets seed 001 here: the B allocation keeps the runway the governor
        // targets back (its runway floor at this mark plus its target idle share of the
        // quote balance) and deploys the rest.
        let runway = if self.governor.cfg.enabled && self.cfg.quote_first_allocation {
            governor_runway(
                self.governor.cfg.target_idle_pct,
                bal.quote.total,
                saturated(next_entries),
            )
        } else {
            Quote::ZERO
        };
        let free = bal.free_quote();
        let deployable = Deployable {
            free,
            buffer: self.cfg.allocation_safety_buffer_usd,
            runway,
            fee_pct: fee,
            margin,
        };
        // Patch F pools scarce quote into as many valid B entries as it funds; without the
        // patches every buy-ready slot gets its even share, placeable or not.
        sizing.b = if self.leak.cfg.cascade_breaker() && self.mark.is_positive() {
            // The smallest B entry is the entry floor whether or not the floor sizes entries.
            let min_b = if self.cfg.entry_floor_enabled {
                sizing.floor
            } else {
                entry_floor(&self.cfg, self.mark)
            };
            pool_b(&deployable, buy_ready, min_b)
        } else {
            allocate_b(&deployable, buy_ready)
        };
        // The first `funded` buy-ready slots (slot order) take the shares; the rest wait.
        let mut rank = 0u32;
        let funded = sizing.b.funded;
        let b_funded = slots
            .buy_ready
            .iter()
            .map(|&ready| {
                !ready || {
                    rank += 1;
                    rank <= funded
                }
            })
            .collect();
        sizing.rounding_margin = margin;
        sizing.floor_exempt_b = self.leak.cfg.floor_exempt_b();
        sizing.legacy_b = legacy_b_size(self.cfg.order_size_usd, free, self.cfg.slots);
        SyncFigures {
            capacity,
            b_funded,
            sizing,
            next_entries,
        }
    }

    /// The scoreboard's `usd_next_entries_estimate` under `sizing`: Σ over slots of the
    /// generic order size (the A formula with the entry floor), saturating at the largest
    /// quote (beyond it only with a mark `mark_fits` refuses).
    pub(crate) fn next_entries_at(&self, sizing: &LoopSizing) -> Quote {
        saturated(self.next_entries_sum(sizing.floor, sizing.ancillary_share))
    }

    /// Σ over slots of the generic order size with the entry floor `floor` and the
    /// ancillary share `share` — which is all of the loop sizing that size reads (it reads
    /// no B allocation). A Wide sum: every slot's size can be near the top of the range.
    pub(crate) fn compute_next_entries(&self, floor: Quote, share: Quote) -> Wide {
        let sizing = LoopSizing {
            floor,
            ancillary_share: share,
            ..LoopSizing::default()
        };
        self.slots
            .iter()
            .map(|s| {
                Wide::from(order_size_usd(
                    &self.cfg,
                    None,
                    s.state.compounding_profit(),
                    &sizing,
                ))
            })
            .sum()
    }

    /// Fill `figures` from the slots and the tracked orders (re-using its buffer).
    pub(crate) fn slot_figures_into(&self, figures: &mut SlotFigures) {
        figures.buy_ready.clear();
        figures
            .buy_ready
            .extend(self.slots.iter().map(|s| is_buy_ready(&s.state)));
        let ready = figures.buy_ready.iter().filter(|&&r| r).count();
        figures.buy_ready_count = u32::try_from(ready).unwrap_or(u32::MAX);
        figures.committed_buys = self.committed_buys();
        figures.quiet.clear();
        // The timer's quiet test reads no time (see `PairState::is_quiet`).
        let timer = Event::TimerTick {
            timestamp: self.now,
        };
        figures.quiet.extend(self.slots.iter().map(|s| {
            let sticky = s.sticky || !self.cfg.recovery_orders_enabled;
            let band = s.state.quiet_band(&self.cfg);
            (band, s.state.is_quiet(&timer, &self.cfg, sticky))
        }));
    }

    /// Σ price × unfilled volume over the tracked buys, saturating at the largest quote:
    /// beyond the range only with a mark `mark_fits` refuses, and saturating reads as "no
    /// idle USD" — the conservative side, never as zero committed.
    pub(crate) fn committed_buys(&self) -> Quote {
        // Wide: no single order overflows (the venue holds its funds), but the sum is
        // formed across every order and slot.
        let mut committed = Wide::ZERO;
        for t in self.tracks.values() {
            if t.side == Side::Buy {
                let s = &self.slots[t.slot].state;
                let (price, qty) = match t.target {
                    OrderRef::Slot(id) => s
                        .find_order(id)
                        .map(|o| (o.price, o.volume))
                        .unwrap_or_default(),
                    OrderRef::Recovery(id) => s
                        .find_recovery(id)
                        .map(|r| (r.price, r.volume))
                        .unwrap_or_default(),
                };
                let left = (qty - t.cum_qty).fixed();
                committed += Wide::product(price.fixed(), left, Rounding::HalfEven);
            }
        }
        saturated(committed)
    }
}

/// A Wide sum as a quote, saturating at the largest one.
fn saturated(sum: Wide) -> Quote {
    Quote::new(sum.to_fixed().unwrap_or(Fixed::MAX))
}

/// A slot that may place a buy entry now: not short-only, no resting buy entry, and in a
/// phase whose B trade is flat (S0 or S1a).
fn is_buy_ready(s: &PairState) -> bool {
    !s.short_only
        && matches!(s.phase(), Phase::S0 | Phase::S1a)
        && !s
            .orders
            .iter()
            .any(|o| o.role == Role::Entry && o.side == Side::Buy && o.txid.is_some())
}
