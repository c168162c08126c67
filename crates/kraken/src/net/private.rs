//! Private REST: one actor task per API key, **one request in flight**.
//!
//! Kraken rejects a nonce at or below the last one it accepted for the key (kraken.md §3.3);
//! two requests in flight can arrive out of order and the later nonce then poisons the
//! earlier one. So every private call of a key goes through one task ([`PrivateRest`] is a
//! cheap handle to it) that owns the HTTP client, the [`Credentials`] and the
//! [`NonceSource`], and serves calls strictly one after the other:
//!
//! 1. optionally wait for the REST call counter shadow ([`RestCounter`]) to have room,
//! 2. take the nonce **at send time** (`max(last + 1, now)`, persisted before use),
//! 3. sign the exact form body and POST it with `API-Key`, `API-Sign`, the form content type
//!    and the `User-Agent`,
//! 4. read status, content type and body completely before taking the next call.
//!
//! Invariants:
//! - An order call (`AddOrder`, `CancelOrder`, `CancelAllOrdersAfter`) whose fate is unknown
//!   (timeout, dropped connection, 5xx, HTML page, unreadable body, actor gone mid-call) is
//!   [`RestOutcome::Unknown`], never `Failed`: reconcile by `cl_ord_id`.
//! - `EAPI:Invalid nonce` comes back as `Refused` with [`crate::error::ErrorKind::InvalidNonce`];
//!   the actor never retries anything — the caller halts (live.md §2).
//! - A call once queued is sent even if its caller stops waiting: dropping the future does
//!   not un-send an order, so its outcome must then be learnt by reconciliation.
//! - The handle's `Debug` shows only the base URL; the key and secret never leave the actor
//!   except as the `API-Key` header and the signature.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, oneshot};

use super::clock::Clock;
use super::rest::{exchange, http_client, Exchange, RestConfig, RestError};
use super::rest_counter::{cost, RestCounter, RestTier};
use super::ws::{TokenError, TokenFuture, TokenSource};
use crate::error::{ErrorKind, RateLimit};
use crate::ids::ClOrdId;
use crate::nonce::{NonceSource, NonceStore};
use crate::outcome::{Ambiguity, CallKind, RestOutcome};
use crate::rest::account::{
    AddOrderResult, BalanceEx, CancelAllOrdersAfterResult, CancelOrderResult, TradeVolume,
    WebSocketsToken,
};
use crate::rest::orders::{
    ClosedOrders, HistoryPager, OpenOrders, PagerStep, QueryOrders, TradeInfo, TradesHistory,
};
use crate::rest::requests::{self, as_refs, AddOrder, OrderRef, Params};
use crate::secret::{Credentials, Redacted};
use crate::sign::sign_private;

/// `QueryOrders` takes at most this many txids per call.
pub const QUERY_ORDERS_MAX: usize = 50;
/// `trades_history_until_known` gives up after this many pages (50 fills each) rather than
/// loop forever on a server that ignores `end`.
pub const HISTORY_MAX_PAGES: usize = 1_000;
/// Calls waiting for the actor; a full queue makes callers wait (backpressure).
const QUEUE: usize = 64;

/// Options of the private REST actor.
#[derive(Clone, Debug, Default)]
pub struct PrivateRestOptions {
    /// Shadow the REST call counter for this tier and wait instead of being refused.
    pub counter_tier: Option<RestTier>,
}

struct Job {
    method: &'static str,
    params: Params,
    reply: oneshot::Sender<Result<Exchange, RestError>>,
}

/// Handle to the private REST actor of one API key. Clones share the actor; the actor stops
/// when the last handle is dropped (after serving what is queued).
#[derive(Clone)]
pub struct PrivateRest {
    tx: mpsc::Sender<Job>,
    base_url: Arc<str>,
}

impl fmt::Debug for PrivateRest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateRest")
            .field("base_url", &self.base_url)
            .field("credentials", &crate::secret::REDACTED)
            .finish()
    }
}

struct Actor<S: NonceStore> {
    client: reqwest::Client,
    url_base: String,
    creds: Credentials,
    nonces: NonceSource<S>,
    clock: Arc<dyn Clock>,
    counter: Option<RestCounter>,
}

impl<S: NonceStore> Actor<S> {
    async fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        while let Some(job) = rx.recv().await {
            let answer = self.serve(job.method, &job.params).await;
            // A caller that stopped waiting does not un-send the call (module invariant).
            let _ = job.reply.send(answer);
        }
    }

    async fn serve(
        &mut self,
        method: &'static str,
        params: &Params,
    ) -> Result<Exchange, RestError> {
        if let Some(counter) = &mut self.counter {
            let c = cost(method);
            let wait = counter.wait(c, self.clock.now());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            counter.charge(c, self.clock.now());
        }
        // The nonce is taken here, after any wait, right before the request leaves.
        let nonce = self
            .nonces
            .next(self.clock.now())
            .map_err(|source| RestError::Nonce {
                endpoint: method,
                source,
            })?;
        let signed =
            sign_private(&self.creds, method, nonce, &as_refs(params)).map_err(|source| {
                RestError::Sign {
                    endpoint: method,
                    source,
                }
            })?;
        let req = self
            .client
            .post(format!("{}{}", self.url_base, signed.path))
            .header("API-Key", self.creds.key.expose())
            .header("API-Sign", signed.api_sign)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(signed.body);
        let answer = exchange(req, method).await;
        if let (Some(counter), Exchange::Answer { body, .. }) = (&mut self.counter, &answer) {
            if body.contains("EAPI:Rate limit exceeded") {
                counter.saturate(self.clock.now());
            }
        }
        Ok(answer)
    }
}

