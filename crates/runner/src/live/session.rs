//! [`LiveSession`]: the engine thread of a live run, driving a [`LiveStrategy`] (the grid
//! or the maker). Each input is one step:
//!
//! 1. stamp it with the wall clock (never before the previous stamp);
//! 2. apply it through the strategy: a trade print is a new mark (the exchange matches by
//!    itself), a tick runs what is due, an operator command ([`LiveSession::command`]) is
//!    applied and queued as an `operator_actions` row; either way the venue's news is
//!    applied;
//! 3. **commit** what the step changed in one transaction: the engine snapshot, the order
//!    rows (new orders as `intent`), the fills, the journal records, the ledger, the
//!    operator actions;
//! 4. only then **send** the venue's outbox (`LiveVenue::flush`).
//!
//! Invariants (live.md §6):
//! - **State before orders.** Nothing leaves the process before the step that decided it is
//!   durable: a kill -9 after the commit leaves intents that the restart settles by
//!   `cl_ord_id`; a kill -9 before it leaves nothing sent.
//! - **A failed commit stops the session** with nothing sent: the outbox is dropped unsent
//!   (the restart finds those orders absent and never placed).
//! - Steps that changed nothing are not committed, except a snapshot at least every
//!   `snapshot_every_ms`, so the restart resumes from a recent mark.

use std::collections::BTreeSet;
use std::time::Instant;

use flywheel_core::Timestamp;
use flywheel_engine::JournalSink;
use flywheel_kraken::live::venue::{OrderTransport, Outgoing};
use flywheel_store::{BalanceAudit, BlockingStore, OperatorAction, StepRecord, StoreError};
use thiserror::Error;

use crate::command::{CommandOutcome, OperatorCommand, SetValidator};
use crate::frames::FrameDecoder;
use crate::input::Input;
use crate::live::failpoint::Failpoints;
use crate::live::ledger::Ledger;
use crate::live::rows::{Outboxed, Rows};
pub use crate::live::strategy::LiveEngine;
use crate::live::strategy::{GridLive, LiveStrategy};
use crate::session::Control;

/// The `kv` key holding the last committed step (present once a session committed one).
pub const KV_STEP: &str = "runner.step";

#[derive(Debug, Error)]
pub enum LiveError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("step {step}: {what}")]
    Step { step: u64, what: String },
}

/// Figures of a session, for the operator and the latency report.
#[derive(Debug, Default, Clone)]
pub struct SessionStats {
    pub steps: u64,
    pub commits: u64,
    pub adds_sent: u64,
    pub cancels_sent: u64,
    pub fills: u64,
    /// Microseconds of each commit.
    pub commit_us: Vec<u64>,
    /// Microseconds from a market input's arrival on the engine thread to its orders being
    /// handed to the socket (steps that sent orders only).
    pub event_to_send_us: Vec<u64>,
    /// The same for every step that sent orders or cancels, whatever woke it (a print, or
    /// the tick that applied the exchange's news: a fill and the exit it triggers).
    pub any_to_send_us: Vec<u64>,
}

/// The `p`-th percentile (0–100) of `v` by nearest rank; `None` when empty.
pub fn percentile(v: &[u64], p: f64) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    Some(s[rank.clamp(1, s.len()) - 1])
}

/// A live run's engine thread (see the module docs), driving the strategy `S`.
pub struct LiveSession<S: LiveStrategy> {
    strategy: S,
    store: BlockingStore,
    rows: Rows,
    ledger: Option<Ledger>,
    step: u64,
    last: Option<Timestamp>,
    last_commit: Option<Timestamp>,
    snapshot_every_ms: i64,
    failpoints: Failpoints,
    pending_audits: Vec<BalanceAudit>,
    pending_actions: Vec<OperatorAction>,
    frames: FrameDecoder,
    validator: Option<Box<dyn SetValidator>>,
    /// An operator asked for a reconcile; the caller runs it (`take_reconcile_request`).
    reconcile_requested: bool,
    pub stats: SessionStats,
}

impl<S: LiveStrategy> std::fmt::Debug for LiveSession<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSession")
            .field("step", &self.step)
            .finish_non_exhaustive()
    }
}

/// The grid's session: its engine as the restart and the operator surface see it.
impl<T: OrderTransport, J: JournalSink> LiveSession<GridLive<T, J>> {
    pub fn engine(&self) -> &LiveEngine<T, J> {
        &self.strategy.engine
    }

