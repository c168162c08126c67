//! Seed 001's USD-leak patches in the loop: the B-side recovery sweep (Patch A), the degrade
//! cooldown (A), the rounding-residual recycler's bookkeeping (B), B-side failure telemetry
//! (D), the cascade breaker (F), and the leak attribution.
//!
//! - **Recovery sweep** (once per loop, after the balance sync): balance-degraded short-only
//!   slots in S0 get their B entry back — most recently degraded first (F), while free quote
//!   covers one minimum B entry each (optimistic reservation) and at most
//!   `max(1, ⌊free / min B⌋)` slots are bilateral (F). A slot degraded less than the cooldown
//!   ago is left alone. The entry is placed at once at the minimum B size
//!   `max(order_size_usd, min_volume × price × 1.01)` (base size: a repair path).
//! - **Degrade cooldown**: a slot restored less than the cooldown ago is not made short-only
//!   by a failed B entry; the entry becomes pending and is retried.
//! - **Failure telemetry**: B-entry failures by reason, recoveries, over a rolling 24 h.

use std::collections::{BTreeMap, VecDeque};

use flywheel_core::{Quote, Ratio, Rounding, Timestamp, TradeId, Wide};
use flywheel_grid::{ModeSource, OrderSizes, Phase};
use flywheel_venue::Venue;
use serde::Serialize;

use crate::config::LeakConfig;
use crate::engine::Engine;
use crate::journal::{JournalRecord, JournalSink, Source};
use crate::leak_totals::LeakTotals;

/// The seed's B-entry failure reasons (§6.2). `throughput_below_min`: a B entry that could
/// not be sized at or above the exchange minimum, counted once each time a slot starts
/// waiting for size (not once per loop it waits).
pub const FAILURE_REASONS: [&str; 6] = [
    "fund_guard",
    "entry_floor",
    "capacity_gate",
    "throughput_below_min",
    "mode_degraded",
    "scheduler_deferred",
];

const DAY_MS: i64 = 86_400_000;

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
    /// B-entry failure times by reason, last 24 h.
    failures: BTreeMap<&'static str, VecDeque<Timestamp>>,
    recoveries: VecDeque<Timestamp>,
    pub last_recovery: Option<Timestamp>,
    pub totals: LeakTotals,
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

    fn prune(q: &mut VecDeque<Timestamp>, now: Timestamp) {
        while q.front().is_some_and(|t| now.millis_since(*t) >= DAY_MS) {
            q.pop_front();
        }
    }

    pub fn record_failure(&mut self, reason: &'static str, now: Timestamp) {
        let q = self.failures.entry(reason).or_default();
        Self::prune(q, now);
        q.push_back(now);
        *self
            .totals
            .b_failures
            .entry(reason.to_string())
            .or_insert(0) += 1;
    }

    /// Failures of the last 24 h by reason (every reason present, zero included).
    pub fn failures_24h(&self, now: Timestamp) -> BTreeMap<&'static str, u64> {
        FAILURE_REASONS
            .iter()
            .map(|r| {
                let n = self.failures.get(r).map_or(0, |q| {
                    q.iter().filter(|t| now.millis_since(**t) < DAY_MS).count()
                });
                (*r, n as u64)
            })
            .collect()
    }

    pub fn recoveries_24h(&self, now: Timestamp) -> u64 {
        self.recoveries
            .iter()
            .filter(|t| now.millis_since(**t) < DAY_MS)
            .count() as u64
    }

    fn record_recovery(&mut self, now: Timestamp) {
        Self::prune(&mut self.recoveries, now);
        self.recoveries.push_back(now);
        self.last_recovery = Some(now);
        self.totals.recoveries += 1;
    }

    /// Inside the cooldown that follows `at`?
    pub fn within_cooldown(&self, at: Option<Timestamp>, now: Timestamp) -> bool {
        let cd = self.cfg.cooldown_sec();
        cd > 0 && at.is_some_and(|t| !now.elapsed_at_least(t, cd))
    }
}

impl<V: Venue, J: JournalSink> Engine<V, J> {
    /// The free quote a B entry of `size` takes: its notional, the maker fee the venue
    /// holds with it, and half a lot of volume rounding at the mark (as `allocate_b`
    /// reserves them). Unaffordable (the largest quote) when it cannot be computed.
    pub(crate) fn min_b_funding_usd(&self, size: Quote) -> Quote {
        let fee = size.pct_of(self.venue.instrument().maker_fee_pct, Rounding::Ceil);
        fee.and_then(|f| size.checked_add(f))
            .and_then(|s| s.checked_add(self.sizing.rounding_margin))
            .unwrap_or(Quote::new(flywheel_core::Fixed::MAX))
    }

