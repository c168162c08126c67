//! Frame and reply writers: the exact JSON text the mock sends.
//!
//! Invariants:
//! - Decimals are written from their exact value, never through `f64`: WS v2 as bare JSON
//!   numbers ([`Num`], raw text such as `0.1800000`), REST as strings; both padded to the
//!   market's decimals ([`dec`]) but never rounded (a value with more decimals keeps them).
//! - Field names and shapes follow the fixtures of real frames in
//!   `crates/kraken/tests/fixtures` (one writer per frame kind).
//! - Times: WS frames carry RFC 3339 with microseconds (`…00.123000Z`), REST Unix seconds as
//!   numbers with millisecond decimals.

use flywheel_core::{Fixed, Timestamp};
use flywheel_kraken::time::format_rfc3339;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// Exact decimal text with at least `min_decimals` decimals (padding only, never rounding).
pub fn dec(v: Fixed, min_decimals: u32) -> String {
    if v.decimals_used() <= min_decimals {
        format!("{v:.prec$}", prec = min_decimals as usize)
    } else {
        v.to_string()
    }
}

/// A JSON number written from its decimal text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Num(pub String);

impl Num {
    pub fn new(v: Fixed, min_decimals: u32) -> Self {
        Num(dec(v, min_decimals))
    }
    pub fn int(v: u64) -> Self {
        Num(v.to_string())
    }
}

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.0.clone()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

/// RFC 3339 UTC with microseconds, as WS v2 writes times.
pub fn ws_time(t: Timestamp) -> String {
    let ms = format_rfc3339(t);
    match ms.strip_suffix('Z') {
        Some(head) => format!("{head}000Z"),
        None => ms,
    }
}

/// Unix seconds with milliseconds, as a JSON number (REST `opentm`, `time`).
pub fn unix_secs(t: Timestamp) -> Num {
    let ms = t.millis();
    Num(format!(
        "{}.{:03}",
        ms.div_euclid(1000),
        ms.rem_euclid(1000)
    ))
}

fn to_text<T: Serialize>(v: &T) -> String {
    // Serializing these plain structs cannot fail (no maps with non-string keys, no
    // invalid raw values: every `Num` is built from a decimal or an integer).
    serde_json::to_string(v).unwrap_or_else(|e| format!("{{\"error\":\"mock encode: {e}\"}}"))
}

#[derive(Serialize)]
struct Reply<'a, R: Serialize> {
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    req_id: Option<u64>,
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<R>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    symbol: Option<&'a str>,
    time_in: String,
    time_out: String,
}

/// A successful method reply.
pub fn reply_ok<R: Serialize>(
    method: &str,
    req_id: Option<u64>,
    result: R,
    time_in: Timestamp,
    time_out: Timestamp,
) -> String {
    to_text(&Reply {
        method,
        req_id,
        success: true,
        result: Some(result),
        error: None,
        symbol: None,
        time_in: ws_time(time_in),
        time_out: ws_time(time_out),
    })
}

/// A refused method: `success: false` and Kraken's error string.
pub fn reply_err(
    method: &str,
    req_id: Option<u64>,
    error: &str,
    symbol: Option<&str>,
    time_in: Timestamp,
    time_out: Timestamp,
) -> String {
    to_text(&Reply::<()> {
        method,
        req_id,
        success: false,
        result: None,
        error: Some(error),
        symbol,
        time_in: ws_time(time_in),
        time_out: ws_time(time_out),
    })
}

#[derive(Serialize)]
struct Pong {
    method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    req_id: Option<u64>,
    time_in: String,
    time_out: String,
}

pub fn pong(req_id: Option<u64>, time_in: Timestamp, time_out: Timestamp) -> String {
    to_text(&Pong {
        method: "pong",
        req_id,
        time_in: ws_time(time_in),
        time_out: ws_time(time_out),
    })
}

pub fn heartbeat() -> String {
    r#"{"channel":"heartbeat"}"#.to_string()
}

#[derive(Serialize)]
struct Feed<'a, D: Serialize> {
    channel: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    data: D,
    #[serde(skip_serializing_if = "Option::is_none")]
    sequence: Option<u64>,
}

/// `{"channel", "type", "data"[, "sequence"]}`.
pub fn feed<D: Serialize>(channel: &str, kind: &str, data: D, sequence: Option<u64>) -> String {
    to_text(&Feed {
        channel,
        kind,
        data,
        sequence,
    })
}

#[derive(Serialize)]
struct StatusData<'a> {
    version: &'a str,
    system: &'a str,
    api_version: &'a str,
    connection_id: u64,
}

pub fn status(system: &str, connection_id: u64) -> String {
    feed(
        "status",
        "update",
        [StatusData {
            version: "2.0.10",
            system,
            api_version: "v2",
            connection_id,
        }],
        None,
    )
}

/// One fee of an execution.
#[derive(Clone, Debug, Serialize)]
pub struct FeeEntry {
    pub asset: String,
    pub qty: Num,
}

/// One row of the `executions` channel (fields absent when `None`, as Kraken omits them).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ExecRow {
    pub order_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cl_ord_id: Option<String>,
    pub symbol: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exec_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_qty: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_in_force: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_qty: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_price: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liquidity_ind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cum_qty: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cum_cost: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_price: Option<Num>,
    pub order_status: &'static str,
    pub exec_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fees: Option<Vec<FeeEntry>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_usd_equiv: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amended: Option<bool>,
    pub timestamp: String,
    /// The pair's trading counter, only for subscribers that asked for `ratecounter`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratecount: Option<Num>,
}

/// One entry of the `balances` channel: a snapshot asset or an update ledger entry.
#[derive(Clone, Debug, Serialize)]
pub struct Wallet {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: &'static str,
    pub balance: Num,
}

#[derive(Clone, Debug, Serialize)]
pub struct BalanceSnapshotRow {
    pub asset: String,
    pub asset_class: &'static str,
    pub balance: Num,
    pub wallets: Vec<Wallet>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BalanceUpdateRow {
    pub ledger_id: String,
    pub ref_id: String,
    pub timestamp: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub subtype: &'static str,
    pub asset: String,
    pub asset_class: &'static str,
    pub wallet_type: &'static str,
    pub wallet_id: &'static str,
    pub amount: Num,
    pub fee: Num,
    pub balance: Num,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_pad_never_round() {
        let cases = [
            ("pad", Fixed::lit(18, 2), 7, "0.1800000"),
            ("integer", Fixed::lit(50, 0), 8, "50.00000000"),
            (
                "keeps extra digits",
                Fixed::lit(56_250_001, 9),
                7,
                "0.056250001",
            ),
            ("zero", Fixed::ZERO, 0, "0"),
        ];
        for (name, v, d, want) in cases {
            assert_eq!(dec(v, d), want, "case {name}");
        }
        assert_eq!(
            serde_json::to_string(&Num::new(Fixed::lit(18, 2), 7)).unwrap(),
            "0.1800000"
        );
        assert_eq!(
            ws_time(Timestamp::from_millis(1_760_097_600_123)),
            "2025-10-10T12:00:00.123000Z"
        );
        assert_eq!(
            unix_secs(Timestamp::from_millis(1_760_097_600_012)).0,
            "1760097600.012"
        );
    }
}
