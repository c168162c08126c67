//! [`MAKER_CONFIG_DOCS`]: one line per `[maker]` key, in declaration order.

/// One line of documentation per key, in declaration order (used by `config defaults`).
pub const MAKER_CONFIG_DOCS: &[(&str, &str)] = &[
    (
        "refresh_seconds",
        "seconds between quote refreshes (engine cadence)",
    ),
    (
        "refresh_tolerance_bps",
        "keep a resting order within this many bps of the desired price",
    ),
    (
        "requote_on_fill",
        "a fill that moves inventory re-sizes the resting quotes at once (false: at the next refresh)",
    ),
    ("tick", "instrument price tick"),
    ("lot", "instrument volume lot"),
    ("min_size", "venue minimum order size, base"),
    ("min_notional", "venue minimum order notional, quote"),
    (
        "base_size",
        "quote size at flat inventory before multipliers, base",
    ),
    ("size_max", "hard cap of any computed quote size, base"),
    (
        "min_size_policy",
        "size below the venue minimum (the adding side under closable sizing): raise | reduce_only",
    ),
    (
        "flatten_sizing",
        "flattening side: closable (exactly |inv|, or |inv| + minimum below the minimum) | desired",
    ),
    (
        "spread_bps",
        "base full spread when volatility mode is off, bps",
    ),
    (
        "randomize_bps",
        "full-spread jitter amplitude, bps (0 = none; draw comes from the engine)",
    ),
    (
        "inventory_soft_cap",
        "inventory soft cap, base: size shrinks linearly up to it",
    ),
    (
        "soft_cap_size_ratio",
        "size factor at the soft cap (1.0 at flat)",
    ),
    (
        "volatility_enabled",
        "volatility band, high-vol clip and pause take effect",
    ),
    (
        "vol_halflife_seconds",
        "half-life of the volatility EMA, seconds",
    ),
    ("vol_low_bps", "volatility at the low end of the band, bps"),
    (
        "vol_high_bps",
        "volatility at the high end of the band, bps",
    ),
    (
        "vol_min_spread_bps",
        "full spread at the low end of the band, bps",
    ),
    (
        "vol_max_spread_bps",
        "full spread at the high end of the band, bps",
    ),
    (
        "vol_min_size_multiplier",
        "size factor at the high end of the band",
    ),
    (
        "vol_max_size_multiplier",
        "size factor at the low end of the band",
    ),
    (
        "high_vol_threshold_bps",
        "volatility from which the high-vol size clip applies, bps (0 = off)",
    ),
    (
        "high_vol_size_multiplier",
        "size factor of the high-vol clip",
    ),
    (
        "pause_threshold_bps",
        "volatility from which quoting pauses, bps",
    ),
    (
        "resume_threshold_bps",
        "volatility at or below which a pause may end, bps",
    ),
    (
        "resume_inventory_ratio",
        "a pause ends only when |inventory| <= soft cap x this",
    ),
    (
        "pause_reducing_quotes",
        "during the high-vol pause quote sides that only reduce |inv|; a residue below the minimum lets it end",
    ),
    ("trend_enabled", "trend filter switch"),
    (
        "trend_lookback_seconds",
        "window of the trend return, seconds",
    ),
    ("trend_threshold_bps", "up-trend entry: return >= this, bps"),
    (
        "trend_resume_threshold_bps",
        "up-trend release: return < this, bps",
    ),
    (
        "trend_down_threshold_bps",
        "down-trend entry: return <= -this, bps",
    ),
    (
        "trend_down_resume_threshold_bps",
        "down-trend release: return > -this, bps",
    ),
    (
        "trend_extra_spread_bps",
        "extra full spread during an up-trend, bps",
    ),
    (
        "trend_down_extra_spread_bps",
        "extra full spread while the down guard holds, bps",
    ),
    (
        "trend_down_cooldown_seconds",
        "bid pause after a down-trend when regimes are off, seconds",
    ),
    (
        "trend_inventory_soft_cap_ratio",
        "a trend-paused side still quotes when it flattens |inv| > soft cap x this",
    ),
    ("regimes_enabled", "defensive/aggressive regime switching"),
    (
        "regime_vol_threshold_bps",
        "volatility below this targets the defensive regime, bps",
    ),
    (
        "regime_min_dwell_seconds",
        "minimum time between regime switches, seconds",
    ),
    (
        "aggressive_size_multiplier",
        "aggressive profile size factor",
    ),
    (
        "aggressive_extra_spread_bps",
        "aggressive profile extra full spread, bps",
    ),
    (
        "aggressive_down_cooldown_seconds",
        "aggressive profile down-trend bid pause, seconds",
    ),
    ("defensive_size_multiplier", "defensive profile size factor"),
    (
        "defensive_extra_spread_bps",
        "defensive profile extra full spread, bps",
    ),
    (
        "defensive_down_cooldown_seconds",
        "defensive profile down-trend bid pause, seconds",
    ),
    ("pnl_guard_enabled", "PnL guard on FIFO realized PnL"),
    (
        "pnl_guard_window_seconds",
        "rolling window of realized PnL, seconds",
    ),
    (
        "pnl_guard_realized_floor",
        "guard triggers when windowed realized PnL <= this, quote",
    ),
    (
        "pnl_guard_trigger_consecutive",
        "consecutive failing checks needed to trigger",
    ),
    (
        "pnl_guard_check_interval_seconds",
        "seconds between guard checks",
    ),
    (
        "pnl_guard_widen_bps",
        "extra full spread while the guard is active, bps",
    ),
    (
        "pnl_guard_max_extra_bps",
        "cap of the guard's extra spread, bps",
    ),
    (
        "pnl_guard_size_multiplier",
        "size factor while the guard is active",
    ),
    (
        "pnl_guard_min_size_multiplier",
        "lower bound of the guard's size factor",
    ),
    (
        "pnl_guard_ttl_seconds",
        "how long an activation lasts, seconds",
    ),
    (
        "asymmetric_enabled",
        "phase 2: only the flattening side quotes when |inv| > asymmetric_threshold",
    ),
    (
        "asymmetric_threshold",
        "phase 2: |inventory| above which quoting is one-sided, base",
    ),
    (
        "inventory_tiers_enabled",
        "phase 2: inventory spread and size tiers",
    ),
    (
        "inventory_tier1",
        "tier 1 starts strictly above this |inventory|, base",
    ),
    (
        "inventory_tier2",
        "tier 2 starts strictly above this |inventory|, base",
    ),
    (
        "inventory_tier3",
        "tier 3 starts strictly above this |inventory|, base",
    ),
    (
        "inventory_tier1_extra_bps",
        "extra full spread in tier 1, bps",
    ),
    (
        "inventory_tier2_extra_bps",
        "extra full spread in tier 2, bps",
    ),
    (
        "inventory_tier3_extra_bps",
        "extra full spread in tier 3, bps",
    ),
    ("inventory_tier1_size_multiplier", "size factor in tier 1"),
    (
        "inventory_tier2_size_multiplier",
        "size factor in tiers 2 and 3",
    ),
    (
        "price_band_bps",
        "quotes further than this from the mid are not posted, bps",
    ),
    (
        "max_position_units",
        "a side whose fill would take |inventory| above this is not posted, base",
    ),
    (
        "max_inventory_notional",
        "a side whose fill would take |inventory| x mid above this is not posted, quote",
    ),
    (
        "fee_schedule",
        "venue fees: lighter (0 / 0, the seed's venue) | kraken (0.25 % / 0.40 %) | custom",
    ),
    (
        "custom_maker_fee_pct",
        "maker fee with fee_schedule = custom, percent",
    ),
    (
        "custom_taker_fee_pct",
        "taker fee with fee_schedule = custom, percent",
    ),
];
