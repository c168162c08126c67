//! The engine thread's step for a paper session: stamp the input with the wall clock (never
//! before the previous stamp), record it, and drive the engine exactly as the backtest
//! does ([`Driver`]). A replay feeds the recorded stamps instead of the clock, so the two
//! runs make the same calls in the same order.

use flywheel_core::Timestamp;
use flywheel_engine::{Driver, Engine, JournalSink};
use flywheel_marketdata::{MarketEvent, Trade};
use flywheel_venue::SimExchange;
use thiserror::Error;

use crate::command::{apply_command, CommandOutcome, OperatorCommand, RunVenue, SetValidator};
use crate::frames::FrameDecoder;
use crate::input::{Input, Stamped};
use crate::recording::{Recorder, RecordingError};
use crate::stamp::Stamper;

#[derive(Debug, Error)]
pub enum SessionError {
    #[error(transparent)]
    Recording(#[from] RecordingError),
    /// A public frame that does not decode (a recording edited by hand, or two markets).
    #[error("public frame at {at}: {reason}")]
    Frame { at: Timestamp, reason: String },
    /// The simulated exchange refused a market event (a broken ledger invariant).
    #[error("simulated venue at {at}: {reason}")]
    Venue { at: Timestamp, reason: String },
}

/// What the caller does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// A paper session over the simulated exchange.
#[derive(Debug)]
pub struct PaperSession<J: JournalSink> {
    engine: Engine<SimExchange, J>,
    driver: Driver,
    stamper: Stamper,
    frames: FrameDecoder,
    first_price: Option<flywheel_core::Price>,
    trades: u64,
    ticks: u64,
    validator: Option<Box<dyn SetValidator>>,
}

impl<J: JournalSink> PaperSession<J> {
    pub fn new(engine: Engine<SimExchange, J>, recorder: Option<Recorder>) -> Self {
        let driver = Driver::new(engine.config().loop_interval_sec);
        PaperSession {
            engine,
            driver,
            stamper: Stamper::new(recorder),
            frames: FrameDecoder::default(),
            first_price: None,
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

    /// The loops due before `t`, then the command (as a print would find them run).
    fn run_command(&mut self, cmd: &OperatorCommand, t: Timestamp) -> CommandOutcome {
        self.driver.advance(&mut self.engine, t);
        let v = self.validator.as_deref();
        apply_command(&mut self.engine, cmd, t, v, RunVenue::Paper).outcome
    }

    pub fn engine(&self) -> &Engine<SimExchange, J> {
        &self.engine
    }

    /// What the driver saw: events, first and last time.
    pub fn data(&self) -> flywheel_engine::DataStats {
        self.driver.stats()
    }

    /// The price of the first print applied (the baseline of "vs holding").
    pub fn first_price(&self) -> Option<flywheel_core::Price> {
        self.first_price
    }

    /// Trades and ticks applied so far.
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
                self.driver.advance(&mut self.engine, s.t);
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
        self.driver
            .on_event(&mut self.engine, &ev)
            .map_err(|reason| SessionError::Venue { at: ts, reason })?;
        self.trades += 1;
        self.first_price.get_or_insert(price);
        Ok(())
    }

    /// End the session: the closing loop, the recording finished; the engine back.
    pub fn finish(mut self) -> Result<(Engine<SimExchange, J>, Option<u64>), SessionError> {
        self.driver.finish(&mut self.engine);
        let lines = self.stamper.finish()?;
        Ok((self.engine, lines))
    }
}
