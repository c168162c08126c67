//! An in-process mock of Kraken spot speaking the real wire protocol — REST
//! (`/0/public/…`, `/0/private/…`) and WebSocket v2 (public `/v2`, private `/v2-auth`) on
//! 127.0.0.1 — backed by the simulated exchange ([`flywheel_venue::SimExchange`], ack latency
//! 0) as its matching engine, with fault injection. The Kraken connector is tested against it
//! with no network and no keys.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use flywheel_kraken_mock::{MockConfig, MockKraken, Fault};
//! let mock = MockKraken::start(MockConfig::default()).await?;
//! println!("{} {} {}", mock.rest_url(), mock.ws_public_url(), mock.ws_private_url());
//! mock.inject(Fault::InvalidNonce);
//! let truth = mock.ledger();
//! assert!(truth.adds_applied.values().all(|n| *n <= 1));
//! mock.shutdown();
//! # Ok(()) }
//! ```
//!
//! | module | job |
//! |---|---|
//! | [`config`] | [`MockConfig`]: market, balances, credentials, tier, timings |
//! | [`clock`] | the one clock (wall clock + a test offset) |
//! | [`state`] | ground truth: orders, adds per `cl_ord_id`, fills, tokens, nonce, status |
//! | [`orders`], [`market`], [`queries`] | operations on the state and the results they give |
//! | [`frames`], [`book_synth`], [`ids`] | exact JSON writers, the synthetic book, Kraken-shaped ids |
//! | [`rest`], [`ws_public`], [`ws_private`], [`admin`] | the HTTP and WebSocket handlers |
//! | [`faults`] | [`Fault`] and when each applies |
//! | [`replay`] | recorded market data through the public feed |
//! | [`server`] | [`MockKraken::start`], [`MockHandle`] |

pub mod admin;
pub mod book_synth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod faults;
pub mod frames;
pub mod ids;
pub mod market;
pub mod orders;
pub mod queries;
pub mod replay;
pub mod rest;
pub mod server;
pub mod state;
pub mod ws_private;
pub mod ws_public;
mod wsreq;

pub use config::{MarketNames, MockConfig, ReplayConfig};
pub use faults::{Fault, Feed, SystemStatus};
pub use server::{MockHandle, MockKraken};
pub use state::{LedgerView, OrderRecord, OrderState, TradeRecord};
