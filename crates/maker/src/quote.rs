//! The pure quote function (spec `maker-origin.md` §1.2–1.10, seed 002 Phase 2).
//!
//! [`MakerState`] holds the estimators and the PnL guard. Per refresh the engine calls
//! [`MakerState::update`] (estimators advance: guard check, volatility + pause, trend,
//! regime — the origin's order) and then [`MakerState::quote`] (pure: `&self`), or both at
//! once with [`MakerState::step`]. Realized FIFO PnL deltas go in through
//! [`MakerState::record_realized`]. The result is a [`QuoteDecision`]: per side either a
//! price and size or a typed [`SuppressReason`], plus [`MakerTelemetry`].
//!
//! Spread (full width `S`, bps; each side sits `S/2` from the mid, no price skew):
//! `S = base(vol) + trend_extra + inventory_extra + regime_extra + pnl_guard_extra + jitter`,
//! floored at 0. Bid rounds down and ask up to the tick, so rounding never tightens a quote.
//!
//! Size of the **adding** side (a fill moves inventory away from flat; both sides at flat):
//! `base_size × soft_cap × vol_band × high_vol_clip × regime × pnl_guard × inventory_tier`,
//! capped at `size_max`, rounded down to the lot. Every factor takes effect: nothing re-raises
//! the result to an internal minimum (origin defect §1.12.2). If it is below the venue minimum
//! (`min_size`, or `min_notional` at the side's price), [`MinSizePolicy::Raise`] (the default)
//! quotes the minimum (flagged `floor_bound`), [`MinSizePolicy::ReduceOnly`] suppresses it
//! with [`SuppressReason::BelowVenueMinimum`].
//!
//! Size of the **flattening** side under [`FlattenSizing::Closable`] (the default; issue 11):
//! exactly |inv| when |inv| ≥ the venue minimum (lands on flat), |inv| + minimum below it
//! (lands exactly on ∓minimum, which the next decision closes; `floor_bound`). The
//! multipliers and tiers do not apply to it. Invariant: every quoted size is ≥ the venue
//! minimum and its full fill lands on a closable position (0 or |inv| ≥ minimum), since the
//! adding side quotes only within the Phase 2 threshold and at least the minimum. Under
//! [`FlattenSizing::Desired`] (round 1) the flattening side is sized like the adding side
//! and `reduce_only` raises it only when the fill cannot increase |inventory|.
//!
//! Side rules, first match wins: invalid mid; crossed book (both sides); high-vol pause (both
//! sides, or with `pause_reducing_quotes` the adding side, and later the flattening side when
//! its fill would not reduce |inv|); trend pause (bid while the down guard holds, ask in an
//! up-trend — unless that side flattens |inv| > soft cap × `trend_inventory_soft_cap_ratio`);
//! Phase 2 asymmetry (|inv| > threshold: long ⇒ no bid, short ⇒ no ask); price ≤ 0; outside
//! the price band; venue minimum; max position / max notional (only for a fill that would
//! increase |inv|).
//!
//! The pause's exit: volatility ≤ `resume_threshold_bps` and |inv| ≤ soft cap ×
//! `resume_inventory_ratio`, or (with `pause_reducing_quotes`) a residue below the venue
//! minimum at the mid — no quote that only reduces |inv| can close it, so waiting for it
//! would hold the pause for ever (issue 11: 5.2 h on the Gemini day).
//!
//! Jitter: `randomize_bps × input.jitter` (the caller draws `jitter` in [−1, 1] from a seeded
//! RNG); the default amplitude is 0, and the core has no RNG.

use flywheel_core::{FixedError, Price, Qty, Quote, Ratio, Rounding, Side, Timestamp};
use serde::{Deserialize, Serialize};

use crate::config::{FlattenSizing, MakerConfig, MinSizePolicy};
use crate::estimators::{
    base_spread_bps, high_vol_clip, vol_size_factor, RegimeSwitch, TrendFilter, TrendState,
    VolatilityEstimator,
};
use crate::flatten::flatten_size;
use crate::guard::PnlGuard;

