//! What the store keeps: the rows of each table as Rust types, and [`StepRecord`], everything
//! one engine step writes.
//!
//! Money and quantities are the exact fixed-point types of `flywheel-core`, stored as their
//! canonical decimal text (no trailing zeros); times are [`Timestamp`]s, stored as integer
//! milliseconds. Reading a row back parses every column; a value that does not parse is a
//! [`crate::StoreError::Corrupt`] naming the table, column and row, never a default.

use flywheel_core::{Liquidity, Price, Qty, Quote, Side, Timestamp};
use flywheel_venue::{ClOrdId, OrderState};

/// Which engine a snapshot belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SnapshotKind {
    Grid,
    Maker,
}

impl SnapshotKind {
    pub const ALL: [SnapshotKind; 2] = [SnapshotKind::Grid, SnapshotKind::Maker];

    pub fn name(self) -> &'static str {
        match self {
            SnapshotKind::Grid => "grid",
            SnapshotKind::Maker => "maker",
        }
    }

    pub fn parse(s: &str) -> Option<SnapshotKind> {
        SnapshotKind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// The state of an order row: the outbox's view (`spec/live.md` §6 "Order states"), finer
/// than the engine's [`OrderState`]: *intent* (committed, not yet handed to the sender) and
/// *sent* are told apart, and so is a requested cancel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderStatus {
    Intent,
    Sent,
    Acked,
    PartiallyFilled,
    Filled,
    Cancelled,
    Expired,
    Rejected,
    Unknown,
    NeverPlaced,
    CancelRequested,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 11] = [
        OrderStatus::Intent,
        OrderStatus::Sent,
        OrderStatus::Acked,
        OrderStatus::PartiallyFilled,
        OrderStatus::Filled,
        OrderStatus::Cancelled,
        OrderStatus::Expired,
        OrderStatus::Rejected,
        OrderStatus::Unknown,
        OrderStatus::NeverPlaced,
        OrderStatus::CancelRequested,
    ];

    /// The stored name (the `orders.state` column's CHECK list).
    pub fn name(self) -> &'static str {
        match self {
            OrderStatus::Intent => "intent",
            OrderStatus::Sent => "sent",
            OrderStatus::Acked => "acked",
            OrderStatus::PartiallyFilled => "partially_filled",
            OrderStatus::Filled => "filled",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Expired => "expired",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Unknown => "unknown",
            OrderStatus::NeverPlaced => "never_placed",
            OrderStatus::CancelRequested => "cancel_requested",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Still to be settled at a restart (restart step 4: every intent, sent and unknown row,
    /// and the orders that may still be on the book).
    pub fn is_live(self) -> bool {
        !matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Cancelled
                | OrderStatus::Expired
                | OrderStatus::Rejected
                | OrderStatus::NeverPlaced
        )
    }

    /// The row state for an engine order in `state`. `committed_only`: not yet handed to
    /// the sender (an intent); `filled_some`: it has executions; `cancel_requested`: a
    /// cancel was asked for and not confirmed.
    pub fn from_engine(
        state: OrderState,
        committed_only: bool,
        filled_some: bool,
        cancel_requested: bool,
    ) -> OrderStatus {
        match state {
            OrderState::Pending if committed_only => OrderStatus::Intent,
            OrderState::Pending => OrderStatus::Sent,
            OrderState::Unknown => OrderStatus::Unknown,
            OrderState::Open if cancel_requested => OrderStatus::CancelRequested,
            OrderState::Open if filled_some => OrderStatus::PartiallyFilled,
            OrderState::Open => OrderStatus::Acked,
            OrderState::Filled => OrderStatus::Filled,
            OrderState::Cancelled => OrderStatus::Cancelled,
            OrderState::Expired => OrderStatus::Expired,
            OrderState::Rejected => OrderStatus::Rejected,
            OrderState::NeverPlaced => OrderStatus::NeverPlaced,
        }
    }
}

/// One row of `orders`: an order from the moment it is decided (an intent, written before it
/// is sent) to its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRow {
    pub cl_ord_id: ClOrdId,
    /// The step that created it (kept on later upserts).
    pub step: u64,
    /// The grid slot (none for the maker).
    pub slot: Option<u32>,
    /// `entry`, `exit`, `bid`, `ask`, `hedge`… (free text, for people and reconciliation).
    pub role: Option<String>,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    pub state: OrderStatus,
    /// The exchange's order id, once known (kept when a later upsert has none).
    pub txid: Option<String>,
    pub filled: Qty,
    /// When the intent was written (kept on later upserts).
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The last event applied, for people (`acked`, `fill`, `reconcile: not found`…).
    pub last_event: Option<String>,
}

/// One row of `fills`: one execution, unique by the exchange's trade id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillRow {
    /// The exchange trade id (Kraken `exec_id` / TradesHistory txid): the dedupe key.
    pub exec_id: String,
    pub cl_ord_id: ClOrdId,
    pub txid: Option<String>,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    pub fee: Quote,
    pub liquidity: Liquidity,
    pub ts: Timestamp,
    /// The step that recorded it.
    pub step: u64,
}

