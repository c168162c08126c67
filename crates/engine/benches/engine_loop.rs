//! Engine speed: one loop of a 10-slot engine in steady state (bootstrapped, market static),
//! and a whole backtest of 10,000 synthetic one-minute bars with 10 slots (reported as
//! events/s). Both use the default configuration and the CLI's starting balances.
//!
//! Run: `cargo bench -p flywheel-engine --bench engine_loop -- --warm-up-time 1 --measurement-time 3`

use std::convert::Infallible;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use flywheel_core::{Price, Timestamp};
use flywheel_engine::config::{instrument, BacktestConfig, VenueConfig};
use flywheel_engine::demo::DemoMarket;
use flywheel_engine::{run_backtest, Engine, NoJournal};
use flywheel_grid::EngineConfig;
use flywheel_marketdata::{Bar, MarketEvent};
use flywheel_venue::SimExchange;

/// 2025-01-01T00:00:00Z.
const START_MS: i64 = 1_735_689_600_000;
const SLOTS: u32 = 10;
const SYNTHETIC_BARS: usize = 10_000;

fn engine() -> Engine<SimExchange, NoJournal> {
    let grid = EngineConfig {
        slots: SLOTS,
        ..EngineConfig::default()
    };
    let venue = VenueConfig::default();
    let start = BacktestConfig::default();
    let inst = instrument(&grid, &venue).expect("instrument");
    let sim = SimExchange::new(inst, venue.sim(), start.start_balances()).expect("sim");
    Engine::new(grid, sim, NoJournal)
}

/// A flat one-minute bar at 0.1 opening `minute` minutes after the start.
fn flat_bar(minute: i64) -> MarketEvent {
    let price = Price::lit(1, 1);
    let open = START_MS + minute * 60_000;
    MarketEvent::Bar(Bar {
        open_time: Timestamp::from_millis(open),
        close_time: Timestamp::from_millis(open + 60_000),
        open: price,
        high: price,
        low: price,
        close: price,
        volume: None,
    })
}

/// A 10-slot engine after ten minutes of a static market: every slot bootstrapped and
/// repaired, both entries of every slot resting.
fn steady_engine() -> (Engine<SimExchange, NoJournal>, Timestamp) {
    let mut e = engine();
    let events = (0..10).map(|m| Ok::<_, Infallible>(flat_bar(m)));
    let data = run_backtest(&mut e, events, |_| {}).expect("warm-up backtest");
    let open: usize = e.slots().iter().map(|s| s.state.orders.len()).sum();
    assert_eq!(open, 2 * SLOTS as usize, "every slot rests two entries");
    (e, data.last_ts.expect("warm-up has events"))
}

fn bench_run_loop(c: &mut Criterion) {
    let (mut e, mut now) = steady_engine();
    let stale_before = e.stats().stale_loops;
    let price = Price::lit(1, 1);
    c.bench_function("run_loop/10_slots_steady_state", |b| {
        b.iter(|| {
            // The mark is refreshed as a market event would (a stale mark skips the loop's
            // trading steps, which is not what is measured here).
            now = Timestamp::from_millis(now.millis() + 30_000);
            e.on_market(price, now);
            e.run_loop(black_box(now));
        })
    });
    let open: usize = e.slots().iter().map(|s| s.state.orders.len()).sum();
    assert_eq!(open, 2 * SLOTS as usize, "a static market changes nothing");
    assert_eq!(
        e.stats().stale_loops,
        stale_before,
        "every measured loop traded"
    );
}

fn bench_backtest(c: &mut Criterion) {
    let start = Timestamp::from_millis(START_MS);
    let bars: Vec<MarketEvent> =
        DemoMarket::new(7, SYNTHETIC_BARS, Price::lit(1, 1), start).collect();
    let mut group = c.benchmark_group("backtest");
    group.sample_size(10);
    group.throughput(Throughput::Elements(bars.len() as u64));
    group.bench_function("synthetic_10k_bars/10_slots", |b| {
        b.iter_batched(
            engine,
            |mut e| {
                let events = bars.iter().cloned().map(Ok::<_, Infallible>);
                let data = run_backtest(&mut e, events, |_| {}).expect("backtest");
                black_box((data.events, e.stats().round_trips))
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_run_loop, bench_backtest);
criterion_main!(benches);
