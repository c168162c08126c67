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

/// `num / 10^9` truncated toward zero, with its remainder (the sign of `num`), by long
/// division in three 64-bit steps: the divisor is a constant below 2^32, so each step is
/// a multiply and a shift. Each partial dividend is below `10^9 × 2^32 < 2^62`.
fn by_scale(num: i128) -> (i128, i128) {
    const D: u64 = SCALE as u64;
    let u = num.unsigned_abs();
    let hi = (u >> 64) as u64;
    let (q_hi, r) = (hi / D, hi % D);
    let x = (r << 32) | ((u >> 32) as u64 & 0xFFFF_FFFF);
    let (q_mid, r) = (x / D, x % D);
    let x = (r << 32) | (u as u64 & 0xFFFF_FFFF);
    let (q_lo, r) = (x / D, x % D);
    let q = (u128::from(q_hi) << 64) | (u128::from(q_mid) << 32) | u128::from(q_lo);
    // |num| ≤ 2^127, and 2^127 / 10^9 fits an i128 with room to spare.
    let (q, r) = (q as i128, i128::from(r));
    if num < 0 {
        (-q, -r)
    } else {
        (q, r)
    }
}

/// Divide `num` by `den` (den ≠ 0) and round the exact quotient with `mode`.
pub fn div_round(num: i128, den: i128, mode: Rounding) -> i128 {
    debug_assert!(den != 0);
    let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
    // Most operands fit in 64 bits, where division is a single instruction; the 128-bit
    // routine is a library call an order of magnitude slower. One division each way
    // (`div_euclid` and `rem_euclid` would be two library calls on 128 bits); the remainder
    // follows from the quotient. `den > 0` here, so `n / d` cannot overflow.
    let (mut q, mut r) = match (i64::try_from(num), i64::try_from(den)) {
        (Ok(n), Ok(d)) => ((n / d) as i128, (n % d) as i128),
        // The product of two nine-place values brought back to nine places: every price ×
        // volume of the loop. Dividing by the constant takes multiplies, not a library call.
        _ if den == SCALE as i128 => by_scale(num),
        _ => {
            let q = num / den;
            (q, num - q * den)
        }
    };
    // Truncation toward zero to floor: q = floor(num / den), 0 <= r < den.
    if r < 0 {
        q -= 1;
        r += den;
    }
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
        if let Some(f) = Self::from_f64_nine_places(v) {
            return Ok(f);
        }
        // `{}` on f64 prints the shortest digits that round-trip, never in exponent form.
        let text = format!("{v}");
        parse_decimal(&text, Some(mode))
    }

    /// [`Self::from_f64`] without printing, for the floats it meets in hot loops (a
    /// controller's multiplier, a configured percentage): `Some` when `v` is the float of a
    /// decimal with at most nine places, which is then the result whatever the rounding mode.
    ///
    /// Why this equals the printed path: for |v| ≤ 2^20 the floats that round to `v` span less
    /// than 2^-32 < 10^-9, so at most one nine-place decimal `D` lies among them. The candidate
    /// `n = round(v × 10^9)` is checked by dividing back (`n` and 10^9 are exact in f64 and
    /// IEEE division rounds correctly, so the check is "D parses to v"). The shortest
    /// round-trip decimal `S` also parses to `v`; it has no more significant digits than `D`,
    /// so if it had more than nine places the power of ten between `S` and `D` would be a
    /// second nine-place decimal parsing to `v` (impossible), hence `S = D`. Anything else
    /// (larger, tinier or not nine-place floats) takes the printed path.
    fn from_f64_nine_places(v: f64) -> Option<Self> {
        const LIMIT: f64 = (1u64 << 20) as f64;
        const SCALE_F: f64 = SCALE as f64;
        if v.abs() > LIMIT {
            return None;
        }
        let n = (v * SCALE_F).round();
        // `n` is at most 2^20 × 10^9 < 2^53 in magnitude: exact, and an exact i64.
        ((n / SCALE_F) == v).then_some(Fixed(n as i64))
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
#[path = "fixed_tests.rs"]
mod tests;
