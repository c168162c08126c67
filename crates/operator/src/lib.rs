//! The operator surface of a running bot (issue 14): the [`Hub`] that bridges the engine
//! thread and the HTTP side, the [`router`] of the operator API (status, orders, fills, SSE,
//! health, metrics, actions), its bearer [`Token`], Prometheus metrics, and webhook [`alerts`].
//!
//! This crate knows no engine: the engine thread pushes JSON into the [`Hub`]
//! (`publish_status`, `publish_journal`, `record_fill`, `set_orders`, `set_ready`) and polls
//! [`CommandReceiver::try_recv`] between steps; `flywheel run` wires the two. The routes and
//! bodies follow the operator contract (docs/operator.md).

pub mod alerts;
pub mod hub;
pub mod metrics;
pub mod router;
mod sse;
mod status_metrics;
pub mod token;

pub use hub::{
    Action, ActionReply, Command, CommandReceiver, Hub, HubConfig, ReplySender, StatusSnapshot,
};
pub use router::{router, serve, ServerConfig};
pub use token::{check_bind, load_token, BindError, Token, TokenError};
