//! The HTML report of a run: one self-contained file (inline CSS, inline SVG drawn here; no
//! scripts, no external references) with the summary figures and the sampled charts.
//! Output is a pure function of the input: no wall clock, fixed float formatting.
//!
//! Every chart is a [`LineChart`]; to add one (e.g. a governor skew series), build a
//! `LineChart` and append it to the list [`standard_charts`] returns, then call
//! [`render_html_with`].

mod chart;

use std::fmt::{Display, Write as _};

use flywheel_core::Timestamp;

use crate::stats::{FillMark, Sample};
use crate::summary::Summary;

pub use chart::{esc, iso_utc, standard_charts, Axis, LineChart, Marker, Series, MAX_MARKERS};

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
#[path = "tests.rs"]
pub(crate) mod tests;
