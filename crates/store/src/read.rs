//! Reads for a restart (`spec/live.md` §6 "Restart" step 2) and for people: the latest
//! snapshot, the orders still to settle, the fills to reconcile against `TradesHistory`, the
//! durable counters and the journal.
//!
//! Invariant: every column read back is parsed into its type; a value that does not parse
//! is a [`StoreError::Corrupt`] naming the table, column and row. No row is skipped.

use std::str::FromStr;

use flywheel_core::{Liquidity, Side, Timestamp};
use flywheel_venue::ClOrdId;
use sqlx::{AssertSqlSafe, ColumnIndex, Decode, Row, Type};

use crate::error::StoreError;
use crate::model::{
    FillRow, JournalRow, OperatorAction, OrderRow, OrderStatus, SnapshotKind, SnapshotRow,
};
use crate::store::{with_pool, Store};

const ORDER_COLS: &str = "cl_ord_id, step, slot, role, side, price, qty, state, txid, filled, \
                          created_at, updated_at, last_event";
const FILL_COLS: &str = "exec_id, cl_ord_id, txid, side, price, qty, fee, liquidity, ts, step";

/// An `orders` row as the driver returns it.
struct RawOrder {
    cl_ord_id: String,
    step: i64,
    slot: Option<i64>,
    role: Option<String>,
    side: String,
    price: String,
    qty: String,
    state: String,
    txid: Option<String>,
    filled: String,
    created_at: i64,
    updated_at: i64,
    last_event: Option<String>,
}

struct RawFill {
    exec_id: String,
    cl_ord_id: String,
    txid: Option<String>,
    side: String,
    price: String,
    qty: String,
    fee: String,
    liquidity: String,
    ts: i64,
    step: i64,
}

// The row readers are generic over the backend's row type: the bounds say "this backend
// decodes TEXT as String and BIGINT as i64", which both do.
fn raw_order<'r, R: Row>(r: &'r R) -> Result<RawOrder, sqlx::Error>
where
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(RawOrder {
        cl_ord_id: r.try_get("cl_ord_id")?,
        step: r.try_get("step")?,
        slot: r.try_get("slot")?,
        role: r.try_get("role")?,
        side: r.try_get("side")?,
        price: r.try_get("price")?,
        qty: r.try_get("qty")?,
        state: r.try_get("state")?,
        txid: r.try_get("txid")?,
        filled: r.try_get("filled")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        last_event: r.try_get("last_event")?,
    })
}

fn raw_fill<'r, R: Row>(r: &'r R) -> Result<RawFill, sqlx::Error>
where
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(RawFill {
        exec_id: r.try_get("exec_id")?,
        cl_ord_id: r.try_get("cl_ord_id")?,
        txid: r.try_get("txid")?,
        side: r.try_get("side")?,
        price: r.try_get("price")?,
        qty: r.try_get("qty")?,
        fee: r.try_get("fee")?,
        liquidity: r.try_get("liquidity")?,
        ts: r.try_get("ts")?,
        step: r.try_get("step")?,
    })
}

fn raw_journal<'r, R: Row>(r: &'r R) -> Result<(i64, i64, i64, String, String), sqlx::Error>
where
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok((
        r.try_get("seq")?,
        r.try_get("step")?,
        r.try_get("at")?,
        r.try_get("kind")?,
        r.try_get("body")?,
    ))
}

/// Parses the columns of one row, naming the row in errors.
struct Cols<'s> {
    store: &'s Store,
    table: &'static str,
    key: String,
}

impl Cols<'_> {
    fn corrupt(&self, column: &'static str, value: &str, why: impl ToString) -> StoreError {
        StoreError::Corrupt {
            db: self.store.url.redacted().to_string(),
            table: self.table,
            column,
            key: self.key.clone(),
            detail: format!(
                "{:?} is not valid: {}",
                value.chars().take(80).collect::<String>(),
                why.to_string()
            ),
        }
    }

    fn parse<T: FromStr>(&self, column: &'static str, value: &str) -> Result<T, StoreError>
    where
        T::Err: ToString,
    {
        value
            .parse()
            .map_err(|e: T::Err| self.corrupt(column, value, e))
    }

    fn id(&self, column: &'static str, value: &str) -> Result<ClOrdId, StoreError> {
        ClOrdId::parse(value).map_err(|e| self.corrupt(column, value, e))
    }

    fn unsigned(&self, column: &'static str, value: i64) -> Result<u64, StoreError> {
        u64::try_from(value).map_err(|_| self.corrupt(column, &value.to_string(), "negative"))
    }

    fn side(&self, value: &str) -> Result<Side, StoreError> {
        match value {
            "buy" => Ok(Side::Buy),
            "sell" => Ok(Side::Sell),
            _ => Err(self.corrupt("side", value, "not buy or sell")),
        }
    }
}

