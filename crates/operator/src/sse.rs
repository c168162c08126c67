//! `GET /api/events`: server-sent events of status changes and journal records.
//!
//! Invariants:
//! - A new client gets the current status first (when one was published), then journal
//!   records as they come and the status again whenever it changed.
//! - Status events are coalesced: at most one per `sse_status_interval` per client (the latest
//!   one wins), so a fast engine costs a client at most ~4 status events a second.
//! - A client too slow for the journal gets `event: lagged` with `{"skipped": n}` and goes on
//!   from the oldest record still buffered; the engine never waits for it.
//! - The stream ends when the Hub is closed.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use crate::hub::{Hub, StatusSnapshot};

/// Counts the client in `flywheel_sse_clients` while the stream lives.
struct ClientGuard(Hub);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.metrics().sse_disconnected();
    }
}

struct Client {
    status: watch::Receiver<Option<Arc<StatusSnapshot>>>,
    journal: broadcast::Receiver<Arc<str>>,
    closed: watch::Receiver<bool>,
    /// A status change not sent yet.
    pending: bool,
    /// When the next status event may go out.
    next_status: Instant,
    interval: Duration,
    _guard: ClientGuard,
}

pub(crate) async fn events_handler(
    State(hub): State<Hub>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    Sse::new(events(hub)).keep_alive(KeepAlive::default())
}

/// The event stream of one client.
pub(crate) fn events(hub: Hub) -> impl Stream<Item = Result<Event, Infallible>> {
    hub.metrics().sse_connected();
    // Subscribe to the journal before reading the status, so no record published after the
    // status the client sees is missed.
    let client = Client {
        journal: hub.journal_rx(),
        status: hub.status_rx(),
        closed: hub.closed_rx(),
        pending: true,
        next_status: Instant::now(),
        interval: hub.config().sse_status_interval,
        _guard: ClientGuard(hub),
    };
    futures_util::stream::unfold(client, |mut c| async move {
        let event = c.next_event().await?;
        Some((Ok(event), c))
    })
}

impl Client {
    async fn next_event(&mut self) -> Option<Event> {
        loop {
            if *self.closed.borrow() {
                return None;
            }
            tokio::select! {
                // Status first: the initial status precedes any journal record, and a busy
                // journal cannot starve status updates.
                biased;
                r = self.closed.changed() => {
                    if r.is_err() {
                        return None;
                    }
                }
                () = tokio::time::sleep_until(self.next_status), if self.pending => {
                    self.pending = false;
                    let snap = self.status.borrow_and_update().clone();
                    if let Some(snap) = snap {
                        self.next_status = Instant::now() + self.interval;
                        return Some(Event::default().event("status").data(&*snap.text));
                    }
                }
                r = self.status.changed(), if !self.pending => {
                    if r.is_err() {
                        return None;
                    }
                    self.pending = true;
                }
                r = self.journal.recv() => match r {
                    Ok(text) => return Some(Event::default().event("journal").data(&*text)),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        return Some(
                            Event::default()
                                .event("lagged")
                                .data(format!("{{\"skipped\":{n}}}")),
                        )
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            }
        }
    }
}
