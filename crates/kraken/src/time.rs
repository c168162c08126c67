//! RFC 3339 times (WS v2 `timestamp`, `deadline`, `CancelAllOrdersAfter`) ⇄ [`Timestamp`].
//!
//! Invariants: parsing is exact to the millisecond (finer digits are floored), accepts `Z` or a
//! `±HH:MM` offset, and refuses anything else with an error naming the text; formatting always
//! writes UTC with milliseconds (`2026-05-05T10:00:00.123Z`). No clock is read.

use flywheel_core::Timestamp;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
#[error("invalid RFC 3339 time {0:?}")]
pub struct TimeError(pub String);

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn num(s: &str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok().filter(|v| range.contains(v))
}

/// Parse `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
pub fn parse_rfc3339(text: &str) -> Result<Timestamp, TimeError> {
    let err = || TimeError(text.to_string());
    let b = text.as_bytes();
    if !text.is_ascii()
        || b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
    {
        return Err(err());
    }
    if b[13] != b':' || b[16] != b':' {
        return Err(err());
    }
    let y = num(&text[0..4], 0..=9999).ok_or_else(err)?;
    let mo = num(&text[5..7], 1..=12).ok_or_else(err)?;
    let d = num(&text[8..10], 1..=31).ok_or_else(err)?;
    let h = num(&text[11..13], 0..=23).ok_or_else(err)?;
    let mi = num(&text[14..16], 0..=59).ok_or_else(err)?;
    let s = num(&text[17..19], 0..=60).ok_or_else(err)?;
    let rest = &text[19..];
    let (frac, zone) = match rest.strip_prefix('.') {
        Some(r) => {
            let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            if end == 0 {
                return Err(err());
            }
            (&r[..end], &r[end..])
        }
        None => ("", rest),
    };
    let mut ms = 0i64;
    for (i, c) in frac.bytes().take(3).enumerate() {
        ms += i64::from(c - b'0') * [100, 10, 1][i];
    }
    let offset_min = match zone {
        "Z" | "z" => 0,
        z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) && &z[3..4] == ":" => {
            let oh = num(&z[1..3], 0..=23).ok_or_else(err)?;
            let om = num(&z[4..6], 0..=59).ok_or_else(err)?;
            let sign = if z.starts_with('-') { -1 } else { 1 };
            sign * (oh * 60 + om)
        }
        _ => return Err(err()),
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset_min * 60;
    Ok(Timestamp::from_millis(secs * 1000 + ms))
}

/// Format as UTC with milliseconds.
pub fn format_rfc3339(t: Timestamp) -> String {
    let ms = t.millis();
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, rem) = (in_day / 3_600_000, in_day % 3_600_000);
    let (mi, rem) = (rem / 60_000, rem % 60_000);
    let (s, milli) = (rem / 1000, rem % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let cases = [
            ("epoch", "1970-01-01T00:00:00Z", 0),
            (
                "micros floored",
                "2023-10-06T17:35:55.440295Z",
                1_696_613_755_440,
            ),
            ("no fraction", "2026-05-05T10:00:00Z", 1_777_975_200_000),
            ("millis", "2026-05-05T10:00:00.123Z", 1_777_975_200_123),
            ("offset", "2026-05-05T12:00:00.000+02:00", 1_777_975_200_000),
            ("leap day", "2024-02-29T00:00:00Z", 1_709_164_800_000),
        ];
        for (name, text, ms) in cases {
            assert_eq!(
                parse_rfc3339(text),
                Ok(Timestamp::from_millis(ms)),
                "case {name}"
            );
        }
    }

    #[test]
    fn parse_errors_table() {
        for (name, text) in [
            ("empty", ""),
            ("date only", "2026-05-05"),
            ("no zone", "2026-05-05T10:00:00"),
            ("bad month", "2026-13-05T10:00:00Z"),
            ("empty fraction", "2026-05-05T10:00:00.Z"),
            ("junk zone", "2026-05-05T10:00:00UTC"),
        ] {
            assert!(parse_rfc3339(text).is_err(), "case {name}");
        }
    }

    #[test]
    fn format_round_trips() {
        for ms in [0, 1_696_613_755_440, 1_709_164_800_000, 4_102_444_799_999] {
            let t = Timestamp::from_millis(ms);
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Ok(t), "ms {ms}");
        }
        assert_eq!(
            format_rfc3339(Timestamp::from_millis(1_777_975_200_123)),
            "2026-05-05T10:00:00.123Z"
        );
    }
}
