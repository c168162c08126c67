//! Runtime tests of the maker: trading and reconciliation, Phase 2 asymmetry, the journal.

use std::convert::Infallible;

use flywheel_core::{Price, Ratio, Rounding, Timestamp};
use flywheel_maker::{HedgerConfig, MakerConfig, MinSizePolicy};
use flywheel_venue::{Balances, SimExchange, Venue};

use super::*;
use crate::config::BacktestConfig;
use crate::journal::JsonLines;

fn sim(cfg: &MakerConfig) -> SimExchange {
    let mut inst = cfg.instrument("SOL/USD").unwrap();
    inst.taker_fee_pct = Ratio::lit(40, 2);
    let start: Balances = BacktestConfig {
        start_base: "10".parse().unwrap(),
        start_quote: "5000".parse().unwrap(),
    }
    .start_balances();
    SimExchange::new(inst, Default::default(), start).unwrap()
}

/// The seed's defaults with sizes below the venue minimum raised to it (so quotes trade).
fn raise() -> MakerConfig {
    MakerConfig {
        min_size_policy: MinSizePolicy::Raise,
        ..MakerConfig::default()
    }
}

fn maker(cfg: MakerConfig) -> MakerEngine<SimExchange> {
    let venue = sim(&cfg);
    MakerEngine::new(cfg, HedgerConfig::default(), venue)
}

type Journaled = MakerEngine<SimExchange, JsonLines<Vec<u8>>>;

/// A maker with a JSON-lines journal in memory.
fn journaled(cfg: MakerConfig) -> Journaled {
    let venue = sim(&cfg);
    MakerEngine::with_journal(
        cfg,
        HedgerConfig::default(),
        venue,
        JsonLines::new(Vec::new()),
    )
}

/// Close the journal and return its text.
fn journal_text(m: Journaled) -> String {
    String::from_utf8(m.finish_journal().into_inner().unwrap()).unwrap()
}

fn run<J: MakerSink>(m: &mut MakerEngine<SimExchange, J>, events: &[MarketEvent]) {
    run_maker_backtest(m, events.iter().cloned().map(Ok::<_, Infallible>)).unwrap();
}

/// Put a long of `qty` SOL bought at 200 into the FIFO book directly.
fn seed_long<J: MakerSink>(m: &mut MakerEngine<SimExchange, J>, qty: &str, at: Timestamp) {
    let qty = qty.parse().unwrap();
    m.fifo
        .on_fill(Side::Buy, Price::lit(200, 0), qty, Quote::ZERO, at)
        .unwrap();
}

/// Run the `raise` maker over `n` synthetic trades with a journal.
fn journaled_run(n: usize) -> (String, Qty, Quote, u64) {
    let mut m = journaled(raise());
    run(&mut m, &trades(n));
    let (inv, realized, placed) = (
        m.fifo().inventory(),
        m.fifo().realized(),
        m.stats.orders_placed,
    );
    (journal_text(m), inv, realized, placed)
}

fn trade(ts: Timestamp, price: Price) -> MarketEvent {
    MarketEvent::Trade(flywheel_marketdata::Trade {
        ts,
        price,
        qty: "5".parse().unwrap(),
        taker_side: None,
    })
}

/// A seeded synthetic SOL path around 200 with trades every 2 s.
fn trades(n: usize) -> Vec<MarketEvent> {
    let mut p = 200.0f64;
    let mut x: u64 = 7;
    (0..n)
        .map(|i| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = ((x >> 33) as f64 / (1u64 << 31) as f64) - 0.5;
            p *= 1.0 + r * 0.0008;
            let price = Price::from_f64(p, Rounding::HalfEven)
                .unwrap()
                .round_dp(3, Rounding::HalfEven)
                .unwrap();
            trade(Timestamp::from_secs(1_760_000_000 + 2 * i as i64), price)
        })
        .collect()
}

