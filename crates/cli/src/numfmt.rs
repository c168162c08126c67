//! Numbers formatted for people: thousands separators, a fixed number of decimals, an explicit
//! sign where a change is shown, percentages, UTC times and durations.
//!
//! Money arrives as the summary's exact decimal strings; it is parsed into [`Fixed`] and
//! rounded once, half away from zero, so a printed `-33.09` is the exact value rounded, never
//! an `f64` approximation of it. Ratios that the summary already holds as `f64` (governor
//! figures, idle shares) are printed as they are. Input that does not parse is printed
//! unchanged: the headline never hides a value it does not understand.

use flywheel_core::{Fixed, Rounding};

/// Whether a `+` is printed before a positive number (changes: PnL, equity deltas).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    /// `-` for negatives only (levels: balances, fees, drawdown).
    Plain,
    /// `+` for positives, `-` for negatives, none for zero.
    Always,
}

/// `1234567.891` → `1,234,567.89` (`dp` = 2). `text` is a decimal string from the summary.
pub fn decimal(text: &str, dp: u32, sign: Sign) -> String {
    match text.trim().parse::<Fixed>() {
        Ok(v) => fixed(v, dp, sign),
        Err(_) => text.to_string(),
    }
}

/// A quantity (base units) to at most `max_dp` decimals, trailing zeros dropped:
/// `999.946` → `999.946`, `1000` → `1,000`, `0.12345678` → `0.1235` (`max_dp` = 4).
pub fn qty(text: &str, max_dp: u32, sign: Sign) -> String {
    let full = decimal(text, max_dp, sign);
    if text.trim().parse::<Fixed>().is_err() || !full.contains('.') {
        return full;
    }
    full.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A [`Fixed`] rounded to `dp` decimals (half away from zero), grouped by thousands.
pub fn fixed(v: Fixed, dp: u32, sign: Sign) -> String {
    let dp = dp.min(flywheel_core::fixed::SCALE_DIGITS);
    let Ok(r) = v.round_dp(dp, Rounding::HalfAwayFromZero) else {
        return v.to_string();
    };
    let canonical = r.abs().to_string();
    let (int, frac) = canonical.split_once('.').unwrap_or((&canonical, ""));
    let mut out = String::new();
    if r.is_negative() {
        out.push('-');
    } else if sign == Sign::Always && r.is_positive() {
        out.push('+');
    }
    out.push_str(&group(int));
    if dp > 0 {
        out.push('.');
        out.push_str(frac);
        for _ in frac.len()..dp as usize {
            out.push('0');
        }
    }
    out
}

/// `part / whole × 100` to two decimals with a `%`, exact; `None` when `whole` is zero or a
/// value does not parse.
pub fn percent_of(part: &str, whole: &str, sign: Sign) -> Option<String> {
    let part: Fixed = part.trim().parse().ok()?;
    let whole: Fixed = whole.trim().parse().ok()?;
    let hundred = Fixed::from_int(100).ok()?;
    let ratio = part
        .mul_round(hundred, 9, Rounding::HalfAwayFromZero)
        .ok()?
        .div_round(whole, 2, Rounding::HalfAwayFromZero)
        .ok()?;
    Some(format!("{}%", fixed(ratio, 2, sign)))
}

/// A ratio held as `f64` (0.512 → `51.2%`), one decimal.
pub fn ratio_pct(r: f64, sign: Sign) -> String {
    if !r.is_finite() {
        return r.to_string();
    }
    let pct = r * 100.0;
    // Round first, so -0.04 prints as 0.0%, not -0.0%.
    let rounded = (pct * 10.0).round() / 10.0;
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    match sign {
        Sign::Always if rounded > 0.0 => format!("+{rounded:.1}%"),
        _ => format!("{rounded:.1}%"),
    }
}

/// An integer count grouped by thousands: `61272` → `61,272`.
pub fn count(n: u64) -> String {
    group(&n.to_string())
}

/// Digits grouped by thousands with `,` (no sign, no point).
fn group(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Milliseconds since the epoch as `2021-09-17 22:23` (UTC, minutes; seconds when not zero).
pub fn utc_minute(ms: i64) -> String {
    let iso = flywheel_marketdata::format_utc(ms);
    // `2021-09-17T22:23:00Z` or `…:00.250Z`: drop the zone, zero seconds and milliseconds.
    let body = iso.trim_end_matches('Z').replacen('T', " ", 1);
    let body = body.split('.').next().unwrap_or(&body).to_string();
    match body.strip_suffix(":00") {
        Some(short) => short.to_string(),
        None => body,
    }
}

/// A span in days: `5.0 days`, `1 day`, or hours/minutes below a day.
pub fn span(ms: i64) -> String {
    let ms = ms.max(0);
    if ms >= 86_400_000 {
        let days = ms as f64 / 86_400_000.0;
        if ms % 86_400_000 == 0 && ms == 86_400_000 {
            "1 day".to_string()
        } else {
            format!("{days:.1} days")
        }
    } else {
        duration(ms)
    }
}

/// A short duration: `45s`, `12m`, `2h 30m`, `3d 4h`.
pub fn duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{sec}s"),
        (0, 0, _) if sec == 0 => format!("{m}m"),
        (0, 0, _) => format!("{m}m {sec}s"),
        (0, _, 0) => format!("{h}h"),
        (0, _, _) => format!("{h}h {m}m"),
        (_, 0, _) => format!("{d}d"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_table() {
        let cases = [
            (
                "grouped, rounded",
                "1234567.891",
                2,
                Sign::Plain,
                "1,234,567.89",
            ),
            ("half away from zero", "0.125", 2, Sign::Plain, "0.13"),
            ("negative half away", "-0.125", 2, Sign::Plain, "-0.13"),
            ("signed positive", "4.304750748", 2, Sign::Always, "+4.30"),
            (
                "signed negative",
                "-33.091209092",
                2,
                Sign::Always,
                "-33.09",
            ),
            ("zero has no sign", "0", 2, Sign::Always, "0.00"),
            (
                "tiny negative rounds to zero",
                "-0.001",
                2,
                Sign::Always,
                "0.00",
            ),
            ("pads decimals", "200", 2, Sign::Plain, "200.00"),
            ("no decimals", "1690.4", 0, Sign::Plain, "1,690"),
            ("exactly a thousand", "1000", 0, Sign::Plain, "1,000"),
            ("below a thousand", "999.999", 2, Sign::Plain, "1,000.00"),
            ("more decimals", "0.084237", 4, Sign::Plain, "0.0842"),
            ("not a number kept", "n/a", 2, Sign::Plain, "n/a"),
        ];
        for (name, text, dp, sign, want) in cases {
            assert_eq!(decimal(text, dp, sign), want, "case {name}");
        }
    }

    #[test]
    fn qty_table() {
        let cases = [
            (
                "trailing zeros dropped",
                "999.9460",
                4,
                Sign::Plain,
                "999.946",
            ),
            ("integer", "1000", 4, Sign::Plain, "1,000"),
            ("rounded", "0.12345678", 4, Sign::Plain, "0.1235"),
            ("signed", "-0.054", 4, Sign::Always, "-0.054"),
            ("zero", "0", 4, Sign::Always, "0"),
            ("not a number kept", "abc", 4, Sign::Plain, "abc"),
        ];
        for (name, text, dp, sign, want) in cases {
            assert_eq!(qty(text, dp, sign), want, "case {name}");
        }
    }

    #[test]
    fn percent_of_table() {
        let cases = [
            (
                "loss",
                "-33.091209092",
                "299.627",
                Sign::Always,
                Some("-11.04%"),
            ),
            ("gain", "15", "200", Sign::Always, Some("+7.50%")),
            (
                "plain",
                "60.042685812",
                "299.627",
                Sign::Plain,
                Some("20.04%"),
            ),
            ("zero whole", "1", "0", Sign::Plain, None),
            ("not a number", "x", "1", Sign::Plain, None),
        ];
        for (name, part, whole, sign, want) in cases {
            assert_eq!(
                percent_of(part, whole, sign).as_deref(),
                want,
                "case {name}"
            );
        }
    }

    #[test]
    fn ratio_and_count_table() {
        assert_eq!(ratio_pct(0.51208920618, Sign::Plain), "51.2%");
        assert_eq!(ratio_pct(0.22417841236, Sign::Always), "+22.4%");
        assert_eq!(ratio_pct(-0.0004, Sign::Always), "0.0%");
        assert_eq!(ratio_pct(-0.3, Sign::Always), "-30.0%");
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(61_272), "61,272");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn time_table() {
        assert_eq!(utc_minute(1_735_689_660_000), "2025-01-01 00:01");
        assert_eq!(utc_minute(1_735_689_661_000), "2025-01-01 00:01:01");
        assert_eq!(utc_minute(1_735_689_661_250), "2025-01-01 00:01:01");
        assert_eq!(span(431_940_000), "5.0 days");
        assert_eq!(span(86_400_000), "1 day");
        assert_eq!(span(9_956_000), "2h 45m");
        assert_eq!(duration(45_000), "45s");
        assert_eq!(duration(720_000), "12m");
        assert_eq!(duration(150 * 60_000), "2h 30m");
        assert_eq!(duration(3 * 86_400_000 + 4 * 3_600_000), "3d 4h");
    }
}
