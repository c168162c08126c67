//! B-side failure telemetry (seed 001 Patch D, §6.2): B-entry failures by reason and
//! recoveries, over a rolling 24 hours of engine time, plus run totals.
//!
//! Invariants: a failure or recovery is counted once in the rolling window and once in the
//! run totals; the window forgets events exactly 24 h old; every reason of
//! [`FAILURE_REASONS`] is reported, zero included.
//!
//! The telemetry is part of the engine's snapshot: it serializes whole (the rolling windows
//! too, so a restart reports the same 24 h counts), and a stored failure reason that is not
//! one of [`FAILURE_REASONS`] refuses to load rather than being dropped.

use std::collections::{BTreeMap, VecDeque};

use flywheel_core::Timestamp;
use serde::{Deserialize, Serialize};

use crate::totals::LeakTotals;

/// The seed's B-entry failure reasons (§6.2). `throughput_below_min`: a B entry that could
/// not be sized at or above the exchange minimum, counted once each time a slot starts
/// waiting for size (not once per loop it waits).
pub const FAILURE_REASONS: [&str; 6] = [
    "fund_guard",
    "entry_floor",
    "capacity_gate",
    "throughput_below_min",
    "mode_degraded",
    "scheduler_deferred",
];

const DAY_MS: i64 = 86_400_000;

/// Rolling-day failures and recoveries, and the run totals they feed.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(try_from = "StoredTelemetry", into = "StoredTelemetry")]
pub struct BSideTelemetry {
    failures: BTreeMap<&'static str, VecDeque<Timestamp>>,
    recoveries: VecDeque<Timestamp>,
    pub last_recovery: Option<Timestamp>,
    pub totals: LeakTotals,
}

/// [`BSideTelemetry`] as stored: the reasons as owned strings (the live form keys them by
/// the `&'static str` of [`FAILURE_REASONS`], which a parser cannot hand out).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct StoredTelemetry {
    failures: BTreeMap<String, VecDeque<Timestamp>>,
    recoveries: VecDeque<Timestamp>,
    last_recovery: Option<Timestamp>,
    totals: LeakTotals,
}

impl From<BSideTelemetry> for StoredTelemetry {
    fn from(t: BSideTelemetry) -> Self {
        StoredTelemetry {
            failures: t
                .failures
                .into_iter()
                .map(|(r, q)| (r.to_string(), q))
                .collect(),
            recoveries: t.recoveries,
            last_recovery: t.last_recovery,
            totals: t.totals,
        }
    }
}

impl TryFrom<StoredTelemetry> for BSideTelemetry {
    type Error = String;
    fn try_from(s: StoredTelemetry) -> Result<Self, String> {
        let mut failures = BTreeMap::new();
        for (reason, q) in s.failures {
            let Some(known) = FAILURE_REASONS.iter().find(|r| **r == reason) else {
                return Err(format!("unknown B-entry failure reason `{reason}`"));
            };
            failures.insert(*known, q);
        }
        Ok(BSideTelemetry {
            failures,
            recoveries: s.recoveries,
            last_recovery: s.last_recovery,
            totals: s.totals,
        })
    }
}

impl BSideTelemetry {
    fn prune(q: &mut VecDeque<Timestamp>, now: Timestamp) {
        while q.front().is_some_and(|t| now.millis_since(*t) >= DAY_MS) {
            q.pop_front();
        }
    }

    pub fn record_failure(&mut self, reason: &'static str, now: Timestamp) {
        let q = self.failures.entry(reason).or_default();
        Self::prune(q, now);
        q.push_back(now);
        *self
            .totals
            .b_failures
            .entry(reason.to_string())
            .or_insert(0) += 1;
    }

    /// A B entry restored on a balance-degraded slot and resting at the venue.
    pub fn record_recovery(&mut self, now: Timestamp) {
        Self::prune(&mut self.recoveries, now);
        self.recoveries.push_back(now);
        self.last_recovery = Some(now);
        self.totals.recoveries += 1;
    }

    /// Failures of the last 24 h by reason (every reason present, zero included).
    pub fn failures_24h(&self, now: Timestamp) -> BTreeMap<&'static str, u64> {
        FAILURE_REASONS
            .iter()
            .map(|r| {
                let n = self.failures.get(r).map_or(0, |q| {
                    q.iter().filter(|t| now.millis_since(**t) < DAY_MS).count()
                });
                (*r, n as u64)
            })
            .collect()
    }

    pub fn recoveries_24h(&self, now: Timestamp) -> u64 {
        self.recoveries
            .iter()
            .filter(|t| now.millis_since(**t) < DAY_MS)
            .count() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_window_and_run_totals() {
        let t0 = Timestamp::from_secs(1_700_000_000);
        let mut t = BSideTelemetry::default();
        t.record_failure("fund_guard", t0);
        t.record_failure("fund_guard", t0.plus_secs(3600));
        t.record_recovery(t0.plus_secs(60));
        // (name, at, fund_guard in window, recoveries in window)
        let cases = [
            ("both inside", t0.plus_secs(7200), 2, 1),
            ("first just out", t0.plus_secs(86_400), 1, 1),
            ("recovery out too", t0.plus_secs(86_460), 1, 0),
            ("all out", t0.plus_secs(90_000), 0, 0),
        ];
        for (name, at, fails, recs) in cases {
            let f = t.failures_24h(at);
            assert_eq!(f.len(), FAILURE_REASONS.len(), "{name}: every reason");
            assert_eq!(f["fund_guard"], fails, "{name}");
            assert_eq!(f["entry_floor"], 0, "{name}");
            assert_eq!(t.recoveries_24h(at), recs, "{name}");
        }
        assert_eq!(t.totals.b_failures["fund_guard"], 2, "totals never forget");
        assert_eq!(t.totals.recoveries, 1);
        assert_eq!(t.last_recovery, Some(t0.plus_secs(60)));
    }

    #[test]
    fn a_stored_telemetry_reports_the_same() {
        let t0 = Timestamp::from_secs(1_700_000_000);
        let mut t = BSideTelemetry::default();
        t.record_failure("fund_guard", t0);
        t.record_failure("entry_floor", t0.plus_secs(60));
        t.record_recovery(t0.plus_secs(120));
        let text = serde_json::to_string(&t).expect("serializes");
        let back: BSideTelemetry = serde_json::from_str(&text).expect("parses");
        let at = t0.plus_secs(3600);
        assert_eq!(back.failures_24h(at), t.failures_24h(at));
        assert_eq!(back.recoveries_24h(at), 1);
        assert_eq!(back.last_recovery, t.last_recovery);
        assert_eq!(back.totals.b_failures, t.totals.b_failures);
        assert_eq!(serde_json::to_string(&back).expect("serializes"), text);
        let bad = text.replace("fund_guard", "no_such_reason");
        assert!(serde_json::from_str::<BSideTelemetry>(&bad).is_err());
    }

    #[test]
    fn the_window_forgets_what_it_no_longer_counts() {
        // A failure a day for a year: the rolling window keeps only the last day's.
        let t0 = Timestamp::from_secs(1_700_000_000);
        let mut t = BSideTelemetry::default();
        for day in 0..365 {
            t.record_failure("fund_guard", t0.plus_secs(day * 86_400));
            t.record_recovery(t0.plus_secs(day * 86_400));
        }
        assert_eq!(t.failures["fund_guard"].len(), 1);
        assert_eq!(t.recoveries.len(), 1);
        assert_eq!(t.totals.b_failures["fund_guard"], 365);
    }
}
