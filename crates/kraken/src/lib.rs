//! Kraken spot connector, protocol layers (issue 12).
//!
//! Pure, offline-tested layers, and the network shells built on them ([`net`]). Outside
//! [`net`] nothing opens a socket, reads a clock or sleeps: time arrives as a
//! [`flywheel_core::Timestamp`].
//!
//! | module | job |
//! |---|---|
//! | [`secret`] | API key and secret from the environment or `*_FILE`, redacted everywhere |
//! | [`sign`] | REST `API-Sign` (HMAC-SHA512 over path ‖ SHA-256(nonce ‖ body)) |
//! | [`nonce`] | `max(last + 1, now_ms)`, persisted before use |
//! | [`error`] | every Kraken error string → a typed error with a handling (reject, defer, halt…) |
//! | [`outcome`] | a REST answer → done / refused / **unknown** (order calls) / failed (reads) |
//! | [`symbols`] | DOGE/USD ⇄ `XDGUSD` ⇄ `XDG/USD`: names per protocol, resolved from `AssetPairs` |
//! | [`instrument`] | live tick/lot/minimums/fees vs the configuration: a mismatch names both values |
//! | [`ids`] | `cl_ord_id` forms and a never-reusing generator |
//! | [`rest`] | REST replies with exact decimals, request parameters, the `TradesHistory` pager |
//! | [`ws`] | WS v2 frames (`instrument`, `book`, `trade`, `ticker`, `executions`, `balances`, `heartbeat`, `status`, method replies) and requests |
//! | [`book`] | local L2 book, truncation to depth, CRC32 checksum → typed [`book::Resubscribe`] |
//! | [`live`] | the order tracker and [`live::venue::LiveVenue`]: Kraken behind the engine's `Venue` contract |
//! | [`ratelimit`] | per-pair trading counter shadow: send now or defer until t; reconciles with `ratecounter` |
//! | [`wire`], [`json`], [`time`] | exact decimals from the wire text, errors naming the JSON path, RFC 3339 |
//! | [`net`] | **the only impure module**: REST clients (private actor, one request in flight), WS v2 supervisor, market feed |
//!
//! # API key permissions
//!
//! Create a dedicated key per bot process (one nonce sequence per key) with exactly:
//!
//! - **Query Funds** (`BalanceEx`),
//! - **Query Open Orders & Trades** and **Query Closed Orders & Trades** (`OpenOrders`,
//!   `QueryOrders`, `ClosedOrders`, `TradesHistory`),
//! - **Create & Modify Orders** (`AddOrder`, WS `add_order`, `amend_order`, `batch_add`),
//! - **Cancel & Close Orders** (`CancelOrder`, `CancelAllOrdersAfter`, WS `cancel_order`,
//!   `batch_cancel`, `cancel_all_orders_after`),
//! - **Access WebSockets API** (`GetWebSocketsToken`).
//!
//! Never **Withdraw Funds** (nor deposit, ledger export or any funding permission): a leaked
//! trading key can then at worst trade, never move money off the account. A paper-trading key
//! needs only the query permissions and the WebSocket interface. Restricting the key to the
//! bot's IP address is recommended.
//!
//! Secrets are read from `KRAKEN_API_KEY` / `KRAKEN_API_SECRET` or from files named by
//! `KRAKEN_API_KEY_FILE` / `KRAKEN_API_SECRET_FILE`; never from the TOML configuration, and
//! they never appear in logs, the journal or error messages.

pub mod book;
pub mod error;
pub mod ids;
pub mod instrument;
pub mod json;
pub mod live;
pub mod net;
pub mod nonce;
pub mod outcome;
pub mod ratelimit;
pub mod rest;
pub mod secret;
pub mod sign;
pub mod symbols;
pub mod time;
pub mod wire;
pub mod ws;
