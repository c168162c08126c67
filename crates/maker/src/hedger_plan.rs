//! The hedger's next order: its price (passive at mid ± `passive_offset_bps`, or an IOC
//! within the slippage cap) and its size. Pure functions of the configuration and the
//! decision context.
//!
//! Size: `wanted` = the excess over `target_units`, capped (`max_clip_units`, × the guard or
//! emergency multiplier) and rounded down to the lot. With `closable_clips` (issue 11) the
//! clip is [`hedge_clip`]: the size nearest `wanted` that is at least the venue minimum and
//! lands within the target or on a closable position (|inv| ≥ minimum) — exceeding the cap
//! when the minimum requires it (`over_cap`). A residue below the minimum is
//! [`Plan::BelowMinimum`] until the caller says its grace period is over; then the two-step's
//! first leg, `|inv| + minimum`, lands exactly on the minimum on the other side. Round 1
//! (`closable_clips = false`): `wanted`, raised to the minimum only when the minimum is at
//! most |inv|, else skipped — which left residues that nothing closed.

use flywheel_core::{Fixed, FixedError, Instrument, Price, Qty, Ratio, Rounding, Side};

use super::{HedgeCtx, HedgerConfig};
use crate::flatten::hedge_clip;

/// A planned order before it becomes a command.
pub(super) enum Plan {
    Order {
        price: Price,
        qty: Qty,
        /// Larger than the clip cap (the venue minimum required it).
        over_cap: bool,
        /// The first leg of a two-step: crosses flat to land on the minimum.
        two_step: bool,
    },
    NothingToDo,
    /// |inventory| is below the venue minimum (and the two-step is not due).
    BelowMinimum,
}

/// `mid × (1 + sign·bps/10 000)` rounded with `mode` to the instrument's tick.
fn offset_price(
    mid: Price,
    bps: Ratio,
    up: bool,
    mode: Rounding,
    inst: &Instrument,
) -> Result<Price, FixedError> {
    let frac = bps
        .fixed()
        .div_round(Fixed::lit(10_000, 0), 9, Rounding::HalfEven)?;
    let factor = if up {
        Fixed::ONE.checked_add(frac)?
    } else {
        Fixed::ONE.checked_sub(frac)?
    };
    let raw = mid.scale(Ratio::new(factor), 9, mode)?;
    inst.round_price(raw, mode)
}

/// `qty` rounded up to the lot.
fn ceil_lot(inst: &Instrument, qty: Qty) -> Result<Qty, FixedError> {
    inst.round_qty(qty, Rounding::Ceil)
}

/// The smallest order the venue accepts at `price` (at least one lot).
pub(super) fn venue_min(inst: &Instrument, price: Price) -> Result<Qty, FixedError> {
    let mut min = inst.lot.max(ceil_lot(inst, inst.min_volume)?);
    if inst.min_cost.is_positive() {
        let by_cost = inst.min_cost.qty_for(price, 9, Rounding::Ceil)?;
        min = min.max(ceil_lot(inst, by_cost)?);
    }
    Ok(min)
}

/// Price and size of the next order of a clip; `residue_due`: a residue below the venue
/// minimum has waited its grace period, so the two-step may start.
pub(super) fn plan(
    cfg: &HedgerConfig,
    ctx: &HedgeCtx,
    side: Side,
    aggressive: bool,
    emergency: bool,
    residue_due: bool,
) -> Result<Plan, FixedError> {
    let inst = ctx.instrument;
    let inv_abs = ctx.inventory.abs();
    let excess = inv_abs.checked_sub(cfg.target_units)?;
    if !excess.is_positive() {
        return Ok(Plan::NothingToDo);
    }
    let limit = if emergency {
        cfg.max_clip_units
            .scale(cfg.guard_emergency_clip_multiplier, 9, Rounding::TowardZero)?
    } else if ctx.pnl_guard_active {
        cfg.max_clip_units
            .scale(cfg.guard_clip_multiplier, 9, Rounding::TowardZero)?
    } else {
        cfg.max_clip_units
    };
    let wanted = inst.round_qty(excess.min(limit), Rounding::TowardZero)?;

    let price = if aggressive {
        let (base, cap) = match (emergency, ctx.pnl_guard_active) {
            (true, guard) => (
                if guard {
                    cfg.guard_price_offset_bps
                } else {
                    cfg.price_offset_bps
                } + cfg.guard_emergency_extra_bps,
                cfg.guard_emergency_max_slippage_bps,
            ),
            (false, true) => (cfg.guard_price_offset_bps, cfg.guard_max_slippage_bps),
            (false, false) => (cfg.price_offset_bps, cfg.max_slippage_bps),
        };
        let off = base.min(cap);
        // Cross toward the other side, rounded back toward mid so the cap holds.
        match side {
            Side::Sell => offset_price(ctx.mid, off, false, Rounding::Ceil, inst)?,
            Side::Buy => offset_price(ctx.mid, off, true, Rounding::Floor, inst)?,
        }
    } else {
        // Rest on our own side, rounded away from mid so it stays passive.
        match side {
            Side::Sell => {
                offset_price(ctx.mid, cfg.passive_offset_bps, true, Rounding::Ceil, inst)?
            }
            Side::Buy => offset_price(
                ctx.mid,
                cfg.passive_offset_bps,
                false,
                Rounding::Floor,
                inst,
            )?,
        }
    };
    if !price.is_positive() {
        return Ok(Plan::NothingToDo);
    }
    let min = venue_min(inst, price)?;
    if cfg.closable_clips {
        if let Some(clip) = hedge_clip(inv_abs, wanted, limit, cfg.target_units, min)? {
            return Ok(Plan::Order {
                price,
                qty: clip.qty,
                over_cap: clip.over_cap,
                two_step: false,
            });
        }
        if !residue_due {
            return Ok(Plan::BelowMinimum);
        }
        let qty = inv_abs.checked_add(min)?;
        return Ok(Plan::Order {
            price,
            qty,
            over_cap: qty > limit,
            two_step: true,
        });
    }
    let qty = if wanted >= min {
        wanted
    } else if min <= inv_abs {
        min
    } else {
        return Ok(Plan::BelowMinimum);
    };
    Ok(Plan::Order {
        price,
        qty,
        over_cap: qty > limit,
        two_step: false,
    })
}
