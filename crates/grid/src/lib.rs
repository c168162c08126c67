//! The per-slot grid pair engine (spec `grid-origin.md` §1), as a pure reducer.
//!
//! A slot runs two interleaved trades — A (sell entry, then buy exit) and B (buy entry, then
//! sell exit) — and [`transition`] maps `(state, event)` to `(state, actions)`. Nothing here
//! does I/O or reads a clock; the runtime executes the actions and feeds results back as
//! events. See `reducer` for the contract and `entries` for deferred entries.
//!
//! Fixed origin defects (spec §9): the re-entry cooldown delays the follow-up entry instead
//! of blocking it (#2); realized loss is per UTC day and the cycle history in state is
//! bounded (#12); forced closes release the position instead of booking synthetic profit
//! (#7); `s2_entered_at` is normalised every transition (#4); fills for unknown, inactive
//! or mismatched orders are rejected with the state unchanged.

mod booking;
pub mod bootstrap;
pub mod config;
mod entries;
pub mod event;
pub mod invariants;
mod orphan;
pub mod pricing;
mod quiet;
mod reducer;
pub mod state;
#[cfg(test)]
mod test_support;

pub use bootstrap::{add_entry, bootstrap_orders, EntryError};
pub use config::{EngineConfig, ENGINE_CONFIG_DOCS, ENGINE_CONFIG_RANGES};
pub use entries::{OrderSizes, SlotContext};
pub use event::{
    Action, BookCycle, CancelReason, Event, Fill, OrderRef, OrphanReason, PlaceOrder, PlaceReason,
    RecoveryFill, ReleaseReason,
};
pub use invariants::{check_invariants, Violation};
pub use orphan::pnl_at;
pub use pricing::{compute_order_volume, entry_backoff_multiplier, entry_price, exit_price};
pub use quiet::QuietBand;
pub use reducer::{transition, TransitionError};
pub use state::{
    CycleRecord, Direction, LocalId, ModeSource, OrderState, PairState, Phase, RecoveryId,
    RecoveryOrder, Regime, Role, TradeState,
};
