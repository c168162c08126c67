//! Issue 10's capital paths in the loop: a cancelled B entry's release funds its refresh;
//! every balance-degraded slot (S0 or S1a) comes back on the one restoration path, under the
//! seed's cooldown with the patches and the origin's rules without; the governor's runway
//! is kept back from the B allocation, and its size skew draws on it.

use flywheel_core::{Price, Qty, Quote, Side, Timestamp};
use flywheel_governor::GovernorConfig;
use flywheel_grid::{EngineConfig, Phase, Role};
use flywheel_marketdata::{MarketEvent, Trade};
use flywheel_venue::{SimExchange, Venue};

use crate::config::LeakConfig;
use crate::engine::Engine;
use crate::journal::NoJournal;

const T0: i64 = 1_700_000_000;

fn at(secs: i64) -> Timestamp {
    Timestamp::from_secs(T0 + secs)
}

fn engine(slots: u32, quote: &str, base: &str, leak: bool) -> Engine<SimExchange, NoJournal> {
    let grid = EngineConfig {
        slots,
        ..EngineConfig::default()
    };
    crate::test_support::sim_engine(grid, quote, base)
        .with_governor(GovernorConfig {
            enabled: false,
            ..Default::default()
        })
        .with_leak(LeakConfig {
            enabled: leak,
            ..LeakConfig::default()
        })
}

fn tick(e: &mut Engine<SimExchange, NoJournal>, secs: i64, price: &str) {
    e.on_market(price.parse().unwrap(), at(secs));
    e.run_loop(at(secs));
}

/// A print at `price` for `qty`, taken by `taker`, then the executions applied.
fn print(e: &mut Engine<SimExchange, NoJournal>, secs: i64, price: &str, taker: Side) {
    let trade = Trade {
        ts: at(secs),
        price: price.parse().unwrap(),
        qty: Qty::lit(1_000_000, 0),
        taker_side: Some(taker),
    };
    e.venue_mut()
        .on_market(&MarketEvent::Trade(trade))
        .expect("trade");
    e.on_market(price.parse().unwrap(), at(secs));
    e.drain_venue();
}

fn b_entry(e: &Engine<SimExchange, NoJournal>, idx: usize) -> Option<(Price, bool)> {
    e.slots()[idx]
        .state
        .orders
        .iter()
        .find(|o| o.role == Role::Entry && o.side == Side::Buy)
        .map(|o| (o.price, o.txid.is_some()))
}

fn degrade(e: &mut Engine<SimExchange, NoJournal>, idx: usize, secs: i64) {
    crate::test_support::degrade(e, idx, at(secs));
}

/// One slot holds all the free quote in its B entry; the market runs away so the entry is
/// stale. The refresh cancels it and places the new one in the same batch: the cancel's
/// release must fund the new entry (before, the loop's free quote was not credited and the
/// fund guard refused the re-placement, degrading the slot).
#[test]
fn a_refreshed_b_entry_is_funded_by_its_own_cancel() {
    for patches in [true, false] {
        let mut e = engine(1, "100", "1000", patches);
        tick(&mut e, 0, "0.1");
        let (first, rests) = b_entry(&e, 0).expect("a B entry");
        assert!(rests);
        assert!(
            e.venue().balances().free_quote() < Quote::lit(1, 0),
            "patches {patches}: the B entry holds nearly all the quote"
        );
        // The market runs 3 % away (refresh_pct 1): the B entry is stale.
        print(&mut e, 29, "0.103", Side::Sell);
        tick(&mut e, 30, "0.103");
        let (second, rests) = b_entry(&e, 0).expect("the B entry was re-placed");
        assert!(
            rests && second > first,
            "patches {patches}: re-placed at {second}, was {first}"
        );
        let fund_guard = e.leak_totals().b_failures.get("fund_guard").copied();
        assert_eq!(fund_guard, None, "patches {patches}: no fund-guard failure");
        assert!(!e.slots()[0].state.short_only, "patches {patches}");
    }
}