/// What the quote function sees each refresh.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuoteInput {
    /// Reference price (book mid or mark).
    pub mid: Price,
    /// Signed base inventory: positive long, negative short.
    pub inventory: Qty,
    pub now: Timestamp,
    /// Caller's random draw in [−1, 1] for the spread jitter (ignored when `randomize_bps` = 0).
    pub jitter: f64,
}

/// Why a side is not quoted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressReason {
    /// The mid is zero or negative.
    InvalidMid,
    /// Bid ≥ ask after rounding.
    Crossed,
    /// Volatility pause holds.
    HighVolPause,
    /// Trend filter pauses this side.
    TrendPause,
    /// Phase 2: this side would add to |inventory| above the threshold.
    Asymmetric,
    /// The side's price rounds to zero or below.
    PriceNotPositive,
    /// The price is outside `price_band_bps` of the mid.
    OutsidePriceBand,
    /// The size is below the venue minimum and raising it could increase |inventory|.
    BelowVenueMinimum,
    /// The computed size is zero and the venue has no minimum to raise it to.
    ZeroSize,
    /// A fill would take |inventory| above `max_position_units`.
    MaxPosition,
    /// A fill would take |inventory| × mid above `max_inventory_notional`.
    MaxNotional,
    /// Fixed-point overflow while pricing (never expected with sane inputs).
    Arithmetic,
}

impl SuppressReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            SuppressReason::InvalidMid => "invalid_mid",
            SuppressReason::Crossed => "crossed",
            SuppressReason::HighVolPause => "high_vol_pause",
            SuppressReason::TrendPause => "trend_pause",
            SuppressReason::Asymmetric => "asymmetric",
            SuppressReason::PriceNotPositive => "price_not_positive",
            SuppressReason::OutsidePriceBand => "outside_price_band",
            SuppressReason::BelowVenueMinimum => "below_venue_minimum",
            SuppressReason::ZeroSize => "zero_size",
            SuppressReason::MaxPosition => "max_position",
            SuppressReason::MaxNotional => "max_notional",
            SuppressReason::Arithmetic => "arithmetic",
        }
    }
}

/// One side's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SideQuote {
    /// Post at `price` for `size`; `floor_bound` when the size was raised to the venue minimum.
    Quote {
        price: Price,
        size: Qty,
        floor_bound: bool,
    },
    Suppressed(SuppressReason),
}

impl SideQuote {
    /// `(price, size)` when quoted.
    pub fn order(&self) -> Option<(Price, Qty)> {
        match *self {
            SideQuote::Quote { price, size, .. } => Some((price, size)),
            SideQuote::Suppressed(_) => None,
        }
    }
    pub fn reason(&self) -> Option<SuppressReason> {
        match *self {
            SideQuote::Suppressed(r) => Some(r),
            SideQuote::Quote { .. } => None,
        }
    }
    /// Quoted at the venue minimum, raised from a smaller size.
    pub fn floor_bound(&self) -> bool {
        matches!(
            *self,
            SideQuote::Quote {
                floor_bound: true,
                ..
            }
        )
    }
    /// The venue minimum decided this side: raised to it, or suppressed because the
    /// minimum would have grown |inventory|.
    pub fn minimum_bound(&self) -> bool {
        self.floor_bound() || self.reason() == Some(SuppressReason::BelowVenueMinimum)
    }
}

