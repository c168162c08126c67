//! Restart, the store's half (live.md §6, restart steps 1–4): load the strategy's latest
//! snapshot (the grid's or the maker's kind), follow again every order it (and the store)
//! holds as live, seed the fills already applied, and resume the client order id sequence
//! past every id ever sent.
//!
//! Invariants:
//! - **Nothing is assumed.** A resumed order keeps the engine's state but is looked up by
//!   `cl_ord_id` before anything else: an intent that never left is proven never placed
//!   after its deadline, one that left is found with its fills.
//! - **No fill twice.** Every execution id in the store, and every fill waiting in the
//!   snapshot's inbox, is known to the tracker before the exchange is asked again.
//! - **No id twice.** The engine's sequence resumes after the higher of the snapshot's and
//!   the venue's persisted last-sent number.
//! - A snapshot that does not fit the configured engine (slot count, a corrupt body) stops
//!   the start with the reason; the database is left as it is.

use flywheel_core::Timestamp;
use flywheel_store::{BlockingStore, OrderStatus};
use flywheel_venue::{OrderKind, OrderRequest};
use thiserror::Error;

use crate::live::ledger::{Ledger, KV_BASE, KV_QUOTE};
use crate::live::rows::Rows;
use crate::live::strategy::LiveStrategy;

#[derive(Debug, Error)]
pub enum RestartError {
    #[error("store: {0}")]
    Store(#[from] flywheel_store::StoreError),
    #[error("snapshot of step {step}: {reason}")]
    Snapshot { step: u64, reason: String },
    #[error("{0}")]
    Ledger(String),
}

/// What the store gave back.
#[derive(Debug)]
pub struct Resumed {
    /// The last committed step (0: a first start).
    pub step: u64,
    pub snapshot_at: Option<Timestamp>,
    pub rows: Rows,
    pub ledger: Option<Ledger>,
    /// Orders followed again, to be settled with the exchange.
    pub orders: usize,
    /// Live rows in the store that the snapshot does not follow (never expected: the two
    /// are committed together); followed again too.
    pub rows_without_track: usize,
    pub fills_known: usize,
    /// The halt the previous run stopped in, lifted by this restart.
    pub halt_cleared: Option<String>,
}

/// Load the store's state into `strategy` and its venue (see the module docs).
/// `deadline_ms` is how long Kraken may take to place an order (its `deadline`).
pub fn resume<S: LiveStrategy>(
    store: &BlockingStore,
    strategy: &mut S,
    deadline_ms: i64,
) -> Result<Resumed, RestartError> {
    let snap = store.latest_snapshot(S::SNAPSHOT)?;
    let (step, snapshot_at) = match &snap {
        Some(row) => {
            strategy
                .restore(row)
                .map_err(|reason| RestartError::Snapshot {
                    step: row.step,
                    reason,
                })?;
            (row.step, Some(row.at))
        }
        None => (0, None),
    };
    // A restart is the operator's way to resume after a halt: its cause is checked again
    // (the ledger below, the invariants on the next event) and halts again if it persists.
    let halt_cleared = strategy.clear_halt();
    let live_states: Vec<OrderStatus> = OrderStatus::ALL
        .into_iter()
        .filter(|s| s.is_live())
        .collect();
    let rows = Rows::from_store(store.orders_in_states(&live_states)?);
    let mut fills: Vec<String> = store.known_exec_ids(100_000)?;
    // Fills waiting in the restored inbox are applied later: known already.
    fills.extend(strategy.pending_exec_ids());
    let fills_known = fills.len();
    let tracks = strategy.resumable();
    let mut orders = 0;
    for t in &tracks {
        let created = rows.get(&t.id).map_or(t.last_ts, |r| r.created_at);
        let req = OrderRequest {
            cl_ord_id: t.id.clone(),
            side: t.side,
            price: t.price,
            qty: t.qty,
            kind: t.kind,
        };
        let deadline = Timestamp::from_millis(created.millis().saturating_add(deadline_ms));
        strategy
            .venue_mut()
            .resume(&req, t.state, t.txid.as_deref(), t.filled, deadline);
        orders += 1;
    }
    let mut rows_without_track = 0;
    for r in rows.live() {
        if tracks.iter().any(|t| t.id == r.cl_ord_id) {
            continue;
        }
        rows_without_track += 1;
        let req = OrderRequest {
            cl_ord_id: r.cl_ord_id.clone(),
            side: r.side,
            price: r.price,
            qty: r.qty,
            kind: OrderKind::PostOnly,
        };
        let state = match r.state {
            OrderStatus::Intent | OrderStatus::Sent => flywheel_venue::OrderState::Pending,
            OrderStatus::Unknown => flywheel_venue::OrderState::Unknown,
            _ => flywheel_venue::OrderState::Open,
        };
        let deadline = Timestamp::from_millis(r.created_at.millis().saturating_add(deadline_ms));
        strategy
            .venue_mut()
            .resume(&req, state, r.txid.as_deref(), r.filled, deadline);
        tracing::warn!(target: "flywheel::restart", cl_ord_id = %r.cl_ord_id, state = r.state.name(), "a live order row the snapshot does not follow: settling it with the exchange");
    }
    strategy.venue_mut().seed_fills(fills);
    let next = strategy.venue().min_next_id();
    strategy.skip_order_ids_to(next);
    let ledger = Ledger::from_kv(store.kv_get(KV_BASE)?, store.kv_get(KV_QUOTE)?)
        .map_err(RestartError::Ledger)?;
    Ok(Resumed {
        step,
        snapshot_at,
        rows,
        ledger,
        orders,
        rows_without_track,
        fills_known,
        halt_cleared,
    })
}