impl PrivateRest {
    /// Start the actor for one key on the current tokio runtime. `store` holds the last
    /// nonce ([`crate::nonce::FileNonceStore`] in production); a corrupt store is an error.
    pub fn spawn<S: NonceStore + Send + 'static>(
        cfg: &RestConfig,
        creds: Credentials,
        store: S,
        clock: Arc<dyn Clock>,
        opts: PrivateRestOptions,
    ) -> Result<Self, RestError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| RestError::NoRuntime {
            endpoint: "private",
        })?;
        let nonces = NonceSource::open(store).map_err(|source| RestError::Nonce {
            endpoint: "private",
            source,
        })?;
        let url_base = cfg.base_url.trim_end_matches('/').to_string();
        let actor = Actor {
            client: http_client(cfg, "private")?,
            url_base: url_base.clone(),
            creds,
            nonces,
            clock,
            counter: opts.counter_tier.map(RestCounter::new),
        };
        let (tx, rx) = mpsc::channel(QUEUE);
        runtime.spawn(actor.run(rx));
        Ok(PrivateRest {
            tx,
            base_url: url_base.into(),
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        kind: CallKind,
        params: Params,
    ) -> Result<RestOutcome<T>, RestError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job {
                method,
                params,
                reply,
            })
            .await
            .map_err(|_| RestError::Stopped { endpoint: method })?;
        match rx.await {
            Ok(Ok(answer)) => Ok(answer.classify(kind, method)),
            Ok(Err(not_sent)) => Err(not_sent),
            // The actor took the call and vanished: it may have been sent.
            Err(_) => Ok(RestOutcome::transport(
                kind,
                Ambiguity::ConnectionLost {
                    detail: format!("REST {method}: the REST actor stopped during the call"),
                },
            )),
        }
    }

    /// `BalanceEx`: balances with `hold_trade`.
    pub async fn balance_ex(&self) -> Result<RestOutcome<BalanceEx>, RestError> {
        self.call("BalanceEx", CallKind::Read, Vec::new()).await
    }

    /// `OpenOrders` (with fill ids), optionally only the order with `cl_ord_id`.
    pub async fn open_orders(
        &self,
        cl_ord_id: Option<&ClOrdId>,
    ) -> Result<RestOutcome<OpenOrders>, RestError> {
        self.call(
            "OpenOrders",
            CallKind::Read,
            requests::open_orders(cl_ord_id),
        )
        .await
    }

    /// `QueryOrders` for 1..=50 txids.
    pub async fn query_orders(
        &self,
        txids: &[String],
    ) -> Result<RestOutcome<QueryOrders>, RestError> {
        if txids.is_empty() || txids.len() > QUERY_ORDERS_MAX {
            return Err(RestError::Invalid {
                endpoint: "QueryOrders",
                reason: format!("{} txids, allowed 1..={QUERY_ORDERS_MAX}", txids.len()),
            });
        }
        self.call("QueryOrders", CallKind::Read, requests::query_orders(txids))
            .await
    }

    /// One `ClosedOrders` page after `start` (exclusive; Unix seconds or txid) at offset `ofs`.
    pub async fn closed_orders(
        &self,
        start: Option<&str>,
        ofs: u32,
    ) -> Result<RestOutcome<ClosedOrders>, RestError> {
        self.call(
            "ClosedOrders",
            CallKind::Read,
            requests::closed_orders(start, ofs),
        )
        .await
    }

    /// `ClosedOrders` filtered by `cl_ord_id` (settling an Unknown order).
    pub async fn closed_orders_by_cl_ord_id(
        &self,
        cl_ord_id: &ClOrdId,
    ) -> Result<RestOutcome<ClosedOrders>, RestError> {
        let params: Params = vec![
            ("trades", "true".to_string()),
            ("cl_ord_id", cl_ord_id.to_string()),
        ];
        self.call("ClosedOrders", CallKind::Read, params).await
    }

    /// Page `TradesHistory` backwards (`end` = oldest txid seen) until a page holds one of
    /// the `known` fill txids or history ends; the new fills, oldest first. A page that fails
    /// ends the walk with that outcome (nothing partial is returned: the caller retries the
    /// whole walk, which is idempotent).
    pub async fn trades_history_until_known(
        &self,
        known: impl IntoIterator<Item = String>,
    ) -> Result<RestOutcome<Vec<(String, TradeInfo)>>, RestError> {
        let mut pager = HistoryPager::new(known);
        let mut end: Option<String> = None;
        let mut warnings = Vec::new();
        for _ in 0..HISTORY_MAX_PAGES {
            let page: RestOutcome<TradesHistory> = self
                .call(
                    "TradesHistory",
                    CallKind::Read,
                    requests::trades_history(end.as_deref()),
                )
                .await?;
            match page {
                RestOutcome::Done {
                    result,
                    warnings: w,
                } => {
                    warnings.extend(w);
                    match pager.on_page(&result) {
                        PagerStep::Fetch { end: e } => end = Some(e),
                        PagerStep::Done => {
                            return Ok(RestOutcome::Done {
                                result: pager.into_new_fills(),
                                warnings,
                            })
                        }
                    }
                }
                RestOutcome::Refused(e) => return Ok(RestOutcome::Refused(e)),
                RestOutcome::Unknown(a) => return Ok(RestOutcome::Unknown(a)),
                RestOutcome::Failed(a) => return Ok(RestOutcome::Failed(a)),
            }
        }
        Ok(RestOutcome::Failed(Ambiguity::Unreadable {
            status: 200,
            reason: format!("REST TradesHistory: no known fill within {HISTORY_MAX_PAGES} pages"),
        }))
    }

    /// `AddOrder` (post-only limit, `cl_ord_id`). Ambiguous failures are `Unknown`.
    pub async fn add_order(
        &self,
        order: &AddOrder,
    ) -> Result<RestOutcome<AddOrderResult>, RestError> {
        let params = order.params().map_err(|e| RestError::Invalid {
            endpoint: "AddOrder",
            reason: e.to_string(),
        })?;
        self.call("AddOrder", CallKind::Order, params).await
    }

    /// `CancelOrder` by txid or `cl_ord_id`. `EOrder:Unknown order` means already gone.
    pub async fn cancel_order(
        &self,
        order: &OrderRef,
    ) -> Result<RestOutcome<CancelOrderResult>, RestError> {
        self.call(
            "CancelOrder",
            CallKind::Order,
            requests::cancel_order(order),
        )
        .await
    }

    /// `CancelAllOrdersAfter` (the dead-man switch; 0 disarms).
    pub async fn cancel_all_orders_after(
        &self,
        timeout_secs: u32,
    ) -> Result<RestOutcome<CancelAllOrdersAfterResult>, RestError> {
        let params =
            requests::cancel_all_orders_after(timeout_secs).map_err(|e| RestError::Invalid {
                endpoint: "CancelAllOrdersAfter",
                reason: e.to_string(),
            })?;
        self.call("CancelAllOrdersAfter", CallKind::Order, params)
            .await
    }

    /// `GetWebSocketsToken` (use within 15 minutes; one per WS connection).
    /// `TradeVolume` for one pair: the account's current maker and taker fees.
    pub async fn trade_volume(&self, pair: &str) -> Result<RestOutcome<TradeVolume>, RestError> {
        self.call("TradeVolume", CallKind::Read, requests::trade_volume(pair))
            .await
    }

    pub async fn get_websockets_token(&self) -> Result<RestOutcome<WebSocketsToken>, RestError> {
        self.call("GetWebSocketsToken", CallKind::Read, Vec::new())
            .await
    }
}