    /// The smallest B entry (seed 001 §3.2): `max(order_size_usd, min_volume × price × 1.01)`.
    pub(crate) fn min_b_entry_usd(&self) -> Quote {
        let floor = self
            .mark
            .notional(self.cfg.min_volume, Rounding::Ceil)
            .and_then(|n| n.scale(Ratio::lit(101, 2), 9, Rounding::Ceil))
            // Unreachable for a mark `mark_fits` accepted; if it ever fails, the minimum is
            // unaffordable, never zero.
            .unwrap_or(Quote::new(flywheel_core::Fixed::MAX));
        self.cfg.order_size_usd.max(floor)
    }

    /// Patch F: how many slots the quote balance can keep bilateral. The seed divides the
    /// *available* quote, which excludes what resting buys hold; but those buys are what keep
    /// the bilateral slots bilateral, so counting them out would cap restoration at one slot
    /// whenever the quote is deployed. The quote balance (free + held) is the support.
    pub(crate) fn max_bilateral_slots(&self) -> usize {
        let min_b = self.min_b_entry_usd();
        if !min_b.is_positive() {
            return self.slots.len();
        }
        let n = self
            .venue
            .balances()
            .quote
            .total
            .fixed()
            .div_round(min_b.fixed(), 0, Rounding::Floor)
            .map(|x| x.raw() / flywheel_core::fixed::SCALE)
            .unwrap_or(0);
        usize::try_from(n.max(1)).unwrap_or(usize::MAX)
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

    /// Patch A's sweep (see the module docs).
    pub(crate) fn recover_balance_degraded_slots(&mut self) {
        if !self.leak.cfg.recovery() || !self.mark.is_positive() {
            return;
        }
        let min_b = self.min_b_entry_usd();
        // What placing it takes from the free quote: the fee the venue holds with a buy and
        // half a lot of volume rounding on top (as the B allocation reserves).
        let funding = self.min_b_funding_usd(min_b);
        let mut available = self.loop_free_quote;
        if available < funding {
            return;
        }
        let now = self.now;
        let mut candidates: Vec<(Timestamp, usize)> = (0..self.slots.len())
            .filter(|&i| self.is_balance_degraded(i) && self.slots[i].state.phase() == Phase::S0)
            .filter(|&i| !self.leak.within_cooldown(self.leak.degraded_at[i], now))
            .map(|i| (self.leak.degraded_at[i].unwrap_or(now), i))
            .collect();
        // Patch F: most recently degraded first (then the lower slot id).
        candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let cap = if self.leak.cfg.cascade_breaker() {
            self.max_bilateral_slots()
        } else {
            usize::MAX
        };
        let mut bilateral = (0..self.slots.len())
            .filter(|&i| !self.slots[i].state.short_only && !self.slots[i].state.long_only)
            .count();
        for (_, idx) in candidates {
            if available < funding || bilateral >= cap {
                break;
            }
            if self.restore_b(idx, min_b) {
                available -= funding;
                bilateral += 1;
            }
        }
    }

    /// Clear the degradation of slot `idx` and place its B entry at `size`.
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
        let rests = self.slots[idx].state.orders.iter().any(|o| {
            o.trade_id == TradeId::B && o.role == flywheel_grid::Role::Entry && o.txid.is_some()
        });
        if rests {
            self.leak.restored_at[idx] = Some(now);
            self.leak.record_recovery(now);
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
        let t = &mut self.leak.totals;
        t.balance_degraded_slot_seconds = t.balance_degraded_slot_seconds.saturating_add(secs);
        t.attribution_loops += n;
        if self.scoreboard.idle_usd.is_positive() {
            let a = self.leak_attribution();
            self.leak.totals.attribution_sum.add(&a, n);
        }
    }

    pub fn leak_totals(&self) -> &LeakTotals {
        &self.leak.totals
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
#[derive(Clone, Debug, Default, Serialize)]
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

/// Idle USD split by cause (seed 001 §1.3), one loop. Each cause takes at most what the
/// causes before it left of the idle USD; what no cause explains is `unexplained`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LeakAttribution {
    pub idle_usd: Quote,
    /// L1: B entries a slot should have but does not (degraded, or waiting).
    pub l1_blocked_b_entries: Quote,
    /// L2 + L3: ranger and churner profit.
    pub l2_l3_ancillary_profit: Quote,
    /// L4: Σ settled_usd − Σ total_profit (the buy leg's fee estimate).
    pub l4_settled_vs_profit_gap: Quote,
    /// L5: fees estimated at the configured maker rate above the fees actually paid.
    pub l5_fee_overshoot: Quote,
    /// L6: rounding residuals carried by the slots.
    pub l6_rounding_residual: Quote,
    /// L7: legacy sizing (B sized below the free quote's share when quote-first is off).
    pub l7_legacy_sizing: Quote,
    /// L8: B entries blocked because the floor inflated them.
    pub l8_floor_inflation: Quote,
    pub unexplained: Quote,
}

impl LeakAttribution {
    /// The causes in order, as (name, amount).
    pub fn causes(&self) -> [(&'static str, Quote); 7] {
        [
            ("l1_blocked_b_entries", self.l1_blocked_b_entries),
            ("l2_l3_ancillary_profit", self.l2_l3_ancillary_profit),
            ("l4_settled_vs_profit_gap", self.l4_settled_vs_profit_gap),
            ("l5_fee_overshoot", self.l5_fee_overshoot),
            ("l6_rounding_residual", self.l6_rounding_residual),
            ("l7_legacy_sizing", self.l7_legacy_sizing),
            ("l8_floor_inflation", self.l8_floor_inflation),
        ]
    }
}

impl<V: Venue, J: JournalSink> Engine<V, J> {
    pub fn b_side_health(&self) -> BSideHealth {
        BSideHealth {
            failures_24h: self.leak.failures_24h(self.now),
            balance_degraded_slots: (0..self.slots.len())
                .filter(|&i| self.is_balance_degraded(i))
                .count(),
            max_bilateral_slots: self.max_bilateral_slots().min(self.slots.len()),
            recoveries_24h: self.leak.recoveries_24h(self.now),
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
        let last = match self.leak.last_recovery {
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

    /// Split this loop's idle USD by cause (see [`LeakAttribution`]).
    ///
    /// - L1: while any slot lacks a B entry it should have (balance-degraded, or waiting),
    ///   the quote that would fund it: with quote-first allocation that is every deployable
    ///   free dollar (the split only serves buy-ready slots, so nobody else takes it), at
    ///   least the blocked entries' minimum sizes; without it, those entries' sizes.
    /// - L7 (quote-first off): the deployable free quote no B entry was sized to use.
    /// - L8: blocked B entries the entry floor inflated beyond their share.
    pub fn leak_attribution(&self) -> LeakAttribution {
        let idle = self.scoreboard.idle_usd;
        let deployable = (self.venue.balances().free_quote()
            - self.cfg.allocation_safety_buffer_usd)
            .max(Quote::ZERO);
        let min_b = self.min_b_entry_usd();
        // Sums over slots are Wide (each size can be near the whole balance), then capped
        // at the idle USD they can explain: every cause takes at most that much anyway.
        let cap = |w: Wide| Quote::new(w.min(Wide::from(idle)).to_fixed().unwrap_or_default());
        let (mut blocked, mut floor, mut n_blocked) = (Wide::ZERO, Wide::ZERO, 0u32);
        for idx in 0..self.slots.len() {
            let s = &self.slots[idx].state;
            let has_b = s.orders.iter().any(|o| o.trade_id == TradeId::B);
            let wants_b = self.is_balance_degraded(idx) || s.b.pending_entry.is_some();
            if has_b || !wants_b {
                continue;
            }
            let size = Wide::from(self.sizes_for(idx, false).b.max(min_b));
            if self.b_floor_inflates(idx) {
                floor += size;
            } else {
                blocked += size;
                n_blocked += 1;
            }
        }
        let quote_first = self.cfg.quote_first_allocation;
        let blocked = if n_blocked > 0 && quote_first {
            blocked.max(Wide::from(deployable))
        } else {
            blocked
        };
        let (blocked, floor) = (cap(blocked), cap(floor));
        let gap = cap(self
            .slots
            .iter()
            .map(|s| {
                Wide::from((s.state.total_settled_usd - s.state.total_profit).max(Quote::ZERO))
            })
            .sum());
        let st = &self.stats;
        let rate = self.cfg.maker_fee_pct.percent().map(|r| r.fixed());
        let estimated = rate
            .and_then(|r| (st.quote_spent + st.quote_received).mul_fixed(r, Rounding::HalfEven));
        // Capped at the idle USD it explains, so it fits a Quote whenever idle does. The
        // estimate fails only past the i128 range (saturated flows): then nothing is
        // attributed to fees and the idle USD stays `unexplained`.
        let overshoot = estimated
            .map(|e| (e - st.fees_paid).max(Wide::ZERO))
            .and_then(|o| o.min(idle.fixed().into()).to_fixed())
            .map(Quote::new)
            .unwrap_or(Quote::ZERO);
        let residual = cap(self
            .slots
            .iter()
            .map(|s| Wide::from(s.b_residual_usd))
            .sum());
        let legacy = if quote_first { Quote::ZERO } else { deployable };
        let mut left = idle;
        let mut take = |amount: Quote| {
            let t = amount.max(Quote::ZERO).min(left);
            left -= t;
            t
        };
        LeakAttribution {
            idle_usd: idle,
            l1_blocked_b_entries: take(blocked),
            l2_l3_ancillary_profit: take(self.ancillary.total_lifetime_usd),
            l4_settled_vs_profit_gap: take(gap),
            l5_fee_overshoot: take(overshoot),
            l6_rounding_residual: take(residual),
            l7_legacy_sizing: take(legacy),
            l8_floor_inflation: take(floor),
            unexplained: left,
        }
    }
}

#[cfg(test)]
#[path = "leak_tests.rs"]
mod tests;
