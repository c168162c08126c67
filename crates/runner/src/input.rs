//! What reaches the engine thread.

use flywheel_core::{Price, Qty, Side, Timestamp};
use serde::{Deserialize, Serialize};

/// One input, before the engine thread stamps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    /// A public trade print (the exchange's own time is not used: the engine's clock is
    /// the wall clock at arrival).
    Trade {
        price: Price,
        qty: Qty,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        side: Option<Side>,
    },
    /// A raw public frame of the market feed, verbatim (decoded by
    /// [`crate::frames::FrameDecoder`] on the engine thread, so a recording holds the
    /// frames themselves and a replay decodes them exactly as the session did).
    Frame(String),
    /// The timer: loops that are due run.
    Tick,
    /// An operator command (`crate::command`), applied between steps at its stamp.
    Command(crate::command::OperatorCommand),
    /// Stop after this input (SIGINT/SIGTERM, the end of a replay, `--duration`).
    Stop,
}

/// An input with the time the engine thread gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamped {
    /// Milliseconds since the Unix epoch.
    pub t: Timestamp,
    #[serde(flatten)]
    pub input: Input,
}
