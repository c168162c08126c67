//! The operator API over a real socket: every route, authentication, the command round trip
//! with a simulated engine thread, SSE order and back-pressure, shutdown.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use flywheel_operator::{
    check_bind, router, serve, Action, ActionReply, CommandReceiver, Hub, HubConfig, ServerConfig,
    Token,
};
use serde_json::{json, Value};

const TOKEN: &str = "test-operator-token-0123456789";

struct Server {
    base: String,
    hub: Hub,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn shutdown(mut self) {
        self.hub.close();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let r = tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("serve returns after shutdown");
        r.expect("join").expect("serve ok");
    }
}

async fn start(
    hub_cfg: HubConfig,
    token: Option<&str>,
    timeout: Duration,
) -> (Server, CommandReceiver) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (hub, rx) = Hub::new(hub_cfg);
    let cfg = ServerConfig {
        token: token.map(|t| Token::new(t).expect("token")),
        command_timeout: timeout,
    };
    let app = router(hub.clone(), cfg);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, app, async move {
        let _ = stop_rx.await;
    }));
    let server = Server {
        base: format!("http://{addr}"),
        hub,
        stop: Some(stop),
        task,
    };
    (server, rx)
}

async fn start_default() -> (Server, CommandReceiver) {
    start(HubConfig::default(), Some(TOKEN), Duration::from_secs(5)).await
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn get(url: &str) -> (u16, String) {
    let r = client().get(url).send().await.expect("GET");
    (r.status().as_u16(), r.text().await.expect("body"))
}

async fn post(url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut req = client().post(url);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    if let Some(b) = body {
        req = req
            .header("Content-Type", "application/json")
            .body(b.to_string());
    }
    let r = req.send().await.expect("POST");
    let code = r.status().as_u16();
    let text = r.text().await.expect("body");
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON body ({e}): {text}"));
    (code, v)
}

fn grid_status(seq: u64) -> Value {
    json!({
        "strategy": "grid", "symbol": "DOGE/USD", "now": 1_700_000_000_000u64 + seq,
        "ready": true, "paused": false, "halt": null, "seq": seq,
        "rebalancer": {"damped": false, "idle_ratio": 0.97, "target": 0.4, "skew": 0.05},
    })
}

/// A simulated engine thread: applies pause/resume, accepts `rebalance.kp` with a numeric
/// value, refuses anything else, until `stop` is set.
fn engine_thread(
    mut rx: CommandReceiver,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Vec<Action>> {
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            while let Some(cmd) = rx.try_recv() {
                let reply = match &cmd.action {
                    Action::Set { key, value } if key == "rebalance.kp" => {
                        match value.parse::<f64>() {
                            Ok(_) => ActionReply {
                                ok: true,
                                message: format!("{key} = {value}"),
                            },
                            Err(_) => ActionReply {
                                ok: false,
                                message: format!("{key}: not a number"),
                            },
                        }
                    }
                    Action::Set { key, .. } => ActionReply {
                        ok: false,
                        message: format!("{key} is not a runtime-settable key"),
                    },
                    other => ActionReply {
                        ok: true,
                        message: format!("{} done", other.name()),
                    },
                };
                seen.push(cmd.action.clone());
                cmd.reply.send(reply);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        seen
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_routes() {
    let (srv, _rx) = start_default().await;
    let b = &srv.base;

    let (code, body) = get(&format!("{b}/api/status")).await;
    assert_eq!(code, 503, "no status yet: {body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json")["ok"],
        false
    );

    srv.hub.publish_status(grid_status(7));
    let (code, body) = get(&format!("{b}/api/status")).await;
    assert_eq!(code, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json"),
        grid_status(7)
    );

    let (code, body) = get(&format!("{b}/api/orders")).await;
    assert_eq!((code, body.as_str()), (200, r#"{"orders":[]}"#));
    let order = json!({"cl_ord_id": "fw-1", "side": "buy", "price": "0.1790", "qty": "100"});
    srv.hub.set_orders(json!([order.clone()]));
    let (_, body) = get(&format!("{b}/api/orders")).await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json"),
        json!({"orders": [order]})
    );

    for t in [100, 200, 300] {
        srv.hub
            .record_fill(json!({"trade_id": format!("T{t}"), "t": t, "price": "0.18"}));
    }
    let fills = |body: String| -> Vec<i64> {
        let v: Value = serde_json::from_str(&body).expect("json");
        v["fills"]
            .as_array()
            .expect("fills")
            .iter()
            .map(|f| f["t"].as_i64().expect("t"))
            .collect()
    };
    let cases: &[(&str, &str, &[i64])] = &[
        ("no since", "", &[100, 200, 300]),
        ("since 100", "?since=100", &[200, 300]),
        ("since past", "?since=300", &[]),
    ];
    for (name, q, want) in cases {
        let (code, body) = get(&format!("{b}/api/fills{q}")).await;
        assert_eq!(code, 200, "case {name}");
        assert_eq!(fills(body), *want, "case {name}");
    }
    let (code, body) = get(&format!("{b}/api/fills?since=yesterday")).await;
    assert_eq!(code, 400);
    let v: Value = serde_json::from_str(&body).expect("json error body");
    assert_eq!(v["ok"], false);
    assert!(
        v["message"].as_str().expect("message").contains("`since`"),
        "{body}"
    );

    assert_eq!(get(&format!("{b}/healthz")).await, (200, "ok".to_owned()));

    let (code, body) = get(&format!("{b}/readyz")).await;
    assert_eq!(code, 503);
    assert!(body.contains("starting"), "{body}");
    srv.hub.set_ready(false, "reconciling with the exchange");
    let (code, body) = get(&format!("{b}/readyz")).await;
    assert_eq!(code, 503);
    assert!(body.contains("reconciling"), "{body}");
    srv.hub.set_ready(true, "");
    assert_eq!(get(&format!("{b}/readyz")).await.0, 200);

    let (code, body) = get(&format!("{b}/nope")).await;
    assert_eq!(code, 404);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json")["ok"],
        false
    );

    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_need_the_token_and_reach_the_engine() {
    let (srv, rx) = start_default().await;
    srv.hub.set_ready(true, "");
    let stop = Arc::new(AtomicBool::new(false));
    let engine = engine_thread(rx, stop.clone());
    let url = |a: &str| format!("{}/api/actions/{a}", srv.base);

    let (code, v) = post(&url("pause"), None, None).await;
    assert_eq!((code, &v["ok"]), (401, &json!(false)), "{v}");
    let (code, v) = post(&url("pause"), Some("wrong-token-0123456789abc"), None).await;
    assert_eq!((code, &v["ok"]), (403, &json!(false)), "{v}");
    assert!(!v.to_string().contains(TOKEN));

    let cases: &[(&str, &str, Option<Value>, u16)] = &[
        ("pause applied", "pause", None, 200),
        ("resume applied", "resume", None, 200),
        ("cancel entries", "cancel_entries", None, 200),
        ("reconcile", "reconcile", None, 200),
        (
            "set accepted",
            "set",
            Some(json!({"key": "rebalance.kp", "value": "2.5"})),
            200,
        ),
        (
            "set refused: unknown key",
            "set",
            Some(json!({"key": "grid.slots", "value": "3"})),
            422,
        ),
        (
            "set refused: bad value",
            "set",
            Some(json!({"key": "rebalance.kp", "value": "x"})),
            422,
        ),
        (
            "set value not a string",
            "set",
            Some(json!({"key": "rebalance.kp", "value": 2.5})),
            400,
        ),
        ("set without body", "set", None, 400),
        ("unknown action", "explode", None, 404),
    ];
    for (name, action, body, want) in cases {
        let (code, v) = post(&url(action), Some(TOKEN), body.clone()).await;
        assert_eq!(code, *want, "case {name}: {v}");
        assert_eq!(v["ok"], json!(*want == 200), "case {name}: {v}");
        assert!(v["message"].is_string(), "case {name}: {v}");
    }
    let (_, v) = post(
        &url("set"),
        Some(TOKEN),
        Some(json!({"key": "grid.slots", "value": "3"})),
    )
    .await;
    assert_eq!(v["message"], "grid.slots is not a runtime-settable key");

    stop.store(true, Ordering::Relaxed);
    let seen = engine.join().expect("engine thread");
    assert_eq!(seen[0], Action::Pause);
    assert_eq!(seen[1], Action::Resume);
    assert_eq!(seen[2], Action::CancelEntries);
    assert_eq!(seen[3], Action::Reconcile);
    assert_eq!(
        seen[4],
        Action::Set {
            key: "rebalance.kp".into(),
            value: "2.5".into()
        }
    );
    assert_eq!(
        seen.len(),
        8,
        "400/404 requests never reach the engine: {seen:?}"
    );

    let (_, metrics) = get(&format!("{}/metrics", srv.base)).await;
    assert!(
        metrics.contains(r#"flywheel_operator_commands_total{action="set",outcome="refused"} 3"#),
        "{metrics}"
    );
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_ready_silent_engine_and_no_token() {
    let (srv, _rx_kept_but_never_polled) = start(
        HubConfig::default(),
        Some(TOKEN),
        Duration::from_millis(200),
    )
    .await;
    let url = |a: &str| format!("{}/api/actions/{a}", srv.base);
    let (code, v) = post(&url("resume"), Some(TOKEN), None).await;
    assert_eq!(code, 503, "before ready only pause: {v}");
    assert!(v["message"]
        .as_str()
        .expect("message")
        .contains("only pause"));
    let (code, v) = post(&url("pause"), Some(TOKEN), None).await;
    assert_eq!(
        code, 504,
        "pause is accepted before ready, but nobody answers: {v}"
    );
    srv.shutdown().await;

    let (srv, rx) = start(HubConfig::default(), None, Duration::from_secs(1)).await;
    srv.hub.set_ready(true, "");
    let (code, v) = post(
        &format!("{}/api/actions/pause", srv.base),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(code, 403, "no token configured: {v}");
    assert!(v["message"]
        .as_str()
        .expect("message")
        .contains("no operator token"));
    drop(rx);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_gone_is_503() {
    let (srv, rx) = start_default().await;
    srv.hub.set_ready(true, "");
    drop(rx);
    let (code, v) = post(
        &format!("{}/api/actions/pause", srv.base),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(code, 503, "{v}");
    srv.shutdown().await;
}

/// Reads SSE events `(event, data)` from a response until `n` arrived.
async fn read_events(
    resp: &mut reqwest::Response,
    buf: &mut String,
    n: usize,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while out.len() < n {
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut event = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    event = v.to_owned();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data.push_str(v);
                }
            }
            if !event.is_empty() {
                out.push((event, data));
            }
            if out.len() == n {
                return out;
            }
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), resp.chunk())
            .await
            .expect("an SSE chunk within 10 s")
            .expect("chunk")
            .expect("stream open");
        buf.push_str(std::str::from_utf8(&chunk).expect("utf8"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_sends_status_first_then_journal_and_coalesces() {
    let (srv, _rx) = start_default().await;
    srv.hub.publish_status(grid_status(1));
    let mut resp = client()
        .get(format!("{}/api/events", srv.base))
        .send()
        .await
        .expect("SSE");
    assert_eq!(resp.status().as_u16(), 200);
    let mut buf = String::new();
    let first = read_events(&mut resp, &mut buf, 1).await;
    assert_eq!(first[0].0, "status");
    assert_eq!(
        serde_json::from_str::<Value>(&first[0].1).expect("json"),
        grid_status(1)
    );

    let rec = json!({"kind": "pause", "ts": 5, "reason": "operator"});
    srv.hub.publish_journal(rec.clone());
    let next = read_events(&mut resp, &mut buf, 1).await;
    assert_eq!(next[0].0, "journal");
    assert_eq!(
        serde_json::from_str::<Value>(&next[0].1).expect("json"),
        rec
    );

    // 200 statuses in a burst: the client sees few of them, the last one being the latest.
    let burst_start = std::time::Instant::now();
    for seq in 2..=201 {
        srv.hub.publish_status(grid_status(seq));
    }
    srv.hub.publish_journal(json!({"kind": "marker", "ts": 6}));
    let mut statuses = Vec::new();
    loop {
        let ev = read_events(&mut resp, &mut buf, 1).await.remove(0);
        if ev.0 == "status" {
            let v: Value = serde_json::from_str(&ev.1).expect("json");
            let seq = v["seq"].as_u64().expect("seq");
            statuses.push(seq);
            if seq == 201 {
                break;
            }
        }
    }
    let elapsed = burst_start.elapsed().as_secs_f64();
    let allowed = 2 + (elapsed / 0.25).ceil() as usize;
    assert!(
        statuses.len() <= allowed,
        "{} status events in {elapsed:.2}s (at most {allowed}): {statuses:?}",
        statuses.len()
    );
    let (_, metrics) = get(&format!("{}/metrics", srv.base)).await;
    assert!(metrics.contains("flywheel_sse_clients 1"), "{metrics}");
    drop(resp);
    srv.shutdown().await;
}

/// On a single-threaded runtime the server cannot run while the test publishes, so a burst
/// larger than the journal buffer must make the client lag — and the publisher never waits.
#[tokio::test(flavor = "current_thread")]
async fn sse_slow_client_gets_lagged() {
    let cfg = HubConfig {
        journal_capacity: 4,
        ..HubConfig::default()
    };
    let (srv, _rx) = start(cfg, Some(TOKEN), Duration::from_secs(1)).await;
    srv.hub.publish_status(grid_status(1));
    let mut resp = client()
        .get(format!("{}/api/events", srv.base))
        .send()
        .await
        .expect("SSE");
    let mut buf = String::new();
    assert_eq!(read_events(&mut resp, &mut buf, 1).await[0].0, "status");
    for i in 0..100 {
        srv.hub
            .publish_journal(json!({"kind": "loop_start", "ts": i, "n": i}));
    }
    let evs = read_events(&mut resp, &mut buf, 5).await;
    assert_eq!(
        evs[0],
        ("lagged".to_owned(), r#"{"skipped":96}"#.to_owned())
    );
    let ns: Vec<i64> = evs[1..]
        .iter()
        .map(|(e, d)| {
            assert_eq!(e, "journal");
            serde_json::from_str::<Value>(d).expect("json")["n"]
                .as_i64()
                .expect("n")
        })
        .collect();
    assert_eq!(ns, vec![96, 97, 98, 99]);
    drop(resp);
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_open_sse_streams() {
    let (srv, _rx) = start_default().await;
    srv.hub.publish_status(grid_status(1));
    let mut resp = client()
        .get(format!("{}/api/events", srv.base))
        .send()
        .await
        .expect("SSE");
    let mut buf = String::new();
    read_events(&mut resp, &mut buf, 1).await;
    srv.shutdown().await; // panics if serve does not return
    let rest = tokio::time::timeout(Duration::from_secs(5), resp.chunk())
        .await
        .expect("stream ends");
    assert!(matches!(rest, Ok(None) | Err(_)), "stream closed: {rest:?}");
}

#[test]
fn non_loopback_bind_without_token_is_refused() {
    let token = Token::new(TOKEN).expect("token");
    let lan: SocketAddr = "0.0.0.0:8080".parse().expect("addr");
    let err = check_bind(lan, None).expect_err("refused");
    assert!(err.to_string().contains("0.0.0.0:8080"), "{err}");
    assert!(check_bind(lan, Some(&token)).is_ok());
    assert!(check_bind("127.0.0.1:8080".parse().expect("addr"), None).is_ok());
}
