//! Alert detection: a pure function of the previous status, the new one, the time and the
//! recent reconnect counts. No I/O, no clock.
//!
//! What fires (each once per transition, not on every status while the condition holds):
//! - `halt`: `halt` goes from null/absent to a string (also on the first status: a restart
//!   into a halted state is news).
//! - `governor_oscillation`: `rebalancer.damped` false→true, or `rebalancer.sign_flips_1h`
//!   reaching 4 (seed 000's oscillation warning).
//! - `b_side_health`: `b_side_health_card.color` worsening (green→amber, green/amber→red).
//! - `hedger_emergency`: `hedger_emergency_orders` increasing.
//! - `reconnect_storm`: a feed's `reconnects` rising by 3 or more within 5 minutes; the
//!   window restarts after it fires.
//! - `reconcile_discrepancy`: `connectivity.reconcile.discrepancies` increasing.
//!
//! Counters compare with the previous status only: with none (the first status) an increase
//! cannot be told and nothing fires for them.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;
use serde_json::Value;

/// Reconnects within [`STORM_WINDOW_MS`] that make a storm.
pub const STORM_RECONNECTS: u64 = 3;
/// The reconnect-storm window (5 minutes).
pub const STORM_WINDOW_MS: i64 = 5 * 60 * 1000;
/// Error sign flips in an hour that count as oscillation (seed 000).
pub const OSCILLATION_FLIPS: u64 = 4;

/// What an alert is about (also the rate-limit key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    Halt,
    GovernorOscillation,
    BSideHealth,
    HedgerEmergency,
    ReconnectStorm,
    ReconcileDiscrepancy,
    InvariantViolation,
}

impl AlertKind {
    pub fn name(self) -> &'static str {
        match self {
            AlertKind::Halt => "halt",
            AlertKind::GovernorOscillation => "governor_oscillation",
            AlertKind::BSideHealth => "b_side_health",
            AlertKind::HedgerEmergency => "hedger_emergency",
            AlertKind::ReconnectStorm => "reconnect_storm",
            AlertKind::ReconcileDiscrepancy => "reconcile_discrepancy",
            AlertKind::InvariantViolation => "invariant_violation",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Critical,
}

/// One alert: the plain-JSON webhook body is exactly this, serialized.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    pub severity: Severity,
    pub message: String,
    pub symbol: Option<String>,
    /// When it was detected (ms since the epoch, the status's clock).
    pub at: i64,
}

/// Each feed's reconnect counts seen within the storm window, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReconnectHistory {
    feeds: BTreeMap<String, VecDeque<(i64, u64)>>,
}

/// The alerts `new` raises after `prev` at `now`, and the reconnect history to pass next time.
pub fn detect(
    prev: Option<&Value>,
    new: &Value,
    now: i64,
    history: &ReconnectHistory,
) -> (Vec<Alert>, ReconnectHistory) {
    let symbol = new["symbol"].as_str().map(str::to_owned);
    let mut out = Vec::new();
    let mut push = |kind, severity, message: String| {
        out.push(Alert {
            kind,
            severity,
            message,
            symbol: symbol.clone(),
            at: now,
        })
    };
    let old = |path: &[&str]| prev.map(|p| at(p, path)).unwrap_or(&Value::Null);

    if let (None, Some(reason)) = (old(&["halt"]).as_str(), new["halt"].as_str()) {
        push(
            AlertKind::Halt,
            Severity::Critical,
            format!("trading halted: {reason}"),
        );
    }

    let r = &new["rebalancer"];
    let was_damped = old(&["rebalancer", "damped"]).as_bool().unwrap_or(false);
    let flips_before = old(&["rebalancer", "sign_flips_1h"]).as_u64().unwrap_or(0);
    let flips = r["sign_flips_1h"].as_u64().unwrap_or(0);
    let damped_now = r["damped"].as_bool() == Some(true) && !was_damped;
    let flips_now = flips >= OSCILLATION_FLIPS && flips_before < OSCILLATION_FLIPS;
    if damped_now || flips_now {
        push(
            AlertKind::GovernorOscillation,
            Severity::Warning,
            format!(
                "governor oscillating: damped={}, sign flips in 1h={flips}",
                r["damped"].as_bool().unwrap_or(false)
            ),
        );
    }

    let rank = |c: &Value| match c.as_str() {
        Some("amber") => 1,
        Some("red") => 2,
        _ => 0,
    };
    let color = &new["b_side_health_card"]["color"];
    if rank(color) > rank(old(&["b_side_health_card", "color"])) {
        let severity = if rank(color) == 2 {
            Severity::Critical
        } else {
            Severity::Warning
        };
        let degraded = &new["b_side_health"]["balance_degraded_slots"];
        push(
            AlertKind::BSideHealth,
            severity,
            format!(
                "B-side health {}: {degraded} slot(s) degraded",
                color.as_str().unwrap_or("?")
            ),
        );
    }

    if let Some((before, after)) = increase(prev, new, &["hedger_emergency_orders"]) {
        push(
            AlertKind::HedgerEmergency,
            Severity::Critical,
            format!("hedger emergency orders: {before} → {after}"),
        );
    }

    if let Some((before, after)) =
        increase(prev, new, &["connectivity", "reconcile", "discrepancies"])
    {
        push(
            AlertKind::ReconcileDiscrepancy,
            Severity::Warning,
            format!("reconciliation discrepancies: {before} → {after}"),
        );
    }

    let (storms, history) = reconnects(new, now, history);
    for (feed, rise) in storms {
        push(
            AlertKind::ReconnectStorm,
            Severity::Warning,
            format!("feed {feed} reconnected {rise} times within 5 minutes"),
        );
    }
    (out, history)
}

