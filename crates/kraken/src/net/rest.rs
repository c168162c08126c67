//! REST plumbing shared by the public client and the private actor, and the public client.
//!
//! An HTTP exchange ends in one of two ways: an answer (status, content type, body text),
//! which [`crate::outcome::classify`] turns into Done / Refused / Unknown / Failed, or no
//! answer at all (a timeout, a refused or dropped connection, a body cut short), which
//! becomes [`RestOutcome::transport`] — **Unknown** for an order call, Failed for a read.
//!
//! Invariants:
//! - Nothing here retries: a retry of an order call could duplicate the order
//!   (python3-krakenex#98), a retry of a bad nonce leads to a lockout (kraken.md §3.3).
//! - [`RestError`] is only for calls that were **never sent** (bad parameters, no nonce, the
//!   actor is gone before taking the call); anything that may have reached Kraken is a
//!   [`RestOutcome`].
//! - Every error and ambiguity names the endpoint (`REST AddOrder: …`); none carries a
//!   credential.

use std::fmt;
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::nonce::NonceError;
use crate::outcome::{classify, Ambiguity, CallKind, RestOutcome};
use crate::rest::market::{AssetPairs, SystemStatus, Ticker};
use crate::sign::SignError;

/// HTTP settings of a REST client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestConfig {
    /// `https://api.kraken.com` in production; a local server in tests.
    pub base_url: String,
    /// Whole-request deadline (connect, send, answer, body).
    pub timeout: Duration,
    /// Kraken requires a `User-Agent` (kraken.md §3.1).
    pub user_agent: String,
}

impl Default for RestConfig {
    fn default() -> Self {
        RestConfig {
            base_url: "https://api.kraken.com".to_string(),
            timeout: Duration::from_secs(10),
            user_agent: concat!("flywheel/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// A call that was not sent. Never carries a credential.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RestError {
    #[error("REST {endpoint}: cannot build the HTTP client: {reason}")]
    Client {
        endpoint: &'static str,
        reason: String,
    },
    #[error("REST {endpoint}: no tokio runtime to run the client on")]
    NoRuntime { endpoint: &'static str },
    #[error("REST {endpoint}: no nonce, nothing sent: {source}")]
    Nonce {
        endpoint: &'static str,
        source: NonceError,
    },
    #[error("REST {endpoint}: cannot sign, nothing sent: {source}")]
    Sign {
        endpoint: &'static str,
        source: SignError,
    },
    #[error("REST {endpoint}: invalid request, nothing sent: {reason}")]
    Invalid {
        endpoint: &'static str,
        reason: String,
    },
    #[error("REST {endpoint}: the private REST actor has stopped, nothing sent")]
    Stopped { endpoint: &'static str },
}

/// What came back from one HTTP exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Exchange {
    Answer {
        status: u16,
        content_type: Option<String>,
        body: String,
    },
    /// No (complete) answer.
    Transport(Ambiguity),
}

impl Exchange {
    /// Classify as the outcome of `endpoint`.
    pub(crate) fn classify<T: DeserializeOwned>(
        self,
        kind: CallKind,
        endpoint: &str,
    ) -> RestOutcome<T> {
        match self {
            Exchange::Answer {
                status,
                content_type,
                body,
            } => classify(kind, endpoint, status, content_type.as_deref(), &body),
            Exchange::Transport(why) => RestOutcome::transport(kind, why),
        }
    }
}

/// The error and its sources on one line, without the URL (it says nothing the endpoint
/// name does not, and keeps query strings out of logs).
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        text.push_str(": ");
        text.push_str(&s.to_string());
        src = s.source();
    }
    text
}

fn transport(endpoint: &str, e: reqwest::Error) -> Exchange {
    if e.is_timeout() {
        return Exchange::Transport(Ambiguity::Timeout);
    }
    Exchange::Transport(Ambiguity::ConnectionLost {
        detail: format!("REST {endpoint}: {}", describe(&e.without_url())),
    })
}

/// Send `req` and read the whole answer.
pub(crate) async fn exchange(req: reqwest::RequestBuilder, endpoint: &str) -> Exchange {
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return transport(endpoint, e),
    };
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    match resp.text().await {
        Ok(body) => Exchange::Answer {
            status,
            content_type,
            body,
        },
        Err(e) => transport(endpoint, e),
    }
}

/// Build the HTTP client for `cfg` (installs the TLS provider first).
pub(crate) fn http_client(
    cfg: &RestConfig,
    endpoint: &'static str,
) -> Result<reqwest::Client, RestError> {
    super::tls::init();
    reqwest::Client::builder()
        .timeout(cfg.timeout)
        .user_agent(cfg.user_agent.clone())
        .build()
        .map_err(|e| RestError::Client {
            endpoint,
            reason: describe(&e),
        })
}

/// Public REST endpoints (`/0/public/…`, GET, no key). Cheap to clone.
#[derive(Clone)]
pub struct PublicRest {
    client: reqwest::Client,
    base_url: String,
}

impl fmt::Debug for PublicRest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicRest")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl PublicRest {
    pub fn new(cfg: &RestConfig) -> Result<Self, RestError> {
        Ok(PublicRest {
            client: http_client(cfg, "public")?,
            base_url: cfg.base_url.trim_end_matches('/').to_string(),
        })
    }

    async fn get<T: DeserializeOwned>(
        &self,
        method: &'static str,
        query: &[(&str, &str)],
    ) -> RestOutcome<T> {
        let mut url = format!("{}/0/public/{method}", self.base_url);
        if !query.is_empty() {
            let q = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish();
            url.push('?');
            url.push_str(&q);
        }
        exchange(self.client.get(url), method)
            .await
            .classify(CallKind::Read, method)
    }

    /// `AssetPairs`, all pairs or one (`XDGUSD`, `DOGEUSD`…).
    pub async fn asset_pairs(&self, pair: Option<&str>) -> RestOutcome<AssetPairs> {
        match pair {
            Some(p) => self.get("AssetPairs", &[("pair", p)]).await,
            None => self.get("AssetPairs", &[]).await,
        }
    }

    /// `Ticker` for one pair.
    pub async fn ticker(&self, pair: &str) -> RestOutcome<Ticker> {
        self.get("Ticker", &[("pair", pair)]).await
    }

    /// `SystemStatus` (`online | maintenance | cancel_only | post_only`).
    pub async fn system_status(&self) -> RestOutcome<SystemStatus> {
        self.get("SystemStatus", &[]).await
    }
}
