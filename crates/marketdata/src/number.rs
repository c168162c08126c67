//! Exact field parsing straight from bytes: decimals (never through `f64`) and timestamps.
//!
//! The fast path handles the plain `digits[.digits]` form with at most nine decimals, which is
//! what every supported file writes for prices and sizes; anything else (a sign, an exponent
//! such as `1e-06`, float noise such as `2554077.1000000001`) goes through
//! [`flywheel_core::fixed::parse_lenient`], which rounds extra decimals once, half-even.

use flywheel_core::fixed::{parse_lenient, SCALE_DIGITS};
use flywheel_core::{Fixed, FixedError, Rounding};

use crate::error::quote;

/// Rounding applied to inputs with more than nine decimals (float noise in freqtrade volumes).
pub(crate) const INPUT_ROUNDING: Rounding = Rounding::HalfEven;

const POW10: [u64; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

/// Parse a decimal field (surrounding ASCII whitespace ignored).
pub(crate) fn parse_decimal(raw: &[u8]) -> Result<Fixed, FixedError> {
    let raw = raw.trim_ascii();
    if let Some(v) = parse_plain(raw) {
        return Ok(v);
    }
    match std::str::from_utf8(raw) {
        Ok(s) => parse_lenient(s, INPUT_ROUNDING),
        Err(_) => Err(FixedError::Syntax(
            String::from_utf8_lossy(raw).into_owned(),
        )),
    }
}

/// `digits[.digits]`, ≤ 10 integer digits, ≤ 9 decimals, in range; `None` for anything else.
#[inline]
fn parse_plain(b: &[u8]) -> Option<Fixed> {
    let mut i = 0;
    let mut int: u64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        if i >= 10 {
            return None;
        }
        // ≤ 10 digits and ≤ 9 decimals: cannot overflow u64 (see the range check below).
        int = int
            .wrapping_mul(10)
            .wrapping_add(u64::from(b[i].wrapping_sub(b'0')));
        i += 1;
    }
    let int_digits = i;
    let mut frac: u64 = 0;
    let mut frac_digits = 0usize;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            if frac_digits >= SCALE_DIGITS as usize {
                return None;
            }
            frac = frac
                .wrapping_mul(10)
                .wrapping_add(u64::from(b[i].wrapping_sub(b'0')));
            frac_digits += 1;
            i += 1;
        }
    }
    if i != b.len() || int_digits + frac_digits == 0 {
        return None;
    }
    let raw = int * POW10[9] + frac * POW10[SCALE_DIGITS as usize - frac_digits];
    i64::try_from(raw).ok().map(Fixed::from_raw)
}

/// Unit of a numeric timestamp field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeUnit {
    Seconds,
    Millis,
    Micros,
    /// Decide by magnitude: < 1e11 seconds, < 1e14 milliseconds, < 1e17 microseconds,
    /// else nanoseconds. The cut-offs fall where no two units overlap for any time from
    /// 1973-03-03 (1e11 ms, 1e14 µs, 1e17 ns) to 5138-11-16 (1e11 s, 1e14 ms, 1e17 µs), so
    /// every market data time is read in its own unit; the property test checks 2010..2100.
    Auto,
}

/// Parse a non-negative numeric timestamp (`digits[.digits]`) to milliseconds, truncating
/// below one millisecond. `None` if it is not such a number or does not fit.
pub(crate) fn parse_time(raw: &[u8], unit: TimeUnit) -> Option<i64> {
    let b = raw.trim_ascii();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 19 {
        return None;
    }
    // Up to 19 digits fit in u64 (10^19 − 1 < 2^64): the wrapping ops never wrap; they only
    // skip the per-digit overflow checks (the release profile keeps overflow checks on).
    let int = b[..digits].iter().fold(0u64, |a, &c| {
        a.wrapping_mul(10)
            .wrapping_add(u64::from(c.wrapping_sub(b'0')))
    });
    let mut i = digits;
    // Up to three fractional digits matter (milliseconds of a seconds value).
    let mut frac_ms: u64 = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 3 {
                frac_ms = frac_ms * 10 + u64::from(b[i] - b'0');
            }
            i += 1;
        }
        let n = (i - start).min(3);
        frac_ms *= POW10[3 - n];
    }
    if i != b.len() {
        return None;
    }
    let unit = match unit {
        TimeUnit::Auto => match int {
            0..100_000_000_000 => TimeUnit::Seconds,
            100_000_000_000..100_000_000_000_000 => TimeUnit::Millis,
            100_000_000_000_000..100_000_000_000_000_000 => TimeUnit::Micros,
            _ => return i64::try_from(int / 1_000_000).ok(),
        },
        u => u,
    };
    let ms = match unit {
        TimeUnit::Seconds => int.checked_mul(1000)?.checked_add(frac_ms)?,
        TimeUnit::Millis => int,
        TimeUnit::Micros | TimeUnit::Auto => int / 1000,
    };
    i64::try_from(ms).ok()
}

/// True when the field looks like a number (used to tell a header line from data).
pub(crate) fn looks_numeric(raw: &[u8]) -> bool {
    parse_decimal(raw).is_ok() || parse_time(raw, TimeUnit::Millis).is_some()
}