/// The value at `path`, or null.
fn at<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| &v[*k])
}

/// `(before, after)` when the counter at `path` grew since `prev`.
fn increase(prev: Option<&Value>, new: &Value, path: &[&str]) -> Option<(u64, u64)> {
    let before = at(prev?, path).as_u64()?;
    let after = at(new, path).as_u64()?;
    (after > before).then_some((before, after))
}

/// Feeds whose reconnects rose by [`STORM_RECONNECTS`] or more within the window (with the
/// rise), and the updated history.
fn reconnects(
    new: &Value,
    now: i64,
    history: &ReconnectHistory,
) -> (Vec<(String, u64)>, ReconnectHistory) {
    let mut next = ReconnectHistory::default();
    let mut storms = Vec::new();
    let feeds = new["connectivity"]["feeds"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for f in feeds {
        let (Some(name), Some(count)) = (f["feed"].as_str(), f["reconnects"].as_u64()) else {
            continue;
        };
        let mut window: VecDeque<(i64, u64)> = history
            .feeds
            .get(name)
            .map(|w| {
                w.iter()
                    .copied()
                    .filter(|(t, _)| now - t <= STORM_WINDOW_MS)
                    .collect()
            })
            .unwrap_or_default();
        // A counter that went down (the process restarted its count) starts a new window.
        if window.back().is_some_and(|(_, c)| *c > count) {
            window.clear();
        }
        let low = window.iter().map(|(_, c)| *c).min().unwrap_or(count);
        if count - low >= STORM_RECONNECTS {
            storms.push((name.to_owned(), count - low));
            window.clear();
        }
        window.push_back((now, count));
        next.feeds.insert(name.to_owned(), window);
    }
    (storms, next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn status(patch: Value) -> Value {
        let mut s = json!({
            "symbol": "DOGE/USD", "halt": null,
            "rebalancer": {"damped": false, "sign_flips_1h": 0},
            "b_side_health": {"balance_degraded_slots": 0},
            "b_side_health_card": {"color": "green"},
            "connectivity": {"reconcile": {"discrepancies": 0},
                "feeds": [{"feed": "public", "reconnects": 0}]},
        });
        merge(&mut s, patch);
        s
    }

    fn merge(base: &mut Value, patch: Value) {
        match (base, patch) {
            (Value::Object(b), Value::Object(p)) => {
                for (k, v) in p {
                    merge(b.entry(k).or_insert(Value::Null), v);
                }
            }
            (b, p) => *b = p,
        }
    }

    /// Runs `steps` (status patch, time in s) through `detect` and returns the kinds raised
    /// by the last step.
    fn last_kinds(steps: &[(Value, i64)]) -> Vec<AlertKind> {
        let mut prev: Option<Value> = None;
        let mut history = ReconnectHistory::default();
        let mut kinds = Vec::new();
        for (patch, t) in steps {
            let new = status(patch.clone());
            let (alerts, h) = detect(prev.as_ref(), &new, t * 1000, &history);
            kinds = alerts.iter().map(|a| a.kind).collect();
            history = h;
            prev = Some(new);
        }
        kinds
    }

    #[test]
    fn transitions_table() {
        use AlertKind::*;
        let feed =
            |n: u64| json!({"connectivity": {"feeds": [{"feed": "public", "reconnects": n}]}});
        type Case = (&'static str, Vec<(Value, i64)>, Vec<AlertKind>);
        let cases: Vec<Case> = vec![
            ("quiet", vec![(json!({}), 0), (json!({}), 1)], vec![]),
            (
                "halt set",
                vec![(json!({}), 0), (json!({"halt": "daily loss lock"}), 1)],
                vec![Halt],
            ),
            (
                "halt already set: no repeat",
                vec![(json!({"halt": "x"}), 0), (json!({"halt": "x"}), 1)],
                vec![],
            ),
            (
                "halt on first status",
                vec![(json!({"halt": "ledger drift"}), 0)],
                vec![Halt],
            ),
            (
                "damped false→true",
                vec![(json!({}), 0), (json!({"rebalancer": {"damped": true}}), 1)],
                vec![GovernorOscillation],
            ),
            (
                "damped stays true",
                vec![
                    (json!({"rebalancer": {"damped": true}}), 0),
                    (json!({"rebalancer": {"damped": true}}), 1),
                ],
                vec![],
            ),
            (
                "sign flips reach 4",
                vec![
                    (json!({"rebalancer": {"sign_flips_1h": 3}}), 0),
                    (json!({"rebalancer": {"sign_flips_1h": 4}}), 1),
                ],
                vec![GovernorOscillation],
            ),
            (
                "sign flips 3: calm",
                vec![
                    (json!({}), 0),
                    (json!({"rebalancer": {"sign_flips_1h": 3}}), 1),
                ],
                vec![],
            ),
            (
                "damped and flips: one alert",
                vec![
                    (json!({}), 0),
                    (
                        json!({"rebalancer": {"damped": true, "sign_flips_1h": 5}}),
                        1,
                    ),
                ],
                vec![GovernorOscillation],
            ),
            (
                "card green→amber",
                vec![
                    (json!({}), 0),
                    (json!({"b_side_health_card": {"color": "amber"}}), 1),
                ],
                vec![BSideHealth],
            ),
            (
                "card amber→red",
                vec![
                    (json!({"b_side_health_card": {"color": "amber"}}), 0),
                    (json!({"b_side_health_card": {"color": "red"}}), 1),
                ],
                vec![BSideHealth],
            ),
            (
                "card red→amber: improving, silent",
                vec![
                    (json!({"b_side_health_card": {"color": "red"}}), 0),
                    (json!({"b_side_health_card": {"color": "amber"}}), 1),
                ],
                vec![],
            ),
            (
                "hedger emergency up",
                vec![
                    (json!({"hedger_emergency_orders": 0}), 0),
                    (json!({"hedger_emergency_orders": 1}), 1),
                ],
                vec![HedgerEmergency],
            ),
            (
                "hedger emergency first status: unknown rise",
                vec![(json!({"hedger_emergency_orders": 5}), 0)],
                vec![],
            ),
            (
                "discrepancies up",
                vec![
                    (json!({}), 0),
                    (
                        json!({"connectivity": {"reconcile": {"discrepancies": 2}}}),
                        1,
                    ),
                ],
                vec![ReconcileDiscrepancy],
            ),
            (
                "3 reconnects in 4 min",
                vec![(feed(0), 0), (feed(1), 60), (feed(2), 120), (feed(3), 240)],
                vec![ReconnectStorm],
            ),
            (
                "3 reconnects in 6 min: no storm",
                vec![(feed(0), 0), (feed(1), 120), (feed(2), 240), (feed(3), 360)],
                vec![],
            ),
            (
                "storm fires once, window restarts",
                vec![(feed(0), 0), (feed(3), 10), (feed(4), 20)],
                vec![],
            ),
            (
                "counter reset is not a storm",
                vec![(feed(9), 0), (feed(0), 10), (feed(2), 20)],
                vec![],
            ),
            (
                "first status with many reconnects",
                vec![(feed(50), 0)],
                vec![],
            ),
        ];
        for (name, steps, want) in cases {
            assert_eq!(last_kinds(&steps), want, "case {name}");
        }
    }

    #[test]
    fn alert_fields() {
        let prev = status(json!({}));
        let new = status(
            json!({"halt": "daily loss lock", "b_side_health_card": {"color": "red"},
            "b_side_health": {"balance_degraded_slots": 2}}),
        );
        let (alerts, _) = detect(
            Some(&prev),
            &new,
            1_700_000_000_000,
            &ReconnectHistory::default(),
        );
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[0].severity, Severity::Critical);
        assert_eq!(alerts[0].message, "trading halted: daily loss lock");
        assert_eq!(alerts[0].symbol.as_deref(), Some("DOGE/USD"));
        assert_eq!(alerts[0].at, 1_700_000_000_000);
        assert_eq!(alerts[1].kind, AlertKind::BSideHealth);
        assert_eq!(alerts[1].severity, Severity::Critical);
        assert_eq!(alerts[1].message, "B-side health red: 2 slot(s) degraded");
        let body = serde_json::to_value(&alerts[0]).expect("json");
        assert_eq!(
            body,
            json!({"kind": "halt", "severity": "critical", "message": "trading halted: daily loss lock",
                "symbol": "DOGE/USD", "at": 1_700_000_000_000i64})
        );
    }
}
