//! Helpers for the simulated exchange's unit tests.

use std::sync::atomic::{AtomicU64, Ordering};

pub(super) use super::*;
pub(super) use crate::venue::{AssetBalance, DoneReason, OrderKind};
pub(super) use flywheel_core::{Liquidity, Quote};
pub(super) use flywheel_marketdata::{Bar, Trade};

pub(super) fn p(s: &str) -> Price {
    s.parse().unwrap()
}
pub(super) fn q(s: &str) -> Qty {
    s.parse().unwrap()
}
pub(super) fn u(s: &str) -> Quote {
    s.parse().unwrap()
}
pub(super) fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

/// Tick 0.01, lot 0.01, min volume 1, min cost 5, maker 0.25 %, taker 0.4 %.
pub(super) fn inst() -> Instrument {
    let mut i = Instrument::with_decimals("TEST/USD", 2, 2).unwrap();
    i.min_volume = q("1");
    i.min_cost = u("5");
    i.maker_fee_pct = "0.25".parse().unwrap();
    i.taker_fee_pct = "0.4".parse().unwrap();
    i
}

pub(super) fn balances(base: &str, quote: &str) -> Balances {
    Balances {
        base: AssetBalance {
            total: q(base),
            held: Qty::ZERO,
        },
        quote: AssetBalance {
            total: u(quote),
            held: Quote::ZERO,
        },
    }
}

pub(super) fn sim_with(cfg: SimConfig) -> SimExchange {
    SimExchange::new(inst(), cfg, balances("100", "1000")).unwrap()
}

pub(super) fn sim() -> SimExchange {
    sim_with(SimConfig::frictionless())
}

/// A client order id never handed out before in this test process.
pub(super) fn fresh_id() -> ClOrdId {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    ClOrdId::parse(&format!("t{}", NEXT.fetch_add(1, Ordering::Relaxed))).unwrap()
}

/// The id events carry after [`drain`] (the tests compare what happened, not the names).
pub(super) fn any_id() -> ClOrdId {
    ClOrdId::parse("x").unwrap()
}

pub(super) fn req(side: Side, price: &str, qty: &str, kind: OrderKind) -> OrderRequest {
    OrderRequest {
        cl_ord_id: fresh_id(),
        side,
        price: p(price),
        qty: q(qty),
        kind,
    }
}
pub(super) fn buy(price: &str, qty: &str) -> OrderRequest {
    req(Side::Buy, price, qty, OrderKind::PostOnly)
}
pub(super) fn sell(price: &str, qty: &str) -> OrderRequest {
    req(Side::Sell, price, qty, OrderKind::PostOnly)
}

pub(super) fn trade(ms: i64, price: &str, qty: &str) -> MarketEvent {
    trade_by(ms, price, qty, None)
}

/// A trade print whose data records the taker side `taker` (None: not recorded).
pub(super) fn trade_by(ms: i64, price: &str, qty: &str, taker: Option<Side>) -> MarketEvent {
    MarketEvent::Trade(Trade {
        ts: t(ms),
        price: p(price),
        qty: q(qty),
        taker_side: taker,
    })
}

/// Total executed by `txid` in `events`.
pub(super) fn filled_of(events: &[VenueEvent], txid: &str) -> Qty {
    fills(events)
        .into_iter()
        .filter(|(id, _, _)| id == txid)
        .map(|(_, qty, _)| qty)
        .sum()
}

/// A bar from `open_ms` to `open_ms + 60 s` (q = 15 s).
pub(super) fn bar(open_ms: i64, o: &str, h: &str, l: &str, c: &str) -> MarketEvent {
    MarketEvent::Bar(Bar {
        open_time: t(open_ms),
        close_time: t(open_ms + 60_000),
        open: p(o),
        high: p(h),
        low: p(l),
        close: p(c),
        volume: Some(q("0.01")),
    })
}

/// The events so far, without acks, every id replaced by [`any_id`].
pub(super) fn drain(s: &mut SimExchange) -> Vec<VenueEvent> {
    let mut out = Vec::new();
    s.poll_events(&mut out);
    out.into_iter()
        .filter(|e| !matches!(e, VenueEvent::Acked { .. }))
        .map(anonymous)
        .collect()
}

/// `e` with its client order id replaced by [`any_id`].
pub(super) fn anonymous(mut e: VenueEvent) -> VenueEvent {
    match &mut e {
        VenueEvent::Acked { cl_ord_id, .. }
        | VenueEvent::Fill { cl_ord_id, .. }
        | VenueEvent::Done { cl_ord_id, .. }
        | VenueEvent::Rejected { cl_ord_id, .. }
        | VenueEvent::Unknown { cl_ord_id, .. }
        | VenueEvent::NeverPlaced { cl_ord_id, .. }
        | VenueEvent::CancelRejected { cl_ord_id, .. } => *cl_ord_id = any_id(),
    }
    e
}

/// Place `r` at `ms` (it must be accepted at once) and return its txid, taking its ack out
/// of the event queue.
pub(super) fn place(s: &mut SimExchange, r: &OrderRequest, ms: i64) -> String {
    s.place(r, t(ms)).unwrap();
    take_ack(s, &r.cl_ord_id).expect("acked with the reply")
}

/// The txid of `id`'s ack if it is queued, taking it out of the queue.
pub(super) fn take_ack(s: &mut SimExchange, id: &ClOrdId) -> Option<String> {
    let pos = s
        .events
        .iter()
        .position(|e| matches!(e, VenueEvent::Acked { cl_ord_id, .. } if cl_ord_id == id))?;
    match s.events.remove(pos) {
        VenueEvent::Acked { txid, .. } => Some(txid),
        _ => None,
    }
}

/// Cancel the open order `txid` (tests name orders by txid).
pub(super) fn cancel(s: &mut SimExchange, txid: &str, ms: i64) -> Result<(), Reject> {
    let id = s
        .open_orders()
        .into_iter()
        .find(|o| o.txid == txid)
        .map(|o| o.cl_ord_id)
        .unwrap_or_else(fresh_id);
    s.cancel(&id, t(ms))
}

pub(super) fn market(s: &mut SimExchange, ev: &MarketEvent) {
    s.on_market(ev).unwrap();
    assert_eq!(s.check_ledger(), Ok(()));
}

pub(super) fn fill(
    txid: &str,
    side: Side,
    price: &str,
    qty: &str,
    fee: &str,
    ms: i64,
    leaves: &str,
) -> VenueEvent {
    VenueEvent::Fill {
        cl_ord_id: any_id(),
        txid: txid.to_string(),
        side,
        price: p(price),
        qty: q(qty),
        fee: u(fee),
        liquidity: Liquidity::Maker,
        ts: t(ms),
        leaves: q(leaves),
        exec_id: None,
    }
}

/// (txid, qty, leaves) of each fill, in order.
pub(super) fn fills(events: &[VenueEvent]) -> Vec<(String, Qty, Qty)> {
    events
        .iter()
        .filter_map(|e| match e {
            VenueEvent::Fill {
                txid, qty, leaves, ..
            } => Some((txid.clone(), *qty, *leaves)),
            _ => None,
        })
        .collect()
}

pub(super) fn f(txid: &str, qty: &str, leaves: &str) -> (String, Qty, Qty) {
    (txid.to_string(), q(qty), q(leaves))
}
