//! Exact balances, holds and fees of the simulated account.
//!
//! Money rules (all exact, fixed-point, no floats):
//! - **Hold of a buy** for `qty` at `price` with fee rate `f` % ([`buy_hold`]):
//!   `N↑ + ⌈N↑ × f / 100⌉` with `N↑ = ⌈price × qty⌉`, everything rounded *up* to 9 decimals.
//!   It is never below what any fill of that quantity can cost. A sell holds its base quantity.
//! - **Fill amounts are cumulative** ([`fill_amounts`]): with `N(x) = price × x` (half-even,
//!   9 dp) and `F(n)` the instrument fee on `n`, a fill that takes an order's executed
//!   quantity from `a` to `b` moves `N(b) − N(a)` quote and charges `F(N(b)) − F(N(a))`.
//!   The amounts of an order's fills therefore add up to exactly the amounts of one fill of
//!   the whole quantity, however it is split; no rounding residue accumulates.
//! - **Hold release** is cumulative too: a buy fill from `a` to `b` releases
//!   `hold(b) − hold(a)`; the final fill releases whatever hold is left (the same number).
//!   Since `N(b) + F(N(b)) ≤ hold(b)`, free quote never falls below its value after the order
//!   was placed, so balances never go negative and `held ≤ total` always holds.
//! - The fee is charged in quote for both sides: a buy pays `notional + fee`, a sell
//!   receives `notional − fee`.
//!
//! The ledger also keeps the running sums of executions and fees (in `i128` nano-units, so
//! no realistic run overflows them), and the balances are checked against them (see
//! `SimExchange::check_ledger`).

use std::fmt;

use flywheel_core::{Fixed, FixedError, Instrument, Liquidity, Price, Qty, Quote, Ratio, Rounding};
use thiserror::Error;

use crate::venue::Balances;

/// The quote a buy of `qty` at `price` reserves, fee rate `fee_pct` (percent) included,
/// rounded up to 9 decimals so it covers every fill of that quantity.
pub fn buy_hold(price: Price, qty: Qty, fee_pct: Ratio) -> Result<Quote, FixedError> {
    let notional = price.notional(qty, Rounding::Ceil)?;
    let fee = notional.pct_of(fee_pct, Rounding::Ceil)?;
    notional.checked_add(fee)
}

/// What one execution moves: the quote notional and the fee (both non-negative).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FillAmounts {
    pub notional: Quote,
    pub fee: Quote,
}

/// The amounts of a fill of `qty` at `price` for an order that had executed `before`
/// (cumulative rule, see the module docs).
pub fn fill_amounts(
    instrument: &Instrument,
    price: Price,
    before: Qty,
    qty: Qty,
    liquidity: Liquidity,
) -> Result<FillAmounts, FixedError> {
    let after = before.checked_add(qty)?;
    let n0 = price.notional(before, Rounding::HalfEven)?;
    let n1 = price.notional(after, Rounding::HalfEven)?;
    let f0 = instrument.fee(n0, liquidity)?;
    let f1 = instrument.fee(n1, liquidity)?;
    Ok(FillAmounts {
        notional: n1.checked_sub(n0)?,
        fee: f1.checked_sub(f0)?,
    })
}

/// Which balance an invariant breach concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asset {
    Base,
    Quote,
}

impl fmt::Display for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Asset::Base => "base",
            Asset::Quote => "quote",
        })
    }
}

/// A decimal amount in nano-units that may exceed the `i64` range (running sums).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nano(pub i128);

impl fmt::Display for Nano {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match i64::try_from(self.0) {
            Ok(raw) => fmt::Display::fmt(&Fixed::from_raw(raw), f),
            Err(_) => write!(f, "{}e-9", self.0),
        }
    }
}

/// A broken ledger invariant.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LedgerError {
    #[error("{asset} total is {actual}, but start + executions − fees is {expected}")]
    Total {
        asset: Asset,
        expected: Nano,
        actual: Nano,
    },
    #[error("{asset} held is {actual}, but the open orders hold {expected}")]
    Held {
        asset: Asset,
        expected: Nano,
        actual: Nano,
    },
    #[error("{asset} balance is negative: total {total}, held {held}")]
    Negative {
        asset: Asset,
        total: Nano,
        held: Nano,
    },
    #[error("{asset} held {held} exceeds total {total}")]
    HeldExceedsTotal {
        asset: Asset,
        total: Nano,
        held: Nano,
    },
    #[error("order {txid}: {problem}")]
    Order { txid: String, problem: &'static str },
}

