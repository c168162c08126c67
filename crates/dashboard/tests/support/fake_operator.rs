//! A fake operator API for the browser test: the dashboard's `routes()` merged with
//! hand-written `/api/status`, `/api/events` (SSE) and `/api/actions/*` handlers that serve a
//! status from the contract (helpers/status-contract.md) and record every POST.
//!
//! It applies `pause`/`resume` to the status it serves (and pushes the change on the stream),
//! so a click can be seen coming back; everything else is recorded and answered `ok`.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::stream::{self, Stream};
use serde_json::{json, Value};
use tokio::sync::broadcast;

/// The token the fake accepts.
pub const TOKEN: &str = "fake-operator-token-7";

/// One POST received.
#[derive(Debug, Clone)]
pub struct Post {
    pub action: String,
    pub authorization: Option<String>,
    pub body: String,
}

#[derive(Clone)]
struct Shared {
    status: Arc<Mutex<Value>>,
    events: broadcast::Sender<(&'static str, String)>,
    posts: Arc<Mutex<Vec<Post>>>,
}

/// A running fake server.
pub struct FakeOperator {
    pub url: String,
    shared: Shared,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl FakeOperator {
    /// Serve `status` on a free loopback port.
    pub async fn start(status: Value) -> FakeOperator {
        let (events, _) = broadcast::channel(64);
        let shared = Shared {
            status: Arc::new(Mutex::new(status)),
            events,
            posts: Arc::default(),
        };
        let app: Router = flywheel_dashboard::routes()
            .route("/api/status", get(status_handler))
            .route("/api/events", get(events_handler))
            .route("/api/actions/{name}", post(action_handler))
            .with_state(shared.clone());
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => panic!("fake operator: bind 127.0.0.1:0: {e}"),
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => panic!("fake operator: local_addr: {e}"),
        };
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeOperator {
            url: format!("http://{addr}/"),
            shared,
        }
    }

    /// Replace the status and push it to every SSE client.
    pub fn push_status(&self, status: Value) {
        let text = status.to_string();
        *lock(&self.shared.status) = status;
        let _ = self.shared.events.send(("status", text));
    }

    /// Push one journal record.
    pub fn push_journal(&self, record: Value) {
        self.push_event("journal", record);
    }

    /// Push any named event (`lagged` is what the operator server sends a slow client).
    pub fn push_event(&self, kind: &'static str, data: Value) {
        let _ = self.shared.events.send((kind, data.to_string()));
    }

    pub fn status(&self) -> Value {
        lock(&self.shared.status).clone()
    }

    pub fn posts(&self) -> Vec<Post> {
        lock(&self.shared.posts).clone()
    }
}

async fn status_handler(State(s): State<Shared>) -> Json<Value> {
    Json(lock(&s.status).clone())
}

async fn events_handler(
    State(s): State<Shared>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // A new client gets the current status first, then every pushed event.
    let first = lock(&s.status).to_string();
    let rx = s.events.subscribe();
    let stream = stream::unfold((Some(first), rx), |(first, mut rx)| async move {
        if let Some(text) = first {
            return Some((Ok(Event::default().event("status").data(text)), (None, rx)));
        }
        loop {
            match rx.recv().await {
                Ok((kind, text)) => {
                    return Some((Ok(Event::default().event(kind).data(text)), (None, rx)))
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn action_handler(
    State(s): State<Shared>,
    Path(action): Path<String>,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    lock(&s.posts).push(Post {
        action: action.clone(),
        authorization: authorization.clone(),
        body,
    });
    let reply = |code: StatusCode, ok: bool, message: String| {
        (code, Json(json!({"ok": ok, "message": message})))
    };
    match authorization.as_deref() {
        None => return reply(StatusCode::UNAUTHORIZED, false, "token required".into()),
        Some(a) if a != format!("Bearer {TOKEN}") => {
            return reply(StatusCode::FORBIDDEN, false, "wrong token".into())
        }
        Some(_) => {}
    }
    let paused = match action.as_str() {
        "pause" => Some(true),
        "resume" => Some(false),
        _ => None,
    };
    if let Some(p) = paused {
        let text = {
            let mut st = lock(&s.status);
            st["paused"] = Value::Bool(p);
            st.to_string()
        };
        let _ = s.events.send(("status", text));
    }
    reply(StatusCode::OK, true, format!("{action} applied"))
}
