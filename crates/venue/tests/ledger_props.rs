//! Property tests of the simulated exchange's ledger: random sequences of placements,
//! cancels, trades, candles and clock advances, under every fill rule, aggressor rule and
//! queue setting, never break `check_ledger`, never make a balance negative or a hold exceed
//! its total, never fill an order beyond its volume nor a print beyond its size (with partial
//! fills), never make a queue ahead negative, and replay identically.

use std::collections::BTreeMap;

use flywheel_core::{Instrument, Price, Qty, Quote, Ratio, Rounding, Side, Timestamp};
use flywheel_marketdata::{Bar, MarketEvent, Trade};
use flywheel_venue::sim::buy_hold;
use flywheel_venue::{
    AggressorRule, AssetBalance, Balances, FillRule, OrderKind, OrderRequest, SimConfig,
    SimExchange, Venue, VenueEvent,
};
use proptest::prelude::*;

/// DOGE-like rules: tick 1e-7 and lot 1e-8, so notionals need rounding.
fn instrument() -> Instrument {
    let mut i = Instrument::with_decimals("DOGE/USD", 7, 8).expect("instrument");
    i.min_volume = "1".parse().expect("decimal");
    i.min_cost = "0.5".parse().expect("decimal");
    i.maker_fee_pct = "0.25".parse().expect("decimal");
    i.taker_fee_pct = "0.4".parse().expect("decimal");
    i
}

const LOT: i64 = 10; // raw nano-units of 1e-8
const TICK: i64 = 100; // raw nano-units of 1e-7

fn price(ticks: i64) -> Price {
    Price::from_raw(ticks * TICK)
}
fn qty(lots: i64) -> Qty {
    Qty::from_raw(lots * LOT)
}

#[derive(Clone, Debug)]
enum Op {
    Place {
        buy: bool,
        ticks: i64,
        lots: i64,
        ioc: bool,
    },
    /// A post-only order sized to use all free funds.
    PlaceAll {
        buy: bool,
        ticks: i64,
    },
    Cancel {
        pick: usize,
    },
    Trade {
        ticks: i64,
        lots: i64,
        /// 0: no side recorded, 1: buy taker, 2: sell taker.
        taker: u8,
    },
    Bar {
        o: i64,
        h: i64,
        l: i64,
        c: i64,
    },
    Advance {
        ms: i64,
    },
}

// Prices 0.095–0.105 (ticks of 1e-7).
const LO: i64 = 950_000;
const HI: i64 = 1_050_000;

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), LO..HI, 1i64..20_000_000_000, prop::bool::weighted(0.15))
            .prop_map(|(buy, ticks, lots, ioc)| Op::Place { buy, ticks, lots, ioc }),
        1 => (any::<bool>(), LO..HI).prop_map(|(buy, ticks)| Op::PlaceAll { buy, ticks }),
        2 => any::<usize>().prop_map(|pick| Op::Cancel { pick }),
        5 => (LO..HI, 1i64..5_000_000_000, 0u8..3)
            .prop_map(|(ticks, lots, taker)| Op::Trade { ticks, lots, taker }),
        1 => (LO..HI, LO..HI, LO..HI, LO..HI).prop_map(|(a, b, c, d)| {
            let h = a.max(b).max(c).max(d);
            let l = a.min(b).min(c).min(d);
            Op::Bar { o: b, h, l, c: c.clamp(l, h) }
        }),
        1 => (0i64..200).prop_map(|ms| Op::Advance { ms }),
    ]
}

