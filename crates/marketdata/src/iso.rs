//! A small ISO-8601 / RFC 3339 date-time parser for OHLC CSV files, and a UTC formatter for
//! messages. Calendar math is Howard Hinnant's days-from-civil (proleptic Gregorian), so no
//! date crate is needed for the one shape data files use.
//!
//! Accepted: `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM[:SS[.fraction]]`,
//! optionally followed by `Z`/`z` or a zero offset (`+00:00`, `-00:00`, `+0000`, `+00`).
//! Without an offset the time is taken as UTC (every supported exchange records UTC). Any
//! other offset is refused with a clear error: a file in local time is a file whose bars are
//! hours off, and converting it silently would hide that. Fractions below one millisecond are
//! truncated.

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day number (inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    /// Exactly `n` ASCII digits.
    fn digits(&mut self, n: usize) -> Result<u32, String> {
        let end = self.i + n;
        let part = self
            .b
            .get(self.i..end)
            .filter(|p| p.iter().all(u8::is_ascii_digit));
        let Some(part) = part else {
            return Err(format!("expected {n} digits at position {}", self.i + 1));
        };
        self.i = end;
        Ok(part.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0')))
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!(
                "expected '{}' at position {}",
                c as char,
                self.i + 1
            ))
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
}

/// Parse an ISO-8601 date-time to milliseconds since the epoch (UTC). The error is a short
/// reason for the message (the caller adds file, line and the text).
pub(crate) fn parse_iso8601(raw: &[u8]) -> Result<i64, String> {
    let mut c = Cursor {
        b: raw.trim_ascii(),
        i: 0,
    };
    let year = c.digits(4)?;
    c.expect(b'-')?;
    let month = c.digits(2)?;
    c.expect(b'-')?;
    let day = c.digits(2)?;
    let (year, month) = (i64::from(year), month);
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} is out of range"));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(format!("day {day} is out of range for {year}-{month:02}"));
    }
    let (mut hour, mut minute, mut second, mut millis) = (0u32, 0u32, 0u32, 0u32);
    if c.eat(b'T') || c.eat(b't') || c.eat(b' ') {
        hour = c.digits(2)?;
        c.expect(b':')?;
        minute = c.digits(2)?;
        if c.eat(b':') {
            second = c.digits(2)?;
            if c.eat(b'.') || c.eat(b',') {
                let start = c.i;
                while c.peek().is_some_and(|d| d.is_ascii_digit()) {
                    if c.i - start < 3 {
                        millis = millis * 10 + u32::from(c.b[c.i] - b'0');
                    }
                    c.i += 1;
                }
                let n = c.i - start;
                if n == 0 {
                    return Err("expected digits after the decimal point".into());
                }
                for _ in n..3 {
                    millis *= 10;
                }
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(format!(
                "time {hour:02}:{minute:02}:{second:02} is out of range"
            ));
        }
        match c.peek() {
            Some(b'Z' | b'z') => c.i += 1,
            Some(sign @ (b'+' | b'-')) => {
                c.i += 1;
                let oh = c.digits(2)?;
                // `+HH:MM`, `+HHMM` or `+HH`.
                let om = if c.eat(b':') || c.peek().is_some_and(|d| d.is_ascii_digit()) {
                    c.digits(2)?
                } else {
                    0
                };
                if oh > 23 || om > 59 {
                    return Err(format!("offset {oh:02}:{om:02} is out of range"));
                }
                if oh != 0 || om != 0 {
                    let sign = sign as char;
                    return Err(format!(
                        "offset {sign}{oh:02}:{om:02} is not UTC: only UTC times are accepted \
                         (Z or +00:00); convert the file to UTC"
                    ));
                }
            }
            _ => {}
        }
    }
    if c.i != c.b.len() {
        return Err(format!("unexpected text at position {}", c.i + 1));
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Ok(secs * 1000 + i64::from(millis))
}

/// `2021-09-17T22:23:00Z` (with `.mmm` when the milliseconds are not zero).
pub fn format_utc(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    if milli == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_631_917_380_000; // 2021-09-17T22:23:00Z

    #[test]
    fn parse_table() {
        let cases = [
            ("rfc3339 Z", "2021-09-17T22:23:00Z", T),
            ("space separator", "2021-09-17 22:23:00", T),
            ("no seconds", "2021-09-17T22:23", T),
            ("lower t and z", "2021-09-17t22:23:00z", T),
            ("plus zero offset", "2021-09-17T22:23:00+00:00", T),
            ("minus zero offset", "2021-09-17T22:23:00-00:00", T),
            ("compact zero offset", "2021-09-17T22:23:00+0000", T),
            ("hour zero offset", "2021-09-17T22:23:00+00", T),
            ("fraction ms", "2021-09-17T22:23:00.250Z", T + 250),
            ("fraction short", "2021-09-17T22:23:00.5", T + 500),
            (
                "fraction long truncated",
                "2021-09-17T22:23:00.123987654Z",
                T + 123,
            ),
            ("comma fraction", "2021-09-17T22:23:00,5Z", T + 500),
            ("date only", "2021-09-17", T - (22 * 60 + 23) * 60_000),
            ("epoch", "1970-01-01T00:00:00Z", 0),
            ("before epoch", "1969-12-31T23:59:59Z", -1000),
            ("leap day", "2024-02-29T00:00:00Z", 1_709_164_800_000),
            ("spaces trimmed", " 2021-09-17T22:23:00Z ", T),
        ];
        for (name, input, want) in cases {
            assert_eq!(parse_iso8601(input.as_bytes()), Ok(want), "case {name}");
        }
    }

    #[test]
    fn parse_errors_table() {
        let cases = [
            ("empty", ""),
            ("words", "yesterday"),
            ("month 13", "2021-13-01"),
            ("day 31 in september", "2021-09-31"),
            ("feb 29 non-leap", "2021-02-29"),
            ("hour 24", "2021-09-17T24:00:00Z"),
            ("second 60", "2021-09-17T23:59:60Z"),
            ("short year", "21-09-17"),
            ("trailing text", "2021-09-17T22:23:00Z junk"),
            ("slash date", "2021/09/17"),
            ("bad offset", "2021-09-17T22:23:00+25:00"),
            ("positive offset is not UTC", "2021-09-18T00:23:00+02:00"),
            ("negative offset is not UTC", "2021-09-17T18:23:00-04:00"),
            ("compact offset is not UTC", "2021-09-18T00:23:00+0200"),
            ("half-hour offset is not UTC", "2021-09-18T03:53:00+05:30"),
            ("point without digits", "2021-09-17T22:23:00.Z"),
        ];
        for (name, input) in cases {
            assert!(parse_iso8601(input.as_bytes()).is_err(), "case {name}");
        }
    }

    #[test]
    fn civil_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "day {days}");
        }
    }

    #[test]
    fn format_table() {
        let cases = [
            ("whole second", T, "2021-09-17T22:23:00Z"),
            ("millis", T + 7, "2021-09-17T22:23:00.007Z"),
            ("epoch", 0, "1970-01-01T00:00:00Z"),
            ("before epoch", -1, "1969-12-31T23:59:59.999Z"),
        ];
        for (name, ms, want) in cases {
            assert_eq!(format_utc(ms), want, "case {name}");
        }
    }
}
