//! Gauges derived from the latest published status at scrape time (one source of truth: the
//! numbers on `/metrics` are the numbers of `/api/status`).
//!
//! Invariants:
//! - A metric whose source is absent (or null) in the status is not exported at all — never a
//!   made-up 0. Counts over a present list (open orders by side) are exported, 0 included.
//! - Label values are bounded: fixed sets (`side`), or at most [`MAX_LABELS`] snake_case words
//!   (`feed`, `reason`), or the one traded symbol and its two assets.
//! - Names follow spec/live.md §6: `flywheel_` prefix, seed 002's `maker_*`/`hedger_*` kept
//!   unprefixed. Counters (`*_total`) are the engine's own running counts from the status.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use serde_json::Value;
use tokio::sync::watch;

use crate::hub::StatusSnapshot;

/// Most label values taken from one status list (feeds, failure reasons).
pub const MAX_LABELS: usize = 16;

/// Reads the latest status (and readiness) on every scrape.
#[derive(Debug)]
pub(crate) struct StatusCollector {
    pub(crate) status: watch::Receiver<Option<Arc<StatusSnapshot>>>,
    pub(crate) ready: Arc<RwLock<(bool, String)>>,
}

impl Collector for StatusCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> fmt::Result {
        let ready = self.ready.read().unwrap_or_else(PoisonError::into_inner).0;
        gauge(
            &mut enc,
            "flywheel_ready",
            "Restart reconciliation done (/readyz)",
            f(ready),
        )?;
        let snap = self.status.borrow().clone();
        match snap {
            Some(snap) => encode_status(&mut enc, &snap.value),
            None => Ok(()),
        }
    }
}

/// Encodes every metric the status has a source for.
fn encode_status(enc: &mut DescriptorEncoder, s: &Value) -> fmt::Result {
    connectivity(enc, s)?;
    orders(enc, s)?;
    money(enc, s)?;
    rebalancer(enc, s)?;
    b_side(enc, s)?;
    maker(enc, s)
}

fn connectivity(enc: &mut DescriptorEncoder, s: &Value) -> fmt::Result {
    let c = &s["connectivity"];
    let feeds: Vec<(&str, &Value)> = c["feeds"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| Some((label_word(f["feed"].as_str()?)?, f)))
                .take(MAX_LABELS)
                .collect()
        })
        .unwrap_or_default();
    let per_feed = |key: &str| -> Vec<(&str, f64)> {
        feeds
            .iter()
            .filter_map(|(name, f)| Some((*name, num(&f[key])?)))
            .collect()
    };
    family(
        enc,
        Gauge,
        "flywheel_ws_connected",
        "WebSocket feed connected (1) or not (0)",
        "feed",
        &per_feed("connected"),
    )?;
    family(
        enc,
        Counter,
        "flywheel_ws_reconnects",
        "WebSocket reconnects since start",
        "feed",
        &per_feed("reconnects"),
    )?;
    family(
        enc,
        Gauge,
        "flywheel_ws_last_message_age_seconds",
        "Seconds since the feed's last message",
        "feed",
        &per_feed("last_message_age_s"),
    )?;
    if let Some(v) = num(&c["dead_man_switch"]["seconds_to_trigger"]) {
        gauge(
            enc,
            "flywheel_dms_seconds_to_trigger",
            "Seconds until the dead-man switch cancels everything",
            v,
        )?;
    }
    if let (Some(v), Some(pair)) = (
        num(&c["rate_counter"]["value"]),
        s["symbol"].as_str().and_then(label_symbol),
    ) {
        family(
            enc,
            Gauge,
            "flywheel_rate_counter",
            "Kraken trading rate counter (model)",
            "pair",
            &[(pair, v)],
        )?;
    }
    let r = &c["reconcile"];
    if let Some(v) = num(&r["runs"]) {
        counter(
            enc,
            "flywheel_reconcile_runs",
            "Reconciliation runs since start",
            v,
        )?;
    }
    if let Some(v) = num(&r["discrepancies"]) {
        counter(
            enc,
            "flywheel_reconcile_discrepancies",
            "Discrepancies found by reconciliation",
            v,
        )?;
    }
    Ok(())
}

fn orders(enc: &mut DescriptorEncoder, s: &Value) -> fmt::Result {
    let Some(open) = s["open_orders"].as_array() else {
        return Ok(());
    };
    let count = |pred: &dyn Fn(&Value) -> bool| open.iter().filter(|o| pred(o)).count() as f64;
    let buys = count(&|o| o["side"] == "buy");
    let sells = count(&|o| o["side"] == "sell");
    family(
        enc,
        Gauge,
        "flywheel_orders_open",
        "Open orders by side",
        "side",
        &[("buy", buys), ("sell", sells)],
    )?;
    gauge(
        enc,
        "flywheel_orders_unknown",
        "Orders whose outcome is unknown (being resolved)",
        count(&|o| o["state"] == "unknown"),
    )
}

