//! Load check of the operator API: `GET /api/status` latency while 100 SSE clients listen.
//!
//! A Hub + router on 127.0.0.1:0 with a grid status (10 slots, 20 open orders); a fake engine
//! thread publishes the status 4×/s and 20 journal records/s; 100 clients hold
//! `/api/events` open and read everything; one client then times 2000 sequential
//! `GET /api/status` requests and prints p50/p99/max. Client and server share the process
//! (and its cores).
//!
//! Run: `cargo run --release -p flywheel-operator --example sse_load`

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flywheel_operator::{router, serve, Hub, HubConfig, ServerConfig};
use serde_json::{json, Value};

const SSE_CLIENTS: usize = 100;
const REQUESTS: usize = 2000;

fn order(i: u64, side: &str, role: &str) -> Value {
    json!({"cl_ord_id": format!("fw-{i:08}"), "side": side, "price": format!("0.17{:02}", i % 100),
        "qty": "100", "filled": "0", "role": role, "slot": i / 2, "state": "acked"})
}

fn grid_status(seq: u64) -> Value {
    let orders: Vec<Value> = (0..20)
        .map(|i| {
            order(
                i,
                if i % 2 == 0 { "buy" } else { "sell" },
                if i % 2 == 0 { "entry" } else { "exit" },
            )
        })
        .collect();
    let slots: Vec<Value> = (0..10)
        .map(|s| json!({"slot": s, "stage": "s1", "entry": order(2 * s, "buy", "entry"), "exit": order(2 * s + 1, "sell", "exit")}))
        .collect();
    json!({
        "strategy": "grid", "symbol": "DOGE/USD",
        "run": {"mode": "paper", "venue": "mock", "started_at": 1_700_000_000_000u64, "version": "0.1.0"},
        "now": 1_700_000_000_000u64 + seq * 250, "ready": true, "paused": false, "halt": null,
        "connectivity": {
            "feeds": [{"feed": "public", "connected": true, "last_message_age_s": 0.4, "reconnects": 0},
                      {"feed": "private", "connected": true, "last_message_age_s": 1.2, "reconnects": 0}],
            "dead_man_switch": {"armed": true, "timeout_s": 60, "seconds_to_trigger": 55.0},
            "reconcile": {"state": "done", "runs": 1, "discrepancies": 0, "last_at": 1_700_000_000_000u64},
            "rate_counter": {"value": 3.5, "limit": 180.0}
        },
        "balances": {"base": "1234.5", "quote": "200.1", "base_asset": "DOGE", "quote_asset": "USD"},
        "equity": {"quote": "412.35", "hold_quote": "405.10", "realized_quote": "3.2", "fees_quote": "0.41"},
        "open_orders": orders, "slot_table": slots,
        "mode": {"mode": "running"}, "mark": "0.1", "slots": 10,
        "capacity": {"band": "ok", "entry_cap": 2, "headroom": 168, "open_orders": 20, "safe_cap": 168},
        "scoreboard": {"idle_usd": "80.4276", "idle_usd_pct": "40.2138", "observed_usd": "200",
            "usd_committed_buy_orders": "113.5724", "usd_next_entries_estimate": "4", "usd_runway_floor": "119.5724"},
        "rebalancer": {"damped": false, "enabled": true, "error": 0.57, "held_by": null, "idle_ratio": 0.97,
            "infeasible": null, "sign_flips_1h": 0, "size_mult_a": 1.0, "size_mult_b": 1.05, "skew": 0.05,
            "skew_direction": "buy_doge", "smoothed_error": 0.0875, "target": 0.4, "velocity": 0.1612},
        "b_side_health": {"ancillary_profit_usd": "0", "balance_degraded_slots": 0,
            "failures_24h": {"capacity_gate": 0, "entry_floor": 0, "fund_guard": 0, "mode_degraded": 0,
                "scheduler_deferred": 0, "throughput_below_min": 0},
            "max_bilateral_slots": 2, "recoveries_24h": 0},
        "b_side_health_card": {"color": "green", "text": "B-Side Health"},
        "seq": seq
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (hub, _commands) = Hub::new(HubConfig::default());
    hub.set_ready(true, "");
    hub.publish_status(grid_status(0));
    let size = grid_status(0).to_string().len();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        router(hub.clone(), ServerConfig::default()),
        async move {
            let _ = stop_rx.await;
        },
    ));

    // The fake engine: status 4×/s, journal 20/s, from a plain thread.
    let running = Arc::new(AtomicBool::new(true));
    let engine = {
        let (hub, running) = (hub.clone(), running.clone());
        std::thread::spawn(move || {
            let mut seq = 1;
            while running.load(Ordering::Relaxed) {
                for k in 0..5u64 {
                    hub.publish_journal(
                        json!({"kind": "loop_start", "ts": seq * 250 + k * 50, "n": seq}),
                    );
                    std::thread::sleep(Duration::from_millis(50));
                }
                hub.publish_status(grid_status(seq));
                seq += 1;
            }
        })
    };

    // 100 SSE listeners, each on its own connection.
    let events = Arc::new(AtomicU64::new(0));
    let lagged = Arc::new(AtomicU64::new(0));
    let connected = Arc::new(AtomicU64::new(0));
    let mut listeners = Vec::new();
    for _ in 0..SSE_CLIENTS {
        let (events, lagged, connected) = (events.clone(), lagged.clone(), connected.clone());
        let url = format!("http://{addr}/api/events");
        listeners.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let Ok(mut resp) = client.get(url).send().await else {
                return;
            };
            connected.fetch_add(1, Ordering::Relaxed);
            while let Ok(Some(chunk)) = resp.chunk().await {
                let text = String::from_utf8_lossy(&chunk);
                events.fetch_add(text.matches("event: ").count() as u64, Ordering::Relaxed);
                lagged.fetch_add(
                    text.matches("event: lagged").count() as u64,
                    Ordering::Relaxed,
                );
            }
        }));
    }
    while connected.load(Ordering::Relaxed) < SSE_CLIENTS as u64 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let client = reqwest::Client::new();
    let url = format!("http://{addr}/api/status");
    let events_before = events.load(Ordering::Relaxed);
    let started = Instant::now();
    let mut lat = Vec::with_capacity(REQUESTS);
    for _ in 0..REQUESTS {
        let t = Instant::now();
        let resp = client.get(&url).send().await?;
        if !resp.status().is_success() {
            return Err(format!("GET /api/status: {}", resp.status()).into());
        }
        let body = resp.bytes().await?;
        lat.push(t.elapsed());
        if body.len() < 100 {
            return Err("short status body".into());
        }
    }
    let wall = started.elapsed();
    let events_during = events.load(Ordering::Relaxed) - events_before;
    lat.sort();

    running.store(false, Ordering::Relaxed);
    let _ = engine.join();
    hub.close();
    let _ = stop_tx.send(());
    for l in listeners {
        let _ = l.await;
    }
    let _ = server.await;

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "status JSON: {size} bytes; SSE clients: {SSE_CLIENTS}; requests: {REQUESTS} in {:.2} s",
        wall.as_secs_f64()
    );
    println!(
        "GET /api/status latency: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        ms(percentile(&lat, 0.50)),
        ms(percentile(&lat, 0.99)),
        ms(*lat.last().unwrap_or(&Duration::ZERO))
    );
    println!(
        "SSE events delivered while measuring: {events_during} ({:.0}/s over all clients); lagged events: {}",
        events_during as f64 / wall.as_secs_f64(),
        lagged.load(Ordering::Relaxed)
    );
    Ok(())
}
