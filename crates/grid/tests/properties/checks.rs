//! What must hold of every valid step of a generated run (the healthy-slot property).

use super::*;

/// Everything that must hold of one valid step.
pub(super) fn check_valid_step(
    scn: &Scenario,
    prev: &PairState,
    op: &Op,
    next: &PairState,
    actions: &[Action],
) -> TestCaseResult {
    let cfg = &scn.cfg;
    let ctx_msg = || format!("op: {op:?}\nactions: {actions:?}\nprev: {prev:?}\nnext: {next:?}");

    // Structural rules.
    prop_assert_eq!(check_invariants(next), vec![], "{}", ctx_msg());
    for o in &next.orders {
        prop_assert!(o.volume.is_positive(), "order volume > 0\n{}", ctx_msg());
        prop_assert!(o.price.is_positive(), "order price > 0\n{}", ctx_msg());
        if o.role == Role::Exit {
            prop_assert!(
                o.entry_price.is_positive(),
                "exit entry price\n{}",
                ctx_msg()
            );
            // Never worse than the profit target from the entry fill (placed or re-priced).
            let target = profit_target(o.entry_price, o.side, next.effective_profit_pct(cfg), cfg);
            prop_assert!(
                match o.side {
                    Side::Sell => o.price >= target && o.price > o.entry_price,
                    Side::Buy => o.price <= target && o.price < o.entry_price,
                },
                "exit {} at {} is worse than its target {}\n{}",
                o.local_id,
                o.price,
                target,
                ctx_msg()
            );
        }
        prop_assert_eq!(
            o.cycle,
            next.trade(o.trade_id).cycle,
            "order belongs to its trade's current cycle\n{}",
            ctx_msg()
        );
    }
    for r in &next.recovery_orders {
        prop_assert!(r.volume.is_positive() && r.entry_price.is_positive());
        prop_assert!(r.cycle < next.trade(r.trade_id).cycle);
    }
    prop_assert!(next.a.cycle >= prev.a.cycle, "A cycle decreased");
    prop_assert!(next.b.cycle >= prev.b.cycle, "B cycle decreased");
    prop_assert!(next.next_order_id >= prev.next_order_id);
    prop_assert!(next.next_recovery_id >= prev.next_recovery_id);
    prop_assert!(next.completed_cycles.len() <= cfg.max_completed_cycles as usize);

    let ev = match op {
        Op::Bind { local_id, txid } => {
            prop_assert!(actions.is_empty());
            let mut expect = prev.clone();
            expect
                .orders
                .iter_mut()
                .filter(|o| o.local_id == *local_id)
                .for_each(|o| o.txid = Some(txid.clone()));
            prop_assert_eq!(&expect, next);
            return Ok(());
        }
        Op::MarkPartial { local_id } => {
            prop_assert!(actions.is_empty());
            let mut expect = prev.clone();
            expect
                .orders
                .iter_mut()
                .filter(|o| o.local_id == *local_id)
                .for_each(|o| o.partially_filled = true);
            prop_assert_eq!(&expect, next);
            return Ok(());
        }
        Op::RepriceExit { local_id } => {
            prop_assert!(actions.is_empty());
            let mut expect = prev.clone();
            for o in expect.orders.iter_mut().filter(|o| o.local_id == *local_id) {
                o.price = exit_price(
                    o.entry_price,
                    prev.market_price,
                    o.side,
                    prev.effective_profit_pct(cfg),
                    cfg,
                )
                .expect("exit price");
            }
            prop_assert_eq!(&expect, next);
            return Ok(());
        }
        Op::Event(ev) => ev,
    };

    // The clock.
    prop_assert_eq!(next.now, prev.now.max(ev.timestamp()));

    // Every action matches the state change, and every state change has its action.
    let mut placed = Vec::new();
    let mut removed = Vec::new();
    let mut orphaned = Vec::new();
    let mut released = Vec::new();
    let mut booked = 0u64;
    let mut net_sum = Quote::ZERO;
    let mut released_loss = Quote::ZERO;
    for a in actions {
        match a {
            Action::PlaceOrder(p) => {
                prop_assert!(p.post_only);
                prop_assert!(p.local_id >= prev.next_order_id, "fresh id\n{}", ctx_msg());
                let o = next.find_order(p.local_id);
                prop_assert!(o.is_some(), "placed order is in state\n{}", ctx_msg());
                let o = o.expect("checked");
                prop_assert_eq!(
                    (o.side, o.role, o.price, o.volume, o.trade_id, o.cycle),
                    (p.side, p.role, p.price, p.volume, p.trade_id, p.cycle)
                );
                prop_assert!(p.volume.is_positive() && p.price.is_positive());
                match p.role {
                    Role::Entry => {
                        prop_assert!(
                            p.volume >= cfg.min_volume,
                            "entry below min volume\n{}",
                            ctx_msg()
                        );
                        // Entries rest on the passive side of the market they were priced at.
                        prop_assert!(
                            match p.side {
                                Side::Buy => p.price < next.market_price,
                                Side::Sell => p.price > next.market_price,
                            },
                            "entry on the wrong side of market\n{}",
                            ctx_msg()
                        );
                        // Only a stale-entry refresh ignores the trade's re-entry cooldown.
                        if p.reason != PlaceReason::RefreshEntry {
                            prop_assert!(
                                next.now >= next.trade(p.trade_id).cooldown_until,
                                "entry placed during its trade's cooldown\n{}",
                                ctx_msg()
                            );
                        }
                    }
                    Role::Exit => {
                        // Only an entry fill places an exit, for exactly the filled volume.
                        let Event::Fill(f) = ev else {
                            return Err(TestCaseError::fail(format!(
                                "exit placed without a fill\n{}",
                                ctx_msg()
                            )));
                        };
                        prop_assert_eq!(p.volume, f.volume);
                        prop_assert_eq!(o.entry_price, f.price);
                        prop_assert_eq!(o.entry_fee, f.fee);
                        // The exit is priced beyond its entry fill, on the profit side.
                        prop_assert!(
                            match p.side {
                                Side::Sell => p.price > f.price,
                                Side::Buy => p.price < f.price,
                            },
                            "exit not beyond its entry\n{}",
                            ctx_msg()
                        );
                    }
                }
                placed.push(p.local_id);
            }
            Action::CancelOrder {
                target,
                txid,
                reason,
            } => match target {
                OrderRef::Slot(id) => {
                    // Slot orders are cancelled only as stale entries, on price ticks, and
                    // never once the venue has executed part of them.
                    prop_assert_eq!(*reason, CancelReason::StaleEntry);
                    prop_assert!(matches!(ev, Event::PriceTick { .. }), "{}", ctx_msg());
                    prop_assert!(
                        prev.find_order(*id)
                            .is_some_and(|o| o.role == Role::Entry && !o.partially_filled),
                        "cancelled a partially filled or non-entry order\n{}",
                        ctx_msg()
                    );
                    let o = prev.find_order(*id);
                    prop_assert!(o.is_some(), "cancel of unknown order\n{}", ctx_msg());
                    prop_assert_eq!(&o.expect("checked").txid, txid);
                    prop_assert!(next.find_order(*id).is_none());
                    removed.push(*id);
                }
                OrderRef::Recovery(id) => {
                    let r = prev.find_recovery(*id);
                    prop_assert!(r.is_some(), "cancel of unknown recovery\n{}", ctx_msg());
                    prop_assert_eq!(&r.expect("checked").txid, txid);
                    prop_assert!(next.find_recovery(*id).is_none());
                }
            },
            Action::OrphanOrder {
                local_id,
                recovery_id,
                ..
            } => {
                let o = prev.find_order(*local_id);
                prop_assert!(o.is_some_and(|o| o.role == Role::Exit), "{}", ctx_msg());
                prop_assert!(next.find_order(*local_id).is_none());
                let r = next.find_recovery(*recovery_id);
                prop_assert!(r.is_some(), "orphan has its recovery\n{}", ctx_msg());
                let (o, r) = (o.expect("checked"), r.expect("checked"));
                prop_assert_eq!(
                    (r.side, r.price, r.volume, r.entry_price, &r.txid),
                    (o.side, o.price, o.volume, o.entry_price, &o.txid)
                );
                prop_assert!(!scn.sticky, "a sticky slot orphaned\n{}", ctx_msg());
                removed.push(*local_id);
                orphaned.push(*recovery_id);
            }
            Action::BookCycle(b) => {
                booked += 1;
                net_sum += b.net_profit;
                prop_assert_eq!(b.net_profit, b.gross_profit - b.fees);
            }
            Action::ReleaseRecovery {
                recovery,
                pnl_at_mark,
                mark_price,
                ..
            } => {
                prop_assert_eq!(prev.find_recovery(recovery.recovery_id), Some(recovery));
                prop_assert!(next.find_recovery(recovery.recovery_id).is_none());
                let want = flywheel_grid::pnl_at(recovery, *mark_price, scn.cfg.maker_fee_pct);
                prop_assert_eq!(Ok(*pnl_at_mark), want);
                released_loss += (*pnl_at_mark).min(Quote::ZERO);
                released.push(recovery.recovery_id);
            }
        }
    }
    let stale_cancels = actions
        .iter()
        .filter(|a| {
            matches!(
                a,
                Action::CancelOrder {
                    target: OrderRef::Slot(_),
                    ..
                }
            )
        })
        .count();
    prop_assert!(
        stale_cancels <= 1,
        "at most one refresh per tick\n{}",
        ctx_msg()
    );
    if let Event::Fill(f) = ev {
        removed.push(f.order_local_id);
    }
    // Orders: gone ⇔ filled, cancelled or orphaned; new ⇔ placed; the rest untouched.
    for o in &prev.orders {
        match next.find_order(o.local_id) {
            Some(n) => {
                prop_assert!(!removed.contains(&o.local_id), "{}", ctx_msg());
                prop_assert_eq!(n, o, "an untouched order changed\n{}", ctx_msg());
            }
            None => prop_assert!(
                removed.contains(&o.local_id),
                "order {} vanished silently\n{}",
                o.local_id,
                ctx_msg()
            ),
        }
    }
    for o in &next.orders {
        prop_assert!(
            prev.find_order(o.local_id).is_some() || placed.contains(&o.local_id),
            "order {} appeared silently\n{}",
            o.local_id,
            ctx_msg()
        );
    }
    // Recoveries likewise.
    let gone_by_event = match ev {
        Event::RecoveryFill(f) => Some(f.recovery_id),
        Event::RecoveryCancel { recovery_id, .. } => Some(*recovery_id),
        _ => None,
    };
    for r in &prev.recovery_orders {
        match next.find_recovery(r.recovery_id) {
            Some(n) => prop_assert_eq!(n, r),
            None => prop_assert!(
                released.contains(&r.recovery_id) || gone_by_event == Some(r.recovery_id),
                "recovery {} vanished silently\n{}",
                r.recovery_id,
                ctx_msg()
            ),
        }
    }
    for r in &next.recovery_orders {
        prop_assert!(
            prev.find_recovery(r.recovery_id).is_some() || orphaned.contains(&r.recovery_id),
            "recovery {} appeared silently\n{}",
            r.recovery_id,
            ctx_msg()
        );
    }
    if let Event::RecoveryCancel { recovery_id, .. } = ev {
        prop_assert!(
            released.contains(recovery_id),
            "cancel releases\n{}",
            ctx_msg()
        );
    }

    // Liveness: after a timer tick, an entry is still pending only while it cannot be
    // placed (cooldown, size below the minimum, or excluded by the one-sided mode).
    if let Event::TimerTick { .. } = ev {
        for t in TradeId::BOTH {
            if next.trade(t).pending_entry.is_none() {
                continue;
            }
            let blocked = next.now < next.trade(t).cooldown_until
                || !next.mode_allows(t)
                || entry_price(next.market_price, t, next.trade(t).consecutive_losses, cfg)
                    .ok()
                    .and_then(|p| compute_order_volume(p, cfg, scn.sizes.of(t)).ok())
                    .is_none();
            prop_assert!(blocked, "pending entry of {} not drained\n{}", t, ctx_msg());
        }
    }

    // Accounting: fees counted once per fill, round trips = bookings, profit = Σ net.
    let (fee, expect_books) = match ev {
        Event::Fill(f) => {
            let was_exit = prev
                .find_order(f.order_local_id)
                .is_some_and(|o| o.role == Role::Exit);
            (f.fee, u64::from(was_exit))
        }
        Event::RecoveryFill(f) => (f.fee, 1),
        _ => (Quote::ZERO, 0),
    };
    prop_assert_eq!(next.total_fees, prev.total_fees + fee, "{}", ctx_msg());
    prop_assert_eq!(booked, expect_books, "{}", ctx_msg());
    prop_assert_eq!(next.total_round_trips, prev.total_round_trips + booked);
    prop_assert_eq!(next.total_profit, prev.total_profit + net_sum);
    // A released position's loss at the mark is charged to the compounding base; gains never.
    prop_assert_eq!(next.released_loss, prev.released_loss + released_loss);
    prop_assert!(!next.released_loss.is_positive());
    if booked == 0 {
        prop_assert_eq!(next.total_settled_usd, prev.total_settled_usd);
        prop_assert_eq!(&next.completed_cycles, &prev.completed_cycles);
    }
    Ok(())
}
