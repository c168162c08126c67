//! The bridge between the engine thread and the HTTP side.
//!
//! The engine thread is a plain `std::thread`: it calls the `publish_*`/`set_*`/`record_*`
//! methods (none of them blocks or awaits) and polls [`CommandReceiver::try_recv`] between
//! steps. The HTTP handlers read what was published and queue [`Command`]s.
//!
//! Invariants:
//! - Publishing never blocks the engine: the status is a `watch` (latest value wins), journal
//!   records go to a bounded `broadcast` (a slow SSE client lags and is told so, the engine
//!   never waits), fills go to a bounded ring (oldest dropped).
//! - Each status and journal record is serialized once, on publish; every reader shares the
//!   text (`Arc`), so N SSE clients cost one serialization, not N.
//! - A command is answered exactly once through its oneshot `reply`; a handler that stops
//!   waiting (timeout) only drops its end, the engine's `send` then fails harmlessly.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::alerts::Alerter;
use crate::metrics::Metrics;

/// Sizes and cadences of a [`Hub`].
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// Fills kept for `/api/fills?since=` (oldest dropped first).
    pub fills_capacity: usize,
    /// Journal records buffered per SSE client before it lags.
    pub journal_capacity: usize,
    /// Commands queued for the engine before POSTs get 503.
    pub command_capacity: usize,
    /// Minimum gap between two `status` events to one SSE client (250 ms: at most 4/s).
    pub sse_status_interval: Duration,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            fills_capacity: 5000,
            journal_capacity: 1024,
            command_capacity: 64,
            sse_status_interval: Duration::from_millis(250),
        }
    }
}

/// One published status: the JSON and its serialized text.
#[derive(Debug)]
pub struct StatusSnapshot {
    pub value: Value,
    pub text: Arc<str>,
}

/// An operator action, as the engine receives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Pause,
    Resume,
    CancelEntries,
    Reconcile,
    /// A runtime-settable config key and its value text (the engine validates both exactly
    /// like the config file and refuses unknown keys).
    Set {
        key: String,
        value: String,
    },
}

impl Action {
    /// The action's name in the URL (`/api/actions/{name}`) and in metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::CancelEntries => "cancel_entries",
            Action::Reconcile => "reconcile",
            Action::Set { .. } => "set",
        }
    }
}

/// The engine's answer to a command: `ok` false means refused, with the reason in `message`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActionReply {
    pub ok: bool,
    pub message: String,
}

/// Where the engine sends its [`ActionReply`] (once).
#[derive(Debug)]
pub struct ReplySender(oneshot::Sender<ActionReply>);

impl ReplySender {
    /// Sends the answer. `false`: nobody waits any more (the HTTP request timed out).
    pub fn send(self, reply: ActionReply) -> bool {
        self.0.send(reply).is_ok()
    }
}

/// A command for the engine thread.
#[derive(Debug)]
pub struct Command {
    pub action: Action,
    pub reply: ReplySender,
}

/// The engine thread's end of the command queue.
#[derive(Debug)]
pub struct CommandReceiver {
    rx: mpsc::Receiver<Command>,
}

impl CommandReceiver {
    /// The next queued command, without waiting.
    pub fn try_recv(&mut self) -> Option<Command> {
        self.rx.try_recv().ok()
    }
}

/// Why a command could not be queued.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SubmitError {
    /// The queue is full: the engine is not draining it.
    Busy,
    /// The [`CommandReceiver`] is gone: the engine is not running.
    Gone,
}

/// Shared state behind the handle.
#[derive(Debug)]
struct Inner {
    config: HubConfig,
    status: watch::Sender<Option<Arc<StatusSnapshot>>>,
    journal: broadcast::Sender<Arc<str>>,
    ready: Arc<RwLock<(bool, String)>>,
    fills: Mutex<VecDeque<(Option<i64>, Arc<str>)>>,
    orders: RwLock<Arc<str>>,
    commands: mpsc::Sender<Command>,
    closed: watch::Sender<bool>,
    metrics: Metrics,
    alerter: OnceLock<Alerter>,
}

