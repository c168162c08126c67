//! Shared fixtures for the reducer's unit tests.

use flywheel_core::{Price, Qty, Quote, Ratio, Rounding, Timestamp};

use crate::{
    bootstrap_orders, check_invariants, Action, EngineConfig, Event, Fill, OrderSizes, PairState,
    PlaceOrder, Role, SlotContext,
};

pub fn p(s: &str) -> Price {
    s.parse().expect("price literal")
}
pub fn q(s: &str) -> Qty {
    s.parse().expect("qty literal")
}
pub fn usd(s: &str) -> Quote {
    s.parse().expect("quote literal")
}
pub fn r(s: &str) -> Ratio {
    s.parse().expect("ratio literal")
}

/// Seconds after a fixed, realistic epoch (2023-11-14T22:13:20Z).
pub fn t(secs: i64) -> Timestamp {
    Timestamp::from_secs(1_700_000_000 + secs)
}

pub fn ctx(cfg: &EngineConfig, sticky: bool) -> SlotContext<'_> {
    SlotContext {
        cfg,
        sticky,
        sizes: OrderSizes::both(usd("2")),
    }
}

/// The spec's standard slot: market 0.10, $2 per trade, bootstrapped at t(0).
/// Orders: #1 B buy entry 0.0998 × 20, #2 A sell entry 0.1002 × 20.
pub fn s0(cfg: &EngineConfig) -> PairState {
    let mut s = PairState::new(p("0.10"), t(0));
    bootstrap_orders(&mut s, &ctx(cfg, true)).expect("bootstrap");
    s
}

/// 0.25 % maker fee on `price × volume`.
pub fn fee(price: Price, volume: Qty) -> Quote {
    price
        .notional(volume, Rounding::HalfEven)
        .and_then(|n| n.pct_of(r("0.25"), Rounding::HalfEven))
        .expect("fee")
}

/// A full fill of active order `id` at its own price with a 0.25 % fee.
pub fn fill_at_limit(s: &PairState, id: u64, at: Timestamp) -> Event {
    let o = s.find_order(id).expect("order exists");
    Event::Fill(Fill {
        order_local_id: id,
        txid: None,
        side: o.side,
        price: o.price,
        volume: o.volume,
        fee: fee(o.price, o.volume),
        timestamp: at,
    })
}

/// Apply and assert the result is healthy.
pub fn step(s: &mut PairState, ev: &Event, c: &SlotContext<'_>) -> Vec<Action> {
    let actions = s.apply(ev, c).expect("transition accepted");
    let v = check_invariants(s);
    assert!(
        v.is_empty(),
        "invariants broken after {ev:?}: {v:?}\nstate: {s:#?}"
    );
    actions
}

pub fn placed(actions: &[Action]) -> Vec<&PlaceOrder> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::PlaceOrder(p) => Some(p),
            _ => None,
        })
        .collect()
}

/// The id of the active order with this role and trade.
pub fn id_of(s: &PairState, role: Role, trade: flywheel_core::TradeId) -> u64 {
    s.orders
        .iter()
        .find(|o| o.role == role && o.trade_id == trade)
        .map(|o| o.local_id)
        .expect("order with role and trade")
}
