//! `Fixed`: the exact decimal number every money type is built on.
//!
//! A `Fixed` is an `i64` count of nano-units (10⁻⁹), so it holds every value with at most
//! [`SCALE_DIGITS`] decimals exactly, up to ±9.2 × 10⁹. That covers every price, quantity
//! and quote balance a spot grid or market maker handles (DOGE volumes, SOL prices, USD
//! balances) with room to spare.
//!
//! Invariants:
//! - Values are parsed from and printed to decimal strings digit by digit; no `f64` is
//!   involved on that path, so `s.parse::<Fixed>()?.to_string()` is the canonical form of `s`.
//! - Every operation that can lose digits (products, quotients, rounding to a step) takes an
//!   explicit [`Rounding`] mode and rounds the *exact* rational result once: there is no
//!   double rounding through an intermediate precision.
//! - Products and quotients are computed in `i128`, so the intermediate never overflows; a
//!   result that does not fit back into `i64` is reported as [`FixedError::Overflow`].
//! - `+`/`-` use plain `i64` arithmetic; the workspace builds with `overflow-checks = true`
//!   in every profile, so an overflow panics instead of wrapping (it cannot happen for
//!   realistic balances, but must never corrupt one silently).

use std::fmt;
use std::str::FromStr;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Number of decimal digits a `Fixed` keeps.
pub const SCALE_DIGITS: u32 = 9;
/// Raw units per 1.0.
pub const SCALE: i64 = 1_000_000_000;

/// How to round a value that has more digits than the target precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// To nearest; ties to the even neighbour (Python's `round`, the origin's mode).
    HalfEven,
    /// To nearest; ties away from zero.
    HalfAwayFromZero,
    /// Toward −∞ (a buy price that must not exceed its target).
    Floor,
    /// Toward +∞ (a sell price that must not undercut its target).
    Ceil,
    /// Toward zero (truncation: a volume that must not exceed the funds behind it).
    TowardZero,
}

/// Errors from parsing or computing with fixed-point values.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum FixedError {
    #[error("invalid decimal {0:?}: expected digits with an optional sign and decimal point")]
    Syntax(String),
    #[error("decimal {0:?} has more than 9 decimal places")]
    TooPrecise(String),
    #[error("value out of range (overflow)")]
    Overflow,
    #[error("division by zero")]
    DivisionByZero,
    #[error("decimal places {0} exceed the supported 9")]
    Decimals(u32),
    #[error("not a finite number: {0}")]
    NotFinite(String),
    #[error("rounding step must be positive")]
    Step,
}

/// Divide `num` by `den` (den ≠ 0) and round the exact quotient with `mode`.
pub fn div_round(num: i128, den: i128, mode: Rounding) -> i128 {
    debug_assert!(den != 0);
    let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
    // Most operands fit in 64 bits, where division is a single instruction; the 128-bit
    // routine is a library call an order of magnitude slower.
    let (q, r) = match (i64::try_from(num), i64::try_from(den)) {
        (Ok(n), Ok(d)) => (n.div_euclid(d) as i128, n.rem_euclid(d) as i128),
        _ => (num.div_euclid(den), num.rem_euclid(den)),
    };
    // q = floor(num / den), 0 <= r < den
    if r == 0 {
        return q;
    }
    let up = q + 1;
    match mode {
        Rounding::Floor => q,
        Rounding::Ceil => up,
        Rounding::TowardZero => {
            if q < 0 {
                up
            } else {
                q
            }
        }
        Rounding::HalfEven | Rounding::HalfAwayFromZero => match (2 * r).cmp(&den) {
            std::cmp::Ordering::Less => q,
            std::cmp::Ordering::Greater => up,
            std::cmp::Ordering::Equal => match mode {
                Rounding::HalfEven => {
                    if q.rem_euclid(2) == 0 {
                        q
                    } else {
                        up
                    }
                }
                // Tie: the exact value is q + 0.5; away from zero means up when it is ≥ 0.
                _ => {
                    if up > 0 {
                        up
                    } else {
                        q
                    }
                }
            },
        },
    }
}

