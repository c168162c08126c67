//! `check_invariants`: the slot's structural rules as a typed list (spec §1.8).
//!
//! The origin's messages are kept verbatim as stable identifiers ([`Violation::message`]);
//! logs, snapshots and the runtime's repair logic match on them. Flywheel adds rules for
//! what its own state can express (pending entries, ids, side/role consistency).
//!
//! A trade's *pending* entry (see `entries`) counts as its entry in the shape rules: a slot
//! waiting out its re-entry cooldown is healthy, not degraded.

use flywheel_core::{Side, TradeId};
use serde::{Deserialize, Serialize};

use crate::state::{PairState, Phase, Role};

/// One broken rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Violation {
    DuplicateLocalId,
    S0LongOnlyShape,
    S0ShortOnlyShape,
    S0Shape,
    S1aShortOnlyShape,
    S1aShape,
    S1bLongOnlyShape,
    S1bShape,
    S2Shape,
    S2EnteredOutsideS2,
    OrderCycleBelowOne,
    ExitWithoutEntryPrice,
    NonPositiveVolume,
    CycleCountersBelowOne,
    // Flywheel's additions.
    NonPositivePrice,
    SideRoleMismatch,
    UnallocatedLocalId,
    PendingEntryInPosition,
    PendingEntryWithRestingEntry,
    BothOneSided,
    DuplicateRecoveryId,
}

impl Violation {
    /// The stable message text (the origin's where it had one).
    pub const fn message(self) -> &'static str {
        match self {
            Violation::DuplicateLocalId => "duplicate order local_id",
            Violation::S0LongOnlyShape => "S0 long_only must be exactly one buy entry",
            Violation::S0ShortOnlyShape => "S0 short_only must be exactly one sell entry",
            Violation::S0Shape => "S0 must be exactly A sell entry + B buy entry",
            Violation::S1aShortOnlyShape => "S1a short_only must have one buy exit",
            Violation::S1aShape => "S1a must be one buy exit + one buy entry",
            Violation::S1bLongOnlyShape => "S1b long_only must have one sell exit",
            Violation::S1bShape => "S1b must be one sell exit + one sell entry",
            Violation::S2Shape => "S2 must be one buy exit + one sell exit only",
            Violation::S2EnteredOutsideS2 => "s2_entered_at must be null outside S2",
            Violation::OrderCycleBelowOne => "order cycle must be >= 1",
            Violation::ExitWithoutEntryPrice => "exit must carry entry_price",
            Violation::NonPositiveVolume => "order volume must be > 0",
            Violation::CycleCountersBelowOne => "cycle counters must be >= 1",
            Violation::NonPositivePrice => "order price must be > 0",
            Violation::SideRoleMismatch => "order side must match its trade and role",
            Violation::UnallocatedLocalId => "order local_id must be below next_order_id",
            Violation::PendingEntryInPosition => "pending entry for a trade in position",
            Violation::PendingEntryWithRestingEntry => "pending entry for a trade with an entry",
            Violation::BothOneSided => "long_only and short_only are exclusive",
            Violation::DuplicateRecoveryId => "duplicate recovery_id",
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// Every rule the state breaks (empty when healthy), in a fixed order.
pub fn check_invariants(state: &PairState) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut push = |v: Violation| {
        if !out.contains(&v) {
            out.push(v);
        }
    };

    let mut ids: Vec<u64> = state.orders.iter().map(|o| o.local_id).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        push(Violation::DuplicateLocalId);
    }
    let mut rids: Vec<u64> = state
        .recovery_orders
        .iter()
        .map(|r| r.recovery_id)
        .collect();
    rids.sort_unstable();
    if rids.windows(2).any(|w| w[0] == w[1]) {
        push(Violation::DuplicateRecoveryId);
    }

    let (mut buy_entries, mut sell_entries, mut buy_exits, mut sell_exits) = (0, 0, 0, 0);
    for o in &state.orders {
        if o.cycle < 1 {
            push(Violation::OrderCycleBelowOne);
        }
        if !o.volume.is_positive() {
            push(Violation::NonPositiveVolume);
        }
        if !o.price.is_positive() {
            push(Violation::NonPositivePrice);
        }
        if o.local_id >= state.next_order_id {
            push(Violation::UnallocatedLocalId);
        }
        let expected_side = match o.role {
            Role::Entry => o.trade_id.entry_side(),
            Role::Exit => o.trade_id.exit_side(),
        };
        if o.side != expected_side {
            push(Violation::SideRoleMismatch);
        }
        match (o.role, o.side) {
            (Role::Entry, Side::Buy) => buy_entries += 1,
            (Role::Entry, Side::Sell) => sell_entries += 1,
            (Role::Exit, Side::Buy) => {
                buy_exits += 1;
                if !o.entry_price.is_positive() {
                    push(Violation::ExitWithoutEntryPrice);
                }
            }
            (Role::Exit, Side::Sell) => {
                sell_exits += 1;
                if !o.entry_price.is_positive() {
                    push(Violation::ExitWithoutEntryPrice);
                }
            }
        }
    }

    for t in TradeId::BOTH {
        if state.trade(t).pending_entry.is_some() {
            if state.in_position(t) {
                push(Violation::PendingEntryInPosition);
            }
            if state.entry_of(t).is_some() {
                push(Violation::PendingEntryWithRestingEntry);
            }
        }
    }
    // Pending entries count as present in the shape rules.
    let buy_entries = buy_entries + usize::from(state.b.pending_entry.is_some());
    let sell_entries = sell_entries + usize::from(state.a.pending_entry.is_some());

    match state.phase() {
        Phase::S0 => {
            if state.long_only {
                if !(buy_entries == 1 && sell_entries == 0) {
                    push(Violation::S0LongOnlyShape);
                }
            } else if state.short_only {
                if !(sell_entries == 1 && buy_entries == 0) {
                    push(Violation::S0ShortOnlyShape);
                }
            } else if !(buy_entries == 1 && sell_entries == 1) {
                push(Violation::S0Shape);
            }
        }
        Phase::S1a => {
            if state.short_only {
                if buy_exits != 1 {
                    push(Violation::S1aShortOnlyShape);
                }
            } else if !(buy_exits == 1 && buy_entries == 1 && sell_entries == 0) {
                push(Violation::S1aShape);
            }
        }
        Phase::S1b => {
            if state.long_only {
                if sell_exits != 1 {
                    push(Violation::S1bLongOnlyShape);
                }
            } else if !(sell_exits == 1 && sell_entries == 1 && buy_entries == 0) {
                push(Violation::S1bShape);
            }
        }
        Phase::S2 => {
            if !(buy_exits == 1 && sell_exits == 1 && buy_entries == 0 && sell_entries == 0) {
                push(Violation::S2Shape);
            }
        }
    }
    if state.phase() != Phase::S2 && state.s2_entered_at.is_some() {
        push(Violation::S2EnteredOutsideS2);
    }
    if state.a.cycle < 1 || state.b.cycle < 1 {
        push(Violation::CycleCountersBelowOne);
    }
    if state.long_only && state.short_only {
        push(Violation::BothOneSided);
    }
    out
}
