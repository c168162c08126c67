//! Generating scenarios and step lists, and turning steps into concrete ops.

use flywheel_core::{Price, Qty, Quote, Ratio, Rounding, Side, Timestamp};
use flywheel_grid::{
    bootstrap_orders, EngineConfig, Event, Fill, OrderSizes, OrderState, PairState, RecoveryFill,
    Role, SlotContext,
};
use proptest::prelude::*;
use proptest::sample::Index;

/// One slot's fixed inputs.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub cfg: EngineConfig,
    pub sticky: bool,
    pub sizes: OrderSizes,
    pub market: Price,
    pub start: Timestamp,
    /// Use `cfg.profit_pct` (runtime target 0) instead of the state's default 1 %.
    pub use_cfg_profit: bool,
}

impl Scenario {
    pub fn ctx(&self) -> SlotContext<'_> {
        SlotContext {
            cfg: &self.cfg,
            sticky: self.sticky,
            sizes: self.sizes,
        }
    }

    /// A fresh, bootstrapped slot.
    pub fn bootstrap(&self) -> PairState {
        let mut s = PairState::new(self.market, self.start);
        if self.use_cfg_profit {
            s.profit_pct_runtime = Ratio::ZERO;
        }
        bootstrap_orders(&mut s, &self.ctx()).expect("scenario sizes are chosen to bootstrap");
        s
    }

    pub fn tick(&self) -> Price {
        Price::from_parts(1, self.cfg.price_decimals).expect("tick")
    }

    pub fn lot(&self) -> Qty {
        Qty::from_parts(1, self.cfg.volume_decimals).expect("lot")
    }
}

/// The exchange fee on a fill: 0.25 % of the notional, 9 dp half-even.
pub fn fee_for(price: Price, volume: Qty) -> Quote {
    price
        .notional(volume, Rounding::HalfEven)
        .and_then(|n| n.pct_of(Ratio::lit(25, 2), Rounding::HalfEven))
        .expect("fee")
}

/// Cents → quote.
fn usd_cents(c: i64) -> Quote {
    Quote::from_parts(c, 2).expect("cents")
}

pub fn scenario() -> impl Strategy<Value = Scenario> {
    let knobs = (
        any::<bool>(),                                          // sticky
        prop::sample::select(vec![0u64, 60]),                   // reentry cooldown
        prop::sample::select(vec!["0.1", "0.5", "1.0", "2.0"]), // profit_pct
        prop::sample::select(vec!["0.2", "0.5", "1.0"]),        // entry_pct
        prop::sample::select(vec![1u32, 2, 3]),                 // max_recovery_slots
        prop::sample::select(vec![0u32, 3, 100]),               // max_completed_cycles
        prop::sample::select(vec![1u32, 3, 3]),                 // max_consecutive_refreshes
        any::<bool>(),                                          // use cfg profit
    );
    let market = (
        50_000i64..=500_000, // start price in micro-units: 0.05 – 0.5
        200i64..=1_000,      // size A, cents
        200i64..=1_000,      // size B, cents
        prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)], // 1: A unsizable, 2: B
        0i64..3 * 86_400_000, // start offset, ms
    );
    (knobs, market).prop_map(
        |(
            (sticky, reentry, profit, entry, recov, keep, refreshes, use_cfg_profit),
            (micro, a_cents, b_cents, lopsided, offset),
        )| {
            let cfg = EngineConfig {
                sticky_mode_enabled: sticky,
                reentry_base_cooldown_sec: reentry,
                profit_pct: profit.parse().expect("profit"),
                entry_pct: entry.parse().expect("entry"),
                max_recovery_slots: recov,
                max_completed_cycles: keep,
                max_consecutive_refreshes: refreshes,
                ..EngineConfig::default()
            };
            assert_eq!(cfg.validate(), vec![], "generated config is in range");
            let market = Price::from_parts(micro, 6).expect("market");
            // At least 14 units at up to 1 % above market: both sides size at bootstrap.
            let floor = 14 * micro * 101 / 100 / 10_000 + 1;
            let (mut a, mut b) = (a_cents.max(floor), b_cents.max(floor));
            match lopsided {
                1 => a = 1, // $0.01: A waits, the slot starts long-only
                2 => b = 1, // B waits, the slot starts short-only
                _ => {}
            }
            Scenario {
                cfg,
                sticky,
                sizes: OrderSizes {
                    a: usd_cents(a),
                    b: usd_cents(b),
                },
                market,
                start: Timestamp::from_millis(1_700_000_000_000 + offset),
                use_cfg_profit,
            }
        },
    )
}