#[test]
fn maker_trades_reconciles_and_reports_the_seed_gauges() {
    let mut m = maker(raise());
    run(&mut m, &trades(20_000));
    assert!(m.stats.quote_fills > 0, "the maker traded");
    assert_eq!(m.stats.fifo_errors, 0);
    // The FIFO position is exactly the account's base change.
    let b = m.venue().balances();
    assert_eq!(
        b.base.total - "10".parse::<Qty>().unwrap(),
        m.fifo().inventory()
    );
    let s = serde_json::to_value(m.status()).unwrap();
    for key in [
        "maker_fifo_realized_quote",
        "maker_regime_state",
        "maker_volatility_bps",
        "maker_trend_down_guard",
        "maker_pnl_guard_active",
        "size_floor_bound",
    ] {
        assert!(s.get(key).is_some(), "status lacks {key}");
    }
}

#[test]
fn phase_two_quotes_only_the_flattening_side_when_long() {
    let mut m = maker(raise());
    seed_long(&mut m, "0.05", Timestamp::from_secs(1));
    m.on_market(Price::lit(200, 0), Timestamp::from_secs(1_760_000_000));
    assert!(
        !m.resting.contains_key(&Side::Buy),
        "no bid while long beyond 0.01"
    );
    assert!(m.resting.contains_key(&Side::Sell), "the ask flattens");
}

#[test]
fn the_journal_records_decisions_orders_fills_and_the_final_status() {
    let (text, inventory, realized, placed) = journaled_run(5_000);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each journal line is JSON"))
        .collect();
    let count = |kind: &str| lines.iter().filter(|l| l["kind"] == kind).count();
    assert!(count("quote") > 0, "quote decisions are journaled");
    assert_eq!(
        count("placed") as u64,
        placed,
        "every placement is journaled"
    );
    assert!(count("fill") > 0, "the run traded");
    // The last fill's position and realized PnL are the engine's final ones.
    let last_fill = lines.iter().rev().find(|l| l["kind"] == "fill").unwrap();
    assert_eq!(
        last_fill["inventory"],
        serde_json::to_value(inventory).unwrap()
    );
    assert_eq!(
        last_fill["fifo_realized"],
        serde_json::to_value(realized).unwrap()
    );
    // Every quote decision carries the seed's gauges.
    let quote = lines.iter().find(|l| l["kind"] == "quote").unwrap();
    for gauge in [
        "volatility_bps",
        "regime_state",
        "trend_down_guard",
        "pnl_guard_active",
    ] {
        assert!(
            quote["decision"]["telemetry"].get(gauge).is_some(),
            "quote telemetry lacks {gauge}: {quote}"
        );
    }
    // The journal ends with the status snapshot.
    let last = lines.last().unwrap();
    assert_eq!(last["kind"], "status");
    assert_eq!(
        last["status"]["maker_fifo_realized_quote"],
        serde_json::to_value(realized).unwrap()
    );
}

#[test]
fn the_journal_is_deterministic() {
    let (a, ..) = journaled_run(3_000);
    let (b, ..) = journaled_run(3_000);
    assert!(!a.is_empty());
    assert!(a == b, "same data and config give a byte-identical journal");
}

/// Trades at a flat 200.000 every 250 ms from `t0` for `secs` seconds: nothing crosses a
/// resting post-only order, so only the hedger's IOC can trade.
fn flat_trades(t0: i64, secs: i64) -> Vec<MarketEvent> {
    (0..secs * 4)
        .map(|i| {
            trade(
                Timestamp::from_millis(t0 * 1000 + 250 * i),
                Price::lit(200, 0),
            )
        })
        .collect()
}