/// Whether an outcome is Kraken's `EAPI:Invalid nonce` (the caller must halt).
pub fn is_invalid_nonce<T>(outcome: &RestOutcome<T>) -> bool {
    matches!(outcome, RestOutcome::Refused(errs)
        if errs.iter().any(|e| e.kind == ErrorKind::InvalidNonce))
}

/// Whether an outcome is a refusal by the REST call counter.
pub fn is_rest_rate_limited<T>(outcome: &RestOutcome<T>) -> bool {
    matches!(outcome, RestOutcome::Refused(errs)
        if errs.iter().any(|e| e.kind == ErrorKind::RateLimit { limit: RateLimit::RestCounter }))
}

impl TokenSource for PrivateRest {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            match self.get_websockets_token().await {
                Ok(RestOutcome::Done { result, .. }) => Ok(result.token),
                Ok(RestOutcome::Refused(errs)) => Err(TokenError(format!(
                    "REST GetWebSocketsToken refused: {}",
                    errs.iter()
                        .map(|e| e.raw.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
                Ok(RestOutcome::Failed(why) | RestOutcome::Unknown(why)) => Err(TokenError(
                    format!("REST GetWebSocketsToken: no answer: {why:?}"),
                )),
                Err(e) => Err(TokenError(e.to_string())),
            }
        })
    }
}

/// A fixed token (tests, or a caller that manages tokens itself).
#[derive(Clone, Debug)]
pub struct StaticToken(pub Redacted);

impl TokenSource for StaticToken {
    fn token(&self) -> TokenFuture<'_> {
        let t = self.0.clone();
        Box::pin(async move { Ok(t) })
    }
}
