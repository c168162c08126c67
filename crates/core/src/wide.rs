//! [`Wide`]: an exact decimal with the nine fractional digits of [`Fixed`] but an `i128`
//! count of nano-units, for **running totals and valuations** that a single `Fixed` cannot
//! hold: money summed over every loop of a long run (Σ idle USD over a year of 1-second
//! loops at 10 million quote is ~3 × 10¹⁴), flows summed over every fill, and equity valued
//! at a hostile mark (`base × price` with a price of 10⁹).
//!
//! Invariants:
//! - Exact: a `Wide` is built from `Fixed` values or from the product of two, rounded once
//!   (the product of two `i64` nano-counts is < 2¹²⁶, so it is computed exactly in `i128`).
//! - Never wraps, never panics: `+`, `-` and [`Wide::times`] saturate at the `i128` range.
//!   Saturation is unreachable in practice (each addend is below 2⁹⁷ nano-units even for a
//!   product of two `Fixed::MAX`, so it takes 2³⁰ such extreme addends; one `Fixed` addend
//!   per loop would need 2⁶⁴ loops), and [`Wide::is_saturated`] reports it if it ever
//!   happens, so a total is never silently wrong.
//! - Converting back to a `Fixed` ([`Wide::to_fixed`], [`Wide::mean`]) is checked: a value
//!   outside the `Fixed` range is [`FixedError::Overflow`], never zero.
//! - Serialized as an exact decimal string, like every money value.

use std::fmt;
use std::iter::Sum;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use crate::fixed::{div_round, Fixed, FixedError, Rounding, SCALE};

/// An exact running total or valuation (nano-units in an `i128`).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Wide(i128);

impl Wide {
    pub const ZERO: Wide = Wide(0);

    /// Raw nano-units.
    pub const fn raw(self) -> i128 {
        self.0
    }

    /// From raw nano-units.
    pub const fn from_raw(raw: i128) -> Self {
        Wide(raw)
    }

    /// `a × b` exactly, rounded once to nine decimals with `mode` (e.g. `base × price`).
    pub fn product(a: Fixed, b: Fixed, mode: Rounding) -> Self {
        // |a.raw × b.raw| ≤ 2¹²⁶: exact in i128.
        Wide(div_round(
            i128::from(a.raw()) * i128::from(b.raw()),
            i128::from(SCALE),
            mode,
        ))
    }

    /// `self × r`, rounded once to nine decimals with `mode` (e.g. a fee rate applied to a
    /// total). Checked: a result beyond the `i128` range is an error.
    pub fn mul_fixed(self, r: Fixed, mode: Rounding) -> Result<Self, FixedError> {
        self.0
            .checked_mul(i128::from(r.raw()))
            .map(|p| Wide(div_round(p, i128::from(SCALE), mode)))
            .ok_or(FixedError::Overflow)
    }

    /// `self × n` (a value that repeats `n` times, e.g. over `n` identical loops).
    pub fn times(self, n: u64) -> Self {
        Wide(self.0.saturating_mul(i128::from(n)))
    }

    /// Whether a total hit the end of the `i128` range (see the module docs).
    pub const fn is_saturated(self) -> bool {
        self.0 == i128::MAX || self.0 == i128::MIN
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Back to a `Fixed`, when it fits.
    pub fn to_fixed(self) -> Result<Fixed, FixedError> {
        i64::try_from(self.0)
            .map(Fixed::from_raw)
            .map_err(|_| FixedError::Overflow)
    }

    /// `self / n`, rounded half-even to nine decimals (zero when `n` is zero).
    pub fn mean(self, n: u64) -> Result<Fixed, FixedError> {
        if n == 0 {
            return Ok(Fixed::ZERO);
        }
        Wide(div_round(self.0, i128::from(n), Rounding::HalfEven)).to_fixed()
    }

    /// Lossy, for charts and ratios only.
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / SCALE as f64
    }
}

impl From<Fixed> for Wide {
    fn from(v: Fixed) -> Self {
        Wide(i128::from(v.raw()))
    }
}

