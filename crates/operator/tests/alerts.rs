//! Alerts delivered to a local webhook receiver: body per preset, rate limit, a dead webhook
//! never blocks the publisher.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use axum::Router;
use flywheel_operator::alerts::{AlertConfig, Alerter, Preset};
use flywheel_operator::{Hub, HubConfig};
use serde_json::{json, Value};

type Inbox = Arc<Mutex<Vec<Value>>>;

/// A webhook receiver on 127.0.0.1; returns its URL and what it received.
async fn receiver() -> (String, Inbox) {
    let inbox: Inbox = Arc::default();
    let app = Router::new()
        .route(
            "/hook",
            post(|State(inbox): State<Inbox>, body: String| async move {
                let v = serde_json::from_str(&body).unwrap_or(Value::String(body));
                inbox.lock().expect("inbox").push(v);
                "ok"
            }),
        )
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), inbox)
}

async fn wait_for(inbox: &Inbox, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = inbox.lock().expect("inbox").clone();
        if got.len() >= n || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn status(halt: Option<&str>, now: i64) -> Value {
    json!({"symbol": "DOGE/USD", "now": now, "halt": halt})
}

fn hub_with_alerter(url: &str, preset: Preset, min_interval: Duration) -> Hub {
    let (hub, _rx) = Hub::new(HubConfig::default());
    let cfg = AlertConfig {
        webhook_url: url.to_owned(),
        preset,
        min_interval,
        chat_id: Some("-100123".into()),
    };
    let alerter = Alerter::start(cfg, &tokio::runtime::Handle::current()).expect("valid config");
    hub.set_alerter(alerter).expect("first alerter");
    hub
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_preset_posts_its_body_shape() {
    let line = "[CRITICAL] halt DOGE/USD: trading halted: daily loss lock";
    let cases: &[(&str, Preset, Value)] = &[
        (
            "json",
            Preset::Json,
            json!({"kind": "halt", "severity": "critical", "message": "trading halted: daily loss lock",
                "symbol": "DOGE/USD", "at": 2000}),
        ),
        (
            "telegram",
            Preset::Telegram,
            json!({"chat_id": "-100123", "text": line}),
        ),
        ("discord", Preset::Discord, json!({"content": line})),
        ("slack", Preset::Slack, json!({"text": line})),
    ];
    for (name, preset, want) in cases {
        let (url, inbox) = receiver().await;
        let hub = hub_with_alerter(&url, *preset, Duration::from_secs(60));
        hub.publish_status(status(None, 1000));
        hub.publish_status(status(Some("daily loss lock"), 2000));
        let got = wait_for(&inbox, 1).await;
        assert_eq!(got, vec![want.clone()], "case {name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_holds_and_mentions_suppressed() {
    let (url, inbox) = receiver().await;
    let min = Duration::from_millis(1500);
    let hub = hub_with_alerter(&url, Preset::Json, min);
    // Three halts in quick succession (halt cleared in between so each one is new).
    let start = Instant::now();
    for i in 0..3 {
        hub.publish_status(status(None, i * 10));
        hub.publish_status(status(Some("loss lock"), i * 10 + 5));
    }
    // Another kind is not held back by the halt's limit.
    hub.publish_status(json!({"symbol": "DOGE/USD", "now": 40, "halt": "loss lock",
        "b_side_health_card": {"color": "red"}}));
    let got = wait_for(&inbox, 2).await;
    assert!(
        start.elapsed() < min,
        "the burst must fit in the interval for this test to mean anything"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got_later = inbox.lock().expect("inbox").clone();
    assert_eq!(got_later.len(), 2, "one halt + one b_side_health: {got:?}");
    assert_eq!(got[0]["kind"], "halt");
    assert_eq!(got[0]["message"], "trading halted: loss lock");
    assert_eq!(got[1]["kind"], "b_side_health");

    tokio::time::sleep(min).await;
    hub.publish_status(status(None, 100));
    hub.publish_status(status(Some("ledger drift"), 105));
    let got = wait_for(&inbox, 3).await;
    assert_eq!(got.len(), 3);
    assert_eq!(
        got[2]["message"],
        "trading halted: ledger drift (2 similar alert(s) suppressed)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_webhook_never_blocks_the_publisher() {
    // A port nobody listens on: bind, take the address, close.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let hub = hub_with_alerter(&format!("http://{addr}/hook"), Preset::Json, Duration::ZERO);
    let start = Instant::now();
    for i in 0..2000 {
        hub.publish_status(status(None, i * 10));
        hub.publish_status(status(Some("x"), i * 10 + 5));
    }
    // 4000 publishes with detection, on this thread; the queue overflows and drops.
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "publishing took {:?}",
        start.elapsed()
    );
}

#[test]
fn config_is_validated_and_redacted() {
    let cfg = AlertConfig {
        webhook_url: "https://api.telegram.org/bot123:SECRET/sendMessage".into(),
        preset: Preset::Telegram,
        min_interval: Duration::from_secs(60),
        chat_id: None,
    };
    assert!(!format!("{cfg:?}").contains("SECRET"));
    let err = cfg.validate().expect_err("telegram needs chat_id");
    assert!(err.to_string().contains("chat_id"));
    let bad = AlertConfig {
        webhook_url: "ftp://x".into(),
        preset: Preset::Json,
        ..cfg
    };
    assert!(bad
        .validate()
        .expect_err("scheme")
        .to_string()
        .contains("webhook_url"));
}
