//! The rejection probes: every malformed, unknown or mismatched event against a valid
//! state is refused by both forms of the reducer and leaves the state unchanged.

use super::*;

/// `event` must be rejected with `want` by both forms, leaving the state unchanged
/// (compared field by field; `what` starting with `=` also compares the JSON bytes, which
/// is slow in debug builds, so only a few probes do it).
fn assert_rejected(
    scn: &Scenario,
    state: &PairState,
    event: &Event,
    want: impl Fn(&TransitionError) -> bool,
    what: &str,
) -> TestCaseResult {
    let before = what.starts_with('=').then(|| json(state));
    let got = transition(state, event, &scn.ctx());
    prop_assert!(
        matches!(&got, Err(e) if want(e)),
        "{what}: expected a rejection, got {got:?}\nevent: {event:?}\nstate: {state:?}"
    );
    let mut copy = state.clone();
    let got_in_place = copy.apply(event, &scn.ctx());
    prop_assert_eq!(got_in_place.err(), got.err(), "{}", what);
    prop_assert_eq!(&copy, state, "{}: apply changed the state", what);
    if let Some(before) = before {
        prop_assert_eq!(json(&copy), before, "{}: state bytes changed", what);
    }
    Ok(())
}

/// A well-formed full fill of the active order at `idx`.
fn full_fill(state: &PairState, idx: usize, at: Timestamp) -> Fill {
    let o = &state.orders[idx];
    Fill {
        order_local_id: o.local_id,
        txid: o.txid.clone(),
        side: o.side,
        price: o.price,
        volume: o.volume,
        fee: gen::fee_for(o.price, o.volume),
        timestamp: at,
    }
}

/// Every rejection probe against one (valid) state.
pub(super) fn probe_rejections(
    scn: &Scenario,
    s: &PairState,
    pick: Index,
    k: u64,
) -> TestCaseResult {
    let at = s.now.plus_secs(1);
    let lot = scn.lot();
    let some_fill = |id: u64| {
        Event::Fill(Fill {
            order_local_id: id,
            txid: None,
            side: Side::Buy,
            price: s.market_price,
            volume: scn.cfg.min_volume,
            fee: Quote::ZERO,
            timestamp: at,
        })
    };

    // Never issued.
    for id in [0, s.next_order_id, s.next_order_id + k] {
        assert_rejected(
            scn,
            s,
            &some_fill(id),
            |e| matches!(e, TransitionError::UnknownOrder { local_id } if *local_id == id),
            "=unknown id",
        )?;
    }
    // Issued but no longer active (filled, cancelled or orphaned).
    let inactive: Vec<u64> = (1..s.next_order_id)
        .filter(|id| s.find_order(*id).is_none())
        .collect();
    if !inactive.is_empty() {
        let id = inactive[pick.index(inactive.len())];
        assert_rejected(
            scn,
            s,
            &some_fill(id),
            |e| matches!(e, TransitionError::InactiveOrder { local_id } if *local_id == id),
            "inactive id",
        )?;
    }
    // Unknown recoveries.
    let rid = s.next_recovery_id + k;
    assert_rejected(
        scn,
        s,
        &Event::RecoveryCancel {
            recovery_id: rid,
            txid: None,
            timestamp: at,
        },
        |e| matches!(e, TransitionError::UnknownRecovery { .. }),
        "unknown recovery cancel",
    )?;
    assert_rejected(
        scn,
        s,
        &Event::RecoveryFill(RecoveryFill {
            recovery_id: rid,
            txid: None,
            side: Side::Sell,
            price: s.market_price,
            volume: scn.cfg.min_volume,
            fee: Quote::ZERO,
            timestamp: at,
        }),
        |e| matches!(e, TransitionError::UnknownRecovery { .. }),
        "unknown recovery fill",
    )?;
    // Malformed price tick.
    assert_rejected(
        scn,
        s,
        &Event::PriceTick {
            price: Price::ZERO,
            timestamp: at,
        },
        |e| matches!(e, TransitionError::InvalidEvent(_)),
        "zero price tick",
    )?;

    if !s.orders.is_empty() {
        let idx = pick.index(s.orders.len());
        let good = full_fill(s, idx, at);
        let o = &s.orders[idx];
        let id = o.local_id;
        let variant = |f: &dyn Fn(&mut Fill)| {
            let mut g = good.clone();
            f(&mut g);
            Event::Fill(g)
        };
        assert_rejected(
            scn,
            s,
            &variant(&|f| f.volume += lot),
            |e| matches!(e, TransitionError::Overfill { local_id, .. } if *local_id == id),
            "over-fill",
        )?;
        assert_rejected(
            scn,
            s,
            &variant(&|f| f.side = f.side.opposite()),
            |e| matches!(e, TransitionError::SideMismatch { local_id, .. } if *local_id == id),
            "side mismatch",
        )?;
        for (what, bad) in [
            ("zero volume", variant(&|f| f.volume = Qty::ZERO)),
            ("zero price", variant(&|f| f.price = Price::ZERO)),
            ("negative fee", variant(&|f| f.fee = -Quote::from_raw(1))),
        ] {
            assert_rejected(
                scn,
                s,
                &bad,
                |e| matches!(e, TransitionError::InvalidEvent(_)),
                what,
            )?;
        }
        if o.role == Role::Exit && o.volume > lot {
            assert_rejected(
                scn,
                s,
                &variant(&|f| f.volume -= lot),
                |e| matches!(e, TransitionError::PartialExitFill { local_id, .. } if *local_id == id),
                "partial exit fill",
            )?;
        }
        if o.txid.is_some() {
            assert_rejected(
                scn,
                s,
                &variant(&|f| f.txid = Some("OTHER".to_string())),
                |e| matches!(e, TransitionError::TxidMismatch { local_id, .. } if *local_id == id),
                "txid mismatch",
            )?;
        }
        // Duplicate: the first fill applies, the same fill again is rejected untouched.
        let good = Event::Fill(good);
        let after = transition(s, &good, &scn.ctx());
        prop_assert!(after.is_ok(), "first fill rejected: {after:?}");
        let (after, _) = after.expect("checked");
        assert_rejected(
            scn,
            &after,
            &good,
            |e| matches!(e, TransitionError::InactiveOrder { local_id } if *local_id == id),
            "=duplicate fill",
        )?;
    }

    if !s.recovery_orders.is_empty() {
        let r = &s.recovery_orders[pick.index(s.recovery_orders.len())];
        let good = RecoveryFill {
            recovery_id: r.recovery_id,
            txid: r.txid.clone(),
            side: r.side,
            price: r.price,
            volume: r.volume,
            fee: Quote::ZERO,
            timestamp: at,
        };
        let bad_volume = RecoveryFill {
            volume: r.volume + lot,
            ..good.clone()
        };
        let bad_side = RecoveryFill {
            side: r.side.opposite(),
            ..good.clone()
        };
        for (what, bad) in [("recovery volume", bad_volume), ("recovery side", bad_side)] {
            assert_rejected(
                scn,
                s,
                &Event::RecoveryFill(bad),
                |e| matches!(e, TransitionError::RecoveryMismatch { .. }),
                what,
            )?;
        }
        let good = Event::RecoveryFill(good);
        let (after, _) = transition(s, &good, &scn.ctx()).expect("valid recovery fill");
        assert_rejected(
            scn,
            &after,
            &good,
            |e| matches!(e, TransitionError::UnknownRecovery { .. }),
            "duplicate recovery fill",
        )?;
    }
    Ok(())
}
