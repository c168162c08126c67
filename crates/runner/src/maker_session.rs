//! The engine thread's step for the maker's paper session (seed 002's market maker with its
//! hedger on the simulated exchange): stamp the input with the wall clock (never before the
//! previous stamp) and record it ([`Stamper`], shared with the grid's session), then drive the
//! maker exactly as the maker backtest does. A replay feeds the recorded stamps instead of the
//! clock, so the two runs make the same calls in the same order and write the same journal.
//!
//! Per input at stamp `t`:
//! - a trade: [`on_sim_event`], the backtest's own step — the timer ticks due before `t`,
//!   then the simulated exchange matches the print, then the maker steps at the new mid;
//! - a timer tick: [`MakerEngine::tick_until`]`(t)`, the ticks due before `t` (the backtest
//!   runs them before the next event; here the wall clock's timer also runs them when no print
//!   comes). The idle cap of `tick_until` counts per call, so in a session it bounds the
//!   ticks per timer input rather than per gap between prints: a maker still busy in a quiet
//!   market keeps its `hedger.poll_interval_seconds` poll, as the origin bot does;
//! - an operator command: the ticks due before `t`, then the command (`crate::command`);
//! - stop: nothing is applied; the caller ends the session.
//!
//! Invariants: one owner (only the engine thread calls [`MakerPaperSession::step`]); every
//! applied input is in the recording, in order; the maker sees only the stamps.

use flywheel_core::Timestamp;
use flywheel_engine::maker_journal::MakerSink;
use flywheel_engine::maker_run::{on_sim_event, MakerEngine};
use flywheel_engine::DataStats;
use flywheel_marketdata::{MarketEvent, Trade};
use flywheel_venue::SimExchange;

use crate::command::{apply_command, CommandOutcome, OperatorCommand, RunVenue, SetValidator};
use crate::frames::FrameDecoder;
use crate::input::{Input, Stamped};
use crate::recording::Recorder;
use crate::session::{Control, SessionError};
use crate::stamp::Stamper;

/// A paper session of the maker over the simulated exchange.
#[derive(Debug)]
pub struct MakerPaperSession<J: MakerSink> {
    maker: MakerEngine<SimExchange, J>,
    stamper: Stamper,
    frames: FrameDecoder,
    data: DataStats,
    trades: u64,
    ticks: u64,
    validator: Option<Box<dyn SetValidator>>,
}

impl<J: MakerSink> MakerPaperSession<J> {
    pub fn new(maker: MakerEngine<SimExchange, J>, recorder: Option<Recorder>) -> Self {
        MakerPaperSession {
            maker,
            stamper: Stamper::new(recorder),
            frames: FrameDecoder::default(),
            data: DataStats::default(),
            trades: 0,
            ticks: 0,
            validator: None,
        }
    }

    /// Validate operator `set` commands with `v` (without one, every `set` is refused). A
    /// replay needs the validator the session had to give the same journal.
    pub fn with_validator(mut self, v: Box<dyn SetValidator>) -> Self {
        self.validator = Some(v);
        self
    }

    /// An operator command arriving at wall time `now`: stamped, recorded and applied like
    /// any input (`crate::command`); its answer.
    pub fn command(
        &mut self,
        cmd: OperatorCommand,
        now: Timestamp,
    ) -> Result<CommandOutcome, SessionError> {
        let stamped = self.stamper.stamp(Input::Command(cmd.clone()), now)?;
        self.stamper.applied(stamped.t);
        Ok(self.run_command(&cmd, stamped.t))
    }

    /// The timer ticks due before `t`, then the command.
    fn run_command(&mut self, cmd: &OperatorCommand, t: Timestamp) -> CommandOutcome {
        self.maker.tick_until(t);
        let v = self.validator.as_deref();
        apply_command(&mut self.maker, cmd, t, v, RunVenue::Paper).outcome
    }

    pub fn maker(&self) -> &MakerEngine<SimExchange, J> {
        &self.maker
    }

    /// What the session saw of the market: prints, first and last stamp.
    pub fn data(&self) -> DataStats {
        self.data
    }

    /// Trades and timer ticks applied so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.trades, self.ticks)
    }

    /// Apply `input` arriving at wall time `now`.
    pub fn step(&mut self, input: Input, now: Timestamp) -> Result<Control, SessionError> {
        let stamped = self.stamper.stamp(input, now)?;
        self.apply(stamped)
    }

    /// Apply an input already stamped (a replay).
    pub fn apply(&mut self, s: Stamped) -> Result<Control, SessionError> {
        self.stamper.applied(s.t);
        match s.input {
            Input::Trade { price, qty, side } => self.trade(s.t, price, qty, side)?,
            Input::Frame(raw) => {
                let prints = self
                    .frames
                    .prints(&raw)
                    .map_err(|reason| SessionError::Frame { at: s.t, reason })?;
                for p in prints {
                    self.trade(s.t, p.price, p.qty, Some(p.side))?;
                }
            }
            Input::Tick => {
                self.maker.tick_until(s.t);
                self.ticks += 1;
            }
            Input::Command(cmd) => {
                self.run_command(&cmd, s.t);
            }
            Input::Stop => return Ok(Control::Stop),
        }
        Ok(Control::Continue)
    }

    fn trade(
        &mut self,
        ts: Timestamp,
        price: flywheel_core::Price,
        qty: flywheel_core::Qty,
        side: Option<flywheel_core::Side>,
    ) -> Result<(), SessionError> {
        let ev = MarketEvent::Trade(Trade {
            ts,
            price,
            qty,
            taker_side: side,
        });
        on_sim_event(&mut self.maker, &ev).map_err(|e| SessionError::Venue {
            at: ts,
            reason: e.to_string(),
        })?;
        self.trades += 1;
        self.data.events += 1;
        self.data.first_ts.get_or_insert(ts);
        self.data.last_ts = Some(ts);
        Ok(())
    }

    /// End the session: the recording finished; the maker back (its journal still open, for
    /// the caller's [`MakerEngine::finish_journal`]).
    pub fn finish(self) -> Result<(MakerEngine<SimExchange, J>, Option<u64>), SessionError> {
        let lines = self.stamper.finish()?;
        Ok((self.maker, lines))
    }
}
