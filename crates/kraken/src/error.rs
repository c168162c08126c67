//! Kraken error strings as typed errors, and the outcome of a call.
//!
//! Kraken reports errors as strings `<severity><category>:<message>` (`EOrder:Insufficient
//! funds`, `EService: Throttled: 1690000000`) in the REST `error` array and in the WS v2
//! `error` field. [`KrakenError::parse`] maps every string to an [`ErrorKind`]; a string it does
//! not know becomes [`ErrorKind::Unrecognized`]. The original text is always kept verbatim in
//! [`KrakenError::raw`].
//!
//! Invariants:
//! - Parsing never fails and never drops a string: `KrakenError::parse(s).raw == s`.
//! - Every kind has one [`Handling`] (what a caller may do next): business rejects go back to
//!   the strategy, rate limits and service states defer, nonce/key/signature/lockout/permission
//!   halt trading (retrying those blindly leads to a lockout, kraken.md §3.6).
//! - An order call whose fate is not known (HTTP 5xx, a timeout, an HTML error page, a reply
//!   that cannot be read) is an [`Ambiguity`], never an error: Kraken may have applied it
//!   (live.md §2 "Ambiguous HTTP failures"). See [`crate::outcome`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// An order refused for a business reason: the strategy decides what to do (re-price, resize,
/// wait). Mirrors the engine's `Reject` set one to one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderReject {
    InsufficientFunds,
    OrderMinimumNotMet,
    CostMinimumNotMet,
    /// `EOrder:Post only order`: the post-only order would have taken.
    PostOnlyWouldTake,
    /// Too many open orders on the pair (60/80/225 by tier).
    OrdersLimitExceeded,
    TickSizeCheckFailed,
    /// `EGeneral:Invalid arguments:volume`.
    InvalidVolume,
    /// `EOrder:Unknown order` (a cancel of an order that is already gone).
    UnknownOrder,
    /// `EOrder:Invalid price`.
    InvalidPrice,
    /// `EOrder:Invalid order` (seen in peers' logs without more detail).
    InvalidOrder,
    /// `EService:Deadline elapsed`: the order waited past its `deadline` and was not placed.
    DeadlineElapsed,
    /// `EOrder:Duplicate order`: a `cl_ord_id` that an open order already carries (the
    /// string our mock answers; Kraken's exact text is a verify-live item, live.md §8).
    DuplicateOrder,
}

/// Which rate limit was hit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateLimit {
    /// `EAPI:Rate limit exceeded`: the per-key REST call counter.
    RestCounter,
    /// `EOrder:Rate limit exceeded`: the per-pair matching-engine (trading) counter.
    TradingCounter,
    /// `EService: Throttled: <ts>`: too many concurrent requests; the Unix time given, if any.
    Throttled { until_unix: Option<u64> },
    /// WS `Exceeded msg rate`: the per-connection message budget.
    WsMessageRate,
}

/// The market or the service refuses new work for a while.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    Unavailable,
    Busy,
    /// `EService:Market in cancel_only mode`: only cancels are accepted.
    CancelOnly,
    /// `EService:Market in post_only mode`: only post-only orders are accepted.
    PostOnly,
    /// `EService:Market in limit_only mode`.
    LimitOnly,
}

/// A credential problem. Never retried: it would count towards a lockout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// `EGeneral:Permission denied`: the key lacks a permission this call needs.
    Denied,
    /// `EAPI:Invalid key`.
    InvalidKey,
    /// `EAPI:Invalid signature`.
    InvalidSignature,
    /// `EAPI:Feature disabled`.
    FeatureDisabled,
}

/// What a Kraken error string means.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ErrorKind {
    Reject {
        reject: OrderReject,
    },
    RateLimit {
        limit: RateLimit,
    },
    /// `EAPI:Invalid nonce`: halts trading; another process may be using the key.
    InvalidNonce,
    /// `EGeneral:Temporary lockout` (~15 min).
    Lockout,
    Service {
        state: ServiceState,
    },
    Permission {
        permission: Permission,
    },
    /// `EGeneral:Invalid arguments[:field]` other than `volume` (a defect in our request).
    InvalidArguments {
        field: Option<String>,
    },
    /// `EQuery:Unknown asset pair` (e.g. `XXDGZUSD`, kraken.md §3.8).
    UnknownPair,
    /// `ESession:Invalid session`: the WS token is unknown, expired or revoked; the request
    /// was not processed. Reconnect with a fresh token.
    Session,
    /// `EGeneral:Internal error`: Kraken failed; whether a mutation happened is unknown.
    Internal,
    /// Any other string, kept verbatim in [`KrakenError::raw`].
    Unrecognized,
}

