//! `[maker]`: the quoting engine's parameters (spec `maker-origin.md` §1, seed 002), flat keys
//! with the origin's production values (commit 0b70aad) as defaults, and the SOL instrument
//! defaults (tick 0.001, lot 0.001, minimum 0.061 SOL and 10.5 quote).
//!
//! Units: spreads and thresholds are basis points (`f64`, they shape a control signal);
//! multipliers are plain factors (`f64`, converted once to an exact `Ratio` when applied to a
//! size); sizes, inventory thresholds and notionals are exact (`Qty`, `Quote`); durations are
//! whole seconds on the engine clock. Spreads are **full** bid-to-ask widths: each side sits
//! half of the total from the mid (spec §1.2).
//!
//! Departures from the origin (spec §1.12), each documented at its key: jitter defaults to 0
//! and takes its random draw from the caller; the size pipeline never re-raises a size that a
//! multiplier lowered (`min_size_policy`); the down-trend has its own release threshold
//! (`trend_down_resume_threshold_bps`) so its hysteresis holds; the PnL guard reads FIFO
//! realized PnL and holds for its TTL; Phase 2 rules are switchable.
//!
//! Issue 11 (keeping inventory flat for real): the flattening side lands on a closable
//! position (`flatten_sizing`), the high-vol pause lets reducing quotes through and can end
//! (`pause_reducing_quotes`), `min_size_policy` defaults to `raise` so the defaults trade,
//! and fees come from a named schedule (`fee_schedule`, zero-fee `lighter` by default).

use flywheel_core::{FixedError, Instrument, Price, Qty, Quote, Ratio};
use serde::{Deserialize, Serialize};

pub use crate::fees::FeeSchedule;

#[path = "config_docs.rs"]
mod docs;
#[path = "config_validate.rs"]
mod validate;

pub use docs::MAKER_CONFIG_DOCS;
pub use validate::MAKER_CONFIG_RANGES;

/// One problem with a value (the section prefix is added by the caller).
pub use flywheel_core::ConfigProblem as Problem;

/// What to do when the multipliers leave a side's size below the venue minimum. Under
/// [`FlattenSizing::Closable`] it decides the adding side only (the flattening side has its
/// own sizes); under [`FlattenSizing::Desired`] both sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MinSizePolicy {
    /// Quote the minimum only on a side whose fill cannot increase |inventory|
    /// (it flattens, and the minimum is at most 2·|inventory|); suppress the other side.
    ReduceOnly,
    /// Raise the side to the minimum (the origin's behaviour; position guards still apply).
    /// The default: at SOL ≈ 200 the multipliers put the seed's 0.064 base size below the
    /// 0.061 / 10.5 USD minimum most of the time, and `reduce_only` then never opens a
    /// position (issue 11: two fills on the Gemini day).
    Raise,
}

