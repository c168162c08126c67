//! Issue 13, "snapshots are complete and exact": a run that is stopped after an event,
//! stored as JSON text and resumed by a fresh engine continues byte-identically.
//!
//! Each run goes twice over the same market data: once straight, once with a restart after
//! **every step** — every loop, every market event given to the venue and to the engine, and
//! every drain of the venue's events. A restart serializes the engine's snapshot to JSON
//! text, builds a fresh engine from the configuration on the *same* simulated exchange (the
//! exchange is the venue's state, not the engine's: it moves over as a live exchange would
//! stay up across our restart) and the same journal sink, parses the text and restores it.
//! The journals (JSON lines) and the summaries (without the `run.*` timing keys) must be
//! byte-identical, and the restored engine's snapshot must serialize to the very text it
//! was restored from.
//!
//! Runs (debug build, two cores; the tests run in parallel, about a minute in all):
//!
//! | run | data | restarts |
//! |---|---|---|
//! | grid | synthetic: 150 demo candles as 600 small trades (always runs) | every step (2,100) |
//! | grid | `kraken_SOLUSD_timesales_2023-07-01_excerpt.csv`, all 813 trades | every step (2,707) |
//! | grid | `gemini_DOGEUSD_trades_2025-10-10.csv.gz`, all 8,348 trades | every 97th step (278) |
//! | maker | `gemini_SOLUSD_trades_2025-10-10.csv.gz`, all 12,764 trades (1,233 fills) | every 13th step (2,945) |
//!
//! The grid runs with 4 slots of $10 orders, the governor, the leak patches, rangers and
//! churners on, on the default simulated venue (queue fill rule, partial fills) with a
//! 500 ms ack latency so orders are in flight across restarts; each run checks that partial
//! fills happened. Real data files skip with a message when `shared/data` is absent.

mod common;

use std::path::Path;

use flywheel_ancillary::{ChurnerConfig, RangerConfig};
use flywheel_core::{Price, Timestamp};
use flywheel_engine::backtest::event_price;
use flywheel_engine::config::{instrument, BacktestConfig, VenueConfig};
use flywheel_engine::{Engine, JsonLines, Summary};
use flywheel_grid::EngineConfig;
use flywheel_marketdata::MarketEvent;
use flywheel_venue::SimExchange;
use serde_json::Value;

type Journal = JsonLines<Vec<u8>>;
type Grid = Engine<SimExchange, Journal>;

/// How often the restarted run restarts: after every `every`-th step.
#[derive(Clone, Copy, Debug)]
struct Restarts {
    every: u64,
}

/// The engine of the grid runs: 4 slots, governor (default: on), leak patches (default: all
/// on), rangers and churners on.
fn grid_engine(venue: SimExchange, journal: Journal) -> Grid {
    let cfg = grid_config();
    let rangers = RangerConfig {
        enabled: true,
        ..RangerConfig::default()
    };
    let churners = ChurnerConfig {
        enabled: true,
        ..ChurnerConfig::default()
    };
    Engine::new(cfg, venue, journal).with_ancillary(rangers, churners)
}

/// Orders of $10 (the default is $2): large enough that small prints fill them in parts.
fn grid_config() -> EngineConfig {
    EngineConfig {
        slots: 4,
        order_size_usd: flywheel_core::Quote::lit(10, 0),
        ..EngineConfig::default()
    }
}

/// The default simulated venue (queue fill rule, partial fills on, entry latency) with an
/// ack latency, so that orders are in flight across restarts.
fn grid_venue() -> SimExchange {
    let cfg = grid_config();
    let venue = VenueConfig::default();
    let sim = flywheel_venue::SimConfig {
        ack_latency_ms: 500,
        ..venue.sim()
    };
    assert!(sim.partial_fills, "partial fills on");
    let inst = instrument(&cfg, &venue).expect("instrument");
    let start = BacktestConfig::default().start_balances();
    SimExchange::new(inst, sim, start).expect("simulated exchange")
}

/// Snapshot, JSON text, fresh engine on the same venue and journal, restore; `verify`:
/// the restored engine must snapshot to the same text (every 10th restart: it doubles the
/// cost of one).
fn restart_grid(e: Grid, verify: bool) -> Grid {
    let text = serde_json::to_string(&e.snapshot()).expect("snapshot serializes");
    let (venue, journal) = e.into_parts();
    let mut fresh = grid_engine(venue, journal);
    let snap = serde_json::from_str(&text).expect("snapshot parses");
    fresh.restore(snap).expect("restores");
    if verify {
        let again = serde_json::to_string(&fresh.snapshot()).expect("snapshot serializes");
        assert!(again == text, "the restored engine is the stored one");
    }
    fresh
}

