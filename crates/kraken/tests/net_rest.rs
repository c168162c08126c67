//! The REST shells against small local servers (no internet): one request in flight, nonces
//! strictly increasing across a restart with a clock gone backwards, signatures verified by
//! the server, ambiguous failures Unknown for order calls and Failed for reads, typed
//! `EAPI:Invalid nonce`, the backward TradesHistory walk, and no secret in any text.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use flywheel_core::{Side, Timestamp};
use flywheel_kraken::error::ErrorKind;
use flywheel_kraken::ids::ClOrdId;
use flywheel_kraken::net::clock::{Clock, ManualClock};
use flywheel_kraken::net::private::{is_invalid_nonce, PrivateRest, PrivateRestOptions};
use flywheel_kraken::net::rest::{PublicRest, RestConfig, RestError};
use flywheel_kraken::net::ws::TokenSource;
use flywheel_kraken::nonce::{FileNonceStore, MemoryNonceStore, NonceError};
use flywheel_kraken::outcome::{Ambiguity, RestOutcome};
use flywheel_kraken::rest::requests::AddOrder;
use flywheel_kraken::secret::{ApiKey, ApiSecret, Credentials};
use flywheel_kraken::sign::{api_sign, SignError};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

// Kraken's documented example secret (not a real key) and a made-up key.
const SECRET: &str =
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
const KEY: &str = "TESTKEY-flywheel-0123456789";
const T0: i64 = 1_760_000_000_000;

fn creds() -> Credentials {
    Credentials {
        key: ApiKey::new(KEY.to_string()),
        secret: ApiSecret::from_base64(SECRET).expect("example secret"),
    }
}

fn clock(ms: i64) -> (ManualClock, Arc<dyn Clock>) {
    let c = ManualClock::new(Timestamp::from_millis(ms));
    (c.clone(), Arc::new(c))
}

fn cfg(base: &str, timeout_ms: u64) -> RestConfig {
    RestConfig {
        base_url: base.to_string(),
        timeout: Duration::from_millis(timeout_ms),
        ..RestConfig::default()
    }
}

async fn serve(app: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    format!("http://{addr}")
}

/// A Kraken-like private endpoint that checks every request.
#[derive(Default)]
struct Exchange {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Every nonce received, in arrival order.
    nonces: Mutex<Vec<u64>>,
    bad_requests: Mutex<Vec<String>>,
    calls: Mutex<BTreeMap<String, usize>>,
    /// Kraken's "last accepted nonce" of the key.
    last_nonce: Mutex<u64>,
    /// TradesHistory: (txid, unix secs), oldest first.
    history: Vec<(String, u64)>,
}

