//! `--strategy maker`: the SOL market maker with its hedger (seed 002) on the simulated
//! exchange, its JSON summary and report.
//!
//! The instrument comes from `[maker]` (tick, lot, minimum size and notional) with the fees
//! of `maker.fee_schedule` (`lighter`, zero — the seed's venue — by default; `kraken`;
//! `custom`); `[venue].taker_fee_pct` is the grid's and does not apply. The summary names the
//! schedule, and when the maker fee is at least the quoted half-spread it says so in
//! `maker.fees.warning` and on standard error. The account starts with `[backtest]`
//! balances; inventory is the FIFO position of the maker's own fills.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

use anyhow::Context;
use flywheel_engine::journal::NoJournal;
use flywheel_engine::maker_journal::MakerSink;
use flywheel_engine::maker_run::{
    run_maker_backtest, MakerEngine, MakerFigures, MakerSample, MakerStatus,
};
use flywheel_engine::report::{esc, LineChart, Series};
use flywheel_engine::summary::{BalanceSide, BalancesSummary, DataSummary, RunSummary};
use flywheel_engine::DataStats;
use flywheel_marketdata::MarketEvent;
use flywheel_venue::{Balances, SimExchange, Venue};
use serde::Serialize;

use crate::commands::grid::ensure_events;
use crate::config_file::FlywheelConfig;
use crate::outputs::{close_journal, journal_sink, JournalEnd};

