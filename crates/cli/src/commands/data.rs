//! `flywheel data inspect FILE`: what a market data file holds, before a backtest spends
//! time on it — the detected format, rows, period, bar interval, gaps, price range and total
//! volume; `--json` for machines.
//!
//! The file is read by the same reader as a backtest (`flywheel_marketdata::open`), so what
//! inspect accepts a backtest accepts, and an unreadable row is the same `file:line` error.
//! Invariants:
//! - Prices and volumes are exact: extremes are compared as [`Price`], the volume total is
//!   summed in `i128` nano-units (no overflow for any file the reader accepts).
//! - A gap in a bar file is a step between two bar opens longer than the interval (the
//!   missing bars are listed by their open times); in a trade file it is a silence longer
//!   than `--gap` (5 minutes by default).
//! - Memory is constant in the file length: only the first [`SHOWN_GAPS`] gaps are kept.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use flywheel_core::Price;
use flywheel_marketdata::{format_utc, MarketEvent};
use serde::Serialize;

use crate::numfmt;

/// Gaps listed with their times (all are counted).
pub const SHOWN_GAPS: usize = 5;
/// A silence in a trade file longer than this is a gap, unless `--gap` says otherwise.
pub const DEFAULT_TRADE_GAP_SECS: u64 = 300;

#[derive(Debug, Args)]
pub struct DataArgs {
    #[command(subcommand)]
    pub command: DataCommand,
}

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Show a data file's format, rows, period, interval, gaps, price range and volume.
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The market data file (any format `backtest --data` reads; gzip detected by content).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print the inspection as JSON on standard output.
    #[arg(long)]
    pub json: bool,
    /// In a trade file, a silence longer than this many seconds is a gap (bar files use
    /// their bar interval).
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_TRADE_GAP_SECS,
          value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub gap: u64,
}

/// `flywheel data …`.
pub fn run(args: DataArgs) -> anyhow::Result<()> {
    match args.command {
        DataCommand::Inspect(a) => inspect(&a),
    }
}

/// One gap: the last time before it and the first after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// Bars: open time of the first missing bar; trades: time of the last trade before.
    pub from_ms: i64,
    /// Bars: open time of the last missing bar; trades: time of the first trade after.
    pub to_ms: i64,
    pub from_utc: String,
    pub to_utc: String,
    /// Length of the hole: missing bars × interval, or the silence between two trades.
    pub duration_ms: i64,
    /// Bars missing (bar files only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_bars: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gaps {
    pub count: u64,
    /// Bars missing in all gaps (bar files only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_bars: Option<i64>,
    pub largest: Option<Gap>,
    /// The first gaps, in file order (at most [`SHOWN_GAPS`]).
    pub first: Vec<Gap>,
    /// What counts as a gap, in ms: the bar interval, or `--gap` for trades.
    pub threshold_ms: i64,
}

/// What `inspect` found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inspection {
    pub file: String,
    pub format: String,
    /// `bars` or `trades`.
    pub events: &'static str,
    pub rows: u64,
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    pub first_utc: Option<String>,
    pub last_utc: Option<String>,
    /// Bar interval (bar files only).
    pub interval_ms: Option<i64>,
    pub gaps: Gaps,
    /// Lowest and highest close (bars) or trade price, exact.
    pub price_min: Option<String>,
    pub price_max: Option<String>,
    /// `close` or `trade`.
    pub price_of: &'static str,
    /// Total volume in base units, exact; `None` when a bar file records no volume.
    pub volume_total: Option<String>,
    /// The same in nano-units, for the human form.
    #[serde(skip)]
    pub volume_raw: i128,
}

/// Running figures over the events of one file.
#[derive(Debug)]
pub struct Inspector {
    bars: bool,
    threshold_ms: i64,
    rows: u64,
    first: Option<i64>,
    last: Option<i64>,
    min: Option<Price>,
    max: Option<Price>,
    /// Volume in nano-units; `None` once a bar without volume is seen.
    volume: Option<i128>,
    gaps: Gaps,
}