/// An abstract step, interpreted against the state it is applied to.
#[derive(Clone, Debug)]
pub enum Step {
    /// Move the market by `bp` basis points after `dt_ms`.
    Tick {
        bp: i64,
        dt_ms: i64,
    },
    Timer {
        dt_s: i64,
    },
    /// Fill an active order (`pick` indexes `state.orders`).
    FillOrder {
        pick: Index,
        /// Entries only: fill this many ticks better than the limit.
        better_ticks: i64,
        /// Entries only: fill a part of the volume (≥ 1 lot, < the full volume).
        partial: Option<Index>,
        with_txid: bool,
        zero_fee: bool,
        dt_ms: i64,
    },
    FillRecovery {
        pick: Index,
        with_txid: bool,
        dt_ms: i64,
    },
    CancelRecovery {
        pick: Index,
        dt_ms: i64,
    },
    /// The runtime binds an exchange id to an active order.
    Bind {
        pick: Index,
    },
    /// The runtime notes that the venue executed part of an entry.
    MarkPartial {
        pick: Index,
    },
    /// The runtime re-prices an exit whose placement failed (still unbound).
    RepriceExit {
        pick: Index,
    },
}

pub fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        30 => (-30i64..=30, 0i64..=60_000).prop_map(|(bp, dt_ms)| Step::Tick { bp, dt_ms }),
        5 => (prop_oneof![-800i64..=-150, 150i64..=800], 0i64..=60_000)
            .prop_map(|(bp, dt_ms)| Step::Tick { bp, dt_ms }),
        15 => (0i64..=3_600).prop_map(|dt_s| Step::Timer { dt_s }),
        25 => (
            any::<Index>(),
            prop_oneof![4 => Just(0i64), 1 => 1i64..=5],
            prop::option::weighted(0.2, any::<Index>()),
            any::<bool>(),
            prop::bool::weighted(0.1),
            0i64..=120_000,
        )
            .prop_map(|(pick, better_ticks, partial, with_txid, zero_fee, dt_ms)| {
                Step::FillOrder {
                    pick,
                    better_ticks,
                    partial,
                    with_txid,
                    zero_fee,
                    dt_ms,
                }
            }),
        5 => (any::<Index>(), any::<bool>(), 0i64..=120_000).prop_map(
            |(pick, with_txid, dt_ms)| Step::FillRecovery {
                pick,
                with_txid,
                dt_ms
            }
        ),
        1 => (any::<Index>(), 0i64..=60_000)
            .prop_map(|(pick, dt_ms)| Step::CancelRecovery { pick, dt_ms }),
        8 => any::<Index>().prop_map(|pick| Step::Bind { pick }),
        3 => any::<Index>().prop_map(|pick| Step::MarkPartial { pick }),
        3 => any::<Index>().prop_map(|pick| Step::RepriceExit { pick }),
    ]
}

pub fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 1..=super::MAX_STEPS)
}

/// A concrete thing done to the slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Event(Event),
    /// `PairState::bind_txid`.
    Bind {
        local_id: u64,
        txid: String,
    },
    /// `PairState::mark_partially_filled`.
    MarkPartial {
        local_id: u64,
    },
    /// `PairState::reprice_unbound_exit`.
    RepriceExit {
        local_id: u64,
    },
}

/// The local id at `pick` among the active orders matching `keep`.
fn pick_order(state: &PairState, pick: &Index, keep: impl Fn(&OrderState) -> bool) -> Option<u64> {
    let ids: Vec<u64> = state
        .orders
        .iter()
        .filter(|o| keep(o))
        .map(|o| o.local_id)
        .collect();
    (!ids.is_empty()).then(|| ids[pick.index(ids.len())])
}

