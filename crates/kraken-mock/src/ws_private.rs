//! The private WebSocket (`/v2-auth`): `executions` and `balances` (snapshot then updates),
//! and the trading methods `add_order`, `amend_order`, `cancel_order`, `batch_add`,
//! `batch_cancel`, `cancel_all`, `cancel_all_orders_after`; `status`, `heartbeat`, `ping`.
//!
//! Invariants:
//! - Every subscription and every trading request needs a valid token
//!   (`ESession:Invalid session` for an unknown, expired or revoked one).
//! - `sequence` counts each channel's frames on this connection, from 1 (the snapshot).
//! - Updates published at or before a snapshot are skipped (state sequence numbers), so no
//!   execution is both in a snapshot and repeated after it — except the faults that duplicate
//!   or reorder on purpose.
//! - `WsDropAfterAddOrder`: the add is applied, then the socket closes with no reply.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use flywheel_core::{Side, Timestamp};
use futures_util::StreamExt;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::MissedTickBehavior;

use crate::faults::Feed;
use crate::frames::{self, BalanceSnapshotRow, ExecRow, Num, Wallet};
use crate::orders::{AddRequest, OrderRef};
use crate::rest::rfc3339_secs;
use crate::server::Shared;
use crate::state::{MockState, OrderState, PrivateOut};
use crate::wsreq::{
    send, AmendParams, BatchAddParams, CancelParams, DeadManParams, OrderParams, Request,
    SubscribeParams, TokenOnly,
};

pub async fn upgrade(ws: WebSocketUpgrade, State(sh): State<Arc<Shared>>) -> Response {
    ws.on_upgrade(move |socket| run(sh, socket))
}

/// This connection's subscriptions and frame counters.
#[derive(Default)]
struct Conn {
    /// State sequence of the executions snapshot (`None`: not subscribed).
    executions: Option<u64>,
    ratecounter: bool,
    balances: Option<u64>,
    exec_seq: u64,
    bal_seq: u64,
    /// A frame held back by `ReorderExecutions`.
    held: Option<String>,
}

/// What the request handler wants done.
enum Step {
    Send(Vec<String>),
    /// Close the socket without a reply.
    Drop,
}

async fn run(sh: Arc<Shared>, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let mut rx = sh.private_tx.subscribe();
    let mut drop_rx = sh.private.drop_gen.subscribe();
    drop_rx.mark_unchanged();
    let mut stop = sh.shutdown.subscribe();
    let mut hb = tokio::time::interval(sh.cfg.heartbeat);
    hb.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut conn = Conn::default();
    let status = frames::status(sh.lock().status.as_str(), 2);
    if !send(&sh, Feed::Private, &mut sink, &status).await {
        return;
    }
    loop {
        let out: Vec<String> = tokio::select! {
            msg = stream.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t.to_string(),
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                match handle(&sh, &mut conn, &text) {
                    Step::Send(v) => v,
                    Step::Drop => return,
                }
            }
            ev = rx.recv() => match ev {
                Ok(ev) => frames_for(&mut conn, ev),
                Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => return,
            },
            _ = hb.tick() => {
                let subscribed = conn.executions.is_some() || conn.balances.is_some();
                if subscribed && sh.private.stalled_until().is_none() {
                    vec![frames::heartbeat()]
                } else {
                    Vec::new()
                }
            }
            _ = drop_rx.changed() => return,
            _ = crate::server::stopped(&mut stop) => return,
        };
        for text in out {
            if !send(&sh, Feed::Private, &mut sink, &text).await {
                return;
            }
        }
    }
}

/// The frames one published event gives on this connection.
fn frames_for(conn: &mut Conn, ev: PrivateOut) -> Vec<String> {
    match ev {
        PrivateOut::Status { text, .. } => vec![text.to_string()],
        PrivateOut::Balances { seq, rows } => match conn.balances {
            Some(snap) if seq > snap => {
                conn.bal_seq += 1;
                vec![frames::feed(
                    "balances",
                    "update",
                    &*rows,
                    Some(conn.bal_seq),
                )]
            }
            _ => Vec::new(),
        },
        PrivateOut::Executions {
            seq,
            rows,
            ratecount,
            twice,
            hold,
        } => match conn.executions {
            Some(snap) if seq > snap => {
                let rows: Vec<ExecRow> = rows
                    .iter()
                    .cloned()
                    .map(|mut r| {
                        if conn.ratecounter {
                            r.ratecount = Some(Num::new(ratecount, 0));
                        }
                        r
                    })
                    .collect();
                conn.exec_seq += 1;
                let text = frames::feed("executions", "update", rows, Some(conn.exec_seq));
                if hold && conn.held.is_none() {
                    conn.held = Some(text);
                    return Vec::new();
                }
                let mut out = vec![text.clone()];
                if twice {
                    out.push(text);
                }
                out.extend(conn.held.take());
                out
            }
            _ => Vec::new(),
        },
    }
}