impl Inspector {
    /// For a bar file of `interval_ms`, or (`None`) a trade file with gaps over `gap_ms`.
    pub fn new(interval_ms: Option<i64>, gap_ms: i64) -> Inspector {
        let threshold_ms = interval_ms.unwrap_or(gap_ms);
        Inspector {
            bars: interval_ms.is_some(),
            threshold_ms,
            rows: 0,
            first: None,
            last: None,
            min: None,
            max: None,
            volume: Some(0),
            gaps: Gaps {
                count: 0,
                missing_bars: interval_ms.map(|_| 0),
                largest: None,
                first: Vec::new(),
                threshold_ms,
            },
        }
    }

    /// Take one event (in file order: the reader guarantees non-decreasing times).
    pub fn observe(&mut self, ev: &MarketEvent) {
        let (t, price, qty) = match ev {
            MarketEvent::Bar(b) => (b.open_time.millis(), b.close, b.volume),
            MarketEvent::Trade(tr) => (tr.ts.millis(), tr.price, Some(tr.qty)),
        };
        self.rows += 1;
        if let Some(prev) = self.last {
            self.gap(prev, t);
        }
        self.first.get_or_insert(t);
        self.last = Some(t);
        self.min = Some(self.min.map_or(price, |m| m.min(price)));
        self.max = Some(self.max.map_or(price, |m| m.max(price)));
        self.volume = match (self.volume, qty) {
            (Some(v), Some(q)) => Some(v + i128::from(q.raw())),
            _ => None,
        };
    }

    fn gap(&mut self, prev: i64, t: i64) {
        let step = t - prev;
        if step <= self.threshold_ms {
            return;
        }
        let gap = if self.bars {
            let interval = self.threshold_ms;
            let missing = step / interval - 1 + i64::from(step % interval != 0);
            let (from, to) = (prev + interval, t - interval);
            Gap {
                from_ms: from,
                to_ms: to.max(from),
                from_utc: format_utc(from),
                to_utc: format_utc(to.max(from)),
                duration_ms: step - interval,
                missing_bars: Some(missing.max(1)),
            }
        } else {
            Gap {
                from_ms: prev,
                to_ms: t,
                from_utc: format_utc(prev),
                to_utc: format_utc(t),
                duration_ms: step,
                missing_bars: None,
            }
        };
        let g = &mut self.gaps;
        g.count += 1;
        if let (Some(total), Some(m)) = (g.missing_bars.as_mut(), gap.missing_bars) {
            *total += m;
        }
        if g.largest
            .as_ref()
            .is_none_or(|l| gap.duration_ms > l.duration_ms)
        {
            g.largest = Some(gap.clone());
        }
        if g.first.len() < SHOWN_GAPS {
            g.first.push(gap);
        }
    }

    /// The figures of the file `file` in `format`.
    pub fn finish(self, file: &str, format: &str) -> Inspection {
        Inspection {
            file: file.to_string(),
            format: format.to_string(),
            events: if self.bars { "bars" } else { "trades" },
            rows: self.rows,
            first_ms: self.first,
            last_ms: self.last,
            first_utc: self.first.map(format_utc),
            last_utc: self.last.map(format_utc),
            interval_ms: self.bars.then_some(self.threshold_ms),
            gaps: self.gaps,
            price_min: self.min.map(|p| p.to_string()),
            price_max: self.max.map(|p| p.to_string()),
            price_of: if self.bars { "close" } else { "trade" },
            volume_total: self.volume.map(nano_to_decimal),
            volume_raw: self.volume.unwrap_or(0),
        }
    }
}

/// An `i128` count of nano-units as a canonical decimal string (`1500000000` → `1.5`).
pub fn nano_to_decimal(raw: i128) -> String {
    let sign = if raw < 0 { "-" } else { "" };
    let abs = raw.unsigned_abs();
    let (int, frac) = (abs / 1_000_000_000, abs % 1_000_000_000);
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let frac = format!("{frac:09}");
    format!("{sign}{int}.{}", frac.trim_end_matches('0'))
}

