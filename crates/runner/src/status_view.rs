//! What the operator sees: the `/api/status` document of a running session, built on the
//! engine thread from the engine's own status (its seed-named blocks kept at top level,
//! names unchanged) plus what only a session knows — run, connectivity, balances, equity,
//! open orders and the slot table that pairs each entry with its exit.
//!
//! Invariants:
//! - **One source.** Every figure is read from the engine or the venue at the moment of
//!   the call; nothing here keeps state, so the view can never drift from the engine.
//! - **Exact money.** Prices, quantities and amounts are decimal strings, as the engine
//!   serializes them; only ratios and gauges are numbers.
//! - The engine's own keys win: the session's keys are added only where the engine's
//!   status does not already have them.

use flywheel_core::{Price, Side};
use flywheel_engine::maker_journal::MakerSink;
use flywheel_engine::maker_run::MakerEngine;
use flywheel_engine::{Engine, JournalSink, Track};
use flywheel_grid::Role;
use flywheel_venue::{Balances, Venue};
use serde_json::{json, Map, Value};

/// What a session knows about itself that the engine does not.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// `paper`, `live` or `replay`.
    pub mode: String,
    /// `mock` or `kraken`.
    pub venue: String,
    pub symbol: String,
    pub base_asset: String,
    pub quote_asset: String,
    /// Wall time the session started, ms since the epoch.
    pub started_at: i64,
}

/// The session's live figures beside the engine's: set by the caller each time.
#[derive(Clone, Debug, Default)]
pub struct SessionFacts {
    /// False until the restart reconciliation is done.
    pub ready: bool,
    /// `connectivity` block of the contract (feeds, dead-man switch, reconcile, rate counter).
    pub connectivity: Value,
    /// The time of the engine's last step, ms since the epoch.
    pub now: i64,
}

/// The grid's `/api/status` document.
pub fn grid_view<V: Venue, J: JournalSink>(
    engine: &Engine<V, J>,
    run: &RunInfo,
    facts: &SessionFacts,
) -> Value {
    let mut doc = as_object(serde_json::to_value(engine.status()));
    let halt = match engine.mode() {
        flywheel_engine::RunMode::Halted(why) => Value::String(why.clone()),
        _ => Value::Null,
    };
    let balances = engine.venue().balances();
    let mark = engine.mark();
    let start = engine.start_balances();
    let realized: flywheel_core::Quote = engine.slots().iter().map(|s| s.state.total_profit).sum();
    let fees: flywheel_core::Quote = engine.slots().iter().map(|s| s.state.total_fees).sum();
    let equity = json!({
        "quote": flywheel_engine::stats::equity_at(&balances, mark).to_string(),
        "hold_quote": flywheel_engine::stats::equity_at(&start, mark).to_string(),
        "realized_quote": realized.to_string(),
        "fees_quote": fees.to_string(),
    });
    let orders: Vec<Value> = engine
        .orders()
        .map(|(id, t)| grid_order(engine, id.as_str(), t))
        .collect();
    add_common(
        &mut doc,
        "grid",
        run,
        facts,
        halt,
        balances_view(&balances, run),
        equity,
        orders,
    );
    doc.insert("slot_table".into(), Value::Array(slot_table(engine)));
    Value::Object(doc)
}

/// The maker's `/api/status` document.
pub fn maker_view<V: Venue, J: MakerSink>(
    maker: &MakerEngine<V, J>,
    run: &RunInfo,
    facts: &SessionFacts,
) -> Value {
    let mut doc = as_object(serde_json::to_value(maker.status()));
    let balances = maker.venue().balances();
    let mid = maker.mid();
    let equity = json!({
        "quote": flywheel_engine::stats::equity_at(&balances, mid).to_string(),
        "realized_quote": maker.fifo().realized().to_string(),
    });
    let orders: Vec<Value> = maker
        .orders()
        .filter(|(_, o)| o.state.is_live())
        .map(|(id, o)| {
            json!({
                "cl_ord_id": id.as_str(),
                "side": side_name(o.side),
                "price": o.price.to_string(),
                "qty": o.qty.to_string(),
                "filled": o.filled.to_string(),
                "role": crate::maker_order_log::role_name(Some(o.role)),
                "slot": Value::Null,
                "state": state_name(o.state),
            })
        })
        .collect();
    let halt = maker.halted().map_or(Value::Null, Value::from);
    add_common(
        &mut doc,
        "maker",
        run,
        facts,
        halt,
        balances_view(&balances, run),
        equity,
        orders,
    );
    Value::Object(doc)
}

