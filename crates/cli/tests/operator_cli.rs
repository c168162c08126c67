//! `flywheel run --http`: the operator API of a real paper session (the mock Kraken replaying
//! a DOGE market), as a separate process — status, readiness, the event stream, metrics and
//! an action round trip through the engine.

mod common;

use std::time::{Duration, Instant};

use common::bot::{first_event, http, Bot, TOKEN};
use serde_json::Value;

#[test]
fn a_paper_session_serves_status_events_metrics_and_takes_actions() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("doge.csv"), common::doge_trades_csv(2_000)).expect("data");
    let bot = Bot::start(dir.path(), &[]);

    assert_eq!(bot.get("/healthz").0, 200);
    // Ready once the loop runs (paper has nothing to reconcile).
    let until = Instant::now() + Duration::from_secs(20);
    while bot.get("/readyz").0 != 200 {
        assert!(Instant::now() < until, "not ready within 20 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The engine's status with the seeds' blocks, names unchanged, plus the session's.
    let s = bot.wait_status("orders resting", 30, |s| {
        s["open_orders"].as_array().is_some_and(|o| !o.is_empty())
    });
    assert_eq!(s["strategy"], "grid");
    assert_eq!(s["symbol"], "DOGE/USD");
    assert_eq!(s["run"]["mode"], "paper");
    assert_eq!(s["ready"], true);
    assert!(s["rebalancer"]["idle_ratio"].is_number(), "{s:#}");
    assert!(s["rebalancer_dashboard"]
        .as_str()
        .is_some_and(|t| t.starts_with("Governor: ")));
    assert!(s["b_side_health"]["failures_24h"].is_object());
    assert!(s["quote_first_allocation"]["enabled"].is_boolean());
    let slots = s["slots"].as_u64().expect("slots");
    assert_eq!(
        s["slot_table"].as_array().map(Vec::len),
        Some(2 * slots as usize),
        "two trades per slot"
    );
    assert_eq!(s["connectivity"]["feeds"][0]["feed"], "public");
    assert_eq!(s["connectivity"]["feeds"][0]["connected"], true);
    let order = &s["open_orders"][0];
    for key in ["cl_ord_id", "side", "price", "qty", "role", "slot", "state"] {
        assert!(!order[key].is_null(), "open order lacks {key}: {order}");
    }
    assert!(s["equity"]["quote"].is_string() && s["balances"]["quote"].is_string());

    let (code, orders) = bot.get("/api/orders");
    assert_eq!(code, 200);
    let orders: Value = serde_json::from_str(&orders).expect("orders JSON");
    assert!(orders["orders"].is_array(), "{orders}");

    // The event stream: the current status first, then journal records as they happen.
    let first: Value = serde_json::from_str(&first_event(bot.addr, "status")).expect("status");
    assert_eq!(first["strategy"], "grid");
    let rec: Value = serde_json::from_str(&first_event(bot.addr, "journal")).expect("journal");
    assert!(rec["kind"].is_string(), "{rec}");

    let (code, metrics) = bot.get("/metrics");
    assert_eq!(code, 200);
    // Derived from the status: the governor's gauges, equity, readiness.
    for name in [
        "flywheel_rebalancer_idle_ratio",
        "flywheel_equity_usd",
        "flywheel_ready",
        "flywheel_ws_connected",
    ] {
        let line = metrics
            .lines()
            .find(|l| l.starts_with(name) && !l.starts_with('#'))
            .unwrap_or_else(|| panic!("no {name} sample: {metrics}"));
        let value = line.rsplit(' ').next().unwrap_or_default();
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }

    // Actions need the token.
    let (code, _) = http(bot.addr, "POST", "/api/actions/pause", None, "");
    assert_eq!(code, 401);
    let (code, _) = http(
        bot.addr,
        "POST",
        "/api/actions/pause",
        Some("wrong-token-0123456789abcdef"),
        "",
    );
    assert_eq!(code, 403);

    // An action goes through the engine's command input and shows in the status.
    let (code, body) = http(bot.addr, "POST", "/api/actions/pause", Some(TOKEN), "");
    assert_eq!(code, 200, "{body}");
    bot.wait_status("paused", 10, |s| s["paused"] == true);
    let (code, body) = http(
        bot.addr,
        "POST",
        "/api/actions/cancel_entries",
        Some(TOKEN),
        "",
    );
    assert_eq!(code, 200, "{body}");
    let (code, body) = http(bot.addr, "POST", "/api/actions/resume", Some(TOKEN), "");
    assert_eq!(code, 200, "{body}");
    bot.wait_status("resumed", 10, |s| s["paused"] == false);
    // `set`: a whitelisted key, validated as the config file would be.
    let set = |key: &str, value: &str| {
        let body = serde_json::json!({"key": key, "value": value}).to_string();
        http(bot.addr, "POST", "/api/actions/set", Some(TOKEN), &body)
    };
    let (code, body) = set("rebalance.kp", "2");
    assert_eq!(code, 200, "{body}");
    let (code, body) = set("rebalance.kp", "1000");
    assert_eq!(code, 422, "{body}");
    assert!(
        body.contains("rebalance.kp"),
        "the config file's message: {body}"
    );
    let (code, body) = set("grid.slots", "3");
    assert_eq!(code, 422, "{body}");
    assert!(body.contains("settable keys"), "{body}");
    // Paper has nothing to reconcile, and says so.
    let (code, body) = http(bot.addr, "POST", "/api/actions/reconcile", Some(TOKEN), "");
    assert!(code == 200 || code == 422, "{code} {body}");

    let (status, rest) = bot.stop();
    assert!(status.success(), "exit {status:?}: {rest}");
}

#[test]
fn a_maker_paper_session_serves_the_seed_002_gauges_and_takes_a_pause() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The bot replays `doge.csv`; here it holds SOL prints for the maker's SOL/USD.
    std::fs::write(dir.path().join("doge.csv"), common::sol_trades_csv(2_000)).expect("data");
    let bot = Bot::start(dir.path(), &["--strategy", "maker"]);
    // Ready, and prints applied (the estimator moved): a session without trades has
    // nothing to summarize when it stops.
    let s = bot.wait_status("ready with prints applied", 60, |s| {
        s["ready"] == true && s["maker_volatility_bps"].as_f64().is_some_and(|v| v > 0.0)
    });
    assert_eq!(s["strategy"], "maker");
    assert_eq!(s["symbol"], "SOL/USD");
    for key in [
        "maker_fifo_realized_quote",
        "maker_regime_state",
        "maker_volatility_bps",
        "maker_trend_down_guard",
        "maker_pnl_guard_active",
        "inventory_base",
        "hedger_volume_base",
        "hedger_fees_quote",
    ] {
        assert!(!s[key].is_null(), "status lacks {key}: {s:#}");
    }
    // Its open orders as the grid's are shown: side, price, size, role, state.
    let s = bot.wait_status("an open maker order", 60, |s| {
        s["open_orders"].as_array().is_some_and(|o| !o.is_empty())
    });
    for order in s["open_orders"].as_array().expect("open orders") {
        for key in ["cl_ord_id", "side", "price", "qty", "filled", "state"] {
            assert!(order[key].is_string(), "open order lacks {key}: {order}");
        }
        let role = order["role"].as_str().unwrap_or_default();
        assert!(
            ["quote_buy", "quote_sell", "hedge_passive", "hedge_ioc"].contains(&role),
            "{order}"
        );
    }
    let (code, metrics) = bot.get("/metrics");
    assert_eq!(code, 200);
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("maker_volatility_bps ")),
        "seed 002's gauge keeps its unprefixed name: {metrics}"
    );
    let (code, body) = http(bot.addr, "POST", "/api/actions/pause", Some(TOKEN), "");
    assert_eq!(code, 200, "{body}");
    bot.wait_status("paused", 10, |s| s["paused"] == true);
    let (status, rest) = bot.stop();
    assert!(status.success(), "exit {status:?}: {rest}");
}
