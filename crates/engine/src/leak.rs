//! Seed 001's USD-leak patches in the loop: the B-side restoration sweep (Patch A, with
//! Patch F's order and cap), the degrade cooldown (A), the rounding-residual recycler's
//! bookkeeping (B), B-side failure telemetry (D), and the leak attribution. The rules are
//! the pure `flywheel_capital` modules (`restoration`, `funds`, `telemetry`,
//! `attribution`); this module gathers their inputs from the slots and the venue.
//!
//! - **Restoration** (once per loop, after the balance sync) is the one path by which a
//!   balance-degraded slot (short-only because a B entry could not be funded; in S0 or S1a)
//!   gets its B entry back. With the patches on it follows the seed's rules (cooldown, LIFO,
//!   cap, one minimum B entry funded each); with them off, the origin's auto-repair rules.
//!   It counts a recovery only when the restored B entry rests at the venue.
//! - **Degrade cooldown**: a slot restored less than the cooldown ago is not made short-only
//!   by a failed B entry; the entry becomes pending and is retried.
//! - **Failure telemetry**: B-entry failures by reason, recoveries, over a rolling 24 h.

use std::collections::BTreeMap;

use flywheel_capital::attribution::{attribute, Observed};
use flywheel_capital::funds;
use flywheel_capital::restoration::{restoration_order, Budget, Candidate, Rules};
use flywheel_capital::telemetry::BSideTelemetry;
use flywheel_capital::{LeakAttribution, LeakTotals};
use flywheel_core::{Quote, Ratio, Rounding, Timestamp, TradeId, Wide};
use flywheel_grid::{ModeSource, OrderSizes, Phase, Role};
use flywheel_venue::Venue;
use serde::{Deserialize, Serialize};

use crate::config::LeakConfig;
use crate::engine::Engine;
use crate::journal::{JournalRecord, JournalSink, Source};

/// Patch state of the engine.
#[derive(Clone, Debug, Default)]
pub(crate) struct LeakState {
    pub cfg: LeakConfig,
    /// Per slot: when it last became balance-degraded / was last restored.
    pub degraded_at: Vec<Option<Timestamp>>,
    pub restored_at: Vec<Option<Timestamp>>,
    /// Per slot: the B size last handed to the reducer (the budget the residual is from).
    pub last_b_budget: Vec<Quote>,
    /// Per slot: a B entry is waiting for size (so a failure is counted once per wait).
    pub b_waiting: Vec<bool>,
    pub telemetry: BSideTelemetry,
}

impl LeakState {
    pub fn new(cfg: LeakConfig, slots: usize) -> Self {
        LeakState {
            cfg,
            degraded_at: vec![None; slots],
            restored_at: vec![None; slots],
            last_b_budget: vec![Quote::ZERO; slots],
            b_waiting: vec![false; slots],
            ..LeakState::default()
        }
    }

    pub fn record_failure(&mut self, reason: &'static str, now: Timestamp) {
        self.telemetry.record_failure(reason, now);
    }

    /// Inside the degrade cooldown that follows `at`?
    pub fn within_cooldown(&self, at: Option<Timestamp>, now: Timestamp) -> bool {
        flywheel_capital::restoration::within_cooldown(self.cfg.cooldown_sec(), at, now)
    }

    pub fn totals(&self) -> &LeakTotals {
        &self.telemetry.totals
    }

    pub fn totals_mut(&mut self) -> &mut LeakTotals {
        &mut self.telemetry.totals
    }
}

impl<V: Venue, J: JournalSink> Engine<V, J> {
    /// The free quote a B entry of `size` takes (see `funds::b_funding`).
    pub(crate) fn min_b_funding_usd(&self, size: Quote) -> Quote {
        let fee = self.venue.instrument().maker_fee_pct;
        funds::b_funding(size, fee, self.sizing.rounding_margin)
    }

    /// The smallest B entry (seed 001 §3.2): `max(order_size_usd, min_volume × price × 1.01)`.
    pub(crate) fn min_b_entry_usd(&self) -> Quote {
        funds::min_b_entry(self.cfg.order_size_usd, self.cfg.min_volume, self.mark)
    }

    /// Patch F: how many slots the quote balance keeps bilateral.
    pub(crate) fn max_bilateral_slots(&self) -> usize {
        let quote = self.venue.balances().quote.total;
        funds::max_bilateral_slots(quote, self.min_b_entry_usd(), self.slots.len())
    }

    /// A slot is balance-degraded: short-only because a B entry could not be funded.
    pub(crate) fn is_balance_degraded(&self, idx: usize) -> bool {
        let s = &self.slots[idx].state;
        s.short_only && s.mode_source == ModeSource::Balance
    }

