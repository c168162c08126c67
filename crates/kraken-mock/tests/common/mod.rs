//! Test helpers: a mock with short timings, a signed REST client, and a WS client that reads
//! frames through the connector's parsers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use flywheel_kraken::outcome::{classify, CallKind, RestOutcome};
use flywheel_kraken::ws::{parse_message, WsMessage};
use flywheel_kraken_mock::{MockConfig, MockHandle, MockKraken};
use futures_util::{SinkExt, StreamExt};
use serde::de::DeserializeOwned;
use tokio_tungstenite::tungstenite::Message;

pub fn fast_config() -> MockConfig {
    MockConfig {
        heartbeat: Duration::from_millis(50),
        timer_tick: Duration::from_millis(20),
        timeout_hold: Duration::from_secs(5),
        ..MockConfig::default()
    }
}

pub async fn start() -> MockHandle {
    MockKraken::start(fast_config()).await.expect("mock starts")
}

/// A signed REST client with its own nonce sequence.
pub struct Rest {
    pub http: reqwest::Client,
    pub base: String,
    pub creds: flywheel_kraken::secret::Credentials,
    pub nonce: u64,
}

/// A raw HTTP answer.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
}

impl Rest {
    pub fn new(mock: &MockHandle) -> Self {
        // Already installed by another test in this process: fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Rest {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            base: mock.rest_url(),
            creds: mock.config().credentials().unwrap(),
            nonce: 1_000,
        }
    }

    pub async fn raw(&mut self, method: &str, params: &[(&str, &str)]) -> Raw {
        self.nonce += 1;
        let req =
            flywheel_kraken::sign::sign_private(&self.creds, method, self.nonce, params).unwrap();
        self.send_signed(&req.path, &req.body, &req.api_sign, self.creds.key.expose())
            .await
            .expect("answer")
    }

    pub async fn send_signed(
        &self,
        path: &str,
        body: &str,
        sign: &str,
        key: &str,
    ) -> Result<Raw, reqwest::Error> {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("API-Key", key)
            .header("API-Sign", sign)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .await?;
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(Raw {
            status,
            content_type,
            body: r.text().await?,
        })
    }

    /// A private call classified by the connector's own rules.
    pub async fn call<T: DeserializeOwned>(
        &mut self,
        kind: CallKind,
        method: &str,
        params: &[(&str, &str)],
    ) -> RestOutcome<T> {
        let raw = self.raw(method, params).await;
        classify(
            kind,
            method,
            raw.status,
            raw.content_type.as_deref(),
            &raw.body,
        )
    }

    pub async fn public<T: DeserializeOwned>(&self, method: &str) -> RestOutcome<T> {
        let r = self
            .http
            .get(format!("{}/0/public/{method}", self.base))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        classify(
            CallKind::Read,
            method,
            status,
            ct.as_deref(),
            &r.text().await.unwrap(),
        )
    }

    pub async fn token(&mut self) -> String {
        let t: flywheel_kraken::rest::account::WebSocketsToken = self
            .call(CallKind::Read, "GetWebSocketsToken", &[])
            .await
            .done()
            .expect("token");
        t.token.expose().to_string()
    }

    /// AddOrder post-only limit; the txid.
    pub async fn add(
        &mut self,
        side: &str,
        price: &str,
        volume: &str,
        cl: &str,
    ) -> RestOutcome<flywheel_kraken::rest::account::AddOrderResult> {
        self.call(
            CallKind::Order,
            "AddOrder",
            &[
                ("ordertype", "limit"),
                ("type", side),
                ("pair", "XDGUSD"),
                ("price", price),
                ("volume", volume),
                ("oflags", "post,fciq"),
                ("cl_ord_id", cl),
            ],
        )
        .await
    }
}

pub type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WS client that parses every frame with the connector's parser.
pub struct Ws {
    pub s: WsStream,
    /// Every text frame received, in order.
    pub log: Vec<String>,
}

impl Ws {
    pub async fn connect(url: &str) -> Ws {
        let (s, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connects");
        Ws { s, log: Vec::new() }
    }

    pub async fn send(&mut self, text: &str) {
        self.s
            .send(Message::Text(text.to_string().into()))
            .await
            .expect("ws send");
    }

    /// The next text frame within `ms`, parsed; `None` on timeout or close.
    pub async fn next(&mut self, ms: u64) -> Option<(String, WsMessage)> {
        loop {
            let m = tokio::time::timeout(Duration::from_millis(ms), self.s.next())
                .await
                .ok()??;
            match m {
                Ok(Message::Text(t)) => {
                    let text = t.to_string();
                    let parsed = parse_message(&text)
                        .unwrap_or_else(|e| panic!("frame does not parse: {e}: {text}"));
                    self.log.push(text.clone());
                    return Some((text, parsed));
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Frames until one satisfies `pred` (within `ms` each); panics naming `what` otherwise.
    pub async fn until(
        &mut self,
        what: &str,
        ms: u64,
        pred: impl Fn(&WsMessage) -> bool,
    ) -> WsMessage {
        loop {
            match self.next(ms).await {
                Some((_, m)) if pred(&m) => return m,
                Some(_) => continue,
                None => panic!("no {what} frame; log: {:#?}", self.log),
            }
        }
    }

    /// True if the socket was closed (or errors) within `ms`.
    pub async fn closed_within(&mut self, ms: u64) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
        loop {
            match tokio::time::timeout_at(deadline, self.s.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}

pub fn is_reply(m: &WsMessage, method: &str) -> bool {
    matches!(m, WsMessage::Reply(r) if r.method == method)
}

pub fn token(t: &str) -> flywheel_kraken::secret::Redacted {
    flywheel_kraken::secret::Redacted::new(t.to_string())
}
