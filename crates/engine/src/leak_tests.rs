//! Seed 001 §14's tests, under the seed's names, plus the issue's: a cascade of 10 degraded
//! slots with quote for 3 restores exactly 3 (most recently degraded first); a restored slot
//! inside its cooldown stays bilateral after a failed B entry; the residual carry never makes
//! a B order exceed the free quote.

use flywheel_core::Side;
use flywheel_core::{Price, Quote, Timestamp};
use flywheel_grid::{EngineConfig, ModeSource, Role};
use flywheel_venue::{SimExchange, Venue};

use crate::config::LeakConfig;
use crate::engine::Engine;
use crate::journal::NoJournal;

const T0: i64 = 1_700_000_000;

fn engine(grid: EngineConfig, quote: &str, base: &str) -> Engine<SimExchange, NoJournal> {
    crate::test_support::sim_engine(grid, quote, base).with_governor(
        flywheel_governor::GovernorConfig {
            enabled: false,
            ..Default::default()
        },
    )
}

fn at(secs: i64) -> Timestamp {
    Timestamp::from_secs(T0 + secs)
}

/// Run one loop at `secs` with the market at 0.10.
fn tick(e: &mut Engine<SimExchange, NoJournal>, secs: i64) {
    e.on_market(Price::lit(1, 1), at(secs));
    e.run_loop(at(secs));
}

fn has_b_entry(e: &Engine<SimExchange, NoJournal>, idx: usize) -> bool {
    e.slots()[idx]
        .state
        .orders
        .iter()
        .any(|o| o.role == Role::Entry && o.side == Side::Buy)
}

fn degrade(e: &mut Engine<SimExchange, NoJournal>, idx: usize, secs: i64) {
    crate::test_support::degrade(e, idx, at(secs));
}

/// One bootstrapped slot whose B entry must be placed again (cancelled at the venue,
/// unplaced in the slot) with no free quote left: returns the entry's id.
fn unfunded_b(e: &mut Engine<SimExchange, NoJournal>) -> u64 {
    tick(e, 0);
    let (id, txid) = e.slots[0]
        .state
        .orders
        .iter()
        .find(|o| o.role == Role::Entry && o.side == Side::Buy)
        .map(|o| (o.local_id, o.txid.clone().unwrap()))
        .unwrap();
    let now = e.now;
    e.venue_mut().cancel(&txid.parse().unwrap(), now).unwrap();
    e.drain_venue(); // the slot's entry is unplaced again
    e.loop_free_quote = Quote::ZERO;
    id
}

#[test]
fn test_b_entry_blocked_sets_short_only() {
    let grid = EngineConfig {
        slots: 1,
        ..EngineConfig::default()
    };
    let mut e = engine(grid, "100", "1000");
    let id = unfunded_b(&mut e);
    e.place_entry(0, id, crate::journal::Source::Reducer);
    let s = &e.slots()[0].state;
    assert!(s.short_only && s.mode_source == ModeSource::Balance);
    assert!(!has_b_entry(&e, 0));
    assert!(e.is_balance_degraded(0));
}

#[test]
fn test_recovery_clears_balance_degradation() {
    let grid = EngineConfig {
        slots: 1,
        ..EngineConfig::default()
    };
    let mut e = engine(grid, "100", "1000");
    tick(&mut e, 0);
    degrade(&mut e, 0, 0);
    tick(&mut e, 300);
    let s = &e.slots()[0].state;
    assert!(!s.short_only, "restored");
    assert_eq!(s.mode_source, ModeSource::None);
    assert!(has_b_entry(&e, 0), "the B entry is back");
    assert_eq!(e.leak.totals().recoveries, 1);
}

#[test]
fn test_recovery_respects_cooldown() {
    let grid = EngineConfig {
        slots: 1,
        ..EngineConfig::default()
    };
    let mut e = engine(grid, "100", "1000");
    tick(&mut e, 0);
    degrade(&mut e, 0, 0);
    tick(&mut e, 60); // degraded 60 s ago: inside the 120 s cooldown
    assert!(e.slots()[0].state.short_only, "not recovered yet");
    tick(&mut e, 120);
    assert!(
        !e.slots()[0].state.short_only,
        "recovered once the cooldown passed"
    );
}

