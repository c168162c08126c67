//! Alert delivery: the webhook body per preset, and the background sender with its per-kind
//! rate limit.
//!
//! Invariants:
//! - The sender runs on its own task; callers only `try_send` into a bounded queue, so a slow
//!   or dead webhook never blocks the engine (a full queue drops the alert and counts it).
//! - At most one alert per kind per `min_interval`; the ones suppressed in between are counted
//!   and mentioned in the next alert of that kind that goes out.
//! - Failures are logged with the alert kind and the HTTP status or error, never the webhook
//!   URL (Telegram and Discord URLs carry a secret).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::detect::{Alert, AlertKind, Severity};
use super::{AlertConfig, Preset};

/// How long one webhook POST may take.
pub const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// The human line of an alert (the text of the chat presets).
pub fn text(alert: &Alert) -> String {
    let sev = match alert.severity {
        Severity::Warning => "WARNING",
        Severity::Critical => "CRITICAL",
    };
    match &alert.symbol {
        Some(sym) => format!("[{sev}] {} {sym}: {}", alert.kind.name(), alert.message),
        None => format!("[{sev}] {}: {}", alert.kind.name(), alert.message),
    }
}

/// The webhook body of `alert` for `preset`.
pub fn body(alert: &Alert, preset: Preset, chat_id: Option<&str>) -> Value {
    match preset {
        Preset::Json => serde_json::to_value(alert).unwrap_or(Value::Null),
        Preset::Telegram => json!({"chat_id": chat_id.unwrap_or_default(), "text": text(alert)}),
        Preset::Discord => json!({"content": text(alert)}),
        Preset::Slack => json!({"text": text(alert)}),
    }
}

/// Per-kind rate limit state: when the last alert went out and how many were held back since.
#[derive(Debug, Default)]
pub(crate) struct RateLimit {
    last: BTreeMap<AlertKind, Instant>,
    suppressed: BTreeMap<AlertKind, u64>,
}

impl RateLimit {
    /// The alert to send now (its message mentioning earlier suppressed ones), or `None`
    /// when it falls within `min_interval` of the last one of its kind.
    pub(crate) fn admit(
        &mut self,
        mut alert: Alert,
        now: Instant,
        min_interval: Duration,
    ) -> Option<Alert> {
        if let Some(last) = self.last.get(&alert.kind) {
            if now.duration_since(*last) < min_interval {
                *self.suppressed.entry(alert.kind).or_default() += 1;
                return None;
            }
        }
        self.last.insert(alert.kind, now);
        if let Some(n) = self.suppressed.remove(&alert.kind).filter(|n| *n > 0) {
            alert.message = format!("{} ({n} similar alert(s) suppressed)", alert.message);
        }
        Some(alert)
    }
}

/// The background sender: takes alerts off `rx` until every sender is gone.
pub(crate) async fn run(config: AlertConfig, mut rx: mpsc::Receiver<Alert>) {
    let client = match reqwest::Client::builder().timeout(POST_TIMEOUT).build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e.without_url(), "alerts: cannot build the HTTP client; alerts disabled");
            return;
        }
    };
    let mut limit = RateLimit::default();
    while let Some(alert) = rx.recv().await {
        let kind = alert.kind.name();
        let Some(alert) = limit.admit(alert, Instant::now(), config.min_interval) else {
            tracing::debug!(kind, "alert rate-limited");
            continue;
        };
        let payload = body(&alert, config.preset, config.chat_id.as_deref()).to_string();
        let sent = client
            .post(config.webhook_url.as_str())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(payload)
            .send()
            .await;
        match sent {
            Ok(resp) if resp.status().is_success() => tracing::info!(kind, "alert delivered"),
            Ok(resp) => tracing::warn!(
                kind,
                status = resp.status().as_u16(),
                "alert webhook refused the alert"
            ),
            Err(e) => tracing::warn!(kind, error = %e.without_url(), "alert delivery failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(kind: AlertKind) -> Alert {
        Alert {
            kind,
            severity: Severity::Critical,
            message: "trading halted: x".into(),
            symbol: Some("DOGE/USD".into()),
            at: 5,
        }
    }

    #[test]
    fn preset_bodies() {
        let a = alert(AlertKind::Halt);
        let line = "[CRITICAL] halt DOGE/USD: trading halted: x";
        let cases: &[(&str, Preset, Value)] = &[
            (
                "json",
                Preset::Json,
                json!({"kind": "halt", "severity": "critical", "message": "trading halted: x",
                    "symbol": "DOGE/USD", "at": 5}),
            ),
            (
                "telegram",
                Preset::Telegram,
                json!({"chat_id": "42", "text": line}),
            ),
            ("discord", Preset::Discord, json!({"content": line})),
            ("slack", Preset::Slack, json!({"text": line})),
        ];
        for (name, preset, want) in cases {
            assert_eq!(&body(&a, *preset, Some("42")), want, "case {name}");
        }
    }

    #[test]
    fn rate_limit_per_kind_counts_suppressed() {
        let mut rl = RateLimit::default();
        let t0 = Instant::now();
        let min = Duration::from_secs(60);
        let s = |secs| t0 + Duration::from_secs(secs);
        assert!(
            rl.admit(alert(AlertKind::Halt), s(0), min).is_some(),
            "first goes out"
        );
        assert!(rl.admit(alert(AlertKind::Halt), s(10), min).is_none());
        assert!(rl.admit(alert(AlertKind::Halt), s(59), min).is_none());
        assert!(
            rl.admit(alert(AlertKind::HedgerEmergency), s(30), min)
                .is_some(),
            "other kind"
        );
        let next = rl
            .admit(alert(AlertKind::Halt), s(60), min)
            .expect("interval passed");
        assert_eq!(
            next.message,
            "trading halted: x (2 similar alert(s) suppressed)"
        );
        let after = rl
            .admit(alert(AlertKind::Halt), s(200), min)
            .expect("again");
        assert_eq!(after.message, "trading halted: x", "the count was reset");
    }
}
