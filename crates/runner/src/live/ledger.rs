//! [`Ledger`]: the account's totals as our own fills say they must be — the exchange's
//! balances at the first start plus every fill of ours since — kept in the store with each
//! step's fills, and checked against the exchange's balances at a restart (live.md §6,
//! restart step 6).
//!
//! Invariants:
//! - **Exact.** A fill moves base by its quantity and quote by its notional and fee, in the
//!   exact fixed-point types; an overflow is an error, never a wrap or a zero.
//! - **Cumulative rounding.** An order's notional is rounded once over its cumulative
//!   volume (`N(after) − N(before)`, half-even at 9 decimals), the simulated exchange's rule
//!   (`flywheel_venue::sim::fill_amounts`), so the partial fills of one order sum to the
//!   notional of the whole.
//! - **A mismatch is never adjusted away.** [`Ledger::check`] names both figures and the
//!   difference; the caller halts new entries on it.

use flywheel_core::{FixedError, Price, Qty, Quote, Rounding, Side};

/// Where the ledger lives in the store's key-value table.
pub const KV_BASE: &str = "ledger.base";
pub const KV_QUOTE: &str = "ledger.quote";

/// Expected account totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ledger {
    pub base: Qty,
    pub quote: Quote,
}

/// The result of comparing the ledger with the exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerCheck {
    pub ours: Ledger,
    pub exchange: Ledger,
}

impl LedgerCheck {
    pub fn ok(&self) -> bool {
        self.ours == self.exchange
    }

    /// One line naming every figure that differs (empty when equal).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.ours.base != self.exchange.base {
            parts.push(format!(
                "base: ledger {} vs exchange {} (difference {})",
                self.ours.base,
                self.exchange.base,
                self.exchange.base - self.ours.base
            ));
        }
        if self.ours.quote != self.exchange.quote {
            parts.push(format!(
                "quote: ledger {} vs exchange {} (difference {})",
                self.ours.quote,
                self.exchange.quote,
                self.exchange.quote - self.ours.quote
            ));
        }
        parts.join("; ")
    }
}

impl Ledger {
    /// Book a fill of `qty` at `price` with `fee` (quote) on an order that had executed
    /// `before`. All or nothing.
    pub fn apply_fill(
        &mut self,
        side: Side,
        price: Price,
        before: Qty,
        qty: Qty,
        fee: Quote,
    ) -> Result<(), FixedError> {
        let after = before.checked_add(qty)?;
        let notional = price
            .notional(after, Rounding::HalfEven)?
            .checked_sub(price.notional(before, Rounding::HalfEven)?)?;
        let next = match side {
            Side::Buy => Ledger {
                base: self.base.checked_add(qty)?,
                quote: self.quote.checked_sub(notional.checked_add(fee)?)?,
            },
            Side::Sell => Ledger {
                base: self.base.checked_sub(qty)?,
                quote: self.quote.checked_add(notional)?.checked_sub(fee)?,
            },
        };
        *self = next;
        Ok(())
    }

    /// The key-value rows that store it.
    pub fn to_kv(&self) -> Vec<(String, String)> {
        vec![
            (KV_BASE.to_string(), self.base.to_string()),
            (KV_QUOTE.to_string(), self.quote.to_string()),
        ]
    }

    /// Read it back; `None` when never stored (a first start). A value that does not parse
    /// is an error naming the key.
    pub fn from_kv(base: Option<String>, quote: Option<String>) -> Result<Option<Ledger>, String> {
        match (base, quote) {
            (None, None) => Ok(None),
            (Some(b), Some(q)) => {
                let base = b
                    .parse()
                    .map_err(|e| format!("store key {KV_BASE} = {b:?}: {e}"))?;
                let quote = q
                    .parse()
                    .map_err(|e| format!("store key {KV_QUOTE} = {q:?}: {e}"))?;
                Ok(Some(Ledger { base, quote }))
            }
            _ => Err(format!(
                "store keys {KV_BASE} and {KV_QUOTE}: one is set without the other"
            )),
        }
    }

    pub fn check(&self, exchange: Ledger) -> LedgerCheck {
        LedgerCheck {
            ours: *self,
            exchange,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }
    fn q(s: &str) -> Qty {
        s.parse().unwrap()
    }
    fn u(s: &str) -> Quote {
        s.parse().unwrap()
    }

    #[test]
    fn fills_table() {
        // (name, side, price, before, qty, fee, base after, quote after) from 100 base, 50 quote.
        let cases = [
            ("buy", Side::Buy, "0.2", "0", "10", "0.005", "110", "47.995"),
            (
                "sell",
                Side::Sell,
                "0.2",
                "0",
                "10",
                "0.005",
                "90",
                "51.995",
            ),
            // 0.1234567 × 0.00000003 = 0.000000003703701 → the cumulative rule: N(3e-8) −
            // N(0) = 0.000000004 (half-even at 9 decimals).
            (
                "tiny buy rounds once",
                Side::Buy,
                "0.1234567",
                "0",
                "0.00000003",
                "0",
                "100.00000003",
                "49.999999996",
            ),
        ];
        for (name, side, price, before, qty, fee, base, quote) in cases {
            let mut l = Ledger {
                base: q("100"),
                quote: u("50"),
            };
            l.apply_fill(side, p(price), q(before), q(qty), u(fee))
                .unwrap();
            assert_eq!((l.base, l.quote), (q(base), u(quote)), "{name}");
        }
    }

    #[test]
    fn partial_fills_sum_to_the_whole_order() {
        let price = p("0.1234567");
        let mut split = Ledger {
            base: Qty::ZERO,
            quote: u("100"),
        };
        let mut before = Qty::ZERO;
        for part in ["0.00000001", "0.00000001", "0.00000001"] {
            split
                .apply_fill(Side::Buy, price, before, q(part), Quote::ZERO)
                .unwrap();
            before += q(part);
        }
        let mut whole = Ledger {
            base: Qty::ZERO,
            quote: u("100"),
        };
        whole
            .apply_fill(Side::Buy, price, Qty::ZERO, q("0.00000003"), Quote::ZERO)
            .unwrap();
        assert_eq!(split, whole);
    }

    #[test]
    fn kv_round_trip_and_errors() {
        let l = Ledger {
            base: q("5000.5"),
            quote: u("999.123456789"),
        };
        let kv = l.to_kv();
        let back = Ledger::from_kv(Some(kv[0].1.clone()), Some(kv[1].1.clone())).unwrap();
        assert_eq!(back, Some(l));
        assert_eq!(Ledger::from_kv(None, None), Ok(None));
        assert!(Ledger::from_kv(Some("1".into()), None)
            .unwrap_err()
            .contains("one is set"));
        assert!(Ledger::from_kv(Some("x".into()), Some("1".into()))
            .unwrap_err()
            .contains("ledger.base"));
    }

    #[test]
    fn check_names_the_difference() {
        let ours = Ledger {
            base: q("10"),
            quote: u("5"),
        };
        let c = ours.check(Ledger {
            base: q("10"),
            quote: u("5.25"),
        });
        assert!(!c.ok());
        assert_eq!(
            c.describe(),
            "quote: ledger 5 vs exchange 5.25 (difference 0.25)"
        );
        assert!(ours.check(ours).ok());
    }
}
