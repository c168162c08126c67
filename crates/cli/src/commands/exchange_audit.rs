//! The store against an exchange's own ledger: what the chaos tests count after every kill
//! loop, and what a paper session with a store checks against its simulated Kraken before
//! it ends. The ledger is the mock Kraken's [`LedgerView`](flywheel_kraken_mock::LedgerView)
//! as JSON (`GET /mock/ledger`, or serialized in process), the ground truth.
//!
//! Every count must be zero:
//! - **duplicate orders**: `cl_ord_id`s the exchange applied more than once;
//! - **lost orders**: orders the exchange has that the store does not know;
//! - **missed fills** / **phantom fills**: exchange fills missing from the store, store fills
//!   the exchange never made;
//! - **entries without exit**: a grid entry with fills and no exit (or recovery order) of
//!   its slot placed after its last fill;
//! - **state mismatches**: an order whose state or filled volume differ;
//! - **ledger drift**: the store's ledger against the exchange's balances.
//!
//! An unreadable ledger is an error naming the field, never a count of zero.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use anyhow::{anyhow, Context};
use flywheel_core::{Qty, Quote};
use flywheel_store::{BlockingStore, OrderStatus};
use serde_json::Value;

/// The audit's counts (all must be zero).
#[derive(Debug, Default, PartialEq, Eq, Clone)]
pub struct Counts {
    pub duplicate_orders: usize,
    pub lost_orders: usize,
    pub missed_fills: usize,
    pub phantom_fills: usize,
    pub missing_exits: usize,
    /// Store ledger against the exchange's totals, as text ("" when equal).
    pub ledger_drift: String,
    /// What the ledger held: orders, of them IOC, fills, of them taker.
    pub orders: usize,
    pub ioc_orders: usize,
    pub fills: usize,
    pub taker_fills: usize,
    /// One line per order whose state or filled volume differ (its count is the state
    /// mismatches).
    pub mismatches: Vec<String>,
}

impl Counts {
    /// Every count zero (the sizes do not count).
    pub fn clean(&self) -> bool {
        self.duplicate_orders == 0
            && self.lost_orders == 0
            && self.missed_fills == 0
            && self.phantom_fills == 0
            && self.missing_exits == 0
            && self.mismatches.is_empty()
            && self.ledger_drift.is_empty()
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} orders ({} IOC), {} fills ({} taker); duplicate orders {}, lost orders {}, \
             missed fills {}, phantom fills {}, entries without exit {}, state mismatches {}, \
             ledger drift {}",
            self.orders,
            self.ioc_orders,
            self.fills,
            self.taker_fills,
            self.duplicate_orders,
            self.lost_orders,
            self.missed_fills,
            self.phantom_fills,
            self.missing_exits,
            self.mismatches.len(),
            if self.ledger_drift.is_empty() {
                "none"
            } else {
                &self.ledger_drift
            }
        )
    }
}

fn field<'a>(v: &'a Value, path: &[&str]) -> anyhow::Result<&'a Value> {
    let mut at = v;
    for p in path {
        at = at
            .get(p)
            .ok_or_else(|| anyhow!("exchange ledger: no field {}", path.join(".")))?;
    }
    Ok(at)
}

fn decimal<T: std::str::FromStr>(v: &Value, what: &str) -> anyhow::Result<T>
where
    T::Err: fmt::Display,
{
    let text = v
        .as_str()
        .ok_or_else(|| anyhow!("exchange ledger: {what} is not a decimal string: {v}"))?;
    text.parse()
        .map_err(|e| anyhow!("exchange ledger: {what} {text:?}: {e}"))
}

/// The exchange's order state as the store names it (a post-only order that would have
/// taken, and an IOC's remainder, are cancelled at once too).
fn store_states(exchange: &str) -> &str {
    match exchange {
        "open" => "acked|partially_filled|cancel_requested",
        "closed" => "filled",
        "canceled" => "cancelled|rejected",
        other => other,
    }
}