impl Store {
    fn order_row(&self, r: RawOrder) -> Result<OrderRow, StoreError> {
        let c = Cols {
            store: self,
            table: "orders",
            key: r.cl_ord_id.clone(),
        };
        Ok(OrderRow {
            cl_ord_id: c.id("cl_ord_id", &r.cl_ord_id)?,
            step: c.unsigned("step", r.step)?,
            slot: match r.slot {
                Some(s) => Some(
                    u32::try_from(s).map_err(|_| c.corrupt("slot", &s.to_string(), "not a u32"))?,
                ),
                None => None,
            },
            role: r.role,
            side: c.side(&r.side)?,
            price: c.parse("price", &r.price)?,
            qty: c.parse("qty", &r.qty)?,
            state: OrderStatus::parse(&r.state)
                .ok_or_else(|| c.corrupt("state", &r.state, "unknown state"))?,
            txid: r.txid,
            filled: c.parse("filled", &r.filled)?,
            created_at: Timestamp::from_millis(r.created_at),
            updated_at: Timestamp::from_millis(r.updated_at),
            last_event: r.last_event,
        })
    }

    fn fill_row(&self, r: RawFill) -> Result<FillRow, StoreError> {
        let c = Cols {
            store: self,
            table: "fills",
            key: r.exec_id.clone(),
        };
        Ok(FillRow {
            cl_ord_id: c.id("cl_ord_id", &r.cl_ord_id)?,
            txid: r.txid,
            side: c.side(&r.side)?,
            price: c.parse("price", &r.price)?,
            qty: c.parse("qty", &r.qty)?,
            fee: c.parse("fee", &r.fee)?,
            liquidity: match r.liquidity.as_str() {
                "maker" => Liquidity::Maker,
                "taker" => Liquidity::Taker,
                _ => return Err(c.corrupt("liquidity", &r.liquidity, "not maker or taker")),
            },
            ts: Timestamp::from_millis(r.ts),
            step: c.unsigned("step", r.step)?,
            exec_id: r.exec_id,
        })
    }

    /// The latest snapshot of `kind`, if any.
    pub async fn latest_snapshot(
        &self,
        kind: SnapshotKind,
    ) -> Result<Option<SnapshotRow>, StoreError> {
        const SQL: &str =
            "SELECT step, at, body FROM snapshots WHERE kind = $1 ORDER BY step DESC LIMIT 1";
        let raw: Option<(i64, i64, String)> = with_pool!(self, pool => {
            sqlx::query(SQL)
                .bind(kind.name())
                .fetch_optional(pool)
                .await
                .and_then(|r| match r {
                    Some(r) => Ok(Some((r.try_get("step")?, r.try_get("at")?, r.try_get("body")?))),
                    None => Ok(None),
                })
                .map_err(self.db_err("select from snapshots"))?
        });
        let Some((step, at, body)) = raw else {
            return Ok(None);
        };
        let c = Cols {
            store: self,
            table: "snapshots",
            key: format!("{} step {step}", kind.name()),
        };
        Ok(Some(SnapshotRow {
            kind,
            step: c.unsigned("step", step)?,
            at: Timestamp::from_millis(at),
            body,
        }))
    }