/// 10^d for d ≤ 38 (a table: `i128::pow` in hot paths shows up in profiles).
fn pow10(d: u32) -> i128 {
    const TABLE: [i128; 39] = {
        let mut t = [1i128; 39];
        let mut i = 1;
        while i < 39 {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };
    TABLE[d as usize]
}

fn narrow(v: i128) -> Result<i64, FixedError> {
    i64::try_from(v).map_err(|_| FixedError::Overflow)
}

/// An exact decimal with nine fractional digits (raw `i64` nano-units).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fixed(i64);

impl Fixed {
    pub const ZERO: Fixed = Fixed(0);
    pub const ONE: Fixed = Fixed(SCALE);
    pub const MAX: Fixed = Fixed(i64::MAX);

    /// Build from raw nano-units.
    pub const fn from_raw(raw: i64) -> Self {
        Fixed(raw)
    }

    /// Raw nano-units.
    pub const fn raw(self) -> i64 {
        self.0
    }

    /// An integer value.
    pub fn from_int(v: i64) -> Result<Self, FixedError> {
        v.checked_mul(SCALE).map(Fixed).ok_or(FixedError::Overflow)
    }

    /// A literal `mantissa × 10^-decimals` for constants, e.g. `lit(25, 2)` = 0.25.
    /// Meant for `const` items, where a bad literal is a compile error.
    pub const fn lit(mantissa: i64, decimals: u32) -> Self {
        assert!(decimals <= SCALE_DIGITS, "literal has more than 9 decimals");
        Fixed(mantissa * 10i64.pow(SCALE_DIGITS - decimals))
    }

    /// `mantissa × 10^-decimals`, e.g. `(2, 1)` = 0.2.
    pub fn from_parts(mantissa: i64, decimals: u32) -> Result<Self, FixedError> {
        if decimals > SCALE_DIGITS {
            return Err(FixedError::Decimals(decimals));
        }
        narrow(mantissa as i128 * pow10(SCALE_DIGITS - decimals)).map(Fixed)
    }

    /// Convert a binary float through its shortest round-trip decimal representation
    /// (so `0.2_f64` becomes exactly 0.2), then round to nine decimals with `mode`.
    /// For config files and market-data feeds that only offer floats; never for arithmetic.
    pub fn from_f64(v: f64, mode: Rounding) -> Result<Self, FixedError> {
        if !v.is_finite() {
            return Err(FixedError::NotFinite(v.to_string()));
        }
        // `{}` on f64 prints the shortest digits that round-trip, never in exponent form.
        let text = format!("{v}");
        parse_decimal(&text, Some(mode))
    }

    /// Lossy conversion for estimators and controllers (EMA, PD output), never for money.
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / SCALE as f64
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }
    pub const fn abs(self) -> Self {
        Fixed(self.0.abs())
    }

    pub fn checked_add(self, o: Self) -> Result<Self, FixedError> {
        self.0
            .checked_add(o.0)
            .map(Fixed)
            .ok_or(FixedError::Overflow)
    }
    pub fn checked_sub(self, o: Self) -> Result<Self, FixedError> {
        self.0
            .checked_sub(o.0)
            .map(Fixed)
            .ok_or(FixedError::Overflow)
    }

    /// `self × o`, rounded to `decimals` places with `mode` (one rounding of the exact product).
    pub fn mul_round(self, o: Self, decimals: u32, mode: Rounding) -> Result<Self, FixedError> {
        if decimals > SCALE_DIGITS {
            return Err(FixedError::Decimals(decimals));
        }
        // Exact product has 18 decimals; bring it to `decimals` and back to 9.
        let unit = pow10(2 * SCALE_DIGITS - decimals);
        let units = div_round(self.0 as i128 * o.0 as i128, unit, mode);
        narrow(units * pow10(SCALE_DIGITS - decimals)).map(Fixed)
    }

    /// `self ÷ o`, rounded to `decimals` places with `mode`.
    pub fn div_round(self, o: Self, decimals: u32, mode: Rounding) -> Result<Self, FixedError> {
        if decimals > SCALE_DIGITS {
            return Err(FixedError::Decimals(decimals));
        }
        if o.0 == 0 {
            return Err(FixedError::DivisionByZero);
        }
        let units = div_round(self.0 as i128 * pow10(decimals), o.0 as i128, mode);
        narrow(units * pow10(SCALE_DIGITS - decimals)).map(Fixed)
    }

    /// Round to `decimals` places.
    pub fn round_dp(self, decimals: u32, mode: Rounding) -> Result<Self, FixedError> {
        if decimals > SCALE_DIGITS {
            return Err(FixedError::Decimals(decimals));
        }
        self.round_to(Fixed(pow10(SCALE_DIGITS - decimals) as i64), mode)
    }

    /// Round to a multiple of `step` (a tick or a lot).
    pub fn round_to(self, step: Self, mode: Rounding) -> Result<Self, FixedError> {
        if step.0 <= 0 {
            return Err(FixedError::Step);
        }
        let n = div_round(self.0 as i128, step.0 as i128, mode);
        narrow(n * step.0 as i128).map(Fixed)
    }

    /// Number of decimals actually used (0..=9), e.g. 0.0998 → 4.
    pub fn decimals_used(self) -> u32 {
        let mut raw = self.0;
        let mut d = SCALE_DIGITS;
        while d > 0 && raw % 10 == 0 {
            raw /= 10;
            d -= 1;
        }
        d
    }
}

