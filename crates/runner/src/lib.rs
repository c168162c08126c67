//! Paper and live sessions (issue 13): the same engine and strategies as the backtest, driven
//! by a live feed and the wall clock.
//!
//! | module | job |
//! |---|---|
//! | [`input`] | what reaches the engine thread: raw public frames, timer ticks, stop — stamped on arrival |
//! | [`frames`] | raw public frames decoded into trade prints, on the engine thread (the same in a replay) |
//! | [`order_log`] | one structured log line per order event (slot, role, `cl_ord_id`) |
//! | [`maker_order_log`] | the same for the maker's orders (role, `cl_ord_id`) |
//! | [`recording`] | every stamped input as gzipped JSON lines; read back for a replay |
//! | [`stamp`] | the stamping and recording half of a step, shared by both strategies' sessions |
//! | [`session`] | the engine thread's step: stamp, record, drive (the backtest's [`flywheel_engine::Driver`]) |
//! | [`live`] | live sessions: store commit before send, restart and reconciliation |
//! | [`maker_session`] | the same step for the maker (seed 002), driven as the maker backtest drives it |
//! | [`status_view`] | the operator's `/api/status` document: the engine's status plus run, balances, equity, orders, slot table |
//! | [`journal_tee`] | a journal sink that also streams each record as JSON (the operator API's events) |
//! | [`feed`] | a public market feed (Kraken WS v2 or the mock) and a ticker into the engine's channel |
//!
//! Invariants:
//! - **One owner.** Only the engine thread touches the engine; feeds and timers send
//!   [`input::Input`]s over one channel and the thread applies them one at a time.
//! - **Time is stamped once.** The engine thread stamps each input on arrival with the wall
//!   clock, never earlier than the previous stamp; the engine sees only those stamps.
//! - **Replayable.** The recording holds every stamped input in order; replaying it drives
//!   the same engine through the same calls, so it gives the same journal, byte for byte.

pub mod feed;
pub mod frames;
pub mod input;
pub mod journal_tee;
pub mod live;
pub mod maker_order_log;
pub mod maker_session;
pub mod order_log;
pub mod recording;
pub mod session;
pub mod stamp;
pub mod status_view;