#[test]
fn round_one_hedger_leaves_a_residue_below_the_venue_minimum() {
    let hedger = HedgerConfig {
        closable_clips: false,
        ..HedgerConfig::default()
    };
    let venue = sim(&raise());
    let mut m = MakerEngine::new(raise(), hedger, venue);
    let t0 = 1_760_000_000;
    seed_long(&mut m, "0.1", Timestamp::from_secs(t0));
    run(&mut m, &flat_trades(t0, 60));
    let c = m.hedger().counters.clone();
    // One clip of the venue minimum (0.061, above the 0.03 max clip but ≤ |inventory|);
    // the 0.039 left is below the minimum: skipped for good (one episode), not rejected.
    assert_eq!(c.aggressive_fills, 1, "{c:?}");
    assert_eq!(m.fifo().inventory(), "0.039".parse::<Qty>().unwrap());
    assert_eq!(c.skipped_below_minimum, 1, "{c:?}");
    assert_eq!(c.two_step_flattens, 0, "{c:?}");
}

#[test]
fn hedger_tries_passive_then_closes_with_one_ioc() {
    let mut m = journaled(raise());
    let t0 = 1_760_000_000;
    // A long of 0.1 SOL, above the 0.010 trigger; the passive clip cannot fill on flat prints.
    seed_long(&mut m, "0.1", Timestamp::from_secs(t0));
    run(&mut m, &flat_trades(t0, 10));
    let c = m.hedger().counters.clone();
    assert_eq!(
        c.passive_fills, 0,
        "flat prints never reach the passive sell"
    );
    assert_eq!(c.aggressive_fills, 1, "{c:?}");
    // The venue minimum (0.061) would leave 0.039, a residue: the clip closes all 0.1 —
    // over the 0.03 cap, and counted.
    assert_eq!(m.fifo().inventory(), Qty::ZERO);
    assert_eq!((c.clips, c.clips_over_cap), (1, 1), "{c:?}");
    assert!(
        m.stats.rejected.is_empty(),
        "no order was rejected: {:?}",
        m.stats.rejected
    );
    // The journal shows the sequence: passive placed, cancelled, IOC placed and filled.
    let text = journal_text(m);
    let hedge: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| {
            let role = &r["role"];
            role == "hedge_passive" || role == "hedge_ioc"
        })
        .collect();
    let steps: Vec<String> = hedge
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["kind"].as_str().unwrap(),
                r["role"].as_str().unwrap()
            )
        })
        .collect();
    let first_ioc = steps
        .iter()
        .position(|s| s == "placed:hedge_ioc")
        .expect("an IOC");
    assert_eq!(steps[0], "placed:hedge_passive", "{steps:?}");
    assert!(
        steps[..first_ioc].contains(&"cancelled:hedge_passive".to_string()),
        "the passive order is cancelled before the IOC: {steps:?}"
    );
    assert!(
        steps[first_ioc..].contains(&"fill:hedge_ioc".to_string()),
        "the IOC fills at the flat print: {steps:?}"
    );
    let passive_at = hedge[0]["ts"].as_i64().unwrap();
    let ioc_at = hedge[first_ioc]["ts"].as_i64().unwrap();
    assert!(
        ioc_at - passive_at >= 500,
        "the passive order had its 0.5 s: {passive_at} → {ioc_at}"
    );
}

