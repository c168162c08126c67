//! Human-readable summary tables: the headline ([`crate::headline`]) of one run or of two
//! side by side, and the full key list (`--verbose`) of one run or of two with the
//! differences marked.
//!
//! The key lists are built from the JSON form of the summary, flattened to dotted keys, so
//! every field of the summary appears and a new field needs no code here. Every printer
//! returns write errors (a closed pipe: `flywheel … | head`) where `println!` would panic.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;

use crate::headline::Row;

/// `(dotted key, value as text)` for every leaf of the summary, in field order.
pub fn flatten(summary: &impl Serialize) -> Vec<(String, String)> {
    let value = serde_json::to_value(summary).unwrap_or(Value::Null);
    let mut rows = Vec::new();
    walk("", &value, &mut rows);
    rows
}

fn walk(prefix: &str, v: &Value, rows: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                walk(&key, v, rows);
            }
        }
        Value::Array(items) => {
            let text: Vec<String> = items.iter().map(leaf).collect();
            rows.push((prefix.to_string(), text.join(", ")));
        }
        other => rows.push((prefix.to_string(), leaf(other))),
    }
}

fn leaf(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => format!("{f:.4}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// What a trader judges a run by, printed first and in this order (when present): equity
/// against holding the starting balances leads, realized PnL is never the headline.
pub const HEADLINE: &[&str] = &[
    "pnl.equity_change_usd",
    "pnl.vs_hold_usd",
    "pnl.realized_usd",
    "pnl.unrealized_usd",
    "pnl.fees_usd",
    "pnl.max_drawdown_usd",
];

/// `rows` with the [`HEADLINE`] keys moved to the front, in its order.
fn headline_first(mut rows: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut head = Vec::new();
    for key in HEADLINE {
        if let Some(i) = rows.iter().position(|(k, _)| k == key) {
            head.push(rows.remove(i));
        }
    }
    head.extend(rows);
    head
}

/// Print one run's summary, the headline first. A write error (a closed pipe:
/// `flywheel … | head`) is returned, where `println!` would panic.
pub fn print_summary(summary: &impl Serialize) -> io::Result<()> {
    let rows = headline_first(flatten(summary));
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = io::stdout().lock();
    for (k, v) in rows {
        writeln!(out, "{k:<width$}  {v}")?;
    }
    out.flush()
}

/// Print two runs side by side; `*` marks rows that differ. Write errors are returned.
pub fn print_comparison(a: &impl Serialize, b: &impl Serialize) -> io::Result<()> {
    let ra = headline_first(flatten(a));
    let rb = flatten(b);
    let width = ra.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let vw = ra
        .iter()
        .map(|(_, v)| v.len())
        .max()
        .unwrap_or(1)
        .clamp(1, 40);
    let mut out = io::stdout().lock();
    writeln!(out, "  {:<width$}  {:>vw$}  {:>vw$}", "field", "A", "B")?;
    let mut keys: Vec<&String> = ra.iter().map(|(k, _)| k).collect();
    for (k, _) in &rb {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for k in keys {
        let va = ra
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("-");
        let vb = rb
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("-");
        let mark = if va != vb && !k.starts_with("run.") {
            '*'
        } else {
            ' '
        };
        writeln!(out, "{mark} {k:<width$}  {va:>vw$}  {vb:>vw$}")?;
    }
    out.flush()
}

/// The headline table of one run as text: a title line, then `label  value` aligned.
pub fn headline_text(title: &str, rows: &[Row]) -> String {
    let width = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = format!("{title}\n");
    for r in rows {
        out.push_str(&format!("  {:<width$}  {}\n", r.label, r.value));
    }
    out
}

/// The headlines of two runs side by side: one row per label (in A's order, then labels
/// only B has), `-` where a side lacks the figure, `*` before rows that differ.
pub fn headline_comparison_text(title: &str, a: &[Row], b: &[Row]) -> String {
    let mut labels: Vec<&'static str> = a.iter().map(|r| r.label).collect();
    for r in b {
        if !labels.contains(&r.label) {
            labels.push(r.label);
        }
    }
    let value = |rows: &[Row], label: &str| -> String {
        rows.iter()
            .find(|r| r.label == label)
            .map_or_else(|| "-".to_string(), |r| r.value.clone())
    };
    let lw = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let aw = labels
        .iter()
        .map(|l| value(a, l).chars().count())
        .max()
        .unwrap_or(1)
        .max(1);
    let mut out = format!("{title}\n  {:<lw$}  {:<aw$}  B\n", "", "A");
    for label in labels {
        let (va, vb) = (value(a, label), value(b, label));
        let mark = if va != vb { '*' } else { ' ' };
        // `{:<aw$}` pads by chars, and the values hold multi-byte arrows.
        let pad = aw.saturating_sub(va.chars().count());
        out.push_str(&format!(
            "{mark} {label:<lw$}  {va}{}  {vb}\n",
            " ".repeat(pad)
        ));
    }
    out
}

/// Print a text block to standard output.
pub fn print_text(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &'static str, value: &str) -> Row {
        Row {
            label,
            value: value.to_string(),
        }
    }

    #[test]
    fn headline_aligns_labels() {
        let text = headline_text(
            "T",
            &[row("Period", "a → b"), row("Equity change", "+1.00 USD")],
        );
        assert_eq!(
            text,
            "T\n  Period         a → b\n  Equity change  +1.00 USD\n"
        );
    }

    #[test]
    fn comparison_marks_differences_and_missing_figures() {
        let a = [row("Period", "a → b"), row("Fees", "1.00 USD")];
        let b = [
            row("Period", "a → b"),
            row("Fees", "2.00 USD"),
            row("Governor", "off"),
        ];
        let text = headline_comparison_text("T", &a, &b);
        let want = [
            "T",
            "            A         B",
            "  Period    a → b     a → b",
            "* Fees      1.00 USD  2.00 USD",
            "* Governor  -         off",
        ]
        .map(|l| format!("{l}\n"))
        .concat();
        assert_eq!(text, want);
    }

    #[test]
    fn the_headline_leads_in_its_order() {
        let summary = serde_json::json!({
            "data": {"events": 3},
            "pnl": {
                "fees_usd": "1", "realized_usd": "5", "vs_hold_usd": "-2",
                "equity_change_usd": "7", "round_trips": 4
            }
        });
        let keys: Vec<String> = headline_first(flatten(&summary))
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            [
                "pnl.equity_change_usd",
                "pnl.vs_hold_usd",
                "pnl.realized_usd",
                "pnl.fees_usd",
                "data.events",
                "pnl.round_trips"
            ]
        );
    }
}
