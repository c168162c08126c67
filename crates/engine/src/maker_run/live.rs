//! What a live session needs from the maker besides its steps: a **halt** (a ledger
//! mismatch, a venue halt), the orders it follows as the store and the restart see them, and
//! the id sequence moved past every id the venue ever sent.
//!
//! Invariants:
//! - **A halt stops every new order.** The resting quotes and the hedger's passive leg are
//!   cancelled and nothing is placed while it holds (each quote decision is still made and
//!   journaled, as under the operator pause); fills and cancels go on. The hedger stops too,
//!   unlike under the operator pause: a halt says the state is not trusted (a ledger
//!   mismatch, a venue halt), and its IOC clips would take liquidity on an inventory the
//!   exchange contradicts. The first reason is kept; only a restart
//!   ([`MakerEngine::clear_halt`]) lifts it, and the restart checks the cause again.
//! - An order view is the maker's own track: live states only, gone once the venue ended it.

use flywheel_core::{Price, Qty, Side, Timestamp};
use flywheel_venue::{ClOrdId, OrderKind, OrderState, Venue};

use super::MakerEngine;
use crate::maker_journal::{MakerRecord, MakerRole, MakerSink};

/// One order the maker follows, as a live session reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MakerOrderView {
    pub role: MakerRole,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    pub kind: OrderKind,
    pub state: OrderState,
    pub txid: Option<String>,
    pub filled: Qty,
    pub cancel_requested: bool,
}

impl<V: Venue, J: MakerSink> MakerEngine<V, J> {
    /// Why quoting is halted, if it is.
    pub fn halted(&self) -> Option<&str> {
        self.halted.as_deref()
    }

    /// Halt quoting at the maker's time (see the module docs).
    pub fn halt(&mut self, reason: &str) {
        if self.halted.is_some() {
            return;
        }
        self.halted = Some(reason.to_string());
        if self.journal.enabled() {
            self.journal.record(&MakerRecord::Halt {
                ts: self.now,
                reason,
            });
        }
        self.withdraw_quotes();
        if let Some(txid) = self.passive.take() {
            self.cancel(&txid);
        }
        self.drain();
    }

    /// Lift a halt (a restart: its cause is checked again); the reason it had.
    pub fn clear_halt(&mut self) -> Option<String> {
        self.halted.take()
    }

    /// The order `id`, while the maker follows it.
    pub fn order(&self, id: &ClOrdId) -> Option<MakerOrderView> {
        self.tracks.get(id).map(|t| MakerOrderView {
            role: t.role,
            side: t.side,
            price: t.price,
            qty: t.qty,
            kind: match t.role {
                MakerRole::HedgeIoc => OrderKind::Ioc,
                MakerRole::Quote(_) | MakerRole::HedgePassive => OrderKind::PostOnly,
            },
            state: t.state,
            txid: t.txid.clone(),
            filled: t.filled,
            cancel_requested: t.cancel_requested,
        })
    }

    /// Every order the maker follows, by client order id.
    pub fn orders(&self) -> impl Iterator<Item = (&ClOrdId, MakerOrderView)> {
        self.tracks
            .keys()
            .filter_map(|id| self.order(id).map(|v| (id, v)))
    }

    /// Issue no id below sequence number `next` (ids the venue sent before a restart).
    pub fn skip_order_ids_to(&mut self, next: u64) {
        self.ids.skip_to(next);
    }

    /// The maker's time: the last step's (or input's) stamp.
    pub fn now(&self) -> Timestamp {
        self.now
    }
}
