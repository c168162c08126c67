//! Shared builders of the quoting tests (`quote_tests`, `quote_flatten_tests`).

use flywheel_core::{Price, Qty, Timestamp};

use crate::quote::{QuoteInput, SideQuote, SuppressReason};

pub(crate) fn px(s: &str) -> Price {
    s.parse().expect("price literal")
}
pub(crate) fn qty(s: &str) -> Qty {
    s.parse().expect("quantity literal")
}
pub(crate) fn t(secs: i64) -> Timestamp {
    Timestamp::from_secs(secs)
}

/// A quoting input at `mid` with inventory `inv`, at t = 1000 s, no jitter.
pub(crate) fn input(mid: &str, inv: &str) -> QuoteInput {
    QuoteInput {
        mid: px(mid),
        inventory: qty(inv),
        now: t(1000),
        jitter: 0.0,
    }
}

/// A quote not bound by the price floor.
pub(crate) fn quoted(p: &str, s: &str) -> SideQuote {
    SideQuote::Quote {
        price: px(p),
        size: qty(s),
        floor_bound: false,
    }
}
/// A quote the price floor bound.
pub(crate) fn floor(p: &str, s: &str) -> SideQuote {
    SideQuote::Quote {
        price: px(p),
        size: qty(s),
        floor_bound: true,
    }
}
/// A suppressed side.
pub(crate) fn off(r: SuppressReason) -> SideQuote {
    SideQuote::Suppressed(r)
}
