//! Admin endpoints for a mock running as a separate process (chaos tests):
//! `POST /mock/fault` (a JSON [`Fault`]), `POST /mock/trade` (`{"side","price","qty"}`, decimals
//! as strings), `GET /mock/ledger` (the [`crate::LedgerView`] as JSON), `POST /mock/clock`
//! (`{"advance_ms": n}`).
//!
//! Invariant: bad input gets a 400 with a one-line reason; nothing is applied.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use flywheel_core::{Price, Qty, Side};
use serde::Deserialize;

use crate::faults::Fault;
use crate::server::Shared;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/mock/fault", post(fault))
        .route("/mock/trade", post(trade))
        .route("/mock/ledger", get(ledger))
        .route("/mock/clock", post(clock))
}

type Answer = (StatusCode, String);

fn parse<T: for<'de> Deserialize<'de>>(body: &str) -> Result<T, Answer> {
    serde_json::from_str(body).map_err(|e| (StatusCode::BAD_REQUEST, format!("bad request: {e}\n")))
}

async fn fault(State(sh): State<Arc<Shared>>, body: String) -> Answer {
    match parse::<Fault>(&body) {
        Ok(f) => {
            sh.inject(f);
            (StatusCode::OK, "{}".into())
        }
        Err(e) => e,
    }
}

/// A print; decimals are strings (exact).
#[derive(Deserialize)]
struct TradeReq {
    side: Side,
    price: Price,
    qty: Qty,
}

async fn trade(State(sh): State<Arc<Shared>>, body: String) -> Answer {
    let t = match parse::<TradeReq>(&body) {
        Ok(t) => t,
        Err(e) => return e,
    };
    match sh.trade(t.side, t.price, t.qty) {
        Ok(id) => (StatusCode::OK, format!("{{\"trade_id\":{id}}}")),
        Err(e) => (StatusCode::BAD_REQUEST, format!("{e}\n")),
    }
}

async fn ledger(State(sh): State<Arc<Shared>>) -> Json<crate::LedgerView> {
    Json(sh.lock().ledger_view())
}

#[derive(Deserialize)]
struct ClockReq {
    advance_ms: i64,
}

async fn clock(State(sh): State<Arc<Shared>>, body: String) -> Answer {
    match parse::<ClockReq>(&body) {
        Ok(c) => {
            sh.clock.advance(c.advance_ms);
            (StatusCode::OK, "{}".into())
        }
        Err(e) => e,
    }
}