/// The engine ↔ HTTP bridge. Cheap to clone; every clone is the same hub.
#[derive(Clone, Debug)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl Hub {
    /// A hub and the engine's end of its command queue.
    pub fn new(config: HubConfig) -> (Hub, CommandReceiver) {
        let (status, status_rx) = watch::channel(None);
        let (journal, _) = broadcast::channel(config.journal_capacity.max(1));
        let (commands, rx) = mpsc::channel(config.command_capacity.max(1));
        let (closed, _) = watch::channel(false);
        let ready = Arc::new(RwLock::new((false, "starting".to_owned())));
        let metrics = Metrics::new(status_rx, ready.clone());
        let inner = Inner {
            config,
            status,
            journal,
            ready,
            fills: Mutex::new(VecDeque::new()),
            orders: RwLock::new(Arc::from(r#"{"orders":[]}"#)),
            commands,
            closed,
            metrics,
            alerter: OnceLock::new(),
        };
        (
            Hub {
                inner: Arc::new(inner),
            },
            CommandReceiver { rx },
        )
    }

    /// Replaces the latest status (SSE clients get it, coalesced to their cadence).
    pub fn publish_status(&self, status: Value) {
        if let Some(alerter) = self.inner.alerter.get() {
            alerter.on_status(&status);
        }
        let text: Arc<str> = Arc::from(status.to_string());
        self.inner
            .status
            .send_replace(Some(Arc::new(StatusSnapshot {
                value: status,
                text,
            })));
    }

    /// Sends one journal record to every SSE client and counts it in the metrics.
    pub fn publish_journal(&self, record: Value) {
        self.inner.metrics.count_journal(&record);
        if let Some(alerter) = self.inner.alerter.get() {
            alerter.on_journal(&record);
        }
        // No receiver (no SSE client) is not an error: the record is simply not streamed.
        let _ = self.inner.journal.send(Arc::from(record.to_string()));
    }

    /// Sets readiness (`/readyz`); `reason` says why not ready (ignored when ready).
    pub fn set_ready(&self, ready: bool, reason: impl Into<String>) {
        let mut slot = self
            .inner
            .ready
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        *slot = (ready, if ready { String::new() } else { reason.into() });
    }

    /// Keeps one fill for `/api/fills` (its `t` field, ms, orders the `since` filter).
    pub fn record_fill(&self, fill: Value) {
        let t = fill.get("t").and_then(json_ms);
        let text = Arc::from(fill.to_string());
        let mut ring = self
            .inner
            .fills
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if ring.len() >= self.inner.config.fills_capacity.max(1) {
            ring.pop_front();
        }
        ring.push_back((t, text));
    }

    /// Replaces the orders list of `/api/orders`: an array of orders, or an object that
    /// already has the `{"orders": [...]}` shape.
    pub fn set_orders(&self, orders: Value) {
        let body = if orders.is_object() {
            orders
        } else {
            serde_json::json!({ "orders": orders })
        };
        let text = Arc::from(body.to_string());
        *self
            .inner
            .orders
            .write()
            .unwrap_or_else(PoisonError::into_inner) = text;
    }

    /// Attaches the webhook alerter: from now on every published status and journal record
    /// goes through its detection. A hub has at most one (`Err` gives it back).
    pub fn set_alerter(&self, alerter: Alerter) -> Result<(), Alerter> {
        self.inner.alerter.set(alerter)
    }

    /// Feeds `flywheel_store_commit_seconds`.
    pub fn observe_commit(&self, secs: f64) {
        self.inner.metrics.observe_commit(secs);
    }

    /// Feeds `flywheel_step_seconds`.
    pub fn observe_step(&self, secs: f64) {
        self.inner.metrics.observe_step(secs);
    }

    /// Ends every SSE stream (call before shutting the server down).
    pub fn close(&self) {
        self.inner.closed.send_replace(true);
    }

    // ---- the HTTP side ----

    pub(crate) fn config(&self) -> &HubConfig {
        &self.inner.config
    }

    pub(crate) fn status(&self) -> Option<Arc<StatusSnapshot>> {
        self.inner.status.borrow().clone()
    }

    pub(crate) fn status_rx(&self) -> watch::Receiver<Option<Arc<StatusSnapshot>>> {
        self.inner.status.subscribe()
    }

    pub(crate) fn journal_rx(&self) -> broadcast::Receiver<Arc<str>> {
        self.inner.journal.subscribe()
    }

    pub(crate) fn closed_rx(&self) -> watch::Receiver<bool> {
        self.inner.closed.subscribe()
    }

    pub(crate) fn ready(&self) -> (bool, String) {
        self.inner
            .ready
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn orders_text(&self) -> Arc<str> {
        self.inner
            .orders
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Fills with `t > since` (all kept when `None`: the last `limit`), oldest first, as one
    /// `{"fills": [...]}` body.
    pub(crate) fn fills_body(&self, since: Option<i64>, limit: usize) -> String {
        let ring = self
            .inner
            .fills
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let picked: Vec<&Arc<str>> = match since {
            Some(since) => ring
                .iter()
                .filter(|(t, _)| t.is_some_and(|t| t > since))
                .map(|(_, text)| text)
                .collect(),
            None => ring
                .iter()
                .skip(ring.len().saturating_sub(limit))
                .map(|(_, text)| text)
                .collect(),
        };
        let mut body =
            String::with_capacity(16 + picked.iter().map(|t| t.len() + 1).sum::<usize>());
        body.push_str(r#"{"fills":["#);
        for (i, text) in picked.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(text);
        }
        body.push_str("]}");
        body
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Queues a command and returns where its answer will arrive.
    pub(crate) fn submit(
        &self,
        action: Action,
    ) -> Result<oneshot::Receiver<ActionReply>, SubmitError> {
        let (tx, rx) = oneshot::channel();
        let cmd = Command {
            action,
            reply: ReplySender(tx),
        };
        match self.inner.commands.try_send(cmd) {
            Ok(()) => Ok(rx),
            Err(mpsc::error::TrySendError::Full(_)) => Err(SubmitError::Busy),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(SubmitError::Gone),
        }
    }
}

/// A JSON millisecond timestamp (integer, or a float from a careless producer).
fn json_ms(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_u64().map(|u| i64::try_from(u).unwrap_or(i64::MAX)))
        .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fills_ring_filters_and_bounds() {
        let (hub, _rx) = Hub::new(HubConfig {
            fills_capacity: 3,
            ..HubConfig::default()
        });
        for t in [10, 20, 30, 40] {
            hub.record_fill(json!({"trade_id": format!("T{t}"), "t": t}));
        }
        let ids = |body: String| -> Vec<i64> {
            let v: Value = serde_json::from_str(&body).expect("json");
            v["fills"]
                .as_array()
                .expect("array")
                .iter()
                .map(|f| f["t"].as_i64().expect("t"))
                .collect()
        };
        let cases: &[(&str, Option<i64>, usize, &[i64])] = &[
            ("all kept (oldest dropped)", None, 500, &[20, 30, 40]),
            ("limit keeps the newest", None, 2, &[30, 40]),
            ("since is exclusive", Some(20), 500, &[30, 40]),
            ("since past the end", Some(40), 500, &[]),
            ("since before the ring", Some(0), 500, &[20, 30, 40]),
        ];
        for (name, since, limit, want) in cases {
            assert_eq!(ids(hub.fills_body(*since, *limit)), *want, "case {name}");
        }
    }

    #[test]
    fn commands_round_trip_and_report_a_gone_engine() {
        let (hub, mut rx) = Hub::new(HubConfig {
            command_capacity: 1,
            ..HubConfig::default()
        });
        let mut answer = hub.submit(Action::Pause).expect("queued");
        assert_eq!(hub.submit(Action::Resume).err(), Some(SubmitError::Busy));
        let cmd = rx.try_recv().expect("a command");
        assert_eq!(cmd.action, Action::Pause);
        assert!(cmd.reply.send(ActionReply {
            ok: true,
            message: "paused".into()
        }));
        assert_eq!(answer.try_recv().map(|r| r.ok), Ok(true));
        assert!(rx.try_recv().is_none());
        drop(rx);
        assert_eq!(hub.submit(Action::Pause).err(), Some(SubmitError::Gone));
    }

    #[test]
    fn orders_accept_array_or_object() {
        let (hub, _rx) = Hub::new(HubConfig::default());
        hub.set_orders(json!([{"cl_ord_id": "fw-1"}]));
        assert_eq!(&*hub.orders_text(), r#"{"orders":[{"cl_ord_id":"fw-1"}]}"#);
        hub.set_orders(json!({"orders": []}));
        assert_eq!(&*hub.orders_text(), r#"{"orders":[]}"#);
    }
}