/// The concrete op for `step` in `state`, given the interpreter's clock `now`
/// (advanced here; never goes backwards). A fill with nothing to fill becomes a timer tick.
pub fn materialize(scn: &Scenario, state: &PairState, now: &mut Timestamp, step: &Step) -> Op {
    let mut at = |dt_ms: i64| {
        *now = Timestamp::from_millis(now.millis() + dt_ms);
        *now
    };
    match step {
        Step::Tick { bp, dt_ms } => {
            let base = state.market_price;
            let walk = |bp: i64| {
                base.scale(
                    Ratio::from_parts(10_000 + bp, 4).expect("ratio"),
                    scn.cfg.price_decimals,
                    Rounding::HalfEven,
                )
                .expect("walk")
            };
            // Stay within [start / 2, start × 2]: reflect a move that would leave it.
            let (lo, hi) = (
                Price::from_raw(scn.market.raw() / 2),
                Price::from_raw(scn.market.raw() * 2),
            );
            let mut price = walk(*bp);
            if price < lo || price > hi {
                price = walk(-*bp);
            }
            Op::Event(Event::PriceTick {
                price,
                timestamp: at(*dt_ms),
            })
        }
        Step::Timer { dt_s } => Op::Event(Event::TimerTick {
            timestamp: at(dt_s * 1_000),
        }),
        Step::FillOrder {
            pick,
            better_ticks,
            partial,
            with_txid,
            zero_fee,
            dt_ms,
        } => {
            if state.orders.is_empty() {
                return Op::Event(Event::TimerTick {
                    timestamp: at(*dt_ms),
                });
            }
            let o = &state.orders[pick.index(state.orders.len())];
            let mut price = o.price;
            let mut volume = o.volume;
            if o.role == Role::Entry {
                let better = Price::from_raw(scn.tick().raw() * better_ticks);
                price = match o.side {
                    Side::Buy if o.price > better => o.price - better,
                    Side::Buy => o.price,
                    Side::Sell => o.price + better,
                };
                let lot = scn.lot().raw();
                let lots = o.volume.raw() / lot;
                if let (Some(ix), true) = (partial, lots >= 2) {
                    let k = 1 + ix.index((lots - 1) as usize) as i64;
                    volume = Qty::from_raw(k * lot);
                }
            }
            let fee = if *zero_fee {
                Quote::ZERO
            } else {
                fee_for(price, volume)
            };
            Op::Event(Event::Fill(Fill {
                order_local_id: o.local_id,
                txid: if *with_txid { o.txid.clone() } else { None },
                side: o.side,
                price,
                volume,
                fee,
                timestamp: at(*dt_ms),
            }))
        }
        Step::FillRecovery {
            pick,
            with_txid,
            dt_ms,
        } => {
            if state.recovery_orders.is_empty() {
                return Op::Event(Event::TimerTick {
                    timestamp: at(*dt_ms),
                });
            }
            let r = &state.recovery_orders[pick.index(state.recovery_orders.len())];
            Op::Event(Event::RecoveryFill(RecoveryFill {
                recovery_id: r.recovery_id,
                txid: if *with_txid { r.txid.clone() } else { None },
                side: r.side,
                price: r.price,
                volume: r.volume,
                fee: fee_for(r.price, r.volume),
                timestamp: at(*dt_ms),
            }))
        }
        Step::CancelRecovery { pick, dt_ms } => {
            if state.recovery_orders.is_empty() {
                return Op::Event(Event::TimerTick {
                    timestamp: at(*dt_ms),
                });
            }
            let r = &state.recovery_orders[pick.index(state.recovery_orders.len())];
            Op::Event(Event::RecoveryCancel {
                recovery_id: r.recovery_id,
                txid: r.txid.clone(),
                timestamp: at(*dt_ms),
            })
        }
        Step::Bind { pick } => match pick_order(state, pick, |o| o.txid.is_none()) {
            Some(local_id) => Op::Bind {
                local_id,
                txid: format!("TX{local_id}"),
            },
            None => Op::Event(Event::TimerTick { timestamp: at(0) }),
        },
        Step::MarkPartial { pick } => {
            match pick_order(state, pick, |o| {
                o.role == Role::Entry && !o.partially_filled
            }) {
                Some(local_id) => Op::MarkPartial { local_id },
                None => Op::Event(Event::TimerTick { timestamp: at(0) }),
            }
        }
        Step::RepriceExit { pick } => {
            match pick_order(state, pick, |o| o.role == Role::Exit && o.txid.is_none()) {
                Some(local_id) => Op::RepriceExit { local_id },
                None => Op::Event(Event::TimerTick { timestamp: at(0) }),
            }
        }
    }
}

/// Apply `op` in place; events go through `apply`. Panics on a rejected valid op.
pub fn apply_op(scn: &Scenario, state: &mut PairState, op: &Op) -> Vec<flywheel_grid::Action> {
    match op {
        Op::Event(ev) => state
            .apply(ev, &scn.ctx())
            .unwrap_or_else(|e| panic!("valid event {ev:?} rejected: {e}")),
        Op::Bind { local_id, txid } => {
            assert!(state.bind_txid(*local_id, txid), "bind {local_id}");
            Vec::new()
        }
        Op::MarkPartial { local_id } => {
            assert!(state.mark_partially_filled(*local_id), "mark {local_id}");
            Vec::new()
        }
        Op::RepriceExit { local_id } => {
            let got = state.reprice_unbound_exit(*local_id, &scn.cfg);
            assert!(matches!(got, Ok(Some(_))), "reprice {local_id}: {got:?}");
            Vec::new()
        }
    }
}
