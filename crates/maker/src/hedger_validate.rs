//! [`HedgerConfig::validate`]: every out-of-range or inconsistent `[hedger]` value at once.
//!
//! Ranges ([`HEDGER_CONFIG_RANGES`]; budgets in `flywheel_core::config_range`): inventory
//! thresholds and clips share the balance budget (10⁹ base units or quote); distances from
//! mid are below 10 000 bps (100 %); durations are at most a day. Two precision rules on top:
//! bps keys have at most 5 decimals (so `1 ± bps/10 000` is exact in 9 decimals) and seconds
//! at most 3 (whole milliseconds).
//!
//! Consistency (errors): `target_units` below `trigger_units`; each crossing offset within
//! its slippage cap (the origin's defect (b): an offset beyond its cap, clamped at run time,
//! but a configuration that asks for it is a mistake worth naming), the emergency offset
//! included.

use flywheel_core::config_range::{check_ranges, dec, ge, gt, le, lt, KeyRange, Num, MAX_BALANCE};
use flywheel_core::{key_ranges, ConfigProblem, Fixed};

use super::{HedgerConfig, Problem};

const ZERO: Num = Num::dec(0, 0);
const BPS_MAX: Num = Num::dec(10_000, 0);
const SECS_MAX: Num = Num::Dec(Fixed::lit(86_400, 0));

/// The range of every numeric `[hedger]` key.
#[rustfmt::skip]
pub const HEDGER_CONFIG_RANGES: &[KeyRange<HedgerConfig>] = key_ranges! { HedgerConfig;
    trigger_units: gt(ZERO), le(MAX_BALANCE), "base units",
        "an inventory, within the balance budget";
    trigger_notional: ge(ZERO), le(MAX_BALANCE), "quote", "0 = off; within the balance budget";
    target_units: ge(ZERO), le(MAX_BALANCE), "base units",
        "an inventory, within the balance budget";
    max_clip_units: gt(ZERO), le(MAX_BALANCE), "base units",
        "an order size, within the balance budget";
    price_offset_bps: ge(ZERO), lt(BPS_MAX), "bps", "a distance from mid, below 100 %";
    max_slippage_bps: ge(ZERO), lt(BPS_MAX), "bps", "a distance from mid, below 100 %";
    residue_grace_seconds: ge(ZERO), le(SECS_MAX), "seconds", "a wait, at most a day";
    cooldown_seconds: ge(ZERO), le(SECS_MAX), "seconds", "a pause, at most a day";
    poll_interval_seconds: ge(ZERO), le(dec(60, 0)), "seconds", "0 = off; a poll, at most a minute";
    passive_wait_seconds: ge(ZERO), le(SECS_MAX), "seconds", "a wait, at most a day";
    passive_offset_bps: ge(ZERO), lt(BPS_MAX), "bps", "a distance from mid, below 100 %";
    passive_timeout_seconds: ge(ZERO), le(SECS_MAX), "seconds", "0 = never; at most a day";
    guard_emergency_seconds: ge(ZERO), le(SECS_MAX), "seconds", "0 = off; at most a day";
    guard_emergency_clip_multiplier: ge(dec(1, 0)), le(dec(10, 0)), "", "a clip factor, 1-10";
    guard_emergency_extra_bps: ge(ZERO), lt(BPS_MAX), "bps", "a distance from mid, below 100 %";
    guard_emergency_cooldown_seconds: ge(ZERO), le(SECS_MAX), "seconds", "a pause, at most a day";
    guard_emergency_max_slippage_bps: ge(ZERO), lt(BPS_MAX), "bps",
        "a distance from mid, below 100 %";
    guard_clip_multiplier: gt(ZERO), le(dec(1, 0)), "", "a clip factor in (0, 1]";
    guard_price_offset_bps: ge(ZERO), lt(BPS_MAX), "bps", "a distance from mid, below 100 %";
    guard_max_slippage_bps: ge(ZERO), lt(BPS_MAX), "bps", "a distance from mid, below 100 %";
};

impl HedgerConfig {
    /// Every out-of-range or inconsistent value (see the module docs).
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = check_ranges(HEDGER_CONFIG_RANGES, self);
        for (key, v) in [
            ("price_offset_bps", self.price_offset_bps),
            ("max_slippage_bps", self.max_slippage_bps),
            ("passive_offset_bps", self.passive_offset_bps),
            ("guard_emergency_extra_bps", self.guard_emergency_extra_bps),
            (
                "guard_emergency_max_slippage_bps",
                self.guard_emergency_max_slippage_bps,
            ),
            ("guard_price_offset_bps", self.guard_price_offset_bps),
            ("guard_max_slippage_bps", self.guard_max_slippage_bps),
        ] {
            if v.fixed().decimals_used() > 5 {
                let message = format!("{v} has more than 5 decimals (bps are exact to 5)");
                out.push(ConfigProblem::error(key, message));
            }
        }
        for (key, v) in [
            ("residue_grace_seconds", self.residue_grace_seconds),
            ("cooldown_seconds", self.cooldown_seconds),
            ("poll_interval_seconds", self.poll_interval_seconds),
            ("passive_wait_seconds", self.passive_wait_seconds),
            ("passive_timeout_seconds", self.passive_timeout_seconds),
            ("guard_emergency_seconds", self.guard_emergency_seconds),
            (
                "guard_emergency_cooldown_seconds",
                self.guard_emergency_cooldown_seconds,
            ),
        ] {
            if v.decimals_used() > 3 {
                let message = format!("{v} has more than 3 decimals (whole milliseconds)");
                out.push(ConfigProblem::error(key, message));
            }
        }
        if self.target_units >= self.trigger_units {
            let message = format!(
                "{} must be below trigger_units {} (the hedger flattens down to it)",
                self.target_units, self.trigger_units
            );
            out.push(ConfigProblem::error("target_units", message).with_also(&["trigger_units"]));
        }
        self.offsets_within_caps(&mut out);
        out
    }

    fn offsets_within_caps(&self, out: &mut Vec<Problem>) {
        for (key, offset, cap_key, cap) in [
            (
                "price_offset_bps",
                self.price_offset_bps,
                "max_slippage_bps",
                self.max_slippage_bps,
            ),
            (
                "guard_price_offset_bps",
                self.guard_price_offset_bps,
                "guard_max_slippage_bps",
                self.guard_max_slippage_bps,
            ),
        ] {
            if offset > cap {
                let message = format!("{offset} exceeds {cap_key} {cap} (it would be clamped)");
                out.push(ConfigProblem::error(key, message).with_also(&[cap_key]));
            }
        }
        let offset = self.price_offset_bps.max(self.guard_price_offset_bps);
        let cap = self.guard_emergency_max_slippage_bps;
        let Ok(total) = offset.checked_add(self.guard_emergency_extra_bps) else {
            return;
        };
        if total > cap {
            let message = format!(
                "the emergency offset {total} (max(price_offset_bps, guard_price_offset_bps) \
                 {offset} + {}) exceeds guard_emergency_max_slippage_bps {cap}",
                self.guard_emergency_extra_bps
            );
            out.push(
                ConfigProblem::error("guard_emergency_extra_bps", message).with_also(&[
                    "price_offset_bps",
                    "guard_price_offset_bps",
                    "guard_emergency_max_slippage_bps",
                ]),
            );
        }
    }
}
