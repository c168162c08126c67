//! Stamping and recording, shared by every paper session (the grid's [`crate::session`] and
//! the maker's [`crate::maker_session`]): the engine thread gives each input the wall clock
//! at arrival, never earlier than the previous stamp, and writes it to the recording before
//! the engine sees it.
//!
//! Invariants:
//! - Stamps never go backwards, even when the wall clock does (an NTP step): the engine's
//!   clock is monotonic, as the backtest's data clock is.
//! - An input is recorded before it is applied, so a recording holds every input the engine
//!   saw, in order (a session killed mid-step leaves at most the input it was applying).

use flywheel_core::Timestamp;

use crate::input::{Input, Stamped};
use crate::recording::{Recorder, RecordingError};

/// The stamping and recording half of a session's step.
#[derive(Debug, Default)]
pub struct Stamper {
    last: Option<Timestamp>,
    recorder: Option<Recorder>,
}

impl Stamper {
    pub fn new(recorder: Option<Recorder>) -> Self {
        Stamper {
            last: None,
            recorder,
        }
    }

    /// `input` arriving at wall time `now`: stamped no earlier than the last stamp applied,
    /// and recorded.
    pub fn stamp(&mut self, input: Input, now: Timestamp) -> Result<Stamped, RecordingError> {
        let t = self.last.map_or(now, |l| l.max(now));
        let stamped = Stamped { t, input };
        if let Some(r) = self.recorder.as_mut() {
            r.write(&stamped)?;
        }
        Ok(stamped)
    }

    /// An input stamped `t` is being applied (a live step, or a replayed line).
    pub fn applied(&mut self, t: Timestamp) {
        self.last = Some(t);
    }

    /// Finish the recording: the number of lines written, if one was kept.
    pub fn finish(self) -> Result<Option<u64>, RecordingError> {
        self.recorder.map(Recorder::finish).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_never_go_backwards() {
        let mut s = Stamper::default();
        // (wall clock at arrival, stamp given)
        let cases = [(1_000, 1_000), (900, 1_000), (1_000, 1_000), (1_500, 1_500)];
        for (now, want) in cases {
            let st = s
                .stamp(Input::Tick, Timestamp::from_millis(now))
                .expect("no recorder, no error");
            assert_eq!(st.t, Timestamp::from_millis(want), "arrival at {now}");
            s.applied(st.t);
        }
        assert_eq!(s.finish().expect("finish"), None);
    }
}
