//! The marks at which a price tick is quiet whatever its time (see
//! [`PairState::is_quiet`]): a band the runtime forms once per change of the slot and then
//! checks with two comparisons instead of a drift product per entry and tick.
//!
//! Invariant: a mark inside a slot's band makes its price tick quiet at any time — no
//! entry the tick could refresh has drifted past `refresh_pct`. A mark outside may still
//! be quiet (the drifted entry's refresh is cooling down): the caller then asks
//! [`PairState::is_quiet`].

use flywheel_core::Price;

use crate::config::EngineConfig;
use crate::pricing::drift_free_range;
use crate::state::{PairState, Role};

/// An inclusive range of marks (raw, scale 1e9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietBand {
    lo: i64,
    hi: i64,
}

impl QuietBand {
    /// No mark.
    pub const EMPTY: QuietBand = QuietBand { lo: 1, hi: 0 };

    pub fn contains(self, mark: Price) -> bool {
        self.lo <= mark.raw() && mark.raw() <= self.hi
    }
}

impl PairState {
    /// The positive marks at which no entry a price tick could refresh (resting, not
    /// partially filled) has drifted past `refresh_pct`: the intersection of each entry's
    /// drift-free range. Every positive mark when there is no such entry.
    pub fn quiet_band(&self, cfg: &EngineConfig) -> QuietBand {
        let mut band = QuietBand {
            lo: 1,
            hi: i64::MAX,
        };
        let refreshable = self
            .orders
            .iter()
            .filter(|o| o.role == Role::Entry && !o.partially_filled);
        for o in refreshable {
            let Some((lo, hi)) = drift_free_range(o.price, cfg.refresh_pct) else {
                return QuietBand::EMPTY;
            };
            band.lo = band.lo.max(lo);
            band.hi = band.hi.min(hi);
        }
        band
    }
}