/// The grid over `events` as the backtest driver runs it (loops due before each event,
/// then the venue, the mark and the executions), restarting after every `every`-th step
/// when asked. Returns the journal, the summary without `run`, and the restarts made.
fn run_grid(events: &[MarketEvent], restarts: Option<Restarts>) -> (String, String, u64) {
    let mut e = grid_engine(grid_venue(), JsonLines::new(Vec::new()));
    let interval = e.config().loop_interval_sec as i64 * 1000;
    let mut steps = 0u64;
    let mut made = 0u64;
    let mut hop = |e: Grid| -> Grid {
        steps += 1;
        match restarts {
            Some(r) if steps.is_multiple_of(r.every) => {
                made += 1;
                restart_grid(e, made % 10 == 1)
            }
            _ => e,
        }
    };
    let mut next_loop: Option<Timestamp> = None;
    let mut first_price = Price::ZERO;
    for ev in events {
        let t = ev.time();
        if first_price.is_zero() {
            first_price = event_price(ev);
        }
        if let Some(mut due) = next_loop {
            while due < t {
                if e.mark_stale_at(due) {
                    let n = (t.millis() - 1 - due.millis()) / interval + 1;
                    e.run_stale_loops(due, n as u64, interval);
                    e = hop(e);
                    due = Timestamp::from_millis(due.millis() + n * interval);
                    break;
                }
                e.run_loop(due);
                e = hop(e);
                due = Timestamp::from_millis(due.millis() + interval);
            }
            next_loop = Some(due);
        }
        e.venue_mut().on_market(ev).expect("venue");
        e = hop(e);
        e.on_market(event_price(ev), t);
        e = hop(e);
        e.drain_venue();
        e = hop(e);
        if next_loop.is_none() {
            e.run_loop(t);
            e = hop(e);
            next_loop = Some(Timestamp::from_millis(t.millis() + interval));
        }
    }
    let data = flywheel_engine::DataStats {
        events: events.len() as u64,
        first_ts: events.first().map(MarketEvent::time),
        last_ts: events.last().map(MarketEvent::time),
    };
    if let (Some(last), Some(due)) = (data.last_ts, next_loop) {
        if due > last {
            e.run_loop(last);
        }
    }
    let summary = Summary::build(&e, vec!["data".to_string()], &data, first_price);
    let mut summary = serde_json::to_value(&summary).expect("summary");
    if let Some(o) = summary.as_object_mut() {
        o.remove("run");
    }
    let (_, journal) = e.into_parts();
    let journal = String::from_utf8(journal.into_inner().expect("journal")).expect("utf-8");
    (journal, pretty(&summary), made)
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("json")
}

/// The first line where two texts differ, for a readable failure.
fn first_difference(a: &str, b: &str) -> String {
    let pair = a
        .lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y);
    match pair {
        Some((i, (x, y))) => format!("line {}:\n  straight:  {x}\n  restarted: {y}", i + 1),
        None => format!(
            "one is a prefix of the other ({} vs {} lines)",
            a.lines().count(),
            b.lines().count()
        ),
    }
}

fn assert_same(what: &str, straight: &str, restarted: &str) {
    assert!(
        straight == restarted,
        "{what} differs after restarts: {}",
        first_difference(straight, restarted)
    );
}

fn read(path: &Path, limit: usize) -> Vec<MarketEvent> {
    flywheel_marketdata::open(path)
        .expect("data opens")
        .take(limit)
        .map(|e| e.expect("data reads"))
        .collect()
}

/// A seeded synthetic market: `bars` one-minute candles of the demo market, each printed
/// as four small trades (open, high, low, close, 15 s apart) of 30 base units, so that the
/// grid's orders (about 100 units) fill in parts.
fn synthetic(bars: usize) -> Vec<MarketEvent> {
    let start = Timestamp::from_secs(1_735_689_600);
    let demo = flywheel_engine::demo::DemoMarket::new(7, bars, Price::lit(1, 1), start);
    demo.flat_map(|ev| {
        let MarketEvent::Bar(b) = ev else {
            return Vec::new();
        };
        let at = b.open_time.millis();
        [b.open, b.high, b.low, b.close]
            .into_iter()
            .enumerate()
            .map(|(i, price)| {
                MarketEvent::Trade(flywheel_marketdata::Trade {
                    ts: Timestamp::from_millis(at + 15_000 * i as i64),
                    price,
                    qty: flywheel_core::Qty::lit(30, 0),
                    taker_side: None,
                })
            })
            .collect()
    })
    .collect()
}

fn check_grid(name: &str, events: &[MarketEvent], every: u64) {
    let clock = std::time::Instant::now();
    let (j1, s1, _) = run_grid(events, None);
    let (j2, s2, made) = run_grid(events, Some(Restarts { every }));
    println!(
        "grid {name}: {} events, {made} restarts (every {every} steps), {} journal lines, {:?}",
        events.len(),
        j1.lines().count(),
        clock.elapsed()
    );
    assert!(made > 0, "{name}: restarts happened");
    // The run exercises what a snapshot must carry: partial fills (executions so far),
    // the governor's updates, ancillary orders.
    let partial = j1
        .lines()
        .filter(|l| l.contains("\"kind\":\"venue\"") && l.contains("\"type\":\"fill\""))
        .filter(|l| !l.contains("\"leaves\":\"0\""))
        .count();
    let s: Value = serde_json::from_str(&s1).expect("summary");
    println!(
        "  partial fills {partial}, orders filled {}, governor updates {}, ancillary {}",
        s["orders"]["filled"], s["rebalancer"]["updates"], s["ancillary"]
    );
    assert!(partial > 0, "{name}: partial fills happened");
    assert_same(&format!("{name}: the journal"), &j1, &j2);
    assert_same(&format!("{name}: the summary"), &s1, &s2);
}

