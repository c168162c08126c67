//! The hedger (spec `maker-origin.md` §2; seed 002's Phase 1 numbers): when |inventory| is
//! above a trigger, send clips toward a small target — passive first, then crossing within a
//! slippage cap — with PnL-guard dampers and an emergency mode.
//!
//! A pure decision core: [`Hedger::decide`] reads a [`HedgeCtx`] (time, signed inventory, mid,
//! guard state, instrument) and returns [`HedgeCommand`]s; the engine executes them and feeds
//! the outcome back through [`Hedger::on_passive_fill`], [`Hedger::on_passive_done`] and
//! [`Hedger::on_ioc_done`]. No clock, no I/O. The engine calls `decide` on every tick and
//! after every fill (the origin's 1 s poll + wake-on-fill), and must report every IOC it
//! was given with `on_ioc_done` (the hedger sends nothing new while one is out). The
//! origin's retries on exceptions (`max_attempts`) and `dry_run` belong to the engine's
//! execution, not to this decision.
//!
//! # One clip, step by step
//!
//! 1. **Trigger.** Above trigger means `|inv| > trigger_units`, or (when
//!    `trigger_notional > 0`) `|inv| × mid > trigger_notional` — the intended OR (the
//!    origin's step 1 made the notional test dead). At or below it nothing happens, the
//!    over-trigger timer resets, and a resting passive hedge is cancelled.
//! 2. **Size** (`hedger_plan.rs`). `excess = |inv| − target_units`; the clip limit is
//!    `max_clip_units`, × `guard_clip_multiplier` while the PnL guard is active, ×
//!    `guard_emergency_clip_multiplier` in emergency (the emergency clip is not cut back to
//!    `max_clip_units` — origin defect (c) — and in emergency the guard damper does not
//!    apply: flattening comes first). `wanted = min(excess, limit)` rounded down to the lot.
//!    **Venue minimum** (the larger of the lot, `min_volume` and `min_cost / order price`
//!    rounded up to the lot). With `closable_clips` (issue 11, the default) the clip is the
//!    size nearest `wanted` that is at least the minimum and lands within the target or on
//!    |inv| ≥ minimum (`flatten.rs`), so every clip leaves a position one valid order can
//!    close; it may exceed the limit to do so (counted in
//!    [`HedgerCounters::clips_over_cap`]). A **residue** (above trigger, below the minimum)
//!    is left to the maker's flattening quote for `residue_grace_seconds`; then the
//!    **two-step**: a clip of `|inv| + minimum` lands exactly on the minimum on the other
//!    side, and the next clip closes it ([`HedgerCounters::two_step_flattens`]). That first
//!    leg is the only order that crosses flat. Round 1 (`closable_clips = false`): `wanted`
//!    raised to the minimum only if the minimum is ≤ |inv|, a residue skipped for good.
//!    Either way each residue episode counts once in
//!    [`HedgerCounters::skipped_below_minimum`].
//! 3. **Mode.** Passive first (`prefer_passive`): a post-only limit at mid ± `passive_offset_bps`
//!    (sell above mid, buy below; rounded away from mid to the tick). It is a success when it
//!    brings |inv| to the trigger or fills ≥ 60 % of the clip; otherwise, after
//!    `passive_wait_seconds`, it is cancelled and the clip crosses in the same decision.
//!    Aggressive directly (no passive leg) when the position has been above trigger for
//!    ≥ `passive_timeout_seconds` ("forced aggressive"), in emergency, or when
//!    `prefer_passive` is off.
//! 4. **Aggressive price.** An IOC limit at mid ∓ offset (sell below mid, buy above; rounded
//!    toward mid to the tick), offset = `price_offset_bps`, or `guard_price_offset_bps` under
//!    the PnL guard, plus `guard_emergency_extra_bps` in emergency. The offset is **clamped to
//!    the slippage cap** of the mode (`max_slippage_bps`, `guard_max_slippage_bps`, or
//!    `guard_emergency_max_slippage_bps` in emergency) instead of skipping the hedge (origin
//!    defect (b): 10 + 6 > 12 skipped every emergency hedge). Since an IOC limit bounds its
//!    fills, realized slippage vs the decision mid never exceeds the cap.
//! 5. **Cooldown.** After a clip ends (IOC done, or passive success) the next clip waits
//!    `cooldown_seconds`; in emergency only `guard_emergency_cooldown_seconds` since the last
//!    attempt. A clip that filled anything resets the over-trigger timer (the origin's
//!    "success clears the timer").
//!
//! **Emergency** is `quoting_blocked_since` at least `guard_emergency_seconds` ago while above
//! trigger. The engine must pass the start of the *current continuous* block and keep it
//! while the block lasts (origin defect (a): re-stamping it every iteration meant the age
//! never reached 8 s).
//!
//! Money is exact: bps offsets become factors `1 ± bps/10 000` (exact for ≤ 5 decimals of
//! bps), prices are rounded once per direction to the tick. Durations are decimal seconds
//! in the config, converted to whole milliseconds (half-even) for [`Timestamp`] math.

