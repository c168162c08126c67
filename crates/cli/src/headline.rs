//! The headline of a run: the dozen figures a trader judges it by, printed before anything
//! else (like freqtrade's summary table).
//!
//! Invariants:
//! - Every figure is read from the run's JSON summary, the same document `--json` writes;
//!   nothing is recomputed from other inputs. Derived percentages divide two figures of that
//!   summary exactly (equity change over starting equity, vs-hold over the holding's end
//!   value, drawdown over starting equity).
//! - Equity against holding is the headline of a grid run; realized PnL is one row among
//!   others, never the lead.
//! - A figure missing from the summary leaves its row out (or shows `-` beside a side that
//!   has it, in `compare`); the headline never invents a zero.
//! - Pure: `summary → rows`; printing and alignment live in [`crate::table`].

use serde_json::Value;

use crate::numfmt::{self, Sign};

/// One line of the headline: a label and its value as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub label: &'static str,
    pub value: String,
}

/// The value at a dotted path, e.g. `pnl.vs_hold_usd`.
fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// A decimal figure as text (money is serialized as strings; counts as numbers).
fn text(v: &Value, path: &str) -> Option<String> {
    match at(v, path)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn float(v: &Value, path: &str) -> Option<f64> {
    at(v, path)?.as_f64()
}

fn uint(v: &Value, path: &str) -> Option<u64> {
    at(v, path)?.as_u64()
}

/// `-33.09 USD`.
fn usd(amount: &str, sign: Sign) -> String {
    format!("{} USD", numfmt::decimal(amount, 2, sign))
}

/// `-33.09 USD (-11.04%)`, the percentage left out when it cannot be computed.
fn usd_pct(amount: &str, of: Option<&str>, sign: Sign) -> String {
    match of.and_then(|whole| numfmt::percent_of(amount, whole, sign)) {
        Some(pct) => format!("{} ({pct})", usd(amount, sign)),
        None => usd(amount, sign),
    }
}

/// The headline rows of a summary (grid or maker, told apart by its `strategy` field).
pub fn rows(summary: &Value) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut push = |label: &'static str, value: Option<String>| {
        if let Some(value) = value {
            rows.push(Row { label, value });
        }
    };
    let strategy = at(summary, "strategy").and_then(Value::as_str);
    push("Strategy", strategy_line(summary, strategy));
    push("Period", period(summary));
    match strategy {
        Some("maker") => maker_rows(summary, &mut push),
        _ => grid_rows(summary, &mut push),
    }
    push("Balances", balances(summary));
    push("Integrity", integrity(summary));
    rows
}

fn strategy_line(s: &Value, strategy: Option<&str>) -> Option<String> {
    let strategy = strategy?;
    let mut line = strategy.to_string();
    if let Some(slots) = uint(s, "slots.count") {
        line.push_str(&format!(", {slots} slots"));
    }
    if let Some(events) = uint(s, "data.events") {
        line.push_str(&format!(", {} events", numfmt::count(events)));
    }
    Some(line)
}

/// `2025-01-01 00:01 → 2025-01-06 00:00 UTC (5.0 days)`: `data.first_ts` → `data.last_ts`,
/// the times the engine saw the first and last events (a bar counts at its close, so a
/// one-minute bar file's period starts a minute after its first bar opens).
fn period(s: &Value) -> Option<String> {
    let first = at(s, "data.first_ts")?.as_i64()?;
    let last = at(s, "data.last_ts")?.as_i64()?;
    Some(format!(
        "{} → {} UTC ({})",
        numfmt::utc_minute(first),
        numfmt::utc_minute(last),
        numfmt::span(last - first)
    ))
}