/// Values for gauges and the status snapshot, computed by the core.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MakerTelemetry {
    /// `maker_volatility_bps`.
    pub volatility_bps: f64,
    /// `maker_regime_state`: 0 defensive, 1 aggressive.
    pub regime_state: u8,
    pub trend_state: TrendState,
    pub trend_return_bps: f64,
    /// `maker_trend_down_guard`: down-trend or its cooldown.
    pub trend_down_guard: bool,
    /// `maker_pnl_guard_active`.
    pub pnl_guard_active: bool,
    /// FIFO realized PnL inside the guard window.
    pub pnl_guard_window_realized: Quote,
    pub high_vol_clip_active: bool,
    pub volatility_paused: bool,
    /// Full spread `S` before tick rounding, bps.
    pub full_spread_bps: f64,
    pub base_spread_bps: f64,
    pub trend_extra_bps: f64,
    pub inventory_extra_bps: f64,
    pub regime_extra_bps: f64,
    pub pnl_guard_extra_bps: f64,
    /// Distance of the (rounded) bid from the mid, bps (0 when no price).
    pub bid_spread_bps: f64,
    /// Distance of the (rounded) ask from the mid, bps (0 when no price).
    pub ask_spread_bps: f64,
    /// Product of all size factors.
    pub size_multiplier: f64,
    /// Size after multipliers, before venue minimums.
    pub desired_size: Qty,
    /// Quoted sizes (0 when suppressed).
    pub bid_size: Qty,
    pub ask_size: Qty,
    /// A side was raised to the venue minimum, or suppressed because quoting the minimum
    /// would have grown |inventory| (the multipliers wanted less than the venue allows).
    pub size_floor_bound: bool,
}

/// The quote function's output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QuoteDecision {
    pub bid: SideQuote,
    pub ask: SideQuote,
    pub telemetry: MakerTelemetry,
}

impl QuoteDecision {
    pub fn side(&self, side: Side) -> &SideQuote {
        match side {
            Side::Buy => &self.bid,
            Side::Sell => &self.ask,
        }
    }
}

/// The maker's estimator and guard state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MakerState {
    pub vol: VolatilityEstimator,
    pub trend: TrendFilter,
    pub regime: RegimeSwitch,
    pub guard: PnlGuard,
}

impl MakerState {
    pub fn new() -> Self {
        Self::default()
    }

    /// A FIFO realized-PnL delta (from the fill ledger) realized at `at`.
    pub fn record_realized(&mut self, at: Timestamp, delta: Quote) {
        self.guard.record(at, delta);
    }

    /// Advance the estimators by one refresh: guard check, volatility and pause, trend,
    /// regime.
    pub fn update(&mut self, cfg: &MakerConfig, input: &QuoteInput) {
        let now = input.now;
        self.guard.update(cfg, now);
        self.vol.on_mid(cfg, input.mid, now);
        // A residue below the venue minimum cannot be closed by a quote that only reduces
        // |inventory|: with `pause_reducing_quotes` it does not hold the pause.
        let residue = cfg.pause_reducing_quotes
            && input.inventory.abs().is_positive()
            && venue_min_qty(cfg, input.mid).is_ok_and(|m| input.inventory.abs() < m);
        self.vol.update_pause(cfg, input.inventory, residue);
        let cooldown = self.regime.profile(cfg).down_cooldown_seconds;
        self.trend.on_mid(cfg, input.mid, now, cooldown);
        let guard_active = self.guard.active(now);
        let down_guard = self.trend.down_guard(now);
        self.regime
            .update(cfg, now, self.vol.value_bps(), guard_active, down_guard);
    }

    /// [`update`](Self::update) then [`quote`](Self::quote).
    pub fn step(&mut self, cfg: &MakerConfig, input: &QuoteInput) -> QuoteDecision {
        self.update(cfg, input);
        self.quote(cfg, input)
    }

