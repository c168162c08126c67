//! The maker against lost answers and lost orders (issue 12): an order whose outcome is
//! unknown is neither sent twice nor lost — the hedger waits for the proof before it crosses
//! again, an IOC that executed while unknown counts, a quote filled while unknown is in the
//! FIFO book — and an order proven never placed is sent again under a new id.

use std::convert::Infallible;

use flywheel_core::{Instrument, Price, Timestamp};
use flywheel_maker::{HedgerConfig, MakerConfig, MinSizePolicy};
use flywheel_venue::{
    Balances, ClOrdId, Fault, OrderKind, OrderRequest, Reject, SimExchange, Venue,
};

use super::*;
use crate::backtest::SimulatedVenue;
use crate::config::BacktestConfig;
use crate::journal::JsonLines;

/// The simulator, with a fault for the first order that `hit` picks.
#[derive(Debug)]
struct Targeted {
    inner: SimExchange,
    hit: fn(&OrderRequest) -> bool,
    fault: Option<Fault>,
}

impl Venue for Targeted {
    fn instrument(&self) -> &Instrument {
        self.inner.instrument()
    }
    fn place(&mut self, req: &OrderRequest, now: Timestamp) -> Result<(), Reject> {
        if (self.hit)(req) {
            if let Some(f) = self.fault.take() {
                self.inner.inject(f);
            }
        }
        self.inner.place(req, now)
    }
    fn cancel(&mut self, id: &ClOrdId, now: Timestamp) -> Result<(), Reject> {
        self.inner.cancel(id, now)
    }
    fn balances(&self) -> Balances {
        self.inner.balances()
    }
    fn open_order_count(&self) -> usize {
        self.inner.open_order_count()
    }
    fn poll_events(&mut self, out: &mut Vec<VenueEvent>) {
        self.inner.poll_events(out)
    }
}

impl SimulatedVenue for Targeted {
    type Error = flywheel_venue::SimError;
    fn on_market(&mut self, ev: &MarketEvent) -> Result<(), Self::Error> {
        self.inner.on_market(ev)
    }
}

type Faulty = MakerEngine<Targeted, JsonLines<Vec<u8>>>;

fn raise() -> MakerConfig {
    MakerConfig {
        min_size_policy: MinSizePolicy::Raise,
        ..MakerConfig::default()
    }
}

fn maker(hit: fn(&OrderRequest) -> bool, fault: Fault) -> Faulty {
    let cfg = raise();
    let mut inst = cfg.instrument("SOL/USD").unwrap();
    inst.taker_fee_pct = flywheel_core::Ratio::lit(40, 2);
    let start = BacktestConfig {
        start_base: "10".parse().unwrap(),
        start_quote: "5000".parse().unwrap(),
    }
    .start_balances();
    let inner = SimExchange::new(inst, Default::default(), start).unwrap();
    let venue = Targeted {
        inner,
        hit,
        fault: Some(fault),
    };
    MakerEngine::with_journal(
        cfg,
        HedgerConfig::default(),
        venue,
        JsonLines::new(Vec::new()),
    )
}

fn ioc(r: &OrderRequest) -> bool {
    r.kind == OrderKind::Ioc
}

fn bid(r: &OrderRequest) -> bool {
    r.kind == OrderKind::PostOnly && r.side == Side::Buy
}

fn trade(ms: i64, price: Price) -> MarketEvent {
    MarketEvent::Trade(flywheel_marketdata::Trade {
        ts: Timestamp::from_millis(ms),
        price,
        qty: "5".parse().unwrap(),
        taker_side: None,
    })
}

const T0: i64 = 1_760_000_000_000;

/// Prints at a flat 200 every 250 ms for `secs` seconds from `from` ms after T0.
fn flat(from: i64, secs: i64) -> Vec<MarketEvent> {
    (0..secs * 4)
        .map(|i| trade(T0 + from + 250 * i, Price::lit(200, 0)))
        .collect()
}

fn run(m: &mut Faulty, events: Vec<MarketEvent>) {
    run_maker_backtest(m, events.into_iter().map(Ok::<_, Infallible>)).unwrap();
}

