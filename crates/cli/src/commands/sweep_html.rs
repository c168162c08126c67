//! The HTML page of a sweep (`--html FILE`): one self-contained file (inline CSS and SVG, no
//! script, no CDN) with a heatmap of one metric over two swept keys and the best rows.
//!
//! A heatmap cell holds the *best* value of the metric among the configurations with that
//! pair of values (the other swept keys vary inside the cell; the cell's tooltip names the
//! configuration that reached it). With one swept key the map is a single row. Colours run
//! from red (worst) to green (best) over the cells' range; they are for reading only, the
//! numbers printed in the cells are the figures.

use std::fmt::Write as _;

use flywheel_engine::report::esc;

use crate::commands::sweep_grid::Axis;
use crate::commands::sweep_out::{file_label, Figure, Metric};
use crate::commands::sweep_run::{DataFile, Row};

/// Rows of the results table in the page (all of them are in `--csv`/`--json`).
const TABLE_ROWS: usize = 200;
const CELL_W: usize = 96;
const CELL_H: usize = 40;
const LEFT: usize = 120;
const TOP: usize = 56;

/// The best row of each (x value, y value) cell: `cells[y][x]`, `None` for an empty cell
/// (impossible for a full grid, kept for safety).
pub fn best_cells<'r>(
    rows: &'r [Row],
    axes: &[Axis],
    x: usize,
    y: Option<usize>,
    metric: Metric,
) -> Vec<Vec<Option<&'r Row>>> {
    let ny = y.map_or(1, |y| axes[y].values.len());
    let mut cells: Vec<Vec<Option<&Row>>> = vec![vec![None; axes[x].values.len()]; ny];
    for row in rows {
        let cy = y.map_or(0, |y| row.at[y]);
        let slot = &mut cells[cy][row.at[x]];
        let better = match slot {
            None => true,
            Some(old) => {
                let (a, b) = (metric.of(&row.total), metric.of(&old.total));
                metric.better(a, b) || (!metric.better(b, a) && row.index < old.index)
            }
        };
        if better {
            *slot = Some(row);
        }
    }
    cells
}

/// Red (0) to green (1).
fn colour(t: f64) -> String {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.5
    };
    format!("hsl({:.0},65%,{:.0}%)", 120.0 * t, 42.0 + 10.0 * (1.0 - t))
}