fn config() -> impl Strategy<Value = SimConfig> {
    (
        prop_oneof![Just(0u64), Just(7), Just(50)],
        prop_oneof![
            Just(FillRule::Strict),
            Just(FillRule::Touch),
            Just(FillRule::Queue)
        ],
        1usize..12,
        any::<bool>(),
        prop_oneof![
            Just(AggressorRule::DataOrTick),
            Just(AggressorRule::DataOrBoth),
            Just(AggressorRule::Tick),
            Just(AggressorRule::Ignore),
        ],
        prop_oneof![Just(1u64), Just(300)],
        prop_oneof![Just("0"), Just("0.5"), Just("1"), Just("3")],
        prop_oneof![Just("0"), Just("2"), Just("500")],
    )
        .prop_map(
            |(
                latency_ms,
                fill_rule,
                max_open_orders,
                partial_fills,
                aggressor,
                queue_window_sec,
                multiple,
                half_spread,
            )| SimConfig {
                latency_ms,
                fill_rule,
                max_open_orders,
                partial_fills,
                aggressor,
                queue_window_sec,
                queue_ahead_multiple: multiple.parse().expect("decimal"),
                ioc_half_spread_bps: half_spread.parse().expect("decimal"),
            },
        )
}

fn start() -> Balances {
    Balances {
        base: AssetBalance {
            total: "500".parse().expect("decimal"),
            held: Qty::ZERO,
        },
        quote: AssetBalance {
            total: "60".parse().expect("decimal"),
            held: Quote::ZERO,
        },
    }
}

/// The largest post-only volume the free funds allow at `px`.
fn all_in(s: &SimExchange, buy: bool, px: Price) -> Qty {
    let b = s.balances();
    if !buy {
        return b.free_base();
    }
    let fee = s.instrument().maker_fee_pct;
    let Ok(gross) = b.free_quote().qty_for(px, 8, Rounding::Floor) else {
        return Qty::ZERO;
    };
    let shrink = Ratio::ONE - fee.percent().expect("fee fraction");
    let mut q = gross.scale(shrink, 8, Rounding::Floor).expect("volume");
    let lot = s.instrument().lot;
    while q.is_positive() && buy_hold(px, q, fee).expect("hold") > b.free_quote() {
        q -= lot;
    }
    q
}

/// What we know of one acknowledged order from the events.
#[derive(Debug)]
struct Track {
    qty: Qty,
    filled: Qty,
    done: bool,
}

