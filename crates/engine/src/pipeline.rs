//! The action pipeline (spec §2.4, with §9 #3 fixed): what happens to each reducer action.
//!
//! Entries pass gates in this order: run mode → capacity band / open-order cap → per-loop
//! entry cap (bootstrap and repair exempt; others are *deferred*: they stay unplaced in the
//! slot and the scheduler places them later) → fund guard → the venue. An entry that cannot
//! be funded or placed is removed and its slot becomes one-sided (`mode_source = balance`);
//! auto-repair restores it. A post-only entry that would have crossed becomes the trade's
//! pending entry again (retried on the next timer).
//!
//! Exits are always sent. An exit the venue refuses stays in the slot unplaced and is
//! re-priced and retried every loop until it rests. Every order is sent under a fresh client
//! order id and bound to the slot under it at once (pending until the venue answers: see
//! `orders`). When the ack comes, the volume the venue acknowledged is compared with the
//! slot's (`volume_drift` counts a difference, which halts entries: seed 000 §5.9).

use flywheel_core::{Qty, Quote, Rounding, Side, TradeId, Wide};
use flywheel_grid::{Action, CancelReason, ModeSource, OrderRef, PlaceReason, Role};
use flywheel_venue::{ClOrdId, OrderKind, OrderRequest, Reject, Venue};

use crate::capacity::CapacityBand;
use crate::engine::{Engine, Track};
use crate::journal::{JournalRecord, JournalSink, Source};
use crate::stats::FillMark;

/// Patch A §3.3: buy entries before sell entries, everything else where it was (a cancel
/// that frees funds still runs before the placement that needs them).
fn b_first(actions: &mut [Action]) {
    let entry_rank = |a: &Action| match a {
        Action::PlaceOrder(p) if p.role == Role::Entry => Some(u8::from(p.side == Side::Sell)),
        _ => None,
    };
    let slots: Vec<usize> = (0..actions.len())
        .filter(|&i| entry_rank(&actions[i]).is_some())
        .collect();
    let mut entries: Vec<Action> = slots.iter().map(|&i| actions[i].clone()).collect();
    entries.sort_by_key(|a| entry_rank(a).unwrap_or(2));
    for (&i, a) in slots.iter().zip(entries) {
        actions[i] = a;
    }
}

impl<V: Venue, J: JournalSink> Engine<V, J> {
    pub(crate) fn execute(&mut self, idx: usize, mut actions: Vec<Action>, source: Source) {
        self.touch();
        if self.leak.cfg.b_first() {
            b_first(&mut actions);
        }
        for action in actions {
            if self.journal.enabled() {
                let slot = self.slots[idx].id;
                self.journal.record(&JournalRecord::SlotAction {
                    ts: self.now,
                    slot,
                    action: &action,
                });
            }
            match action {
                Action::PlaceOrder(p) => match p.role {
                    Role::Exit => self.place_exit(idx, p.local_id, source),
                    Role::Entry => self.place_entry(idx, p.local_id, source),
                },
                Action::CancelOrder {
                    txid: Some(txid),
                    reason,
                    ..
                } => {
                    let buy = self
                        .tracks
                        .get(txid.as_str())
                        .is_some_and(|t| t.side == Side::Buy);
                    let freed = self.cancel(idx, &txid);
                    // A stale B entry's release funds its refresh (see `sizes_for`).
                    if buy && reason == CancelReason::StaleEntry {
                        self.b_released[idx] += freed;
                    }
                }
                Action::CancelOrder { txid: None, .. } => {}
                Action::OrphanOrder { recovery_id, .. } => {
                    // The exit keeps resting as a recovery: follow it under its new name.
                    let txid = self.slots[idx]
                        .state
                        .find_recovery(recovery_id)
                        .and_then(|r| r.txid.clone());
                    if let Some(t) = txid.and_then(|t| self.tracks.get_mut(t.as_str())) {
                        t.target = OrderRef::Recovery(recovery_id);
                    }
                }
                Action::BookCycle(b) => {
                    self.stats.round_trips += 1;
                    self.stats.realized += Wide::from(b.net_profit);
                    if b.net_profit.is_positive() {
                        self.stats.wins += 1;
                    } else if b.net_profit.is_negative() {
                        self.stats.losses += 1;
                    }
                }
                Action::ReleaseRecovery {
                    recovery,
                    mark_price,
                    pnl_at_mark,
                    ..
                } => {
                    let st = &mut self.stats;
                    st.released_positions += 1;
                    st.released_pnl_at_release += Wide::from(pnl_at_mark);
                    // The base the release leaves held (+, a bought B) or owed (−, a sold A),
                    // and its value then: valued again at the end, it shows what it fetched.
                    let volume = Wide::from(recovery.volume);
                    let value = Wide::product(
                        mark_price.fixed(),
                        recovery.volume.fixed(),
                        Rounding::HalfEven,
                    );
                    let (base, value) = match recovery.trade_id {
                        TradeId::B => (volume, value),
                        TradeId::A => (-volume, -value),
                    };
                    st.released_base += base;
                    st.released_value_at_release += value;
                }
            }
        }
    }

