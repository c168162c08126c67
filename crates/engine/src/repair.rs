//! Bootstrap of empty slots and auto-repair of one-sided ones (spec §2.9).
//!
//! Bootstrap branches, first match, with the loop's free balances (`min_cost` = the
//! instrument's minimum cost, or `min_volume × market` when there is none):
//! 1. base ≥ min volume and quote ≥ min cost → both entries (B first);
//! 2. quote < min cost and base ≥ 2 × min volume → short-only, one sell of 2 × minimum;
//! 3. base < min volume and quote ≥ 2 × min cost → long-only, one buy of 2 × minimum;
//! 4. base ≥ min volume → short-only, one sell of the minimum;
//! 5. quote ≥ min cost → long-only, one buy of the minimum;
//! 6. otherwise wait for the next loop.
//!
//! The reseed and fallback sizes carry the entry floor's 1 % margin: the origin sized them at
//! exactly `market × min_volume`, which rounds below the minimum once the sell entry is
//! priced above market (spec §9 #8).
//!
//! Auto-repair re-opens the missing side of a one-sided slot when the balance for it exists;
//! the repaired slot is two-sided again. A balance-degraded slot's missing B entry is not
//! auto-repair's: the restoration sweep (`leak`) is the one path for those.

use flywheel_core::{Quote, Ratio, Rounding, TradeId};
use flywheel_grid::{
    add_entry, bootstrap_orders, Action, ModeSource, OrderSizes, Phase, PlaceReason, Role,
    SlotContext,
};
use flywheel_venue::Venue;

use crate::engine::Engine;
use crate::journal::{JournalSink, Source};

impl<V: Venue, J: JournalSink> Engine<V, J> {
    /// Minimum cost of an order at the current mark.
    pub(crate) fn min_cost(&self) -> Quote {
        if self.cfg.min_cost_usd.is_positive() {
            self.cfg.min_cost_usd
        } else {
            // A minimum that cannot be computed is unaffordable, never zero.
            self.mark
                .notional(self.cfg.min_volume, Rounding::Ceil)
                .unwrap_or(Quote::new(flywheel_core::Fixed::MAX))
        }
    }

    /// `k` × the minimum order at the mark, with the entry floor's 1 % margin.
    fn min_order(&self, k: i64) -> Quote {
        let margin = Ratio::lit(101, 2).times(Ratio::from_int(k).unwrap_or(Ratio::ONE));
        let min = self
            .mark
            .notional(self.cfg.min_volume, Rounding::Ceil)
            .unwrap_or(Quote::new(flywheel_core::Fixed::MAX));
        margin
            .and_then(|m| min.scale(m, 9, Rounding::Ceil))
            .unwrap_or(min)
    }

    pub(crate) fn ensure_bootstrapped(&mut self, idx: usize) {
        let s = &self.slots[idx].state;
        if !s.orders.is_empty() || s.a.pending_entry.is_some() || s.b.pending_entry.is_some() {
            return;
        }
        let (base, quote) = (self.loop_free_base, self.loop_free_quote);
        let (min_vol, min_cost) = (self.cfg.min_volume, self.min_cost());
        let two_vol = min_vol + min_vol;
        let sizes = self.sizes_for(idx, false);
        let plan: (Option<TradeId>, Quote, PlaceReason) = if base >= min_vol && quote >= min_cost {
            (None, Quote::ZERO, PlaceReason::Bootstrap)
        } else if quote < min_cost && base >= two_vol {
            (Some(TradeId::A), self.min_order(2), PlaceReason::ReseedUsd)
        } else if base < min_vol && quote >= min_cost + min_cost {
            (Some(TradeId::B), self.min_order(2), PlaceReason::ReseedDoge)
        } else if base >= min_vol {
            (
                Some(TradeId::A),
                self.min_order(1),
                PlaceReason::FallbackShortOnly,
            )
        } else if quote >= min_cost {
            (
                Some(TradeId::B),
                self.min_order(1),
                PlaceReason::FallbackLongOnly,
            )
        } else {
            return;
        };
        self.touch();
        let (mark, now) = (self.mark, self.now);
        self.leak.last_b_budget[idx] = match plan {
            (None, _, _) => sizes.b,
            (_, usd, _) => usd,
        };
        let slot = &mut self.slots[idx];
        slot.state.market_price = mark;
        slot.state.now = slot.state.now.max(now);
        let actions = match plan {
            (None, _, _) => {
                let ctx = SlotContext {
                    cfg: &self.cfg,
                    sticky: slot.sticky,
                    sizes,
                };
                bootstrap_orders(&mut slot.state, &ctx)
            }
            (Some(trade), usd, reason) => {
                let ctx = SlotContext {
                    cfg: &self.cfg,
                    sticky: slot.sticky,
                    sizes: OrderSizes::both(usd),
                };
                let s = &mut slot.state;
                s.long_only = trade == TradeId::B;
                s.short_only = trade == TradeId::A;
                s.mode_source = ModeSource::Balance;
                add_entry(s, &ctx, trade, reason)
            }
        };
        if let Ok(actions) = actions {
            self.execute(idx, actions, Source::Bootstrap);
            self.normalize_mode(idx);
            self.validate(idx);
        }
    }