fn parse_decimal(s: &str, rounding: Option<Rounding>) -> Result<Fixed, FixedError> {
    let syntax = || FixedError::Syntax(s.to_string());
    let t = s.trim();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(syntax());
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(syntax());
    }
    // Integer part, as nano-units (leading zeros allowed).
    let mut int_val: i128 = 0;
    for b in int_part.bytes() {
        int_val = int_val * 10 + (b - b'0') as i128;
        if int_val > i64::MAX as i128 {
            return Err(FixedError::Overflow);
        }
    }
    let kept = frac_part.len().min(SCALE_DIGITS as usize);
    let mut frac_val: i128 = 0;
    for b in frac_part[..kept].bytes() {
        frac_val = frac_val * 10 + (b - b'0') as i128;
    }
    frac_val *= pow10(SCALE_DIGITS - kept as u32);
    let magnitude = int_val * SCALE as i128 + frac_val;
    let signed = if neg { -1 } else { 1 };
    let rest = &frac_part[kept..];
    let value = if rest.bytes().any(|b| b != b'0') {
        let Some(mode) = rounding else {
            return Err(FixedError::TooPrecise(s.to_string()));
        };
        // Round the exact value `magnitude.rest…` (nano-units) to whole nano-units.
        let digits = rest.len().min(30);
        let mut tail: i128 = 0;
        for b in rest[..digits].bytes() {
            tail = tail * 10 + (b - b'0') as i128;
        }
        // A sticky bit for digits past the 30th keeps ties exact however long the tail.
        let beyond = i128::from(rest[digits..].bytes().any(|b| b != b'0'));
        let den = pow10(digits as u32) * 2;
        div_round(
            signed * ((magnitude * pow10(digits as u32) + tail) * 2 + beyond),
            den,
            mode,
        )
    } else {
        signed * magnitude
    };
    narrow(value).map(Fixed)
}