/// What the caller may do after an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handling {
    /// A business outcome for the strategy; do not resend unchanged.
    Reject,
    /// Wait and try again later (rate limits, busy or restricted service).
    Defer,
    /// Stop trading and alert a human (nonce, key, signature, permission, lockout).
    Halt,
    /// Fix the request (a defect): do not resend unchanged; alert.
    Defect,
    /// The call may or may not have been applied: reconcile before acting.
    Reconcile,
}

/// `E` (error) or `W` (warning).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One Kraken error string, classified.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KrakenError {
    /// The string exactly as Kraken sent it.
    pub raw: String,
    pub severity: Severity,
    pub kind: ErrorKind,
}

impl fmt::Display for KrakenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl std::error::Error for KrakenError {}

fn reject(r: OrderReject) -> ErrorKind {
    ErrorKind::Reject { reject: r }
}
fn service(s: ServiceState) -> ErrorKind {
    ErrorKind::Service { state: s }
}
fn permission(p: Permission) -> ErrorKind {
    ErrorKind::Permission { permission: p }
}
fn rate(l: RateLimit) -> ErrorKind {
    ErrorKind::RateLimit { limit: l }
}

impl KrakenError {
    /// Classify one error string (REST `error[]` entry or WS `error`).
    pub fn parse(raw: &str) -> KrakenError {
        let severity = if raw.starts_with('W') {
            Severity::Warning
        } else {
            Severity::Error
        };
        KrakenError {
            raw: raw.to_string(),
            severity,
            kind: classify(raw),
        }
    }

    /// What the caller may do next.
    pub fn handling(&self) -> Handling {
        self.kind.handling()
    }

    /// A stable snake_case code for metrics (`kraken_errors_total{code}`).
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

fn classify(raw: &str) -> ErrorKind {
    let Some((prefix, rest)) = raw.split_once(':') else {
        // WS v2 sends some errors without a category.
        return match raw.trim() {
            "Exceeded msg rate" => rate(RateLimit::WsMessageRate),
            _ => ErrorKind::Unrecognized,
        };
    };
    let category = prefix.trim().get(1..).unwrap_or("");
    let message = rest.trim();
    match (category, message) {
        ("Order", "Insufficient funds") => reject(OrderReject::InsufficientFunds),
        ("Order", "Order minimum not met") => reject(OrderReject::OrderMinimumNotMet),
        ("Order", "Cost minimum not met") => reject(OrderReject::CostMinimumNotMet),
        ("Order", "Post only order") => reject(OrderReject::PostOnlyWouldTake),
        ("Order", "Orders limit exceeded") => reject(OrderReject::OrdersLimitExceeded),
        ("Order", "Tick size check failed") => reject(OrderReject::TickSizeCheckFailed),
        ("Order", "Unknown order") => reject(OrderReject::UnknownOrder),
        ("Order", "Invalid price") => reject(OrderReject::InvalidPrice),
        ("Order", "Invalid order") => reject(OrderReject::InvalidOrder),
        ("Order", "Duplicate order") => reject(OrderReject::DuplicateOrder),
        ("Order", "Rate limit exceeded") => rate(RateLimit::TradingCounter),
        ("Session", "Invalid session") => ErrorKind::Session,
        ("API", "Rate limit exceeded") => rate(RateLimit::RestCounter),
        ("API", "Invalid nonce") => ErrorKind::InvalidNonce,
        ("API", "Invalid key") => permission(Permission::InvalidKey),
        ("API", "Invalid signature") => permission(Permission::InvalidSignature),
        ("API", "Feature disabled") => permission(Permission::FeatureDisabled),
        ("General", "Permission denied") => permission(Permission::Denied),
        ("General", "Temporary lockout") => ErrorKind::Lockout,
        ("General", "Internal error") => ErrorKind::Internal,
        ("Service", "Unavailable") => service(ServiceState::Unavailable),
        ("Service", "Busy") => service(ServiceState::Busy),
        ("Service", "Market in cancel_only mode") => service(ServiceState::CancelOnly),
        ("Service", "Market in post_only mode") => service(ServiceState::PostOnly),
        ("Service", "Market in limit_only mode") => service(ServiceState::LimitOnly),
        ("Service", "Deadline elapsed") => reject(OrderReject::DeadlineElapsed),
        ("Service", m) if m.starts_with("Throttled") => rate(RateLimit::Throttled {
            until_unix: m
                .split_once(':')
                .and_then(|(_, ts)| ts.trim().parse::<u64>().ok()),
        }),
        ("Query", "Unknown asset pair") => ErrorKind::UnknownPair,
        ("General", m) if m.starts_with("Invalid arguments") => {
            let field = m
                .strip_prefix("Invalid arguments")
                .and_then(|f| f.strip_prefix(':'))
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty());
            match field.as_deref() {
                Some("volume") => reject(OrderReject::InvalidVolume),
                _ => ErrorKind::InvalidArguments { field },
            }
        }
        _ => ErrorKind::Unrecognized,
    }
}