use flywheel_core::fixed::div_round;
use flywheel_core::{
    FixedError, Instrument, Price, Qty, Quote, Ratio, Rounding, Side, Timestamp, Wide,
};
use serde::{Deserialize, Serialize};

pub use config::Problem;

#[path = "hedger_config.rs"]
mod config;
#[path = "hedger_plan.rs"]
mod plan;

pub use config::{secs_to_ms, HedgerConfig, HEDGER_CONFIG_DOCS, HEDGER_CONFIG_RANGES};
use plan::Plan;

/// Fraction of a passive clip whose fill counts as success (the origin's 60 %).
pub const PASSIVE_SUCCESS_FRACTION: Ratio = Ratio::lit(6, 1);

/// What the hedger sees at one decision.
#[derive(Clone, Copy, Debug)]
pub struct HedgeCtx<'a> {
    pub now: Timestamp,
    /// Signed position in base (long positive), fills of every origin included.
    pub inventory: Qty,
    /// Mid (or mark) price; a non-positive mid means "no market data": nothing is decided.
    pub mid: Price,
    /// The maker's PnL guard is active.
    pub pnl_guard_active: bool,
    /// Start of the maker's current continuous quoting block (kept, not re-stamped, while
    /// the block lasts); `None` when quoting is not blocked.
    pub quoting_blocked_since: Option<Timestamp>,
    pub instrument: &'a Instrument,
    /// The engine's view: the hedger's passive order is still on the book.
    pub passive_resting: bool,
}

/// An order instruction for the engine. Every order reduces |inventory| except the first
/// leg of a two-step, which crosses flat to land exactly on the venue minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HedgeCommand {
    /// Post-only limit order (the passive leg).
    PlacePassive { side: Side, price: Price, qty: Qty },
    /// Immediate-or-cancel limit order (the aggressive leg).
    PlaceIoc { side: Side, limit: Price, qty: Qty },
    /// Cancel the resting passive order (issued before any new order in the same batch).
    CancelPassive,
}

/// Where the hedger is in its clip cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum HedgePhase {
    /// Ready for a clip.
    #[default]
    Idle,
    /// A passive order rests.
    PassiveResting {
        since: Timestamp,
        side: Side,
        price: Price,
        qty: Qty,
        /// Filled so far (reported through [`Hedger::on_passive_fill`]).
        filled: Qty,
    },
    /// The passive leg ended without success; the next decision crosses at once.
    AggressiveDue,
    /// An IOC is out; waiting for [`Hedger::on_ioc_done`].
    IocPending {
        since: Timestamp,
        side: Side,
        limit: Price,
        qty: Qty,
        /// Mid at decision, for slippage.
        mid: Price,
    },
    /// The last clip ended at `since`; the next waits for the cooldown.
    CoolingDown { since: Timestamp },
}

