//! The hedger's next order: its price (passive at mid ± `passive_offset_bps`, or an IOC
//! within the slippage cap) and its size (the capped excess over the target, with the venue
//! minimum). Pure functions of the configuration and the decision context.

use flywheel_core::{Fixed, FixedError, Instrument, Price, Qty, Ratio, Rounding, Side};

use super::{HedgeCtx, HedgerConfig};

/// A planned order before it becomes a command.
pub(super) enum Plan {
    Order { price: Price, qty: Qty },
    NothingToDo,
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

/// Price and size of the next order of a clip.
pub(super) fn plan(
    cfg: &HedgerConfig,
    ctx: &HedgeCtx,
    side: Side,
    aggressive: bool,
    emergency: bool,
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
    let qty = if wanted >= min {
        wanted
    } else if min <= inv_abs {
        min
    } else {
        return Ok(Plan::BelowMinimum);
    };
    Ok(Plan::Order { price, qty })
}
