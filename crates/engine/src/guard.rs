//! The money guard: the engine never forms an amount it cannot hold exactly.
//!
//! - [`Engine::mark_fits`] refuses a market price at which the account (its base, its quote
//!   and the entries its slots may place) cannot be valued with margin inside the `Fixed`
//!   range; `on_market` keeps the previous mark and halts trading with the reason.
//! - [`Engine::or_halt`] is the backstop for an exact computation that still fails: the
//!   fault is counted, trading halts with the reason, and the caller gets zero. Never a
//!   panic, never a silent zero.

use flywheel_core::{Fixed, FixedError, Price, Rounding, Wide};
use flywheel_venue::Venue;

use crate::engine::Engine;
use crate::journal::JournalSink;

impl<V: Venue, J: JournalSink> Engine<V, J> {
    /// Whether every amount a loop forms at `price` stays well inside the exact range:
    /// the account's base at that price, plus four minimum-size entries per slot, plus the
    /// quote, with an 8× margin for sums across slots and the runway's 1.5×.
    pub(crate) fn mark_fits(&self, price: Price) -> Result<(), String> {
        let bal = self.venue.balances();
        let slots = u64::try_from(self.slots.len()).unwrap_or(u64::MAX).max(1);
        let entries = Wide::product(price.fixed(), self.cfg.min_volume.fixed(), Rounding::Ceil)
            .times(4 * slots);
        let total = crate::stats::equity_at(&bal, price) + entries;
        let limit = Wide::from(Fixed::MAX).mul_fixed(Fixed::lit(125, 3), Rounding::Floor);
        if limit.is_ok_and(|l| total <= l) {
            Ok(())
        } else {
            Err(format!(
                "price {price} refused: the account ({} base, {} quote, {slots} slots) valued at it \
                 leaves the exact money range (±9.2e9 with margin); check the data or enable \
                 the price sanity filter",
                bal.base.total, bal.quote.total
            ))
        }
    }

    /// The value of an exact computation, or — when it cannot be done exactly (overflow) —
    /// zero after halting trading with the reason. [`Self::mark_fits`] keeps every amount a
    /// loop forms inside the range, so this is a backstop that is never silent: the fault is
    /// counted and named.
    pub(crate) fn or_halt<T: Default>(&mut self, r: Result<T, FixedError>, what: &str) -> T {
        r.unwrap_or_else(|e| {
            self.stats.arithmetic_faults += 1;
            self.halt(&format!("cannot compute {what} exactly: {e}"));
            T::default()
        })
    }
}
