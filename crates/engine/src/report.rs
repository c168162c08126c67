//! The HTML report of a run: one self-contained file (inline CSS, inline SVG drawn here; no
//! scripts, no external references) with the summary figures and the sampled charts.
//! Output is a pure function of the input: no wall clock, fixed float formatting.
//!
//! Every chart is a [`LineChart`]; to add one (e.g. a governor skew series), build a
//! `LineChart` and append it to the list [`standard_charts`] returns, then call
//! [`render_html_with`].

use std::fmt::{Display, Write as _};

use flywheel_core::Timestamp;

use crate::stats::{FillMark, Sample};
use crate::summary::Summary;

/// Most fill markers drawn on the price chart; more are thinned evenly.
pub const MAX_MARKERS: usize = 2000;

/// Which y axis a series is scaled on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    Left,
    Right,
}

/// One line: `(time ms, value)` points.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    /// A CSS colour.
    pub color: String,
    pub axis: Axis,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn new(name: &str, color: &str, points: Vec<(f64, f64)>) -> Series {
        Series {
            name: name.to_string(),
            color: color.to_string(),
            axis: Axis::Left,
            points,
        }
    }
    /// Scale this series on the right axis.
    pub fn right(mut self) -> Series {
        self.axis = Axis::Right;
        self
    }
}

/// A triangle marker on the left axis: up (buy, green) or down (sell, red).
#[derive(Clone, Copy, Debug)]
pub struct Marker {
    pub x: f64,
    pub y: f64,
    pub up: bool,
}

/// A time-series chart with one or two y axes.
#[derive(Clone, Debug)]
pub struct LineChart {
    pub title: String,
    pub y_label: String,
    pub y2_label: Option<String>,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
}

const W: f64 = 960.0;
const H: f64 = 300.0;
const ML: f64 = 86.0;
const MR: f64 = 86.0;
const MT: f64 = 34.0;
const MB: f64 = 46.0;
const BUY: &str = "#1a9850";
const SELL: &str = "#d73027";

/// A linear map from a value range to a pixel range.
#[derive(Clone, Copy)]
struct Scale {
    lo: f64,
    hi: f64,
    p0: f64,
    p1: f64,
}

impl Scale {
    const fn new(lo: f64, hi: f64, p0: f64, p1: f64) -> Scale {
        Scale { lo, hi, p0, p1 }
    }
    fn at(&self, v: f64) -> f64 {
        self.p0 + (v - self.lo) / (self.hi - self.lo) * (self.p1 - self.p0)
    }
}

/// `[min, max]` of finite values, widened when empty or flat; `pad` is a fraction of span.
fn range(vals: impl Iterator<Item = f64>, pad: f64, flat: f64) -> (f64, f64) {
    let (lo, hi) = vals
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if lo > hi {
        return (0.0, 1.0);
    }
    if hi - lo <= f64::EPSILON * lo.abs().max(1.0) {
        let d = if lo == 0.0 { flat } else { lo.abs() * 0.05 };
        return (lo - d, hi + d);
    }
    let d = (hi - lo) * pad;
    (lo - d, hi + d)
}

/// A 1-2-5 step giving about `target` intervals over `span`, and the decimals it needs.
fn nice_step(span: f64, target: f64) -> (f64, usize) {
    let raw = (span / target).max(1e-12);
    let exp = raw.log10().floor();
    let mag = 10f64.powf(exp);
    let norm = raw / mag;
    let m = if norm < 1.5 {
        1.0
    } else if norm < 3.0 {
        2.0
    } else if norm < 7.0 {
        5.0
    } else {
        10.0
    };
    let dec = if m == 10.0 { -exp - 1.0 } else { -exp };
    (m * mag, dec.clamp(0.0, 9.0) as usize)
}

/// Ticks of a value axis: `(value, label)`.
fn value_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    let (step, dec) = nice_step(hi - lo, 5.0);
    let mut t = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while t <= hi + step * 1e-9 && out.len() < 20 {
        let v = if t.abs() < step * 1e-9 { 0.0 } else { t };
        out.push((v, format!("{v:.dec$}")));
        t += step;
    }
    out
}

