//! The Hub's Prometheus registry: counters the Hub keeps itself and the gauges derived from the
//! latest status at scrape time.
//!
//! Invariants:
//! - One registry per Hub (no global recorder): many hubs live side by side in one process.
//! - Every label value is bounded: it comes from a fixed set, or is a short snake_case word
//!   (anything else becomes `other`), and a Hub creates at most [`MAX_SERIES`] order series.
//! - Counters never go down; they count what passed through the Hub since it was created.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use serde_json::Value;
use tokio::sync::watch;

use crate::hub::StatusSnapshot;
use crate::status_metrics::StatusCollector;

/// The `Content-Type` of `/metrics` (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Most distinct `{event,reason}` pairs of `flywheel_orders_total` (more fold into `other`).
pub const MAX_SERIES: usize = 64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrderLabels {
    event: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabels {
    action: String,
    outcome: String,
}

/// What became of an operator command (the `outcome` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Applied,
    Refused,
    Timeout,
    Unavailable,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Refused => "refused",
            Outcome::Timeout => "timeout",
            Outcome::Unavailable => "unavailable",
        }
    }
}

/// The registry and the metrics the Hub feeds.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    orders: Family<OrderLabels, Counter>,
    journal: Family<KindLabels, Counter>,
    commands: Family<CommandLabels, Counter>,
    sse_clients: Gauge,
    commit: Histogram,
    step: Histogram,
    /// The `{event,reason}` pairs seen so far (bounds the series count).
    order_series: Mutex<BTreeSet<(String, String)>>,
}

impl Metrics {
    /// The registry of one Hub: its own counters, plus the gauges read from `status` and
    /// `ready` at each scrape.
    pub(crate) fn new(
        status: watch::Receiver<Option<Arc<StatusSnapshot>>>,
        ready: Arc<RwLock<(bool, String)>>,
    ) -> Metrics {
        let mut registry = Registry::default();
        let orders = Family::<OrderLabels, Counter>::default();
        let journal = Family::<KindLabels, Counter>::default();
        let commands = Family::<CommandLabels, Counter>::default();
        let sse_clients = Gauge::default();
        // 100 µs … ~3.3 s: a step or a commit slower than that is an incident either way.
        let commit = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        let step = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        registry.register(
            "flywheel_orders",
            "Order events seen in the journal, by event and reason",
            orders.clone(),
        );
        registry.register(
            "flywheel_journal_records",
            "Journal records published, by kind",
            journal.clone(),
        );
        registry.register(
            "flywheel_operator_commands",
            "Operator commands (POST /api/actions), by action and outcome",
            commands.clone(),
        );
        registry.register(
            "flywheel_sse_clients",
            "Clients connected to /api/events",
            sse_clients.clone(),
        );
        registry.register(
            "flywheel_store_commit_seconds",
            "Time to commit one engine step to the store",
            commit.clone(),
        );
        registry.register(
            "flywheel_step_seconds",
            "Time the engine took for one step",
            step.clone(),
        );
        registry.register_collector(Box::new(StatusCollector { status, ready }));
        Metrics {
            registry,
            orders,
            journal,
            commands,
            sse_clients,
            commit,
            step,
            order_series: Mutex::new(BTreeSet::new()),
        }
    }

