//! The results of a sweep: metrics to sort by, the sorted table on stdout, and the CSV and
//! JSON files. (The HTML page with its heatmap is [`crate::commands::sweep_html`].)
//!
//! Invariants:
//! - Rows are sorted best first by the chosen metric ("best" is per metric: more is better
//!   for profit, win rate and round trips, less for fees, drawdown and idle share), ties in
//!   grid order, so the order is deterministic.
//! - Money is written exact in CSV and JSON (the summary's decimal strings); the table on
//!   the terminal rounds to cents for reading only.

use std::fmt::Write as _;

use flywheel_core::Wide;
use serde_json::{json, Value};

use crate::commands::sweep_grid::Axis;
use crate::commands::sweep_run::{DataFile, Metrics, Row};

/// A figure to sort by or to colour the heatmap with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Metric {
    /// Equity change minus the change of holding the starting balances (USD).
    #[value(name = "vs_hold")]
    VsHold,
    /// Equity change (USD).
    #[value(name = "equity_change")]
    EquityChange,
    /// Realized profit (USD).
    #[value(name = "realized")]
    Realized,
    /// Unrealized profit at the end (USD).
    #[value(name = "unrealized")]
    Unrealized,
    /// Fees paid (USD; less is better).
    #[value(name = "fees")]
    Fees,
    /// Largest drawdown (USD; less is better).
    #[value(name = "drawdown")]
    Drawdown,
    /// Round trips closed.
    #[value(name = "round_trips")]
    RoundTrips,
    /// Wins over closed round trips.
    #[value(name = "win_rate")]
    WinRate,
    /// Mean idle-USD share (less is better).
    #[value(name = "idle")]
    Idle,
}

/// A metric's value, compared exactly (money as decimals, not floats).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure {
    Usd(Wide),
    Count(u64),
    Share(f64),
}

impl Figure {
    /// For colours and scales only.
    pub fn to_f64(self) -> f64 {
        match self {
            Figure::Usd(w) => w.to_f64(),
            Figure::Count(n) => n as f64,
            Figure::Share(x) => x,
        }
    }

    fn cmp(self, other: Figure) -> std::cmp::Ordering {
        match (self, other) {
            (Figure::Usd(a), Figure::Usd(b)) => a.cmp(&b),
            (Figure::Count(a), Figure::Count(b)) => a.cmp(&b),
            (a, b) => a.to_f64().total_cmp(&b.to_f64()),
        }
    }

    /// Short text for the terminal and the heatmap: USD to cents, shares in percent.
    pub fn short(self) -> String {
        match self {
            Figure::Usd(w) => cents(w),
            Figure::Count(n) => n.to_string(),
            Figure::Share(x) => format!("{:.1}%", x * 100.0),
        }
    }

    /// Exact text for CSV.
    pub fn exact(self) -> String {
        match self {
            Figure::Usd(w) => w.to_string(),
            Figure::Count(n) => n.to_string(),
            Figure::Share(x) => x.to_string(),
        }
    }
}

