//! REST handlers: public `GET /0/public/<Method>` and private `POST /0/private/<Method>`.
//!
//! Invariants:
//! - Every answer is HTTP 200 with `{"error":[...],"result":...}` (Kraken signals errors in the
//!   array), except the injected `HttpErrorAfterApply` pages.
//! - A private call is checked in this order, each failure refusing it with nothing applied:
//!   `API-Key` (`EAPI:Invalid key`), `API-Sign` over the exact body
//!   (`EAPI:Invalid signature`), the nonce strictly above the last accepted one
//!   (`EAPI:Invalid nonce`, not consumed), then the refusal faults. Only then is the endpoint
//!   applied; the after-apply faults change only the answer.
//! - Decimals are read exactly from the form text; a malformed value is
//!   `EGeneral:Invalid arguments:<field>`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use flywheel_core::{Fixed, Price, Qty, Side, Timestamp};
use serde::Serialize;

use crate::faults::{error_page, AfterApply};
use crate::orders::{time_in_force_ioc, AddRequest, OrderRef};
use crate::server::Shared;
use crate::state::MockState;

fn response(status: StatusCode, content_type: &str, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::from("mock: cannot build a response")))
}

fn json(body: String) -> Response {
    response(StatusCode::OK, "application/json", body)
}

#[derive(Serialize)]
struct Ok<T: Serialize> {
    error: [&'static str; 0],
    result: T,
}

/// `{"error":[],"result":…}`.
pub fn ok_body<T: Serialize>(result: T) -> String {
    serde_json::to_string(&Ok { error: [], result })
        .unwrap_or_else(|e| err_body(&format!("EGeneral:Internal error: {e}")))
}

/// `{"error":[e]}`.
pub fn err_body(e: &str) -> String {
    serde_json::json!({ "error": [e] }).to_string()
}

type Answer = Result<String, String>;

/// Public endpoints.
pub async fn public(State(sh): State<Arc<Shared>>, Path(method): Path<String>) -> Response {
    let st = sh.lock();
    let body = match method.as_str() {
        "SystemStatus" => ok_body(serde_json::json!({
            "status": st.status.as_str(),
            "timestamp": rfc3339_secs(sh.now()),
        })),
        "Time" => {
            let now = sh.now();
            ok_body(serde_json::json!({ "unixtime": now.millis().div_euclid(1000) }))
        }
        "AssetPairs" => ok_body(asset_pairs(&st)),
        "Ticker" => ok_body(st.rest_ticker()),
        _ => err_body("EGeneral:Unknown method"),
    };
    json(body)
}

fn asset_pairs(st: &MockState) -> serde_json::Value {
    let i = &st.cfg.instrument;
    let n = &st.cfg.names;
    serde_json::json!({
        n.rest_pair.clone(): {
            "altname": n.rest_pair,
            "wsname": n.wsname,
            "aclass_base": "currency",
            "base": n.rest_base,
            "aclass_quote": "currency",
            "quote": n.rest_quote,
            "lot": "unit",
            "cost_decimals": 5,
            "pair_decimals": i.price_decimals,
            "lot_decimals": i.volume_decimals,
            "lot_multiplier": 1,
            "leverage_buy": [],
            "leverage_sell": [],
            "fees": [],
            "fees_maker": [],
            "fee_volume_currency": "ZUSD",
            "margin_call": 80,
            "margin_stop": 40,
            "ordermin": i.min_volume.to_string(),
            "costmin": i.min_cost.to_string(),
            "tick_size": i.tick.to_string(),
            "status": "online",
        }
    })
}

/// `TradeVolume`: the configured fees as the account's current tier, for the mock's pair
/// (when `pair` names it or is absent). Volume is the notional traded so far.
fn trade_volume(st: &MockState, pair: Option<&str>) -> serde_json::Value {
    let names = &st.cfg.names;
    let i = &st.cfg.instrument;
    let fee = |pct: flywheel_core::Ratio| {
        serde_json::json!({
            "fee": pct.to_string(),
            "minfee": "0",
            "maxfee": pct.to_string(),
            "nextfee": serde_json::Value::Null,
            "tiervolume": "0",
            "nextvolume": serde_json::Value::Null,
        })
    };
    let ours = pair.is_none_or(|p| p == names.rest_pair || p == names.symbol);
    let mut fees = serde_json::Map::new();
    let mut fees_maker = serde_json::Map::new();
    if ours {
        fees.insert(names.rest_pair.clone(), fee(i.taker_fee_pct));
        fees_maker.insert(names.rest_pair.clone(), fee(i.maker_fee_pct));
    }
    serde_json::json!({
        "currency": names.rest_quote,
        "volume": st
            .trades
            .iter()
            .try_fold(flywheel_core::Quote::ZERO, |sum, t| sum.checked_add(t.cost))
            .map_or_else(|_| "0".to_string(), |v| v.to_string()),
        "fees": fees,
        "fees_maker": fees_maker,
    })
}

/// RFC 3339 to the second (`2025-10-10T12:00:00Z`).
pub fn rfc3339_secs(t: Timestamp) -> String {
    let floored = Timestamp::from_millis(t.millis().div_euclid(1000) * 1000);
    flywheel_kraken::time::format_rfc3339(floored).replace(".000Z", "Z")
}

/// Private endpoints.
pub async fn private(
    State(sh): State<Arc<Shared>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let now = sh.now();
    let (answer, after) = {
        let mut st = sh.lock();
        handle_private(&sh, &mut st, &method, &headers, &body, now)
    };
    let body = match answer {
        Ok(b) => b,
        Err(e) => err_body(&e),
    };
    match after {
        AfterApply::Answer => json(body),
        AfterApply::HttpError { status, html } => {
            let (ct, page) = error_page(status, html);
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            response(code, ct, page)
        }
        AfterApply::Hold => {
            let mut stop = sh.shutdown.subscribe();
            tokio::select! {
                _ = tokio::time::sleep(sh.cfg.timeout_hold) => {}
                _ = crate::server::stopped(&mut stop) => {}
            }
            json(body)
        }
    }
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Form fields in order (the last value wins on repeats).
struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, k: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }
    fn decimal(&self, k: &str) -> Result<Option<Fixed>, String> {
        self.get(k)
            .map(|v| {
                flywheel_kraken::wire::parse_exact(v)
                    .map_err(|_| format!("EGeneral:Invalid arguments:{k}"))
            })
            .transpose()
    }
    fn flag(&self, k: &str) -> bool {
        self.get(k).is_some_and(|v| v == "true" || v == "1")
    }
    fn usize(&self, k: &str) -> Result<usize, String> {
        self.get(k).map_or(Ok(0), |v| {
            v.parse()
                .map_err(|_| format!("EGeneral:Invalid arguments:{k}"))
        })
    }
}