/// The heatmap as inline SVG.
fn heatmap(rows: &[Row], axes: &[Axis], x: usize, y: Option<usize>, metric: Metric) -> String {
    let cells = best_cells(rows, axes, x, y, metric);
    let figures: Vec<f64> = cells
        .iter()
        .flatten()
        .flatten()
        .map(|r| metric.of(&r.total).to_f64())
        .collect();
    let lo = figures.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = figures.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let nx = axes[x].values.len();
    let (w, h) = (LEFT + nx * CELL_W + 8, TOP + cells.len() * CELL_H + 8);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg class=\"heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" \
         height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{} by {} and {}\">",
        metric.name(),
        esc(&axes[x].key),
        y.map_or("-".to_string(), |y| esc(&axes[y].key)),
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"16\" class=\"axis\">{}</text>",
        LEFT,
        esc(&axes[x].key)
    );
    for (i, v) in axes[x].values.iter().enumerate() {
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">{}</text>",
            LEFT + i * CELL_W + CELL_W / 2,
            TOP - 10,
            esc(v)
        );
    }
    if let Some(y) = y {
        let _ = writeln!(
            s,
            "<text x=\"4\" y=\"{}\" class=\"axis\">{}</text>",
            TOP - 10,
            esc(&axes[y].key)
        );
    }
    for (cy, line) in cells.iter().enumerate() {
        let top = TOP + cy * CELL_H;
        if let Some(y) = y {
            let _ = writeln!(
                s,
                "<text x=\"{}\" y=\"{}\" class=\"tick\" text-anchor=\"end\">{}</text>",
                LEFT - 8,
                top + CELL_H / 2 + 4,
                esc(&axes[y].values[cy])
            );
        }
        for (cx, cell) in line.iter().enumerate() {
            let Some(row) = cell else { continue };
            let figure = metric.of(&row.total);
            let v = figure.to_f64();
            let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
            let t = if metric.higher_is_better() {
                t
            } else {
                1.0 - t
            };
            let named: Vec<String> = axes
                .iter()
                .zip(&row.at)
                .map(|(a, &i)| format!("{}={}", a.key, a.values[i]))
                .collect();
            let yv = y.map_or(String::new(), |y| axes[y].values[cy].clone());
            let left = LEFT + cx * CELL_W;
            let _ = writeln!(
                s,
                "<g><rect class=\"cell\" data-x=\"{}\" data-y=\"{}\" data-value=\"{}\" x=\"{left}\" \
                 y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"val\">{}</text></g>",
                esc(&axes[x].values[cx]),
                esc(&yv),
                esc(&figure.exact()),
                CELL_W - 2,
                CELL_H - 2,
                colour(t),
                esc(&named.join(" ")),
                esc(&figure.exact()),
                left + CELL_W / 2,
                top + CELL_H / 2 + 4,
                esc(&figure.short()),
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

/// The whole page.
#[allow(clippy::too_many_arguments)]
pub fn page(
    axes: &[Axis],
    files: &[DataFile],
    rows: &[Row],
    sort: Metric,
    map_metric: Metric,
    x: usize,
    y: Option<usize>,
) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Flywheel sweep</title><style>\
         body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\
         table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right;\
         border-bottom:1px solid #ddd}th{background:#f4f4f4}\
         .heatmap text{font:12px system-ui,sans-serif}.heatmap .axis{font-weight:bold}\
         .heatmap .val{fill:#fff;font-weight:bold}.wrap{overflow-x:auto}\
         </style></head><body>\n<h1>Flywheel sweep</h1>\n",
    );
    let _ = writeln!(
        s,
        "<p>{} configurations × {} data file(s); sorted by {} (best first).</p>",
        rows.len(),
        files.len(),
        sort.name()
    );
    s.push_str("<ul>\n");
    for (i, f) in files.iter().enumerate() {
        let _ = writeln!(
            s,
            "<li>{}: {} ({} events)</li>",
            file_label(i),
            esc(&f.path.display().to_string()),
            f.events.len()
        );
    }
    s.push_str("</ul>\n");
    let _ = writeln!(
        s,
        "<h2>Heatmap: {} over all files</h2>\n<p>Each cell: the best {} among the \
         configurations with that pair of values (hover for the configuration).</p>\n\
         <div class=\"wrap\">",
        map_metric.name(),
        map_metric.name()
    );
    s.push_str(&heatmap(rows, axes, x, y, map_metric));
    s.push_str("</div>\n");
    let shown = rows.len().min(TABLE_ROWS);
    let _ = writeln!(
        s,
        "<h2>Best {shown} of {} configurations</h2>\n<div class=\"wrap\"><table><tr><th>#</th>",
        rows.len()
    );
    for a in axes {
        let _ = write!(s, "<th>{}</th>", esc(&a.key));
    }
    for m in Metric::ALL {
        let _ = write!(s, "<th>{}</th>", m.name());
    }
    s.push_str("</tr>\n");
    for (rank, row) in rows.iter().take(shown).enumerate() {
        let _ = write!(s, "<tr><td>{}</td>", rank + 1);
        for (a, &i) in axes.iter().zip(&row.at) {
            let _ = write!(s, "<td>{}</td>", esc(&a.values[i]));
        }
        for m in Metric::ALL {
            let f: Figure = m.of(&row.total);
            let _ = write!(
                s,
                "<td title=\"{}\">{}</td>",
                esc(&f.exact()),
                esc(&f.short())
            );
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table></div>\n</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::sweep_run::Metrics;
    use flywheel_core::Wide;

    fn row(index: usize, at: [usize; 3], vs_hold: i128) -> Row {
        Row {
            index,
            at: at.to_vec(),
            total: Metrics {
                vs_hold_usd: Wide::from_raw(vs_hold),
                ..Metrics::default()
            },
            per_file: Vec::new(),
        }
    }

    fn axis(key: &str, n: usize) -> Axis {
        Axis {
            key: key.into(),
            values: (0..n).map(|i| i.to_string()).collect(),
        }
    }

    #[test]
    fn a_cell_holds_the_best_over_the_other_keys() {
        let axes = [axis("a.x", 2), axis("a.y", 1), axis("a.z", 2)];
        let rows = [
            row(0, [0, 0, 0], 5),
            row(1, [0, 0, 1], 7),
            row(2, [1, 0, 0], -3),
            row(3, [1, 0, 1], -9),
        ];
        let cells = best_cells(&rows, &axes, 0, Some(1), Metric::VsHold);
        let best: Vec<Option<usize>> = cells[0].iter().map(|c| c.map(|r| r.index)).collect();
        assert_eq!(best, [Some(1), Some(2)]);
        let page = heatmap(&rows, &axes, 0, Some(1), Metric::VsHold);
        assert_eq!(page.matches("class=\"cell\"").count(), 2);
    }
}