fn money(enc: &mut DescriptorEncoder, s: &Value) -> fmt::Result {
    let b = &s["balances"];
    let mut balances = Vec::new();
    for (amount, asset) in [("base", "base_asset"), ("quote", "quote_asset")] {
        if let (Some(v), Some(a)) = (num(&b[amount]), b[asset].as_str().and_then(label_symbol)) {
            balances.push((a, v));
        }
    }
    family(
        enc,
        Gauge,
        "flywheel_balance",
        "Balance by asset",
        "asset",
        &balances,
    )?;
    let e = &s["equity"];
    if let Some(v) = num(&e["quote"]) {
        gauge(
            enc,
            "flywheel_equity_usd",
            "Equity in quote currency at the mark",
            v,
        )?;
    }
    if let Some(v) = num(&e["realized_quote"]) {
        gauge(
            enc,
            "flywheel_realized_pnl_usd",
            "Realized profit and loss in quote currency",
            v,
        )?;
    }
    if let Some(v) = num(&e["fees_quote"]) {
        counter(enc, "flywheel_fees_usd", "Fees paid in quote currency", v)?;
    }
    let idle = num(&s["scoreboard"]["idle_usd_pct"])
        .map(|p| p / 100.0)
        .or_else(|| num(&s["rebalancer"]["idle_ratio"]));
    if let Some(v) = idle {
        gauge(
            enc,
            "flywheel_idle_usd_ratio",
            "Idle quote currency as a share of the quote balance",
            v,
        )?;
    }
    if let Some(h) = s.get("halt") {
        gauge(
            enc,
            "flywheel_halted",
            "Trading halted (1) or not (0)",
            f(!h.is_null()),
        )?;
    }
    if let Some(v) = s.get("paused").and_then(num) {
        gauge(
            enc,
            "flywheel_paused",
            "Paused by the operator (1) or not (0)",
            v,
        )?;
    }
    Ok(())
}

fn rebalancer(enc: &mut DescriptorEncoder, s: &Value) -> fmt::Result {
    let r = &s["rebalancer"];
    for (key, name, help) in [
        (
            "idle_ratio",
            "flywheel_rebalancer_idle_ratio",
            "Governor: idle quote ratio",
        ),
        (
            "target",
            "flywheel_rebalancer_target",
            "Governor: target idle ratio",
        ),
        (
            "error",
            "flywheel_rebalancer_error",
            "Governor: error (idle - target)",
        ),
        (
            "smoothed_error",
            "flywheel_rebalancer_smoothed_error",
            "Governor: EMA of the error",
        ),
        (
            "velocity",
            "flywheel_rebalancer_velocity",
            "Governor: error velocity",
        ),
        ("skew", "flywheel_rebalancer_skew", "Governor: size skew"),
        (
            "damped",
            "flywheel_rebalancer_damped",
            "Governor: oscillation damping active (1) or not (0)",
        ),
        (
            "sign_flips_1h",
            "flywheel_rebalancer_sign_flips_1h",
            "Governor: error sign flips in the last hour",
        ),
    ] {
        if let Some(v) = num(&r[key]) {
            gauge(enc, name, help, v)?;
        }
    }
    let mut mult = Vec::new();
    for (key, side) in [("size_mult_a", "a"), ("size_mult_b", "b")] {
        if let Some(v) = num(&r[key]) {
            mult.push((side, v));
        }
    }
    family(
        enc,
        Gauge,
        "flywheel_rebalancer_size_mult",
        "Governor: order size multiplier by trade side",
        "side",
        &mult,
    )
}

fn b_side(enc: &mut DescriptorEncoder, s: &Value) -> fmt::Result {
    let h = &s["b_side_health"];
    let failures: Vec<(&str, f64)> = h["failures_24h"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((label_word(k)?, num(v)?)))
                .take(MAX_LABELS)
                .collect()
        })
        .unwrap_or_default();
    family(
        enc,
        Gauge,
        "flywheel_b_entry_failures_24h",
        "B-side entry failures in the last 24 h by reason",
        "reason",
        &failures,
    )?;
    if let Some(v) = num(&h["balance_degraded_slots"]) {
        gauge(
            enc,
            "flywheel_balance_degraded_slots",
            "Slots degraded for lack of balance",
            v,
        )?;
    }
    if let Some(v) = num(&h["recoveries_24h"]) {
        gauge(
            enc,
            "flywheel_b_recoveries_24h",
            "B-side recoveries in the last 24 h",
            v,
        )?;
    }
    Ok(())
}

