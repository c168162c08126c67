//! The bind values of one [`StepRecord`], converted and checked before the transaction
//! begins: integers that do not fit a BIGINT, empty keys and non-JSON bodies are refused
//! here, naming the table and column, so a bad record never leaves half a step behind.

use crate::error::StoreError;
use crate::model::StepRecord;
use crate::store::Store;

pub(crate) struct OrderParams<'a> {
    pub cl_ord_id: &'a str,
    pub slot: Option<i64>,
    pub role: Option<&'a str>,
    pub side: &'static str,
    pub price: String,
    pub qty: String,
    pub state: &'static str,
    pub txid: Option<&'a str>,
    pub filled: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_event: Option<&'a str>,
}

pub(crate) struct FillParams<'a> {
    pub exec_id: &'a str,
    pub cl_ord_id: &'a str,
    pub txid: Option<&'a str>,
    pub side: &'static str,
    pub price: String,
    pub qty: String,
    pub fee: String,
    pub liquidity: &'static str,
    pub ts: i64,
}

pub(crate) struct JournalParams<'a> {
    pub at: i64,
    pub kind: &'a str,
    pub body: &'a str,
}

pub(crate) struct AuditParams<'a> {
    pub at: i64,
    pub asset: &'a str,
    pub ours: String,
    pub exchange: String,
    pub held_ours: String,
    pub held_exchange: String,
    pub ok: bool,
}

pub(crate) struct ActionParams<'a> {
    pub at: i64,
    pub source: &'a str,
    pub action: &'a str,
    pub params: &'a str,
    pub result: &'a str,
}

pub(crate) struct StepParams<'a> {
    pub step: i64,
    pub at: i64,
    pub snapshot: Option<(&'static str, &'a String)>,
    pub orders: Vec<OrderParams<'a>>,
    pub fills: Vec<FillParams<'a>>,
    pub journal: Vec<JournalParams<'a>>,
    pub audits: Vec<AuditParams<'a>>,
    pub actions: Vec<ActionParams<'a>>,
    pub kv: Vec<(&'a str, &'a str)>,
}

/// `body` must be JSON: the columns that hold JSON are read back by machines.
fn check_json(
    store: &Store,
    table: &'static str,
    column: &'static str,
    body: &str,
) -> Result<(), StoreError> {
    serde_json::from_str::<serde::de::IgnoredAny>(body)
        .map(|_| ())
        .map_err(|e| store.invalid(table, column, format!("not JSON: {e}")))
}

fn non_empty(
    store: &Store,
    table: &'static str,
    column: &'static str,
    s: &str,
) -> Result<(), StoreError> {
    if s.is_empty() {
        return Err(store.invalid(table, column, "empty".into()));
    }
    Ok(())
}

impl<'a> StepParams<'a> {
    pub fn new(store: &Store, rec: &'a StepRecord) -> Result<StepParams<'a>, StoreError> {
        let step = store.int("orders", "step", rec.step)?;
        let snapshot = match &rec.snapshot {
            Some(s) => {
                check_json(store, "snapshots", "body", &s.body)?;
                Some((s.kind.name(), &s.body))
            }
            None => None,
        };
        let orders = rec
            .orders
            .iter()
            .map(|o| {
                Ok(OrderParams {
                    cl_ord_id: o.cl_ord_id.as_str(),
                    slot: o.slot.map(i64::from),
                    role: o.role.as_deref(),
                    side: o.side.as_str(),
                    price: o.price.to_string(),
                    qty: o.qty.to_string(),
                    state: o.state.name(),
                    txid: o.txid.as_deref(),
                    filled: o.filled.to_string(),
                    created_at: o.created_at.millis(),
                    updated_at: o.updated_at.millis(),
                    last_event: o.last_event.as_deref(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let fills = rec
            .fills
            .iter()
            .map(|f| {
                non_empty(store, "fills", "exec_id", &f.exec_id)?;
                Ok(FillParams {
                    exec_id: &f.exec_id,
                    cl_ord_id: f.cl_ord_id.as_str(),
                    txid: f.txid.as_deref(),
                    side: f.side.as_str(),
                    price: f.price.to_string(),
                    qty: f.qty.to_string(),
                    fee: f.fee.to_string(),
                    liquidity: liquidity_name(f.liquidity),
                    ts: f.ts.millis(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let journal = rec
            .journal
            .iter()
            .map(|j| {
                non_empty(store, "journal", "kind", &j.kind)?;
                check_json(store, "journal", "body", &j.body)?;
                Ok(JournalParams {
                    at: j.at.millis(),
                    kind: &j.kind,
                    body: &j.body,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let audits = rec
            .balance_audits
            .iter()
            .map(|a| {
                non_empty(store, "balance_audits", "asset", &a.asset)?;
                Ok(AuditParams {
                    at: a.at.millis(),
                    asset: &a.asset,
                    ours: a.ours.to_string(),
                    exchange: a.exchange.to_string(),
                    held_ours: a.held_ours.to_string(),
                    held_exchange: a.held_exchange.to_string(),
                    ok: a.ok,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let actions = rec
            .operator_actions
            .iter()
            .map(|a| {
                non_empty(store, "operator_actions", "action", &a.action)?;
                check_json(store, "operator_actions", "params", &a.params)?;
                Ok(ActionParams {
                    at: a.at.millis(),
                    source: &a.source,
                    action: &a.action,
                    params: &a.params,
                    result: &a.result,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let kv = rec
            .kv
            .iter()
            .map(|(k, v)| {
                non_empty(store, "kv", "key", k)?;
                Ok((k.as_str(), v.as_str()))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(StepParams {
            step,
            at: rec.at.millis(),
            snapshot,
            orders,
            fills,
            journal,
            audits,
            actions,
            kv,
        })
    }
}

pub(crate) fn liquidity_name(l: flywheel_core::Liquidity) -> &'static str {
    match l {
        flywheel_core::Liquidity::Maker => "maker",
        flywheel_core::Liquidity::Taker => "taker",
    }
}