    /// The desired quotes for the current state (pure).
    pub fn quote(&self, cfg: &MakerConfig, input: &QuoteInput) -> QuoteDecision {
        let now = input.now;
        let inv_abs = input.inventory.abs();
        let vol = self.vol.value_bps();
        let profile = self.regime.profile(cfg);
        let down_guard = cfg.trend_enabled && self.trend.down_guard(now);
        let up = cfg.trend_enabled && self.trend.state() == TrendState::Up;
        let guard_active = cfg.pnl_guard_enabled && self.guard.active(now);
        let paused = cfg.volatility_enabled && self.vol.paused();

        let base = base_spread_bps(cfg, vol);
        let trend_extra = if down_guard {
            cfg.trend_down_extra_spread_bps
        } else if up {
            cfg.trend_extra_spread_bps
        } else {
            0.0
        };
        let inv_extra = inventory_extra_bps(cfg, inv_abs);
        let guard_extra = if guard_active {
            PnlGuard::extra_spread_bps(cfg)
        } else {
            0.0
        };
        let jitter = if input.jitter.is_finite() {
            cfg.randomize_bps * input.jitter.clamp(-1.0, 1.0)
        } else {
            0.0
        };
        let full =
            (base + trend_extra + inv_extra + profile.extra_spread_bps + guard_extra + jitter)
                .max(0.0);

        let guard_mult = if guard_active {
            PnlGuard::size_multiplier(cfg)
        } else {
            1.0
        };
        let mult = soft_cap_factor(cfg, inv_abs)
            * vol_size_factor(cfg, vol)
            * profile.size_multiplier
            * guard_mult
            * inventory_size_multiplier(cfg, inv_abs);

        let mut telemetry = MakerTelemetry {
            volatility_bps: vol,
            regime_state: self.regime.regime().gauge(),
            trend_state: self.trend.state(),
            trend_return_bps: self.trend.return_bps(),
            trend_down_guard: down_guard,
            pnl_guard_active: guard_active,
            pnl_guard_window_realized: self.guard.window_realized(cfg, now),
            high_vol_clip_active: high_vol_clip(cfg, vol),
            volatility_paused: paused,
            full_spread_bps: full,
            base_spread_bps: base,
            trend_extra_bps: trend_extra,
            inventory_extra_bps: inv_extra,
            regime_extra_bps: profile.extra_spread_bps,
            pnl_guard_extra_bps: guard_extra,
            bid_spread_bps: 0.0,
            ask_spread_bps: 0.0,
            size_multiplier: mult,
            desired_size: Qty::ZERO,
            bid_size: Qty::ZERO,
            ask_size: Qty::ZERO,
            size_floor_bound: false,
        };

        let both = |r: SuppressReason, telemetry: MakerTelemetry| QuoteDecision {
            bid: SideQuote::Suppressed(r),
            ask: SideQuote::Suppressed(r),
            telemetry,
        };
        if !input.mid.is_positive() {
            return both(SuppressReason::InvalidMid, telemetry);
        }
        let (Ok((bid_px, ask_px)), Ok(desired)) =
            (side_prices(cfg, input.mid, full), desired_size(cfg, mult))
        else {
            return both(SuppressReason::Arithmetic, telemetry);
        };
        telemetry.desired_size = desired;
        telemetry.bid_spread_bps = offset_bps(bid_px, input.mid);
        telemetry.ask_spread_bps = offset_bps(ask_px, input.mid);
        if bid_px >= ask_px {
            return both(SuppressReason::Crossed, telemetry);
        }
        if paused && !cfg.pause_reducing_quotes {
            return both(SuppressReason::HighVolPause, telemetry);
        }

        let ctx = SideCtx {
            cfg,
            input,
            desired,
            down_guard,
            up,
            paused,
        };
        let bid = ctx.decide(Side::Buy, bid_px);
        let ask = ctx.decide(Side::Sell, ask_px);
        telemetry.bid_size = bid.order().map_or(Qty::ZERO, |(_, q)| q);
        telemetry.ask_size = ask.order().map_or(Qty::ZERO, |(_, q)| q);
        telemetry.size_floor_bound = bid.minimum_bound() || ask.minimum_bound();
        QuoteDecision {
            bid,
            ask,
            telemetry,
        }
    }
}

struct SideCtx<'a> {
    cfg: &'a MakerConfig,
    input: &'a QuoteInput,
    desired: Qty,
    down_guard: bool,
    up: bool,
    /// The high-vol pause holds (and `pause_reducing_quotes` lets reducing sides through).
    paused: bool,
}

