//! Fault injection: what can go wrong between a client and Kraken, on demand.
//!
//! Each [`Fault`] applies **once**, to the next request or frame it matches, unless its doc
//! says otherwise. Faults that act on the connection state at once (stalls, drops, token
//! expiry, a status change) are carried out when injected; the others wait in a
//! [`FaultBook`] until a request takes them.
//!
//! Endpoint names match either the REST method (`AddOrder`) or the WS v2 method
//! (`add_order`), compared case-insensitively with underscores removed, so
//! `{"ServiceUnavailable":{"endpoint":"AddOrder"}}` also refuses the next WS `add_order`.
//!
//! JSON form (the admin endpoint `POST /mock/fault`), serde's external tagging:
//! `"InvalidNonce"`, `{"WsStall":{"feed":"private","millis":3000}}`,
//! `{"SetStatus":"cancel_only"}`, `{"HttpErrorAfterApply":{"endpoint":"AddOrder","status":502,"html":true}}`.

use serde::{Deserialize, Serialize};

/// Which WebSocket feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feed {
    Public,
    Private,
}

/// Kraken's system status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemStatus {
    Online,
    CancelOnly,
    PostOnly,
    Maintenance,
}

impl SystemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SystemStatus::Online => "online",
            SystemStatus::CancelOnly => "cancel_only",
            SystemStatus::PostOnly => "post_only",
            SystemStatus::Maintenance => "maintenance",
        }
    }

    /// The error an order add gets in this status, if any. Post-only mode accepts our
    /// orders: every order the mock accepts is post-only.
    pub fn add_refusal(self) -> Option<&'static str> {
        match self {
            SystemStatus::Online | SystemStatus::PostOnly => None,
            SystemStatus::CancelOnly => Some("EService:Market in cancel_only mode"),
            SystemStatus::Maintenance => Some("EService:Unavailable"),
        }
    }
}

/// One injected fault (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fault {
    /// Apply the next private REST call to `endpoint`, then answer HTTP `status` (502, 520…)
    /// with a JSON-less body: an HTML page like Cloudflare's when `html`, else plain text.
    HttpErrorAfterApply {
        endpoint: String,
        status: u16,
        html: bool,
    },
    /// Apply the next call to `endpoint`, then hold the answer for
    /// [`crate::MockConfig::timeout_hold`] (far beyond any client timeout).
    TimeoutAfterApply { endpoint: String },
    /// Refuse the next call to `endpoint` with `EService:Unavailable`; nothing applied.
    ServiceUnavailable { endpoint: String },
    /// Refuse the next private REST call to `endpoint` with `EAPI:Rate limit exceeded`.
    RestRateLimit { endpoint: String },
    /// Refuse the next order add (REST `AddOrder` or WS `add_order`) with
    /// `EOrder:Rate limit exceeded`; nothing applied.
    OrderRateLimit,
    /// Refuse the next (correctly signed) private REST call with `EAPI:Invalid nonce`.
    InvalidNonce,
    /// Open sockets of `feed` send nothing (no heartbeat) for `millis`; they stay open and
    /// deliver what queued up afterwards. Applied at once.
    WsStall { feed: Feed, millis: u64 },
    /// Close every open socket of `feed` now.
    WsDrop { feed: Feed },
    /// Apply the next WS `add_order`, then close that private socket before the reply.
    WsDropAfterAddOrder,
    /// Send each of the next `count` `executions` frames twice.
    DuplicateExecutions { count: u32 },
    /// Hold the next `executions` frame and send it after the following one.
    ReorderExecutions,
    /// The next `book` update carries a wrong checksum.
    CorruptChecksum,
    /// Every token issued so far becomes invalid. Applied at once.
    ExpireTokens,
    /// Change the system status (a `status` frame is pushed). Applied at once.
    SetStatus(SystemStatus),
}

/// `AddOrder` and `add_order` are one endpoint for fault matching.
pub fn endpoint_matches(pattern: &str, name: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '_')
            .flat_map(char::to_lowercase)
            .collect()
    };
    norm(pattern) == norm(name)
}

/// What a pending REST fault does to a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AfterApply {
    /// Answer normally.
    Answer,
    /// Answer this status with an error page.
    HttpError { status: u16, html: bool },
    /// Hold the answer.
    Hold,
}

/// Faults waiting for a request or a frame to take them.
#[derive(Clone, Debug, Default)]
pub struct FaultBook {
    pending: Vec<Fault>,
    /// Executions frames still to duplicate.
    pub duplicate_executions: u32,
}

impl FaultBook {
    /// Queue a fault that waits for a request (the immediate ones are handled by the caller).
    pub fn push(&mut self, fault: Fault) {
        match fault {
            Fault::DuplicateExecutions { count } => {
                self.duplicate_executions = self.duplicate_executions.saturating_add(count)
            }
            f => self.pending.push(f),
        }
    }

    /// Remove and return the first pending fault `pred` accepts.
    pub fn take(&mut self, pred: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let i = self.pending.iter().position(pred)?;
        Some(self.pending.remove(i))
    }