/// Running totals (the origin's hedger gauges, plus what the origin lacked).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HedgerCounters {
    /// Clips started (a passive leg and its aggressive fallback are one clip).
    pub clips: u64,
    pub passive_orders: u64,
    pub passive_fills: u64,
    pub passive_successes: u64,
    pub aggressive_orders: u64,
    /// IOCs that filled anything.
    pub aggressive_fills: u64,
    /// IOCs sent because the position sat above trigger too long (outside emergency).
    pub forced_aggressive: u64,
    /// IOCs sent in emergency.
    pub emergency_orders: u64,
    /// Residue episodes: a clip was due but |inventory| was below the venue minimum (counted
    /// once per episode; round 1 skips the clip for good, closable clips wait for the grace
    /// period and then two-step).
    pub skipped_below_minimum: u64,
    /// Residues closed by the two-step (its first leg sent: |inv| + minimum).
    pub two_step_flattens: u64,
    /// Clips larger than the clip cap, because the venue minimum (or landing on a closable
    /// position) required it.
    pub clips_over_cap: u64,
    /// Decisions abandoned on an arithmetic error (overflow; never expected).
    pub errors: u64,
    /// Σ filled base volume. The run totals are [`Wide`]: they grow with the run's length
    /// and outgrow a single `Fixed` on a long, large run.
    pub volume: Wide,
    /// Σ filled notional.
    pub notional: Wide,
    /// Σ fees on hedge fills (the hedger's cost besides slippage).
    pub fees: Wide,
    /// Σ over aggressive fills of slippage vs the decision mid, bps (positive = cost).
    pub slippage_bps_sum: Wide,
    /// Σ over aggressive fills of slippage vs the decision mid, quote (positive = cost).
    pub slippage_quote: Wide,
}

impl HedgerCounters {
    /// Mean slippage per aggressive fill, bps (half-even, 9 decimals).
    pub fn avg_slippage_bps(&self) -> Option<Ratio> {
        if self.aggressive_fills == 0 {
            return None;
        }
        self.slippage_bps_sum
            .mean(self.aggressive_fills)
            .ok()
            .map(Ratio::new)
    }
}

/// What the last decision saw (the origin's `hedger_force_aggressive` /
/// `hedger_guard_emergency` gauges).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HedgeFlags {
    pub above_trigger: bool,
    pub forced_aggressive: bool,
    pub emergency: bool,
}

/// The hedger's state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hedger {
    pub phase: HedgePhase,
    /// First decision above trigger since the last reset (below trigger or a filled clip).
    pub over_trigger_since: Option<Timestamp>,
    /// Start of the current residue episode (a clip was due, |inv| below the venue
    /// minimum); cleared when a regular clip can be sized or inventory is back within the
    /// trigger. The two-step waits `residue_grace_seconds` from here.
    pub residue_since: Option<Timestamp>,
    pub counters: HedgerCounters,
    pub flags: HedgeFlags,
}

impl Hedger {
    pub fn new() -> Self {
        Self::default()
    }

    fn over_trigger(cfg: &HedgerConfig, ctx: &HedgeCtx) -> Result<bool, FixedError> {
        let inv_abs = ctx.inventory.abs();
        if inv_abs > cfg.trigger_units {
            return Ok(true);
        }
        if cfg.trigger_notional.is_positive() && inv_abs.is_positive() {
            return Ok(ctx.mid.notional(inv_abs, Rounding::HalfEven)? > cfg.trigger_notional);
        }
        Ok(false)
    }

