//! Webhook alerts: halts, governor oscillation, the B-side card turning amber/red, hedger
//! emergencies, reconnect storms, reconciliation discrepancies, invariant violations.
//!
//! [`detect`] is pure (previous status, new status, time → alerts); the [`Alerter`] keeps the
//! previous status, runs detection on each published status (on the caller's thread: a few
//! field reads) and hands alerts to a background task that rate-limits and POSTs them
//! (plain JSON or a Telegram/Discord/Slack body). Nothing here blocks or panics the engine.
//!
//! Attach one to a Hub with [`crate::Hub::set_alerter`]: then `publish_status` and
//! `publish_journal` feed it.

mod deliver;
mod detect;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

pub use deliver::{body, text};
pub use detect::{
    detect, Alert, AlertKind, ReconnectHistory, Severity, OSCILLATION_FLIPS, STORM_RECONNECTS,
    STORM_WINDOW_MS,
};

/// Alerts waiting for the sender before new ones are dropped.
pub const QUEUE_CAPACITY: usize = 256;

/// The webhook body shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// `{"kind","severity","message","symbol","at"}`
    Json,
    /// Telegram `sendMessage`: `{"chat_id","text"}` (the URL holds the bot token).
    Telegram,
    /// A Discord webhook: `{"content"}`.
    Discord,
    /// A Slack incoming webhook: `{"text"}`.
    Slack,
}

/// Where and how alerts go.
#[derive(Clone)]
pub struct AlertConfig {
    /// The webhook URL. Often holds a secret (Telegram bot token, Discord/Slack webhook
    /// path): never shown by `Debug` nor logged.
    pub webhook_url: String,
    pub preset: Preset,
    /// At most one alert of a kind per this interval.
    pub min_interval: Duration,
    /// The Telegram chat to post to (required by the Telegram preset).
    pub chat_id: Option<String>,
}

impl fmt::Debug for AlertConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertConfig")
            .field("webhook_url", &"[redacted]")
            .field("preset", &self.preset)
            .field("min_interval", &self.min_interval)
            .field("chat_id", &self.chat_id)
            .finish()
    }
}

/// A configuration the alerter refuses (the field is named; the URL is never shown).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AlertConfigError {
    #[error("alerts webhook_url must start with http:// or https://")]
    Url,
    #[error("alerts preset telegram needs chat_id")]
    ChatId,
}

impl AlertConfig {
    pub fn validate(&self) -> Result<(), AlertConfigError> {
        let url = self.webhook_url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(AlertConfigError::Url);
        }
        if self.preset == Preset::Telegram && self.chat_id.as_deref().is_none_or(str::is_empty) {
            return Err(AlertConfigError::ChatId);
        }
        Ok(())
    }
}

/// What the alerter remembers between statuses.
#[derive(Debug, Default)]
struct State {
    prev: Option<Value>,
    history: ReconnectHistory,
}

/// Detects alerts in what the Hub publishes and queues them for delivery.
#[derive(Debug)]
pub struct Alerter {
    state: Mutex<State>,
    tx: mpsc::Sender<Alert>,
    dropped: AtomicU64,
}

impl Alerter {
    /// Validates `config` and starts the sender task on `runtime`.
    pub fn start(
        config: AlertConfig,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Alerter, AlertConfigError> {
        config.validate()?;
        // reqwest is built with `rustls-no-provider`: an https webhook needs a provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        runtime.spawn(deliver::run(config, rx));
        Ok(Alerter {
            state: Mutex::new(State::default()),
            tx,
            dropped: AtomicU64::new(0),
        })
    }

    /// Runs detection on a new status (time: its `now` field, ms; else the wall clock).
    pub fn on_status(&self, status: &Value) {
        let now = status["now"].as_i64().unwrap_or_else(wall_ms);
        let alerts = {
            let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let (alerts, history) = detect(st.prev.as_ref(), status, now, &st.history);
            st.history = history;
            st.prev = Some(status.clone());
            alerts
        };
        for a in alerts {
            self.queue(a);
        }
    }

    /// Alerts on journal records that the status does not carry: invariant violations.
    pub fn on_journal(&self, record: &Value) {
        if record["kind"].as_str() != Some("invariant_violation") {
            return;
        }
        let at = record["ts"]
            .as_i64()
            .or_else(|| record["t"].as_i64())
            .unwrap_or_else(wall_ms);
        let symbol = {
            let st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            st.prev
                .as_ref()
                .and_then(|p| p["symbol"].as_str().map(str::to_owned))
        };
        let slot = record["slot"]
            .as_u64()
            .map_or_else(|| "?".to_owned(), |s| s.to_string());
        self.queue(Alert {
            kind: AlertKind::InvariantViolation,
            severity: Severity::Critical,
            message: format!("invariant violated in slot {slot}"),
            symbol,
            at,
        });
    }

    /// Alerts dropped because the delivery queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn queue(&self, alert: Alert) {
        if let Err(e) = self.tx.try_send(alert) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            let kind = match &e {
                mpsc::error::TrySendError::Full(a) | mpsc::error::TrySendError::Closed(a) => {
                    a.kind.name()
                }
            };
            tracing::warn!(kind, "alert dropped: delivery queue full or sender stopped");
        }
    }
}

fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
