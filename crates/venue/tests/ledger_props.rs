//! Property tests of the simulated exchange's ledger: random sequences of placements,
//! cancels, trades, candles and clock advances, under every fill rule, aggressor rule and
//! queue setting, with and without an ack latency and with injected faults (lost answers,
//! lost orders) and reused ids, never break `check_ledger`, never make a balance negative or
//! a hold exceed its total, never fill an order beyond its volume nor a print beyond its
//! size (with partial fills), never make a queue ahead negative, and replay identically.
//!
//! The contract side: every event names an order the caller sent and moves it along
//! [`OrderState`] without a contradiction; a reused id is refused and disturbs nothing; the
//! venue's open orders are orders the caller still counts as live; and once the clock has
//! passed every latency, every order sent is settled — ended, or open and acknowledged —
//! none is left pending or unknown.

use std::collections::BTreeMap;

use flywheel_core::{Instrument, Liquidity, Price, Qty, Quote, Ratio, Rounding, Side, Timestamp};
use flywheel_marketdata::{Bar, MarketEvent, Trade};
use flywheel_venue::sim::buy_hold;
use flywheel_venue::{
    AggressorRule, AssetBalance, Balances, ClOrdId, ClOrdIds, Fault, FillRule, OrderKind,
    OrderRequest, OrderState, Reject, SimConfig, SimExchange, Venue, VenueEvent,
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
    /// The next order's answer (`lost_order`: the order itself) is lost.
    Fault {
        lost_order: bool,
        resolve_ms: u64,
    },
    /// A post-only order under an id used before.
    Reuse {
        pick: usize,
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
        1 => (any::<bool>(), 0u64..300)
            .prop_map(|(lost_order, resolve_ms)| Op::Fault { lost_order, resolve_ms }),
        1 => any::<usize>().prop_map(|pick| Op::Reuse { pick }),
    ]
}

