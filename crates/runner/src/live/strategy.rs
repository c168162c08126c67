//! [`LiveStrategy`]: what a live session ([`crate::live::session::LiveSession`]) drives — an
//! engine over the live venue with a [`StepCapture`] as its journal. The session owns the
//! step (stamp, apply, commit, send); the strategy says how an input is applied.
//!
//! [`GridLive`] is the grid engine with its loop driver: a print is a new mark after the
//! loops due before it, a tick runs the loops due and applies the venue's news.
//! [`MakerLive`] is the maker: a print is a new mid after the timer ticks due before it, a
//! tick applies the venue's news and then the timer ticks due (a fill that moved inventory
//! makes the next one re-quote).
//!
//! Invariant: every method applies the venue's news through the engine (never around it),
//! so the capture holds every event the step applied, in order.

use flywheel_core::{Price, Qty, Side, Timestamp};
use flywheel_engine::maker_journal::MakerSink;
use flywheel_engine::maker_run::{MakerEngine, MakerSnapshot};
use flywheel_engine::{Driver, Engine, EngineSnapshot, JournalSink};
use flywheel_kraken::live::venue::{LiveVenue, OrderTransport};
use flywheel_store::{SnapshotKind, SnapshotRecord, SnapshotRow};
use flywheel_venue::{ClOrdId, OrderKind, OrderState, VenueEvent};

use crate::command::{apply_command, Applied, OperatorCommand, RunVenue, SetValidator};
use crate::live::capture::{Captured, StepCapture};
use crate::live::rows::TrackView;

/// The grid engine of a live run.
pub type LiveEngine<T, J> = Engine<LiveVenue<T>, StepCapture<J>>;

/// The maker of a live run.
pub type LiveMaker<T, J> = MakerEngine<LiveVenue<T>, StepCapture<J>>;

/// An order the engine follows, as the restart hands it back to the venue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResumeOrder {
    pub id: ClOrdId,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    pub kind: OrderKind,
    pub state: OrderState,
    pub txid: Option<String>,
    pub filled: Qty,
    /// When the engine last heard of it (the deadline's start when the store has no row).
    pub last_ts: Timestamp,
}

/// An engine a live session drives (see the module docs).
pub trait LiveStrategy {
    type Transport: OrderTransport;

    fn venue(&self) -> &LiveVenue<Self::Transport>;
    fn venue_mut(&mut self) -> &mut LiveVenue<Self::Transport>;
    /// A trade print at `at`: what is due before it, then the new mark.
    fn on_print(&mut self, price: Price, at: Timestamp);
    /// The wall clock's tick at `at`: what is due, then the venue's news.
    fn on_tick(&mut self, at: Timestamp);
    /// The venue's news only (no loop, no new mark).
    fn drain_venue(&mut self);
    /// What is due before `at`, the venue's news, then the operator command.
    fn command(
        &mut self,
        cmd: &OperatorCommand,
        at: Timestamp,
        validator: Option<&dyn SetValidator>,
    ) -> Applied;
    /// What the step journaled so far (the capture starts empty again).
    fn take_capture(&mut self) -> Captured;
    /// The engine's view of one of its orders; `None` once it ended.
    fn track(&self, id: &ClOrdId) -> Option<TrackView>;
    /// The snapshot the store keeps for a restart.
    fn snapshot(&self) -> Result<SnapshotRecord, serde_json::Error>;
    /// Stop new entries (quotes), keeping what protects a position, and say why.
    fn halt(&mut self, why: &str);

    /// The snapshot kind the store keeps for this strategy.
    const SNAPSHOT: SnapshotKind;
    /// Continue from a stored snapshot (a restart); why not.
    fn restore(&mut self, row: &SnapshotRow) -> Result<(), String>;
    /// Lift a halt the snapshot carried (a restart checks its cause again); its reason.
    fn clear_halt(&mut self) -> Option<String>;
    /// Execution ids of fills the engine holds but has not applied yet (known already).
    fn pending_exec_ids(&self) -> Vec<String>;
    /// Every order the engine follows.
    fn resumable(&self) -> Vec<ResumeOrder>;
    /// Issue no id below sequence number `next`.
    fn skip_order_ids_to(&mut self, next: u64);
}

/// The grid engine and its loop driver.
#[derive(Debug)]
pub struct GridLive<T: OrderTransport, J: JournalSink> {
    pub engine: LiveEngine<T, J>,
    driver: Driver,
}

impl<T: OrderTransport, J: JournalSink> GridLive<T, J> {
    pub fn new(engine: LiveEngine<T, J>) -> Self {
        let driver = Driver::new(engine.config().loop_interval_sec);
        GridLive { engine, driver }
    }
}

impl<T: OrderTransport, J: JournalSink> LiveStrategy for GridLive<T, J> {
    type Transport = T;

    fn venue(&self) -> &LiveVenue<T> {
        self.engine.venue()
    }

    fn venue_mut(&mut self) -> &mut LiveVenue<T> {
        self.engine.venue_mut()
    }

    fn on_print(&mut self, price: Price, at: Timestamp) {
        self.driver.on_mark(&mut self.engine, price, at);
    }

    fn on_tick(&mut self, at: Timestamp) {
        self.driver.advance(&mut self.engine, at);
        self.engine.drain_venue();
    }