    /// Request the cancel of a slot order. When the venue confirms it, what the order held
    /// is free again and the loop's free funds are credited with it, so a refreshed entry
    /// re-placed in the same batch is funded by its predecessor (before, the stale B entry's
    /// quote was released at the venue but not in the loop's figure, and the re-placement
    /// failed the fund guard; the refresh re-uses the released quote, see `sizes_for`).
    /// A confirmation that comes with the reply is credited here, with exactly what the
    /// venue freed during the request (its free balances after minus before); one that
    /// comes later is credited when it arrives, with the order's remaining hold (`orders`).
    /// Until then nothing is credited. Returns the quote credited now.
    pub(crate) fn cancel(&mut self, idx: usize, txid: &str) -> Quote {
        self.touch();
        let Ok(id) = ClOrdId::parse(txid) else {
            // The slot holds only ids this engine issued; anything else is no order of ours.
            self.cancel_failed(idx, txid, Reject::UnknownOrder);
            return Quote::ZERO;
        };
        let before = self.venue.balances();
        match self.venue.cancel(&id, self.now) {
            Ok(()) => {
                self.stats.orders_cancelled += 1;
                if let Some(t) = self.tracks.get_mut(&id) {
                    t.cancel_requested = true;
                    t.credit_on_cancel = true;
                }
                if !self.cancel_confirmed(&id) {
                    return Quote::ZERO;
                }
                if let Some(t) = self.tracks.get_mut(&id) {
                    t.credit_on_cancel = false;
                }
                let after = self.venue.balances();
                let freed_quote = (after.free_quote() - before.free_quote()).max(Quote::ZERO);
                let freed_base = (after.free_base() - before.free_base()).max(Qty::ZERO);
                self.loop_free_quote += freed_quote;
                if freed_base.is_positive() {
                    self.set_free_base(self.loop_free_base + freed_base);
                }
                freed_quote
            }
            Err(reason) => {
                self.cancel_failed(idx, txid, reason);
                Quote::ZERO
            }
        }
    }

    fn cancel_failed(&mut self, idx: usize, txid: &str, reason: Reject) {
        if self.journal.enabled() {
            let slot = self.slots[idx].id;
            self.journal.record(&JournalRecord::CancelFailed {
                ts: self.now,
                slot,
                cl_ord_id: txid,
                reason,
            });
        }
    }

    /// Quote (buy, incl. maker fee) or base (sell) an order needs free.
    fn funds_needed(&self, side: Side, price: flywheel_core::Price, qty: Qty) -> (Quote, Qty) {
        flywheel_capital::funds::holds(side, price, qty, self.venue.instrument().maker_fee_pct)
    }

