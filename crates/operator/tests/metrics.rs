//! `/metrics` scraped over HTTP and parsed by a strict exposition-format parser: the values
//! equal the status JSON, absent sources are not exported, Hub counters count.

use std::collections::BTreeMap;
use std::time::Duration;

use flywheel_operator::{router, serve, Hub, HubConfig, ServerConfig};
use serde_json::{json, Value};

/// One sample: metric name, labels (sorted), value.
type Samples = BTreeMap<(String, Vec<(String, String)>), f64>;

/// Parses Prometheus text format 0.0.4 strictly: every sample belongs to a family declared by
/// `# TYPE` before it (with the suffixes its type allows), labels are well formed and
/// unique, every value is a number, no family is declared twice.
fn parse_exposition(text: &str) -> Result<(Samples, BTreeMap<String, String>), String> {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut samples = Samples::new();
    for (i, line) in text.lines().enumerate() {
        let at = |why: &str| format!("line {}: {why}: {line:?}", i + 1);
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kw, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            match kw {
                "HELP" => {}
                "TYPE" => {
                    let ty = parts.next().ok_or_else(|| at("TYPE without a type"))?;
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&ty) {
                        return Err(at("unknown type"));
                    }
                    if types.insert(name.to_owned(), ty.to_owned()).is_some() {
                        return Err(at("family declared twice"));
                    }
                }
                _ => return Err(at("unknown comment keyword")),
            }
            continue;
        }
        let (name_labels, value) = line.rsplit_once(' ').ok_or_else(|| at("no value"))?;
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().map_err(|_| at("value is not a number"))?,
        };
        let (name, labels) = match name_labels.split_once('{') {
            Some((n, rest)) => {
                let body = rest
                    .strip_suffix('}')
                    .ok_or_else(|| at("unclosed labels"))?;
                let mut labels = Vec::new();
                for pair in split_labels(body).map_err(|e| at(&e))? {
                    let (k, v) = pair.split_once('=').ok_or_else(|| at("label without ="))?;
                    let v = v
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .ok_or_else(|| at("unquoted label value"))?;
                    if !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        return Err(at("bad label name"));
                    }
                    labels.push((k.to_owned(), v.to_owned()));
                }
                (n, labels)
            }
            None => (name_labels, Vec::new()),
        };
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        {
            return Err(at("bad metric name"));
        }
        let family = types
            .iter()
            .find(|(fam, ty)| {
                let suffixes: &[&str] = match ty.as_str() {
                    "counter" => &["", "_total"],
                    "histogram" => &["_bucket", "_sum", "_count"],
                    _ => &[""],
                };
                suffixes.iter().any(|s| name == format!("{fam}{s}"))
            })
            .ok_or_else(|| at("sample without a TYPE declared before it"))?;
        let _ = family;
        let mut sorted = labels.clone();
        sorted.sort();
        sorted.dedup_by(|a, b| a.0 == b.0);
        if sorted.len() != labels.len() {
            return Err(at("duplicate label"));
        }
        if samples.insert((name.to_owned(), sorted), value).is_some() {
            return Err(at("duplicate sample"));
        }
    }
    Ok((samples, types))
}

/// Splits `a="x",b="y,z"` at the commas outside quotes.
fn split_labels(body: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quoted {
        return Err("unterminated label value".into());
    }
    if start < body.len() {
        out.push(&body[start..]);
    }
    Ok(out)
}