#[test]
fn test_recovery_caps_at_available_usd() {
    // Each slot holds a resting A entry; the free quote covers exactly two minimum B
    // entries ($2 each at 0.10: max(2, 13 × 0.1 × 1.01)).
    let grid = EngineConfig {
        slots: 4,
        ..EngineConfig::default()
    };
    let mut e = engine(grid, "4.5", "1000");
    tick(&mut e, 0);
    for i in 0..4 {
        degrade(&mut e, i, 0);
    }
    tick(&mut e, 300);
    let restored = (0..4).filter(|&i| !e.slots()[i].state.short_only).count();
    assert_eq!(restored, 2);
}

/// The minimum B entry's funding includes the maker fee the venue holds and half a lot of
/// rounding: $4.004 covers two $2 notionals but not two with their fees, so the sweep
/// restores one; and a recovery is counted only for a B entry that rests (it was counted
/// for a B the fund guard then refused).
#[test]
fn recovery_funds_the_fee_and_counts_only_resting_entries() {
    let grid = EngineConfig {
        slots: 4,
        ..EngineConfig::default()
    };
    let mut e = engine(grid, "4.004", "1000");
    tick(&mut e, 0);
    for i in 0..4 {
        degrade(&mut e, i, 0);
    }
    tick(&mut e, 300);
    let restored: Vec<usize> = (0..4).filter(|&i| !e.slots()[i].state.short_only).collect();
    assert_eq!(restored.len(), 1, "{restored:?}");
    for &i in &restored {
        let resting = e.slots()[i]
            .state
            .orders
            .iter()
            .any(|o| o.role == Role::Entry && o.side == Side::Buy && o.txid.is_some());
        assert!(resting, "slot {i}: restored with a resting B entry");
    }
    assert_eq!(e.leak_totals().recoveries, 1, "one recovery, one resting B");
}

#[test]
fn test_cascade_breaker_limits_restoration() {
    // 10 degraded slots, quote for 3 minimum B entries: exactly 3 restored, the most
    // recently degraded first.
    let grid = EngineConfig {
        slots: 10,
        ..EngineConfig::default()
    };
    let mut e = engine(grid, "6.5", "1000");
    tick(&mut e, 0);
    for i in 0..10 {
        degrade(&mut e, i, i as i64); // slot 9 degraded last
    }
    tick(&mut e, 600);
    let restored: Vec<usize> = (0..10)
        .filter(|&i| !e.slots()[i].state.short_only)
        .collect();
    assert_eq!(
        restored,
        vec![7, 8, 9],
        "LIFO: the three most recently degraded"
    );
    assert_eq!(e.b_side_health().balance_degraded_slots, 7);
}

#[test]
fn restored_slot_inside_cooldown_stays_bilateral_after_failed_b() {
    let grid = EngineConfig {
        slots: 1,
        ..EngineConfig::default()
    };
    let mut e = engine(grid, "100", "1000");
    tick(&mut e, 0);
    degrade(&mut e, 0, 0);
    tick(&mut e, 300); // restored at 300
    assert!(!e.slots()[0].state.short_only);
    // The restored B entry is gone (say, refreshed) and its replacement cannot be funded:
    // inside the cooldown the slot does not degrade; the entry waits as pending.
    let b = e.slots()[0]
        .state
        .orders
        .iter()
        .find(|o| o.side == Side::Buy && o.role == Role::Entry)
        .map(|o| o.local_id)
        .unwrap();
    e.slots[0].state.orders.iter_mut().for_each(|o| {
        if o.local_id == b {
            o.txid = None;
        }
    });
    e.now = at(330);
    e.loop_free_quote = Quote::ZERO;
    e.place_entry(0, b, crate::journal::Source::Reducer);
    let s = &e.slots()[0].state;
    assert!(!s.short_only, "inside the cooldown: stays bilateral");
    assert!(s.b.pending_entry.is_some(), "the B entry is retried");
}

