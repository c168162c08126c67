//! Live sessions: the engine on Kraken (or the mock Kraken) through
//! [`flywheel_kraken::live::venue::LiveVenue`], its state in the store, a restart that
//! settles every order with the exchange before trading again (live.md §6).
//!
//! | module | job |
//! |---|---|
//! | [`capture`] | a journal sink keeping what one step must commit |
//! | [`rows`] | a step's `orders` and `fills` rows (intent before send) |
//! | [`ledger`] | the totals our fills say the account must hold; the exact check |
//! | [`session`] | the engine thread's step: apply, commit, then send |
//! | [`strategy`] | what the session drives: the grid with its loop driver, or the maker |
//! | [`restart`] | load the store: snapshot, live orders, known fills, the id sequence |
//! | [`reconcile`] | with the exchange: strays, foreign orders, settling, the ledger check |
//! | [`failpoint`] | `FW_FAILPOINT` for the kill -9 chaos tests |

pub mod capture;
pub mod failpoint;
pub mod ledger;
pub mod reconcile;
pub mod restart;
pub mod rows;
pub mod session;
pub mod strategy;
