//! Reducer hot paths: a price tick that changes nothing, and an entry fill that places its
//! exit — each through `transition` (clones the state) and `PairState::apply` (in place).
//!
//! Each is measured on a freshly bootstrapped slot and on one whose bounded cycle history
//! is full (`max_completed_cycles` = 100 records), since that history dominates a clone.
//!
//! Run: `cargo bench -p flywheel-grid --bench transition -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use flywheel_core::{Price, Quote, Ratio, Rounding, Timestamp, TradeId};
use flywheel_grid::{
    bootstrap_orders, transition, EngineConfig, Event, Fill, OrderSizes, PairState, Role,
    SlotContext,
};

const START_SECS: i64 = 1_700_000_000;

fn price(s: &str) -> Price {
    s.parse().expect("price literal")
}

fn ctx(cfg: &EngineConfig) -> SlotContext<'_> {
    SlotContext {
        cfg,
        sticky: true,
        sizes: OrderSizes::both(Quote::lit(2, 0)),
    }
}

/// A full fill of the active order `local_id` at its limit price, 0.25 % fee, at `at`.
fn fill_of(state: &PairState, local_id: u64, at: Timestamp) -> Event {
    let o = state.find_order(local_id).expect("order is active");
    let fee = o
        .price
        .notional(o.volume, Rounding::HalfEven)
        .and_then(|n| n.pct_of(Ratio::lit(25, 2), Rounding::HalfEven))
        .expect("fee");
    Event::Fill(Fill {
        order_local_id: o.local_id,
        txid: None,
        side: o.side,
        price: o.price,
        volume: o.volume,
        fee,
        timestamp: at,
    })
}

fn b_entry_id(state: &PairState) -> u64 {
    state
        .entry_of(TradeId::B)
        .expect("B has a resting entry")
        .local_id
}

/// A slot bootstrapped at market 0.10, after `round_trips` completed B round trips
/// (entry fill, exit fill, re-entry after the cooldown), back at market 0.10.
fn slot(cfg: &EngineConfig, round_trips: u32) -> PairState {
    let ctx = ctx(cfg);
    let mut s = PairState::new(price("0.10"), Timestamp::from_secs(START_SECS));
    bootstrap_orders(&mut s, &ctx).expect("bootstrap at 0.10 with $2");
    let mut t = START_SECS;
    let step = |s: &mut PairState, ev: Event| {
        s.apply(&ev, &ctx).expect("setup event applies");
    };
    for _ in 0..round_trips {
        t += 10;
        let ev = fill_of(&s, b_entry_id(&s), Timestamp::from_secs(t));
        step(&mut s, ev);
        let exit = s
            .orders
            .iter()
            .find(|o| o.role == Role::Exit)
            .expect("B exit placed")
            .local_id;
        t += 10;
        let ev = fill_of(&s, exit, Timestamp::from_secs(t));
        step(&mut s, ev);
        t += 120;
        step(
            &mut s,
            Event::TimerTick {
                timestamp: Timestamp::from_secs(t),
            },
        );
    }
    assert_eq!(
        s.completed_cycles.len(),
        round_trips.min(cfg.max_completed_cycles) as usize
    );
    assert!(flywheel_grid::check_invariants(&s).is_empty());
    s
}

fn bench_noop_tick(c: &mut Criterion) {
    let cfg = EngineConfig::default();
    let ctx = ctx(&cfg);
    let mut group = c.benchmark_group("noop_price_tick");
    for (label, trips) in [("fresh", 0), ("history100", 100)] {
        let state = slot(&cfg, trips);
        let tick = Event::PriceTick {
            price: price("0.10001"),
            timestamp: state.now.plus_secs(1),
        };
        let (_, actions) = transition(&state, &tick, &ctx).expect("tick applies");
        assert!(actions.is_empty(), "the tick must be a no-op: {actions:?}");

        group.bench_function(format!("transition/{label}"), |b| {
            b.iter(|| transition(black_box(&state), black_box(&tick), &ctx).expect("tick"))
        });
        // A no-op tick leaves the state as it was except for the mark and the clock,
        // so the same state can take it again and again.
        let mut in_place = state.clone();
        group.bench_function(format!("apply/{label}"), |b| {
            b.iter(|| {
                black_box(&mut in_place)
                    .apply(black_box(&tick), &ctx)
                    .expect("tick")
            })
        });
    }
    group.finish();
}

fn bench_entry_fill(c: &mut Criterion) {
    let cfg = EngineConfig::default();
    let ctx = ctx(&cfg);
    let mut group = c.benchmark_group("entry_fill_places_exit");
    for (label, trips) in [("fresh", 0), ("history100", 100)] {
        let state = slot(&cfg, trips);
        let fill = fill_of(&state, b_entry_id(&state), state.now.plus_secs(1));
        let (_, actions) = transition(&state, &fill, &ctx).expect("fill applies");
        assert_eq!(actions.len(), 1, "one PlaceOrder for the exit: {actions:?}");

        group.bench_function(format!("transition/{label}"), |b| {
            b.iter(|| transition(black_box(&state), black_box(&fill), &ctx).expect("fill"))
        });
        group.bench_function(format!("apply/{label}"), |b| {
            b.iter_batched(
                || state.clone(),
                |mut s| {
                    let actions = s.apply(black_box(&fill), &ctx).expect("fill");
                    (s, actions)
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_noop_tick, bench_entry_fill);
criterion_main!(benches);