fn refs(p: &CancelParams) -> Vec<OrderRef> {
    let ids = p.order_id.iter().flatten().chain(p.orders.iter().flatten());
    ids.map(|t| OrderRef::Txid(t.clone()))
        .chain(
            p.cl_ord_id
                .iter()
                .flatten()
                .map(|c| OrderRef::ClOrdId(c.clone())),
        )
        .collect()
}

fn add_request(
    sh: &Shared,
    p: &OrderParams,
    batch_symbol: Option<&str>,
) -> Result<AddRequest, String> {
    let symbol = p.symbol.as_deref().or(batch_symbol).unwrap_or("");
    if symbol != sh.cfg.names.symbol {
        return Err(format!("Currency pair not supported {symbol}"));
    }
    if p.order_type.as_deref() != Some("limit") {
        return Err("EGeneral:Invalid arguments:order_type".into());
    }
    let side = match p.side.as_deref() {
        Some("buy") => Side::Buy,
        Some("sell") => Side::Sell,
        _ => return Err("EGeneral:Invalid arguments:side".into()),
    };
    let price = p
        .limit_price
        .as_ref()
        .ok_or("EGeneral:Invalid arguments:limit_price")?;
    let qty = p
        .order_qty
        .as_ref()
        .ok_or("EGeneral:Invalid arguments:order_qty")?;
    Ok(AddRequest {
        side,
        price: price.price(),
        qty: qty.qty(),
        cl_ord_id: p.cl_ord_id.clone(),
        post_only: p.post_only == Some(true),
        ioc: crate::orders::time_in_force_ioc(p.time_in_force.as_deref())?,
    })
}