impl std::ops::Add for Wide {
    type Output = Wide;
    fn add(self, o: Wide) -> Wide {
        Wide(self.0.saturating_add(o.0))
    }
}
impl std::ops::Sub for Wide {
    type Output = Wide;
    fn sub(self, o: Wide) -> Wide {
        Wide(self.0.saturating_sub(o.0))
    }
}
impl std::ops::AddAssign for Wide {
    fn add_assign(&mut self, o: Wide) {
        *self = *self + o;
    }
}
impl std::ops::SubAssign for Wide {
    fn sub_assign(&mut self, o: Wide) {
        *self = *self - o;
    }
}
impl std::ops::Neg for Wide {
    type Output = Wide;
    fn neg(self) -> Wide {
        Wide(self.0.saturating_neg())
    }
}
impl Sum for Wide {
    fn sum<I: Iterator<Item = Wide>>(iter: I) -> Wide {
        iter.fold(Wide::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Wide {
    /// Canonical form, as [`Fixed`]: no trailing zeros, no trailing point.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let scale = SCALE as u128;
        let (int, mut frac) = (abs / scale, abs % scale);
        let text = if frac == 0 {
            format!("{sign}{int}")
        } else {
            let mut digits = 9;
            while frac % 10 == 0 {
                frac /= 10;
                digits -= 1;
            }
            format!("{sign}{int}.{frac:0digits$}")
        };
        f.pad_integral(true, "", &text)
    }
}

impl fmt::Debug for Wide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Wide {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::str::FromStr for Wide {
    type Err = FixedError;
    /// An exact decimal with at most nine decimals (what `Display` prints).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s).ok_or_else(|| FixedError::Syntax(s.to_string()))
    }
}

impl<'de> Deserialize<'de> for Wide {
    /// A decimal string with at most nine decimals (what `Serialize` writes).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).ok_or_else(|| {
            de::Error::custom(format!(
                "invalid decimal {text:?}: expected digits with an optional sign and point"
            ))
        })
    }
}