impl SideCtx<'_> {
    fn decide(&self, side: Side, price: Price) -> SideQuote {
        match self.try_decide(side, price) {
            Ok(q) => q,
            Err(_) => SideQuote::Suppressed(SuppressReason::Arithmetic),
        }
    }

    fn try_decide(&self, side: Side, price: Price) -> Result<SideQuote, FixedError> {
        use SuppressReason as R;
        let cfg = self.cfg;
        let inv = self.input.inventory;
        // Would a fill on this side move inventory away from flat (from where it is now)?
        let adds = match side {
            Side::Buy => !inv.is_negative(),
            Side::Sell => !inv.is_positive(),
        };
        if self.paused && adds {
            return Ok(SideQuote::Suppressed(R::HighVolPause));
        }
        let paused_by_trend = match side {
            Side::Buy => self.down_guard,
            Side::Sell => self.up,
        };
        if paused_by_trend {
            let override_at = cfg.inventory_soft_cap.to_f64() * cfg.trend_inventory_soft_cap_ratio;
            let flattens_big = !adds && inv.abs().to_f64() > override_at;
            if !flattens_big {
                return Ok(SideQuote::Suppressed(R::TrendPause));
            }
        }
        if cfg.asymmetric_enabled && adds && !inv.is_zero() && inv.abs() > cfg.asymmetric_threshold
        {
            return Ok(SideQuote::Suppressed(R::Asymmetric));
        }
        if !price.is_positive() {
            return Ok(SideQuote::Suppressed(R::PriceNotPositive));
        }
        if !within_bps(price, self.input.mid, cfg.price_band_bps)? {
            return Ok(SideQuote::Suppressed(R::OutsidePriceBand));
        }

        let after = |q: Qty| match side {
            Side::Buy => inv + q,
            Side::Sell => inv - q,
        };
        let min_qty = venue_min_qty(cfg, price)?;
        let flattening = !adds;
        let (size, floor_bound) = if flattening && cfg.flatten_sizing == FlattenSizing::Closable {
            // Lands on flat, or exactly on the minimum on the other side (`flatten.rs`).
            match flatten_size(inv.abs(), min_qty)? {
                Some(size) => (size, inv.abs() < min_qty),
                None => return Ok(SideQuote::Suppressed(R::ZeroSize)),
            }
        } else if self.desired >= min_qty && self.desired.is_positive() {
            (self.desired, false)
        } else if !min_qty.is_positive() {
            return Ok(SideQuote::Suppressed(R::ZeroSize));
        } else {
            let allowed = match cfg.min_size_policy {
                MinSizePolicy::Raise => true,
                MinSizePolicy::ReduceOnly => after(min_qty).abs() <= inv.abs(),
            };
            if !allowed {
                return Ok(SideQuote::Suppressed(R::BelowVenueMinimum));
            }
            (min_qty, true)
        };

        let new_abs = after(size).abs();
        if self.paused && new_abs >= inv.abs() {
            // During the pause only a fill that reduces |inventory| is wanted.
            return Ok(SideQuote::Suppressed(R::HighVolPause));
        }
        if new_abs > inv.abs() {
            if new_abs > cfg.max_position_units {
                return Ok(SideQuote::Suppressed(R::MaxPosition));
            }
            if self.input.mid.notional(new_abs, Rounding::HalfEven)? > cfg.max_inventory_notional {
                return Ok(SideQuote::Suppressed(R::MaxNotional));
            }
        }
        Ok(SideQuote::Quote {
            price,
            size,
            floor_bound,
        })
    }
}

/// Phase 2 spread tier: extra full spread for |inventory| strictly above each tier.
pub fn inventory_extra_bps(cfg: &MakerConfig, inv_abs: Qty) -> f64 {
    if !cfg.inventory_tiers_enabled {
        return 0.0;
    }
    if inv_abs > cfg.inventory_tier3 {
        cfg.inventory_tier3_extra_bps
    } else if inv_abs > cfg.inventory_tier2 {
        cfg.inventory_tier2_extra_bps
    } else if inv_abs > cfg.inventory_tier1 {
        cfg.inventory_tier1_extra_bps
    } else {
        0.0
    }
}