/// Ticks of the time axis at UTC-aligned steps: `(ms, label)`.
fn time_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    const MIN: i64 = 60_000;
    const DAY: i64 = 1440 * MIN;
    // Candidate steps, in minutes: 1 min … 1 year.
    let steps = [
        1, 5, 15, 30, 60, 180, 360, 720, 1440, 2880, 10_080, 20_160, 43_200, 131_040,
    ];
    let span = hi - lo;
    let mut step = 365 * DAY;
    if let Some(s) = steps.iter().find(|&&m| span / (m * MIN) as f64 <= 8.0) {
        step = s * MIN;
    }
    while span / step as f64 > 8.0 {
        step *= 2;
    }
    let mut t = (lo / step as f64).ceil() as i64 * step;
    let mut out = Vec::new();
    while (t as f64) <= hi && out.len() < 20 {
        let iso = iso_utc(Timestamp::from_millis(t));
        let label = if step >= DAY {
            iso[..10].to_string()
        } else if span > DAY as f64 {
            format!("{} {}", &iso[5..10], &iso[11..16])
        } else {
            iso[11..16].to_string()
        };
        out.push((t as f64, label));
        t += step;
    }
    out
}

impl LineChart {
    pub fn new(title: &str, y_label: &str) -> LineChart {
        LineChart {
            title: title.to_string(),
            y_label: y_label.to_string(),
            y2_label: None,
            series: Vec::new(),
            markers: Vec::new(),
        }
    }
    pub fn y2_label(mut self, label: &str) -> LineChart {
        self.y2_label = Some(label.to_string());
        self
    }
    pub fn series(mut self, s: Series) -> LineChart {
        self.series.push(s);
        self
    }
    pub fn markers(mut self, m: Vec<Marker>) -> LineChart {
        self.markers = m;
        self
    }

    fn y_scale(&self, axis: Axis) -> Option<Scale> {
        let on_axis = || self.series.iter().filter(move |s| s.axis == axis);
        let mut vals: Vec<f64> = on_axis()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .collect();
        if axis == Axis::Left {
            vals.extend(self.markers.iter().map(|m| m.y));
        }
        if vals.is_empty() {
            return None;
        }
        let (lo, hi) = range(vals.into_iter(), 0.05, 1.0);
        Some(Scale::new(lo, hi, H - MB, MT))
    }

