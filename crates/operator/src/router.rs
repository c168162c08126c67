//! The HTTP routes of the operator API (see docs/operator.md and the status contract).
//!
//! Invariants:
//! - GET routes only read what the Hub holds; they never reach the engine.
//! - Every POST is authenticated first (401 without a bearer token, 403 with a wrong one,
//!   403 when the server has no token at all), then goes through the engine's command queue
//!   and answers with what the engine said: 200 applied, 422 refused, 504 no answer in time.
//! - Every error body is JSON `{"ok": false, "message": ...}`; messages never echo the token.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::hub::{Action, Hub, SubmitError};
use crate::metrics::Outcome;
use crate::token::Token;

/// Fills returned by `/api/fills` without `since`.
pub const DEFAULT_FILLS: usize = 500;

/// How the router authenticates and how long it waits for the engine.
#[derive(Debug)]
pub struct ServerConfig {
    /// The bearer token of POSTs; `None`: every POST is refused (403).
    pub token: Option<Token>,
    /// How long a POST waits for the engine's answer before 504.
    pub command_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            token: None,
            command_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Clone, Debug)]
struct AppState {
    hub: Hub,
    token: Option<Arc<Token>>,
    command_timeout: Duration,
}

impl axum::extract::FromRef<AppState> for Hub {
    fn from_ref(state: &AppState) -> Hub {
        state.hub.clone()
    }
}

/// The operator API over `hub`.
pub fn router(hub: Hub, config: ServerConfig) -> Router {
    let state = AppState {
        hub,
        token: config.token.map(Arc::new),
        command_timeout: config.command_timeout,
    };
    Router::new()
        .route("/api/status", get(status))
        .route("/api/orders", get(orders))
        .route("/api/fills", get(fills))
        .route("/api/events", get(crate::sse::events_handler))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/actions/{action}", post(action))
        .fallback(not_found)
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open requests finish for
/// up to 2 s (SSE streams end when the Hub is closed; this bounds the wait if it was not).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, router).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stop_tx.send(());
    });
    let grace = async {
        if stop_rx.await.is_ok() {
            tokio::time::sleep(Duration::from_secs(2)).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        r = server => r,
        () = grace => Ok(()),
    }
}

/// A JSON error body `{"ok": false, "message": ...}` with `code`.
pub(crate) fn error(code: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({"ok": false, "message": message.into()});
    (code, axum::Json(body)).into_response()
}

fn json_text(text: impl Into<String>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], text.into()).into_response()
}

async fn status(State(st): State<AppState>) -> Response {
    match st.hub.status() {
        Some(snap) => json_text(&*snap.text),
        None => error(StatusCode::SERVICE_UNAVAILABLE, "no status published yet"),
    }
}

async fn orders(State(st): State<AppState>) -> Response {
    json_text(&*st.hub.orders_text())
}

async fn fills(State(st): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let mut since = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if key == "since" {
            match value.trim().parse::<i64>() {
                Ok(ms) => since = Some(ms),
                Err(_) => {
                    let shown: String = value.chars().take(40).collect();
                    return error(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "query parameter `since` must be an integer (ms since the epoch), got {shown:?}"
                        ),
                    );
                }
            }
        }
    }
    json_text(st.hub.fills_body(since, DEFAULT_FILLS))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(st): State<AppState>) -> Response {
    let (ready, reason) = st.hub.ready();
    if ready {
        "ready".into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}"),
        )
            .into_response()
    }
}

async fn metrics(State(st): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        st.hub.metrics().encode(),
    )
        .into_response()
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such route")
}

/// Checks the bearer token: `None` when the request may go on, else the refusal.
fn authenticate(token: Option<&Token>, headers: &HeaderMap) -> Option<Response> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    let Some(presented) = presented else {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "missing `Authorization: Bearer <token>` header",
        ));
    };
    match token {
        None => Some(error(
            StatusCode::FORBIDDEN,
            "actions are disabled: the server has no operator token configured",
        )),
        Some(t) if t.verify(presented.trim()) => None,
        Some(_) => Some(error(StatusCode::FORBIDDEN, "wrong operator token")),
    }
}

/// The body of `POST /api/actions/set`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SetBody {
    key: String,
    value: Value,
}

/// Most characters of a `set` key or value (the engine refuses anything longer anyway).
const MAX_SET_LEN: usize = 200;

/// The action named in the URL, with its body; the refusal's status code and message else.
fn parse_action(name: &str, body: &Bytes) -> Result<Action, (StatusCode, String)> {
    match name {
        "pause" => Ok(Action::Pause),
        "resume" => Ok(Action::Resume),
        "cancel_entries" => Ok(Action::CancelEntries),
        "reconcile" => Ok(Action::Reconcile),
        "set" => {
            let bad = |why: String| (StatusCode::BAD_REQUEST, why);
            let parsed: SetBody = serde_json::from_slice(body).map_err(|e| {
                bad(format!(
                    "POST /api/actions/set: body must be {{\"key\": \"...\", \"value\": \"...\"}}: {e}"
                ))
            })?;
            let Value::String(value) = parsed.value else {
                return Err(bad(
                    "POST /api/actions/set: `value` must be a string (e.g. \"2.5\")".to_owned(),
                ));
            };
            if parsed.key.is_empty() || parsed.key.len() > MAX_SET_LEN || value.len() > MAX_SET_LEN
            {
                return Err(bad(format!(
                    "POST /api/actions/set: `key` must be non-empty and key and value at most {MAX_SET_LEN} bytes"
                )));
            }
            Ok(Action::Set {
                key: parsed.key,
                value,
            })
        }
        _ => Err((
            StatusCode::NOT_FOUND,
            "unknown action: use pause, resume, cancel_entries, reconcile or set".to_owned(),
        )),
    }
}

async fn action(
    State(st): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = authenticate(st.token.as_deref(), &headers) {
        return refusal;
    }
    let action = match parse_action(&name, &body) {
        Ok(a) => a,
        Err((code, message)) => return error(code, message),
    };
    let label = action.name();
    let metrics = st.hub.metrics();
    let (ready, reason) = st.hub.ready();
    if !ready && action != Action::Pause {
        metrics.count_command(label, Outcome::Unavailable);
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready ({reason}): only pause is accepted before the restart reconciliation is done"),
        );
    }
    let answer = match st.hub.submit(action) {
        Ok(rx) => rx,
        Err(why) => {
            metrics.count_command(label, Outcome::Unavailable);
            let msg = match why {
                SubmitError::Busy => "the engine's command queue is full; try again",
                SubmitError::Gone => "the engine is not running",
            };
            return error(StatusCode::SERVICE_UNAVAILABLE, msg);
        }
    };
    match tokio::time::timeout(st.command_timeout, answer).await {
        Ok(Ok(reply)) if reply.ok => {
            metrics.count_command(label, Outcome::Applied);
            (StatusCode::OK, axum::Json(reply)).into_response()
        }
        Ok(Ok(reply)) => {
            metrics.count_command(label, Outcome::Refused);
            (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(reply)).into_response()
        }
        Ok(Err(_dropped)) => {
            metrics.count_command(label, Outcome::Unavailable);
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the engine dropped the command without answering",
            )
        }
        Err(_elapsed) => {
            metrics.count_command(label, Outcome::Timeout);
            error(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "the engine did not answer within {} ms; the command may still be applied",
                    st.command_timeout.as_millis()
                ),
            )
        }
    }
}