fn handle(sh: &Shared, conn: &mut Conn, text: &str) -> Step {
    let t_in = sh.now();
    let Some(req) = Request::parse(text) else {
        return Step::Send(vec![frames::reply_err(
            "unknown",
            None,
            "EGeneral:Invalid arguments",
            None,
            t_in,
            sh.now(),
        )]);
    };
    let id = req.req_id();
    let method = req.method.clone();
    let err = |e: &str| {
        Step::Send(vec![frames::reply_err(
            &method,
            id,
            e,
            None,
            t_in,
            sh.now(),
        )])
    };
    if method == "ping" {
        return Step::Send(vec![frames::pong(id, t_in, sh.now())]);
    }
    if method == "subscribe" || method == "unsubscribe" {
        let p: SubscribeParams = match req.params() {
            Ok(p) => p,
            Err(e) => return err(&e),
        };
        return match subscribe(sh, conn, &method, id, &p, t_in) {
            Ok(frames) => Step::Send(frames),
            Err(e) => err(&e),
        };
    }
    let token = match req.params::<TokenOnly>() {
        Ok(t) => t.token,
        Err(e) => return err(&e),
    };
    let mut st = sh.lock();
    let now = sh.now();
    if let Err(e) = st.check_token(token.as_deref(), now, false) {
        return err(e);
    }
    if let Some(e) = st.faults.take_refusal(&method, false) {
        return err(e);
    }
    let ok = |result: serde_json::Value| frames::reply_ok(&method, id, result, t_in, sh.now());
    match method.as_str() {
        "add_order" => {
            let drop_after = st.faults.take_drop_after_add();
            let res = req
                .params::<OrderParams>()
                .and_then(|p| add_request(sh, &p, None))
                .and_then(|r| st.add_order(&r, now));
            if drop_after {
                return Step::Drop;
            }
            match res {
                Ok(a) => Step::Send(vec![ok(
                    serde_json::json!({"order_id": a.txid, "cl_ord_id": a.cl_ord_id}),
                )]),
                Err(e) => err(&e),
            }
        }
        "amend_order" => {
            let res = req.params::<AmendParams>().and_then(|p| {
                let r = match (p.order_id, p.cl_ord_id) {
                    (Some(t), _) => OrderRef::Txid(t),
                    (None, Some(c)) => OrderRef::ClOrdId(c),
                    _ => return Err("EGeneral:Invalid arguments:order_id".to_string()),
                };
                let qty = p.order_qty.map(|q| q.qty());
                let price = p.limit_price.map(|q| q.price());
                st.amend_order(&r, qty, price, now)
            });
            match res {
                Ok(a) => Step::Send(vec![ok(
                    serde_json::json!({"amend_id": a.amend_id, "order_id": a.txid, "cl_ord_id": a.cl_ord_id}),
                )]),
                Err(e) => err(&e),
            }
        }
        "cancel_order" | "batch_cancel" => {
            let res = req.params::<CancelParams>().and_then(|p| {
                let r = refs(&p);
                if method == "batch_cancel" && !(2..=50).contains(&r.len()) {
                    return Err("EGeneral:Invalid arguments:orders".to_string());
                }
                st.cancel_orders(&r, now)
            });
            match res {
                Ok(done) if method == "batch_cancel" => {
                    Step::Send(vec![ok(serde_json::json!({"count": done.len()}))])
                }
                Ok(done) => Step::Send(
                    done.into_iter()
                        .map(|(t, c)| ok(serde_json::json!({"order_id": t, "cl_ord_id": c})))
                        .collect(),
                ),
                Err(e) => err(&e),
            }
        }
        "batch_add" => {
            let res = req.params::<BatchAddParams>().and_then(|p| {
                let reqs = p
                    .orders
                    .iter()
                    .map(|o| add_request(sh, o, p.symbol.as_deref()))
                    .collect::<Result<Vec<_>, _>>()?;
                st.add_batch(&reqs, now)
            });
            match res {
                Ok(results) => {
                    let all_ok = results.iter().all(Result::is_ok);
                    let entries: Vec<serde_json::Value> = results
                        .into_iter()
                        .map(|r| match r {
                            Ok(a) if all_ok => serde_json::json!({"order_id": a.txid, "cl_ord_id": a.cl_ord_id}),
                            Ok(a) => serde_json::json!({"order_id": a.txid, "cl_ord_id": a.cl_ord_id, "success": true}),
                            Err(e) => serde_json::json!({"success": false, "error": e}),
                        })
                        .collect();
                    let result = if all_ok {
                        serde_json::Value::Array(entries)
                    } else {
                        serde_json::json!({ "orders": entries })
                    };
                    Step::Send(vec![ok(result)])
                }
                Err(e) => err(&e),
            }
        }
        "cancel_all" => {
            let n = st.cancel_all(now, "User requested");
            Step::Send(vec![ok(serde_json::json!({"count": n}))])
        }
        "cancel_all_orders_after" => match req.params::<DeadManParams>() {
            Ok(p) if p.timeout < 86_400 => {
                let trigger = st.cancel_all_after(p.timeout, now);
                Step::Send(vec![ok(serde_json::json!({
                    "currentTime": rfc3339_secs(now),
                    "triggerTime": trigger.map_or_else(|| "0".to_string(), rfc3339_secs),
                }))])
            }
            Ok(_) => err("EGeneral:Invalid arguments:timeout"),
            Err(e) => err(&e),
        },
        _ => err("EGeneral:Unknown method"),
    }
}

fn subscribe(
    sh: &Shared,
    conn: &mut Conn,
    method: &str,
    id: Option<u64>,
    p: &SubscribeParams,
    t_in: Timestamp,
) -> Result<Vec<String>, String> {
    let channel = p.channel.as_str();
    if !matches!(channel, "executions" | "balances") {
        return Err("EGeneral:Invalid arguments:channel".into());
    }
    let mut st = sh.lock();
    let now = sh.now();
    st.check_token(p.token.as_deref(), now, true)?;
    let unsub = method == "unsubscribe";
    let seq = st.seq();
    let ack = frames::reply_ok(
        method,
        id,
        serde_json::json!({ "channel": channel }),
        t_in,
        now,
    );
    if unsub {
        match channel {
            "executions" => conn.executions = None,
            _ => conn.balances = None,
        }
        return Ok(vec![ack]);
    }
    let mut out = vec![ack];
    if channel == "executions" {
        conn.executions = Some(seq);
        conn.ratecounter = p.ratecounter == Some(true);
        conn.exec_seq = 1;
        let mut rows = Vec::new();
        if p.snap_orders != Some(false) {
            rows.extend(open_order_rows(&st));
        }
        if p.snap_trades == Some(true) {
            rows.extend(trade_rows(&st));
        }
        if conn.ratecounter {
            let rc = Num::new(st.counter.value_at(now), 0);
            for r in &mut rows {
                r.ratecount = Some(rc.clone());
            }
        }
        out.push(frames::feed("executions", "snapshot", rows, Some(1)));
    } else {
        conn.balances = Some(seq);
        conn.bal_seq = 1;
        out.push(frames::feed(
            "balances",
            "snapshot",
            balance_rows(&mut st),
            Some(1),
        ));
    }
    Ok(out)
}