#[test]
fn hedger_emergency_starts_after_eight_seconds_of_blocked_quoting() {
    // A 1 bps price band suppresses both quotes (each sits ~4.5 bps from mid): quoting is
    // blocked from the first refresh while a 1 SOL long waits to be hedged.
    let mut m = maker(MakerConfig {
        price_band_bps: 1.0,
        ..raise()
    });
    let t0 = 1_760_000_000;
    seed_long(&mut m, "1", Timestamp::from_secs(t0));
    let all = flat_trades(t0, 14);
    // Up to 7.75 s after the block began: ordinary clips only.
    run(&mut m, &all[..32]);
    assert!(m
        .telemetry()
        .is_some_and(|t| t.bid_size.is_zero() && t.ask_size.is_zero()));
    let before = m.hedger().counters.clone();
    assert_eq!(before.emergency_orders, 0, "{before:?}");
    assert!(
        before.aggressive_fills > 0,
        "the ordinary hedger clipped: {before:?}"
    );
    // From 8 s on, emergency: clips every 0.5 s instead of every 2 s.
    run(&mut m, &all[32..]);
    let after = m.hedger().counters.clone();
    assert!(after.emergency_orders > 0, "{after:?}");
    let rate_before = before.aggressive_fills as f64 / 8.0;
    let rate_after = (after.aggressive_fills - before.aggressive_fills) as f64 / 6.0;
    assert!(
        rate_after > 2.0 * rate_before,
        "emergency clips faster: {rate_before}/s before, {rate_after}/s after"
    );
    // Every clip is reduce-only: the long only shrinks and never flips.
    let inv = m.fifo().inventory();
    assert!(
        inv.is_positive() && inv < "1".parse::<Qty>().unwrap(),
        "{inv:?}"
    );
    assert!(m.stats.rejected.is_empty(), "{:?}", m.stats.rejected);
}

/// Flat prints at 200.000 every `every` seconds from `t0` for `secs` seconds.
fn sparse_trades(t0: i64, secs: i64, every: i64) -> Vec<MarketEvent> {
    (0..=secs / every)
        .map(|i| trade(Timestamp::from_secs(t0 + every * i), Price::lit(200, 0)))
        .collect()
}