impl ErrorKind {
    pub fn handling(&self) -> Handling {
        match self {
            ErrorKind::Reject { .. } => Handling::Reject,
            ErrorKind::RateLimit { .. } | ErrorKind::Service { .. } | ErrorKind::Session => {
                Handling::Defer
            }
            ErrorKind::InvalidNonce | ErrorKind::Lockout | ErrorKind::Permission { .. } => {
                Handling::Halt
            }
            ErrorKind::InvalidArguments { .. } | ErrorKind::UnknownPair => Handling::Defect,
            // Kraken failed inside, or we cannot tell what it said: reconcile before acting.
            ErrorKind::Internal | ErrorKind::Unrecognized => Handling::Reconcile,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::Reject { reject } => match reject {
                OrderReject::InsufficientFunds => "insufficient_funds",
                OrderReject::OrderMinimumNotMet => "order_minimum_not_met",
                OrderReject::CostMinimumNotMet => "cost_minimum_not_met",
                OrderReject::PostOnlyWouldTake => "post_only_would_take",
                OrderReject::OrdersLimitExceeded => "orders_limit_exceeded",
                OrderReject::TickSizeCheckFailed => "tick_size_check_failed",
                OrderReject::InvalidVolume => "invalid_volume",
                OrderReject::UnknownOrder => "unknown_order",
                OrderReject::InvalidPrice => "invalid_price",
                OrderReject::InvalidOrder => "invalid_order",
                OrderReject::DeadlineElapsed => "deadline_elapsed",
                OrderReject::DuplicateOrder => "duplicate_order",
            },
            ErrorKind::RateLimit { limit } => match limit {
                RateLimit::RestCounter => "rest_rate_limit",
                RateLimit::TradingCounter => "trading_rate_limit",
                RateLimit::Throttled { .. } => "throttled",
                RateLimit::WsMessageRate => "ws_message_rate",
            },
            ErrorKind::InvalidNonce => "invalid_nonce",
            ErrorKind::Lockout => "lockout",
            ErrorKind::Service { state } => match state {
                ServiceState::Unavailable => "service_unavailable",
                ServiceState::Busy => "service_busy",
                ServiceState::CancelOnly => "market_cancel_only",
                ServiceState::PostOnly => "market_post_only",
                ServiceState::LimitOnly => "market_limit_only",
            },
            ErrorKind::Permission { permission } => match permission {
                Permission::Denied => "permission_denied",
                Permission::InvalidKey => "invalid_key",
                Permission::InvalidSignature => "invalid_signature",
                Permission::FeatureDisabled => "feature_disabled",
            },
            ErrorKind::InvalidArguments { .. } => "invalid_arguments",
            ErrorKind::UnknownPair => "unknown_pair",
            ErrorKind::Session => "invalid_session",
            ErrorKind::Internal => "internal_error",
            ErrorKind::Unrecognized => "unrecognized",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_table() {
        use Handling as H;
        let cases: Vec<(&str, ErrorKind, H)> = vec![
            (
                "EOrder:Duplicate order",
                reject(OrderReject::DuplicateOrder),
                H::Reject,
            ),
            ("ESession:Invalid session", ErrorKind::Session, H::Defer),
            (
                "EOrder:Insufficient funds",
                reject(OrderReject::InsufficientFunds),
                H::Reject,
            ),
            (
                "EOrder:Order minimum not met",
                reject(OrderReject::OrderMinimumNotMet),
                H::Reject,
            ),
            (
                "EOrder:Cost minimum not met",
                reject(OrderReject::CostMinimumNotMet),
                H::Reject,
            ),
            (
                "EOrder:Post only order",
                reject(OrderReject::PostOnlyWouldTake),
                H::Reject,
            ),
            (
                "EOrder:Orders limit exceeded",
                reject(OrderReject::OrdersLimitExceeded),
                H::Reject,
            ),
            (
                "EOrder:Tick size check failed",
                reject(OrderReject::TickSizeCheckFailed),
                H::Reject,
            ),
            (
                "EOrder:Unknown order",
                reject(OrderReject::UnknownOrder),
                H::Reject,
            ),
            (
                "EOrder:Invalid price",
                reject(OrderReject::InvalidPrice),
                H::Reject,
            ),
            (
                "EOrder:Invalid order",
                reject(OrderReject::InvalidOrder),
                H::Reject,
            ),
            (
                "EGeneral:Invalid arguments:volume",
                reject(OrderReject::InvalidVolume),
                H::Reject,
            ),
            (
                "EService:Deadline elapsed",
                reject(OrderReject::DeadlineElapsed),
                H::Reject,
            ),
            (
                "EOrder:Rate limit exceeded",
                rate(RateLimit::TradingCounter),
                H::Defer,
            ),
            (
                "EAPI:Rate limit exceeded",
                rate(RateLimit::RestCounter),
                H::Defer,
            ),
            (
                "EService: Throttled: 1690000000",
                rate(RateLimit::Throttled {
                    until_unix: Some(1_690_000_000),
                }),
                H::Defer,
            ),
            (
                "EService:Throttled",
                rate(RateLimit::Throttled { until_unix: None }),
                H::Defer,
            ),
            (
                "Exceeded msg rate",
                rate(RateLimit::WsMessageRate),
                H::Defer,
            ),
            ("EAPI:Invalid nonce", ErrorKind::InvalidNonce, H::Halt),
            ("EGeneral:Temporary lockout", ErrorKind::Lockout, H::Halt),
            (
                "EService:Unavailable",
                service(ServiceState::Unavailable),
                H::Defer,
            ),
            ("EService:Busy", service(ServiceState::Busy), H::Defer),
            (
                "EService:Market in cancel_only mode",
                service(ServiceState::CancelOnly),
                H::Defer,
            ),
            (
                "EService:Market in post_only mode",
                service(ServiceState::PostOnly),
                H::Defer,
            ),
            (
                "EService:Market in limit_only mode",
                service(ServiceState::LimitOnly),
                H::Defer,
            ),
            (
                "EGeneral:Permission denied",
                permission(Permission::Denied),
                H::Halt,
            ),
            (
                "EAPI:Invalid key",
                permission(Permission::InvalidKey),
                H::Halt,
            ),
            (
                "EAPI:Invalid signature",
                permission(Permission::InvalidSignature),
                H::Halt,
            ),
            (
                "EAPI:Feature disabled",
                permission(Permission::FeatureDisabled),
                H::Halt,
            ),
            (
                "EGeneral:Invalid arguments",
                ErrorKind::InvalidArguments { field: None },
                H::Defect,
            ),
            (
                "EGeneral:Invalid arguments:price",
                ErrorKind::InvalidArguments {
                    field: Some("price".into()),
                },
                H::Defect,
            ),
            (
                "EQuery:Unknown asset pair",
                ErrorKind::UnknownPair,
                H::Defect,
            ),
            ("EGeneral:Internal error", ErrorKind::Internal, H::Reconcile),
            // Unknown strings: kept verbatim, never dropped, never guessed.
            (
                "EFunding:Unknown withdraw key",
                ErrorKind::Unrecognized,
                H::Reconcile,
            ),
            (
                "EOrder:Something new",
                ErrorKind::Unrecognized,
                H::Reconcile,
            ),
            (
                "Currency pair not supported XDG/USD",
                ErrorKind::Unrecognized,
                H::Reconcile,
            ),
            ("", ErrorKind::Unrecognized, H::Reconcile),
        ];
        for (raw, kind, handling) in cases {
            let e = KrakenError::parse(raw);
            assert_eq!(e.raw, raw, "case {raw:?}: verbatim");
            assert_eq!(e.kind, kind, "case {raw:?}");
            assert_eq!(e.handling(), handling, "case {raw:?}");
            assert_eq!(e.to_string(), raw, "case {raw:?}: display");
            assert!(!e.code().is_empty());
        }
    }

    #[test]
    fn warnings_are_marked() {
        let w = KrakenError::parse("WGeneral:Unknown warning");
        assert_eq!(w.severity, Severity::Warning);
        assert_eq!(w.kind, ErrorKind::Unrecognized);
        assert_eq!(
            KrakenError::parse("EOrder:Post only order").severity,
            Severity::Error
        );
    }
}