/// Open orders as snapshot rows (`exec_type: new`, current status and fills).
fn open_order_rows(st: &MockState) -> Vec<ExecRow> {
    let (pdp, qdp) = (
        st.cfg.instrument.price_decimals,
        st.cfg.instrument.volume_decimals,
    );
    st.orders
        .values()
        .filter(|o| o.state == OrderState::Open)
        .map(|o| ExecRow {
            order_id: o.txid.clone(),
            cl_ord_id: Some(o.cl_ord_id.clone()),
            symbol: st.cfg.names.symbol.clone(),
            side: Some(o.side.as_str()),
            order_type: Some("limit"),
            order_qty: Some(Num::new(o.qty.fixed(), qdp)),
            limit_price: Some(Num::new(o.price.fixed(), pdp)),
            time_in_force: Some("GTC"),
            post_only: Some(true),
            cum_qty: Some(Num::new(o.filled.fixed(), qdp)),
            cum_cost: Some(Num::new(o.cost.fixed(), pdp)),
            order_status: if o.filled.is_zero() {
                "new"
            } else {
                "partially_filled"
            },
            exec_type: "new",
            fee_usd_equiv: Some(Num::new(o.fee.fixed(), pdp)),
            timestamp: frames::ws_time(o.opened),
            ..ExecRow::default()
        })
        .collect()
}

/// The last 50 fills as `trade` rows, oldest first.
fn trade_rows(st: &MockState) -> Vec<ExecRow> {
    let (pdp, qdp) = (
        st.cfg.instrument.price_decimals,
        st.cfg.instrument.volume_decimals,
    );
    let skip = st.trades.len().saturating_sub(50);
    st.trades
        .iter()
        .skip(skip)
        .map(|t| ExecRow {
            order_id: t.ordertxid.clone(),
            cl_ord_id: Some(t.cl_ord_id.clone()),
            symbol: st.cfg.names.symbol.clone(),
            exec_id: Some(t.txid.clone()),
            trade_id: Some(t.trade_id),
            side: Some(t.side.as_str()),
            order_type: Some("limit"),
            last_qty: Some(Num::new(t.qty.fixed(), qdp)),
            last_price: Some(Num::new(t.price.fixed(), pdp)),
            liquidity_ind: Some("m"),
            cost: Some(Num::new(t.cost.fixed(), pdp)),
            order_status: st
                .orders
                .get(&t.ordertxid)
                .map_or("filled", |o| match o.state {
                    OrderState::Open => "partially_filled",
                    OrderState::Closed => "filled",
                    OrderState::Canceled => "canceled",
                }),
            exec_type: "trade",
            fees: Some(vec![frames::FeeEntry {
                asset: st.cfg.names.ws_quote.clone(),
                qty: Num::new(t.fee.fixed(), pdp),
            }]),
            fee_usd_equiv: Some(Num::new(t.fee.fixed(), pdp)),
            timestamp: frames::ws_time(t.time),
            ..ExecRow::default()
        })
        .collect()
}

/// The balances snapshot: both assets' totals (v2 names).
fn balance_rows(st: &mut MockState) -> Vec<BalanceSnapshotRow> {
    let (base, quote) = st.ws_balances;
    let qdp = st.cfg.instrument.volume_decimals;
    let row = |asset: &str, v: flywheel_core::Fixed, dp: u32| BalanceSnapshotRow {
        asset: asset.to_string(),
        asset_class: "currency",
        balance: Num::new(v, dp),
        wallets: vec![Wallet {
            kind: "spot",
            id: "main",
            balance: Num::new(v, dp),
        }],
    };
    vec![
        row(&st.cfg.names.ws_quote, quote.fixed(), 4),
        row(&st.cfg.names.ws_base, base.fixed(), qdp),
    ]
}