    /// A refusal that applies before `endpoint` (REST or WS name) is applied:
    /// `EService:Unavailable`, `EAPI:Rate limit exceeded` (REST only) or, for order adds,
    /// `EOrder:Rate limit exceeded`.
    pub fn take_refusal(&mut self, endpoint: &str, rest: bool) -> Option<&'static str> {
        let is_add = endpoint_matches("AddOrder", endpoint);
        let f = self.take(|f| match f {
            Fault::ServiceUnavailable { endpoint: e } => endpoint_matches(e, endpoint),
            Fault::RestRateLimit { endpoint: e } => rest && endpoint_matches(e, endpoint),
            Fault::OrderRateLimit => is_add,
            _ => false,
        })?;
        Some(match f {
            Fault::ServiceUnavailable { .. } => "EService:Unavailable",
            Fault::RestRateLimit { .. } => "EAPI:Rate limit exceeded",
            _ => "EOrder:Rate limit exceeded",
        })
    }

    /// What to do with the answer of a private REST call to `endpoint` that was applied.
    pub fn take_after_apply(&mut self, endpoint: &str) -> AfterApply {
        let f = self.take(|f| match f {
            Fault::HttpErrorAfterApply { endpoint: e, .. }
            | Fault::TimeoutAfterApply { endpoint: e } => endpoint_matches(e, endpoint),
            _ => false,
        });
        match f {
            Some(Fault::HttpErrorAfterApply { status, html, .. }) => {
                AfterApply::HttpError { status, html }
            }
            Some(Fault::TimeoutAfterApply { .. }) => AfterApply::Hold,
            _ => AfterApply::Answer,
        }
    }

    pub fn take_invalid_nonce(&mut self) -> bool {
        self.take(|f| matches!(f, Fault::InvalidNonce)).is_some()
    }
    pub fn take_drop_after_add(&mut self) -> bool {
        self.take(|f| matches!(f, Fault::WsDropAfterAddOrder))
            .is_some()
    }
    pub fn take_reorder(&mut self) -> bool {
        self.take(|f| matches!(f, Fault::ReorderExecutions))
            .is_some()
    }
    pub fn take_corrupt_checksum(&mut self) -> bool {
        self.take(|f| matches!(f, Fault::CorruptChecksum)).is_some()
    }
    /// True if the next executions frame is to be sent twice (counts it down).
    pub fn take_duplicate(&mut self) -> bool {
        if self.duplicate_executions > 0 {
            self.duplicate_executions -= 1;
            true
        } else {
            false
        }
    }
}

/// The body of an `HttpErrorAfterApply` answer.
pub fn error_page(status: u16, html: bool) -> (&'static str, String) {
    if html {
        (
            "text/html; charset=UTF-8",
            format!(
                "<!DOCTYPE html>\n<html><head><title>api.kraken.com | {status}: Bad gateway</title></head>\
                 <body><h1>Error {status}</h1><p>Bad gateway</p><p>Cloudflare Ray ID: 0000mock</p></body></html>\n"
            ),
        )
    } else {
        (
            "text/plain; charset=UTF-8",
            format!("error code: {status}\n"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_forms() {
        let cases: [(&str, Fault); 4] = [
            ("\"InvalidNonce\"", Fault::InvalidNonce),
            (
                r#"{"WsStall":{"feed":"private","millis":30}}"#,
                Fault::WsStall {
                    feed: Feed::Private,
                    millis: 30,
                },
            ),
            (
                r#"{"SetStatus":"cancel_only"}"#,
                Fault::SetStatus(SystemStatus::CancelOnly),
            ),
            (
                r#"{"HttpErrorAfterApply":{"endpoint":"AddOrder","status":520,"html":true}}"#,
                Fault::HttpErrorAfterApply {
                    endpoint: "AddOrder".into(),
                    status: 520,
                    html: true,
                },
            ),
        ];
        for (text, want) in cases {
            let got: Fault = serde_json::from_str(text).expect(text);
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn matching_and_once() {
        assert!(endpoint_matches("AddOrder", "add_order"));
        assert!(!endpoint_matches("AddOrder", "CancelOrder"));
        let mut b = FaultBook::default();
        b.push(Fault::ServiceUnavailable {
            endpoint: "AddOrder".into(),
        });
        b.push(Fault::RestRateLimit {
            endpoint: "BalanceEx".into(),
        });
        assert_eq!(b.take_refusal("CancelOrder", true), None);
        assert_eq!(
            b.take_refusal("add_order", false),
            Some("EService:Unavailable")
        );
        assert_eq!(b.take_refusal("add_order", false), None, "applies once");
        assert_eq!(b.take_refusal("BalanceEx", false), None, "REST only");
        assert_eq!(
            b.take_refusal("BalanceEx", true),
            Some("EAPI:Rate limit exceeded")
        );
        b.push(Fault::DuplicateExecutions { count: 2 });
        assert!(b.take_duplicate() && b.take_duplicate() && !b.take_duplicate());
    }
}