    pub(crate) fn auto_repair(&mut self, idx: usize) {
        let s = &self.slots[idx].state;
        if !(s.long_only || s.short_only) {
            return;
        }
        // Balance-degraded slots (S0 or S1a) get their B entry back on one path only, the
        // restoration sweep (`leak`), under the seed's rules or, patches off, the origin's.
        if self.is_balance_degraded(idx) && matches!(s.phase(), Phase::S0 | Phase::S1a) {
            return;
        }
        let has = |role: Role, side: flywheel_core::Side| {
            s.orders.iter().any(|o| o.role == role && o.side == side)
        };
        use flywheel_core::Side::{Buy, Sell};
        let (base, quote) = (self.loop_free_base, self.loop_free_quote);
        let (min_vol, min_cost) = (self.cfg.min_volume, self.min_cost());
        let trade = match s.phase() {
            Phase::S0
                if s.long_only
                    && has(Role::Entry, Buy)
                    && !has(Role::Entry, Sell)
                    && base >= min_vol =>
            {
                TradeId::A
            }
            Phase::S0
                if s.short_only
                    && has(Role::Entry, Sell)
                    && !has(Role::Entry, Buy)
                    && quote >= min_cost =>
            {
                TradeId::B
            }
            Phase::S1a if s.short_only && !has(Role::Entry, Buy) && quote >= min_cost => TradeId::B,
            Phase::S1b if s.long_only && !has(Role::Entry, Sell) && base >= min_vol => TradeId::A,
            _ => return,
        };
        if s.trade(trade).pending_entry.is_some() {
            return;
        }
        let mut sizes = self.sizes_for(idx, false);
        if trade == TradeId::B && self.leak.cfg.floor_exempt_b() {
            // A one-sided slot is not buy-ready, so the quote-first split gave it nothing,
            // and Patch E leaves that unfloored: repair with the minimum B entry.
            sizes.b = sizes.b.max(self.min_b_entry_usd());
        }
        self.leak.last_b_budget[idx] = sizes.b;
        self.touch();
        if let Some(actions) = self.reopen_entry(idx, trade, sizes) {
            self.execute(idx, actions, Source::AutoRepair);
            self.normalize_mode(idx);
            self.validate(idx);
        }
    }

    /// Clear slot `idx`'s one-sided mode and ask the reducer for its `trade` entry at
    /// `sizes` (an auto-repair placement). On refusal the mode is put back and `None`
    /// returned, so the slot is exactly as it was.
    pub(crate) fn reopen_entry(
        &mut self,
        idx: usize,
        trade: TradeId,
        sizes: OrderSizes,
    ) -> Option<Vec<Action>> {
        let slot = &mut self.slots[idx];
        let s = &mut slot.state;
        let before = (s.long_only, s.short_only, s.mode_source);
        (s.long_only, s.short_only, s.mode_source) = (false, false, ModeSource::None);
        let ctx = SlotContext {
            cfg: &self.cfg,
            sticky: slot.sticky,
            sizes,
        };
        match add_entry(&mut slot.state, &ctx, trade, PlaceReason::AutoRepair) {
            Ok(actions) => Some(actions),
            Err(_) => {
                let s = &mut slot.state;
                (s.long_only, s.short_only, s.mode_source) = before;
                None
            }
        }
    }
}