fn grid_status() -> Value {
    json!({
        "strategy": "grid", "symbol": "DOGE/USD", "now": 1_700_000_000_000u64,
        "ready": true, "paused": false, "halt": "daily loss lock",
        "connectivity": {
            "feeds": [
                {"feed": "public", "connected": true, "last_message_age_s": 0.4, "reconnects": 2},
                {"feed": "private", "connected": false, "last_message_age_s": 12.5, "reconnects": 7}
            ],
            "dead_man_switch": {"armed": true, "timeout_s": 60, "seconds_to_trigger": 55.0},
            "reconcile": {"state": "done", "runs": 3, "discrepancies": 1, "last_at": 1},
            "rate_counter": {"value": 3.5, "limit": 180.0}
        },
        "balances": {"base": "1234.5", "quote": "200.1", "base_asset": "DOGE", "quote_asset": "USD"},
        "equity": {"quote": "412.35", "hold_quote": "405.10", "realized_quote": "3.2", "fees_quote": "0.41"},
        "open_orders": [
            {"cl_ord_id": "fw-1", "side": "buy", "state": "acked"},
            {"cl_ord_id": "fw-2", "side": "buy", "state": "unknown"},
            {"cl_ord_id": "fw-3", "side": "sell", "state": "acked"}
        ],
        "scoreboard": {"idle_usd": "80.4276", "idle_usd_pct": "40.2138", "observed_usd": "200"},
        "rebalancer": {"damped": true, "enabled": true, "error": 0.57, "held_by": null, "idle_ratio": 0.97,
            "sign_flips_1h": 2, "size_mult_a": 1.0, "size_mult_b": 1.05, "skew": 0.05,
            "smoothed_error": 0.0875, "target": 0.4, "velocity": 0.1612},
        "b_side_health": {"balance_degraded_slots": 1,
            "failures_24h": {"capacity_gate": 0, "entry_floor": 4, "fund_guard": 2},
            "max_bilateral_slots": 2, "recoveries_24h": 5}
    })
}

fn maker_status() -> Value {
    json!({
        "strategy": "maker", "symbol": "SOL/USD", "paused": true, "halt": null,
        "connectivity": {"feeds": [], "dead_man_switch": null, "rate_counter": null},
        "maker_fifo_realized_quote": "-17.346903304", "maker_regime_state": 0, "maker_volatility_bps": 2.87,
        "maker_trend_down_guard": true, "maker_pnl_guard_active": false, "inventory_base": "0.061",
        "hedger_volume_base": "19.886", "hedger_fees_quote": "16.097257304", "hedger_emergency_orders": 3
    })
}

async fn scrape(hub: &Hub) -> (Samples, BTreeMap<String, String>, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = router(hub.clone(), ServerConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, app, async move {
        let _ = stop_rx.await;
    }));
    let resp = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("GET /metrics");
    assert_eq!(resp.status().as_u16(), 200);
    let ctype = resp.headers()["content-type"]
        .to_str()
        .expect("ctype")
        .to_owned();
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    let text = resp.text().await.expect("body");
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    let (samples, types) = parse_exposition(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (samples, types, text)
}

fn key(name: &str, labels: &[(&str, &str)]) -> (String, Vec<(String, String)>) {
    let mut l: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    l.sort();
    (name.to_owned(), l)
}

/// A status value as the number it stands for (decimal strings parsed, bools as 0/1).
fn n(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().expect("decimal string"),
        Value::Bool(b) => f64::from(u8::from(*b)),
        other => other.as_f64().expect("number"),
    }
}