fn config() -> impl Strategy<Value = SimConfig> {
    (
        (
            prop_oneof![Just(0u64), Just(7), Just(50)],
            prop_oneof![Just(0u64), Just(0), Just(5), Just(120)],
        ),
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
                (latency_ms, ack_latency_ms),
                fill_rule,
                max_open_orders,
                partial_fills,
                aggressor,
                queue_window_sec,
                multiple,
                half_spread,
            )| SimConfig {
                latency_ms,
                ack_latency_ms,
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

/// What we know of one order sent, from the events.
#[derive(Debug)]
struct Track {
    qty: Qty,
    filled: Qty,
    state: OrderState,
}

/// Run `ops`, checking the invariants after each; returns every event.
fn run(cfg: &SimConfig, ops: &[Op]) -> Result<Vec<VenueEvent>, TestCaseError> {
    let mut s = SimExchange::new(instrument(), cfg.clone(), start()).expect("valid setup");
    let mut ids = ClOrdIds::default();
    let mut now = 0i64;
    let mut sent: Vec<ClOrdId> = Vec::new();
    let mut orders: BTreeMap<ClOrdId, Track> = BTreeMap::new();
    let mut reuses = 0usize;
    let mut all = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        now += 1;
        let ts = Timestamp::from_millis(now);
        let place = |s: &mut SimExchange, id: ClOrdId, side, px, q, kind| {
            let r = OrderRequest {
                cl_ord_id: id,
                side,
                price: px,
                qty: q,
                kind,
            };
            s.place(&r, ts).ok().map(|()| (r.cl_ord_id, r.qty))
        };
        let side = |buy: bool| if buy { Side::Buy } else { Side::Sell };
        let mut placed = None;
        match op {
            Op::Place {
                buy,
                ticks,
                lots,
                ioc,
            } => {
                let kind = if *ioc {
                    OrderKind::Ioc
                } else {
                    OrderKind::PostOnly
                };
                let id = ids.issue().expect("ids left");
                placed = place(&mut s, id, side(*buy), price(*ticks), qty(*lots), kind);
            }
            Op::PlaceAll { buy, ticks } => {
                let px = price(*ticks);
                let q = all_in(&s, *buy, px);
                let id = ids.issue().expect("ids left");
                placed = place(&mut s, id, side(*buy), px, q, OrderKind::PostOnly);
            }
            Op::Reuse { pick } => {
                if !sent.is_empty() {
                    let id = sent[pick % sent.len()].clone();
                    let r = OrderRequest {
                        cl_ord_id: id,
                        side: Side::Buy,
                        price: price(LO),
                        qty: qty(100_000_000),
                        kind: OrderKind::PostOnly,
                    };
                    reuses += 1;
                    match s.place(&r, ts) {
                        Err(reason) => {
                            prop_assert_eq!(reason, Reject::DuplicateClOrdId);
                            reuses -= 1;
                        }
                        // With an ack latency the refusal comes later.
                        Ok(()) => {
                            prop_assert!(cfg.ack_latency_ms > 0, "a reused id was accepted at once")
                        }
                    }
                }
            }
            Op::Cancel { pick } => {
                if !sent.is_empty() {
                    let id = &sent[pick % sent.len()];
                    let live = orders.get(id).is_some_and(|o| o.state.is_live());
                    let res = s.cancel(id, ts);
                    // Without ack latency, cancelling fails for orders known to be done (an
                    // order may still be rejected on arrival during this very call).
                    if !live && cfg.ack_latency_ms == 0 {
                        prop_assert!(res.is_err(), "cancel of done order {} succeeded", id);
                    }
                    if cfg.ack_latency_ms > 0 {
                        prop_assert_eq!(res, Ok(()), "cancels are requests");
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
            Op::Fault {
                lost_order,
                resolve_ms,
            } => s.inject(if *lost_order {
                Fault::LostOrder {
                    resolve_after_ms: *resolve_ms,
                }
            } else {
                Fault::LostAnswer {
                    resolve_after_ms: *resolve_ms,
                }
            }),
        }
        if let Some((id, q)) = placed {
            sent.push(id.clone());
            let track = Track {
                qty: q,
                filled: Qty::ZERO,
                state: OrderState::Pending,
            };
            prop_assert!(orders.insert(id, track).is_none(), "an id issued twice");
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
        // our asks, so a print reaches one side only. (IOC executions answered with an ack
        // latency may be delivered with the print: they are the taker's, at their own time.)
        if let (Op::Trade { lots, .. }, true) = (op, cfg.partial_fills) {
            let executed: Qty = evs
                .iter()
                .filter_map(|e| match e {
                    VenueEvent::Fill {
                        qty,
                        liquidity: Liquidity::Maker,
                        ts: at,
                        ..
                    } if *at == ts => Some(*qty),
                    _ => None,
                })
                .sum();
            prop_assert!(
                executed <= qty(*lots),
                "print of {} filled {executed}",
                qty(*lots)
            );
        }
        follow(&evs, &mut orders, &mut reuses)?;
        all.extend(evs);
        check_open(&s, &orders)?;
    }
    // Past every latency and reconciliation, everything sent is settled.
    s.advance_to(Timestamp::from_millis(now + 10_000));
    let mut evs = Vec::new();
    s.poll_events(&mut evs);
    follow(&evs, &mut orders, &mut reuses)?;
    all.extend(evs);
    prop_assert_eq!(reuses, 0, "every reused id was refused");
    check_open(&s, &orders)?;
    let open = orders.values().filter(|o| o.state.is_live()).count();
    prop_assert_eq!(s.open_order_count(), open);
    for (id, o) in &orders {
        prop_assert!(!o.state.in_flight(), "{} still {:?}", id, o.state);
    }
    prop_assert_eq!(s.ids_seen() as u64, ids.issued());
    Ok(all)
}

/// Apply `evs` to the orders sent, checking each against what is known.
fn follow(
    evs: &[VenueEvent],
    orders: &mut BTreeMap<ClOrdId, Track>,
    reuses: &mut usize,
) -> Result<(), TestCaseError> {
    for e in evs {
        if let VenueEvent::Rejected {
            reason: Reject::DuplicateClOrdId,
            txid,
            ..
        } = e
        {
            // The refusal of a reuse: it names an id in use, but is about the new request.
            prop_assert!(txid.is_none());
            prop_assert!(*reuses > 0, "a duplicate refusal nobody asked for");
            *reuses -= 1;
            continue;
        }
        let id = e.cl_ord_id();
        let o = orders
            .get_mut(id)
            .ok_or_else(|| TestCaseError::fail(format!("event for an order never sent: {e:?}")))?;
        let next = o
            .state
            .after(e)
            .map_err(|c| TestCaseError::fail(format!("{id}: {c} ({e:?})")))?;
        match e {
            VenueEvent::Fill { qty, leaves, .. } => {
                prop_assert!(qty.is_positive(), "empty fill");
                o.filled += *qty;
                prop_assert!(o.filled <= o.qty, "{} overfilled", id);
                prop_assert_eq!(*leaves, o.qty - o.filled);
            }
            VenueEvent::Done { filled, .. } => prop_assert_eq!(*filled, o.filled),
            VenueEvent::Rejected { .. } => prop_assert!(o.filled.is_zero()),
            VenueEvent::Acked { qty, .. } => prop_assert_eq!(*qty, o.qty),
            VenueEvent::NeverPlaced { .. } => prop_assert!(o.filled.is_zero()),
            VenueEvent::Unknown { .. } | VenueEvent::CancelRejected { .. } => {}
        }
        o.state = next;
    }
    Ok(())
}

/// Every open order at the venue is one the caller still counts as live.
fn check_open(s: &SimExchange, orders: &BTreeMap<ClOrdId, Track>) -> Result<(), TestCaseError> {
    for o in s.open_orders() {
        let live = orders.get(&o.cl_ord_id).is_some_and(|t| t.state.is_live());
        prop_assert!(live, "{} open at the venue but not live", o.cl_ord_id);
    }
    Ok(())
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