    pub(crate) fn place_entry(&mut self, idx: usize, local_id: u64, source: Source) {
        self.touch();
        let Some(order) = self.slots[idx].state.find_order(local_id).cloned() else {
            return;
        };
        if order.txid.is_some() {
            return;
        }
        if !self.entries_allowed() {
            self.drop_entry(idx, local_id, false, "paused");
            return;
        }
        let internal = self.tracks.len() as u64;
        let buy = order.side == Side::Buy;
        if self.capacity.band == CapacityBand::Stop || internal >= u64::from(self.capacity.safe_cap)
        {
            if buy {
                self.leak.record_failure("capacity_gate", self.now);
            }
            self.stats.reject("capacity_gate");
            self.drop_entry(idx, local_id, true, "capacity_gate");
            return;
        }
        let exempt = matches!(source, Source::Bootstrap | Source::AutoRepair);
        if !exempt && self.entry_adds_used >= self.capacity.entry_cap {
            if buy {
                self.leak.record_failure("scheduler_deferred", self.now);
            }
            self.stats.entries_deferred += 1;
            if self.journal.enabled() {
                let slot = self.slots[idx].id;
                self.journal.record(&JournalRecord::Deferred {
                    ts: self.now,
                    slot,
                    local_id,
                });
            }
            return;
        }
        // Seed 000 §5.1: every entry, scaled or not, meets the minimum volume. The reducer
        // never sizes below it; a breach here would be a defect, so trading halts.
        if order.volume < self.cfg.min_volume {
            self.stats.invariant_violations += 1;
            self.drop_entry(idx, local_id, false, "below_min_volume");
            self.halt("an entry below the minimum volume reached the pipeline");
            return;
        }
        let (need_quote, need_base) = self.funds_needed(order.side, order.price, order.volume);
        if need_quote > self.loop_free_quote || need_base > self.loop_free_base {
            if buy {
                // Seed 001 L8: a B entry the floor inflated beyond its share failed because
                // of the floor, not for want of its own share.
                let reason = if self.b_floor_inflates(idx) {
                    "entry_floor"
                } else {
                    "fund_guard"
                };
                self.leak.record_failure(reason, self.now);
            }
            self.stats.reject("fund_guard");
            self.drop_entry(idx, local_id, true, "fund_guard");
            return;
        }
        match self.send(idx, local_id, source) {
            Ok(()) => {
                if buy {
                    self.note_b_residual(idx, order.price, order.volume);
                }
                self.loop_free_quote -= need_quote;
                self.set_free_base(self.loop_free_base - need_base);
                if !exempt {
                    self.entry_adds_used += 1;
                }
            }
            Err(Reject::PostOnlyWouldTake) => self.drop_entry(idx, local_id, false, "post_only"),
            Err(r) => self.drop_entry(idx, local_id, true, r.name()),
        }
    }

    pub(crate) fn place_exit(&mut self, idx: usize, local_id: u64, source: Source) {
        self.touch();
        if self.send(idx, local_id, source).is_err() {
            // Kept unplaced in the slot: the next loop re-prices and retries it.
            self.stats.exit_place_failures += 1;
        }
    }

    /// Send a slot order to the venue under a fresh client order id, bind the slot's order
    /// to that id and start following it (pending); apply the venue's answer if it came with
    /// the reply (`orders`).
    fn send(&mut self, idx: usize, local_id: u64, source: Source) -> Result<(), Reject> {
        let slot_id = self.slots[idx].id;
        let Some(order) = self.slots[idx].state.find_order(local_id).cloned() else {
            return Ok(());
        };
        let Some(id) = self.issue_id() else {
            return Err(Reject::OrdersLimitExceeded);
        };
        let req = OrderRequest {
            cl_ord_id: id.clone(),
            side: order.side,
            price: order.price,
            qty: order.volume,
            kind: OrderKind::PostOnly,
        };
        match self.venue.place(&req, self.now) {
            Ok(()) => {
                self.stats.orders_placed += 1;
                self.slots[idx].state.bind_txid(local_id, id.as_str());
                if self.journal.enabled() {
                    self.journal.record(&JournalRecord::Placed {
                        ts: self.now,
                        slot: slot_id,
                        local_id,
                        role: Some(order.role),
                        cl_ord_id: id.as_str(),
                        side: order.side,
                        price: order.price,
                        qty: order.volume,
                        source,
                    });
                }
                let track = Track::new(
                    idx,
                    OrderRef::Slot(local_id),
                    order.side,
                    order.price,
                    order.volume,
                    self.now,
                );
                self.tracks.insert(id.clone(), track);
                self.take_answer(&id);
                Ok(())
            }
            Err(reason) => {
                self.stats.reject(reason.name());
                if self.journal.enabled() {
                    self.journal.record(&JournalRecord::PlaceRejected {
                        ts: self.now,
                        slot: slot_id,
                        local_id,
                        role: order.role,
                        reason: reason.name(),
                        source,
                    });
                }
                Err(reason)
            }
        }
    }