    /// The chart as an inline `<svg>` element.
    pub fn to_svg(&self) -> String {
        let t = esc(&self.title);
        let mut s = format!(
            r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{t}"><title>{t}</title><rect x="{ML}" y="{MT}" width="{}" height="{}" fill="white" stroke="gray"/>"#,
            W - ML - MR,
            H - MT - MB
        );
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0));
        let (xlo, xhi) = range(xs.chain(self.markers.iter().map(|m| m.x)), 0.0, 60_000.0);
        let x = Scale::new(xlo, xhi, ML, W - MR);
        let (yl, yr) = (self.y_scale(Axis::Left), self.y_scale(Axis::Right));
        if yl.is_none() && yr.is_none() {
            text(&mut s, W / 2.0, H / 2.0, "middle", "", "no data");
            s.push_str("</svg>");
            return s;
        }
        for (t, label) in time_ticks(xlo, xhi) {
            let px = x.at(t);
            grid_line(&mut s, px, MT, px, H - MB);
            text(&mut s, px, H - MB + 16.0, "middle", "", &label);
        }
        text(
            &mut s,
            (ML + W - MR) / 2.0,
            H - 8.0,
            "middle",
            "",
            "time (UTC)",
        );
        let axes = [
            (yl, ML - 6.0, "end", Some(&self.y_label), 16.0),
            (yr, W - MR + 6.0, "start", self.y2_label.as_ref(), W - 10.0),
        ];
        for (scale, tx, anchor, label, lx) in axes {
            let Some(y) = scale else { continue };
            for (v, label) in value_ticks(y.lo, y.hi) {
                let py = y.at(v);
                if anchor == "end" {
                    grid_line(&mut s, ML, py, W - MR, py);
                }
                text(&mut s, tx, py + 4.0, anchor, "", &label);
            }
            if let Some(l) = label {
                let ly = (MT + H - MB) / 2.0;
                let rot = format!(r#" transform="rotate(-90 {lx:.1} {ly:.1})""#);
                text(&mut s, lx, ly, "middle", &rot, l);
            }
        }
        let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
        for ser in &self.series {
            let Some(y) = (if ser.axis == Axis::Left { yl } else { yr }) else {
                continue;
            };
            let mut pts = String::new();
            for &(px, py) in ser.points.iter().filter(finite) {
                let _ = write!(pts, "{:.1},{:.1} ", x.at(px), y.at(py));
            }
            let (c, pts) = (esc(&ser.color), pts.trim_end());
            let _ = write!(
                s,
                r#"<polyline fill="none" stroke="{c}" stroke-width="1.4" points="{pts}"/>"#
            );
        }
        if let Some(y) = yl {
            for m in self
                .markers
                .iter()
                .filter(|m| m.x.is_finite() && m.y.is_finite())
            {
                let (px, py) = (x.at(m.x), y.at(m.y));
                let (d, c) = if m.up { (-5.0, BUY) } else { (5.0, SELL) };
                let (tip, base) = (py + d, py - d);
                let (l, r) = (px - 4.0, px + 4.0);
                let _ = write!(
                    s,
                    r#"<path d="M{px:.1} {tip:.1}L{l:.1} {base:.1}L{r:.1} {base:.1}Z" fill="{c}"/>"#
                );
            }
        }
        let mut legend: Vec<(String, &str)> = self
            .series
            .iter()
            .map(|ser| {
                let axis = if ser.axis == Axis::Right {
                    " (right axis)"
                } else {
                    ""
                };
                (format!("{}{axis}", ser.name), ser.color.as_str())
            })
            .collect();
        if !self.markers.is_empty() {
            let buys = self.markers.iter().filter(|m| m.up).count();
            legend.push((format!("buy fills ({buys})"), BUY));
            legend.push((format!("sell fills ({})", self.markers.len() - buys), SELL));
        }
        let mut lx = ML;
        for (name, color) in legend {
            let (ry, c) = (MT - 15.0, esc(color));
            let _ = write!(
                s,
                r#"<rect x="{lx:.1}" y="{ry:.1}" width="12" height="4" fill="{c}"/>"#
            );
            text(&mut s, lx + 16.0, MT - 10.0, "start", "", &name);
            lx += 30.0 + 7.0 * name.chars().count() as f64;
        }
        s.push_str("</svg>");
        s
    }
}

/// An escaped `<text>` element; `extra` is raw attribute text.
fn text(out: &mut String, x: f64, y: f64, anchor: &str, extra: &str, body: &str) {
    let body = esc(body);
    let _ = write!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}"{extra}>{body}</text>"#
    );
}

fn grid_line(out: &mut String, x1: f64, y1: f64, x2: f64, y2: f64) {
    let _ = write!(
        out,
        r#"<line class="grid" x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}"/>"#
    );
}

/// HTML-escape text for element content and quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SSZ` (with `.mmm` when the milliseconds are not zero), proleptic
/// Gregorian UTC (Hinnant's civil-from-days).
pub fn iso_utc(t: Timestamp) -> String {
    let ms = t.millis();
    let z = ms.div_euclid(86_400_000) + 719_468;
    let in_day = ms.rem_euclid(86_400_000);
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, mi, s) = (in_day / 3_600_000, in_day / 60_000 % 60, in_day / 1000 % 60);
    let mut out = format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
    if in_day % 1000 != 0 {
        let _ = write!(out, ".{:03}", in_day % 1000);
    }
    out.push('Z');
    out
}

