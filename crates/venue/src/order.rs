//! [`OrderState`]: where one order stands on the caller's side, and the pure transition
//! function that moves it on each [`VenueEvent`] (`spec/live.md` §6 "Order states").
//!
//! ```text
//!            Acked / Fill(leaves>0)                    Fill(leaves=0)
//!  Pending ──────────────────────────► Open ───────────────────────────► Filled
//!    │  │ Unknown            ▲  │  Done{cancelled|expired} ──────────► Cancelled | Expired
//!    │  └────────► Unknown ──┘  └─ Rejected (refused on arrival) ─────► Rejected
//!    │              │  │ NeverPlaced ──────────────────────────────────► NeverPlaced
//!    │              └──┴── Rejected / Fill(leaves=0) / Done ───────────► (as above)
//!    └── Rejected / Fill(leaves=0) / Done / NeverPlaced ───────────────► (as above)
//! ```
//!
//! Live's *Intent* and *Sent* (before and after the outbox commit) are both `Pending` here:
//! the difference belongs to the sender, not to the trading logic. *PartiallyFilled* is
//! `Open` with executions. A requested cancel is no state of its own: the order is open
//! (it can still execute) until `Done` or its last fill ends it.
//!
//! Invariants:
//! - an order is in exactly one state; the terminal ones (`Filled`, `Cancelled`,
//!   `Expired`, `Rejected`, `NeverPlaced`) are never left;
//! - an event that contradicts what is already known is a [`Contradiction`], never a silent
//!   change: anything but a late ack or a stale unknown after the end, and `NeverPlaced`
//!   for an order already proven to exist;
//! - news that adds nothing is not a contradiction: an ack after executions or after the
//!   end (the reply trailed the stream), an `Unknown` after the order was proven (a lost
//!   reply of a request that was settled another way), a refused cancel (state unchanged).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::venue::{DoneReason, VenueEvent};

/// Where one order stands (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Sent; no answer yet.
    Pending,
    /// The venue could not tell whether it was placed; waiting for proof.
    Unknown,
    /// Acknowledged, or proven by an execution: on the venue, possibly partly filled.
    Open,
    Filled,
    Cancelled,
    /// An IOC remainder.
    Expired,
    Rejected,
    /// Proven never to have reached the venue.
    NeverPlaced,
}

/// An event that contradicts the order's known state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("order {state:?}: a {event} event contradicts it")]
pub struct Contradiction {
    pub state: OrderState,
    /// The event's kind (`fill`, `done`, …).
    pub event: &'static str,
}

impl OrderState {
    /// Every state, for tables and tests.
    pub const ALL: [OrderState; 8] = [
        OrderState::Pending,
        OrderState::Unknown,
        OrderState::Open,
        OrderState::Filled,
        OrderState::Cancelled,
        OrderState::Expired,
        OrderState::Rejected,
        OrderState::NeverPlaced,
    ];