    /// Note degradation times when a slot turns balance-degraded.
    pub(crate) fn note_degradation(&mut self, idx: usize) {
        if self.is_balance_degraded(idx) {
            if self.leak.degraded_at[idx].is_none() {
                self.leak.degraded_at[idx] = Some(self.now);
            }
        } else {
            self.leak.degraded_at[idx] = None;
        }
    }

    /// A balance-degraded slot the restoration path may serve: S0 or S1a, no B entry held
    /// or pending.
    fn restorable(&self, idx: usize) -> bool {
        let s = &self.slots[idx].state;
        self.is_balance_degraded(idx)
            && matches!(s.phase(), Phase::S0 | Phase::S1a)
            && s.b.pending_entry.is_none()
            && !s
                .orders
                .iter()
                .any(|o| o.role == Role::Entry && o.trade_id == TradeId::B)
    }

    /// The one restoration path (see the module docs and `flywheel_capital::restoration`).
    pub(crate) fn restore_balance_degraded_slots(&mut self) {
        if !self.mark.is_positive() {
            return;
        }
        let now = self.now;
        let candidates: Vec<Candidate> = (0..self.slots.len())
            .filter(|&i| self.restorable(i))
            .map(|i| Candidate {
                slot: i,
                degraded_at: self.leak.degraded_at[i],
            })
            .collect();
        if candidates.is_empty() {
            return;
        }
        self.touch();
        let patches = self.leak.cfg.recovery();
        let rules = if patches {
            let cap = self.max_bilateral_slots();
            Rules::seed(
                self.leak.cfg.cooldown_sec(),
                self.leak.cfg.cascade_breaker(),
                cap,
            )
        } else {
            Rules::origin()
        };
        let min_b = self.min_b_entry_usd();
        let bilateral = (0..self.slots.len())
            .filter(|&i| !self.slots[i].state.short_only && !self.slots[i].state.long_only)
            .count();
        // The seed funds one minimum B entry per restored slot (fee and rounding margin
        // included); the origin's auto-repair only asked for the minimum order cost, and the
        // fund guard then refused what the free quote could not hold.
        let funding = if patches {
            self.min_b_funding_usd(min_b)
        } else {
            self.min_cost()
        };
        let mut budget = Budget {
            available: self.loop_free_quote,
            funding,
            bilateral,
            cap: rules.cap,
        };
        for idx in restoration_order(&candidates, now, &rules) {
            if !budget.admits() {
                break;
            }
            let size = if patches {
                min_b
            } else {
                self.sizes_for(idx, false).b
            };
            if self.restore_b(idx, size) {
                budget.spend();
            }
            if !patches {
                // The origin re-read the free quote per slot; spending happened in placing.
                budget.available = self.loop_free_quote;
            }
        }
    }

    /// Clear the degradation of slot `idx` and place its B entry at `size`. Whether the
    /// slot is bilateral again with its B entry resting.
    fn restore_b(&mut self, idx: usize, size: Quote) -> bool {
        self.leak.last_b_budget[idx] = size;
        let Some(actions) = self.reopen_entry(idx, TradeId::B, OrderSizes::both(size)) else {
            return false;
        };
        let now = self.now;
        if self.journal.enabled() {
            let slot = self.slots[idx].id;
            self.journal.record(&JournalRecord::ModeChange {
                ts: now,
                slot,
                long_only: false,
                short_only: false,
                why: "b_side_recovery",
            });
        }
        self.execute(idx, actions, Source::AutoRepair);
        self.normalize_mode(idx);
        self.note_degradation(idx);
        self.validate(idx);
        // A recovery is a B entry resting at the venue, not an attempt.
        let rests = self.slots[idx]
            .state
            .orders
            .iter()
            .any(|o| o.trade_id == TradeId::B && o.role == Role::Entry && o.txid.is_some());
        if rests {
            self.leak.restored_at[idx] = Some(now);
            self.leak.telemetry.record_recovery(now);
        }
        rests && !self.slots[idx].state.short_only
    }

    /// Account `n` identical loops' balance-degraded slot-time and idle-USD attribution
    /// (the first lasted `dt0` ms, the others `iv`).
    pub(crate) fn leak_account_run(&mut self, n: u64, dt0: i64, iv: i64) {
        let degraded = (0..self.slots.len())
            .filter(|&i| self.is_balance_degraded(i))
            .count() as i64;
        // Whole seconds per loop, as one loop at a time would count them.
        let rest = i64::try_from(n - 1).unwrap_or(i64::MAX);
        let secs =
            (degraded * dt0 / 1000).saturating_add((degraded * iv / 1000).saturating_mul(rest));
        let t = self.leak.totals_mut();
        t.balance_degraded_slot_seconds = t.balance_degraded_slot_seconds.saturating_add(secs);
        t.attribution_loops += n;
        if self.scoreboard.idle_usd.is_positive() {
            let a = self.attribution_now();
            self.leak.totals_mut().attribution_sum.add(&a, n);
        }
    }