/// Lenient exact parse for data feeds: like [`str::parse`] but also accepts exponent notation
/// (`1e-06`, `1.2E+3`, `5e2`) and more than nine decimals, which are rounded **once**, with
/// `mode`, from the exact decimal value (no `f64` anywhere). Leading/trailing whitespace is
/// ignored. A value beyond the `Fixed` range is [`FixedError::Overflow`]; anything that is not
/// `[sign] digits [. digits] [(e|E) [sign] digits]` (at least one mantissa digit) is
/// [`FixedError::Syntax`].
pub fn parse_lenient(s: &str, mode: Rounding) -> Result<Fixed, FixedError> {
    let syntax = || FixedError::Syntax(s.to_string());
    let t = s.trim().as_bytes();
    let (neg, body) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    // Split off the exponent.
    let (mant, exp) = match body.iter().position(|&b| b == b'e' || b == b'E') {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let exp: i128 = match exp {
        None => 0,
        Some(e) => {
            let (eneg, edigits) = match e.first() {
                Some(b'-') => (true, &e[1..]),
                Some(b'+') => (false, &e[1..]),
                _ => (false, e),
            };
            if edigits.is_empty() || !edigits.iter().all(u8::is_ascii_digit) {
                return Err(syntax());
            }
            // Saturate: any exponent beyond ±10^18 already means "overflow" or "rounds to 0".
            let mut v: i128 = 0;
            for &b in edigits {
                v = (v * 10 + i128::from(b - b'0')).min(1_000_000_000_000_000_000);
            }
            if eneg {
                -v
            } else {
                v
            }
        }
    };
    let (int_part, frac_part) = match mant.iter().position(|&b| b == b'.') {
        Some(i) => (&mant[..i], &mant[i + 1..]),
        None => (mant, &mant[mant.len()..]),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(syntax());
    }
    if !int_part.iter().all(u8::is_ascii_digit) || !frac_part.iter().all(u8::is_ascii_digit) {
        return Err(syntax());
    }
    // The value is D × 10^(exp − frac_len) where D is the digit string int_part ‖ frac_part;
    // in nano-units it is D × 10^k with k = exp − frac_len + 9.
    let n = (int_part.len() + frac_part.len()) as i128;
    let digit = |i: i128| -> i128 {
        let i = i as usize;
        let b = if i < int_part.len() {
            int_part[i]
        } else {
            frac_part[i - int_part.len()]
        };
        i128::from(b - b'0')
    };
    // Magnitude bound while accumulating: |i64::MIN| nano-units.
    let limit = i128::from(i64::MAX) + 1;
    let sign: i128 = if neg { -1 } else { 1 };
    let k = exp - frac_part.len() as i128 + i128::from(SCALE_DIGITS);
    let value = if k >= 0 {
        let mut acc: i128 = 0;
        for i in 0..n {
            acc = acc * 10 + digit(i);
            if acc > limit {
                return Err(FixedError::Overflow);
            }
        }
        if acc != 0 {
            if k > 19 {
                return Err(FixedError::Overflow);
            }
            acc *= pow10(k as u32);
            if acc > limit {
                return Err(FixedError::Overflow);
            }
        }
        sign * acc
    } else {
        // Round D / 10^m, m = −k: the last m digits of D (conceptually zero-padded on the
        // left) are the part below one nano-unit.
        let m = -k;
        let split = n - m; // digits before the split are whole nano-units (may be ≤ 0)
        let mut head: i128 = 0;
        for i in 0..split.max(0) {
            head = head * 10 + digit(i);
            if head > limit {
                return Err(FixedError::Overflow);
            }
        }
        // The first `kept` digits of the tail exactly, the rest as a sticky bit; 18 digits
        // keep `head × 10^18 × 2` inside i128, and the sticky bit keeps ties exact.
        let kept = m.min(18);
        let mut tail: i128 = 0;
        for j in 0..kept {
            let i = split + j;
            tail = tail * 10 + if i >= 0 { digit(i) } else { 0 };
        }
        let beyond = ((split + kept).max(0)..n).any(|i| digit(i) != 0);
        let den = pow10(kept as u32) * 2;
        div_round(
            sign * ((head * pow10(kept as u32) + tail) * 2 + i128::from(beyond)),
            den,
            mode,
        )
    };
    narrow(value).map(Fixed)
}

impl FromStr for Fixed {
    type Err = FixedError;
    /// Exact parse: more than nine significant decimals is an error, never a silent rounding.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_decimal(s, None)
    }
}