#[test]
fn a_residue_gets_the_two_step_after_its_grace_between_sparse_prints() {
    // A long of 0.015 (above the 0.010 trigger, below the 0.061 minimum), prints every 10 s
    // that never reach a resting order. The maker's ask (0.015 + 0.061) rests through the
    // 45 s grace; then, on the 1 s timer between prints, the hedger sells 0.076 (landing
    // on −0.061) and buys the 0.061 back after its 2 s cooldown and 0.5 s passive wait.
    let mut m = journaled(raise());
    let t0 = 1_760_000_000;
    seed_long(&mut m, "0.015", Timestamp::from_secs(t0));
    run(&mut m, &sparse_trades(t0, 60, 10));
    let c = m.hedger().counters.clone();
    assert_eq!(m.fifo().inventory(), Qty::ZERO, "{c:?}");
    assert_eq!(
        (c.skipped_below_minimum, c.two_step_flattens),
        (1, 1),
        "{c:?}"
    );
    assert_eq!((c.clips, c.clips_over_cap), (2, 2), "{c:?}");
    assert!(m.stats.ticks > 0 && m.stats.requotes > 0, "{:?}", m.stats);
    let text = journal_text(m);
    let fills: Vec<(i64, String, String)> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["kind"] == "fill")
        .map(|r| {
            (
                r["ts"].as_i64().unwrap() / 1000 - t0,
                r["side"].as_str().unwrap().to_string(),
                r["qty"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(fills.len(), 2, "{fills:?}");
    let (at, side, qty) = &fills[0];
    assert_eq!(
        (side.as_str(), qty.as_str()),
        ("sell", "0.076"),
        "{fills:?}"
    );
    assert!(
        (45..50).contains(at),
        "after the grace, on a tick: {fills:?}"
    );
    let (at2, side, qty) = &fills[1];
    assert_eq!((side.as_str(), qty.as_str()), ("buy", "0.061"), "{fills:?}");
    assert!(
        *at2 < 50,
        "closed on the timer, before the print at 50 s: {fills:?}"
    );
    // After the first leg the ask sized for the old long was re-sized at once.
    let requote_after = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .any(|r| r["kind"] == "requote" && r["inventory"] == "-0.061");
    assert!(requote_after, "a re-quote for the new position");
}

#[test]
fn without_requote_on_fill_the_quotes_wait_for_the_refresh() {
    // Round 1's runtime: the same residue and two-step as above, but a fill between
    // refreshes leaves the resting quotes as they were sized.
    let cfg = MakerConfig {
        requote_on_fill: false,
        ..raise()
    };
    let mut m = journaled(cfg);
    let t0 = 1_760_000_000;
    seed_long(&mut m, "0.015", Timestamp::from_secs(t0));
    run(&mut m, &sparse_trades(t0, 60, 10));
    let c = m.hedger().counters.clone();
    assert_eq!(c.two_step_flattens, 1, "{c:?}");
    assert_eq!(m.fifo().inventory(), Qty::ZERO, "{c:?}");
    assert_eq!(m.stats.requotes, 0, "{:?}", m.stats);
    assert!(m.stats.refreshes > 0 && m.stats.ticks > 0, "{:?}", m.stats);
    let text = journal_text(m);
    assert!(!text.contains(r#""kind":"requote""#), "no re-quote records");
    assert!(text.contains(r#""kind":"quote""#));
}

#[test]
fn without_the_timer_the_hedger_waits_for_prints() {
    let hedger = HedgerConfig {
        poll_interval_seconds: "0".parse().unwrap(),
        ..HedgerConfig::default()
    };
    let venue = sim(&raise());
    let mut m = MakerEngine::new(raise(), hedger, venue);
    let t0 = 1_760_000_000;
    seed_long(&mut m, "0.015", Timestamp::from_secs(t0));
    run(&mut m, &sparse_trades(t0, 50, 10));
    // The grace ends at 45 s, but nothing steps until the print at 50 s: one leg only.
    assert_eq!(m.stats.ticks, 0);
    assert_eq!(m.fifo().inventory(), "-0.061".parse::<Qty>().unwrap());
}

#[test]
fn the_summary_reports_fees_pauses_and_clips_by_kind() {
    let mut m = maker(raise());
    run(&mut m, &trades(20_000));
    let f = serde_json::to_value(m.figures(11.1)).unwrap();
    assert_eq!(f["fees"]["schedule"], "lighter");
    assert!(f["fees"]["warning"].is_null(), "no fee, no warning");
    for key in [
        "skipped_below_minimum",
        "two_step_flattens",
        "clips_over_cap",
        "forced_aggressive",
    ] {
        assert!(f["hedger"].get(key).is_some(), "hedger figures lack {key}");
    }
    assert!(f["pct_time_paused"].is_object());
    assert!(f.get("high_vol_pauses_per_hour").is_some());
    let s = serde_json::to_value(m.status()).unwrap();
    for key in [
        "hedger_skipped_clips",
        "hedger_two_step_flattens",
        "hedger_clips_over_cap",
        "paused_seconds",
        "maker_volatility_paused",
        "fee_schedule",
    ] {
        assert!(s.get(key).is_some(), "status lacks {key}");
    }
    // Time paused by cause never exceeds the measured time.
    for (cause, ms) in &m.stats.paused_ms {
        assert!(*ms <= m.stats.measured_ms, "{cause:?}");
    }
}

#[test]
fn a_snapshot_whose_resting_order_is_not_followed_is_refused_and_changes_nothing() {
    let mut m = maker(MakerConfig::default());
    run(&mut m, &trades(400));
    let good = m.snapshot();
    let mut text: serde_json::Value = serde_json::to_value(&good).expect("snapshot");
    // A resting bid that names no followed order.
    text["resting"] = serde_json::json!({ "buy": "fw1zzz" });
    let bad: MakerSnapshot = serde_json::from_value(text).expect("parses");
    let before = serde_json::to_string(&m.snapshot()).expect("snapshot");
    let err = m.restore(bad).expect_err("refused");
    assert_eq!(
        err,
        MakerRestoreError::UnknownOrder {
            what: "resting",
            id: "fw1zzz".into()
        }
    );
    assert_eq!(
        serde_json::to_string(&m.snapshot()).expect("snapshot"),
        before
    );
    m.restore(good).expect("the good snapshot restores");
}