    /// The exposition text of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        // Writing into a String cannot fail; an encoder error would be a bug in a collector,
        // and a scrape still gets what was written before it.
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
        {
            tracing::warn!(error = %e, "encoding /metrics failed part way");
        }
        out
    }

    pub(crate) fn observe_commit(&self, secs: f64) {
        if secs.is_finite() && secs >= 0.0 {
            self.commit.observe(secs);
        }
    }

    pub(crate) fn observe_step(&self, secs: f64) {
        if secs.is_finite() && secs >= 0.0 {
            self.step.observe(secs);
        }
    }

    pub(crate) fn count_command(&self, action: &str, outcome: Outcome) {
        self.commands
            .get_or_create(&CommandLabels {
                action: action.to_owned(),
                outcome: outcome.label().to_owned(),
            })
            .inc();
    }

    pub(crate) fn sse_connected(&self) {
        self.sse_clients.inc();
    }

    pub(crate) fn sse_disconnected(&self) {
        self.sse_clients.dec();
    }

    /// Counts one journal record: by kind, and as an order event when it is one.
    pub(crate) fn count_journal(&self, record: &Value) {
        let kind = record
            .get("kind")
            .and_then(Value::as_str)
            .map_or("other", word);
        self.journal
            .get_or_create(&KindLabels {
                kind: kind.to_owned(),
            })
            .inc();
        if let Some((event, reason)) = order_event(record) {
            let key = self.bounded_series(event, reason);
            self.orders
                .get_or_create(&OrderLabels {
                    event: key.0,
                    reason: key.1,
                })
                .inc();
        }
    }

    /// `(event, reason)` itself while fewer than [`MAX_SERIES`] pairs exist, else `other`.
    fn bounded_series(&self, event: &str, reason: &str) -> (String, String) {
        let mut seen = self
            .order_series
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let key = (event.to_owned(), reason.to_owned());
        if seen.contains(&key) {
            return key;
        }
        if seen.len() < MAX_SERIES {
            seen.insert(key.clone());
            return key;
        }
        ("other".to_owned(), "other".to_owned())
    }
}

/// The order event a journal record stands for, with its reason (`none` without one).
///
/// Grid records: `placed`, `place_rejected`, `deferred`, `cancel_failed`, and `venue` (whose
/// `event.type` is the event: `acked`, `fill`, `done`, `rejected`, `unknown`, …). Maker
/// records: `placed`, `acked`, `place_rejected`, `cancelled`, `fill`, `done`.
fn order_event(record: &Value) -> Option<(&str, &str)> {
    let kind = record.get("kind")?.as_str()?;
    let (event, body) = match kind {
        "placed" | "place_rejected" | "deferred" | "cancel_failed" | "acked" | "cancelled"
        | "fill" | "done" => (kind, record),
        "venue" => {
            let ev = record.get("event")?;
            (word(ev.get("type")?.as_str()?), ev)
        }
        _ => return None,
    };
    let reason = body
        .get("reason")
        .and_then(Value::as_str)
        .map_or("none", word);
    Some((event, reason))
}

/// `s` when it is a short snake_case word (a label value from a fixed enum), else `other`.
fn word(s: &str) -> &str {
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        s
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn order_events_from_journal_records() {
        type Case<'a> = (&'a str, Value, Option<(&'a str, &'a str)>);
        let cases: &[Case] = &[
            (
                "grid placed",
                json!({"kind": "placed", "ts": 1}),
                Some(("placed", "none")),
            ),
            (
                "grid place_rejected",
                json!({"kind": "place_rejected", "reason": "fund_guard"}),
                Some(("place_rejected", "fund_guard")),
            ),
            (
                "venue fill",
                json!({"kind": "venue", "event": {"type": "fill", "qty": "1"}}),
                Some(("fill", "none")),
            ),
            (
                "venue done cancelled",
                json!({"kind": "venue", "event": {"type": "done", "reason": "cancelled"}}),
                Some(("done", "cancelled")),
            ),
            (
                "free text reason folds to other",
                json!({"kind": "place_rejected", "reason": "EOrder:Insufficient funds"}),
                Some(("place_rejected", "other")),
            ),
            (
                "maker fill",
                json!({"kind": "fill"}),
                Some(("fill", "none")),
            ),
            ("not an order event", json!({"kind": "rebalance"}), None),
            ("no kind", json!({"ts": 1}), None),
        ];
        for (name, rec, want) in cases {
            assert_eq!(order_event(rec), *want, "case {name}");
        }
    }

    #[test]
    fn order_series_are_bounded() {
        let (_tx, rx) = watch::channel(None);
        let m = Metrics::new(rx, Arc::default());
        for i in 0..(MAX_SERIES + 10) {
            m.count_journal(&json!({"kind": "place_rejected", "reason": format!("r{i}")}));
        }
        let text = m.encode();
        let series = text
            .lines()
            .filter(|l| l.starts_with("flywheel_orders_total{"))
            .count();
        assert_eq!(
            series,
            MAX_SERIES + 1,
            "{MAX_SERIES} pairs plus other/other"
        );
        assert!(text.contains(r#"flywheel_orders_total{event="other",reason="other"} 10"#));
    }
}