/// A decimal field, or the message for a malformed one: `price "abc" is not a decimal number`.
pub(crate) fn decimal_field(name: &str, raw: &[u8]) -> Result<Fixed, String> {
    parse_decimal(raw).map_err(|e| match e {
        FixedError::Overflow => format!("{name} {} is out of range", quote(raw.trim_ascii())),
        _ => format!("{name} {} is not a decimal number", quote(raw.trim_ascii())),
    })
}

/// A numeric timestamp field, or the message for a malformed one.
pub(crate) fn time_field(name: &str, raw: &[u8], unit: TimeUnit) -> Result<i64, String> {
    parse_time(raw, unit).ok_or_else(|| {
        let what = match unit {
            TimeUnit::Seconds => "an integer number of seconds",
            TimeUnit::Millis => "an integer number of milliseconds",
            TimeUnit::Micros => "an integer number of microseconds",
            TimeUnit::Auto => "a unix time (seconds, milliseconds, microseconds or nanoseconds)",
        };
        format!("{name} {} is not {what}", quote(raw.trim_ascii()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fx(s: &str) -> Fixed {
        s.parse().unwrap()
    }

    #[test]
    fn parse_decimal_table() {
        let cases = [
            ("plain", "0.24864", "0.24864"),
            ("integer", "5175", "5175"),
            ("nine decimals", "1.123456789", "1.123456789"),
            ("kraken padding", "18.89000", "18.89"),
            ("spaces", " 2.5 ", "2.5"),
            ("leading point", ".5", "0.5"),
            ("trailing point", "7.", "7"),
            ("exponent", "1e-06", "0.000001"),
            ("exponent upper", "1.2E+3", "1200"),
            (
                "float noise rounded once",
                "2554077.1000000001",
                "2554077.1",
            ),
            ("float noise below", "4202658.7999999998", "4202658.8"),
            ("ten integer digits", "9000000000", "9000000000"),
            ("sign falls back", "+3", "3"),
            ("negative parses (validation rejects it later)", "-1", "-1"),
        ];
        for (name, input, want) in cases {
            assert_eq!(parse_decimal(input.as_bytes()), Ok(fx(want)), "case {name}");
        }
    }

    #[test]
    fn parse_decimal_errors_table() {
        let cases = [
            ("empty", ""),
            ("letters", "abc"),
            ("point only", "."),
            ("two points", "1.2.3"),
            ("too large", "99999999999"),
            ("nan", "nan"),
            ("replacement char", "\u{fffd}"),
        ];
        for (name, input) in cases {
            assert!(parse_decimal(input.as_bytes()).is_err(), "case {name}");
        }
        assert!(parse_decimal(&[0xff, b'1']).is_err());
    }

    #[test]
    fn parse_time_table() {
        use TimeUnit::*;
        let cases: [(&str, &str, TimeUnit, Option<i64>); 16] = [
            ("seconds", "1688169649", Seconds, Some(1_688_169_649_000)),
            (
                "seconds fraction",
                "1688169649.1239",
                Seconds,
                Some(1_688_169_649_123),
            ),
            ("seconds short fraction", "1.5", Seconds, Some(1_500)),
            ("millis", "1631917380000", Millis, Some(1_631_917_380_000)),
            (
                "millis fraction dropped",
                "1631917380000.0",
                Millis,
                Some(1_631_917_380_000),
            ),
            (
                "micros",
                "1760054400172744",
                Micros,
                Some(1_760_054_400_172),
            ),
            ("auto seconds", "1688169649", Auto, Some(1_688_169_649_000)),
            (
                "auto below ms threshold",
                "99999999999",
                Auto,
                Some(99_999_999_999_000),
            ),
            ("auto millis", "100000000000", Auto, Some(100_000_000_000)),
            (
                "auto micros",
                "1760054400172744",
                Auto,
                Some(1_760_054_400_172),
            ),
            (
                "auto nanos",
                "1760054400172744999",
                Auto,
                Some(1_760_054_400_172),
            ),
            ("spaces", " 12 ", Millis, Some(12)),
            ("negative", "-5", Millis, None),
            ("exponent", "1.6e12", Millis, None),
            ("empty", "", Seconds, None),
            ("overflow", "99999999999999999999", Millis, None),
        ];
        for (name, input, unit, want) in cases {
            assert_eq!(parse_time(input.as_bytes(), unit), want, "case {name}");
        }
    }

    proptest::proptest! {
        /// Any time from 2010 to 2100, written as an integer in s, ms, µs or ns, is read
        /// back as the same millisecond by magnitude alone.
        #[test]
        fn auto_unit_round_trips_2010_to_2100(
            ms in 1_262_304_000_000_i64..4_102_444_800_000_i64,
        ) {
            let secs = ms / 1000;
            let cases = [
                ("s", secs.to_string(), secs * 1000),
                ("ms", ms.to_string(), ms),
                ("µs", (i128::from(ms) * 1000 + 999).to_string(), ms),
                ("ns", (i128::from(ms) * 1_000_000 + 999_999).to_string(), ms),
            ];
            for (unit, text, want) in cases {
                proptest::prop_assert_eq!(
                    parse_time(text.as_bytes(), TimeUnit::Auto),
                    Some(want),
                    "{} in {}", text, unit
                );
            }
        }
    }
}