impl fmt::Display for Fixed {
    /// Canonical form: no trailing zeros, no trailing point; `{:.N}` pads or rounds
    /// (half-even) to N decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (value, digits) = match f.precision() {
            Some(p) => {
                let p = (p as u32).min(SCALE_DIGITS);
                let v = self.round_dp(p, Rounding::HalfEven).unwrap_or(*self);
                (v, p)
            }
            None => (*self, self.decimals_used()),
        };
        let raw = value.0 as i128;
        let sign = if raw < 0 { "-" } else { "" };
        let abs = raw.abs();
        let int = abs / SCALE as i128;
        let frac = abs % SCALE as i128;
        let text = if digits == 0 {
            format!("{sign}{int}")
        } else {
            let frac = frac / pow10(SCALE_DIGITS - digits);
            format!("{sign}{int}.{frac:0width$}", width = digits as usize)
        };
        f.pad_integral(true, "", &text)
    }
}

impl fmt::Debug for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Fixed {
    /// As a decimal string, so JSON round-trips exactly.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fixed {
    /// Accepts a decimal string (exact) or a number (integers exactly; floats through their
    /// shortest decimal form, so a TOML `0.2` is exactly 0.2).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Fixed;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number with at most 9 decimals")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Fixed, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Fixed, E> {
                Fixed::from_int(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Fixed, E> {
                let v = i64::try_from(v).map_err(|_| E::custom(FixedError::Overflow))?;
                Fixed::from_int(v).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Fixed, E> {
                if !v.is_finite() {
                    return Err(E::custom(FixedError::NotFinite(v.to_string())));
                }
                parse_decimal(&format!("{v}"), None).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl std::ops::Add for Fixed {
    type Output = Fixed;
    fn add(self, o: Fixed) -> Fixed {
        Fixed(self.0 + o.0)
    }
}
impl std::ops::Sub for Fixed {
    type Output = Fixed;
    fn sub(self, o: Fixed) -> Fixed {
        Fixed(self.0 - o.0)
    }
}
impl std::ops::Neg for Fixed {
    type Output = Fixed;
    fn neg(self) -> Fixed {
        Fixed(-self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn f(s: &str) -> Fixed {
        s.parse().unwrap()
    }

    #[test]
    fn parse_and_print_table() {
        let cases = [
            ("integer", "20", "20"),
            ("fraction", "0.0998", "0.0998"),
            ("trailing zeros dropped", "1.500000", "1.5"),
            ("leading point", ".5", "0.5"),
            ("trailing point", "7.", "7"),
            ("negative", "-0.000000001", "-0.000000001"),
            ("plus sign", "+3.25", "3.25"),
            ("surplus zero digits", "0.1000000000000", "0.1"),
            ("nine decimals", "123.123456789", "123.123456789"),
        ];
        for (name, input, want) in cases {
            assert_eq!(f(input).to_string(), want, "case {name}");
        }
    }

    #[test]
    fn parse_errors_table() {
        let cases = [
            ("empty", ""),
            ("just a point", "."),
            ("letters", "1a"),
            ("exponent", "1e5"),
            ("two points", "1.2.3"),
            ("ten significant decimals", "0.1234567891"),
            ("too large", "99999999999"),
        ];
        for (name, input) in cases {
            assert!(input.parse::<Fixed>().is_err(), "case {name} should fail");
        }
        assert!(matches!(
            "0.0000000001".parse::<Fixed>(),
            Err(FixedError::TooPrecise(_))
        ));
    }

    #[test]
    fn rounding_modes_table() {
        // (name, value, decimals, mode, expected)
        let cases = [
            (
                "half-even tie down",
                "0.00125",
                4,
                Rounding::HalfEven,
                "0.0012",
            ),
            (
                "half-even tie to even",
                "0.1002500",
                4,
                Rounding::HalfEven,
                "0.1002",
            ),
            (
                "half-even tie up to even",
                "0.1003500",
                4,
                Rounding::HalfEven,
                "0.1004",
            ),
            (
                "half-even above tie",
                "20.5000001",
                0,
                Rounding::HalfEven,
                "21",
            ),
            ("half-even integer tie", "20.5", 0, Rounding::HalfEven, "20"),
            (
                "half-even integer tie odd",
                "21.5",
                0,
                Rounding::HalfEven,
                "22",
            ),
            ("half away tie", "20.5", 0, Rounding::HalfAwayFromZero, "21"),
            (
                "half away negative tie",
                "-20.5",
                0,
                Rounding::HalfAwayFromZero,
                "-21",
            ),
            ("floor positive", "1.99", 0, Rounding::Floor, "1"),
            ("floor negative", "-1.01", 0, Rounding::Floor, "-2"),
            ("ceil positive", "1.01", 0, Rounding::Ceil, "2"),
            ("ceil negative", "-1.99", 0, Rounding::Ceil, "-1"),
            (
                "toward zero negative",
                "-1.99",
                0,
                Rounding::TowardZero,
                "-1",
            ),
            ("exact stays", "0.0998", 6, Rounding::Ceil, "0.0998"),
        ];
        for (name, v, dp, mode, want) in cases {
            assert_eq!(f(v).round_dp(dp, mode).unwrap(), f(want), "case {name}");
        }
    }

    #[test]
    fn round_to_step() {
        assert_eq!(
            f("0.1237")
                .round_to(f("0.005"), Rounding::HalfEven)
                .unwrap(),
            f("0.125")
        );
        assert_eq!(
            f("0.1237").round_to(f("0.005"), Rounding::Floor).unwrap(),
            f("0.12")
        );
        assert!(f("1").round_to(Fixed::ZERO, Rounding::Floor).is_err());
    }

    #[test]
    fn mul_and_div_round_exactly_once() {
        // 0.1 × (1 − 0.002) = 0.0998 exactly.
        assert_eq!(
            f("0.1")
                .mul_round(f("0.998"), 6, Rounding::HalfEven)
                .unwrap(),
            f("0.0998")
        );
        // 2 / 0.0998 = 20.0400801… → 20 at 0 dp.
        assert_eq!(
            f("2")
                .div_round(f("0.0998"), 0, Rounding::HalfEven)
                .unwrap(),
            f("20")
        );
        // A product just above a tie must not be rounded down by an intermediate step:
        // 0.000000001 × 0.5 = 5e-10, a tie at 9 dp → even (0); × 0.500000001 → above → 1e-9.
        assert_eq!(
            f("0.000000001")
                .mul_round(f("0.5"), 9, Rounding::HalfEven)
                .unwrap(),
            Fixed::ZERO
        );
        assert_eq!(
            f("0.000000001")
                .mul_round(f("0.500000001"), 9, Rounding::HalfEven)
                .unwrap(),
            f("0.000000001")
        );
        assert_eq!(
            f("1").div_round(Fixed::ZERO, 2, Rounding::Floor),
            Err(FixedError::DivisionByZero)
        );
        assert_eq!(
            Fixed::MAX.mul_round(f("2"), 9, Rounding::Floor),
            Err(FixedError::Overflow)
        );
    }

    #[test]
    fn from_f64_uses_shortest_decimal() {
        assert_eq!(Fixed::from_f64(0.2, Rounding::HalfEven).unwrap(), f("0.2"));
        assert_eq!(
            Fixed::from_f64(0.1 + 0.2, Rounding::HalfEven).unwrap(),
            f("0.3")
        );
        assert_eq!(
            Fixed::from_f64(1e-5, Rounding::HalfEven).unwrap(),
            f("0.00001")
        );
        assert_eq!(
            Fixed::from_f64(1.0000000005, Rounding::HalfEven).unwrap(),
            f("1")
        );
        assert_eq!(
            Fixed::from_f64(1.0000000015, Rounding::HalfEven).unwrap(),
            f("1.000000002")
        );
        assert_eq!(
            Fixed::from_f64(-1.0000000015, Rounding::Floor).unwrap(),
            f("-1.000000002")
        );
        assert!(Fixed::from_f64(f64::NAN, Rounding::HalfEven).is_err());
    }

    #[test]
    fn parse_lenient_table() {
        use Rounding::*;
        // (name, input, mode, expected canonical value)
        let cases = [
            ("plain", "0.2412", HalfEven, "0.2412"),
            ("integer", "20", HalfEven, "20"),
            ("negative", "-1.5", HalfEven, "-1.5"),
            ("whitespace", "  7.25 ", HalfEven, "7.25"),
            ("exponent negative", "1e-06", HalfEven, "0.000001"),
            ("exponent upper plus", "1.2E+3", HalfEven, "1200"),
            ("exponent no sign", "5e2", HalfEven, "500"),
            ("exponent fraction", "2.5e-1", HalfEven, "0.25"),
            ("exponent leading point", ".5e1", HalfEven, "5"),
            ("exponent trailing point", "7.e0", HalfEven, "7"),
            ("exponent smallest unit", "1e-9", HalfEven, "0.000000001"),
            ("exponent below unit half-even tie", "5e-10", HalfEven, "0"),
            ("exponent below unit ceil", "1e-10", Ceil, "0.000000001"),
            ("exponent far below unit floor", "1e-400", Floor, "0"),
            (
                "exponent far below unit ceil",
                "1e-400",
                Ceil,
                "0.000000001",
            ),
            (
                "negative far below unit floor",
                "-1e-400",
                Floor,
                "-0.000000001",
            ),
            (
                "zero with huge exponent",
                "0e999999999999999999999",
                HalfEven,
                "0",
            ),
            (
                "freqtrade float noise",
                "2554077.1000000001",
                HalfEven,
                "2554077.1",
            ),
            (
                "float noise below",
                "6104598.0999999996",
                HalfEven,
                "6104598.1",
            ),
            (
                "ten decimals truncated",
                "0.1234567899",
                TowardZero,
                "0.123456789",
            ),
            ("tie to even down", "0.0000000025", HalfEven, "0.000000002"),
            ("tie to even up", "0.0000000035", HalfEven, "0.000000004"),
            ("tie away", "0.0000000025", HalfAwayFromZero, "0.000000003"),
            (
                "negative tie away",
                "-0.0000000025",
                HalfAwayFromZero,
                "-0.000000003",
            ),
            (
                "sticky digit past 18 breaks a tie",
                "0.00000000250000000000000000001",
                HalfEven,
                "0.000000003",
            ),
            (
                "long exact tail zeros",
                "1.50000000000000000000000000",
                Floor,
                "1.5",
            ),
            (
                "max value",
                "9223372036.854775807",
                HalfEven,
                "9223372036.854775807",
            ),
            (
                "max value in exponent form",
                "9.223372036854775807e9",
                HalfEven,
                "9223372036.854775807",
            ),
            (
                "min value",
                "-9223372036.854775808",
                HalfEven,
                "-9223372036.854775808",
            ),
        ];
        for (name, input, mode, want) in cases {
            let got = parse_lenient(input, mode).unwrap_or_else(|e| panic!("case {name}: {e}"));
            let want = if want.starts_with("-9223372036") {
                Fixed::from_raw(i64::MIN)
            } else {
                f(want)
            };
            assert_eq!(got, want, "case {name}");
        }
    }

    #[test]
    fn parse_lenient_errors_table() {
        let cases = [
            ("empty", "", FixedError::Syntax(String::new())),
            ("just a point", ".", FixedError::Syntax(".".into())),
            ("letters", "1a", FixedError::Syntax("1a".into())),
            ("no exponent digits", "1e", FixedError::Syntax("1e".into())),
            (
                "exponent sign only",
                "1e-",
                FixedError::Syntax("1e-".into()),
            ),
            ("no mantissa", "e5", FixedError::Syntax("e5".into())),
            ("two exponents", "1e2e3", FixedError::Syntax("1e2e3".into())),
            (
                "fractional exponent",
                "1e2.5",
                FixedError::Syntax("1e2.5".into()),
            ),
            ("two points", "1.2.3", FixedError::Syntax("1.2.3".into())),
            ("inner space", "1 e5", FixedError::Syntax("1 e5".into())),
            ("nan", "NaN", FixedError::Syntax("NaN".into())),
            ("infinity", "inf", FixedError::Syntax("inf".into())),
            ("too large", "99999999999", FixedError::Overflow),
            ("too large by exponent", "1e10", FixedError::Overflow),
            (
                "huge exponent",
                "1e999999999999999999999",
                FixedError::Overflow,
            ),
            (
                "just above max",
                "9223372036.854775808",
                FixedError::Overflow,
            ),
            (
                "long integer",
                "1234567890123456789012345678901234567890",
                FixedError::Overflow,
            ),
        ];
        for (name, input, want) in cases {
            assert_eq!(
                parse_lenient(input, Rounding::HalfEven),
                Err(want),
                "case {name}"
            );
        }
    }

    proptest! {
        #[test]
        fn parse_lenient_agrees_with_exact_parse(raw in any::<i64>()) {
            let x = Fixed::from_raw(raw);
            prop_assert_eq!(parse_lenient(&x.to_string(), Rounding::Floor), Ok(x));
        }

        #[test]
        fn parse_lenient_exponent_equals_shifted_decimal(
            m in 0u64..1_000_000_000_000,
            e in 0u32..26,
            neg in any::<bool>(),
            mode in prop_oneof![
                Just(Rounding::HalfEven),
                Just(Rounding::HalfAwayFromZero),
                Just(Rounding::Floor),
                Just(Rounding::Ceil),
                Just(Rounding::TowardZero),
            ],
        ) {
            // m × 10^-e written out as a plain decimal, rounded by the reference parser.
            let digits = format!("{m:0>width$}", width = e as usize + 1);
            let (int, frac) = digits.split_at(digits.len() - e as usize);
            let sign = if neg { "-" } else { "" };
            let plain = format!("{sign}{int}.{frac}");
            let reference = parse_decimal(&plain, Some(mode));
            prop_assert_eq!(parse_lenient(&format!("{sign}{m}e-{e}"), mode), reference.clone());
            prop_assert_eq!(parse_lenient(&format!("{sign}{m}E-{e}"), mode), reference);
        }
    }

    #[test]
    fn serde_is_a_string_and_accepts_numbers() {
        assert_eq!(serde_json::to_string(&f("0.0998")).unwrap(), "\"0.0998\"");
        assert_eq!(
            serde_json::from_str::<Fixed>("\"0.0998\"").unwrap(),
            f("0.0998")
        );
        assert_eq!(serde_json::from_str::<Fixed>("0.2").unwrap(), f("0.2"));
        assert_eq!(serde_json::from_str::<Fixed>("13").unwrap(), f("13"));
        assert!(serde_json::from_str::<Fixed>("\"abc\"").is_err());
    }

    #[test]
    fn precision_formatting() {
        assert_eq!(format!("{:.4}", f("0.1")), "0.1000");
        assert_eq!(format!("{:.2}", f("0.125")), "0.12");
        assert_eq!(format!("{:>8}", f("1.5")), "     1.5");
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(raw in any::<i64>()) {
            let x = Fixed::from_raw(raw);
            prop_assert_eq!(x.to_string().parse::<Fixed>().unwrap(), x);
        }

        #[test]
        fn rounding_brackets_the_value(raw in -1_000_000_000_000i64..1_000_000_000_000, dp in 0u32..=9) {
            let x = Fixed::from_raw(raw);
            let lo = x.round_dp(dp, Rounding::Floor).unwrap();
            let hi = x.round_dp(dp, Rounding::Ceil).unwrap();
            let ne = x.round_dp(dp, Rounding::HalfEven).unwrap();
            prop_assert!(lo <= x && x <= hi);
            prop_assert!(ne == lo || ne == hi);
            prop_assert!((hi - lo).raw() <= 10i64.pow(9 - dp));
            // Nearest really is nearest.
            prop_assert!((ne - x).abs() <= (x - lo).abs().min((hi - x).abs()));
        }

        #[test]
        fn div_round_matches_mul(a in 1i64..1_000_000_000_000, b in 1i64..1_000_000_000_000) {
            let (x, y) = (Fixed::from_raw(a), Fixed::from_raw(b));
            let q = x.div_round(y, 9, Rounding::Floor).unwrap();
            // q × y ≤ x < (q + 1e-9) × y
            let below = q.raw() as i128 * b as i128;
            let above = (q.raw() as i128 + 1) * b as i128;
            prop_assert!(below <= a as i128 * SCALE as i128);
            prop_assert!(above > a as i128 * SCALE as i128);
        }
    }
}
