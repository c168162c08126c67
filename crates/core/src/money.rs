//! Typed money: [`Price`] (quote per base), [`Qty`] (base volume), [`Quote`] (quote-currency
//! amount, e.g. USD) and [`Ratio`] (dimensionless: percentages, multipliers).
//!
//! Each is a newtype over [`Fixed`], so the exactness rules of `fixed` hold for all of them,
//! and the type system keeps a price from being added to a volume. The only ways to cross
//! dimensions are the named operations below (`notional`, `qty_for`, `scale`), each with an
//! explicit rounding mode where digits can be lost.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::fixed::{Fixed, FixedError, Rounding, SCALE_DIGITS};

macro_rules! fixed_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Fixed);

        impl $name {
            pub const ZERO: $name = $name(Fixed::ZERO);

            /// A literal for constants: `lit(25, 2)` = 0.25 (see [`Fixed::lit`]).
            pub const fn lit(mantissa: i64, decimals: u32) -> Self {
                $name(Fixed::lit(mantissa, decimals))
            }
            pub const fn new(v: Fixed) -> Self {
                $name(v)
            }
            /// The underlying decimal.
            pub const fn fixed(self) -> Fixed {
                self.0
            }
            pub const fn from_raw(raw: i64) -> Self {
                $name(Fixed::from_raw(raw))
            }
            pub const fn raw(self) -> i64 {
                self.0.raw()
            }
            /// `mantissa × 10^-decimals`.
            pub fn from_parts(mantissa: i64, decimals: u32) -> Result<Self, FixedError> {
                Fixed::from_parts(mantissa, decimals).map($name)
            }
            pub fn from_int(v: i64) -> Result<Self, FixedError> {
                Fixed::from_int(v).map($name)
            }
            /// See [`Fixed::from_f64`]: for float-only inputs, never for arithmetic.
            pub fn from_f64(v: f64, mode: Rounding) -> Result<Self, FixedError> {
                Fixed::from_f64(v, mode).map($name)
            }
            /// Lossy, for estimators and display only.
            pub fn to_f64(self) -> f64 {
                self.0.to_f64()
            }
            pub const fn is_zero(self) -> bool {
                self.0.is_zero()
            }
            pub const fn is_positive(self) -> bool {
                self.0.is_positive()
            }
            pub const fn is_negative(self) -> bool {
                self.0.is_negative()
            }
            pub const fn abs(self) -> Self {
                $name(self.0.abs())
            }
            pub fn round_dp(self, decimals: u32, mode: Rounding) -> Result<Self, FixedError> {
                self.0.round_dp(decimals, mode).map($name)
            }
            pub fn round_to(self, step: Self, mode: Rounding) -> Result<Self, FixedError> {
                self.0.round_to(step.0, mode).map($name)
            }
            /// Multiply by a dimensionless ratio, rounded once to `decimals` places.
            pub fn scale(self, r: Ratio, decimals: u32, mode: Rounding) -> Result<Self, FixedError> {
                self.0.mul_round(r.fixed(), decimals, mode).map($name)
            }
            /// `self / other` as a dimensionless ratio (9 decimals, half-even).
            pub fn ratio_to(self, other: Self) -> Result<Ratio, FixedError> {
                self.0.div_round(other.0, SCALE_DIGITS, Rounding::HalfEven).map(Ratio::new)
            }
            pub fn checked_add(self, o: Self) -> Result<Self, FixedError> {
                self.0.checked_add(o.0).map($name)
            }
            pub fn checked_sub(self, o: Self) -> Result<Self, FixedError> {
                self.0.checked_sub(o.0).map($name)
            }
        }

        impl FromStr for $name {
            type Err = FixedError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
        impl From<$name> for crate::wide::Wide {
            fn from(v: $name) -> crate::wide::Wide {
                crate::wide::Wide::from(v.0)
            }
        }
        impl std::ops::Add for $name {
            type Output = $name;
            fn add(self, o: $name) -> $name {
                $name(self.0 + o.0)
            }
        }
        impl std::ops::Sub for $name {
            type Output = $name;
            fn sub(self, o: $name) -> $name {
                $name(self.0 - o.0)
            }
        }
        impl std::ops::AddAssign for $name {
            fn add_assign(&mut self, o: $name) {
                self.0 = self.0 + o.0;
            }
        }
        impl std::ops::SubAssign for $name {
            fn sub_assign(&mut self, o: $name) {
                self.0 = self.0 - o.0;
            }
        }
        impl std::ops::Neg for $name {
            type Output = $name;
            fn neg(self) -> $name {
                $name(-self.0)
            }
        }
        impl std::iter::Sum for $name {
            fn sum<I: Iterator<Item = $name>>(iter: I) -> $name {
                iter.fold($name::ZERO, |a, b| a + b)
            }
        }
    };
}

