//! The outcome of a REST call: done, refused, or **unknown**.
//!
//! Kraken answers `{"error":[...],"result":{...}}` with HTTP 200; errors are in the array
//! (kraken.md §3.1). Anything else — a 5xx, a Cloudflare HTML page, a timeout, a dropped
//! connection, a body we cannot read — means we do not know what Kraken did. For an order call
//! that is an [`RestOutcome::Unknown`] outcome: the order may exist (python3-krakenex#98,
//! XChange#1899, live.md §2) and must be reconciled by `cl_ord_id`, never retried blindly and
//! never treated as a failure. For a read-only call it is a plain [`RestOutcome::Failed`].
//!
//! Invariants:
//! - [`classify`] is total and pure: every (status, body) pair gives exactly one outcome.
//! - An order call never yields `Failed`; a read call never yields `Unknown`.
//! - A 200 with a readable envelope and no error is `Done` only if the result also parses;
//!   for an order call an unreadable result is `Unknown` (Kraken accepted *something*).
//! - Warnings (`W…` strings) never turn success into failure; they ride along in `Done`.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{KrakenError, Severity};

/// Whether a call changes state on the exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// Queries (`BalanceEx`, `OpenOrders`, `AssetPairs`, `GetWebSocketsToken`…).
    Read,
    /// Mutations (`AddOrder`, `CancelOrder`, `CancelAllOrdersAfter`…).
    Order,
}

/// Why the outcome is not known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ambiguity {
    /// No answer within the client's deadline.
    Timeout,
    /// The connection broke before a full answer arrived.
    ConnectionLost { detail: String },
    /// A non-200 status with a non-HTML body (`502`, `520`…).
    HttpStatus { status: u16 },
    /// An HTML page (Cloudflare, maintenance) instead of JSON, with its status.
    HtmlPage { status: u16 },
    /// A 200 whose body or result could not be read.
    Unreadable { status: u16, reason: String },
}

/// The outcome of one REST call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestOutcome<T> {
    /// Kraken did it; any warnings it attached.
    Done {
        result: T,
        warnings: Vec<KrakenError>,
    },
    /// Kraken answered with errors: the call was refused (see each error's handling).
    Refused(Vec<KrakenError>),
    /// An order call whose effect is unknown: reconcile before acting.
    Unknown(Ambiguity),
    /// A read call that produced no usable answer: try again later.
    Failed(Ambiguity),
}

impl<T> RestOutcome<T> {
    /// The outcome of a call that never got an HTTP answer (timeout, dropped connection).
    pub fn transport(kind: CallKind, why: Ambiguity) -> Self {
        match kind {
            CallKind::Order => RestOutcome::Unknown(why),
            CallKind::Read => RestOutcome::Failed(why),
        }
    }