    /// One decision. Commands come in execution order (a cancel before a new order).
    pub fn decide(&mut self, cfg: &HedgerConfig, ctx: &HedgeCtx) -> Vec<HedgeCommand> {
        let mut out = Vec::new();
        let now = ctx.now;
        self.flags = HedgeFlags::default();

        // The engine reports the passive order gone although no hook told us: it ended.
        if matches!(self.phase, HedgePhase::PassiveResting { .. }) && !ctx.passive_resting {
            self.on_passive_done(now);
        }

        if !cfg.enabled {
            if matches!(self.phase, HedgePhase::PassiveResting { .. }) {
                out.push(HedgeCommand::CancelPassive);
            }
            if !matches!(self.phase, HedgePhase::IocPending { .. }) {
                self.phase = HedgePhase::Idle;
            }
            self.over_trigger_since = None;
            return out;
        }
        if !ctx.mid.is_positive() {
            return out;
        }

        let over = match Self::over_trigger(cfg, ctx) {
            Ok(v) => v,
            Err(_) => {
                self.counters.errors += 1;
                return out;
            }
        };
        if !over {
            self.over_trigger_since = None;
            self.residue_since = None;
            match self.phase {
                HedgePhase::PassiveResting { filled, .. } => {
                    // Back within the trigger: the passive leg did its job (or the maker
                    // did); either way it is no longer wanted.
                    out.push(HedgeCommand::CancelPassive);
                    if filled.is_positive() {
                        self.counters.passive_successes += 1;
                        self.phase = HedgePhase::CoolingDown { since: now };
                    } else {
                        self.phase = HedgePhase::Idle;
                    }
                }
                HedgePhase::AggressiveDue => self.phase = HedgePhase::Idle,
                _ => {}
            }
            return out;
        }

        let over_since = *self.over_trigger_since.get_or_insert(now);
        let emergency = cfg.guard_emergency_seconds.is_positive()
            && ctx
                .quoting_blocked_since
                .is_some_and(|b| now.millis_since(b) >= secs_to_ms(cfg.guard_emergency_seconds));
        let timed_out = cfg.passive_timeout_seconds.is_positive()
            && now.millis_since(over_since) >= secs_to_ms(cfg.passive_timeout_seconds);
        let forced = emergency || !cfg.prefer_passive || timed_out;
        self.flags = HedgeFlags {
            above_trigger: true,
            forced_aggressive: timed_out,
            emergency,
        };
        let side = if ctx.inventory.is_positive() {
            Side::Sell
        } else {
            Side::Buy
        };

        // (aggressive?, continues the current clip?, cancel the passive order first?)
        let (aggressive, continuing, cancel_first) = match self.phase {
            HedgePhase::IocPending { .. } => return out,
            HedgePhase::Idle => (forced, false, false),
            HedgePhase::AggressiveDue => (true, true, false),
            HedgePhase::CoolingDown { since } => {
                let wait = if emergency {
                    cfg.guard_emergency_cooldown_seconds
                } else {
                    cfg.cooldown_seconds
                };
                if now.millis_since(since) < secs_to_ms(wait) {
                    return out;
                }
                (forced, false, false)
            }
            HedgePhase::PassiveResting {
                since,
                side: resting_side,
                qty,
                filled,
                ..
            } => {
                if resting_side != side {
                    // The position flipped through zero: replace with a fresh clip.
                    (forced, false, true)
                } else {
                    let enough = match qty.scale(PASSIVE_SUCCESS_FRACTION, 9, Rounding::Ceil) {
                        Ok(v) => filled >= v,
                        Err(_) => false,
                    };
                    if enough {
                        out.push(HedgeCommand::CancelPassive);
                        self.passive_success(now);
                        return out;
                    }
                    let waited = now.millis_since(since) >= secs_to_ms(cfg.passive_wait_seconds);
                    if !forced && !waited {
                        return out;
                    }
                    (true, true, true)
                }
            }
        };

        let residue_due = self
            .residue_since
            .is_some_and(|since| now.millis_since(since) >= secs_to_ms(cfg.residue_grace_seconds));
        let plan = plan::plan(cfg, ctx, side, aggressive, emergency, residue_due);
        if cancel_first {
            out.push(HedgeCommand::CancelPassive);
            self.phase = HedgePhase::Idle;
        }
        let (price, qty, over_cap, two_step) = match plan {
            Ok(Plan::Order {
                price,
                qty,
                over_cap,
                two_step,
            }) => (price, qty, over_cap, two_step),
            Ok(Plan::NothingToDo) => return out,
            Ok(Plan::BelowMinimum) => {
                if self.residue_since.is_none() {
                    self.residue_since = Some(now);
                    self.counters.skipped_below_minimum += 1;
                }
                return out;
            }
            Err(_) => {
                self.counters.errors += 1;
                return out;
            }
        };
        // A regular clip ends the residue episode; the two-step's first leg keeps it open,
        // so a leg that fills only partly (and leaves another residue) is retried at once.
        if !two_step {
            self.residue_since = None;
        }

        if !continuing {
            self.counters.clips += 1;
            if over_cap {
                self.counters.clips_over_cap += 1;
            }
            if two_step {
                self.counters.two_step_flattens += 1;
            }
        }
        if aggressive {
            self.counters.aggressive_orders += 1;
            if emergency {
                self.counters.emergency_orders += 1;
            } else if timed_out && cfg.prefer_passive {
                self.counters.forced_aggressive += 1;
            }
            self.phase = HedgePhase::IocPending {
                since: now,
                side,
                limit: price,
                qty,
                mid: ctx.mid,
            };
            out.push(HedgeCommand::PlaceIoc {
                side,
                limit: price,
                qty,
            });
        } else {
            self.counters.passive_orders += 1;
            self.phase = HedgePhase::PassiveResting {
                since: now,
                side,
                price,
                qty,
                filled: Qty::ZERO,
            };
            out.push(HedgeCommand::PlacePassive { side, price, qty });
        }
        out
    }