#[tokio::test]
async fn grid_metrics_equal_the_status() {
    let (hub, _rx) = Hub::new(HubConfig::default());
    let s = grid_status();
    hub.publish_status(s.clone());
    hub.set_ready(true, "");
    hub.observe_commit(0.002);
    hub.observe_commit(0.004);
    hub.observe_step(0.0001);
    hub.publish_journal(json!({"kind": "placed", "ts": 1}));
    hub.publish_journal(json!({"kind": "place_rejected", "ts": 2, "reason": "fund_guard"}));
    hub.publish_journal(json!({"kind": "venue", "ts": 3, "event": {"type": "fill"}}));
    hub.publish_journal(json!({"kind": "venue", "ts": 4, "event": {"type": "fill"}}));
    let (samples, types, text) = scrape(&hub).await;
    let c = &s["connectivity"];
    let r = &s["rebalancer"];
    let h = &s["b_side_health"];
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], f64);
    let cases: Vec<Case> = vec![
        ("flywheel_ready", &[], 1.0),
        (
            "flywheel_ws_connected",
            &[("feed", "public")],
            n(&c["feeds"][0]["connected"]),
        ),
        (
            "flywheel_ws_connected",
            &[("feed", "private")],
            n(&c["feeds"][1]["connected"]),
        ),
        (
            "flywheel_ws_reconnects_total",
            &[("feed", "private")],
            n(&c["feeds"][1]["reconnects"]),
        ),
        (
            "flywheel_ws_last_message_age_seconds",
            &[("feed", "private")],
            n(&c["feeds"][1]["last_message_age_s"]),
        ),
        (
            "flywheel_dms_seconds_to_trigger",
            &[],
            n(&c["dead_man_switch"]["seconds_to_trigger"]),
        ),
        (
            "flywheel_rate_counter",
            &[("pair", "DOGE/USD")],
            n(&c["rate_counter"]["value"]),
        ),
        (
            "flywheel_reconcile_runs_total",
            &[],
            n(&c["reconcile"]["runs"]),
        ),
        (
            "flywheel_reconcile_discrepancies_total",
            &[],
            n(&c["reconcile"]["discrepancies"]),
        ),
        ("flywheel_orders_open", &[("side", "buy")], 2.0),
        ("flywheel_orders_open", &[("side", "sell")], 1.0),
        ("flywheel_orders_unknown", &[], 1.0),
        (
            "flywheel_balance",
            &[("asset", "DOGE")],
            n(&s["balances"]["base"]),
        ),
        (
            "flywheel_balance",
            &[("asset", "USD")],
            n(&s["balances"]["quote"]),
        ),
        ("flywheel_equity_usd", &[], n(&s["equity"]["quote"])),
        (
            "flywheel_realized_pnl_usd",
            &[],
            n(&s["equity"]["realized_quote"]),
        ),
        (
            "flywheel_fees_usd_total",
            &[],
            n(&s["equity"]["fees_quote"]),
        ),
        (
            "flywheel_idle_usd_ratio",
            &[],
            n(&s["scoreboard"]["idle_usd_pct"]) / 100.0,
        ),
        ("flywheel_halted", &[], 1.0),
        ("flywheel_paused", &[], 0.0),
        ("flywheel_rebalancer_idle_ratio", &[], n(&r["idle_ratio"])),
        ("flywheel_rebalancer_target", &[], n(&r["target"])),
        ("flywheel_rebalancer_error", &[], n(&r["error"])),
        (
            "flywheel_rebalancer_smoothed_error",
            &[],
            n(&r["smoothed_error"]),
        ),
        ("flywheel_rebalancer_velocity", &[], n(&r["velocity"])),
        ("flywheel_rebalancer_skew", &[], n(&r["skew"])),
        ("flywheel_rebalancer_damped", &[], 1.0),
        (
            "flywheel_rebalancer_sign_flips_1h",
            &[],
            n(&r["sign_flips_1h"]),
        ),
        (
            "flywheel_rebalancer_size_mult",
            &[("side", "a")],
            n(&r["size_mult_a"]),
        ),
        (
            "flywheel_rebalancer_size_mult",
            &[("side", "b")],
            n(&r["size_mult_b"]),
        ),
        (
            "flywheel_b_entry_failures_24h",
            &[("reason", "entry_floor")],
            n(&h["failures_24h"]["entry_floor"]),
        ),
        (
            "flywheel_b_entry_failures_24h",
            &[("reason", "capacity_gate")],
            0.0,
        ),
        (
            "flywheel_balance_degraded_slots",
            &[],
            n(&h["balance_degraded_slots"]),
        ),
        ("flywheel_b_recoveries_24h", &[], n(&h["recoveries_24h"])),
        (
            "flywheel_orders_total",
            &[("event", "placed"), ("reason", "none")],
            1.0,
        ),
        (
            "flywheel_orders_total",
            &[("event", "place_rejected"), ("reason", "fund_guard")],
            1.0,
        ),
        (
            "flywheel_orders_total",
            &[("event", "fill"), ("reason", "none")],
            2.0,
        ),
        ("flywheel_journal_records_total", &[("kind", "venue")], 2.0),
        ("flywheel_store_commit_seconds_count", &[], 2.0),
        ("flywheel_step_seconds_count", &[], 1.0),
        ("flywheel_sse_clients", &[], 0.0),
    ];
    for (name, labels, want) in &cases {
        let got = samples.get(&key(name, labels));
        assert_eq!(got, Some(want), "{name}{labels:?}\n{text}");
    }
    let sum = samples[&key("flywheel_store_commit_seconds_sum", &[])];
    assert!((sum - 0.006).abs() < 1e-12, "commit sum {sum}");
    assert_eq!(types["flywheel_store_commit_seconds"], "histogram");
    assert_eq!(types["flywheel_ws_reconnects_total"], "counter");
    assert_eq!(types["flywheel_equity_usd"], "gauge");
    assert!(
        !text.contains("maker_"),
        "a grid status exports no maker gauges\n{text}"
    );
    assert!(!text.contains("hedger_"), "{text}");
}