fn maker(enc: &mut DescriptorEncoder, s: &Value) -> fmt::Result {
    for (key, name, help) in [
        (
            "maker_fifo_realized_quote",
            "maker_fifo_realized_quote",
            "Maker: FIFO realized PnL in quote",
        ),
        (
            "maker_regime_state",
            "maker_regime_state",
            "Maker: regime state",
        ),
        (
            "maker_volatility_bps",
            "maker_volatility_bps",
            "Maker: volatility estimate in bps",
        ),
        (
            "maker_trend_down_guard",
            "maker_trend_down_guard",
            "Maker: trend-down guard active",
        ),
        (
            "maker_pnl_guard_active",
            "maker_pnl_guard_active",
            "Maker: PnL guard active",
        ),
        (
            "inventory_base",
            "maker_inventory_base",
            "Maker: inventory in base currency",
        ),
        (
            "hedger_volume_base",
            "hedger_volume_base",
            "Hedger: volume traded in base currency",
        ),
        (
            "hedger_fees_quote",
            "hedger_fees_quote",
            "Hedger: fees paid in quote",
        ),
        (
            "hedger_emergency_orders",
            "hedger_emergency_orders",
            "Hedger: emergency orders sent",
        ),
    ] {
        if let Some(v) = num(&s[key]) {
            gauge(enc, name, help, v)?;
        }
    }
    Ok(())
}

// ---- encoding helpers ----

#[derive(Clone, Copy)]
enum Kind {
    Gauge,
    Counter,
}
use Kind::{Counter, Gauge};

fn gauge(enc: &mut DescriptorEncoder, name: &str, help: &str, v: f64) -> fmt::Result {
    let m = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
    ConstGauge::new(v).encode(m)
}

/// A counter; `name` without `_total` (the encoder appends it).
fn counter(enc: &mut DescriptorEncoder, name: &str, help: &str, v: f64) -> fmt::Result {
    let m = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
    ConstCounter::new(v).encode(m)
}

/// One metric with one label; nothing at all when `items` is empty.
fn family(
    enc: &mut DescriptorEncoder,
    kind: Kind,
    name: &str,
    help: &str,
    label: &str,
    items: &[(&str, f64)],
) -> fmt::Result {
    if items.is_empty() {
        return Ok(());
    }
    let ty = match kind {
        Gauge => MetricType::Gauge,
        Counter => MetricType::Counter,
    };
    let mut fam = enc.encode_descriptor(name, help, None, ty)?;
    for (value_label, v) in items {
        let labels = [(label, *value_label)];
        let m = fam.encode_family(&labels)?;
        match kind {
            Gauge => ConstGauge::new(*v).encode(m)?,
            Counter => ConstCounter::new(*v).encode(m)?,
        }
    }
    Ok(())
}

/// A number from the status: JSON number, bool (1/0), or decimal string. `None` for null,
/// absent, or anything unparsable (a metric is then not exported rather than wrong).
fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(f(*b)),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

fn f(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// A short snake_case word (feed names, failure reasons), else `None` (not exported).
fn label_word(s: &str) -> Option<&str> {
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    ok.then_some(s)
}

/// A symbol or asset name (`DOGE/USD`, `XBT`), else `None`.
fn label_symbol(s: &str) -> Option<&str> {
    let ok = !s.is_empty()
        && s.len() <= 24
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_'));
    ok.then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_from_status_values() {
        let cases: &[(&str, Value, Option<f64>)] = &[
            ("integer", json!(3), Some(3.0)),
            ("float", json!(0.57), Some(0.57)),
            ("decimal string", json!("412.35"), Some(412.35)),
            (
                "negative decimal",
                json!("-17.346903304"),
                Some(-17.346903304),
            ),
            ("true", json!(true), Some(1.0)),
            ("false", json!(false), Some(0.0)),
            ("null", Value::Null, None),
            ("text", json!("n/a"), None),
            ("object", json!({}), None),
        ];
        for (name, v, want) in cases {
            assert_eq!(num(v), *want, "case {name}");
        }
    }

    #[test]
    fn label_values_are_bounded() {
        assert_eq!(label_word("public"), Some("public"));
        assert_eq!(label_word("Public feed"), None);
        assert_eq!(label_symbol("DOGE/USD"), Some("DOGE/USD"));
        assert_eq!(label_symbol("DOGE\"}"), None);
    }
}
