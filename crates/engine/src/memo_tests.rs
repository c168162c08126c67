//! The loop memo against its reference (the memo switched off): every journal line (each
//! loop's capacity and scoreboard, every action, placement and fill), the statistics and
//! the summary agree byte for byte; it is actually used; and a change that forgets
//! `touch` is caught in a debug build.

use std::convert::Infallible;

use flywheel_ancillary::{ChurnerConfig, RangerConfig};
use flywheel_core::{Price, Quote, Timestamp};
use flywheel_grid::EngineConfig;
use flywheel_venue::SimExchange;

use crate::config::{instrument, BacktestConfig, LeakConfig, VenueConfig};
use crate::demo::DemoMarket;
use crate::engine::Engine;
use crate::journal::JsonLines;
use crate::summary::Summary;
use crate::test_support::sim_engine;
use crate::{run_backtest, NoJournal};

/// 2025-01-01T00:00:00Z.
const START_MS: i64 = 1_735_689_600_000;
const BARS: usize = 2_500;

type Journaled = Engine<SimExchange, JsonLines<Vec<u8>>>;

fn journaled(grid: EngineConfig) -> Journaled {
    let venue = VenueConfig::default();
    let start = BacktestConfig::default();
    let inst = instrument(&grid, &venue).expect("instrument");
    let sim = SimExchange::new(inst, venue.sim(), start.start_balances()).expect("sim");
    Engine::new(grid, sim, JsonLines::new(Vec::new()))
}

/// A named engine set-up: what each case changes from the defaults.
struct Case {
    name: &'static str,
    build: fn() -> Journaled,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "defaults, 10 slots",
            build: || {
                journaled(EngineConfig {
                    slots: 10,
                    ..EngineConfig::default()
                })
            },
        },
        Case {
            name: "governor off, no quote-first allocation (sized ticks, residual carry)",
            build: || {
                let e = journaled(EngineConfig {
                    slots: 6,
                    quote_first_allocation: false,
                    ..EngineConfig::default()
                });
                e.with_governor(flywheel_governor::GovernorConfig {
                    enabled: false,
                    ..Default::default()
                })
            },
        },
        Case {
            name: "leak patches off, 20 slots",
            build: || {
                journaled(EngineConfig {
                    slots: 20,
                    ..EngineConfig::default()
                })
                .with_leak(LeakConfig {
                    enabled: false,
                    ..LeakConfig::default()
                })
            },
        },
        Case {
            name: "non-sticky, daily loss limit, rangers and churners",
            build: || {
                journaled(EngineConfig {
                    slots: 8,
                    sticky_mode_enabled: false,
                    daily_loss_limit: "2".parse().expect("limit"),
                    ..EngineConfig::default()
                })
                .with_ancillary(
                    RangerConfig {
                        enabled: true,
                        ..RangerConfig::default()
                    },
                    ChurnerConfig {
                        enabled: true,
                        ..ChurnerConfig::default()
                    },
                )
            },
        },
    ]
}

/// Run `bars` of the seeded demo market; the journal, the statistics and the summary as
/// text, and the memo's hit count.
fn outcome(mut e: Journaled, seed: u64, memo: bool) -> (String, String, String, u64) {
    e.memo.enabled = memo;
    let start = Timestamp::from_millis(START_MS);
    let market = DemoMarket::new(seed, BARS, Price::lit(1, 1), start);
    let first = crate::backtest::event_price(&market.clone().next().expect("bars"));
    let events = market.map(Ok::<_, Infallible>);
    let data = run_backtest(&mut e, events, |_| {}).expect("backtest");
    let mut summary = Summary::build(&e, vec!["demo".into()], &data, first);
    summary.run = Default::default();
    let summary = serde_json::to_string(&summary).expect("summary serializes");
    let stats = format!("{:?} {:?}", e.stats(), e.leak_totals());
    let hits = e.memo.hits;
    let (_, journal) = e.into_parts();
    let journal = journal.into_inner().expect("journal written");
    let journal = String::from_utf8(journal).expect("utf-8 journal");
    (journal, stats, summary, hits)
}

#[test]
fn the_memo_changes_nothing_a_run_records() {
    for case in cases() {
        for seed in [3, 11] {
            let (j0, st0, s0, h0) = outcome((case.build)(), seed, false);
            let (j1, st1, s1, h1) = outcome((case.build)(), seed, true);
            assert_eq!(h0, 0, "{}: the reference memoizes nothing", case.name);
            assert!(h1 > 0, "{} seed {seed}: the memo was never used", case.name);
            assert!(
                j0.lines().count() > BARS,
                "{}: a journal of every loop",
                case.name
            );
            if j0 != j1 {
                let (n, (a, b)) = j0
                    .lines()
                    .zip(j1.lines())
                    .enumerate()
                    .find(|(_, (a, b))| a != b)
                    .expect("journals of different lengths");
                panic!(
                    "{} seed {seed}: journal line {} differs\nreference: {a}\nmemo:      {b}",
                    case.name,
                    n + 1
                );
            }
            assert_eq!(st0, st1, "{} seed {seed}: statistics", case.name);
            assert_eq!(s0, s1, "{} seed {seed}: summary", case.name);
        }
    }
}

/// A 4-slot engine after `warm` loops of a static market at 0.1, and the next loop's time.
fn static_market(warm: usize) -> (Engine<SimExchange, NoJournal>, Timestamp) {
    let mut e = sim_engine(
        EngineConfig {
            slots: 4,
            ..EngineConfig::default()
        },
        "500",
        "5000",
    );
    let mut now = Timestamp::from_millis(START_MS);
    for _ in 0..warm {
        e.on_market(Price::lit(1, 1), now);
        e.drain_venue();
        e.run_loop(now);
        now = Timestamp::from_millis(now.millis() + 30_000);
    }
    (e, now)
}

/// In a static market every loop after the first few reads unchanged inputs: each one
/// is served its sync figures and its scoreboard from the memo.
#[test]
fn a_quiet_market_is_served_from_the_memo() {
    let (mut e, mut now) = static_market(5);
    let before = e.memo.hits;
    for _ in 0..20 {
        e.on_market(Price::lit(1, 1), now);
        e.run_loop(now);
        now = Timestamp::from_millis(now.millis() + 30_000);
    }
    assert!(
        e.memo.hits - before >= 40,
        "20 quiet loops, {} memo hits",
        e.memo.hits - before
    );
}

/// A slot changed behind the engine's back (no `touch`) is caught by the debug build's
/// check the next time a memoized figure is served.
#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "loop memo served a stale figure")]
fn a_change_without_touch_is_caught() {
    let (mut e, now) = static_market(5);
    // Profit the next-entries estimate compounds, booked without telling the memo.
    e.slots[0].state.total_profit += Quote::lit(5, 0);
    e.on_market(Price::lit(1, 1), now);
    e.run_loop(now);
}
