//! The ancillary cyclers of seed 001 Patch C, as pure state machines: **rangers** (spec
//! `grid-origin.md` §2.17, standalone sell→buy micro-cycles) and **churners** (§2.18, round
//! trips beside a slot whose exit is stuck), and the `ancillary_profit_usd` counter their net
//! profit feeds ([`AncillaryTotals`], status block [`ancillary_status`]).
//!
//! Nothing here does I/O or reads a clock: `now`, the market, balances, headroom and regime
//! arrive in a context; the cyclers answer with [`Command`]s (place / cancel) and report
//! [`Outcome`]s. The engine executes commands through its venue and feeds each order's end
//! back (`on_fill`, `on_cancelled`, `on_rejected`, keyed by the [`OrderKey`] of the command).
//! A call that returns an error leaves the state unchanged.
//!
//! Invariants:
//! - **One live order per cycler.** A cycler places a new order only after its previous order
//!   has ended; the engine can map an [`Owner`] to at most one venue order.
//! - **Nothing forgotten.** Every filled entry volume ends in exactly one of: a closed trip
//!   ([`Outcome::Closed`], profit or loss booked from the two fills), a reported abandoned
//!   position ([`Outcome::Abandoned`]: exit timeout, the rest of a partly filled exit, or a
//!   fill below the exchange minimums), or the cycler's open [`Position`]. The origin simply
//!   forgot timed-out ranger exits and partial fills.
//! - **No money created.** Profit is computed only from real fills: `net = (sell − buy) ×
//!   qty − entry fee − exit fee`, exact decimals, one rounding; an entry fee split between a
//!   closed and an abandoned part adds up exactly. Abandoned positions book nothing. Losses
//!   are booked too (the seed's counter kept only gains).
//! - **Deterministic.** Ordered maps only; candidate ranking uses exact integer arithmetic.
//!
//! Exit prices round away from the fill (buy exits floor, sell exits ceil), so a target is
//! never worse than its formula; entry prices and volumes round half-even like the slot
//! engine. An open exit is kept when the regime or headroom gate closes (only entries are
//! cancelled); it ends by fill or by its timeout.

pub mod churner;
pub mod config;
pub mod cycle;
pub mod event;
pub mod ranger;
pub mod totals;

#[cfg(test)]
mod churner_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod ranger_tests;
#[cfg(test)]
mod test_support;

pub use churner::{
    assess, pick_parent, Assessment, Churner, ChurnerCtx, Churners, Funding, ReservePool,
    StuckPosition,
};
pub use config::{
    AgeBand, ChurnerConfig, Problem, RangerConfig, CHURNER_CONFIG_DOCS, CHURNER_CONFIG_RANGES,
    CHURNER_FEE_MARGIN_PCT, RANGER_CONFIG_DOCS, RANGER_CONFIG_RANGES, RANGER_FEE_MARGIN_PCT,
};
pub use cycle::{Cycle, EntryOrder, ExitOrder, Phase};
pub use event::{
    AbandonReason, AbandonedPosition, AncillaryError, BlockReason, Blocked, CancelReason,
    ClosedTrip, Command, Fill, Leg, OrderKey, Outcome, Owner, Position, Reaction,
};
pub use ranger::{Ranger, RangerCtx, RangerSet};
pub use totals::{ancillary_status, AncillaryStatus, AncillaryTotals};