/// `w` rounded half away from zero to cents, e.g. `-1.50`.
pub fn cents(w: Wide) -> String {
    // nano-units → cents: 10^7 nano per cent.
    const UNIT: i128 = 10_000_000;
    let raw = w.raw();
    let half = UNIT / 2;
    let c = if raw >= 0 {
        (raw + half) / UNIT
    } else {
        (raw - half) / UNIT
    };
    let sign = if c < 0 { "-" } else { "" };
    let a = c.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

impl Metric {
    pub const ALL: [Metric; 9] = [
        Metric::VsHold,
        Metric::EquityChange,
        Metric::Realized,
        Metric::Unrealized,
        Metric::Fees,
        Metric::Drawdown,
        Metric::RoundTrips,
        Metric::WinRate,
        Metric::Idle,
    ];

    /// The name used on the command line and in CSV/JSON.
    pub fn name(self) -> &'static str {
        match self {
            Metric::VsHold => "vs_hold",
            Metric::EquityChange => "equity_change",
            Metric::Realized => "realized",
            Metric::Unrealized => "unrealized",
            Metric::Fees => "fees",
            Metric::Drawdown => "drawdown",
            Metric::RoundTrips => "round_trips",
            Metric::WinRate => "win_rate",
            Metric::Idle => "idle",
        }
    }

    /// Whether a larger value is better.
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Metric::Fees | Metric::Drawdown | Metric::Idle)
    }

    pub fn of(self, m: &Metrics) -> Figure {
        match self {
            Metric::VsHold => Figure::Usd(m.vs_hold_usd),
            Metric::EquityChange => Figure::Usd(m.equity_change_usd),
            Metric::Realized => Figure::Usd(m.realized_usd),
            Metric::Unrealized => Figure::Usd(m.unrealized_usd),
            Metric::Fees => Figure::Usd(m.fees_usd),
            Metric::Drawdown => Figure::Usd(m.max_drawdown_usd),
            Metric::RoundTrips => Figure::Count(m.round_trips),
            Metric::WinRate => Figure::Share(m.win_rate()),
            Metric::Idle => Figure::Share(m.idle_mean_ratio),
        }
    }

    /// Whether `a` is strictly better than `b`.
    pub fn better(self, a: Figure, b: Figure) -> bool {
        let ord = a.cmp(b);
        if self.higher_is_better() {
            ord.is_gt()
        } else {
            ord.is_lt()
        }
    }
}

/// Sort `rows` best first by `metric` (over all files); ties keep grid order.
pub fn sort_rows(rows: &mut [Row], metric: Metric) {
    rows.sort_by(|a, b| {
        let (fa, fb) = (metric.of(&a.total), metric.of(&b.total));
        let ord = if metric.higher_is_better() {
            fb.cmp(fa)
        } else {
            fa.cmp(fb)
        };
        ord.then(a.index.cmp(&b.index))
    });
}

/// Short file labels for column headers: `f1`, `f2`, ...
pub fn file_label(i: usize) -> String {
    format!("f{}", i + 1)
}