/// An `i128` count of nano-units for people: thousands separators, at most four decimals
/// (half away from zero), trailing zeros dropped. Volumes of whole files overflow the
/// `Fixed` range, hence this `i128` path.
pub fn volume_human(raw: i128) -> String {
    let sign = if raw < 0 { "-" } else { "" };
    let units = (raw.unsigned_abs() + 50_000) / 100_000; // 10⁻⁴ steps, rounded
    let (int, frac) = (units / 10_000, units % 10_000);
    let int = u64::try_from(int).map_or_else(|_| int.to_string(), numfmt::count);
    let frac = format!("{frac:04}");
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// Read `path` to the end and inspect it.
pub fn inspect_file(path: &Path, gap_secs: u64) -> anyhow::Result<Inspection> {
    let reader = flywheel_marketdata::open(path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let format = reader.format();
    let gap_ms = i64::try_from(gap_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let mut inspector = Inspector::new(reader.bar_interval(), gap_ms);
    let name = reader.name().to_string();
    for ev in reader {
        let ev = ev.map_err(|e| anyhow::anyhow!("{e}"))?;
        inspector.observe(&ev);
    }
    Ok(inspector.finish(&name, format.name()))
}

fn inspect(args: &InspectArgs) -> anyhow::Result<()> {
    let found = inspect_file(&args.file, args.gap)?;
    let text = if args.json {
        serde_json::to_string_pretty(&found)? + "\n"
    } else {
        render(&found)
    };
    crate::table::print_text(&text).context("inspection on standard output")
}

/// The human form: aligned `label  value` lines.
pub fn render(i: &Inspection) -> String {
    let mut rows: Vec<(&str, String)> = vec![
        ("File", i.file.clone()),
        ("Format", format!("{} ({})", i.format, i.events)),
        ("Rows", numfmt::count(i.rows)),
    ];
    if let (Some(a), Some(b)) = (i.first_ms, i.last_ms) {
        rows.push((
            "Period",
            format!(
                "{} → {} UTC ({})",
                numfmt::utc_minute(a),
                numfmt::utc_minute(b),
                numfmt::span(b - a)
            ),
        ));
    }
    if let Some(ms) = i.interval_ms {
        rows.push(("Interval", numfmt::duration(ms)));
    }
    let g = &i.gaps;
    let mut gaps = match (g.count, &g.largest) {
        (0, _) | (_, None) => format!(
            "none (a gap: a step over {})",
            numfmt::duration(g.threshold_ms)
        ),
        (n, Some(l)) => {
            let missing = g
                .missing_bars
                .map(|m| format!(", {} bars missing", numfmt::count(m.unsigned_abs())))
                .unwrap_or_default();
            format!(
                "{}{missing}; largest {} at {}",
                numfmt::count(n),
                numfmt::duration(l.duration_ms),
                numfmt::utc_minute(l.from_ms)
            )
        }
    };
    for gap in &g.first {
        let bars = gap
            .missing_bars
            .map(|m| format!(", {} bars", numfmt::count(m.unsigned_abs())))
            .unwrap_or_default();
        let _ = write!(
            gaps,
            "\n{:>12}{} → {} ({}{bars})",
            "",
            numfmt::utc_minute(gap.from_ms),
            numfmt::utc_minute(gap.to_ms),
            numfmt::duration(gap.duration_ms)
        );
    }
    if g.count > g.first.len() as u64 {
        let _ = write!(
            gaps,
            "\n{:>12}… {} more",
            "",
            numfmt::count(g.count - g.first.len() as u64)
        );
    }
    rows.push(("Gaps", gaps));
    if let (Some(lo), Some(hi)) = (&i.price_min, &i.price_max) {
        rows.push(("Price", format!("{lo} – {hi} ({})", i.price_of)));
    }
    rows.push((
        "Volume",
        match &i.volume_total {
            Some(_) => format!("{} (base units)", volume_human(i.volume_raw)),
            None => "not recorded".to_string(),
        },
    ));
    let mut out = String::new();
    for (label, value) in rows {
        let _ = writeln!(out, "{label:<10}  {value}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use flywheel_core::{Qty, Timestamp};
    use flywheel_marketdata::{Bar, Trade};

    const M: i64 = 60_000;

    fn bar(open_ms: i64, close: &str) -> MarketEvent {
        let p: Price = close.parse().expect("price");
        MarketEvent::Bar(Bar {
            open_time: Timestamp::from_millis(open_ms),
            close_time: Timestamp::from_millis(open_ms + M),
            open: p,
            high: p,
            low: p,
            close: p,
            volume: Some("1.5".parse::<Qty>().expect("qty")),
        })
    }

    #[test]
    fn bar_gaps_table() {
        // (name, bar open minutes, gaps, missing bars, largest duration in minutes)
        type Case = (&'static str, &'static [i64], u64, i64, Option<i64>);
        let cases: [Case; 4] = [
            ("no gap", &[0, 1, 2, 3], 0, 0, None),
            ("one missing bar", &[0, 1, 3], 1, 1, Some(1)),
            ("two gaps, largest second", &[0, 2, 3, 10], 2, 7, Some(6)),
            (
                "150 missing (the 2021-04-20 outage)",
                &[0, 151],
                1,
                150,
                Some(150),
            ),
        ];
        for (name, opens, count, missing, largest) in cases {
            let mut ins = Inspector::new(Some(M), 300_000);
            for m in opens {
                ins.observe(&bar(m * M, "1"));
            }
            let got = ins.finish("f", "ohlc-csv");
            assert_eq!(got.gaps.count, count, "case {name}");
            assert_eq!(got.gaps.missing_bars, Some(missing), "case {name}");
            assert_eq!(
                got.gaps.largest.map(|g| g.duration_ms / M),
                largest,
                "case {name}"
            );
        }
    }

    #[test]
    fn figures_are_exact() {
        let mut ins = Inspector::new(None, 300_000);
        for (t, price, qty) in [
            (0, "0.1", "0.1"),
            (1000, "0.3", "0.2"),
            (400_000, "0.2", "7"),
        ] {
            ins.observe(&MarketEvent::Trade(Trade {
                ts: Timestamp::from_millis(t),
                price: price.parse().expect("price"),
                qty: qty.parse().expect("qty"),
                taker_side: None,
            }));
        }
        let got = ins.finish("t.csv", "kraken-csv");
        assert_eq!(got.rows, 3);
        assert_eq!(got.price_min.as_deref(), Some("0.1"));
        assert_eq!(got.price_max.as_deref(), Some("0.3"));
        assert_eq!(got.volume_total.as_deref(), Some("7.3"));
        assert_eq!(got.gaps.count, 1);
        assert_eq!(got.gaps.first[0].duration_ms, 399_000);
        assert_eq!(got.interval_ms, None);
    }

    #[test]
    fn volume_human_table() {
        let cases = [
            (
                "whole file of DOGE",
                505_997_304_679_200_000_121,
                "505,997,304,679.2",
            ),
            ("rounds to four decimals", 1_234_567_890, "1.2346"),
            ("integer", 73_500_000_000, "73.5"),
            ("zero", 0, "0"),
            ("negative", -1_500_000_000, "-1.5"),
        ];
        for (name, raw, want) in cases {
            assert_eq!(volume_human(raw), want, "case {name}");
        }
    }

    #[test]
    fn nano_to_decimal_table() {
        let cases = [
            ("integer", 3_000_000_000, "3"),
            ("fraction", 1_500_000_000, "1.5"),
            ("nano", 1, "0.000000001"),
            ("negative", -2_250_000_000, "-2.25"),
            ("beyond i64", 100_000_000_000_000_000_000, "100000000000"),
        ];
        for (name, raw, want) in cases {
            assert_eq!(nano_to_decimal(raw), want, "case {name}");
        }
    }
}