fn parse(s: &str) -> Option<Wide> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty()
        || frac.len() > 9
        || !(int.bytes().chain(frac.bytes())).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut raw: i128 = 0;
    for b in int.bytes() {
        raw = raw.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    let mut f: i128 = 0;
    for b in frac.bytes() {
        f = f * 10 + i128::from(b - b'0');
    }
    f *= 10i128.pow(9 - frac.len() as u32);
    raw = raw.checked_mul(i128::from(SCALE))?.checked_add(f)?;
    Some(Wide(if neg { -raw } else { raw }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fx(s: &str) -> Fixed {
        s.parse().unwrap()
    }

    #[test]
    fn display_table() {
        let cases = [
            ("zero", Wide::ZERO, "0"),
            ("integer", Wide::from(fx("20")), "20"),
            ("fraction", Wide::from(fx("-0.000000001")), "-0.000000001"),
            ("trailing zeros dropped", Wide::from(fx("1.5")), "1.5"),
            (
                "beyond Fixed",
                Wide::product(fx("9000000000"), fx("9000000000"), Rounding::HalfEven),
                "81000000000000000000",
            ),
        ];
        for (name, v, want) in cases {
            assert_eq!(v.to_string(), want, "{name}");
            let back: Wide = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
            assert_eq!(back, v, "{name}: JSON round trip");
        }
    }

    #[test]
    fn product_rounds_once() {
        // 1.23456789 × 1.1 = 1.358024679 exactly; 0.000000003 × 0.5 floors to 0.000000001.
        let exact = Wide::product(fx("1.23456789"), fx("1.1"), Rounding::HalfEven);
        assert_eq!(exact.to_fixed().unwrap(), fx("1.358024679"));
        let floored = Wide::product(fx("0.000000003"), fx("0.5"), Rounding::Floor);
        assert_eq!(floored.to_fixed().unwrap(), fx("0.000000001"));
    }

    #[test]
    fn a_year_of_one_second_loops_at_ten_million_quote() {
        // 31 536 000 loops × 10⁷ quote, summed one loop at a time would take a while; the
        // same total through `times` must equal the sum of a shorter run scaled up.
        let per_loop = Wide::from(fx("10000000"));
        let year = per_loop.times(31_536_000);
        assert_eq!(year.to_string(), "315360000000000");
        assert!(!year.is_saturated());
        assert_eq!(year.mean(31_536_000).unwrap(), fx("10000000"));
        // The biggest valuation a Fixed pair can produce, summed for a year of loops.
        let extreme = Wide::product(Fixed::MAX, Fixed::MAX, Rounding::HalfEven).times(31_536_000);
        assert!(!extreme.is_saturated());
    }

    #[test]
    fn out_of_range_is_an_error_never_zero() {
        let big = Wide::product(fx("9000000000"), fx("2"), Rounding::HalfEven);
        assert_eq!(big.to_fixed(), Err(FixedError::Overflow));
        assert_eq!(big.mean(1), Err(FixedError::Overflow));
        assert_eq!(Wide::from(fx("7")).mean(0), Ok(Fixed::ZERO));
    }

    #[test]
    fn saturates_instead_of_panicking() {
        let max = Wide::from_raw(i128::MAX);
        assert!((max + Wide::from(fx("1"))).is_saturated());
        assert!((-max - Wide::from(fx("2"))).is_saturated());
        assert!(max.times(3).is_saturated());
    }

    #[test]
    fn bad_text_is_refused() {
        for bad in ["", "-", "1.2.3", "1e5", "0.0000000001", "abc", ".5"] {
            assert!(
                serde_json::from_str::<Wide>(&format!("\"{bad}\"")).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn signs_and_conversions_table() {
        // (name, value, positive, negative, zero, f64)
        let cases = [
            ("positive", "2.5", true, false, false, 2.5),
            ("negative", "-0.000000001", false, true, false, -1e-9),
            ("zero", "0", false, false, true, 0.0),
        ];
        for (name, text, pos, neg, zero, float) in cases {
            let w: Wide = text.parse().unwrap();
            assert_eq!(
                (w.is_positive(), w.is_negative(), w.is_zero()),
                (pos, neg, zero),
                "{name}"
            );
            assert!((w.to_f64() - float).abs() < 1e-15, "{name}: {}", w.to_f64());
            assert_eq!(format!("{w:?}"), text, "{name}: Debug is the decimal");
        }
        assert!("x".parse::<Wide>().is_err());
    }

    #[test]
    fn in_place_arithmetic_and_scaling() {
        let mut w = Wide::from(fx("10"));
        w += Wide::from(fx("2.5"));
        assert_eq!(w, "12.5".parse().unwrap());
        w -= Wide::from(fx("0.5"));
        assert_eq!(w, "12".parse().unwrap());
        // 12 × 0.25 % of a fee rate (0.0025) = 0.03; a half-even tie rounds to even.
        assert_eq!(
            w.mul_fixed(fx("0.0025"), Rounding::HalfEven).unwrap(),
            "0.03".parse().unwrap()
        );
        let tie = Wide::from_raw(5)
            .mul_fixed(fx("0.5"), Rounding::HalfEven)
            .unwrap();
        assert_eq!(tie.raw(), 2, "2.5 nano-units to even");
        assert_eq!(
            Wide::from_raw(i128::MAX).mul_fixed(fx("2"), Rounding::HalfEven),
            Err(FixedError::Overflow)
        );
    }

    proptest! {
        #[test]
        fn sums_match_i128_arithmetic(xs in proptest::collection::vec(any::<i64>(), 0..200)) {
            let total: Wide = xs.iter().map(|&x| Wide::from(Fixed::from_raw(x))).sum();
            let exact: i128 = xs.iter().map(|&x| i128::from(x)).sum();
            prop_assert_eq!(total.raw(), exact);
            let back: Wide = serde_json::from_str(&serde_json::to_string(&total).unwrap()).unwrap();
            prop_assert_eq!(back, total);
        }
    }
}