    /// The orders in any of `states`, oldest first.
    pub async fn orders_in_states(
        &self,
        states: &[OrderStatus],
    ) -> Result<Vec<OrderRow>, StoreError> {
        if states.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=states.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {ORDER_COLS} FROM orders WHERE state IN ({}) ORDER BY created_at, cl_ord_id",
            marks.join(", ")
        );
        let raws = with_pool!(self, pool => {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for s in states {
                q = q.bind(s.name());
            }
            q.fetch_all(pool)
                .await
                .and_then(|rows| rows.iter().map(raw_order).collect::<Result<Vec<_>, _>>())
                .map_err(self.db_err("select from orders by state"))?
        });
        raws.into_iter().map(|r| self.order_row(r)).collect()
    }

    /// One order by its client order id.
    pub async fn order(&self, cl_ord_id: &ClOrdId) -> Result<Option<OrderRow>, StoreError> {
        let raw = with_pool!(self, pool => {
            sqlx::query(AssertSqlSafe(format!("SELECT {ORDER_COLS} FROM orders WHERE cl_ord_id = $1")))
                .bind(cl_ord_id.as_str())
                .fetch_optional(pool)
                .await
                .and_then(|r| r.as_ref().map(raw_order).transpose())
                .map_err(self.db_err(format!("select from orders ({cl_ord_id})")))?
        });
        raw.map(|r| self.order_row(r)).transpose()
    }

    /// Fills at or after `ts`, in exchange time order (ties by `exec_id`).
    pub async fn fills_since(&self, ts: Timestamp) -> Result<Vec<FillRow>, StoreError> {
        let raws = with_pool!(self, pool => {
            sqlx::query(AssertSqlSafe(format!(
                "SELECT {FILL_COLS} FROM fills WHERE ts >= $1 ORDER BY ts, exec_id"
            )))
            .bind(ts.millis())
            .fetch_all(pool)
            .await
            .and_then(|rows| rows.iter().map(raw_fill).collect::<Result<Vec<_>, _>>())
            .map_err(self.db_err("select from fills since"))?
        });
        raws.into_iter().map(|r| self.fill_row(r)).collect()
    }

    /// The latest fill by exchange time: where `TradesHistory` paging stops at a restart.
    pub async fn last_fill(&self) -> Result<Option<FillRow>, StoreError> {
        let raw = with_pool!(self, pool => {
            sqlx::query(AssertSqlSafe(format!(
                "SELECT {FILL_COLS} FROM fills ORDER BY ts DESC, exec_id DESC LIMIT 1"
            )))
            .fetch_optional(pool)
            .await
            .and_then(|r| r.as_ref().map(raw_fill).transpose())
            .map_err(self.db_err("select last from fills"))?
        });
        raw.map(|r| self.fill_row(r)).transpose()
    }

    /// The `limit` newest trade ids: the "known" fills a `TradesHistory` walk stops at.
    pub async fn known_exec_ids(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        with_pool!(self, pool => {
            sqlx::query("SELECT exec_id FROM fills ORDER BY ts DESC, exec_id DESC LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .and_then(|rows| rows.iter().map(|r| r.try_get("exec_id")).collect())
                .map_err(self.db_err("select exec_id from fills"))
        })
    }

    /// A durable counter or setting.
    pub async fn kv_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        with_pool!(self, pool => {
            sqlx::query("SELECT value FROM kv WHERE key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await
                .and_then(|r| r.map(|r| r.try_get("value")).transpose())
                .map_err(self.db_err(format!("select from kv ({key})")))
        })
    }

    /// Set one durable value in its own transaction (outside engine steps: the REST nonce,
    /// which must be durable before the request that uses it is sent).
    pub async fn kv_set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        if key.is_empty() {
            return Err(self.invalid("kv", "key", "empty".into()));
        }
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO kv (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(self.db_err(format!("upsert into kv ({key})")))
        })
    }

    /// Journal records after `seq` (exclusive), oldest first, at most `limit`.
    pub async fn journal_since(&self, seq: i64, limit: u32) -> Result<Vec<JournalRow>, StoreError> {
        let raws = with_pool!(self, pool => {
            sqlx::query(
                "SELECT seq, step, at, kind, body FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(seq)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .and_then(|rows| rows.iter().map(raw_journal).collect::<Result<Vec<_>, _>>())
            .map_err(self.db_err("select from journal"))?
        });
        raws.into_iter()
            .map(|(seq, step, at, kind, body)| {
                let c = Cols {
                    store: self,
                    table: "journal",
                    key: format!("seq {seq}"),
                };
                Ok(JournalRow {
                    seq,
                    step: c.unsigned("step", step)?,
                    at: Timestamp::from_millis(at),
                    kind,
                    body,
                })
            })
            .collect()
    }

    /// Operator actions with an id above `after` (exclusive), oldest first, at most `limit`:
    /// `(id, step, action)`.
    pub async fn operator_actions_since(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, u64, OperatorAction)>, StoreError> {
        type Raw = (i64, i64, i64, String, String, String, String);
        let raws: Vec<Raw> = with_pool!(self, pool => {
            sqlx::query(
                "SELECT id, step, at, source, action, params, result FROM operator_actions \
                 WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .and_then(|rows| {
                rows.iter()
                    .map(|r| {
                        Ok((
                            r.try_get("id")?,
                            r.try_get("step")?,
                            r.try_get("at")?,
                            r.try_get("source")?,
                            r.try_get("action")?,
                            r.try_get("params")?,
                            r.try_get("result")?,
                        ))
                    })
                    .collect::<Result<Vec<_>, sqlx::Error>>()
            })
            .map_err(self.db_err("select from operator_actions"))?
        });
        raws.into_iter()
            .map(|(id, step, at, source, action, params, result)| {
                let c = Cols {
                    store: self,
                    table: "operator_actions",
                    key: format!("id {id}"),
                };
                let action = OperatorAction {
                    at: Timestamp::from_millis(at),
                    source,
                    action,
                    params,
                    result,
                };
                Ok((id, c.unsigned("step", step)?, action))
            })
            .collect()
    }

    /// Rows in `table` (one of the store's tables) whose `step` is `step`: for checks and
    /// tests of step atomicity.
    pub async fn count_for_step(&self, table: &str, step: u64) -> Result<u64, StoreError> {
        const TABLES: [&str; 6] = [
            "snapshots",
            "orders",
            "fills",
            "journal",
            "balance_audits",
            "operator_actions",
        ];
        let Some(table) = TABLES.into_iter().find(|t| *t == table) else {
            return Err(self.invalid("-", "step", format!("{table:?} is not a table with steps")));
        };
        let step = self.int(table, "step", step)?;
        let n: i64 = with_pool!(self, pool => {
            sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM {table} WHERE step = $1")))
                .bind(step)
                .fetch_one(pool)
                .await
                .and_then(|r| r.try_get("n"))
                .map_err(self.db_err(format!("count {table}")))?
        });
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