fn as_object(v: Result<Value, serde_json::Error>) -> Map<String, Value> {
    match v {
        Ok(Value::Object(m)) => m,
        // A status that does not serialize is a bug; the view still says so instead of
        // taking the server down.
        Ok(other) => Map::from_iter([("engine_status".to_string(), other)]),
        Err(e) => Map::from_iter([(
            "engine_status_error".to_string(),
            Value::String(e.to_string()),
        )]),
    }
}

#[allow(clippy::too_many_arguments)]
fn add_common(
    doc: &mut Map<String, Value>,
    strategy: &str,
    run: &RunInfo,
    facts: &SessionFacts,
    halt: Value,
    balances: Value,
    equity: Value,
    orders: Vec<Value>,
) {
    let mut put = |k: &str, v: Value| {
        doc.entry(k.to_string()).or_insert(v);
    };
    put("strategy", Value::String(strategy.into()));
    put("symbol", Value::String(run.symbol.clone()));
    put(
        "run",
        json!({
            "mode": run.mode,
            "venue": run.venue,
            "started_at": run.started_at,
            "version": env!("CARGO_PKG_VERSION"),
        }),
    );
    put("now", json!(facts.now));
    put("ready", Value::Bool(facts.ready));
    put("paused", Value::Bool(false));
    put("halt", halt);
    put("connectivity", facts.connectivity.clone());
    put("balances", balances);
    put("equity", equity);
    put("open_orders", Value::Array(orders));
}

fn balances_view(b: &Balances, run: &RunInfo) -> Value {
    json!({
        "base": b.base.total.to_string(),
        "base_held": b.base.held.to_string(),
        "quote": b.quote.total.to_string(),
        "quote_held": b.quote.held.to_string(),
        "base_asset": run.base_asset,
        "quote_asset": run.quote_asset,
    })
}

fn side_name(s: Side) -> &'static str {
    match s {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

fn state_name(s: flywheel_venue::OrderState) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{s:?}").to_lowercase())
}

/// One of the grid's live orders, with the slot and role its placement gave it.
fn grid_order<V: Venue, J: JournalSink>(engine: &Engine<V, J>, id: &str, t: &Track) -> Value {
    let role = match t.target {
        flywheel_grid::OrderRef::Slot(local) => engine
            .slots()
            .get(t.slot)
            .and_then(|s| s.state.orders.iter().find(|o| o.local_id == local))
            .map_or("entry", |o| role_name(o.role)),
        flywheel_grid::OrderRef::Recovery(_) => "recovery",
    };
    json!({
        "cl_ord_id": id,
        "side": side_name(t.side),
        "price": t.price.to_string(),
        "qty": t.qty.to_string(),
        "filled": t.cum_qty.to_string(),
        "role": role,
        "slot": t.slot,
        "state": state_name(t.state),
    })
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Entry => "entry",
        Role::Exit => "exit",
    }
}

/// Each slot's two trades (A: sell entry → buy exit; B: buy entry → sell exit), the
/// entry beside the exit that closes it.
fn slot_table<V: Venue, J: JournalSink>(engine: &Engine<V, J>) -> Vec<Value> {
    let mut rows = Vec::new();
    for slot in engine.slots() {
        let st = &slot.state;
        for trade in flywheel_core::TradeId::BOTH {
            let find = |role: Role| {
                st.orders
                    .iter()
                    .find(|o| o.trade_id == trade && o.role == role)
                    .map(|o| {
                        json!({
                            "side": side_name(o.side),
                            "price": o.price.to_string(),
                            "qty": o.volume.to_string(),
                            "cycle": o.cycle,
                            "txid": o.txid,
                            "entry_price": (o.role == Role::Exit && o.entry_price != Price::ZERO)
                                .then(|| o.entry_price.to_string()),
                            "partially_filled": o.partially_filled,
                        })
                    })
            };
            rows.push(json!({
                "slot": slot.id,
                "trade": format!("{trade:?}"),
                "stage": format!("{:?}", st.phase()),
                "entry": find(Role::Entry),
                "exit": find(Role::Exit),
            }));
        }
    }
    rows
}