/// The four standard charts: price with fills, equity and realized PnL, idle-USD ratio,
/// balances.
pub fn standard_charts(samples: &[Sample], fills: &[FillMark]) -> Vec<LineChart> {
    let ser = |f: fn(&Sample) -> f64| -> Vec<(f64, f64)> {
        samples
            .iter()
            .map(|p| (p.ts.millis() as f64, f(p)))
            .collect()
    };
    let stride = fills.len().div_ceil(MAX_MARKERS).max(1);
    let markers = fills
        .iter()
        .step_by(stride)
        .map(|f| Marker {
            x: f.ts.millis() as f64,
            y: f.price.to_f64(),
            up: f.buy,
        })
        .collect();
    vec![
        LineChart::new("Price and fills", "price")
            .series(Series::new("price", "#333", ser(|p| p.price.to_f64())))
            .markers(markers),
        LineChart::new("Equity and realized PnL", "equity (quote)")
            .y2_label("realized PnL (quote)")
            .series(Series::new("equity", "#2166ac", ser(|p| p.equity.to_f64())))
            .series(Series::new("realized PnL", "#e08214", ser(|p| p.realized.to_f64())).right()),
        LineChart::new("Idle USD ratio vs governor target", "idle USD (%)")
            .series(Series::new("idle USD %", "#762a83", ser(|p| p.idle_pct)))
            .series(Series::new("target %", "#999", ser(|p| p.target_pct))),
        LineChart::new("Governor skew and size multipliers", "skew")
            .y2_label("size multiplier")
            .series(Series::new("skew", "#2166ac", ser(|p| p.skew)))
            .series(Series::new("size ×A", "#d6604d", ser(|p| p.size_mult_a)).right())
            .series(Series::new("size ×B", "#1b7837", ser(|p| p.size_mult_b)).right()),
        LineChart::new("Balances", "base")
            .y2_label("quote")
            .series(Series::new("base", "#1b7837", ser(|p| p.base.to_f64())))
            .series(Series::new("quote", "#b2182b", ser(|p| p.quote.to_f64())).right()),
    ]
}

/// The report with the standard charts.
pub fn render_html(
    title: &str,
    summary: &Summary,
    samples: &[Sample],
    fills: &[FillMark],
) -> String {
    render_html_with(title, summary, &standard_charts(samples, fills))
}

type Rows = Vec<(String, String)>;

fn kv(k: &str, v: impl Display) -> (String, String) {
    (k.to_string(), v.to_string())
}

fn pct(r: f64) -> String {
    format!("{:.2} %", r * 100.0)
}

fn ts(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "–".to_string(), iso_utc)
}