    pub fn leak_totals(&self) -> &LeakTotals {
        self.leak.totals()
    }

    /// Whether the entry floor lifted the slot's B size above its own share.
    pub(crate) fn b_floor_inflates(&self, idx: usize) -> bool {
        if self.sizing.floor_exempt_b || !self.cfg.entry_floor_enabled {
            return false;
        }
        let profit = self.slots[idx].state.compounding_profit();
        let unfloored = crate::sizing::LoopSizing {
            floor: Quote::ZERO,
            ..self.sizing
        };
        let share = crate::sizing::order_size_usd(&self.cfg, Some(TradeId::B), profit, &unfloored);
        self.sizing.floor > share
    }

    /// Patch B: after a B entry is placed, keep what its budget did not spend (volume
    /// rounding) for the slot's next B order; at most a quarter of the budget.
    pub(crate) fn note_b_residual(
        &mut self,
        idx: usize,
        price: flywheel_core::Price,
        qty: flywheel_core::Qty,
    ) {
        if !self.leak.cfg.residual() || self.cfg.quote_first_allocation {
            return;
        }
        let budget = self.leak.last_b_budget[idx];
        let spent = price.notional(qty, Rounding::Ceil).unwrap_or(budget);
        let cap = budget
            .scale(Ratio::lit(25, 2), 9, Rounding::Floor)
            .unwrap_or_default();
        self.slots[idx].b_residual_usd = (budget - spent).max(Quote::ZERO).min(cap);
    }

    /// The B size with the rounding residual the slot carries (Patch B), never more than the
    /// quote that is free.
    ///
    /// Under quote-first allocation the carry is not added: the unspent quote is still free
    /// and the next loop's split already hands it out, so adding it again would count the
    /// same quote twice (the origin's carry defect) and push the slot's order past its share
    /// (measured: 61 fund-guard failures instead of 11 on the April–May month).
    pub(crate) fn with_residual(&self, idx: usize, b: Quote) -> Quote {
        if !self.leak.cfg.residual() || self.cfg.quote_first_allocation {
            return b;
        }
        let r = self.slots[idx].b_residual_usd;
        if !r.is_positive() || !b.is_positive() {
            return b;
        }
        (b + r).min(self.loop_free_quote.max(b))
    }
}

/// `b_side_health` (seed 001 §6.3 / §15).
#[derive(Clone, Debug, Serialize)]
pub struct BSideHealth {
    pub failures_24h: BTreeMap<&'static str, u64>,
    pub balance_degraded_slots: usize,
    pub max_bilateral_slots: usize,
    pub recoveries_24h: u64,
    pub ancillary_profit_usd: Quote,
}

/// `quote_first_allocation` (seed 001 §15).
#[derive(Clone, Debug, Serialize)]
pub struct QuoteFirstStatus {
    pub enabled: bool,
    pub buy_ready_slots: u32,
    /// Buy-ready slots funded this loop (fewer when scarce quote was pooled: patch F).
    pub funded_slots: u32,
    /// Free quote less the safety buffer.
    pub deployable_usd: Quote,
    /// Whole-cent remainder of the split (stays free; never re-added).
    pub carry_usd: Quote,
    /// Per-slot share × funded slots.
    pub allocated_usd: Quote,
    /// Deployable quote no share covers (carry plus the fee and rounding headroom).
    pub unallocated_spendable_usd: Quote,
}

/// `ancillary_profit` (seed 001 §5.3).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AncillaryProfit {
    pub ranger_usd: Quote,
    pub churner_usd: Quote,
    pub total_lifetime_usd: Quote,
}

/// The "B-Side Health" card (seed 001 §6.4).
#[derive(Clone, Debug, Serialize)]
pub struct BSideCard {
    pub text: String,
    /// `green`, `amber` (some slot balance-degraded) or `red` (more than half).
    pub color: &'static str,
}

impl<V: Venue, J: JournalSink> Engine<V, J> {
    pub fn b_side_health(&self) -> BSideHealth {
        BSideHealth {
            failures_24h: self.leak.telemetry.failures_24h(self.now),
            balance_degraded_slots: (0..self.slots.len())
                .filter(|&i| self.is_balance_degraded(i))
                .count(),
            max_bilateral_slots: self.max_bilateral_slots().min(self.slots.len()),
            recoveries_24h: self.leak.telemetry.recoveries_24h(self.now),
            ancillary_profit_usd: self.ancillary.total_lifetime_usd,
        }
    }