#[derive(Clone, Debug, Serialize)]
pub struct MakerOrders {
    pub placed: u64,
    pub cancelled: u64,
    pub rejected: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MakerIntegrity {
    /// Fills the FIFO ledger refused (must be 0).
    pub fifo_errors: u64,
}

/// The maker's JSON summary.
#[derive(Clone, Debug, Serialize)]
pub struct MakerSummary {
    pub strategy: &'static str,
    pub data: DataSummary,
    pub run: RunSummary,
    pub maker: MakerFigures,
    /// The status snapshot at the end (the seed's gauges, inventory, sizes, hedger).
    pub status: MakerStatus,
    pub balances: BalancesSummary,
    pub orders: MakerOrders,
    pub integrity: MakerIntegrity,
}

#[derive(Debug)]
pub struct MakerResult {
    pub summary: MakerSummary,
    pub html: Option<String>,
}

/// The simulated exchange for the maker: instrument and fees from `[maker]`, account from
/// `[backtest]`. Built before the run so a refused configuration fails before any data is
/// read.
pub fn maker_exchange(cfg: &FlywheelConfig) -> anyhow::Result<SimExchange> {
    let inst = cfg
        .maker
        .instrument("SOL/USD")
        .context("instrument from [maker]")?;
    SimExchange::new(inst, cfg.venue.sim(), cfg.backtest.start_balances())
        .map_err(|e| anyhow::anyhow!("simulated exchange: {e}"))
}

/// Run the maker over `events` on `sim`, streaming its journal (JSON lines) to `journal` if
/// given. As for the grid, a journal write error does not stop the run: it is returned
/// beside the result.
pub fn run_maker<E: std::fmt::Display, W: Write>(
    cfg: &FlywheelConfig,
    sim: SimExchange,
    files: Vec<String>,
    events: impl IntoIterator<Item = Result<MarketEvent, E>>,
    journal: Option<W>,
    want_report: bool,
) -> anyhow::Result<(MakerResult, JournalEnd)> {
    let start = cfg.backtest.start_balances();
    match journal {
        Some(out) => {
            let engine = maker_engine(cfg, sim, journal_sink(out));
            let (result, engine) = drive(engine, files, events, start, want_report)?;
            Ok((result, Some(close_journal(engine.finish_journal()))))
        }
        None => {
            let engine = maker_engine(cfg, sim, NoJournal);
            Ok((drive(engine, files, events, start, want_report)?.0, None))
        }
    }
}

/// The maker as every run builds it (backtest, paper session, replay, live): `[maker]` and
/// `[hedger]` on `venue`, its journal to `journal`. Says on standard error when the maker fee
/// eats the quoted half-spread.
pub fn maker_engine<V: flywheel_venue::Venue, J: MakerSink>(
    cfg: &FlywheelConfig,
    venue: V,
    journal: J,
) -> MakerEngine<V, J> {
    if let Some(warning) = cfg.maker.fee_warning() {
        eprintln!("warning: maker.fee_schedule: {warning}");
    }
    MakerEngine::with_journal(cfg.maker.clone(), cfg.hedger.clone(), venue, journal)
}

/// Run `maker` over `events` and build its summary (and report); hands the engine back so
/// the caller can close its journal.
fn drive<J: MakerSink, E: std::fmt::Display>(
    mut maker: MakerEngine<SimExchange, J>,
    files: Vec<String>,
    events: impl IntoIterator<Item = Result<MarketEvent, E>>,
    start: Balances,
    want_report: bool,
) -> anyhow::Result<(MakerResult, MakerEngine<SimExchange, J>)> {
    let started = Instant::now();
    let data = run_maker_backtest(&mut maker, events).map_err(|e| anyhow::anyhow!("{e}"))?;
    ensure_events(&data, &files)?;
    let summary = maker_summary(
        &maker,
        files,
        &data,
        &start,
        started.elapsed().as_secs_f64(),
    );
    let html = want_report.then(|| render(&summary, maker.samples()));
    Ok((MakerResult { summary, html }, maker))
}

/// The summary of a maker run over `data` (named `files`) that started with `start` and took
/// `wall` seconds: the backtest's, a paper session's and a replay's alike.
pub fn maker_summary<J: MakerSink>(
    maker: &MakerEngine<SimExchange, J>,
    files: Vec<String>,
    data: &DataStats,
    start: &Balances,
    wall: f64,
) -> MakerSummary {
    let hours = match (data.first_ts, data.last_ts) {
        (Some(a), Some(b)) => b.millis_since(a) as f64 / 3_600_000.0,
        _ => 0.0,
    };
    let end = maker.venue().balances();
    let st = &maker.stats;
    let reconciled = flywheel_engine::stats::ledger_reconciles(
        start,
        &end,
        (st.base_bought, st.base_sold),
        (st.quote_received, st.quote_spent),
        st.fees_paid,
    );
    MakerSummary {
        strategy: "maker",
        data: DataSummary {
            files,
            events: data.events,
            first_ts: data.first_ts,
            last_ts: data.last_ts,
            sanity: None,
        },
        run: RunSummary {
            wall_s: wall,
            events_per_s: if wall > 0.0 {
                data.events as f64 / wall
            } else {
                0.0
            },
        },
        maker: maker.figures(hours),
        status: maker.status(),
        balances: BalancesSummary {
            start: BalanceSide {
                base: start.base.total,
                quote: start.quote.total,
            },
            end: BalanceSide {
                base: end.base.total,
                quote: end.quote.total,
            },
            reconciled,
        },
        orders: MakerOrders {
            placed: st.orders_placed,
            cancelled: st.orders_cancelled,
            rejected: st.rejected.clone(),
        },
        integrity: MakerIntegrity {
            fifo_errors: st.fifo_errors,
        },
    }
}

/// A self-contained report: the summary as a table, and inventory, spread and guard charts.
fn render(summary: &MakerSummary, samples: &[MakerSample]) -> String {
    let ser = |f: &dyn Fn(&MakerSample) -> f64| -> Vec<(f64, f64)> {
        samples
            .iter()
            .map(|s| (s.ts.millis() as f64, f(s)))
            .collect()
    };
    let charts = [
        LineChart::new("Mid and FIFO realized PnL", "mid")
            .y2_label("realized (quote)")
            .series(Series::new("mid", "#333", ser(&|s| s.mid.to_f64())))
            .series(Series::new("realized", "#e08214", ser(&|s| s.realized.to_f64())).right()),
        LineChart::new("Inventory (base)", "inventory").series(Series::new(
            "inventory",
            "#762a83",
            ser(&|s| s.inventory.to_f64()),
        )),
        LineChart::new("Quoted spread per side", "bps")
            .series(Series::new("bid", "#1b7837", ser(&|s| s.bid_spread_bps)))
            .series(Series::new("ask", "#b2182b", ser(&|s| s.ask_spread_bps))),
        LineChart::new("PnL guard", "active").series(Series::new(
            "guard",
            "#2166ac",
            ser(&|s| f64::from(u8::from(s.guard))),
        )),
    ];
    let mut h = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Flywheel maker \
         backtest</title><style>body{font-family:system-ui,sans-serif;margin:24px;background:#f6f6f4}\
         table{border-collapse:collapse;background:#fff;font-size:13px}td{border-top:1px solid #ddd;\
         padding:2px 8px}.chart{width:100%;max-width:960px;display:block;background:#fff}</style>\
         </head><body><h1>Flywheel maker backtest</h1><p>generated by flywheel</p><table>",
    );
    for (k, v) in crate::table::flatten(summary) {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>",
            esc(&k),
            esc(&v)
        ));
    }
    h.push_str("</table>");
    for c in &charts {
        h.push_str(&c.to_svg());
    }
    h.push_str("</body></html>\n");
    h
}