    pub fn done(self) -> Option<T> {
        match self {
            RestOutcome::Done { result, .. } => Some(result),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    error: Vec<String>,
    #[serde(default)]
    result: Option<Box<RawValue>>,
}

fn looks_like_html(content_type: Option<&str>, body: &str) -> bool {
    let ct_html = content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("text/html"));
    let lower: String = body
        .trim_start()
        .chars()
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    ct_html || lower.starts_with("<!doctype html") || lower.starts_with("<html")
}

/// Classify an HTTP answer to `endpoint` (e.g. `AddOrder`) and parse its result as `T`.
pub fn classify<T: DeserializeOwned>(
    kind: CallKind,
    endpoint: &str,
    status: u16,
    content_type: Option<&str>,
    body: &str,
) -> RestOutcome<T> {
    let unknown = |why| RestOutcome::transport(kind, why);
    if looks_like_html(content_type, body) {
        return unknown(Ambiguity::HtmlPage { status });
    }
    if status != 200 {
        return unknown(Ambiguity::HttpStatus { status });
    }
    let envelope: Envelope = match crate::json::parse(&format!("REST {endpoint}"), body) {
        Ok(e) => e,
        Err(e) => {
            return unknown(Ambiguity::Unreadable {
                status,
                reason: e.to_string(),
            })
        }
    };
    let (errors, warnings): (Vec<KrakenError>, Vec<KrakenError>) = envelope
        .error
        .iter()
        .map(|s| KrakenError::parse(s))
        .partition(|e| e.severity == Severity::Error);
    if !errors.is_empty() {
        return RestOutcome::Refused(errors);
    }
    let Some(raw) = envelope.result else {
        return unknown(Ambiguity::Unreadable {
            status,
            reason: format!("REST {endpoint}: no result and no error"),
        });
    };
    match crate::json::parse::<T>(&format!("REST {endpoint} result"), raw.get()) {
        Ok(result) => RestOutcome::Done { result, warnings },
        Err(e) => unknown(Ambiguity::Unreadable {
            status,
            reason: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorKind, OrderReject, RateLimit};

    #[derive(Debug, PartialEq, Eq, Deserialize)]
    struct Count {
        count: u32,
    }

    const CF_PAGE: &str =
        "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>";

    #[test]
    fn outcome_table() {
        use Ambiguity as A;
        type Case = (
            &'static str,
            u16,
            Option<&'static str>,
            &'static str,
            RestOutcome<Count>,
        );
        let e = |s: &str| KrakenError::parse(s);
        let cases: Vec<Case> = vec![
            (
                "success",
                200,
                Some("application/json"),
                r#"{"error":[],"result":{"count":2}}"#,
                RestOutcome::Done {
                    result: Count { count: 2 },
                    warnings: vec![],
                },
            ),
            (
                "warning rides along",
                200,
                None,
                r#"{"error":["WGeneral:Deprecated"],"result":{"count":1}}"#,
                RestOutcome::Done {
                    result: Count { count: 1 },
                    warnings: vec![e("WGeneral:Deprecated")],
                },
            ),
            (
                "refused",
                200,
                None,
                r#"{"error":["EOrder:Insufficient funds"]}"#,
                RestOutcome::Refused(vec![e("EOrder:Insufficient funds")]),
            ),
            (
                "502 json-less",
                502,
                None,
                "Bad Gateway",
                RestOutcome::Unknown(A::HttpStatus { status: 502 }),
            ),
            (
                "cloudflare page",
                520,
                Some("text/html; charset=UTF-8"),
                CF_PAGE,
                RestOutcome::Unknown(A::HtmlPage { status: 520 }),
            ),
            (
                "html with 200",
                200,
                None,
                CF_PAGE,
                RestOutcome::Unknown(A::HtmlPage { status: 200 }),
            ),
            (
                "truncated json",
                200,
                None,
                r#"{"error":[],"result":{"cou"#,
                RestOutcome::Unknown(A::Unreadable {
                    status: 200,
                    reason: String::new(),
                }),
            ),
            (
                "result of the wrong shape",
                200,
                None,
                r#"{"error":[],"result":{"count":"x"}}"#,
                RestOutcome::Unknown(A::Unreadable {
                    status: 200,
                    reason: String::new(),
                }),
            ),
        ];
        for (name, status, ct, body, want) in cases {
            let got = classify::<Count>(CallKind::Order, "CancelOrder", status, ct, body);
            match (&got, &want) {
                (
                    RestOutcome::Unknown(A::Unreadable { status: s1, reason }),
                    RestOutcome::Unknown(A::Unreadable { status: s2, .. }),
                ) => {
                    assert_eq!(s1, s2, "case {name}");
                    assert!(reason.contains("REST CancelOrder"), "case {name}: {reason}");
                }
                _ => assert_eq!(got, want, "case {name}"),
            }
            // The same answer to a read call is never Unknown.
            let read = classify::<Count>(CallKind::Read, "OpenOrders", status, ct, body);
            assert!(
                !matches!(read, RestOutcome::Unknown(_)),
                "case {name}: read"
            );
            if matches!(want, RestOutcome::Unknown(_)) {
                assert!(
                    matches!(read, RestOutcome::Failed(_)),
                    "case {name}: read fails"
                );
            }
        }
    }

    #[test]
    fn timeouts_are_unknown_for_orders_only() {
        assert_eq!(
            RestOutcome::<Count>::transport(CallKind::Order, Ambiguity::Timeout),
            RestOutcome::Unknown(Ambiguity::Timeout)
        );
        assert_eq!(
            RestOutcome::<Count>::transport(CallKind::Read, Ambiguity::Timeout),
            RestOutcome::Failed(Ambiguity::Timeout)
        );
    }

    #[test]
    fn refused_errors_are_typed() {
        let got = classify::<Count>(
            CallKind::Order,
            "AddOrder",
            200,
            None,
            r#"{"error":["EOrder:Rate limit exceeded","EOrder:Post only order"]}"#,
        );
        let RestOutcome::Refused(errs) = got else {
            panic!("not refused: {got:?}")
        };
        assert_eq!(
            errs[0].kind,
            ErrorKind::RateLimit {
                limit: RateLimit::TradingCounter
            }
        );
        assert_eq!(
            errs[1].kind,
            ErrorKind::Reject {
                reject: OrderReject::PostOnlyWouldTake
            }
        );
    }
}