    pub fn engine_mut(&mut self) -> &mut LiveEngine<T, J> {
        &mut self.strategy.engine
    }

    /// End the session: the engine back (its venue and journal).
    pub fn into_engine(self) -> LiveEngine<T, J> {
        self.strategy.engine
    }
}

impl<S: LiveStrategy> LiveSession<S> {
    /// A session continuing after step `step` with the rows and ledger a restart loaded.
    pub fn new(
        strategy: S,
        store: BlockingStore,
        rows: Rows,
        ledger: Option<Ledger>,
        step: u64,
        failpoints: Failpoints,
    ) -> Self {
        LiveSession {
            strategy,
            store,
            rows,
            ledger,
            step,
            last: None,
            last_commit: None,
            snapshot_every_ms: 10_000,
            failpoints,
            pending_audits: Vec::new(),
            pending_actions: Vec::new(),
            frames: FrameDecoder::default(),
            validator: None,
            reconcile_requested: false,
            stats: SessionStats::default(),
        }
    }

    /// Validate operator `set` commands with `v` (without one, every `set` is refused).
    pub fn with_validator(mut self, v: Box<dyn SetValidator>) -> Self {
        self.validator = Some(v);
        self
    }

    /// An operator command arriving at wall time `now`, as one step: the loops due, the
    /// venue's news, the command (journaled), then one commit holding the snapshot, the
    /// journal and the `operator_actions` row (source `api`), then the send. A reconcile is
    /// only requested here: see [`Self::take_reconcile_request`].
    pub fn command(
        &mut self,
        cmd: OperatorCommand,
        now: Timestamp,
    ) -> Result<CommandOutcome, LiveError> {
        let at = self.last.map_or(now, |l| l.max(now));
        self.last = Some(at);
        let outcome = self.apply_command(&cmd, at);
        self.commit_and_send(at, false)?;
        Ok(outcome)
    }

    /// Whether an operator asked for a reconcile since the last call (cleared). The caller
    /// runs `live::reconcile::reconcile` on this session before its next input: it needs
    /// the network, which the engine thread's step has not.
    pub fn take_reconcile_request(&mut self) -> bool {
        std::mem::take(&mut self.reconcile_requested)
    }

    fn apply_command(&mut self, cmd: &OperatorCommand, at: Timestamp) -> CommandOutcome {
        let v = self.validator.as_deref();
        let applied = self.strategy.command(cmd, at, v);
        self.reconcile_requested |= applied.reconcile;
        let params = serde_json::to_string(&cmd.params()).unwrap_or_else(|_| "{}".into());
        let result = serde_json::to_string(&applied.outcome).unwrap_or_else(|_| "{}".into());
        self.pending_actions.push(OperatorAction {
            at,
            source: "api".into(),
            action: cmd.action().into(),
            params,
            result,
        });
        applied.outcome
    }

    pub fn strategy(&self) -> &S {
        &self.strategy
    }

    pub fn strategy_mut(&mut self) -> &mut S {
        &mut self.strategy
    }

    pub fn rows(&self) -> &Rows {
        &self.rows
    }

    pub fn ledger(&self) -> Option<Ledger> {
        self.ledger
    }

    pub fn store(&self) -> &BlockingStore {
        &self.store
    }

    /// Set the ledger (a first start adopts the exchange's totals) and record why in the
    /// next commit.
    pub fn set_ledger(&mut self, ledger: Ledger, action: OperatorAction) {
        self.ledger = Some(ledger);
        self.pending_actions.push(action);
    }

    /// Write these audit rows with the next commit.
    pub fn audit(&mut self, audits: Vec<BalanceAudit>) {
        self.pending_audits.extend(audits);
    }

    /// Apply `input` arriving at wall time `now` (`arrived`: when the engine thread took it,
    /// for the latency figures).
    pub fn step(
        &mut self,
        input: Input,
        now: Timestamp,
        arrived: Instant,
    ) -> Result<Control, LiveError> {
        let at = self.last.map_or(now, |l| l.max(now));
        self.last = Some(at);
        let market = matches!(input, Input::Trade { .. } | Input::Frame(_));
        match input {
            Input::Trade { price, .. } => self.strategy.on_print(price, at),
            Input::Frame(raw) => {
                let prints = self.frames.prints(&raw).map_err(|what| LiveError::Step {
                    step: self.step,
                    what: format!("public frame: {what}"),
                })?;
                for p in prints {
                    self.strategy.on_print(p.price, at);
                }
            }
            Input::Tick => self.strategy.on_tick(at),
            Input::Command(cmd) => {
                self.apply_command(&cmd, at);
            }
            Input::Stop => return Ok(Control::Stop),
        }
        let sent = self.commit_and_send(at, false)?;
        if sent > 0 {
            let us = arrived.elapsed().as_micros() as u64;
            self.stats.any_to_send_us.push(us);
            if market {
                self.stats.event_to_send_us.push(us);
            }
        }
        Ok(Control::Continue)
    }