/// A snapshot to write: the engine's serialized state (slots, governor state, maker state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotRecord {
    pub kind: SnapshotKind,
    /// JSON text.
    pub body: String,
}

impl SnapshotRecord {
    /// `value` serialized as JSON.
    pub fn json<T: serde::Serialize>(
        kind: SnapshotKind,
        value: &T,
    ) -> Result<SnapshotRecord, serde_json::Error> {
        Ok(SnapshotRecord {
            kind,
            body: serde_json::to_string(value)?,
        })
    }
}

/// A stored snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotRow {
    pub kind: SnapshotKind,
    pub step: u64,
    pub at: Timestamp,
    pub body: String,
}

impl SnapshotRow {
    /// The body read as `T`.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.body)
    }
}

/// A journal record to write (the engine's typed record, serialized).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    pub at: Timestamp,
    /// The record's kind (`placed`, `venue`, `halt`…).
    pub kind: String,
    /// JSON text.
    pub body: String,
}

/// A stored journal record; `seq` increases with every record written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalRow {
    pub seq: i64,
    pub step: u64,
    pub at: Timestamp,
    pub kind: String,
    pub body: String,
}

/// One asset of a balance audit: our ledger against the exchange's `BalanceEx`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalanceAudit {
    pub at: Timestamp,
    pub asset: String,
    pub ours: Quote,
    pub exchange: Quote,
    pub held_ours: Quote,
    pub held_exchange: Quote,
    pub ok: bool,
}

/// Something an operator did (API, CLI), and what came of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorAction {
    pub at: Timestamp,
    /// `api`, `cli`, `signal`…
    pub source: String,
    pub action: String,
    /// JSON text.
    pub params: String,
    pub result: String,
}

/// Everything one engine step writes, committed as one transaction by
/// [`crate::Store::commit_step`]: all of it or nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepRecord {
    pub step: u64,
    pub at: Timestamp,
    pub snapshot: Option<SnapshotRecord>,
    /// Inserted, or updated by `cl_ord_id` (see [`OrderRow`] for what an update keeps).
    pub orders: Vec<OrderRow>,
    /// Inserted; one whose `exec_id` is already stored is skipped and reported.
    pub fills: Vec<FillRow>,
    pub journal: Vec<JournalEntry>,
    pub balance_audits: Vec<BalanceAudit>,
    pub operator_actions: Vec<OperatorAction>,
    /// Durable counters, set (inserted or replaced) by key.
    pub kv: Vec<(String, String)>,
}

/// What a committed step did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitOutcome {
    pub fills_inserted: usize,
    /// Fills whose `exec_id` was already stored (not an error: a replayed execution).
    pub duplicate_fills: Vec<String>,
}

/// Who holds the instance lock (the `instance` row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceInfo {
    /// A name for the instance (`flywheel run --mode live`, a test name…).
    pub owner: String,
    /// The account, as a fingerprint of the API key: never the key.
    pub account: String,
    pub started_at: Timestamp,
    pub pid: u32,
    pub host: String,
}

impl InstanceInfo {
    /// This process, started now (wall clock: the lock is about processes, not engine time).
    pub fn this_process(owner: &str, account: &str) -> InstanceInfo {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        InstanceInfo {
            owner: owner.to_string(),
            account: account.to_string(),
            started_at: Timestamp::from_millis(now_ms),
            pid: std::process::id(),
            host: hostname(),
        }
    }
}

/// The host name, from the kernel (Linux) or the environment; `unknown` otherwise.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_round_trip() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.name()), Some(s));
        }
        assert_eq!(OrderStatus::parse("open"), None);
        for k in SnapshotKind::ALL {
            assert_eq!(SnapshotKind::parse(k.name()), Some(k));
        }
    }

    #[test]
    fn from_engine_table() {
        use OrderState as E;
        use OrderStatus as S;
        // (engine state, committed only, filled some, cancel requested, row state)
        let cases = [
            (E::Pending, true, false, false, S::Intent),
            (E::Pending, false, false, false, S::Sent),
            (E::Unknown, false, false, false, S::Unknown),
            (E::Open, false, false, false, S::Acked),
            (E::Open, false, true, false, S::PartiallyFilled),
            (E::Open, false, true, true, S::CancelRequested),
            (E::Filled, false, true, false, S::Filled),
            (E::Cancelled, false, false, true, S::Cancelled),
            (E::Expired, false, false, false, S::Expired),
            (E::Rejected, false, false, false, S::Rejected),
            (E::NeverPlaced, false, false, false, S::NeverPlaced),
        ];
        for (e, committed, filled, cxl, want) in cases {
            assert_eq!(
                OrderStatus::from_engine(e, committed, filled, cxl),
                want,
                "{e:?} committed={committed} filled={filled} cancel={cxl}"
            );
        }
        let live: Vec<&str> = OrderStatus::ALL
            .iter()
            .filter(|s| s.is_live())
            .map(|s| s.name())
            .collect();
        assert_eq!(
            live,
            [
                "intent",
                "sent",
                "acked",
                "partially_filled",
                "unknown",
                "cancel_requested"
            ]
        );
    }
}