/// How the flattening side (the side whose fill reduces |inventory|) is sized.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlattenSizing {
    /// Land on a closable position (`flatten.rs`): exactly |inv| when |inv| ≥ the venue
    /// minimum, |inv| + minimum below it (lands on ∓minimum, which the next order closes).
    Closable,
    /// Round 1: the multipliers' size, with `min_size_policy` at the venue minimum (leaves
    /// residues below the minimum that nothing closes).
    Desired,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MakerConfig {
    /// Engine cadence: seconds between quote refreshes.
    pub refresh_seconds: u64,
    /// A resting order within this many bps of the desired price is left alone.
    pub refresh_tolerance_bps: f64,
    /// Between refreshes, a fill that moves inventory re-sizes the resting quotes at once
    /// (the estimators as at the last refresh). Off: they wait for the next refresh (round 1;
    /// kept so round 1's rules can be reproduced, `docs/maker.md`).
    pub requote_on_fill: bool,
    /// Price tick of the instrument.
    pub tick: Price,
    /// Volume lot of the instrument.
    pub lot: Qty,
    /// Venue minimum order size (base).
    pub min_size: Qty,
    /// Venue minimum order notional (quote).
    pub min_notional: Quote,
    /// Quote size at flat inventory before multipliers (base).
    pub base_size: Qty,
    /// Hard cap of any computed size (base).
    pub size_max: Qty,
    /// Handling of sizes the multipliers push below the venue minimum.
    pub min_size_policy: MinSizePolicy,
    /// Sizing of the flattening side.
    pub flatten_sizing: FlattenSizing,
    /// Base full spread when volatility mode is off (bps).
    pub spread_bps: f64,
    /// Jitter amplitude of the full spread (bps, ±); the random draw comes from the caller.
    pub randomize_bps: f64,
    /// Inventory soft cap (base): size shrinks linearly up to here.
    pub inventory_soft_cap: Qty,
    /// Size factor at (and beyond) the soft cap; 1.0 at flat.
    pub soft_cap_size_ratio: f64,

    /// Volatility band, clip and pause take effect (the estimator always runs).
    pub volatility_enabled: bool,
    /// Half-life of the volatility EMA, seconds.
    pub vol_halflife_seconds: u64,
    /// Volatility at which the band starts (bps).
    pub vol_low_bps: f64,
    /// Volatility at which the band ends (bps).
    pub vol_high_bps: f64,
    /// Full spread at the low end of the band (bps).
    pub vol_min_spread_bps: f64,
    /// Full spread at the high end of the band (bps).
    pub vol_max_spread_bps: f64,
    /// Size factor at the high end of the band.
    pub vol_min_size_multiplier: f64,
    /// Size factor at the low end of the band.
    pub vol_max_size_multiplier: f64,
    /// Volatility at or above which the high-vol clip applies (bps; 0 = off).
    pub high_vol_threshold_bps: f64,
    /// Size factor of the high-vol clip.
    pub high_vol_size_multiplier: f64,
    /// Volatility at or above which quoting pauses (bps).
    pub pause_threshold_bps: f64,
    /// Volatility at or below which a pause may end (bps).
    pub resume_threshold_bps: f64,
    /// A pause ends only when |inventory| ≤ soft cap × this (or, with
    /// `pause_reducing_quotes`, below the venue minimum).
    pub resume_inventory_ratio: f64,
    /// During the high-vol pause, quote the flattening side when its fill only reduces
    /// |inventory|, and let the pause end with a residue below the venue minimum (which no
    /// such quote can close): the pause's exit is reachable.
    pub pause_reducing_quotes: bool,

    /// Trend filter switch.
    pub trend_enabled: bool,
    /// Window of the trend return, seconds.
    pub trend_lookback_seconds: u64,
    /// Up-trend entry: return ≥ this (bps).
    pub trend_threshold_bps: f64,
    /// Up-trend release: return < this (bps).
    pub trend_resume_threshold_bps: f64,
    /// Down-trend entry: return ≤ −this (bps).
    pub trend_down_threshold_bps: f64,
    /// Down-trend release: return > −this (bps).
    pub trend_down_resume_threshold_bps: f64,
    /// Extra full spread during an up-trend (bps).
    pub trend_extra_spread_bps: f64,
    /// Extra full spread while the down guard holds (bps).
    pub trend_down_extra_spread_bps: f64,
    /// Bid pause after a down-trend when regimes are off, seconds.
    pub trend_down_cooldown_seconds: u64,
    /// A trend-paused side still quotes when it flattens |inv| > soft cap × this.
    pub trend_inventory_soft_cap_ratio: f64,

    /// Regime switching switch.
    pub regimes_enabled: bool,
    /// Volatility below this targets the defensive regime (bps).
    pub regime_vol_threshold_bps: f64,
    /// Minimum time between regime switches, seconds.
    pub regime_min_dwell_seconds: u64,
    /// Aggressive profile: size factor.
    pub aggressive_size_multiplier: f64,
    /// Aggressive profile: extra full spread (bps).
    pub aggressive_extra_spread_bps: f64,
    /// Aggressive profile: down-trend bid pause, seconds.
    pub aggressive_down_cooldown_seconds: u64,
    /// Defensive profile: size factor.
    pub defensive_size_multiplier: f64,
    /// Defensive profile: extra full spread (bps).
    pub defensive_extra_spread_bps: f64,
    /// Defensive profile: down-trend bid pause, seconds.
    pub defensive_down_cooldown_seconds: u64,

    /// PnL guard switch.
    pub pnl_guard_enabled: bool,
    /// Rolling window of FIFO realized PnL, seconds.
    pub pnl_guard_window_seconds: u64,
    /// Guard triggers when windowed realized PnL ≤ this (quote).
    pub pnl_guard_realized_floor: Quote,
    /// Consecutive failing checks needed to trigger.
    pub pnl_guard_trigger_consecutive: u32,
    /// Seconds between guard checks.
    pub pnl_guard_check_interval_seconds: u64,
    /// Extra full spread while active (bps).
    pub pnl_guard_widen_bps: f64,
    /// Cap of the guard's extra spread (bps).
    pub pnl_guard_max_extra_bps: f64,
    /// Size factor while active.
    pub pnl_guard_size_multiplier: f64,
    /// Lower bound of the guard's size factor.
    pub pnl_guard_min_size_multiplier: f64,
    /// How long an activation lasts, seconds.
    pub pnl_guard_ttl_seconds: u64,

    /// Phase 2: quote only the flattening side when |inv| > `asymmetric_threshold`.
    pub asymmetric_enabled: bool,
    /// Phase 2: |inventory| above which quoting is one-sided (base).
    pub asymmetric_threshold: Qty,
    /// Phase 2: inventory spread and size tiers.
    pub inventory_tiers_enabled: bool,
    /// Tier 1 starts strictly above this |inventory| (base).
    pub inventory_tier1: Qty,
    /// Tier 2 starts strictly above this |inventory| (base).
    pub inventory_tier2: Qty,
    /// Tier 3 starts strictly above this |inventory| (base).
    pub inventory_tier3: Qty,
    /// Extra full spread in tier 1 (bps).
    pub inventory_tier1_extra_bps: f64,
    /// Extra full spread in tier 2 (bps).
    pub inventory_tier2_extra_bps: f64,
    /// Extra full spread in tier 3 (bps).
    pub inventory_tier3_extra_bps: f64,
    /// Size factor in tier 1.
    pub inventory_tier1_size_multiplier: f64,
    /// Size factor in tiers 2 and 3.
    pub inventory_tier2_size_multiplier: f64,

    /// Quotes further than this from the mid are not posted (bps).
    pub price_band_bps: f64,
    /// A side whose fill would take |inventory| above this is not posted (base).
    pub max_position_units: Qty,
    /// A side whose fill would take |inventory|·mid above this is not posted (quote).
    pub max_inventory_notional: Quote,

    /// The venue's fees (`fees.rs`): `lighter` (zero, the seed's venue), `kraken`, `custom`.
    pub fee_schedule: FeeSchedule,
    /// Maker fee with `fee_schedule = "custom"`, percent.
    pub custom_maker_fee_pct: Ratio,
    /// Taker fee with `fee_schedule = "custom"`, percent.
    pub custom_taker_fee_pct: Ratio,
}