    /// Not ended: the order may still execute or be settled.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            OrderState::Pending | OrderState::Unknown | OrderState::Open
        )
    }

    /// Not yet proven to exist or not (sent without an answer, or unknown).
    pub fn in_flight(self) -> bool {
        matches!(self, OrderState::Pending | OrderState::Unknown)
    }

    /// Stable snake_case name, for counters and JSON.
    pub fn name(self) -> &'static str {
        match self {
            OrderState::Pending => "pending",
            OrderState::Unknown => "unknown",
            OrderState::Open => "open",
            OrderState::Filled => "filled",
            OrderState::Cancelled => "cancelled",
            OrderState::Expired => "expired",
            OrderState::Rejected => "rejected",
            OrderState::NeverPlaced => "never_placed",
        }
    }

    /// The state after `ev` (an event of this order).
    pub fn after(self, ev: &VenueEvent) -> Result<OrderState, Contradiction> {
        use OrderState::*;
        let live = self.is_live();
        let contradiction = |event| Contradiction { state: self, event };
        match ev {
            VenueEvent::Acked { .. } => match self {
                Pending | Unknown | Open => Ok(Open),
                Filled | Cancelled | Expired => Ok(self),
                Rejected | NeverPlaced => Err(contradiction("acked")),
            },
            VenueEvent::Fill { leaves, .. } if live => {
                Ok(if leaves.is_zero() { Filled } else { Open })
            }
            VenueEvent::Fill { .. } => Err(contradiction("fill")),
            VenueEvent::Done { reason, .. } if live => Ok(match reason {
                DoneReason::Cancelled => Cancelled,
                DoneReason::Expired => Expired,
            }),
            VenueEvent::Done { .. } => Err(contradiction("done")),
            VenueEvent::Rejected { .. } if live => Ok(Rejected),
            VenueEvent::Rejected { .. } => Err(contradiction("rejected")),
            VenueEvent::Unknown { .. } => Ok(if self == Pending { Unknown } else { self }),
            VenueEvent::NeverPlaced { .. } if self.in_flight() => Ok(NeverPlaced),
            VenueEvent::NeverPlaced { .. } => Err(contradiction("never_placed")),
            VenueEvent::CancelRejected { .. } => Ok(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cl_ord_id::ClOrdId;
    use crate::venue::Reject;
    use flywheel_core::{Liquidity, Qty, Quote, Side, Timestamp};
    use proptest::prelude::*;

    fn id() -> ClOrdId {
        ClOrdId::parse("fw11").unwrap()
    }

    /// One event of each kind: (short name, event).
    fn events() -> Vec<(&'static str, VenueEvent)> {
        let ts = Timestamp::EPOCH;
        let fill = |leaves: &str| VenueEvent::Fill {
            cl_ord_id: id(),
            txid: "T".into(),
            side: Side::Buy,
            price: "1".parse().unwrap(),
            qty: "1".parse().unwrap(),
            fee: Quote::ZERO,
            liquidity: Liquidity::Maker,
            ts,
            leaves: leaves.parse().unwrap(),
            exec_id: None,
        };
        let done = |reason| VenueEvent::Done {
            cl_ord_id: id(),
            txid: "T".into(),
            reason,
            filled: Qty::ZERO,
            ts,
        };
        vec![
            (
                "ack",
                VenueEvent::Acked {
                    cl_ord_id: id(),
                    txid: "T".into(),
                    qty: Qty::ZERO,
                    ts,
                },
            ),
            ("part", fill("1")),
            ("fill", fill("0")),
            ("cxl", done(DoneReason::Cancelled)),
            ("exp", done(DoneReason::Expired)),
            (
                "rej",
                VenueEvent::Rejected {
                    cl_ord_id: id(),
                    txid: None,
                    reason: Reject::PostOnlyWouldTake,
                    ts,
                },
            ),
            (
                "unk",
                VenueEvent::Unknown {
                    cl_ord_id: id(),
                    ts,
                },
            ),
            (
                "never",
                VenueEvent::NeverPlaced {
                    cl_ord_id: id(),
                    ts,
                },
            ),
            (
                "cxlrej",
                VenueEvent::CancelRejected {
                    cl_ord_id: id(),
                    reason: Reject::UnknownOrder,
                    ts,
                },
            ),
        ]
    }

    /// The whole transition table: each row is a state, each column an event of
    /// [`events`]; `-` is a contradiction.
    #[test]
    fn transition_table() {
        use OrderState::*;
        const X: Option<OrderState> = None;
        let table: [(OrderState, [Option<OrderState>; 9]); 8] = [
            //          ack         part        fill          cxl              exp            rej             unk            never              cxlrej
            (
                Pending,
                [
                    Some(Open),
                    Some(Open),
                    Some(Filled),
                    Some(Cancelled),
                    Some(Expired),
                    Some(Rejected),
                    Some(Unknown),
                    Some(NeverPlaced),
                    Some(Pending),
                ],
            ),
            (
                Unknown,
                [
                    Some(Open),
                    Some(Open),
                    Some(Filled),
                    Some(Cancelled),
                    Some(Expired),
                    Some(Rejected),
                    Some(Unknown),
                    Some(NeverPlaced),
                    Some(Unknown),
                ],
            ),
            (
                Open,
                [
                    Some(Open),
                    Some(Open),
                    Some(Filled),
                    Some(Cancelled),
                    Some(Expired),
                    Some(Rejected),
                    Some(Open),
                    X,
                    Some(Open),
                ],
            ),
            (
                Filled,
                [Some(Filled), X, X, X, X, X, Some(Filled), X, Some(Filled)],
            ),
            (
                Cancelled,
                [
                    Some(Cancelled),
                    X,
                    X,
                    X,
                    X,
                    X,
                    Some(Cancelled),
                    X,
                    Some(Cancelled),
                ],
            ),
            (
                Expired,
                [
                    Some(Expired),
                    X,
                    X,
                    X,
                    X,
                    X,
                    Some(Expired),
                    X,
                    Some(Expired),
                ],
            ),
            (
                Rejected,
                [X, X, X, X, X, X, Some(Rejected), X, Some(Rejected)],
            ),
            (
                NeverPlaced,
                [X, X, X, X, X, X, Some(NeverPlaced), X, Some(NeverPlaced)],
            ),
        ];
        let evs = events();
        for (state, row) in table {
            for ((name, ev), want) in evs.iter().zip(row) {
                assert_eq!(state.after(ev).ok(), want, "{state:?} + {name}");
            }
        }
    }

    #[test]
    fn names_and_classes() {
        let names: Vec<&str> = OrderState::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(
            names,
            [
                "pending",
                "unknown",
                "open",
                "filled",
                "cancelled",
                "expired",
                "rejected",
                "never_placed"
            ]
        );
        let live: Vec<bool> = OrderState::ALL.iter().map(|s| s.is_live()).collect();
        assert_eq!(live, [true, true, true, false, false, false, false, false]);
        let flight: Vec<bool> = OrderState::ALL.iter().map(|s| s.in_flight()).collect();
        assert_eq!(
            flight,
            [true, true, false, false, false, false, false, false]
        );
    }

    proptest! {
        /// Along any sequence of events an order is in exactly one state, a terminal state
        /// is never left, and only a live order executes.
        #[test]
        fn terminal_states_absorb(picks in proptest::collection::vec(0usize..9, 0..40)) {
            let evs = events();
            let mut state = OrderState::Pending;
            for k in picks {
                let (name, ev) = &evs[k];
                match state.after(ev) {
                    Ok(next) => {
                        if !state.is_live() {
                            prop_assert_eq!(next, state, "left {:?} on {}", state, name);
                        }
                        if matches!(ev, VenueEvent::Fill { .. }) {
                            prop_assert!(state.is_live());
                        }
                        state = next;
                    }
                    Err(c) => prop_assert_eq!(c.state, state),
                }
                prop_assert_eq!(OrderState::ALL.iter().filter(|s| **s == state).count(), 1);
            }
        }
    }
}