/// The table printed on stdout: the first `top` rows (0 = all), the grid values, every
/// metric over all files and, with `per_file`, the sort metric per file.
pub fn table(
    axes: &[Axis],
    files: &[DataFile],
    rows: &[Row],
    sort: Metric,
    top: usize,
    per_file: bool,
) -> String {
    let mut header: Vec<String> = vec!["#".into()];
    header.extend(axes.iter().map(|a| a.key.clone()));
    header.extend(Metric::ALL.iter().map(|m| m.name().to_string()));
    if per_file {
        header.extend((0..files.len()).map(|i| format!("{}:{}", file_label(i), sort.name())));
    }
    header.push("halted".into());
    let shown = if top == 0 {
        rows.len()
    } else {
        top.min(rows.len())
    };
    let mut cells: Vec<Vec<String>> = vec![header];
    for (rank, row) in rows.iter().take(shown).enumerate() {
        let mut line = vec![(rank + 1).to_string()];
        line.extend(axes.iter().zip(&row.at).map(|(a, &i)| a.values[i].clone()));
        line.extend(Metric::ALL.iter().map(|m| m.of(&row.total).short()));
        if per_file {
            line.extend(row.per_file.iter().map(|m| sort.of(m).short()));
        }
        line.push(if row.total.halted { "yes" } else { "" }.into());
        cells.push(line);
    }
    let widths: Vec<usize> = (0..cells[0].len())
        .map(|c| {
            cells
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in &cells {
        let text: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{cell:>w$}"))
            .collect();
        let _ = writeln!(out, "{}", text.join("  ").trim_end());
    }
    if shown < rows.len() {
        let _ = writeln!(
            out,
            "({shown} of {} configurations shown, best {} first; --top 0 shows all)",
            rows.len(),
            sort.name()
        );
    }
    for (i, f) in files.iter().enumerate() {
        let _ = writeln!(out, "{}: {}", file_label(i), f.path.display());
    }
    out
}

/// Quote a CSV field when it needs it (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// CSV: one row per configuration, in sorted order: rank, the grid values, every metric
/// over all files, then every metric per file (`f1:vs_hold`, ...; the files are named in
/// the JSON output and the table's legend).
pub fn csv(axes: &[Axis], files: &[DataFile], rows: &[Row]) -> String {
    let mut header: Vec<String> = vec!["rank".into()];
    header.extend(axes.iter().map(|a| a.key.clone()));
    header.extend(Metric::ALL.iter().map(|m| m.name().to_string()));
    header.push("halted".into());
    for i in 0..files.len() {
        header.extend(
            Metric::ALL
                .iter()
                .map(|m| format!("{}:{}", file_label(i), m.name())),
        );
    }
    let mut out = String::new();
    let line = |fields: Vec<String>| -> String {
        let quoted: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        quoted.join(",") + "\n"
    };
    out.push_str(&line(header));
    for (rank, row) in rows.iter().enumerate() {
        let mut fields = vec![(rank + 1).to_string()];
        fields.extend(axes.iter().zip(&row.at).map(|(a, &i)| a.values[i].clone()));
        fields.extend(Metric::ALL.iter().map(|m| m.of(&row.total).exact()));
        fields.push(row.total.halted.to_string());
        for m in &row.per_file {
            fields.extend(Metric::ALL.iter().map(|k| k.of(m).exact()));
        }
        out.push_str(&line(fields));
    }
    out
}

/// JSON: the grid, the files, the sort metric and the rows in sorted order, each with its
/// configuration, its totals and its per-file figures (the summary's exact decimals).
pub fn json(axes: &[Axis], files: &[DataFile], rows: &[Row], sort: Metric) -> Value {
    let grid: Vec<Value> = axes
        .iter()
        .map(|a| json!({ "key": a.key, "values": a.values }))
        .collect();
    let names: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    let rows: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(rank, row)| {
            let config: serde_json::Map<String, Value> = axes
                .iter()
                .zip(&row.at)
                .map(|(a, &i)| (a.key.clone(), Value::String(a.values[i].clone())))
                .collect();
            let per_file: Vec<Value> = names
                .iter()
                .zip(&row.per_file)
                .map(|(file, m)| json!({ "file": file, "metrics": metrics_json(m) }))
                .collect();
            json!({
                "rank": rank + 1,
                "config": config,
                "total": metrics_json(&row.total),
                "per_file": per_file,
            })
        })
        .collect();
    json!({
        "grid": grid,
        "files": names,
        "sort": sort.name(),
        "configurations": rows.len(),
        "rows": rows,
    })
}

fn metrics_json(m: &Metrics) -> Value {
    let mut v = serde_json::to_value(m).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.insert("win_rate".into(), json!(m.win_rate()));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_table() {
        let cases = [
            ("zero", 0, "0.00"),
            ("exact", 1_500_000_000, "1.50"),
            ("rounds half up", 1_005_000_000, "1.01"),
            ("rounds down", 1_004_999_999, "1.00"),
            ("negative half away", -1_005_000_000, "-1.01"),
            ("tiny negative is zero", -1, "0.00"),
        ];
        for (name, raw, want) in cases {
            assert_eq!(cents(Wide::from_raw(raw)), want, "case {name}");
        }
    }

    #[test]
    fn csv_field_table() {
        let cases = [
            ("plain", "1.5", "1.5"),
            ("comma", "a,b", "\"a,b\""),
            ("quote", "a\"b", "\"a\"\"b\""),
        ];
        for (name, field, want) in cases {
            assert_eq!(csv_field(field), want, "case {name}");
        }
    }

    fn row(index: usize, vs_hold: i128, fees: i128) -> Row {
        let total = Metrics {
            vs_hold_usd: Wide::from_raw(vs_hold),
            fees_usd: Wide::from_raw(fees),
            ..Metrics::default()
        };
        Row {
            index,
            at: vec![index],
            total,
            per_file: Vec::new(),
        }
    }

    #[test]
    fn sort_is_best_first_with_ties_in_grid_order() {
        let mut rows = vec![row(0, 5, 3), row(1, 9, 1), row(2, 5, 2)];
        sort_rows(&mut rows, Metric::VsHold);
        let order: Vec<usize> = rows.iter().map(|r| r.index).collect();
        assert_eq!(order, [1, 0, 2], "more vs_hold first, ties by index");
        sort_rows(&mut rows, Metric::Fees);
        let order: Vec<usize> = rows.iter().map(|r| r.index).collect();
        assert_eq!(order, [1, 2, 0], "fewer fees first");
    }
}