#[tokio::test]
async fn maker_metrics_equal_the_status_and_absent_sources_are_not_exported() {
    let (hub, _rx) = Hub::new(HubConfig::default());
    let s = maker_status();
    hub.publish_status(s.clone());
    let (samples, _types, text) = scrape(&hub).await;
    for (name, src) in [
        ("maker_fifo_realized_quote", "maker_fifo_realized_quote"),
        ("maker_regime_state", "maker_regime_state"),
        ("maker_volatility_bps", "maker_volatility_bps"),
        ("maker_trend_down_guard", "maker_trend_down_guard"),
        ("maker_pnl_guard_active", "maker_pnl_guard_active"),
        ("maker_inventory_base", "inventory_base"),
        ("hedger_volume_base", "hedger_volume_base"),
        ("hedger_fees_quote", "hedger_fees_quote"),
        ("hedger_emergency_orders", "hedger_emergency_orders"),
    ] {
        assert_eq!(
            samples.get(&key(name, &[])),
            Some(&n(&s[src])),
            "{name}\n{text}"
        );
    }
    assert_eq!(
        samples.get(&key("flywheel_ready", &[])),
        Some(&0.0),
        "not ready yet"
    );
    assert_eq!(samples.get(&key("flywheel_paused", &[])), Some(&1.0));
    assert_eq!(samples.get(&key("flywheel_halted", &[])), Some(&0.0));
    for absent in [
        "flywheel_dms_seconds_to_trigger",
        "flywheel_rate_counter",
        "flywheel_ws_connected",
        "flywheel_rebalancer_",
        "flywheel_b_entry_failures_24h",
        "flywheel_equity_usd",
        "flywheel_orders_open",
        "flywheel_reconcile_runs_total",
    ] {
        assert!(
            !samples.keys().any(|(name, _)| name.starts_with(absent)),
            "{absent} has no source in this status and must not be exported\n{text}"
        );
    }
}

#[test]
fn the_parser_rejects_malformed_expositions() {
    let cases: &[(&str, &str)] = &[
        ("no type", "foo 1\n"),
        ("bad value", "# TYPE foo gauge\nfoo one\n"),
        (
            "histogram sample without suffix",
            "# TYPE foo histogram\nfoo 1\n",
        ),
        ("unquoted label", "# TYPE foo gauge\nfoo{a=b} 1\n"),
        ("duplicate sample", "# TYPE foo gauge\nfoo 1\nfoo 2\n"),
        ("declared twice", "# TYPE foo gauge\n# TYPE foo gauge\n"),
    ];
    for (name, text) in cases {
        assert!(parse_exposition(text).is_err(), "case {name} should fail");
    }
    assert!(parse_exposition("# HELP foo x\n# TYPE foo gauge\nfoo{a=\"b,c\"} 1.5\n").is_ok());
}