impl Default for MakerConfig {
    fn default() -> Self {
        MakerConfig {
            refresh_seconds: 5,
            refresh_tolerance_bps: 2.0,
            requote_on_fill: true,
            tick: Price::lit(1, 3),
            lot: Qty::lit(1, 3),
            min_size: Qty::lit(61, 3),
            min_notional: Quote::lit(105, 1),
            base_size: Qty::lit(64, 3),
            size_max: Qty::lit(72, 3),
            min_size_policy: MinSizePolicy::Raise,
            flatten_sizing: FlattenSizing::Closable,
            spread_bps: 13.0,
            randomize_bps: 0.0,
            inventory_soft_cap: Qty::lit(5, 2),
            soft_cap_size_ratio: 0.85,
            volatility_enabled: true,
            vol_halflife_seconds: 35,
            vol_low_bps: 6.0,
            vol_high_bps: 22.0,
            vol_min_spread_bps: 7.0,
            vol_max_spread_bps: 13.0,
            vol_min_size_multiplier: 0.7,
            vol_max_size_multiplier: 1.1,
            high_vol_threshold_bps: 9.0,
            high_vol_size_multiplier: 0.85,
            pause_threshold_bps: 30.0,
            resume_threshold_bps: 18.0,
            resume_inventory_ratio: 0.25,
            pause_reducing_quotes: true,
            trend_enabled: true,
            trend_lookback_seconds: 45,
            trend_threshold_bps: 12.0,
            trend_resume_threshold_bps: 6.0,
            trend_down_threshold_bps: 4.0,
            trend_down_resume_threshold_bps: 2.0,
            trend_extra_spread_bps: 2.5,
            trend_down_extra_spread_bps: 8.0,
            trend_down_cooldown_seconds: 60,
            trend_inventory_soft_cap_ratio: 0.6,
            regimes_enabled: true,
            regime_vol_threshold_bps: 6.0,
            regime_min_dwell_seconds: 60,
            aggressive_size_multiplier: 1.0,
            aggressive_extra_spread_bps: 0.0,
            aggressive_down_cooldown_seconds: 20,
            defensive_size_multiplier: 0.7,
            defensive_extra_spread_bps: 2.0,
            defensive_down_cooldown_seconds: 60,
            pnl_guard_enabled: true,
            pnl_guard_window_seconds: 300,
            pnl_guard_realized_floor: Quote::lit(-20, 2),
            pnl_guard_trigger_consecutive: 1,
            pnl_guard_check_interval_seconds: 15,
            pnl_guard_widen_bps: 6.0,
            pnl_guard_max_extra_bps: 10.0,
            pnl_guard_size_multiplier: 0.85,
            pnl_guard_min_size_multiplier: 0.6,
            pnl_guard_ttl_seconds: 120,
            asymmetric_enabled: true,
            asymmetric_threshold: Qty::lit(1, 2),
            inventory_tiers_enabled: true,
            inventory_tier1: Qty::lit(1, 2),
            inventory_tier2: Qty::lit(2, 2),
            inventory_tier3: Qty::lit(3, 2),
            inventory_tier1_extra_bps: 2.0,
            inventory_tier2_extra_bps: 4.0,
            inventory_tier3_extra_bps: 6.0,
            inventory_tier1_size_multiplier: 0.75,
            inventory_tier2_size_multiplier: 0.50,
            price_band_bps: 35.0,
            max_position_units: Qty::lit(3, 1),
            max_inventory_notional: Quote::lit(50, 0),
            fee_schedule: FeeSchedule::Lighter,
            custom_maker_fee_pct: Ratio::ZERO,
            custom_taker_fee_pct: Ratio::ZERO,
        }
    }
}

impl MakerConfig {
    /// The instrument these keys describe (decimals taken from tick and lot, fees from
    /// `fee_schedule`).
    pub fn instrument(&self, symbol: &str) -> Result<Instrument, FixedError> {
        let mut inst = Instrument::with_decimals(
            symbol,
            self.tick.fixed().decimals_used(),
            self.lot.fixed().decimals_used(),
        )?;
        inst.tick = self.tick;
        inst.lot = self.lot;
        inst.min_volume = self.min_size;
        inst.min_cost = self.min_notional;
        let fees = self.fee_rates();
        inst.maker_fee_pct = fees.maker_fee_pct;
        inst.taker_fee_pct = fees.taker_fee_pct;
        Ok(inst)
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
pub(crate) mod tests;
