//! The charts of the report: line charts with two y axes and fill markers, drawn as inline
//! SVG (no scripts, no external references), and the four standard charts of a grid run.
//! Pure: the same samples give the same bytes (fixed float formatting, no wall clock).

use std::fmt::Write as _;

use flywheel_core::Timestamp;

use crate::stats::{FillMark, Sample};
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
pub(super) fn value_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
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
pub(super) fn time_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
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

#[cfg(test)]
mod esc_tests {
    use super::esc;

    #[test]
    fn esc_table() {
        let cases = [
            ("plain", "a.b", "a.b"),
            ("markup", "<a&\"'>", "&lt;a&amp;&quot;&#39;&gt;"),
        ];
        for (name, text, want) in cases {
            assert_eq!(esc(text), want, "case {name}");
        }
    }
}