/// Balances plus the running sums they must agree with.
#[derive(Clone, Debug)]
pub(crate) struct Ledger {
    start: Balances,
    bal: Balances,
    bought: i128,
    sold: i128,
    spent: i128,
    received: i128,
    fees: i128,
}

fn nano<T: Into<i128>>(v: T) -> Nano {
    Nano(v.into())
}

impl Ledger {
    /// A ledger starting from `start` (whose `held` must be zero; the caller checks).
    pub fn new(start: Balances) -> Self {
        Ledger {
            start,
            bal: start,
            bought: 0,
            sold: 0,
            spent: 0,
            received: 0,
            fees: 0,
        }
    }

    pub fn balances(&self) -> Balances {
        self.bal
    }

    /// Fees paid since the start, in nano-units of quote.
    pub fn fees_paid(&self) -> i128 {
        self.fees
    }

    /// Reserve quote; the caller has checked `amount ≤ free quote`.
    pub fn hold_quote(&mut self, amount: Quote) {
        self.bal.quote.held += amount;
    }

    /// Reserve base; the caller has checked `qty ≤ free base`.
    pub fn hold_base(&mut self, qty: Qty) {
        self.bal.base.held += qty;
    }

    /// Give back part of a quote hold (`amount ≤` what the order holds).
    pub fn release_quote(&mut self, amount: Quote) {
        self.bal.quote.held -= amount;
    }

    /// Give back part of a base hold (`qty ≤` what the order holds).
    pub fn release_base(&mut self, qty: Qty) {
        self.bal.base.held -= qty;
    }

    /// Book a buy execution and release `release` of its quote hold. All-or-nothing: on an
    /// arithmetic error nothing changes.
    pub fn buy_fill(
        &mut self,
        qty: Qty,
        amounts: FillAmounts,
        release: Quote,
    ) -> Result<(), FixedError> {
        let cost = amounts.notional.checked_add(amounts.fee)?;
        let quote_total = self.bal.quote.total.checked_sub(cost)?;
        let base_total = self.bal.base.total.checked_add(qty)?;
        let quote_held = self.bal.quote.held.checked_sub(release)?;
        self.bal.quote.total = quote_total;
        self.bal.quote.held = quote_held;
        self.bal.base.total = base_total;
        self.bought += i128::from(qty.raw());
        self.spent += i128::from(amounts.notional.raw());
        self.fees += i128::from(amounts.fee.raw());
        Ok(())
    }

    /// Book a sell execution and release `release` of its base hold. All-or-nothing.
    pub fn sell_fill(
        &mut self,
        qty: Qty,
        amounts: FillAmounts,
        release: Qty,
    ) -> Result<(), FixedError> {
        let base_total = self.bal.base.total.checked_sub(qty)?;
        let base_held = self.bal.base.held.checked_sub(release)?;
        let quote_total = self
            .bal
            .quote
            .total
            .checked_add(amounts.notional)?
            .checked_sub(amounts.fee)?;
        self.bal.base.total = base_total;
        self.bal.base.held = base_held;
        self.bal.quote.total = quote_total;
        self.sold += i128::from(qty.raw());
        self.received += i128::from(amounts.notional.raw());
        self.fees += i128::from(amounts.fee.raw());
        Ok(())
    }