    fn passive_success(&mut self, now: Timestamp) {
        self.counters.passive_successes += 1;
        self.over_trigger_since = None;
        self.phase = HedgePhase::CoolingDown { since: now };
    }

    fn add_fill(&mut self, qty: Qty, price: Price, fee: Quote) {
        let c = &mut self.counters;
        c.volume += Wide::from(qty);
        c.notional += Wide::product(price.fixed(), qty.fixed(), Rounding::HalfEven);
        c.fees += Wide::from(fee);
    }

    /// A (partial) fill of the passive order: `qty` at `price` with `fee`. Counted even when
    /// it arrives after the order was cancelled. A complete fill ends the clip as a success.
    pub fn on_passive_fill(&mut self, now: Timestamp, qty: Qty, price: Price, fee: Quote) {
        if !qty.is_positive() {
            return;
        }
        self.counters.passive_fills += 1;
        self.add_fill(qty, price, fee);
        if let HedgePhase::PassiveResting {
            qty: order_qty,
            filled,
            ..
        } = &mut self.phase
        {
            *filled += qty;
            if *filled >= *order_qty {
                self.passive_success(now);
            }
        }
    }

    /// The passive order left the book (filled, cancelled or rejected). With ≥ 60 % of the
    /// clip filled the clip succeeded; otherwise the next decision crosses at once.
    pub fn on_passive_done(&mut self, now: Timestamp) {
        if let HedgePhase::PassiveResting { qty, filled, .. } = self.phase {
            let enough = qty
                .scale(PASSIVE_SUCCESS_FRACTION, 9, Rounding::Ceil)
                .is_ok_and(|v| filled >= v);
            if enough {
                self.passive_success(now);
            } else {
                self.phase = HedgePhase::AggressiveDue;
            }
        }
    }

    /// The IOC finished: `filled` base at average `avg_price` (ignored when nothing filled),
    /// paying `fee`. Starts the cooldown; a fill resets the over-trigger timer.
    pub fn on_ioc_done(&mut self, now: Timestamp, filled: Qty, avg_price: Price, fee: Quote) {
        let mid = match self.phase {
            HedgePhase::IocPending { mid, side, .. } => Some((mid, side)),
            _ => None,
        };
        if filled.is_positive() {
            self.counters.aggressive_fills += 1;
            self.add_fill(filled, avg_price, fee);
            if let Some((mid, side)) = mid {
                self.add_slippage(mid, side, filled, avg_price);
            }
        } else if !fee.is_zero() {
            self.counters.fees += Wide::from(fee);
        }
        if mid.is_some() {
            if filled.is_positive() {
                self.over_trigger_since = None;
            }
            self.phase = HedgePhase::CoolingDown { since: now };
        }
    }

    fn add_slippage(&mut self, mid: Price, side: Side, qty: Qty, avg: Price) {
        // Cost per unit vs the decision mid: selling below mid / buying above it.
        let per_unit = match side {
            Side::Sell => mid - avg,
            Side::Buy => avg - mid,
        };
        let quote = Price::notional(per_unit, qty, Rounding::HalfEven);
        let bps = div_round(
            i128::from(per_unit.raw()) * 10_000 * 1_000_000_000,
            i128::from(mid.raw()),
            Rounding::HalfEven,
        );
        match (quote, i64::try_from(bps)) {
            (Ok(q), Ok(b)) if mid.is_positive() => {
                self.counters.slippage_quote += Wide::from(q);
                self.counters.slippage_bps_sum += Wide::from(Ratio::from_raw(b));
            }
            _ => self.counters.errors += 1,
        }
    }
}

#[cfg(test)]
#[path = "hedger_tests.rs"]
mod tests;
