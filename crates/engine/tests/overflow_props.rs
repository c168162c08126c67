//! Hostile prices and extreme (but valid) configurations never panic the engine.
//!
//! The workspace builds with `overflow-checks = true` in every profile, so an unchecked
//! `+` on money that overflows panics here exactly as it aborts a release build. Each case
//! runs the grid (or the maker) on a random price path that mixes a normal walk with spikes
//! anywhere in the fixed-point range (10⁻⁹ … 9.2 × 10⁹), random gaps, and account sizes and
//! order sizes up to the configuration's limits. Whatever happens, the run must finish: a
//! computation that cannot be done exactly halts trading with its reason instead.

mod common;

use std::convert::Infallible;

use flywheel_core::{Price, Qty, Quote, Timestamp};
use flywheel_engine::backtest::event_price;
use flywheel_engine::config::{BacktestConfig, VenueConfig};
use flywheel_engine::{run_backtest, Engine, NoJournal, Summary};
use flywheel_grid::EngineConfig;
use flywheel_marketdata::{MarketEvent, Trade};
use flywheel_venue::SimExchange;
use proptest::prelude::*;

/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200_000;

/// A price: mostly a walk around `level`, sometimes anywhere in the fixed-point range.
fn price_strategy() -> impl Strategy<Value = (u8, i64)> {
    (0u8..100, any::<i64>())
}

fn price_of(level: i64, (kind, r): (u8, i64)) -> Price {
    let raw = match kind {
        // A spike anywhere up to Fixed::MAX (9.2e9) or down to one nano-unit.
        0..=4 => r.unsigned_abs() as i64 % i64::MAX,
        5..=7 => 1 + (r.unsigned_abs() % 1_000) as i64,
        // A walk within ±2 % of the level.
        _ => level + level / 50 * ((r % 200) - 100) / 100,
    };
    Price::from_raw(raw.max(1))
}

#[derive(Debug, Clone)]
struct Case {
    slots: u32,
    start_base: &'static str,
    start_quote: &'static str,
    order_size: &'static str,
    level: i64,
    loop_sec: u64,
    quote_first: bool,
    prices: Vec<(u8, i64)>,
    gaps_ms: Vec<i64>,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        1u32..=12,
        prop::sample::select(vec!["0", "1", "1000", "1000000", "100000000", "1000000000"]),
        prop::sample::select(vec![
            "0",
            "20",
            "10000",
            "10000000",
            "100000000",
            "1000000000",
        ]),
        prop::sample::select(vec!["2", "50", "100000", "10000000"]),
        prop::sample::select(vec![
            100_000_000i64,            // 0.1
            200_000_000_000,           // 200
            100_000_000_000_000,       // 100 000
            1_000_000_000_000_000_000, // 1e9
        ]),
        prop::sample::select(vec![5u64, 30, 3600]),
        any::<bool>(),
        prop::collection::vec(price_strategy(), 1..120),
        prop::collection::vec(
            prop::sample::select(vec![1i64, 1_000, 30_000, 3_600_000, 86_400_000 * 40]),
            120,
        ),
    )
        .prop_map(
            |(
                slots,
                start_base,
                start_quote,
                order_size,
                level,
                loop_sec,
                quote_first,
                prices,
                gaps_ms,
            )| Case {
                slots,
                start_base,
                start_quote,
                order_size,
                level,
                loop_sec,
                quote_first,
                prices,
                gaps_ms,
            },
        )
}

/// The case's start balances.
fn balances(case: &Case) -> (Qty, Quote) {
    (
        case.start_base.parse().expect("base"),
        case.start_quote.parse().expect("quote"),
    )
}

fn events(case: &Case) -> Vec<MarketEvent> {
    let mut t = T0;
    case.prices
        .iter()
        .zip(&case.gaps_ms)
        .map(|(&p, &gap)| {
            t += gap;
            MarketEvent::Trade(Trade {
                ts: Timestamp::from_millis(t),
                price: price_of(case.level, p),
                qty: Qty::from_int(1_000).expect("qty"),
                taker_side: None,
            })
        })
        .collect()
}

fn run_grid(case: &Case) -> Summary {
    let grid = EngineConfig {
        slots: case.slots,
        order_size_usd: case.order_size.parse::<Quote>().expect("size"),
        loop_interval_sec: case.loop_sec,
        quote_first_allocation: case.quote_first,
        ..EngineConfig::default()
    };
    let (base, quote) = balances(case);
    let sim = common::sim(&grid, base, quote);
    let mut engine = Engine::new(grid, sim, NoJournal);
    let evs = events(case);
    let first = evs.first().map(event_price).unwrap_or(Price::ZERO);
    let data = run_backtest(
        &mut engine,
        evs.into_iter().map(Ok::<_, Infallible>),
        |_| {},
    );
    match data {
        Ok(data) => Summary::build(&engine, vec!["props".into()], &data, first),
        // The simulated venue may refuse a settlement it cannot do exactly: an error, not a
        // panic, is what this test asks for.
        Err(_) => Summary::build(&engine, vec!["props".into()], &Default::default(), first),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_grid_never_panics_on_hostile_prices(case in case_strategy()) {
        let summary = run_grid(&case);
        // Serializing the summary exercises every total it reports.
        let json = serde_json::to_string(&summary).expect("summary serializes");
        prop_assert!(json.contains("equity_end_usd"));
    }
}

fn run_maker(case: &Case) -> String {
    use flywheel_engine::maker_run::{run_maker_backtest, MakerEngine};
    let maker = flywheel_maker::MakerConfig::default();
    let hedger = flywheel_maker::HedgerConfig::default();
    let venue = VenueConfig::default();
    let inst = maker.instrument("SOL/USD").expect("instrument");
    let (base, quote) = balances(case);
    let backtest = BacktestConfig {
        start_base: base,
        start_quote: quote,
    };
    let sim = SimExchange::new(inst, venue.sim(), backtest.start_balances()).expect("sim");
    let mut engine = MakerEngine::new(maker, hedger, sim);
    let evs = events(case);
    let _ = run_maker_backtest(&mut engine, evs.into_iter().map(Ok::<_, Infallible>));
    let figures = engine.figures(24.0);
    let status = engine.status();
    serde_json::to_string(&(figures, status, &engine.stats)).expect("serializes")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_maker_never_panics_on_hostile_prices(case in case_strategy()) {
        let json = run_maker(&case);
        prop_assert!(json.contains("fifo_realized_quote"));
    }
}