#[test]
fn test_b_first_placement_in_bootstrap_batches() {
    // The reducer's bootstrap already emits B first; the engine keeps it first.
    let grid = EngineConfig {
        slots: 1,
        ..EngineConfig::default()
    };
    let mut e = engine(grid, "100", "1000");
    tick(&mut e, 0);
    let ids: Vec<(u64, Side)> = e.slots()[0]
        .state
        .orders
        .iter()
        .map(|o| (o.local_id, o.side))
        .collect();
    assert_eq!(ids[0].1, Side::Buy);
}

#[test]
fn test_entry_floor_exempt_b_side() {
    // Quote-first share of (1.2 − 0.10) / 1.0025 − 0.05 = 1.047 → $1.04 is below the floor
    // (13 × 0.1 × 1.01 = 1.313). Patch E on: B is not inflated (it waits below the minimum);
    // off: B is raised to 1.313.
    for (exempt, want) in [(true, "1.04"), (false, "1.313")] {
        let grid = EngineConfig {
            slots: 1,
            ..EngineConfig::default()
        };
        // Pooling (patch F) would fund no slot at all here; this case is about patch E.
        let mut e = engine(grid, "1.2", "1000").with_leak(LeakConfig {
            entry_floor_b_side_exempt: exempt,
            cascade_breaker_enabled: false,
            ..LeakConfig::default()
        });
        tick(&mut e, 0);
        let b = e.sizes_for(0, false).b;
        assert_eq!(b, want.parse::<Quote>().unwrap(), "exempt {exempt}");
    }
}

#[test]
fn test_quote_first_allocation_on() {
    // 10 slots, 4 of them short-only: the free quote is split over the 6 buy-ready ones.
    let grid = EngineConfig {
        slots: 10,
        ..EngineConfig::default()
    };
    let mut e = engine(grid, "200", "1000");
    for i in 0..4 {
        e.slots[i].state.short_only = true;
    }
    e.on_market(Price::lit(1, 1), at(0));
    e.run_loop(at(0));
    let q = e.quote_first_status();
    assert!(q.enabled);
    assert_eq!(q.buy_ready_slots, 6);
}

#[test]
fn test_rounding_residual_active() {
    // B sized like A ($2, quote-first off) at 0.0998: 20.04 → 20 DOGE = $1.996; the $0.004
    // the order did not spend rides on the slot's next B order.
    let grid = EngineConfig {
        slots: 1,
        quote_first_allocation: false,
        ..EngineConfig::default()
    };
    let mut e = engine(grid, "25.37", "1000");
    tick(&mut e, 0);
    let r = e.slots()[0].b_residual_usd;
    let b = e.slots()[0]
        .state
        .orders
        .iter()
        .find(|o| o.side == Side::Buy)
        .cloned()
        .unwrap();
    let spent = b
        .price
        .notional(b.volume, flywheel_core::Rounding::Ceil)
        .unwrap();
    assert_eq!(
        r,
        e.leak.last_b_budget[0] - spent,
        "residual = budget − spent"
    );
    assert!(r.is_positive());
    // The next B size includes it.
    let next = e.sizes_for(0, false).b;
    let without = {
        let mut off = e.leak.cfg.clone();
        off.rounding_residual_enabled = false;
        let saved = std::mem::replace(&mut e.leak.cfg, off);
        let v = e.sizes_for(0, false).b;
        e.leak.cfg = saved;
        v
    };
    assert_eq!(next, (without + r).min(e.loop_free_quote.max(without)));
}

#[test]
fn residual_carry_never_exceeds_free_quote() {
    let grid = EngineConfig {
        slots: 1,
        quote_first_allocation: false,
        ..EngineConfig::default()
    };
    let mut e = engine(grid, "25.37", "1000");
    tick(&mut e, 0);
    e.slots[0].b_residual_usd = Quote::lit(1000, 0);
    for free in ["0", "1", "3", "30"] {
        e.loop_free_quote = free.parse().unwrap();
        let base = {
            let saved = std::mem::replace(&mut e.slots[0].b_residual_usd, Quote::ZERO);
            let v = e.sizes_for(0, false).b;
            e.slots[0].b_residual_usd = saved;
            v
        };
        let b = e.sizes_for(0, false).b;
        assert!(b <= e.loop_free_quote.max(base), "free {free}: {b}");
    }
}