fn ok(result: &str) -> Response {
    (
        [("content-type", "application/json")],
        format!(r#"{{"error":[],"result":{result}}}"#),
    )
        .into_response()
}

fn refused(err: &str) -> Response {
    ok_err(&format!(r#"{{"error":["{err}"]}}"#))
}

fn ok_err(body: &str) -> Response {
    ([("content-type", "application/json")], body.to_string()).into_response()
}

fn trade_json(txid: &str, secs: u64) -> String {
    format!(
        r#""{txid}":{{"ordertxid":"O{txid}","pair":"XDGUSD","time":{secs}.5,"type":"buy","ordertype":"limit","price":"0.1800000","cost":"9.0000000","fee":"0.0225000","vol":"50.00000000","misc":"","maker":true}}"#
    )
}

async fn private(
    State(ex): State<Arc<Exchange>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let now = ex.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    ex.max_in_flight.fetch_max(now, Ordering::SeqCst);
    *ex.calls
        .lock()
        .expect("test setup")
        .entry(method.clone())
        .or_default() += 1;
    // Long enough that concurrent requests, if any, overlap here.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let resp = check_and_answer(&ex, &method, &headers, &body);
    ex.in_flight.fetch_sub(1, Ordering::SeqCst);
    resp
}

fn check_and_answer(ex: &Exchange, method: &str, headers: &HeaderMap, body: &str) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let form: BTreeMap<String, String> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let nonce: u64 = form.get("nonce").and_then(|n| n.parse().ok()).unwrap_or(0);
    let secret = ApiSecret::from_base64(SECRET).expect("example secret");
    let want = api_sign(&secret, &format!("/0/private/{method}"), nonce, body).expect("test setup");
    let mut bad = Vec::new();
    if header("api-sign") != want {
        bad.push(format!("{method}: bad signature"));
    }
    if header("api-key") != KEY {
        bad.push(format!("{method}: bad key"));
    }
    if header("content-type") != "application/x-www-form-urlencoded" {
        bad.push(format!("{method}: content type {}", header("content-type")));
    }
    if !header("user-agent").starts_with("flywheel/") {
        bad.push(format!("{method}: user agent {}", header("user-agent")));
    }
    if !body.starts_with("nonce=") {
        bad.push(format!("{method}: body {body}"));
    }
    if !bad.is_empty() {
        ex.bad_requests.lock().expect("lock").extend(bad);
        return refused("EAPI:Invalid signature");
    }
    ex.nonces.lock().expect("lock").push(nonce);
    {
        let mut last = ex.last_nonce.lock().expect("lock");
        if nonce <= *last {
            return refused("EAPI:Invalid nonce");
        }
        *last = nonce;
    }
    match method {
        "BalanceEx" => ok(r#"{"ZUSD":{"balance":"100.0000","hold_trade":"0.0000"}}"#),
        "GetWebSocketsToken" => ok(r#"{"token":"WS-TOKEN-abcdef","expires":900}"#),
        "AddOrder" => {
            assert_eq!(form.get("oflags").map(String::as_str), Some("post,fciq"));
            ok(
                r#"{"descr":{"order":"buy 50.00000000 XDGUSD @ limit 0.1800000"},"txid":["OABC-1"]}"#,
            )
        }
        "TradesHistory" => {
            // Newest first, at most 50, up to and including `end`.
            let end_idx = match form.get("end") {
                Some(e) => ex
                    .history
                    .iter()
                    .position(|(t, _)| t == e)
                    .expect("test setup"),
                None => ex.history.len() - 1,
            };
            let page: Vec<String> = ex.history[..=end_idx]
                .iter()
                .rev()
                .take(50)
                .map(|(t, s)| trade_json(t, *s))
                .collect();
            ok(&format!(
                r#"{{"trades":{{{}}},"count":{}}}"#,
                page.join(","),
                ex.history.len()
            ))
        }
        _ => refused("EGeneral:Invalid arguments"),
    }
}

fn exchange_app(ex: Arc<Exchange>) -> Router {
    Router::new()
        .route("/0/private/{method}", post(private))
        .with_state(ex)
}

fn spawn_actor(base: &str, clock: Arc<dyn Clock>) -> PrivateRest {
    PrivateRest::spawn(
        &cfg(base, 5_000),
        creds(),
        MemoryNonceStore::default(),
        clock,
        PrivateRestOptions::default(),
    )
    .expect("spawn")
}

fn order() -> AddOrder {
    AddOrder {
        pair: "XDGUSD".into(),
        side: Side::Buy,
        price: "0.18".parse().expect("test setup"),
        volume: "50".parse().expect("test setup"),
        kind: flywheel_venue::OrderKind::PostOnly,
        cl_ord_id: ClOrdId::new("fw1abc").expect("test setup"),
        deadline: None,
        validate: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_request_in_flight_with_increasing_signed_nonces() {
    let ex = Arc::new(Exchange::default());
    let base = serve(exchange_app(ex.clone())).await;
    // A clock that never moves: every nonce after the first is last + 1.
    let (_, clock) = clock(T0);
    let rest = spawn_actor(&base, clock);
    let calls = (0..20).map(|i| {
        let rest = rest.clone();
        tokio::spawn(async move {
            if i % 2 == 0 {
                rest.balance_ex().await.unwrap().done().is_some()
            } else {
                rest.add_order(&order()).await.unwrap().done().is_some()
            }
        })
    });
    let results = futures_util::future::join_all(calls).await;
    assert!(results.into_iter().all(|r| r.unwrap()), "every call done");
    assert_eq!(ex.max_in_flight.load(Ordering::SeqCst), 1);
    assert!(ex.bad_requests.lock().unwrap().is_empty());
    let nonces = ex.nonces.lock().unwrap().clone();
    assert_eq!(nonces.len(), 20);
    let want: Vec<u64> = (0..20).map(|i| T0 as u64 + i).collect();
    assert_eq!(nonces, want, "strictly increasing in arrival order");
}

#[tokio::test]
async fn nonces_survive_a_restart_with_the_clock_behind() {
    let ex = Arc::new(Exchange::default());
    let base = serve(exchange_app(ex.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nonce");
    let (_, clock1) = clock(T0);
    let first = PrivateRest::spawn(
        &cfg(&base, 5_000),
        creds(),
        FileNonceStore::new(&path),
        clock1,
        PrivateRestOptions::default(),
    )
    .unwrap();
    for _ in 0..3 {
        assert!(first.balance_ex().await.unwrap().done().is_some());
    }
    drop(first);
    // The restarted process's clock is an hour behind.
    let (_, clock2) = clock(T0 - 3_600_000);
    let second = PrivateRest::spawn(
        &cfg(&base, 5_000),
        creds(),
        FileNonceStore::new(&path),
        clock2,
        PrivateRestOptions::default(),
    )
    .unwrap();
    assert!(second.balance_ex().await.unwrap().done().is_some());
    let nonces = ex.nonces.lock().unwrap().clone();
    let t = T0 as u64;
    assert_eq!(nonces, vec![t, t + 1, t + 2, t + 3]);
    assert!(ex.bad_requests.lock().unwrap().is_empty());
}

#[tokio::test]
async fn invalid_nonce_is_typed_and_not_retried() {
    let ex = Arc::new(Exchange::default());
    *ex.last_nonce.lock().unwrap() = u64::MAX / 2; // another app used the key with big nonces
    let base = serve(exchange_app(ex.clone())).await;
    let (_, clock) = clock(T0);
    let rest = spawn_actor(&base, clock);
    let out = rest.add_order(&order()).await.unwrap();
    assert!(is_invalid_nonce(&out), "{out:?}");
    let RestOutcome::Refused(errs) = &out else {
        panic!("{out:?}")
    };
    assert_eq!(errs[0].kind, ErrorKind::InvalidNonce);
    assert_eq!(ex.calls.lock().unwrap().get("AddOrder"), Some(&1));
}

/// What a faulty server does to every request.
#[derive(Clone, Copy, Debug)]
enum Fault {
    BadGateway,
    CloudflarePage,
    Hang,
}

async fn faulty(fault: Fault) -> String {
    let app = Router::new().route(
        "/0/private/{method}",
        post(move || async move {
            match fault {
                Fault::BadGateway => (StatusCode::BAD_GATEWAY, "Bad Gateway").into_response(),
                Fault::CloudflarePage => (
                    StatusCode::from_u16(520).expect("test setup"),
                    [("content-type", "text/html; charset=UTF-8")],
                    "<!DOCTYPE html><html><head><title>520</title></head></html>",
                )
                    .into_response(),
                Fault::Hang => {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    ok("{}")
                }
            }
        }),
    );
    serve(app).await
}

/// Reads the request, then drops the connection without a byte of answer.
async fn dropping() -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            drop(sock);
        }
    });
    format!("http://{addr}")
}

fn assert_no_secret(text: &str) {
    for needle in [KEY, SECRET, "kQH5HW", "WS-TOKEN"] {
        assert!(!text.contains(needle), "leaked {needle} in {text}");
    }
}

#[tokio::test]
async fn ambiguous_failures_are_unknown_for_orders_failed_for_reads() {
    let cases = [
        ("502", faulty(Fault::BadGateway).await),
        ("cloudflare page", faulty(Fault::CloudflarePage).await),
        ("timeout", faulty(Fault::Hang).await),
        ("dropped connection", dropping().await),
    ];
    for (name, base) in cases {
        let (_, clock) = clock(T0);
        let rest = PrivateRest::spawn(
            &cfg(&base, 300),
            creds(),
            MemoryNonceStore::default(),
            clock,
            PrivateRestOptions::default(),
        )
        .unwrap();
        let add = rest.add_order(&order()).await.unwrap();
        let RestOutcome::Unknown(why) = &add else {
            panic!("{name}: add_order gave {add:?}")
        };
        let read = rest.balance_ex().await.unwrap();
        let RestOutcome::Failed(read_why) = &read else {
            panic!("{name}: balance_ex gave {read:?}")
        };
        match name {
            "502" => assert_eq!(why, &Ambiguity::HttpStatus { status: 502 }),
            "cloudflare page" => assert_eq!(why, &Ambiguity::HtmlPage { status: 520 }),
            "timeout" => assert_eq!(why, &Ambiguity::Timeout),
            _ => {
                let Ambiguity::ConnectionLost { detail } = why else {
                    panic!("{name}: {why:?}")
                };
                assert!(detail.starts_with("REST AddOrder: "), "{detail}");
                assert!(
                    matches!(read_why, Ambiguity::ConnectionLost { detail } if detail.starts_with("REST BalanceEx: "))
                );
            }
        }
        assert_no_secret(&format!("{add:?} {read:?}"));
    }
}

#[tokio::test]
async fn trades_history_pages_backwards_to_the_known_fill() {
    let history: Vec<(String, u64)> = (0..120)
        .map(|i| (format!("T{i:03}"), 1_760_000_000 + i))
        .collect();
    let ex = Arc::new(Exchange {
        history,
        ..Exchange::default()
    });
    let base = serve(exchange_app(ex.clone())).await;
    let (_, clock) = clock(T0);
    let rest = spawn_actor(&base, clock);
    let out = rest
        .trades_history_until_known(["T010".to_string(), "T004".to_string()])
        .await
        .unwrap();
    let fills = out.done().expect("done");
    let ids: Vec<&str> = fills.iter().map(|(t, _)| t.as_str()).collect();
    let want: Vec<String> = (11..120).map(|i| format!("T{i:03}")).collect();
    assert_eq!(ids, want, "new fills, oldest first");
    // Pages: T119..T070, T070..T021, T021..T000 (holds T010): three calls.
    assert_eq!(ex.calls.lock().unwrap().get("TradesHistory"), Some(&3));
}

#[tokio::test]
async fn public_endpoints_and_token_source() {
    let app = Router::new()
        .route(
            "/0/public/SystemStatus",
            get(|| async { ok(r#"{"status":"online","timestamp":"2025-10-10T12:00:00Z"}"#) }),
        )
        .route(
            "/0/public/AssetPairs",
            get(|Query(q): Query<BTreeMap<String, String>>| async move {
                assert_eq!(q.get("pair").map(String::as_str), Some("XDGUSD"));
                let text = std::fs::read_to_string(format!(
                    "{}/tests/fixtures/rest_asset_pairs.json",
                    env!("CARGO_MANIFEST_DIR")
                ))
                .unwrap();
                ok_err(&text)
            }),
        );
    let base = serve(app).await;
    let public = PublicRest::new(&cfg(&base, 2_000)).unwrap();
    let status = public.system_status().await.done().expect("status");
    assert_eq!(status.status, "online");
    let pairs = public
        .asset_pairs(Some("XDGUSD"))
        .await
        .done()
        .expect("pairs");
    assert!(pairs.contains_key("XDGUSD"), "{:?}", pairs.keys());
    // Ticker is not served here: a 404 page is a Failed read, never a panic.
    assert!(matches!(
        public.ticker("XDGUSD").await,
        RestOutcome::Failed(Ambiguity::HttpStatus { status: 404 })
    ));

    let ex = Arc::new(Exchange::default());
    let base = serve(exchange_app(ex)).await;
    let (_, clock) = clock(T0);
    let rest = spawn_actor(&base, clock);
    let token = rest.token().await.unwrap();
    assert_eq!(token.expose(), "WS-TOKEN-abcdef");
    assert_no_secret(&format!("{token:?} {token}"));
}

#[tokio::test]
async fn no_secret_in_any_error_or_debug_text() {
    let ex = Arc::new(Exchange::default());
    let base = serve(exchange_app(ex)).await;
    let (_, clock) = clock(T0);
    let rest = spawn_actor(&base, clock);
    let mut texts = vec![format!("{rest:?}"), format!("{:?}", creds())];
    let errors = [
        RestError::Client {
            endpoint: "private",
            reason: "x".into(),
        },
        RestError::NoRuntime {
            endpoint: "private",
        },
        RestError::Nonce {
            endpoint: "AddOrder",
            source: NonceError::Exhausted,
        },
        RestError::Sign {
            endpoint: "AddOrder",
            source: SignError::Key,
        },
        RestError::Invalid {
            endpoint: "QueryOrders",
            reason: "0 txids".into(),
        },
        RestError::Stopped {
            endpoint: "BalanceEx",
        },
    ];
    for e in &errors {
        let text = e.to_string();
        assert!(text.starts_with("REST "), "names the endpoint: {text}");
        texts.push(text);
        texts.push(format!("{e:?}"));
    }
    // Real errors of real calls.
    let err = rest.query_orders(&[]).await.unwrap_err();
    texts.push(format!("{err} {err:?}"));
    let dead = spawn_actor("http://127.0.0.1:9", Arc::new(ManualClock::default()));
    let out = dead.add_order(&order()).await.unwrap();
    assert!(matches!(out, RestOutcome::Unknown(_)), "{out:?}");
    texts.push(format!("{out:?}"));
    let tok = dead.token().await.unwrap_err();
    texts.push(format!("{tok} {tok:?}"));
    for t in texts {
        assert_no_secret(&t);
    }
}

#[tokio::test]
async fn rest_counter_makes_the_actor_wait_instead_of_being_refused() {
    use flywheel_kraken::net::rest_counter::RestTier;
    let ex = Arc::new(Exchange::default());
    let base = serve(exchange_app(ex.clone())).await;
    // A fixed clock: the counter never decays, so only the waiting (monotonic sleep) shows.
    let (_, clock) = clock(T0);
    let rest = PrivateRest::spawn(
        &cfg(&base, 5_000),
        creds(),
        MemoryNonceStore::default(),
        clock,
        PrivateRestOptions {
            counter_tier: Some(RestTier::Pro),
        },
    )
    .unwrap();
    let started = tokio::time::Instant::now();
    for _ in 0..21 {
        assert!(rest.balance_ex().await.unwrap().done().is_some());
    }
    // 20 fit at once; the 21st waited one point of decay (1 s on Pro).
    assert!(started.elapsed() >= Duration::from_millis(1_000));
}