    fn drain_venue(&mut self) {
        self.engine.drain_venue();
    }

    fn command(
        &mut self,
        cmd: &OperatorCommand,
        at: Timestamp,
        validator: Option<&dyn SetValidator>,
    ) -> Applied {
        self.driver.advance(&mut self.engine, at);
        self.engine.drain_venue();
        apply_command(&mut self.engine, cmd, at, validator, RunVenue::Live)
    }

    fn take_capture(&mut self) -> Captured {
        self.engine.journal_mut().take()
    }

    fn track(&self, id: &ClOrdId) -> Option<TrackView> {
        self.engine.order(id).map(|t| TrackView {
            state: t.state,
            filled: t.cum_qty,
            txid: t.txid.clone(),
            cancel_requested: t.cancel_requested,
        })
    }

    fn snapshot(&self) -> Result<SnapshotRecord, serde_json::Error> {
        SnapshotRecord::json(SnapshotKind::Grid, &self.engine.snapshot())
    }

    fn halt(&mut self, why: &str) {
        self.engine.halt(why);
    }

    const SNAPSHOT: SnapshotKind = SnapshotKind::Grid;

    fn restore(&mut self, row: &SnapshotRow) -> Result<(), String> {
        let snap: EngineSnapshot = row.parse().map_err(|e| format!("unreadable: {e}"))?;
        self.engine.restore(snap).map_err(|e| e.to_string())
    }

    fn clear_halt(&mut self) -> Option<String> {
        self.engine.clear_halt()
    }

    fn pending_exec_ids(&self) -> Vec<String> {
        self.engine
            .pending_events()
            .filter_map(|ev| match ev {
                VenueEvent::Fill {
                    exec_id: Some(x), ..
                } => Some(x.clone()),
                _ => None,
            })
            .collect()
    }

    fn resumable(&self) -> Vec<ResumeOrder> {
        self.engine
            .orders()
            .map(|(id, t)| ResumeOrder {
                id: id.clone(),
                side: t.side,
                price: t.price,
                qty: t.qty,
                kind: OrderKind::PostOnly,
                state: t.state,
                txid: t.txid.clone(),
                filled: t.cum_qty,
                last_ts: t.last_ts,
            })
            .collect()
    }

    fn skip_order_ids_to(&mut self, next: u64) {
        self.engine.skip_order_ids_to(next);
    }
}

/// The maker (see the module docs).
#[derive(Debug)]
pub struct MakerLive<T: OrderTransport, J: MakerSink> {
    pub maker: LiveMaker<T, J>,
}

impl<T: OrderTransport, J: MakerSink> LiveStrategy for MakerLive<T, J> {
    type Transport = T;

    fn venue(&self) -> &LiveVenue<T> {
        self.maker.venue()
    }

    fn venue_mut(&mut self) -> &mut LiveVenue<T> {
        self.maker.venue_mut()
    }

    fn on_print(&mut self, price: Price, at: Timestamp) {
        self.maker.tick_until(at);
        self.maker.on_market(price, at);
    }

    fn on_tick(&mut self, at: Timestamp) {
        self.maker.drain();
        self.maker.tick_until(at);
    }

    fn drain_venue(&mut self) {
        self.maker.drain();
    }

    fn command(
        &mut self,
        cmd: &OperatorCommand,
        at: Timestamp,
        validator: Option<&dyn SetValidator>,
    ) -> Applied {
        self.maker.tick_until(at);
        self.maker.drain();
        apply_command(&mut self.maker, cmd, at, validator, RunVenue::Live)
    }

    fn take_capture(&mut self) -> Captured {
        self.maker.journal_mut().take()
    }

    fn track(&self, id: &ClOrdId) -> Option<TrackView> {
        self.maker.order(id).map(|o| TrackView {
            state: o.state,
            filled: o.filled,
            txid: o.txid,
            cancel_requested: o.cancel_requested,
        })
    }

    fn snapshot(&self) -> Result<SnapshotRecord, serde_json::Error> {
        SnapshotRecord::json(SnapshotKind::Maker, &self.maker.snapshot())
    }

    fn halt(&mut self, why: &str) {
        self.maker.halt(why);
    }

    const SNAPSHOT: SnapshotKind = SnapshotKind::Maker;

    fn restore(&mut self, row: &SnapshotRow) -> Result<(), String> {
        let snap: MakerSnapshot = row.parse().map_err(|e| format!("unreadable: {e}"))?;
        self.maker.restore(snap).map_err(|e| e.to_string())
    }

    fn clear_halt(&mut self) -> Option<String> {
        self.maker.clear_halt()
    }

    fn pending_exec_ids(&self) -> Vec<String> {
        // The maker applies every venue event as it arrives: nothing waits.
        Vec::new()
    }

    fn resumable(&self) -> Vec<ResumeOrder> {
        let now = self.maker.now();
        self.maker
            .orders()
            .map(|(id, o)| ResumeOrder {
                id: id.clone(),
                side: o.side,
                price: o.price,
                qty: o.qty,
                kind: o.kind,
                state: o.state,
                txid: o.txid,
                filled: o.filled,
                last_ts: now,
            })
            .collect()
    }

    fn skip_order_ids_to(&mut self, next: u64) {
        self.maker.skip_order_ids_to(next);
    }
}