fixed_newtype!(
    /// A limit or fill price: quote currency per unit of base.
    Price
);
fixed_newtype!(
    /// A base-currency volume (e.g. DOGE).
    Qty
);
fixed_newtype!(
    /// An amount of quote currency (e.g. USD): balances, notionals, fees, profit.
    Quote
);
fixed_newtype!(
    /// A dimensionless decimal: percentages (0.2 = 0.2 %), multipliers (1.5 = ×1.5).
    Ratio
);

impl Ratio {
    pub const ONE: Ratio = Ratio(Fixed::ONE);
    /// 100, for percent conversions.
    pub const HUNDRED: Ratio = Ratio(Fixed::from_raw(100 * crate::fixed::SCALE));

    /// `pct / 100` exactly (a percentage as a fraction), rounded half-even at 9 decimals
    /// only if the percentage itself has 8–9 decimals.
    pub fn percent(self) -> Result<Ratio, FixedError> {
        self.0
            .div_round(Self::HUNDRED.0, SCALE_DIGITS, Rounding::HalfEven)
            .map(Ratio)
    }

    /// `self × o` at 9 decimals (half-even).
    pub fn times(self, o: Ratio) -> Result<Ratio, FixedError> {
        self.0
            .mul_round(o.0, SCALE_DIGITS, Rounding::HalfEven)
            .map(Ratio)
    }
}

impl Price {
    /// `price × qty` in quote currency. The exact product (18 decimals, `i128`) is rounded once
    /// to 9 decimals with `mode`; overflow of the result is an error, never a wrap.
    pub fn notional(self, qty: Qty, mode: Rounding) -> Result<Quote, FixedError> {
        self.0.mul_round(qty.fixed(), SCALE_DIGITS, mode).map(Quote)
    }
}

impl Quote {
    /// How much base `self` buys at `price`, rounded once to `decimals` places with `mode`.
    pub fn qty_for(self, price: Price, decimals: u32, mode: Rounding) -> Result<Qty, FixedError> {
        self.0.div_round(price.fixed(), decimals, mode).map(Qty)
    }

    /// `self × pct / 100` (e.g. a fee at a percentage rate), rounded to 9 decimals.
    pub fn pct_of(self, pct: Ratio, mode: Rounding) -> Result<Quote, FixedError> {
        let frac = pct.percent()?;
        self.0
            .mul_round(frac.fixed(), SCALE_DIGITS, mode)
            .map(Quote)
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

    #[test]
    fn notional_is_exact() {
        assert_eq!(
            p("0.100798").notional(q("20"), Rounding::HalfEven).unwrap(),
            u("2.01596")
        );
        // 1.23456789 × 1.1 = 1.358024679 exactly at 9 dp.
        assert_eq!(
            p("1.23456789")
                .notional(q("1.1"), Rounding::HalfEven)
                .unwrap(),
            u("1.358024679")
        );
        // Beyond 9 dp: rounded once, by the named mode.
        assert_eq!(
            p("0.000000003")
                .notional(q("0.5"), Rounding::Floor)
                .unwrap(),
            u("0.000000001")
        );
        assert_eq!(
            p("0.000000003").notional(q("0.5"), Rounding::Ceil).unwrap(),
            u("0.000000002")
        );
    }

    #[test]
    fn notional_overflow_is_an_error() {
        let big = Price::from_int(3_000_000_000).unwrap();
        assert_eq!(
            big.notional(Qty::from_int(4).unwrap(), Rounding::HalfEven),
            Err(FixedError::Overflow)
        );
    }

    #[test]
    fn qty_for_rounds_to_lot() {
        // The origin's worked example: $2 at 0.0998 → round(20.04) = 20.
        assert_eq!(
            u("2").qty_for(p("0.0998"), 0, Rounding::HalfEven).unwrap(),
            q("20")
        );
        assert_eq!(
            u("2").qty_for(p("0.1002"), 0, Rounding::HalfEven).unwrap(),
            q("20")
        );
        assert_eq!(
            u("10").qty_for(p("3"), 3, Rounding::TowardZero).unwrap(),
            q("3.333")
        );
    }

    #[test]
    fn fee_as_pct_of_notional() {
        // 0.25 % of 1.996 = 0.00499
        assert_eq!(
            u("1.996").pct_of(r("0.25"), Rounding::HalfEven).unwrap(),
            u("0.00499")
        );
    }

    #[test]
    fn percent_and_scale() {
        assert_eq!(r("0.2").percent().unwrap(), r("0.002"));
        let down = Ratio::ONE - r("0.003");
        assert_eq!(
            p("0.1").scale(down, 6, Rounding::HalfEven).unwrap(),
            p("0.0997")
        );
        assert_eq!(r("0.5").times(r("3")).unwrap(), r("1.5"));
    }

    #[test]
    fn debug_names_the_type() {
        assert_eq!(format!("{:?}", p("1.5")), "Price(1.5)");
    }
}
