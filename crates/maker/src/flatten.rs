//! Sizes that land on a **closable** position (issue 11): the arithmetic shared by the
//! maker's flattening side and the hedger's clips.
//!
//! A position `p` is closable at venue minimum `m` (the larger of the minimum size and
//! the minimum notional at the order's price, in lots) when `p = 0` or `|p| ≥ m`: one valid
//! order takes it to flat. Every position is at most two valid orders from flat:
//! - `|p| ≥ m`: one order of exactly `|p|` lands on 0;
//! - `0 < |p| < m` (a *residue*): an order of `|p| + m` on the flattening side lands exactly
//!   on `∓m`, and an order of `m` then lands on 0 — the *two-step*.
//!
//! Invariants (tested on a table and by property): every size returned here is ≥ `m`, and a
//! full fill of it leaves a position that is 0, within the caller's target, or ≥ `m` in
//! absolute value. A partial fill can still leave a residue; the caller sizes again from the
//! new position at its next decision, so residues are transient. Inputs are whole numbers of
//! lots (inventory is the sum of venue fills, and minimums are rounded up to the lot), so the
//! results are too. Arithmetic is checked: an overflow is an error, never a wrap or a panic.

use flywheel_core::{FixedError, Qty};

/// True when `after_abs` (|position| after a fill) can be closed by one order at minimum `min`.
pub fn closable(after_abs: Qty, min: Qty) -> bool {
    after_abs.is_zero() || after_abs >= min
}

/// The maker's flattening size for `|inv| = inv_abs` at venue minimum `min`: exactly
/// `inv_abs` when it is at least the minimum (lands on flat), `inv_abs + min` for a residue
/// (lands exactly on the minimum on the other side). `None` when flat.
pub fn flatten_size(inv_abs: Qty, min: Qty) -> Result<Option<Qty>, FixedError> {
    if !inv_abs.is_positive() {
        return Ok(None);
    }
    if inv_abs >= min {
        Ok(Some(inv_abs))
    } else {
        inv_abs.checked_add(min).map(Some)
    }
}

/// A hedger clip for a position of `inv_abs ≥ min`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clip {
    pub qty: Qty,
    /// The clip is larger than the cap it was asked to respect (the venue minimum, or
    /// landing on a closable position, required it).
    pub over_cap: bool,
}

/// The clip closest to `wanted` (the capped, lot-rounded excess over the target, ≤ `cap`)
/// that is at least `min` and lands on `|after| ≤ target` or `|after| ≥ min`.
///
/// Candidates are `[min, inv_abs − min] ∪ [inv_abs − target, inv_abs]`. `wanted` itself when
/// it is one; a smaller clip that leaves exactly `min` when `wanted` would land in the dead
/// zone `(target, min)`; else the smallest valid size at or above `wanted`, which is `min`
/// (raised) or `inv_abs` (to flat). `None` when `inv_abs < min` (a residue: see
/// [`flatten_size`] and the hedger's two-step). A zero `wanted` (a cap below one lot) is
/// raised like any other.
pub fn hedge_clip(
    inv_abs: Qty,
    wanted: Qty,
    cap: Qty,
    target: Qty,
    min: Qty,
) -> Result<Option<Clip>, FixedError> {
    if inv_abs < min || !inv_abs.is_positive() {
        return Ok(None);
    }
    let lands = |q: Qty| -> Result<bool, FixedError> {
        let after = inv_abs.checked_sub(q)?;
        Ok(q >= min && !after.is_negative() && (after <= target || after >= min))
    };
    let qty = if lands(wanted)? {
        wanted
    } else if wanted >= min {
        // `wanted` would leave a residue: leave exactly `min` if that is a valid clip.
        let leave_min = inv_abs.checked_sub(min)?;
        if leave_min >= min {
            leave_min
        } else {
            inv_abs
        }
    } else if lands(min)? {
        min
    } else {
        inv_abs
    };
    Ok(Some(Clip {
        qty,
        over_cap: qty > cap,
    }))
}

#[cfg(test)]
#[path = "flatten_tests.rs"]
mod tests;