/// The journal's records of `kind` for `role`, as (time, client order id).
fn records(m: Faulty, kind: &str, role: &str) -> Vec<(i64, String)> {
    let text = String::from_utf8(m.finish_journal().into_inner().unwrap()).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["kind"] == kind && r["role"] == role)
        .map(|r| {
            (
                r["ts"].as_i64().unwrap(),
                r["cl_ord_id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The FIFO position is the account's base change (plus what was `seeded` into the book
/// alone), and every open venue order is followed.
fn check(m: &Faulty, seeded: &str) {
    let base = m.venue().inner.balances().base.total;
    let change = base - "10".parse::<Qty>().unwrap() + seeded.parse::<Qty>().unwrap();
    assert_eq!(change, m.fifo().inventory());
    assert_eq!(m.stats.venue_contradictions, 0);
    assert_eq!(m.venue().inner.ids_seen() as u64, m.order_ids().issued());
    for o in m.venue().inner.open_orders() {
        assert!(
            m.tracks.contains_key(&o.cl_ord_id),
            "{} not followed",
            o.cl_ord_id
        );
    }
}

fn seed_long(m: &mut Faulty) {
    m.fifo
        .on_fill(
            Side::Buy,
            Price::lit(200, 0),
            "0.1".parse().unwrap(),
            Quote::ZERO,
            Timestamp::from_millis(T0),
        )
        .unwrap();
}

#[test]
fn a_lost_ioc_is_crossed_again_only_once_proven_never_placed() {
    let mut m = maker(
        ioc,
        Fault::LostOrder {
            resolve_after_ms: 4_000,
        },
    );
    seed_long(&mut m);
    run(&mut m, flat(0, 20));
    check(&m, "0.1");
    assert_eq!(
        m.fifo().inventory(),
        Qty::ZERO,
        "the second IOC closed the long"
    );
    assert_eq!((m.stats.orders_unknown, m.stats.never_placed), (1, 1));
    let placed = records(m, "placed", "hedge_ioc");
    assert_eq!(placed.len(), 2, "sent again once: {placed:?}");
    assert_ne!(placed[0].1, placed[1].1, "under a new id");
    assert!(
        placed[1].0 >= placed[0].0 + 4_000,
        "not before the proof: {placed:?}"
    );
}

#[test]
fn an_ioc_that_executed_while_unknown_counts_and_is_not_repeated() {
    let mut m = maker(
        ioc,
        Fault::LostAnswer {
            resolve_after_ms: 4_000,
        },
    );
    seed_long(&mut m);
    run(&mut m, flat(0, 20));
    check(&m, "0.1");
    assert_eq!(
        m.fifo().inventory(),
        Qty::ZERO,
        "its execution closed the long"
    );
    assert_eq!(m.stats.orders_unknown, 1);
    assert_eq!(m.hedger().counters.aggressive_fills, 1);
    let placed = records(m, "placed", "hedge_ioc");
    assert_eq!(placed.len(), 1, "{placed:?}");
}

#[test]
fn a_quote_filled_while_unknown_is_in_the_book_and_not_doubled() {
    let mut m = maker(
        bid,
        Fault::LostAnswer {
            resolve_after_ms: 600_000,
        },
    );
    // Quotes go out at 200; a print at 199 fills the bid while its answer is lost.
    let mut events = flat(0, 2);
    events.push(trade(T0 + 2_000, Price::lit(199, 0)));
    run(&mut m, events);
    check(&m, "0");
    assert_eq!(m.stats.orders_unknown, 1);
    assert!(m.stats.quote_fills >= 1, "the unknown bid filled");
    assert!(m.fifo().inventory().is_positive(), "and the book holds it");
    // At most one bid at the venue at any time: the lost one was cancelled (it exists)
    // before any replacement, or filled.
    let bids = m
        .venue()
        .inner
        .open_orders()
        .into_iter()
        .filter(|o| o.side == Side::Buy)
        .count();
    assert!(bids <= 1, "{bids} bids resting");
}