#[test]
fn test_b_failure_counters() {
    let grid = EngineConfig {
        slots: 1,
        ..EngineConfig::default()
    };
    let mut e = engine(grid, "100", "1000");
    let id = unfunded_b(&mut e);
    e.place_entry(0, id, crate::journal::Source::Reducer);
    let f = e.b_side_health().failures_24h;
    assert_eq!(f.len(), 6, "every reason is reported");
    assert_eq!((f["fund_guard"], f["mode_degraded"]), (1, 1), "{f:?}");
    // A day later the rolling window is empty again; the run totals keep them.
    e.now = at(86_400 + 10);
    let f = e.b_side_health().failures_24h;
    assert!(f.values().all(|&n| n == 0), "{f:?}");
    assert_eq!(e.leak.totals().b_failures["fund_guard"], 1);
}

#[test]
fn quote_first_does_not_carry_the_residual_twice() {
    // Under quote-first the unspent quote stays free and is re-split next loop.
    let grid = EngineConfig {
        slots: 1,
        ..EngineConfig::default()
    };
    let mut e = engine(grid, "25.37", "1000");
    tick(&mut e, 0);
    assert_eq!(e.slots()[0].b_residual_usd, Quote::ZERO);
}

/// Seed 001 §6.2 `throughput_below_min`: a B entry waiting for a size at or above the
/// exchange minimum is one failure per wait, however many loops it waits (every waiting loop
/// was counted before: 853,668 in a month).
#[test]
fn throughput_below_min_counts_waits_not_loops() {
    // B sized from the order size ($0.50 = 5 DOGE at 0.10, under the 13 minimum; B is
    // exempt from the entry floor by patch E), so a pending B entry cannot be placed.
    let grid = EngineConfig {
        slots: 1,
        quote_first_allocation: false,
        order_size_usd: Quote::lit(5, 1),
        ..EngineConfig::default()
    };
    let mut e = engine(grid, "1000", "1000");
    tick(&mut e, 0);
    degrade(&mut e, 0, 0);
    let s = &mut e.slots[0].state;
    (s.short_only, s.mode_source) = (false, ModeSource::None);
    s.b.pending_entry = Some(flywheel_grid::PlaceReason::RefreshEntry);
    e.leak.degraded_at[0] = None;
    for i in 1..=100 {
        tick(&mut e, 30 * i);
    }
    assert!(e.leak.b_waiting[0], "the entry still waits for size");
    let failures = e
        .leak_totals()
        .b_failures
        .get("throughput_below_min")
        .copied();
    assert_eq!(failures, Some(1), "one wait, one failure (100 loops)");
}

/// Patch F pooling: $5 over 10 buy-ready slots is $0.44 each, below the $1.313 minimum B at
/// 0.10 — no share could be placed. Pooled, it funds as many minimum-size entries as it
/// covers (3), which rest, and the other slots wait for quote.
#[test]
fn scarce_quote_is_pooled_into_valid_b_entries() {
    let grid = EngineConfig {
        slots: 10,
        ..EngineConfig::default()
    };
    let mut e = engine(grid.clone(), "5", "1000");
    tick(&mut e, 0);
    let with_b: Vec<usize> = (0..10).filter(|&i| has_b_entry(&e, i)).collect();
    assert_eq!(with_b, [0, 1, 2], "the first three slots hold B entries");
    for &i in &with_b {
        let resting = e.slots()[i]
            .state
            .orders
            .iter()
            .any(|o| o.side == Side::Buy && o.role == Role::Entry && o.txid.is_some());
        assert!(resting, "slot {i}: its B entry rests");
    }
    // Without patch F the same quote is split into unplaceable shares: no B rests.
    let mut off = engine(grid, "5", "1000").with_leak(LeakConfig {
        cascade_breaker_enabled: false,
        ..LeakConfig::default()
    });
    tick(&mut off, 0);
    let resting_off = (0..10)
        .filter(|&i| {
            off.slots()[i]
                .state
                .orders
                .iter()
                .any(|o| o.side == Side::Buy && o.role == Role::Entry && o.txid.is_some())
        })
        .count();
    assert_eq!(resting_off, 0);
}