fn summary_groups(s: &Summary) -> Vec<(&'static str, Rows)> {
    let p = &s.pnl;
    let (b, o, i, sb) = (
        &s.balances,
        &s.orders,
        &s.integrity,
        &s.idle_usd.final_scoreboard,
    );
    let mut orders = vec![
        kv("placed", o.placed),
        kv("filled", o.filled),
        kv("cancelled", o.cancelled),
        kv("deferred", o.deferred),
        kv("rejected (total)", o.rejected.values().sum::<u64>()),
    ];
    orders.extend(
        o.rejected
            .iter()
            .map(|(r, n)| kv(&format!("rejected: {r}"), n)),
    );
    vec![
        (
            "Profit and loss",
            vec![
                kv("equity change", p.equity_change_usd),
                kv("vs holding the start", p.vs_hold_usd),
                kv("realized PnL", p.realized_usd),
                kv("unrealized (held inventory)", p.unrealized_usd),
                kv("fees", p.fees_usd),
                kv("max drawdown", p.max_drawdown_usd),
                kv("round trips", p.round_trips),
                kv("wins / losses", format!("{} / {}", p.wins, p.losses)),
                kv("equity start", p.equity_start_usd),
                kv("equity end", p.equity_end_usd),
                kv("holding the start, at the end", p.hold_end_usd),
                kv("last price", s.last_price),
            ],
        ),
        (
            "Balances",
            vec![
                kv("base start", b.start.base),
                kv("quote start", b.start.quote),
                kv("base end", b.end.base),
                kv("quote end", b.end.quote),
                kv("reconciled", if b.reconciled { "yes" } else { "NO" }),
            ],
        ),
        ("Orders", orders),
        (
            "Integrity",
            vec![
                kv("invariant violations", i.invariant_violations),
                kv("volume drift", i.volume_drift),
                kv("halted", if i.halted { "YES" } else { "no" }),
                kv("halt reason", i.halt_reason.as_deref().unwrap_or("–")),
                kv("untracked executions", i.untracked_executions),
                kv("fill rejects", i.fill_rejects),
                kv("exit place failures", i.exit_place_failures),
                kv("exits unplaced at end", i.exits_unplaced_at_end),
                kv("released positions", i.released_positions),
            ],
        ),
        (
            "Idle USD and slots",
            vec![
                kv("idle USD ratio, mean", pct(s.idle_usd.mean_ratio)),
                kv("idle USD ratio, final", pct(s.idle_usd.final_ratio)),
                kv("observed USD (final)", sb.observed_usd),
                kv("committed to buys (final)", sb.usd_committed_buy_orders),
                kv("runway floor (final)", sb.usd_runway_floor),
                kv("idle USD (final)", sb.idle_usd),
                kv("slots", s.slots.count),
                kv("short-only slot seconds", s.slots.short_only_slot_seconds),
                kv("long-only slot seconds", s.slots.long_only_slot_seconds),
                kv("open orders at end", s.slots.open_orders_end),
                kv("recoveries at end", s.slots.recoveries_end),
            ],
        ),
        ("Governor (seed 000)", {
            let r = &s.rebalancer;
            let mut rows: Rows = s
                .rebalancer_dashboard
                .lines()
                .map(|l| (l.to_string(), String::new()))
                .collect();
            rows.extend([
                kv("updates", r.updates),
                kv("skew (final)", format!("{:+.3}", r.status.skew)),
                kv("max |skew|", format!("{:.3}", r.max_abs_skew)),
                kv("max sign flips per hour", r.max_sign_flips_1h),
                kv("damped seconds", r.damped_seconds),
                kv("time in band (after warm-up)", pct(r.in_band_share)),
                kv("mean |idle − target|", format!("{:.3}", r.mean_abs_error)),
            ]);
            rows
        }),
        ("USD leak (seed 001)", {
            let card = &s.b_side_health_card;
            let mut rows: Rows = card
                .text
                .lines()
                .map(|l| (l.trim().to_string(), String::new()))
                .collect();
            rows.push(kv("card colour", card.color));
            rows.push(kv("recoveries", s.leak.recoveries));
            rows.push(kv(
                "balance-degraded slot seconds",
                s.leak.balance_degraded_slot_seconds,
            ));
            rows.extend(
                s.leak
                    .b_failures
                    .iter()
                    .map(|(r, n)| kv(&format!("B failures: {r}"), n)),
            );
            let m = &s.leak.attribution_mean;
            rows.push(kv("idle USD, mean", m.idle_usd));
            rows.extend(
                m.causes()
                    .iter()
                    .map(|(name, q)| kv(&format!("mean {name}"), q)),
            );
            rows.push(kv("mean unexplained", m.unexplained));
            rows
        }),
        (
            "Data and run",
            vec![
                kv("strategy", s.strategy),
                kv("data", s.data.files.join(", ")),
                kv("events", s.data.events),
                kv("first event", ts(s.data.first_ts)),
                kv("last event", ts(s.data.last_ts)),
                kv("loops", s.loops),
                kv("wall time (s)", format!("{:.3}", s.run.wall_s)),
                kv("events per second", format!("{:.0}", s.run.events_per_s)),
            ],
        ),
    ]
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;\
color:#222;background:#f6f6f4}h1{margin:0 0 4px}.sub{color:#666;margin:0 0 20px}\
.cards{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}table{border-collapse:collapse;background:#fff;\
font-size:14px}caption{text-align:left;font-weight:600;padding:4px 0}td{border-top:1px solid #ddd;\
padding:3px 10px}td.v{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b2182b;\
font-weight:700}.chart{width:100%;max-width:960px;display:block;background:#fff;font-size:11px}\
.chart text{fill:#333}.chart line.grid{stroke:#e4e4e4}section{margin-bottom:28px}";

/// The report with any list of charts.
pub fn render_html_with(title: &str, summary: &Summary, charts: &[LineChart]) -> String {
    let mut h = String::new();
    let t = esc(title);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{t}</title><style>{CSS}</style></head><body>\n<h1>{t}</h1>\
         <p class=\"sub\">generated by flywheel {}</p>\n",
        env!("CARGO_PKG_VERSION")
    );
    let i = &summary.integrity;
    let bad_keys = [
        ("reconciled", !summary.balances.reconciled),
        ("halted", i.halted),
        ("invariant violations", i.invariant_violations > 0),
        ("volume drift", i.volume_drift > 0),
        ("untracked executions", i.untracked_executions > 0),
        ("fill rejects", i.fill_rejects > 0),
        ("exits unplaced at end", i.exits_unplaced_at_end > 0),
    ];
    h.push_str("<section><h2>Summary</h2><div class=\"cards\">\n");
    for (group, rows) in summary_groups(summary) {
        let _ = write!(h, "<table><caption>{}</caption>", esc(group));
        for (k, v) in rows {
            let bad = bad_keys.iter().any(|(n, b)| *b && *n == k);
            let class = if bad { "v bad" } else { "v" };
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"{class}\">{}</td></tr>",
                esc(&k),
                esc(&v)
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("</div></section>\n<section><h2>Charts</h2>\n");
    for c in charts {
        let _ = writeln!(h, "<h3>{}</h3>{}", esc(&c.title), c.to_svg());
    }
    h.push_str("</section>\n</body></html>\n");
    h
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use flywheel_core::{Price, Qty, Quote};

    use super::*;
    use crate::summary::*;

    fn q(s: &str) -> Quote {
        s.parse().expect("quote literal")
    }

    /// A hand-built summary (also used by `demo`'s sample report).
    pub(crate) fn summary() -> Summary {
        let side = |b: &str, u: &str| BalanceSide {
            base: b.parse().expect("qty literal"),
            quote: q(u),
        };
        Summary {
            strategy: "grid",
            data: DataSummary {
                files: vec!["demo <synthetic> & \"fake\"".into()],
                events: 3,
                first_ts: Some(Timestamp::from_millis(1_700_000_000_000)),
                last_ts: Some(Timestamp::from_millis(1_700_000_120_500)),
                sanity: None,
            },
            run: RunSummary {
                wall_s: 0.25,
                events_per_s: 12.0,
            },
            pnl: PnlSummary {
                round_trips: 2,
                wins: 2,
                losses: 0,
                ..PnlSummary::headline(
                    q("100").into(),
                    q("101.2").into(),
                    q("100.4").into(),
                    q("1.5").into(),
                    q("0.3").into(),
                    q("0.7").into(),
                )
            },
            balances: BalancesSummary {
                start: side("0", "100"),
                end: side("10", "100.2"),
                reconciled: true,
            },
            orders: OrdersSummary {
                placed: 5,
                filled: 4,
                cancelled: 1,
                deferred: 0,
                rejected: BTreeMap::from([("min_cost".to_string(), 2)]),
            },
            integrity: IntegritySummary {
                invariant_violations: 0,
                volume_drift: 0,
                halted: false,
                halt_reason: None,
                untracked_executions: 0,
                fill_rejects: 0,
                exit_place_failures: 0,
                marks_refused: 0,
                arithmetic_faults: 0,
                exits_unplaced_at_end: 0,
                released_positions: 0,
            },
            idle_usd: IdleSummary {
                mean_ratio: 0.25,
                final_ratio: 0.1,
                first_usd: Quote::ZERO,
                final_usd: Quote::ZERO,
                slope_usd_per_day: 0.0,
                final_scoreboard: Default::default(),
                free_quote_not_committed_mean_usd: Quote::ZERO,
                free_quote_not_committed_mean_share: 0.0,
                free_quote_beyond_runway_mean_usd: Quote::ZERO,
                free_quote_beyond_runway_mean_share: 0.0,
            },
            slots: SlotsSummary {
                count: 1,
                short_only_slot_seconds: 60,
                long_only_slot_seconds: 0,
                open_orders_end: 2,
                recoveries_end: 0,
            },
            flows: crate::summary::FlowsSummary {
                base_bought: Qty::ZERO.into(),
                base_sold: Qty::ZERO.into(),
                quote_spent: Quote::ZERO.into(),
                quote_received: Quote::ZERO.into(),
            },
            rebalancer: crate::summary::RebalancerSummary {
                status: flywheel_governor::RebalancerStatus::new(
                    &flywheel_governor::GovernorConfig::default(),
                    &flywheel_governor::GovernorState::default(),
                    flywheel_governor::Multipliers::NEUTRAL,
                    Timestamp::EPOCH,
                ),
                updates: 3,
                max_sign_flips_1h: 0,
                sign_flips: 0,
                sign_flips_per_hour: 0.0,
                damped_seconds: 0,
                max_abs_skew: 0.05,
                in_band_share: 0.5,
                mean_abs_error: 0.1,
            },
            rebalancer_dashboard: "Governor: ■ Neutral (skew +0%)".to_string(),
            b_side_health: crate::leak::BSideHealth {
                failures_24h: flywheel_capital::telemetry::FAILURE_REASONS.iter().map(|r| (*r, 1)).collect(),
                balance_degraded_slots: 1,
                max_bilateral_slots: 3,
                recoveries_24h: 2,
                ancillary_profit_usd: Quote::ZERO,
            },
            b_side_health_card: crate::leak::BSideCard {
                text: "B-Side Health\n  Fund guard blocks: 1 | Floor blocks: 1 | Degraded slots: 1/3\n  Last recovery: 4m ago".to_string(),
                color: "amber",
            },
            quote_first_allocation: crate::leak::QuoteFirstStatus {
                enabled: true,
                buy_ready_slots: 2,
                funded_slots: 2,
                deployable_usd: Quote::lit(10, 0),
                carry_usd: Quote::ZERO,
                allocated_usd: Quote::lit(9, 0),
                unallocated_spendable_usd: Quote::lit(1, 0),
            },
            ancillary_profit: crate::leak::AncillaryProfit::default(),
            ancillary: Default::default(),
            leak: crate::summary::LeakSummary {
                b_failures: Default::default(),
                recoveries: 2,
                pooled_waits: 0,
                balance_degraded_slot_seconds: 60,
                attribution_final: Default::default(),
                attribution_mean: Default::default(),
            },
            last_price: Price::lit(101, 3),
            loops: 4,
            loops_stale: 0,
        }
    }

    /// An infinite number rendered anywhere (words like "inflation" do not count).
    fn has_inf(html: &str) -> bool {
        ["inf<", "inf\"", "inf ", "inf,"]
            .iter()
            .any(|p| html.contains(p))
    }

    fn samples(n: usize) -> Vec<Sample> {
        (0..n)
            .map(|i| Sample {
                ts: Timestamp::from_millis(1_700_000_000_000 + 60_000 * i as i64),
                price: Price::from_raw(100_000_000 + 1_000_000 * (i % 7) as i64),
                equity: Quote::from_raw(100_000_000_000 + 10_000_000 * i as i64).into(),
                realized: Quote::from_raw(5_000_000 * i as i64).into(),
                base: Qty::from_raw(1_000_000_000 * (i % 3) as i64),
                quote: Quote::from_raw(99_000_000_000),
                idle_pct: 10.0 + i as f64,
                idle_usd: Quote::from_raw(1_000_000_000 * i as i64),
                target_pct: 40.0,
                skew: 0.01 * (i % 5) as f64,
                size_mult_a: 1.0,
                size_mult_b: 1.0 + 0.01 * (i % 5) as f64,
            })
            .collect()
    }

    fn fills(n: usize) -> Vec<FillMark> {
        (0..n)
            .map(|i| FillMark {
                ts: Timestamp::from_millis(1_700_000_000_000 + 30_000 * i as i64),
                price: Price::from_raw(100_000_000 + 1_000_000 * (i % 5) as i64),
                buy: i % 2 == 0,
            })
            .collect()
    }

    #[test]
    fn report_has_sections_charts_and_escaped_text_only() {
        let html = render_html("Run <1> & \"x\"", &summary(), &samples(50), &fills(20));
        for title in [
            "Summary",
            "Profit and loss",
            "Balances",
            "Orders",
            "rejected: min_cost",
            "Integrity",
            "Idle USD and slots",
            "Data and run",
            "Charts",
            "Price and fills",
            "Equity and realized PnL",
            "Idle USD ratio",
            "time (UTC)",
            "generated by flywheel",
            "2023-11-14T22:13:20Z",
            "2023-11-14T22:15:20.500Z",
        ] {
            assert!(html.contains(title), "missing {title}");
        }
        assert_eq!(html.matches("<svg").count(), 5);
        assert_eq!(html.matches("</svg>").count(), 5);
        assert!(html.contains("Governor skew and size multipliers"));
        assert!(html.contains("<title>Run &lt;1&gt; &amp; &quot;x&quot;</title>"));
        assert!(html.contains("demo &lt;synthetic&gt; &amp; &quot;fake&quot;"));
        assert!(!html.contains("<1>") && !html.contains("<synthetic>"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("<script") && !html.contains("<link"));
        assert_eq!(html.matches("fill=\"#1a9850\"").count(), 10 + 1);
        assert_eq!(html.matches("fill=\"#d73027\"").count(), 10 + 1);
        assert!(!html.contains("NaN") && !has_inf(&html));
    }

    #[test]
    fn report_is_deterministic_and_copes_with_no_data() {
        let a = render_html("t", &summary(), &samples(30), &fills(9));
        let b = render_html("t", &summary(), &samples(30), &fills(9));
        assert_eq!(a, b);
        let empty = render_html("t", &summary(), &[], &[]);
        assert_eq!(empty.matches("no data").count(), 5);
        let one = render_html("t", &summary(), &samples(1), &fills(1));
        assert!(!one.contains("NaN") && !has_inf(&one));
    }

    #[test]
    fn fill_markers_are_thinned_to_the_cap() {
        let charts = standard_charts(&samples(10), &fills(5 * MAX_MARKERS + 3));
        assert!(charts[0].markers.len() <= MAX_MARKERS);
        assert!(charts[0].markers.len() > MAX_MARKERS * 3 / 4);
        assert_eq!(standard_charts(&[], &fills(7))[0].markers.len(), 7);
    }

    #[test]
    fn iso_formatter_matches_known_dates() {
        let t = |ms| iso_utc(Timestamp::from_millis(ms));
        assert_eq!(t(0), "1970-01-01T00:00:00Z");
        assert_eq!(t(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(t(1_709_251_199_999), "2024-02-29T23:59:59.999Z");
        assert_eq!(t(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(t(253_402_300_799_000), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn ticks_are_round_and_inside_the_range() {
        let v = value_ticks(0.0973, 0.1032);
        assert!(v.len() >= 3 && v.len() <= 12, "{v:?}");
        assert!(v.iter().all(|(x, _)| (0.0973..=0.1032).contains(x)));
        assert_eq!(v[0].1, "0.098");
        let day = 86_400_000.0;
        let t = time_ticks(1_700_000_000_000.0, 1_700_000_000_000.0 + 30.0 * day);
        assert!(t.len() >= 3 && t.len() <= 9, "{t:?}");
        assert!(t.iter().all(|(_, l)| l.len() == 10));
        let t = time_ticks(1_700_000_000_000.0, 1_700_000_000_000.0 + 3_600_000.0);
        assert!(t.iter().all(|(_, l)| l.len() == 5), "{t:?}");
    }
}