fn handle_private(
    sh: &Shared,
    st: &mut MockState,
    method: &str,
    headers: &HeaderMap,
    body: &str,
    now: Timestamp,
) -> (Answer, AfterApply) {
    let refused = |e: &str| (Err(e.to_string()), AfterApply::Answer);
    if header_str(headers, "API-Key") != Some(sh.cfg.api_key.as_str()) {
        return refused("EAPI:Invalid key");
    }
    let form = Form(
        form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect(),
    );
    let Some(nonce) = form.get("nonce").and_then(|n| n.parse::<u64>().ok()) else {
        return refused("EAPI:Invalid nonce");
    };
    let path = format!("/0/private/{method}");
    let signed = flywheel_kraken::sign::api_sign(&sh.secret, &path, nonce, body);
    if signed.ok().as_deref() != header_str(headers, "API-Sign") {
        return refused("EAPI:Invalid signature");
    }
    if st.faults.take_invalid_nonce() || !st.accept_nonce(nonce) {
        return refused("EAPI:Invalid nonce");
    }
    if let Some(e) = st.faults.take_refusal(method, true) {
        return refused(e);
    }
    let answer = apply(sh, st, method, &form, now);
    let after = st.faults.take_after_apply(method);
    (answer, after)
}

fn apply(sh: &Shared, st: &mut MockState, method: &str, f: &Form, now: Timestamp) -> Answer {
    match method {
        "BalanceEx" => Ok(ok_body(st.rest_balances())),
        "TradeVolume" => Ok(ok_body(trade_volume(st, f.get("pair")))),
        "OpenOrders" => Ok(ok_body(
            st.rest_open_orders(f.get("cl_ord_id"), f.flag("trades")),
        )),
        "QueryOrders" => {
            let txids = f.get("txid").ok_or("EGeneral:Invalid arguments:txid")?;
            st.rest_query_orders(txids, f.flag("trades")).map(ok_body)
        }
        "ClosedOrders" => st
            .rest_closed_orders(
                f.get("cl_ord_id"),
                f.get("start"),
                f.get("end"),
                f.usize("ofs")?,
                f.flag("trades"),
            )
            .map(ok_body),
        "TradesHistory" => st
            .rest_trades_history(f.get("start"), f.get("end"), f.usize("ofs")?)
            .map(ok_body),
        "AddOrder" => add_order(st, f, now),
        "CancelOrder" => {
            let r = match (f.get("txid"), f.get("cl_ord_id")) {
                (Some(t), _) => OrderRef::Txid(t.to_string()),
                (None, Some(c)) => OrderRef::ClOrdId(c.to_string()),
                (None, None) => return Err("EGeneral:Invalid arguments:txid".into()),
            };
            let done = st.cancel_orders(&[r], now)?;
            Ok(ok_body(serde_json::json!({ "count": done.len() })))
        }
        "CancelAll" => {
            let n = st.cancel_all(now, "User requested");
            Ok(ok_body(serde_json::json!({ "count": n })))
        }
        "AmendOrder" => {
            let r = match (f.get("txid"), f.get("cl_ord_id")) {
                (Some(t), _) => OrderRef::Txid(t.to_string()),
                (None, Some(c)) => OrderRef::ClOrdId(c.to_string()),
                (None, None) => return Err("EGeneral:Invalid arguments:txid".into()),
            };
            let qty = f.decimal("order_qty")?.map(Qty::new);
            let price = f.decimal("limit_price")?.map(Price::new);
            let a = st.amend_order(&r, qty, price, now)?;
            Ok(ok_body(serde_json::json!({ "amend_id": a.amend_id })))
        }
        "CancelAllOrdersAfter" => {
            let timeout = f
                .get("timeout")
                .and_then(|t| t.parse::<u64>().ok())
                .filter(|t| *t < 86_400)
                .ok_or("EGeneral:Invalid arguments:timeout")?;
            let trigger = st.cancel_all_after(timeout, now);
            Ok(ok_body(serde_json::json!({
                "currentTime": rfc3339_secs(now),
                "triggerTime": trigger.map_or_else(|| "0".to_string(), rfc3339_secs),
            })))
        }
        "GetWebSocketsToken" => {
            let token = st.issue_token(now);
            Ok(ok_body(serde_json::json!({
                "token": token,
                "expires": sh.cfg.token_lifetime.as_secs(),
            })))
        }
        _ => Err("EGeneral:Unknown method".into()),
    }
}