/// Compare `store` with the exchange's `ledger`.
pub fn audit(store: &BlockingStore, ledger: &Value) -> anyhow::Result<Counts> {
    let rows = store
        .orders_in_states(&OrderStatus::ALL)
        .context("the store's orders")?;
    let by_id: BTreeMap<&str, _> = rows.iter().map(|r| (r.cl_ord_id.as_str(), r)).collect();
    let fills: BTreeSet<String> = store
        .known_exec_ids(u32::MAX)
        .context("the store's fills")?
        .into_iter()
        .collect();
    let mut c = Counts::default();
    let applied = field(ledger, &["adds_applied"])?
        .as_object()
        .ok_or_else(|| anyhow!("exchange ledger: adds_applied is not an object"))?;
    c.duplicate_orders = applied
        .values()
        .filter(|n| n.as_u64().unwrap_or(0) > 1)
        .count();
    let orders = field(ledger, &["orders"])?
        .as_object()
        .ok_or_else(|| anyhow!("exchange ledger: orders is not an object"))?;
    for o in orders.values() {
        c.orders += 1;
        if o["ioc"] == true {
            c.ioc_orders += 1;
        }
        let id = o["cl_ord_id"].as_str().unwrap_or_default();
        let Some(r) = by_id.get(id) else {
            c.lost_orders += 1;
            continue;
        };
        let state = o["state"].as_str().unwrap_or_default();
        let filled: Qty = decimal(&o["filled"], "an order's filled")?;
        if r.filled != filled || !store_states(state).split('|').any(|s| s == r.state.name()) {
            c.mismatches.push(format!(
                "{id}: store {} filled {}, exchange {state} filled {filled}",
                r.state.name(),
                r.filled
            ));
        }
    }
    let trades = field(ledger, &["trades"])?
        .as_array()
        .ok_or_else(|| anyhow!("exchange ledger: trades is not a list"))?;
    let mut theirs = BTreeSet::new();
    for t in trades {
        c.fills += 1;
        if t["taker"] == true {
            c.taker_fills += 1;
        }
        let id = t["txid"].as_str().unwrap_or_default().to_string();
        if !fills.contains(&id) {
            c.missed_fills += 1;
        }
        theirs.insert(id);
    }
    c.phantom_fills = fills.difference(&theirs).count();
    for r in rows.iter().filter(|r| r.role.as_deref() == Some("entry")) {
        if !r.filled.is_positive() {
            continue;
        }
        let has_exit = rows.iter().any(|x| {
            x.slot == r.slot
                && matches!(x.role.as_deref(), Some("exit" | "recovery"))
                && x.step >= r.step
                && x.created_at >= r.created_at
        });
        if !has_exit {
            c.missing_exits += 1;
        }
    }
    let base = store.kv_get("ledger.base")?.unwrap_or_default();
    let quote = store.kv_get("ledger.quote")?.unwrap_or_default();
    let ex_base: Qty = decimal(
        field(ledger, &["balances", "base", "total"])?,
        "balances.base.total",
    )?;
    let ex_quote: Quote = decimal(
        field(ledger, &["balances", "quote", "total"])?,
        "balances.quote.total",
    )?;
    if base.parse::<Qty>().ok() != Some(ex_base) || quote.parse::<Quote>().ok() != Some(ex_quote) {
        c.ledger_drift = format!("store {base}/{quote} vs exchange {ex_base}/{ex_quote}");
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use flywheel_store::{DbUrl, StoreOptions};
    use serde_json::json;

    use super::*;

    fn ledger(orders: Value, adds: Value, trades: Value, quote: &str) -> Value {
        json!({
            "orders": orders,
            "adds_applied": adds,
            "trades": trades,
            "balances": {"base": {"total": "10"}, "quote": {"total": quote}},
        })
    }

    /// An empty store against ledgers that hold what it lacks; each case counts what it
    /// should and nothing else.
    #[test]
    fn counts_what_the_store_lacks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite:{}", dir.path().join("a.db").display());
        let store = BlockingStore::open(&DbUrl::parse(&url).expect("url"), StoreOptions::default())
            .expect("store");
        store.kv_set("ledger.base", "10").expect("kv");
        store.kv_set("ledger.quote", "500").expect("kv");
        let order =
            json!({"O1": {"cl_ord_id": "fw11", "state": "closed", "filled": "5", "ioc": true}});
        let trade = json!([{"txid": "T1", "taker": true}]);
        struct Case {
            name: &'static str,
            ledger: Value,
            want: Counts,
        }
        let cases = [
            Case {
                name: "nothing on either side",
                ledger: ledger(json!({}), json!({}), json!([]), "500"),
                want: Counts::default(),
            },
            Case {
                name: "an order and its fill the store never saw",
                ledger: ledger(order, json!({"fw11": 1}), trade, "500"),
                want: Counts {
                    lost_orders: 1,
                    missed_fills: 1,
                    orders: 1,
                    ioc_orders: 1,
                    fills: 1,
                    taker_fills: 1,
                    ..Counts::default()
                },
            },
            Case {
                name: "an id applied twice",
                ledger: ledger(json!({}), json!({"fw11": 2}), json!([]), "500"),
                want: Counts {
                    duplicate_orders: 1,
                    ..Counts::default()
                },
            },
            Case {
                name: "quote moved outside",
                ledger: ledger(json!({}), json!({}), json!([]), "525"),
                want: Counts {
                    ledger_drift: "store 10/500 vs exchange 10/525".into(),
                    ..Counts::default()
                },
            },
        ];
        for case in cases {
            let got = audit(&store, &case.ledger).expect(case.name);
            assert_eq!(got, case.want, "{}", case.name);
            assert_eq!(got.clean(), case.want.clean(), "{}", case.name);
        }
        let err = audit(&store, &json!({"orders": {}})).expect_err("unreadable");
        assert!(err.to_string().contains("no field adds_applied"), "{err:#}");
    }
}
