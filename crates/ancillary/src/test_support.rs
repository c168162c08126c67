//! Shared fixtures for the unit tests.

use flywheel_core::{Instrument, Price, Qty, Quote, Ratio, Timestamp};

use crate::event::{Command, Fill, OrderKey, Outcome, Reaction};

pub fn p(s: &str) -> Price {
    s.parse().expect("price literal")
}
pub fn q(s: &str) -> Qty {
    s.parse().expect("qty literal")
}
pub fn usd(s: &str) -> Quote {
    s.parse().expect("quote literal")
}

/// Seconds after a fixed, realistic epoch (2023-11-14T22:13:20Z).
pub fn t(secs: i64) -> Timestamp {
    Timestamp::from_secs(1_700_000_000 + secs)
}

/// The origin's DOGE/USD fallbacks: 6 price decimals, whole-DOGE volumes, minimum 13 DOGE,
/// maker fee 0.25 %.
pub fn doge() -> Instrument {
    let mut i = Instrument::with_decimals("DOGE/USD", 6, 0).expect("instrument");
    i.min_volume = Qty::lit(13, 0);
    i.maker_fee_pct = Ratio::lit(25, 2);
    i.taker_fee_pct = Ratio::lit(40, 2);
    i
}

/// The maker fee a venue would charge on `price × qty` at 0.25 %.
pub fn fee(price: &str, qty: &str) -> Quote {
    p(price)
        .notional(q(qty), flywheel_core::Rounding::HalfEven)
        .and_then(|n| n.pct_of(Ratio::lit(25, 2), flywheel_core::Rounding::HalfEven))
        .expect("fee")
}

pub fn fill(at: Timestamp, price: &str, qty: &str) -> Fill {
    Fill {
        at,
        price: p(price),
        qty: q(qty),
        fee: fee(price, qty),
    }
}

/// The single `Place` of a reaction: key, side, price, qty.
pub fn placed(r: &Reaction) -> (OrderKey, flywheel_core::Side, Price, Qty) {
    let places: Vec<_> = r
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::Place {
                key,
                side,
                price,
                qty,
            } => Some((*key, *side, *price, *qty)),
            Command::Cancel { .. } => None,
        })
        .collect();
    assert_eq!(places.len(), 1, "expected one place in {r:?}");
    places[0]
}

/// The single `Cancel` of a reaction: key and reason.
pub fn cancelled(r: &Reaction) -> (OrderKey, crate::event::CancelReason) {
    let cancels: Vec<_> = r
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::Cancel { key, reason } => Some((*key, *reason)),
            Command::Place { .. } => None,
        })
        .collect();
    assert_eq!(cancels.len(), 1, "expected one cancel in {r:?}");
    cancels[0]
}

pub fn only_outcome(r: &Reaction) -> Outcome {
    assert_eq!(r.outcomes.len(), 1, "expected one outcome in {r:?}");
    r.outcomes[0]
}