/// Run `ops`, checking the invariants after each; returns every event.
fn run(cfg: &SimConfig, ops: &[Op]) -> Result<Vec<VenueEvent>, TestCaseError> {
    let mut s = SimExchange::new(instrument(), cfg.clone(), start()).expect("valid setup");
    let mut now = 0i64;
    let mut txids: Vec<String> = Vec::new();
    let mut orders: BTreeMap<String, Track> = BTreeMap::new();
    let mut all = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        now += 1;
        let ts = Timestamp::from_millis(now);
        let mut placed = None;
        match op {
            Op::Place {
                buy,
                ticks,
                lots,
                ioc,
            } => {
                let r = OrderRequest {
                    client_id: i as u64,
                    side: if *buy { Side::Buy } else { Side::Sell },
                    price: price(*ticks),
                    qty: qty(*lots),
                    kind: if *ioc {
                        OrderKind::Ioc
                    } else {
                        OrderKind::PostOnly
                    },
                };
                placed = s.place(&r, ts).ok().map(|a| (a.txid, r.qty));
            }
            Op::PlaceAll { buy, ticks } => {
                let px = price(*ticks);
                let q = all_in(&s, *buy, px);
                let r = OrderRequest {
                    client_id: i as u64,
                    side: if *buy { Side::Buy } else { Side::Sell },
                    price: px,
                    qty: q,
                    kind: OrderKind::PostOnly,
                };
                placed = s.place(&r, ts).ok().map(|a| (a.txid, r.qty));
            }
            Op::Cancel { pick } => {
                if !txids.is_empty() {
                    let txid = &txids[pick % txids.len()];
                    let open = orders.get(txid).is_some_and(|o| !o.done);
                    let res = s.cancel(txid, ts);
                    // Cancelling succeeds exactly for orders not known to be done (an order
                    // may still be rejected on arrival during this very call).
                    if !open {
                        prop_assert!(res.is_err(), "cancel of done order {txid} succeeded");
                    }
                }
            }
            Op::Trade { ticks, lots, taker } => {
                s.on_market(&MarketEvent::Trade(Trade {
                    ts,
                    price: price(*ticks),
                    qty: qty(*lots),
                    taker_side: match taker {
                        1 => Some(Side::Buy),
                        2 => Some(Side::Sell),
                        _ => None,
                    },
                }))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            Op::Bar { o, h, l, c } => {
                let ev = MarketEvent::Bar(Bar {
                    open_time: ts,
                    close_time: Timestamp::from_millis(now + 40),
                    open: price(*o),
                    high: price(*h),
                    low: price(*l),
                    close: price(*c),
                    volume: None,
                });
                now += 40;
                s.on_market(&ev)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            Op::Advance { ms } => {
                now += ms;
                s.advance_to(Timestamp::from_millis(now));
            }
        }
        if let Some((txid, q)) = placed {
            txids.push(txid.clone());
            orders.insert(
                txid,
                Track {
                    qty: q,
                    filled: Qty::ZERO,
                    done: false,
                },
            );
        }

        prop_assert_eq!(s.check_ledger(), Ok(()), "after op {} {:?}", i, op);
        let b = s.balances();
        prop_assert!(!b.base.held.is_negative() && b.base.held <= b.base.total);
        prop_assert!(!b.quote.held.is_negative() && b.quote.held <= b.quote.total);

        for o in s.open_orders() {
            prop_assert!(!o.queue_ahead.is_negative(), "{} queue ahead < 0", o.txid);
        }

        let mut evs = Vec::new();
        s.poll_events(&mut evs);
        // A print's executions never exceed its size (with partial fills); our bids stay below
        // our asks, so a print reaches one side only.
        if let (Op::Trade { lots, .. }, true) = (op, cfg.partial_fills) {
            let executed: Qty = evs
                .iter()
                .filter_map(|e| match e {
                    VenueEvent::Fill { qty, .. } => Some(*qty),
                    _ => None,
                })
                .sum();
            prop_assert!(
                executed <= qty(*lots),
                "print of {} filled {executed}",
                qty(*lots)
            );
        }
        for e in &evs {
            let (txid, done_now) = match e {
                VenueEvent::Fill {
                    txid, qty, leaves, ..
                } => {
                    let o = orders.get_mut(txid).ok_or_else(|| {
                        TestCaseError::fail(format!("fill for unknown order {txid}"))
                    })?;
                    prop_assert!(!o.done, "fill after done: {txid}");
                    prop_assert!(qty.is_positive(), "empty fill");
                    o.filled += *qty;
                    prop_assert!(o.filled <= o.qty, "{txid} overfilled");
                    prop_assert_eq!(*leaves, o.qty - o.filled);
                    (txid, leaves.is_zero())
                }
                VenueEvent::Done { txid, filled, .. } => {
                    let o = orders.get(txid).ok_or_else(|| {
                        TestCaseError::fail(format!("done for unknown order {txid}"))
                    })?;
                    prop_assert_eq!(*filled, o.filled);
                    (txid, true)
                }
                VenueEvent::Rejected { txid, .. } => {
                    let o = orders.get(txid).ok_or_else(|| {
                        TestCaseError::fail(format!("reject for unknown order {txid}"))
                    })?;
                    prop_assert!(o.filled.is_zero());
                    (txid, true)
                }
            };
            if let Some(o) = orders.get_mut(txid) {
                prop_assert!(!o.done, "event after done: {txid}");
                o.done = done_now;
            }
        }
        all.extend(evs);
        let open = orders.values().filter(|o| !o.done).count();
        prop_assert_eq!(s.open_order_count(), open);
    }
    Ok(all)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn ledger_invariants_hold(cfg in config(), ops in prop::collection::vec(op(), 1..80)) {
        run(&cfg, &ops)?;
    }

    #[test]
    fn replay_is_identical(cfg in config(), ops in prop::collection::vec(op(), 1..40)) {
        let a = run(&cfg, &ops)?;
        let b = run(&cfg, &ops)?;
        prop_assert_eq!(a, b);
    }
}