    /// Remove an unplaced entry. `one_sided`: the slot gives up that side (spec §2.4);
    /// otherwise the trade keeps a pending entry that the next timer retries.
    pub(crate) fn drop_entry(&mut self, idx: usize, local_id: u64, one_sided: bool, why: &str) {
        self.touch();
        let slot_id = self.slots[idx].id;
        let is_b = self.slots[idx]
            .state
            .find_order(local_id)
            .is_some_and(|o| o.trade_id == TradeId::B);
        // Patch A §3.4: a slot restored moments ago is not re-degraded; its B entry waits.
        let one_sided = one_sided
            && !(is_b
                && self
                    .leak
                    .within_cooldown(self.leak.restored_at[idx], self.now));
        if is_b && one_sided {
            self.leak.record_failure("mode_degraded", self.now);
        }
        let s = &mut self.slots[idx].state;
        let Some(pos) = s.orders.iter().position(|o| o.local_id == local_id) else {
            return;
        };
        let order = s.orders.remove(pos);
        let trade = order.trade_id;
        if one_sided {
            match trade {
                TradeId::A => {
                    s.long_only = true;
                    s.short_only = false;
                }
                TradeId::B => {
                    s.short_only = true;
                    s.long_only = false;
                }
            }
            s.mode_source = ModeSource::Balance;
            s.trade_mut(trade).pending_entry = None;
            self.note_degradation(idx);
            let s = &self.slots[idx].state;
            if self.journal.enabled() {
                let (long_only, short_only) = (s.long_only, s.short_only);
                self.journal.record(&JournalRecord::ModeChange {
                    ts: self.now,
                    slot: slot_id,
                    long_only,
                    short_only,
                    why,
                });
            }
        } else {
            s.trade_mut(trade).pending_entry = Some(PlaceReason::RefreshEntry);
        }
    }

    /// Step 4: place every exit that is not resting yet, re-priced at the current market.
    pub(crate) fn retry_exits(&mut self) {
        for idx in 0..self.slots.len() {
            let unplaced: Vec<u64> = self.slots[idx]
                .state
                .orders
                .iter()
                .filter(|o| o.role == Role::Exit && o.txid.is_none())
                .map(|o| o.local_id)
                .collect();
            if !unplaced.is_empty() {
                self.touch();
            }
            for id in unplaced {
                if self.slots[idx]
                    .state
                    .reprice_unbound_exit(id, &self.cfg)
                    .is_ok()
                {
                    self.place_exit(idx, id, Source::ExitRetry);
                }
            }
        }
    }

    /// Step 6: place entries deferred by the entry cap, oldest first (then slot, then id).
    pub(crate) fn drain_deferred_entries(&mut self) {
        let mut queue: Vec<(flywheel_core::Timestamp, usize, u64)> = Vec::new();
        for (idx, slot) in self.slots.iter().enumerate() {
            for o in &slot.state.orders {
                if o.role == Role::Entry && o.txid.is_none() {
                    queue.push((o.placed_at, idx, o.local_id));
                }
            }
        }
        if queue.is_empty() {
            return;
        }
        self.touch();
        queue.sort_unstable();
        for (_, idx, id) in queue {
            if self.entry_adds_used >= self.capacity.entry_cap {
                break;
            }
            self.place_entry(idx, id, Source::SchedulerDrain);
            self.normalize_mode(idx);
            self.validate(idx);
        }
    }

    pub(crate) fn mark_fill(
        &mut self,
        ts: flywheel_core::Timestamp,
        price: flywheel_core::Price,
        side: Side,
    ) {
        self.fills.push(FillMark {
            ts,
            price,
            buy: side == Side::Buy,
        });
    }
}

#[cfg(test)]
mod tests {
    use flywheel_core::{Price, Qty, Side, TradeId};
    use flywheel_grid::{Action, CancelReason, OrderRef, PlaceOrder, PlaceReason, Role};

    fn entry(id: u64, side: Side) -> Action {
        Action::PlaceOrder(PlaceOrder {
            local_id: id,
            side,
            role: Role::Entry,
            price: Price::lit(1, 1),
            volume: Qty::lit(20, 0),
            trade_id: TradeId::entering_on(side),
            cycle: 1,
            post_only: true,
            reason: PlaceReason::Bootstrap,
        })
    }

    #[test]
    fn test_b_first_placement_priority() {
        let cancel = Action::CancelOrder {
            target: OrderRef::Slot(9),
            txid: None,
            reason: CancelReason::StaleEntry,
        };
        let mut actions = vec![cancel.clone(), entry(1, Side::Sell), entry(2, Side::Buy)];
        super::b_first(&mut actions);
        assert_eq!(
            actions,
            vec![cancel, entry(2, Side::Buy), entry(1, Side::Sell)]
        );
    }
}