/// A slot whose A entry filled (S1a) and whose B entry then failed: it comes back on the
/// restoration path. With the patches, not inside the cooldown (auto-repair used to restore
/// it on the next loop, with no cooldown, cap or LIFO order, and without counting a
/// recovery); without them, on the next loop as the origin did. Either way a restoration
/// whose B entry rests counts as a recovery.
#[test]
fn an_s1a_degradation_comes_back_on_the_one_path() {
    // (name, patches, restored at +60 s, restored at +130 s)
    let cases = [
        ("patches: cooldown first", true, false, true),
        ("origin rules: at once", false, true, true),
    ];
    for (name, patches, at_60, at_130) in cases {
        let mut e = engine(1, "100", "1000", patches);
        tick(&mut e, 0, "0.1");
        print(&mut e, 5, "0.1010", Side::Buy); // lifts the A entry (a sell)
        degrade(&mut e, 0, 10);
        assert_eq!(e.slots()[0].state.phase(), Phase::S1a, "{name}");
        tick(&mut e, 70, "0.1005");
        assert_eq!(b_entry(&e, 0).is_some(), at_60, "{name}: at +60 s");
        tick(&mut e, 140, "0.1005");
        assert_eq!(b_entry(&e, 0).is_some(), at_130, "{name}: at +130 s");
        assert!(!e.slots()[0].state.short_only, "{name}: bilateral again");
        assert_eq!(e.leak_totals().recoveries, 1, "{name}: one recovery");
        assert_eq!(e.b_side_health().recoveries_24h, 1, "{name}: on the card");
    }
}

/// With quote-first and the governor on, the B allocation keeps the runway the governor
/// targets (1.5 × next entries + 40 % of the quote balance) back; a positive skew scales
/// the B entry up out of that runway, so the skew moves a quantity it can move.
#[test]
fn the_governor_runway_is_kept_back_and_the_skew_draws_on_it() {
    let mut e = crate::test_support::sim_engine(
        EngineConfig {
            slots: 4,
            ..EngineConfig::default()
        },
        "200",
        "10000",
    );
    tick(&mut e, 0, "0.1");
    tick(&mut e, 30, "0.1");
    // Slot 0's B entry goes away: the slot is buy-ready again at the next sync.
    let (id, txid) = e.slots[0]
        .state
        .orders
        .iter()
        .find(|o| o.role == Role::Entry && o.side == Side::Buy)
        .map(|o| (o.local_id, o.txid.clone().expect("rests")))
        .expect("a B entry");
    e.venue_mut()
        .cancel(&txid.parse().unwrap(), at(30))
        .expect("cancel");
    e.drain_venue();
    e.slots[0].state.orders.retain(|o| o.local_id != id);
    e.slots[0].state.b.pending_entry = Some(flywheel_grid::PlaceReason::RefreshEntry);
    e.sync();
    let b = e.sizing.b;
    // Next entries: four slots' $2; runway 80 + 1.5 × 8 = 92 of the $200 balance.
    assert_eq!(b.runway, Quote::lit(92, 0), "{b:?}");
    let deployable = e.loop_free_quote - b.runway;
    let base_size = e.sizes_for(0, false).b;
    let mut snap = e.snapshot();
    snap.governor.current_skew = 0.3;
    snap.governor.applied_skew = 0.3;
    snap.governor.last_update_ts = Some(at(30));
    e.restore(snap).expect("restores");
    e.governor_step();
    let skewed = e.sizes_for(0, true).b;
    assert!(base_size.is_positive());
    assert!(
        skewed > base_size,
        "B ×1.30 draws on the runway: {skewed} vs {base_size}"
    );
    assert!(
        skewed > deployable,
        "beyond the deployable {deployable}: from the runway"
    );
    assert!(skewed <= e.loop_free_quote, "still fundable: {skewed}");
}
