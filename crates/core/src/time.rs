//! Time as an input: [`Timestamp`] is integer milliseconds since the Unix epoch (UTC), the one
//! time unit of the whole codebase. Nothing in the pure cores reads a wall clock; `now` always
//! arrives inside an event. Durations in configuration are whole seconds (the seeds' unit) and
//! are converted here, once.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Milliseconds in one second.
pub const MS_PER_SEC: i64 = 1_000;
/// Milliseconds in one UTC day.
pub const MS_PER_DAY: i64 = 86_400_000;

/// A point in time: milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const EPOCH: Timestamp = Timestamp(0);

    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }
    pub const fn from_secs(s: i64) -> Self {
        Timestamp(s * MS_PER_SEC)
    }
    pub const fn millis(self) -> i64 {
        self.0
    }
    /// Seconds as a float, for estimators (EMA α = 1 − exp(−dt/τ)) only.
    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / MS_PER_SEC as f64
    }
    /// `self + secs` seconds, saturating at the end of time (a "never" deadline).
    pub const fn plus_secs(self, secs: u64) -> Timestamp {
        let secs = if secs > i64::MAX as u64 {
            i64::MAX
        } else {
            secs as i64
        };
        let ms = secs.saturating_mul(MS_PER_SEC);
        Timestamp(self.0.saturating_add(ms))
    }
    /// Milliseconds from `earlier` to `self` (negative if `earlier` is later).
    pub const fn millis_since(self, earlier: Timestamp) -> i64 {
        self.0 - earlier.0
    }
    /// True when at least `secs` seconds separate `earlier` and `self`.
    pub const fn elapsed_at_least(self, earlier: Timestamp, secs: u64) -> bool {
        let secs = if secs > i64::MAX as u64 {
            i64::MAX
        } else {
            secs as i64
        };
        self.millis_since(earlier) >= secs.saturating_mul(MS_PER_SEC)
    }
    /// The UTC calendar day, as days since the epoch (floor division, so pre-1970 works).
    pub const fn utc_day(self) -> i64 {
        self.0.div_euclid(MS_PER_DAY)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_day_boundaries() {
        let cases = [
            ("epoch", 0, 0),
            ("last ms of day 0", MS_PER_DAY - 1, 0),
            ("first ms of day 1", MS_PER_DAY, 1),
            ("before epoch", -1, -1),
        ];
        for (name, ms, day) in cases {
            assert_eq!(Timestamp::from_millis(ms).utc_day(), day, "case {name}");
        }
    }

    #[test]
    fn arithmetic() {
        let t = Timestamp::from_secs(100);
        assert_eq!(t.plus_secs(60), Timestamp::from_secs(160));
        assert!(Timestamp::from_secs(160).elapsed_at_least(t, 60));
        assert!(!Timestamp::from_secs(159).elapsed_at_least(t, 60));
        assert_eq!(t.plus_secs(u64::MAX), Timestamp::from_millis(i64::MAX));
    }
}