// Restarting costs a snapshot's JSON both ways, and the snapshot grows with the run (the
// report's series reach 2000 points, ~1 MB): in a debug build a restart after every step
// is affordable on a few hours of data, so the long runs restart after every k-th step (k
// prime, so restarts land on every kind of step).

#[test]
fn grid_restarted_after_every_step_of_a_synthetic_market() {
    check_grid("synthetic", &synthetic(150), 1);
}

#[test]
fn grid_restarted_on_real_data() {
    // (file, events read, restart after every n-th step)
    let cases = [
        (
            "kraken_SOLUSD_timesales_2023-07-01_excerpt.csv",
            usize::MAX,
            1,
        ),
        ("gemini_DOGEUSD_trades_2025-10-10.csv.gz", usize::MAX, 97),
    ];
    for (name, limit, every) in cases {
        let Some(path) = common::data_file(name) else {
            continue;
        };
        check_grid(name, &read(&path, limit), every);
    }
}

type Maker = flywheel_engine::maker_run::MakerEngine<SimExchange, Journal>;

/// The maker with its SOL defaults on the default simulated venue with an ack latency.
fn maker_engine(venue: SimExchange, journal: Journal) -> Maker {
    flywheel_engine::maker_run::MakerEngine::with_journal(
        flywheel_maker::MakerConfig::default(),
        flywheel_maker::HedgerConfig::default(),
        venue,
        journal,
    )
}

fn maker_venue() -> SimExchange {
    let venue = VenueConfig::default();
    let sim = flywheel_venue::SimConfig {
        ack_latency_ms: 500,
        ..venue.sim()
    };
    let inst = flywheel_maker::MakerConfig::default()
        .instrument("SOL/USD")
        .expect("instrument");
    SimExchange::new(inst, sim, BacktestConfig::default().start_balances()).expect("sim")
}

fn restart_maker(m: Maker, verify: bool) -> Maker {
    let text = serde_json::to_string(&m.snapshot()).expect("snapshot serializes");
    let (venue, journal) = m.into_parts();
    let mut fresh = maker_engine(venue, journal);
    let snap = serde_json::from_str(&text).expect("snapshot parses");
    fresh.restore(snap).expect("restores");
    if verify {
        let again = serde_json::to_string(&fresh.snapshot()).expect("snapshot serializes");
        assert!(again == text, "the restored maker is the stored one");
    }
    fresh
}

/// The maker over `events` as `run_maker_backtest` runs it (timer ticks due before each
/// event, the venue, the mid), restarting after every `every`-th step when asked; the
/// journal (with the closing status) and the run figures.
fn run_maker(events: &[MarketEvent], restarts: Option<Restarts>) -> (String, String, u64) {
    let mut m = maker_engine(maker_venue(), JsonLines::new(Vec::new()));
    let mut steps = 0u64;
    let mut made = 0u64;
    let mut hop = |m: Maker| -> Maker {
        steps += 1;
        match restarts {
            Some(r) if steps.is_multiple_of(r.every) => {
                made += 1;
                restart_maker(m, made % 10 == 1)
            }
            _ => m,
        }
    };
    for ev in events {
        let t = ev.time();
        m.tick_until(t);
        m = hop(m);
        m.venue_mut().on_market(ev).expect("venue");
        m = hop(m);
        m.on_market(event_price(ev), t);
        m = hop(m);
    }
    let figures = serde_json::to_value((&m.stats, m.figures(1.0))).expect("figures");
    let journal = m.finish_journal();
    let journal = String::from_utf8(journal.into_inner().expect("journal")).expect("utf-8");
    (journal, pretty(&figures), made)
}

#[test]
fn maker_restarted_on_real_data() {
    // The SOL day (the maker's market): long enough for its estimators to warm up and for
    // it to trade; restarts after every 13th step (a restart after every step costs minutes
    // in a debug build once the report's series are long).
    let name = "gemini_SOLUSD_trades_2025-10-10.csv.gz";
    let Some(path) = common::data_file(name) else {
        return;
    };
    let events = read(&path, usize::MAX);
    let clock = std::time::Instant::now();
    let (j1, f1, _) = run_maker(&events, None);
    let (j2, f2, made) = run_maker(&events, Some(Restarts { every: 13 }));
    let fills = j1
        .lines()
        .filter(|l| l.contains("\"kind\":\"fill\""))
        .count();
    println!(
        "maker {name}: {} events, {made} restarts, {fills} fills, {:?}",
        events.len(),
        clock.elapsed()
    );
    assert!(
        made > 0 && fills > 0,
        "{name}: the maker traded across restarts"
    );
    assert_same("maker: the journal", &j1, &j2);
    assert_same("maker: the figures", &f1, &f2);
}