    /// Verify totals against `start + Σ executions − Σ fees`, held against the open orders'
    /// holds (`order_quote`, `order_base`, nano-units), `0 ≤ held ≤ total`.
    pub fn check(&self, order_quote: i128, order_base: i128) -> Result<(), LedgerError> {
        let b = &self.bal;
        let base_expected = i128::from(self.start.base.total.raw()) + self.bought - self.sold;
        let quote_expected =
            i128::from(self.start.quote.total.raw()) + self.received - self.spent - self.fees;
        let rows = [
            (
                Asset::Base,
                b.base.total.raw(),
                b.base.held.raw(),
                base_expected,
                order_base,
            ),
            (
                Asset::Quote,
                b.quote.total.raw(),
                b.quote.held.raw(),
                quote_expected,
                order_quote,
            ),
        ];
        for (asset, total, held, expected_total, expected_held) in rows {
            if i128::from(total) != expected_total {
                return Err(LedgerError::Total {
                    asset,
                    expected: Nano(expected_total),
                    actual: nano(total),
                });
            }
            if i128::from(held) != expected_held {
                return Err(LedgerError::Held {
                    asset,
                    expected: Nano(expected_held),
                    actual: nano(held),
                });
            }
            if total < 0 || held < 0 {
                return Err(LedgerError::Negative {
                    asset,
                    total: nano(total),
                    held: nano(held),
                });
            }
            if held > total {
                return Err(LedgerError::HeldExceedsTotal {
                    asset,
                    total: nano(total),
                    held: nano(held),
                });
            }
        }
        Ok(())
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
    fn r(s: &str) -> Ratio {
        s.parse().unwrap()
    }

    fn doge() -> Instrument {
        let mut i = Instrument::with_decimals("DOGE/USD", 7, 8).unwrap();
        i.maker_fee_pct = r("0.25");
        i.taker_fee_pct = r("0.4");
        i
    }

    #[test]
    fn buy_hold_table() {
        let cases = [
            ("exact: 20 × 0.1 + 0.25 %", "0.1", "20", "0.25", "2.005"),
            ("no fee", "0.1", "20", "0", "2"),
            // 0.1234567 × 1.23456789 = 0.152415677625363 → ⌈⌉ 0.152415678;
            // 0.25 % of it = 0.000381039195 → ⌈⌉ 0.000381040.
            (
                "rounded up twice",
                "0.1234567",
                "1.23456789",
                "0.25",
                "0.152796718",
            ),
            ("taker rate", "150", "1.5", "0.4", "225.9"),
        ];
        for (name, price, qty, fee, want) in cases {
            assert_eq!(
                buy_hold(p(price), q(qty), r(fee)).unwrap(),
                u(want),
                "case {name}"
            );
        }
    }

    #[test]
    fn fill_amounts_table() {
        let i = doge();
        let cases = [
            (
                "whole order",
                "0.1",
                "0",
                "20",
                Liquidity::Maker,
                "2",
                "0.005",
            ),
            (
                "taker fee",
                "0.1",
                "0",
                "20",
                Liquidity::Taker,
                "2",
                "0.008",
            ),
            // 0.1234567 × 1 = 0.1234567, fee 0.00030864175 → 0.000308642 (half-even);
            // after 2: N = 0.2469134, fee 0.0006172835 → 0.000617284 (half-even, 5 → 4 even).
            (
                "second unit is the cumulative difference",
                "0.1234567",
                "1",
                "1",
                Liquidity::Maker,
                "0.1234567",
                "0.000308642",
            ),
        ];
        for (name, price, before, qty, liq, notional, fee) in cases {
            let got = fill_amounts(&i, p(price), q(before), q(qty), liq).unwrap();
            assert_eq!(
                got,
                FillAmounts {
                    notional: u(notional),
                    fee: u(fee)
                },
                "case {name}"
            );
        }
    }

    #[test]
    fn split_fills_add_up_to_one_fill() {
        let i = doge();
        let price = p("0.1234567");
        let whole = fill_amounts(&i, price, Qty::ZERO, q("3.33333333"), Liquidity::Maker).unwrap();
        let mut before = Qty::ZERO;
        let (mut n, mut f) = (Quote::ZERO, Quote::ZERO);
        for part in ["1.11111111", "0.00000001", "2.22222221"] {
            let a = fill_amounts(&i, price, before, q(part), Liquidity::Maker).unwrap();
            n += a.notional;
            f += a.fee;
            before += q(part);
        }
        assert_eq!((n, f), (whole.notional, whole.fee));
        // And the whole never costs more than it holds.
        let hold = buy_hold(price, q("3.33333333"), i.maker_fee_pct).unwrap();
        assert!(whole.notional + whole.fee <= hold);
    }

    #[test]
    fn check_detects_drift() {
        let start = Balances {
            base: crate::venue::AssetBalance {
                total: q("100"),
                held: Qty::ZERO,
            },
            quote: crate::venue::AssetBalance {
                total: u("50"),
                held: Quote::ZERO,
            },
        };
        let mut l = Ledger::new(start);
        assert_eq!(l.check(0, 0), Ok(()));
        l.hold_quote(u("2.005"));
        assert!(matches!(
            l.check(0, 0),
            Err(LedgerError::Held {
                asset: Asset::Quote,
                ..
            })
        ));
        assert_eq!(l.check(u("2.005").raw().into(), 0), Ok(()));
        let amounts = FillAmounts {
            notional: u("2"),
            fee: u("0.005"),
        };
        l.buy_fill(q("20"), amounts, u("2.005")).unwrap();
        assert_eq!(l.check(0, 0), Ok(()));
        assert_eq!(l.balances().quote.total, u("47.995"));
        assert_eq!(l.balances().base.total, q("120"));
        l.bal.base.total -= q("1");
        assert!(matches!(
            l.check(0, 0),
            Err(LedgerError::Total {
                asset: Asset::Base,
                ..
            })
        ));
    }
}
