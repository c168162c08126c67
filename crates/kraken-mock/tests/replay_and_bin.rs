//! Replay of recorded data through the public feed, and the separate-process binary with its
//! admin endpoints.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::{start, Rest, Ws};
use flywheel_core::{Price, Qty};
use flywheel_kraken::ws::requests::{self, Subscription};
use flywheel_kraken::ws::WsMessage;
use flywheel_kraken_mock::ReplayConfig;

#[tokio::test]
async fn replay_a_small_file_drives_the_feed_and_fills() {
    let mock = start().await;
    let mut rest = Rest::new(&mock);
    rest.add("buy", "0.1799000", "60", "fwrep")
        .await
        .done()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trades.csv");
    // kraken-csv: timestamp (s), price, volume. The second print is lower: a sell (tick test).
    std::fs::write(
        &path,
        "1760097600,0.1800000,100\n1760097601,0.1799000,80\n1760097602,0.1801000,25\n",
    )
    .unwrap();
    let mut ws = Ws::connect(&mock.ws_public_url()).await;
    ws.send(
        &requests::subscribe(
            1,
            &Subscription::Trade {
                symbols: vec!["DOGE/USD".into()],
            },
            None,
        )
        .unwrap(),
    )
    .await;
    ws.until("ack", 500, |m| common::is_reply(m, "subscribe"))
        .await;
    let n = mock
        .replay(ReplayConfig {
            path,
            speed: 1000.0,
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 3);
    let mut prices = Vec::new();
    while prices.len() < 3 {
        if let WsMessage::Trade(t) = ws
            .until("trade", 1000, |m| matches!(m, WsMessage::Trade(_)))
            .await
        {
            prices.extend(t.data.iter().map(|d| d.price));
        }
    }
    assert_eq!(
        prices,
        [
            Price::lit(1_800_000, 7),
            Price::lit(1_799_000, 7),
            Price::lit(1_801_000, 7)
        ]
    );
    let l = mock.ledger();
    assert_eq!(l.trades.len(), 1);
    assert_eq!(l.trades[0].qty, Qty::lit(60, 0));
    assert_eq!((l.ledger_error, l.balance_drift), (None, None));
    mock.shutdown();
}

#[tokio::test]
async fn replay_real_gemini_day_when_present() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/gemini_DOGEUSD_trades_2025-10-10.csv.gz");
    if !path.exists() {
        eprintln!(
            "SKIP replay_real_gemini_day_when_present: {} is absent",
            path.display()
        );
        return;
    }
    let cfg = flywheel_kraken_mock::MockConfig {
        start_price: Price::lit(2_489_100, 7),
        ..common::fast_config()
    };
    let mock = flywheel_kraken_mock::MockKraken::start(cfg).await.unwrap();
    let mut rest = Rest::new(&mock);
    // The day starts near 0.249: a bid below and an ask above that the crash day crosses.
    rest.add("buy", "0.2200000", "100", "fwg1")
        .await
        .done()
        .unwrap();
    let n = mock
        .replay(ReplayConfig { path, speed: 0.0 })
        .await
        .unwrap()
        .unwrap();
    assert!(n > 8000, "{n} prints");
    let l = mock.ledger();
    assert_eq!(l.orders_of("fwg1")[0].filled, Qty::lit(100, 0));
    assert_eq!((l.ledger_error, l.balance_drift), (None, None));
    mock.shutdown();
}

/// Kills the child on drop, so a failing test leaves no process behind.
struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_urls_and_serves_admin_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    let secret = "c2VjcmV0LWZvci10aGUtbW9jay1wcm9jZXNzLTAwMDE=";
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_flywheel-mock-kraken"))
            .args(["--port", "0", "--key", "proc-key", "--secret-file"])
            .arg(&secret_file)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let out = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut l = String::new();
        BufReader::new(out).read_line(&mut l).map(|_| l)
    })
    .await
    .unwrap()
    .unwrap();
    let urls: serde_json::Value = serde_json::from_str(&line).unwrap();
    let base = urls["rest_url"].as_str().unwrap().to_string();
    assert!(urls["ws_public_url"].as_str().unwrap().ends_with("/v2"));
    assert!(urls["ws_private_url"]
        .as_str()
        .unwrap()
        .ends_with("/v2-auth"));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    // Orders with the process's own key, a print, a fault, the ledger.
    let creds = flywheel_kraken::secret::Credentials {
        key: flywheel_kraken::secret::ApiKey::new("proc-key".into()),
        secret: flywheel_kraken::secret::ApiSecret::from_base64(secret).unwrap(),
    };
    let req = flywheel_kraken::sign::sign_private(
        &creds,
        "AddOrder",
        1,
        &[
            ("ordertype", "limit"),
            ("type", "sell"),
            ("pair", "XDGUSD"),
            ("price", "0.1810000"),
            ("volume", "50"),
            ("oflags", "post,fciq"),
            ("cl_ord_id", "fwproc"),
        ],
    )
    .unwrap();
    let body = http
        .post(format!("{base}{}", req.path))
        .header("API-Key", "proc-key")
        .header("API-Sign", &req.api_sign)
        .body(req.body.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("txid"), "{body}");
    let t = http
        .post(format!("{base}/mock/trade"))
        .body(r#"{"side":"buy","price":"0.1810000","qty":"80"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(t.status(), 200);
    let f = http
        .post(format!("{base}/mock/fault"))
        .body(r#"{"HttpErrorAfterApply":{"endpoint":"AddOrder","status":502,"html":false}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(f.status(), 200);
    let bad = http
        .post(format!("{base}/mock/fault"))
        .body("{\"Nope\":1}")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let ledger = http
        .get(format!("{base}/mock/ledger"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ledger: serde_json::Value = serde_json::from_str(&ledger).unwrap();
    assert_eq!(ledger["adds_applied"]["fwproc"], 1);
    assert_eq!(ledger["trades"].as_array().unwrap().len(), 1);
    assert_eq!(ledger["trades"][0]["qty"], "50");
    assert!(ledger["ledger_error"].is_null());
    drop(child);
}