    pub fn quote_first_status(&self) -> QuoteFirstStatus {
        let b = &self.sizing.b;
        let deployable = (b.available - self.cfg.allocation_safety_buffer_usd).max(Quote::ZERO);
        // Only the funded slots take a share (all buy-ready ones unless quote was pooled).
        let n = Quote::from_int(i64::from(b.funded.min(b.buy_ready))).unwrap_or_default();
        let allocated = b
            .per_slot
            .fixed()
            .mul_round(n.fixed(), 9, Rounding::Floor)
            .map(Quote::new)
            .unwrap_or_default();
        QuoteFirstStatus {
            enabled: self.cfg.quote_first_allocation,
            buy_ready_slots: b.buy_ready,
            funded_slots: b.funded.min(b.buy_ready),
            deployable_usd: deployable,
            carry_usd: b.carry,
            allocated_usd: allocated,
            unallocated_spendable_usd: (deployable - allocated).max(Quote::ZERO),
        }
    }

    pub fn ancillary_profit(&self) -> AncillaryProfit {
        self.ancillary.clone()
    }

    pub fn b_side_card(&self) -> BSideCard {
        let h = self.b_side_health();
        let f = &h.failures_24h;
        let n = self.slots.len();
        let last = match self.leak.telemetry.last_recovery {
            Some(t) => format!("{}m ago", self.now.millis_since(t) / 60_000),
            None => "never".to_string(),
        };
        let text = format!(
            "B-Side Health\n  Fund guard blocks: {} | Floor blocks: {} | Degraded slots: {}/{}\n  Last recovery: {last}",
            f.get("fund_guard").copied().unwrap_or(0),
            f.get("entry_floor").copied().unwrap_or(0),
            h.balance_degraded_slots,
            n
        );
        let color = if h.balance_degraded_slots * 2 > n {
            "red"
        } else if h.balance_degraded_slots > 0 {
            "amber"
        } else {
            "green"
        };
        BSideCard { text, color }
    }

    /// The part of the governor's runway the scoreboard counts as idle: the runway less its
    /// `1.5 × next entries` (which the scoreboard counts as runway floor).
    fn planned_idle(&self) -> Quote {
        let floor = self
            .scoreboard
            .usd_next_entries_estimate
            .scale(Ratio::lit(15, 1), 2, Rounding::Ceil)
            .unwrap_or(funds::UNAFFORDABLE);
        (self.sizing.b.runway - floor).max(Quote::ZERO)
    }

    /// Split this loop's idle USD by observed cause (see `flywheel_capital::attribution`).
    pub fn leak_attribution(&self) -> LeakAttribution {
        let min_b = self.min_b_entry_usd();
        let mut o = Observed {
            idle_usd: self.scoreboard.idle_usd,
            quote_first: self.cfg.quote_first_allocation,
            ancillary_profit: self.ancillary.total_lifetime_usd,
            ancillary_reinvested: self.sizing.ancillary_share.is_positive(),
            deployable: (self.venue.balances().free_quote()
                - self.cfg.allocation_safety_buffer_usd
                - self.sizing.b.runway)
                .max(Quote::ZERO),
            buy_ready: self.sizing.b.buy_ready,
            planned_idle: self.planned_idle(),
            ..Observed::default()
        };
        for idx in 0..self.slots.len() {
            let s = &self.slots[idx].state;
            let has_b = s.orders.iter().any(|o| o.trade_id == TradeId::B);
            let wants_b = self.is_balance_degraded(idx) || s.b.pending_entry.is_some();
            if has_b || !wants_b {
                continue;
            }
            // The entry it would place: its own size, at least the smallest valid one.
            let size = Wide::from(self.sizes_for(idx, false).b.max(min_b));
            if self.b_floor_inflates(idx) {
                o.floor_inflated_b += size;
            } else {
                o.blocked_b += size;
                o.blocked_count += 1;
            }
        }
        o.settled_vs_profit_gap = self
            .slots
            .iter()
            .map(|s| {
                Wide::from((s.state.total_settled_usd - s.state.total_profit).max(Quote::ZERO))
            })
            .sum();
        o.residuals = self
            .slots
            .iter()
            .map(|s| Wide::from(s.b_residual_usd))
            .sum();
        let st = &self.stats;
        let rate = self.cfg.maker_fee_pct.percent().map(|r| r.fixed());
        let estimated = rate
            .and_then(|r| (st.quote_spent + st.quote_received).mul_fixed(r, Rounding::HalfEven));
        // Capped at the idle USD it explains, so it fits a Quote whenever idle does. The
        // estimate fails only past the i128 range (saturated flows): then nothing is
        // attributed to fees and the idle USD stays `unexplained`.
        o.fee_overshoot = estimated
            .map(|e| (e - st.fees_paid).max(Wide::ZERO))
            .and_then(|x| x.min(o.idle_usd.fixed().into()).to_fixed())
            .map(Quote::new)
            .unwrap_or(Quote::ZERO);
        attribute(&o)
    }
}

#[cfg(test)]
#[path = "leak_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "restoration_tests.rs"]
mod restoration_tests;