/// Phase 2 size tier: ×tier1 above tier 1, ×tier2 above tier 2 (strict).
pub fn inventory_size_multiplier(cfg: &MakerConfig, inv_abs: Qty) -> f64 {
    if !cfg.inventory_tiers_enabled {
        return 1.0;
    }
    if inv_abs > cfg.inventory_tier2 {
        cfg.inventory_tier2_size_multiplier
    } else if inv_abs > cfg.inventory_tier1 {
        cfg.inventory_tier1_size_multiplier
    } else {
        1.0
    }
}

/// Soft cap: 1.0 at flat, falling linearly to `soft_cap_size_ratio` at the cap and beyond.
pub fn soft_cap_factor(cfg: &MakerConfig, inv_abs: Qty) -> f64 {
    let cap = cfg.inventory_soft_cap.to_f64();
    if cap <= 0.0 {
        return cfg.soft_cap_size_ratio;
    }
    let x = (inv_abs.to_f64() / cap).min(1.0);
    1.0 - (1.0 - cfg.soft_cap_size_ratio) * x
}

/// `base_size × mult`, capped at `size_max`, rounded down to the lot.
pub fn desired_size(cfg: &MakerConfig, mult: f64) -> Result<Qty, FixedError> {
    let m = Ratio::from_f64(mult.max(0.0), Rounding::HalfEven)?;
    let raw = cfg.base_size.scale(m, 9, Rounding::TowardZero)?;
    raw.min(cfg.size_max)
        .round_to(cfg.lot, Rounding::TowardZero)
}

/// Smallest lot-rounded size meeting `min_size` and `min_notional` at `price`.
pub fn venue_min_qty(cfg: &MakerConfig, price: Price) -> Result<Qty, FixedError> {
    let by_size = cfg.min_size.round_to(cfg.lot, Rounding::Ceil)?;
    if !cfg.min_notional.is_positive() {
        return Ok(by_size);
    }
    let by_notional = cfg
        .min_notional
        .qty_for(price, 9, Rounding::Ceil)?
        .round_to(cfg.lot, Rounding::Ceil)?;
    Ok(by_size.max(by_notional))
}

/// Bid and ask for full spread `full_bps` around `mid`: bid floored, ask ceiled to the tick.
pub fn side_prices(
    cfg: &MakerConfig,
    mid: Price,
    full_bps: f64,
) -> Result<(Price, Price), FixedError> {
    let half = full_bps / 20_000.0;
    let down = Ratio::from_f64((1.0 - half).max(0.0), Rounding::HalfEven)?;
    let up = Ratio::from_f64(1.0 + half, Rounding::HalfEven)?;
    let bid = mid
        .scale(down, 9, Rounding::Floor)?
        .round_to(cfg.tick, Rounding::Floor)?;
    let ask = mid
        .scale(up, 9, Rounding::Ceil)?
        .round_to(cfg.tick, Rounding::Ceil)?;
    Ok((bid, ask))
}

/// True when `price` is within `bps` of `reference` (inclusive), exactly.
pub fn within_bps(price: Price, reference: Price, bps: f64) -> Result<bool, FixedError> {
    let frac = Ratio::from_f64((bps / 10_000.0).max(0.0), Rounding::HalfEven)?;
    let limit = reference.abs().scale(frac, 9, Rounding::Floor)?;
    Ok((price - reference).abs() <= limit)
}

/// Refresh without churn: keep a resting order whose price is within `tolerance_bps` of the
/// desired price (the engine replaces it otherwise, and always when the size changed).
pub fn keep_resting(resting: Price, desired: Price, tolerance_bps: f64) -> bool {
    desired.is_positive() && within_bps(resting, desired, tolerance_bps).unwrap_or(false)
}

fn offset_bps(price: Price, mid: Price) -> f64 {
    let m = mid.to_f64();
    if m <= 0.0 {
        return 0.0;
    }
    (price.to_f64() - m).abs() / m * 1e4
}

#[cfg(test)]
#[path = "quote_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "quote_flatten_tests.rs"]
mod flatten_tests;
