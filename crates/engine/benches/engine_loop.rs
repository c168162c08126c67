//! Engine speed: one loop of a 10-slot engine in steady state (bootstrapped, market static),
//! a whole backtest of 10,000 synthetic one-minute bars with 10 slots (reported as
//! events/s), and a whole backtest of the sideways DOGE month (Binance 1-minute bars,
//! 2021-09-17..10-17, from `shared/data`; skipped when the file is absent) with the engine
//! exactly as `flywheel backtest` builds it with the default configuration (10 slots,
//! governor, leak patches, ancillary cyclers). All use the CLI's starting balances. The data
//! is decoded before the measurement: only the engine and the simulated venue are timed.
//!
//! Run: `cargo bench -p flywheel-engine --bench engine_loop -- --warm-up-time 1 --measurement-time 3`

use std::convert::Infallible;
use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use flywheel_ancillary::{ChurnerConfig, RangerConfig};
use flywheel_core::{Price, Timestamp};
use flywheel_engine::config::{instrument, BacktestConfig, LeakConfig, VenueConfig};
use flywheel_engine::demo::DemoMarket;
use flywheel_engine::{run_backtest, Engine, NoJournal};
use flywheel_governor::GovernorConfig;
use flywheel_grid::EngineConfig;
use flywheel_marketdata::sanity::{PriceSanityConfig, SanityFilter};
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

/// The sideways month named in docs/governor.md and the data README.
const SIDEWAYS_MONTH: &str = "binance_DOGEUSDT_1m_2021-09-17_2021-10-17.json.gz";

/// `shared/data/NAME` beside the repository (`FLYWHEEL_DATA_DIR` overrides).
fn shared_data(name: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os("FLYWHEEL_DATA_DIR") {
        Some(d) => Some(PathBuf::from(d)),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|a| a.join("shared").join("data"))
            .find(|d| d.is_dir()),
    };
    dir.map(|d| d.join(name)).filter(|p| p.is_file())
}

/// The engine `flywheel backtest` builds from the default configuration.
fn cli_default_engine() -> Engine<SimExchange, NoJournal> {
    let grid = EngineConfig::default();
    let venue = VenueConfig::default();
    let inst = instrument(&grid, &venue).expect("instrument");
    let start = BacktestConfig::default().start_balances();
    let sim = SimExchange::new(inst, venue.sim(), start).expect("sim");
    Engine::new(grid, sim, NoJournal)
        .with_governor(GovernorConfig::default())
        .with_leak(LeakConfig::default())
        .with_ancillary(RangerConfig::default(), ChurnerConfig::default())
}

fn bench_sideways_month(c: &mut Criterion) {
    let Some(path) = shared_data(SIDEWAYS_MONTH) else {
        eprintln!("SKIP backtest/doge_1m_sideways_month: shared/data/{SIDEWAYS_MONTH} not found");
        return;
    };
    let reader = flywheel_marketdata::open(&path).expect("open the month");
    let filter = SanityFilter::new(reader, &PriceSanityConfig::default()).expect("sanity");
    let bars: Vec<MarketEvent> = filter.collect::<Result<_, _>>().expect("decode the month");
    let mut group = c.benchmark_group("backtest");
    group.sample_size(20);
    group.throughput(Throughput::Elements(bars.len() as u64));
    group.bench_function("doge_1m_sideways_month/10_slots", |b| {
        b.iter_batched(
            cli_default_engine,
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

criterion_group!(
    benches,
    bench_run_loop,
    bench_backtest,
    bench_sideways_month
);
criterion_main!(benches);