fn grid_rows(s: &Value, push: &mut impl FnMut(&'static str, Option<String>)) {
    let start = text(s, "pnl.equity_start_usd");
    let hold_end = text(s, "pnl.hold_end_usd");
    push(
        "Equity change",
        text(s, "pnl.equity_change_usd").map(|c| {
            let mut line = usd_pct(&c, start.as_deref(), Sign::Always);
            if let (Some(a), Some(b)) = (&start, text(s, "pnl.equity_end_usd")) {
                line.push_str(&format!(
                    ", {} → {}",
                    numfmt::decimal(a, 2, Sign::Plain),
                    numfmt::decimal(&b, 2, Sign::Plain)
                ));
            }
            line
        }),
    );
    push(
        "vs holding",
        text(s, "pnl.vs_hold_usd").map(|v| usd_pct(&v, hold_end.as_deref(), Sign::Always)),
    );
    push(
        "Realized / unrealized",
        match (text(s, "pnl.realized_usd"), text(s, "pnl.unrealized_usd")) {
            (Some(r), Some(u)) => Some(format!(
                "{} / {} USD",
                numfmt::decimal(&r, 2, Sign::Always),
                numfmt::decimal(&u, 2, Sign::Always)
            )),
            _ => None,
        },
    );
    push(
        "Max drawdown",
        text(s, "pnl.max_drawdown_usd").map(|d| usd_pct(&d, start.as_deref(), Sign::Plain)),
    );
    push("Round trips", round_trips(s));
    push(
        "Fees",
        text(s, "pnl.fees_usd").map(|f| usd(&f, Sign::Plain)),
    );
    push("Idle USD", idle(s));
    push("Governor", governor(s));
    push("B-side", b_side(s));
}

/// `372, win rate 100.0% (372 W / 0 L)`.
fn round_trips(s: &Value) -> Option<String> {
    let n = uint(s, "pnl.round_trips")?;
    let (wins, losses) = (uint(s, "pnl.wins"), uint(s, "pnl.losses"));
    Some(match (wins, losses) {
        (Some(w), Some(l)) if w + l > 0 => format!(
            "{}, win rate {} ({} W / {} L)",
            numfmt::count(n),
            numfmt::ratio_pct(w as f64 / (w + l) as f64, Sign::Plain),
            numfmt::count(w),
            numfmt::count(l)
        ),
        _ => numfmt::count(n),
    })
}

/// `63.59 USD = 51.2% (target 40.0%, mean 52.3%)`: the end-of-run idle share against the
/// governor's target.
fn idle(s: &Value) -> Option<String> {
    let usd_end = text(s, "idle_usd.final_usd")?;
    let mut line = usd(&usd_end, Sign::Plain);
    if let Some(r) = float(s, "idle_usd.final_ratio") {
        line.push_str(&format!(" = {}", numfmt::ratio_pct(r, Sign::Plain)));
    }
    let mut extra = Vec::new();
    if let Some(t) = float(s, "rebalancer.target") {
        extra.push(format!("target {}", numfmt::ratio_pct(t, Sign::Plain)));
    }
    if let Some(m) = float(s, "idle_usd.mean_ratio") {
        extra.push(format!("mean {}", numfmt::ratio_pct(m, Sign::Plain)));
    }
    if !extra.is_empty() {
        line.push_str(&format!(" ({})", extra.join(", ")));
    }
    Some(line)
}

/// `on, skew +22.4% buy_doge, held by none, 0 sign flips` or `off`.
fn governor(s: &Value) -> Option<String> {
    let r = at(s, "rebalancer")?;
    if r.get("enabled").and_then(Value::as_bool) == Some(false) {
        return Some("off".to_string());
    }
    let mut parts = vec!["on".to_string()];
    if let Some(skew) = float(r, "skew") {
        let dir = r
            .get("skew_direction")
            .and_then(Value::as_str)
            .map(|d| format!(" {d}"))
            .unwrap_or_default();
        parts.push(format!(
            "skew {}{dir}",
            numfmt::ratio_pct(skew, Sign::Always)
        ));
    }
    let held = r
        .get("held_by")
        .and_then(Value::as_str)
        .unwrap_or("nothing");
    parts.push(format!("held by {held}"));
    if r.get("damped").and_then(Value::as_bool) == Some(true) {
        parts.push("damped".to_string());
    }
    if let Some(flips) = uint(r, "sign_flips") {
        parts.push(format!("{} sign flips", numfmt::count(flips)));
    }
    Some(parts.join(", "))
}

/// `green: Fund guard blocks: 0 | Floor blocks: 0 | Degraded slots: 0/10` (the card's colour
/// and its counters line, seed 001 §6.4).
fn b_side(s: &Value) -> Option<String> {
    let colour = at(s, "b_side_health_card.color")?.as_str()?;
    let counters = at(s, "b_side_health_card.text")
        .and_then(Value::as_str)
        .and_then(|t| t.lines().nth(1))
        .map(str::trim);
    Some(match counters {
        Some(c) => format!("{colour}: {c}"),
        None => colour.to_string(),
    })
}

fn maker_rows(s: &Value, push: &mut impl FnMut(&'static str, Option<String>)) {
    push(
        "FIFO realized",
        text(s, "maker.fifo_realized_quote").map(|v| usd(&v, Sign::Always)),
    );
    push(
        "Unrealized",
        text(s, "maker.unrealized_quote").map(|v| usd(&v, Sign::Always)),
    );
    push(
        "Fees",
        text(s, "maker.fees_quote").map(|v| usd(&v, Sign::Plain)),
    );
    push(
        "Quote fills",
        uint(s, "maker.quote_fills").map(|n| {
            let mut line = numfmt::count(n);
            if let Some(vol) = text(s, "maker.volume_base") {
                line.push_str(&format!(", volume {}", numfmt::qty(&vol, 4, Sign::Plain)));
            }
            line
        }),
    );
    push(
        "Inventory",
        text(s, "maker.inventory.final_base").map(|end| {
            let mut line = format!("end {}", numfmt::qty(&end, 4, Sign::Always));
            if let Some(max) = text(s, "maker.inventory.max_abs") {
                line.push_str(&format!(
                    ", max |inv| {}",
                    numfmt::qty(&max, 4, Sign::Plain)
                ));
            }
            if let Some(p99) = text(s, "maker.inventory.p99_abs") {
                line.push_str(&format!(", p99 {}", numfmt::qty(&p99, 4, Sign::Plain)));
            }
            line
        }),
    );
    push(
        "Hedger",
        text(s, "maker.hedger.volume_base").map(|vol| {
            let mut line = format!("volume {}", numfmt::qty(&vol, 4, Sign::Plain));
            if let Some(cost) = text(s, "maker.hedger.fees_quote") {
                line.push_str(&format!(", cost {}", usd(&cost, Sign::Plain)));
            }
            if let Some(clips) = uint(s, "maker.hedger.clips") {
                line.push_str(&format!(", {} clips", numfmt::count(clips)));
            }
            if let Some(e) = uint(s, "maker.hedger.emergency_orders").filter(|&e| e > 0) {
                line.push_str(&format!(", {} emergency", numfmt::count(e)));
            }
            line
        }),
    );
    push(
        "Guards",
        uint(s, "maker.pnl_guard_activations").map(|pnl| {
            let mut line = format!("PnL guard {} activations", numfmt::count(pnl));
            if let Some(hv) = uint(s, "maker.high_vol_pauses") {
                line.push_str(&format!(", {} high-vol pauses", numfmt::count(hv)));
            }
            line
        }),
    );
}

/// `base 1,000 → 1,690, quote 200.00 → 124.18`.
fn balances(s: &Value) -> Option<String> {
    let b0 = text(s, "balances.start.base")?;
    let b1 = text(s, "balances.end.base")?;
    let q0 = text(s, "balances.start.quote")?;
    let q1 = text(s, "balances.end.quote")?;
    Some(format!(
        "base {} → {}, quote {} → {}",
        numfmt::qty(&b0, 4, Sign::Plain),
        numfmt::qty(&b1, 4, Sign::Plain),
        numfmt::decimal(&q0, 2, Sign::Plain),
        numfmt::decimal(&q1, 2, Sign::Plain)
    ))
}

/// `ok` when the run is clean; otherwise what is wrong (halt, invariant breaches, FIFO
/// errors, unreconciled balances).
fn integrity(s: &Value) -> Option<String> {
    let i = at(s, "integrity")?;
    let mut problems = Vec::new();
    if i.get("halted").and_then(Value::as_bool) == Some(true) {
        let reason = i
            .get("halt_reason")
            .and_then(Value::as_str)
            .unwrap_or("no reason recorded");
        problems.push(format!("HALTED: {reason}"));
    }
    for (key, what) in [
        ("invariant_violations", "invariant violations"),
        ("fifo_errors", "FIFO errors"),
        ("untracked_executions", "untracked executions"),
        ("arithmetic_faults", "arithmetic faults"),
    ] {
        if let Some(n) = i.get(key).and_then(Value::as_u64).filter(|&n| n > 0) {
            problems.push(format!("{} {what}", numfmt::count(n)));
        }
    }
    if at(s, "balances.reconciled").and_then(Value::as_bool) == Some(false) {
        problems.push("balances not reconciled".to_string());
    }
    Some(if problems.is_empty() {
        "ok".to_string()
    } else {
        problems.join(", ")
    })
}

#[cfg(test)]
#[path = "headline_tests.rs"]
mod tests;
