//! The public market feed and the startup instrument check against the mock Kraken:
//! a corrupted book checksum makes the feed resubscribe and rebuild the book, a stalled
//! public socket is declared dead and reconnected, and a configuration that differs from
//! Kraken's instrument refuses to start with both values named.

use std::sync::Arc;
use std::time::{Duration, Instant};

use flywheel_core::{Price, Qty, Side};
use flywheel_kraken::book::Resubscribe;
use flywheel_kraken::net::backoff::BackoffConfig;
use flywheel_kraken::net::clock::SystemClock;
use flywheel_kraken::net::connector::{check_instrument, ConnectorError};
use flywheel_kraken::net::market::{spawn_market, MarketConfig, MarketInput};
use flywheel_kraken::net::private::{PrivateRest, PrivateRestOptions};
use flywheel_kraken::net::rest::{PublicRest, RestConfig};
use flywheel_kraken::nonce::MemoryNonceStore;
use flywheel_kraken_mock::{Fault, Feed, MockConfig, MockHandle, MockKraken};
use tokio::sync::mpsc::Receiver;

async fn mock() -> MockHandle {
    MockKraken::start(MockConfig {
        heartbeat: Duration::from_millis(100),
        timer_tick: Duration::from_millis(20),
        ..MockConfig::default()
    })
    .await
    .expect("mock starts")
}

fn market_cfg(mock: &MockHandle) -> MarketConfig {
    let mut cfg = MarketConfig::new("DOGE/USD");
    cfg.ws.url = mock.ws_public_url();
    cfg.ws.heartbeat_timeout = Duration::from_millis(600);
    cfg.ws.ping_interval = Duration::from_millis(200);
    cfg.ws.backoff = BackoffConfig {
        base: Duration::from_millis(20),
        cap: Duration::from_millis(200),
        ..BackoffConfig::default()
    };
    cfg
}

/// Wait for the first input that `want` accepts, returning it.
async fn next_matching(
    rx: &mut Receiver<MarketInput>,
    what: &str,
    want: impl Fn(&MarketInput) -> bool,
) -> MarketInput {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(m)) if want(&m) => return m,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

fn p(s: &str) -> Price {
    s.parse().expect("price")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_checksum_rebuilds_the_book() {
    let mock = mock().await;
    let (handle, mut rx) = spawn_market(market_cfg(&mock), Arc::new(SystemClock));
    next_matching(&mut rx, "a verified top", |m| {
        matches!(m, MarketInput::Top { .. })
    })
    .await;
    mock.inject(Fault::CorruptChecksum);
    // A print moves the book: the next update carries the wrong checksum.
    mock.trade(Side::Buy, p("0.1800030"), Qty::from_int(10).expect("qty"))
        .expect("print");
    let resync = next_matching(&mut rx, "a resync", |m| {
        matches!(m, MarketInput::BookResync { .. })
    })
    .await;
    assert!(matches!(
        resync,
        MarketInput::BookResync {
            reason: Resubscribe::ChecksumMismatch { .. }
        }
    ));
    next_matching(&mut rx, "the rebuilt top", |m| {
        matches!(m, MarketInput::Top { .. })
    })
    .await;
    assert_eq!(handle.checksum_mismatches(), 1);
    handle.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_public_feed_is_dead_and_comes_back() {
    let mock = mock().await;
    let (handle, mut rx) = spawn_market(market_cfg(&mock), Arc::new(SystemClock));
    next_matching(&mut rx, "connected", |m| {
        matches!(m, MarketInput::Connected { .. })
    })
    .await;
    mock.inject(Fault::WsStall {
        feed: Feed::Public,
        millis: 1_500,
    });
    next_matching(&mut rx, "declared dead", |m| {
        matches!(m, MarketInput::Disconnected { .. })
    })
    .await;
    next_matching(
        &mut rx,
        "reconnected",
        |m| matches!(m, MarketInput::Connected { session, .. } if *session >= 2),
    )
    .await;
    next_matching(&mut rx, "a fresh top", |m| {
        matches!(m, MarketInput::Top { .. })
    })
    .await;
    handle.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_instrument_is_checked_against_the_configuration_at_startup() {
    let mock = mock().await;
    let rest_cfg = RestConfig {
        base_url: mock.rest_url(),
        ..RestConfig::default()
    };
    let public = PublicRest::new(&rest_cfg).expect("public REST");
    let private = PrivateRest::spawn(
        &rest_cfg,
        mock.config().credentials().expect("credentials"),
        MemoryNonceStore::default(),
        Arc::new(SystemClock),
        PrivateRestOptions::default(),
    )
    .expect("private REST");
    let pair = mock.config().names.rest_pair.clone();
    let configured = mock.config().instrument.clone();
    let live = check_instrument(&public, &private, &pair, &configured)
        .await
        .expect("the configuration matches the mock");
    assert_eq!(live, configured);

    let mut wrong = configured.clone();
    wrong.min_volume = Qty::from_int(40).expect("qty");
    wrong.maker_fee_pct = "0.16".parse().expect("ratio");
    let err = check_instrument(&public, &private, &pair, &wrong)
        .await
        .expect_err("a mismatch refuses to start");
    assert!(matches!(err, ConnectorError::Instrument(_)));
    let text = err.to_string();
    for needle in [
        "min_volume is 40",
        "but 50",
        "maker_fee_pct is 0.16",
        "but 0.25",
    ] {
        assert!(text.contains(needle), "{text:?} should name {needle:?}");
    }
}