    /// Apply the venue's news only (no loop, no new mark): the restart reconciliation's
    /// step, and the one after a stop request.
    pub fn settle(&mut self, now: Timestamp) -> Result<(), LiveError> {
        let at = self.last.map_or(now, |l| l.max(now));
        self.last = Some(at);
        self.strategy.drain_venue();
        self.commit_and_send(at, false)?;
        Ok(())
    }

    /// Commit now whatever the step changed, with a snapshot even if nothing did.
    pub fn checkpoint(&mut self, now: Timestamp) -> Result<(), LiveError> {
        let at = self.last.map_or(now, |l| l.max(now));
        self.commit_and_send(at, true)?;
        Ok(())
    }

    /// Steps 3 and 4 of the module docs; returns the number of requests sent.
    fn commit_and_send(&mut self, at: Timestamp, force: bool) -> Result<usize, LiveError> {
        self.stats.steps += 1;
        let cap = self.strategy.take_capture();
        let outbox = outbox_ids(self.strategy.venue().outbox());
        let (intents, cancels) = (&outbox.adds, &outbox.cancels);
        let due = self
            .last_commit
            .is_none_or(|t| at.millis() - t.millis() >= self.snapshot_every_ms);
        let quiet = cap.is_empty()
            && intents.is_empty()
            && cancels.is_empty()
            && !self.rows.has_pending()
            && self.pending_audits.is_empty()
            && self.pending_actions.is_empty();
        if quiet && !due && !force {
            return Ok(0);
        }
        let step = self.step + 1;
        let strategy = &self.strategy;
        let rows = self
            .rows
            .step(step, at, &cap, &outbox, self.ledger.as_mut(), |id| {
                strategy.track(id)
            })
            .map_err(|e| LiveError::Step {
                step,
                what: format!("ledger arithmetic: {e}"),
            })?;
        let snapshot = self.strategy.snapshot().map_err(|e| LiveError::Step {
            step,
            what: format!("snapshot: {e}"),
        })?;
        let mut kv = self.ledger.map(|l| l.to_kv()).unwrap_or_default();
        kv.push((KV_STEP.into(), step.to_string()));
        let fills = rows.fills.len();
        let rec = StepRecord {
            step,
            at,
            snapshot: Some(snapshot),
            orders: rows.orders,
            fills: rows.fills,
            journal: cap.journal,
            balance_audits: std::mem::take(&mut self.pending_audits),
            operator_actions: std::mem::take(&mut self.pending_actions),
            kv,
        };
        let t0 = Instant::now();
        let outcome = self.store.commit_step(&rec)?;
        self.stats.commit_us.push(t0.elapsed().as_micros() as u64);
        if !outcome.duplicate_fills.is_empty() {
            tracing::error!(target: "flywheel::store", dup = ?outcome.duplicate_fills, "fills already stored were reported again");
        }
        self.stats.commits += 1;
        self.stats.fills += fills as u64;
        self.step = step;
        self.last_commit = Some(at);
        let n = intents.len() + cancels.len();
        if n > 0 {
            // Committed, not sent: the window the outbox exists for.
            self.failpoints.hit("after_commit");
        }
        if fills > 0 {
            self.failpoints.hit("after_fill");
        }
        self.strategy.venue_mut().flush(at);
        self.rows.flushed(intents.iter());
        self.stats.adds_sent += intents.len() as u64;
        self.stats.cancels_sent += cancels.len() as u64;
        if n > 0 {
            self.failpoints.hit("after_send");
        }
        Ok(n)
    }
}

/// The ids of the outbox's adds and cancels.
fn outbox_ids(out: &[Outgoing]) -> Outboxed {
    let mut adds = BTreeSet::new();
    let mut cancels = BTreeSet::new();
    for o in out {
        match o {
            Outgoing::Add { req, .. } => {
                adds.insert(req.cl_ord_id.clone());
            }
            Outgoing::Cancel { id } => {
                cancels.insert(id.clone());
            }
        }
    }
    Outboxed { adds, cancels }
}