/// Accepted `pair` spellings: the REST key/altname and the slash-less v2 symbol (`DOGEUSD`);
/// never `XXDGZUSD` (kraken.md §3.8).
fn pair_ok(st: &MockState, pair: &str) -> bool {
    let n = &st.cfg.names;
    pair == n.rest_pair || pair == n.symbol.replace('/', "")
}

fn add_order(st: &mut MockState, f: &Form, now: Timestamp) -> Answer {
    if !f.get("pair").is_some_and(|p| pair_ok(st, p)) {
        return Err("EQuery:Unknown asset pair".into());
    }
    let side = match f.get("type") {
        Some("buy") => Side::Buy,
        Some("sell") => Side::Sell,
        _ => return Err("EGeneral:Invalid arguments:type".into()),
    };
    if f.get("ordertype") != Some("limit") {
        return Err("EGeneral:Invalid arguments:ordertype".into());
    }
    let price = f
        .decimal("price")?
        .ok_or("EGeneral:Invalid arguments:price")?;
    let qty = f
        .decimal("volume")?
        .ok_or("EGeneral:Invalid arguments:volume")?;
    let flags = f.get("oflags").unwrap_or("");
    let req = AddRequest {
        side,
        price: Price::new(price),
        qty: Qty::new(qty),
        cl_ord_id: f.get("cl_ord_id").map(str::to_string),
        post_only: flags.split(',').any(|x| x.trim() == "post"),
        ioc: time_in_force_ioc(f.get("timeinforce"))?,
    };
    if f.flag("validate") {
        return Ok(ok_body(serde_json::json!({
            "descr": { "order": format!("{} {} {} @ limit {}", side, req.qty, st.cfg.names.rest_pair, req.price) }
        })));
    }
    let acc = st.add_order(&req, now)?;
    Ok(ok_body(serde_json::json!({
        "descr": { "order": acc.descr },
        "txid": [acc.txid],
    })))
}
