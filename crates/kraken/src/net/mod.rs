//! Network shells of the Kraken connector (live.md §4, §6): the only part of this crate that
//! opens sockets, reads a clock or sleeps.
//!
//! Everything else in the crate stays **pure**: the shells here move bytes and time between
//! the network and the pure layers ([`crate::sign`], [`crate::nonce`], [`crate::outcome`],
//! [`crate::ws::parse_message`], [`crate::book`]) and make no trading decision.
//!
//! | module | job |
//! |---|---|
//! | [`clock`] | the [`clock::Clock`] every timestamp of the shells comes from (wall or manual) |
//! | [`tls`] | installs rustls' `ring` provider once (no aws-lc, no C toolchain) |
//! | [`backoff`] | pure: exponential reconnect backoff with full, seeded jitter |
//! | [`rest_counter`] | pure: shadow of the per-key REST call counter (wait instead of `EAPI:Rate limit exceeded`) |
//! | [`rest`] | `RestConfig`, public REST (`AssetPairs`, `Ticker`, `SystemStatus`), the local [`rest::RestError`] |
//! | [`private`] | [`private::PrivateRest`]: one actor per API key, one signed request in flight |
//! | [`ws`] | WS v2 connection supervisor: connect, (token), subscribe, watchdog, reconnect |
//! | [`connector`] | [`crate::live::venue::LiveVenue`]'s I/O side: orders over the private WS (or REST), lookups, balances |
//! | [`dead_man`] | `CancelAllOrdersAfter` re-armed only while the engine's heartbeat moves |
//! | [`market`] | public market feed for one symbol: verified L2 book, trades, ticker, status |
//!
//! Invariants common to the shells:
//! - Timestamps (`received_at`, nonces) come from a [`clock::Clock`]; *durations* (timeouts,
//!   the WS watchdog, backoff sleeps) use tokio's monotonic clock, so a wall-clock jump can
//!   neither fire nor suppress a timeout.
//! - Nothing panics on network input: every failure is a value naming the endpoint or feed.
//! - No credential or token text appears in `Debug`, `Display`, errors or logs.

pub mod backoff;
pub mod clock;
pub mod connector;
pub mod dead_man;
pub mod market;
pub mod private;
pub mod rest;
pub mod rest_counter;
pub mod tls;
pub mod ws;
