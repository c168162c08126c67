//! The backtest summary: the JSON every run prints (field names are stable and documented
//! in the README). Money is exact decimal strings; ratios are floats.

use std::collections::BTreeMap;

use flywheel_core::{Price, Qty, Quote, Timestamp, Wide};
use flywheel_grid::Role;
use flywheel_venue::{Balances, Venue};
use serde::Serialize;

use crate::backtest::DataStats;
use crate::engine::{Engine, RunMode};
use crate::journal::JournalSink;
use crate::scoreboard::Scoreboard;

#[derive(Clone, Debug, Serialize)]
pub struct DataSummary {
    pub files: Vec<String>,
    pub events: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    /// What the data sanity check did (absent when the events did not come from a file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sanity: Option<SanitySummary>,
}

/// The data sanity check's figures (see `flywheel_marketdata::sanity`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct SanitySummary {
    /// `skip`, `reject` or `off`.
    pub mode: String,
    /// Events judged against the recent median.
    pub checked: u64,
    /// Outlier prints dropped.
    pub skipped: u64,
    /// The first one dropped: `file:line: price P (median M)`.
    pub first_skipped: Option<String>,
}

impl SanitySummary {
    pub fn new(
        mode: flywheel_marketdata::sanity::SanityMode,
        stats: &flywheel_marketdata::sanity::SanityStats,
    ) -> Self {
        use flywheel_marketdata::sanity::SanityMode;
        let mode = match mode {
            SanityMode::Off => "off",
            SanityMode::Skip => "skip",
            SanityMode::Reject => "reject",
        };
        SanitySummary {
            mode: mode.to_string(),
            checked: stats.checked,
            skipped: stats.skipped,
            first_skipped: stats.first_skipped.as_ref().map(ToString::to_string),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct RunSummary {
    pub wall_s: f64,
    pub events_per_s: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PnlSummary {
    /// End equity − start equity (each at its own mark): what the account gained, market
    /// moves of the held base included.
    pub equity_change_usd: Wide,
    /// End equity − the starting balances held untouched and valued at the last price: what
    /// the strategy added over doing nothing. The headline of a run.
    pub vs_hold_usd: Wide,
    /// Σ net profit of booked round trips (fees of both legs included).
    pub realized_usd: Wide,
    /// `vs_hold_usd − realized_usd`: the inventory the strategy holds differently from the
    /// start (open positions, released recovery positions), at the last price, with the
    /// fees of its open legs.
    pub unrealized_usd: Wide,
    /// Σ fees paid on every execution.
    pub fees_usd: Wide,
    /// Largest peak-to-trough fall of mark-to-market equity, sampled every loop.
    pub max_drawdown_usd: Wide,
    pub round_trips: u64,
    pub wins: u64,
    pub losses: u64,
    /// Mark-to-market equity (quote + base × last price) at start and end.
    pub equity_start_usd: Wide,
    pub equity_end_usd: Wide,
    /// The starting balances valued at the last price (the "hold" benchmark).
    pub hold_end_usd: Wide,
    /// Σ results of released recovery positions at the mark when released (fees included;
    /// the losses among them were charged to their slots' compounding).
    pub released_pnl_at_release_usd: Wide,
    /// What the released inventory did after release: its base valued at the last price
    /// minus its value at release (null only past the exact range).
    pub released_value_change_usd: Option<Wide>,
}

impl PnlSummary {
    /// The headline figures from the equity at both ends, the hold benchmark and the
    /// realized total (the rest filled in by the caller).
    pub fn headline(
        equity_start: Wide,
        equity_end: Wide,
        hold_end: Wide,
        realized: Wide,
        fees: Wide,
        max_drawdown: Wide,
    ) -> PnlSummary {
        let vs_hold = equity_end - hold_end;
        PnlSummary {
            equity_change_usd: equity_end - equity_start,
            vs_hold_usd: vs_hold,
            realized_usd: realized,
            unrealized_usd: vs_hold - realized,
            fees_usd: fees,
            max_drawdown_usd: max_drawdown,
            round_trips: 0,
            wins: 0,
            losses: 0,
            equity_start_usd: equity_start,
            equity_end_usd: equity_end,
            hold_end_usd: hold_end,
            released_pnl_at_release_usd: Wide::ZERO,
            released_value_change_usd: Some(Wide::ZERO),
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct BalanceSide {
    pub base: Qty,
    pub quote: Quote,
}

#[derive(Clone, Debug, Serialize)]
pub struct BalancesSummary {
    pub start: BalanceSide,
    pub end: BalanceSide,
    /// start + Σ executions − Σ fees == end, exactly, for both assets.
    pub reconciled: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct OrdersSummary {
    pub placed: u64,
    pub filled: u64,
    pub cancelled: u64,
    pub deferred: u64,
    pub rejected: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct IntegritySummary {
    pub invariant_violations: u64,
    pub volume_drift: u64,
    pub halted: bool,
    pub halt_reason: Option<String>,
    /// Executions no slot could take (journalled; must be 0).
    pub untracked_executions: u64,
    /// Fills the reducer refused (must be 0).
    pub fill_rejects: u64,
    /// Exit placements the venue refused (each retried until it rested).
    pub exit_place_failures: u64,
    /// Market prices refused as the mark (the account could not be valued at them exactly).
    pub marks_refused: u64,
    /// Computations that could not be done exactly (each halted trading).
    pub arithmetic_faults: u64,
    /// Exits still not resting at the end (a dropped exit would show here).
    pub exits_unplaced_at_end: u64,
    /// Recovery positions released unrealized by the recovery cap.
    pub released_positions: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct IdleSummary {
    pub mean_ratio: f64,
    pub final_ratio: f64,
    /// Idle USD at the first and the last loop.
    pub first_usd: Quote,
    pub final_usd: Quote,
    /// Least-squares slope of idle USD over the run's samples, USD per day.
    pub slope_usd_per_day: f64,
    pub final_scoreboard: Scoreboard,
    /// Mean over loops of the free quote not committed to any buy order (seed 001 §1's
    /// goal is to keep it near zero), in USD and as a share of the quote balance.
    pub free_quote_not_committed_mean_usd: Quote,
    pub free_quote_not_committed_mean_share: f64,
    /// The same beyond the runway the governor targets (`rebalance.target_idle_pct`): the
    /// free quote the B allocation leaves undeployed against its own plan.
    pub free_quote_beyond_runway_mean_usd: Quote,
    pub free_quote_beyond_runway_mean_share: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SlotsSummary {
    pub count: usize,
    pub short_only_slot_seconds: i64,
    pub long_only_slot_seconds: i64,
    pub open_orders_end: usize,
    pub recoveries_end: usize,
}

/// Gross flows of all executions.
#[derive(Clone, Debug, Serialize)]
pub struct FlowsSummary {
    pub base_bought: Wide,
    pub base_sold: Wide,
    /// Quote spent on buys (fees excluded): the USD deployed.
    pub quote_spent: Wide,
    pub quote_received: Wide,
}

/// The USD-leak patches over the run.
#[derive(Clone, Debug, Serialize)]
pub struct LeakSummary {
    /// B-entry failures by reason over the whole run.
    pub b_failures: std::collections::BTreeMap<String, u64>,
    pub recoveries: u64,
    /// Waits of slots the pooled allocation left unfunded (patch F; not failures).
    pub pooled_waits: u64,
    pub balance_degraded_slot_seconds: i64,
    /// Idle USD split by cause at the end, and averaged over all loops.
    pub attribution_final: flywheel_capital::LeakAttribution,
    pub attribution_mean: flywheel_capital::LeakAttribution,
}

/// The governor over the run: the final `rebalancer` status block (seed §9.1) plus counters.
#[derive(Clone, Debug, Serialize)]
pub struct RebalancerSummary {
    #[serde(flatten)]
    pub status: flywheel_governor::RebalancerStatus,
    pub updates: u64,
    pub max_sign_flips_1h: u32,
    /// Sign flips of the skew over the run, and per hour of the run after warm-up.
    pub sign_flips: u64,
    pub sign_flips_per_hour: f64,
    pub damped_seconds: i64,
    pub max_abs_skew: f64,
    /// Share of post-warm-up time (after the first hour) with |idle − target| within the
    /// neutral band.
    pub in_band_share: f64,
    /// Time-weighted mean |idle − target| after warm-up.
    pub mean_abs_error: f64,
}

/// The whole summary.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub strategy: &'static str,
    /// First: what a trader judges a run by (equity against holding, then the rest).
    pub pnl: PnlSummary,
    pub data: DataSummary,
    pub run: RunSummary,
    pub balances: BalancesSummary,
    pub orders: OrdersSummary,
    pub integrity: IntegritySummary,
    pub idle_usd: IdleSummary,
    pub slots: SlotsSummary,
    pub flows: FlowsSummary,
    pub rebalancer: RebalancerSummary,
    pub b_side_health: crate::leak::BSideHealth,
    /// The "B-Side Health" card text and colour (seed 001 §6.4).
    pub b_side_health_card: crate::leak::BSideCard,
    pub quote_first_allocation: crate::leak::QuoteFirstStatus,
    pub ancillary_profit: crate::leak::AncillaryProfit,
    /// Ranger and churner totals over the run (cycles, abandoned positions, profit).
    pub ancillary: flywheel_ancillary::AncillaryTotals,
    pub leak: LeakSummary,
    /// The governor's dashboard lines (seed §9.2).
    pub rebalancer_dashboard: String,
    pub last_price: Price,
    pub loops: u64,
    /// Loops that skipped trading because the mark was older than
    /// `grid.stale_price_max_age_sec` (data gaps, outages).
    pub loops_stale: u64,
}

/// Least-squares slope of idle USD against time, per day (0 with fewer than two samples).
fn idle_slope_per_day(samples: &[crate::stats::Sample]) -> f64 {
    if samples.len() < 2 {
        return 0.0;
    }
    let n = samples.len() as f64;
    let t0 = samples[0].ts.millis();
    let xs = samples
        .iter()
        .map(|s| (s.ts.millis() - t0) as f64 / 86_400_000.0);
    let ys = samples.iter().map(|s| s.idle_usd.to_f64());
    let (mx, my) = (xs.clone().sum::<f64>() / n, ys.clone().sum::<f64>() / n);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in xs.zip(ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
    }
    if sxx > 0.0 {
        sxy / sxx
    } else {
        0.0
    }
}

fn side(b: &Balances) -> BalanceSide {
    BalanceSide {
        base: b.base.total,
        quote: b.quote.total,
    }
}

impl Summary {
    pub fn build<V: Venue, J: JournalSink>(
        engine: &Engine<V, J>,
        files: Vec<String>,
        data: &DataStats,
        first_price: Price,
    ) -> Summary {
        let st = engine.stats();
        let start = engine.start_balances();
        let end = engine.venue().balances();
        let reconciled = crate::stats::ledger_reconciles(
            &start,
            &end,
            (st.base_bought, st.base_sold),
            (st.quote_received, st.quote_spent),
            st.fees_paid,
        );
        let mark = engine.mark();
        let equity = crate::stats::equity_at;
        let (halted, halt_reason) = match engine.mode() {
            RunMode::Halted(r) => (true, Some(r.clone())),
            _ => (false, None),
        };
        let slots = engine.slots();
        let exits_unplaced = slots
            .iter()
            .flat_map(|s| s.state.orders.iter())
            .filter(|o| o.role == Role::Exit && o.txid.is_none())
            .count() as u64;
        let samples = st.idle_ratio_samples.max(1) as f64;
        Summary {
            strategy: "grid",
            data: DataSummary {
                files,
                events: data.events,
                first_ts: data.first_ts,
                last_ts: data.last_ts,
                sanity: None,
            },
            run: RunSummary::default(),
            pnl: PnlSummary {
                round_trips: st.round_trips,
                wins: st.wins,
                losses: st.losses,
                released_pnl_at_release_usd: st.released_pnl_at_release,
                released_value_change_usd: st
                    .released_base
                    .mul_fixed(mark.fixed(), flywheel_core::Rounding::HalfEven)
                    .ok()
                    .map(|now| now - st.released_value_at_release),
                ..PnlSummary::headline(
                    equity(&start, first_price),
                    equity(&end, mark),
                    equity(&start, mark),
                    st.realized,
                    st.fees_paid,
                    st.max_drawdown,
                )
            },
            balances: BalancesSummary {
                start: side(&start),
                end: side(&end),
                reconciled,
            },
            orders: OrdersSummary {
                placed: st.orders_placed,
                filled: st.orders_filled,
                cancelled: st.orders_cancelled,
                deferred: st.entries_deferred,
                rejected: st.rejected.clone(),
            },
            integrity: IntegritySummary {
                invariant_violations: st.invariant_violations,
                volume_drift: st.volume_drift,
                halted,
                halt_reason,
                untracked_executions: st.untracked_executions,
                fill_rejects: st.fill_rejects,
                exit_place_failures: st.exit_place_failures,
                marks_refused: st.marks_refused,
                arithmetic_faults: st.arithmetic_faults,
                exits_unplaced_at_end: exits_unplaced,
                released_positions: st.released_positions,
            },
            idle_usd: IdleSummary {
                mean_ratio: st.idle_ratio_sum / samples,
                final_ratio: engine.scoreboard().idle_usd_pct.to_f64() / 100.0,
                first_usd: engine
                    .samples()
                    .first()
                    .map(|s| s.idle_usd)
                    .unwrap_or_default(),
                final_usd: engine.scoreboard().idle_usd,
                slope_usd_per_day: idle_slope_per_day(engine.samples()),
                final_scoreboard: *engine.scoreboard(),
                // A mean of Quote values fits a Quote.
                free_quote_not_committed_mean_usd: st
                    .free_quote_sum
                    .mean(st.idle_ratio_samples)
                    .map(Quote::new)
                    .unwrap_or(Quote::new(flywheel_core::Fixed::MAX)),
                free_quote_not_committed_mean_share: st.free_quote_share_sum / samples,
                free_quote_beyond_runway_mean_usd: st
                    .free_beyond_runway_sum
                    .mean(st.idle_ratio_samples)
                    .map(Quote::new)
                    .unwrap_or(Quote::new(flywheel_core::Fixed::MAX)),
                free_quote_beyond_runway_mean_share: st.free_beyond_runway_share_sum / samples,
            },
            slots: SlotsSummary {
                count: slots.len(),
                short_only_slot_seconds: st.short_only_slot_ms / 1000,
                long_only_slot_seconds: st.long_only_slot_ms / 1000,
                open_orders_end: slots.iter().map(|s| s.state.orders.len()).sum(),
                recoveries_end: slots.iter().map(|s| s.state.recovery_orders.len()).sum(),
            },
            flows: FlowsSummary {
                base_bought: st.base_bought,
                base_sold: st.base_sold,
                quote_spent: st.quote_spent,
                quote_received: st.quote_received,
            },
            rebalancer: {
                let g = engine.governor_stats();
                let measured = g.measured_ms.max(1) as f64;
                RebalancerSummary {
                    status: engine.rebalancer_status(),
                    updates: g.updates,
                    max_sign_flips_1h: g.max_sign_flips_1h,
                    sign_flips: g.sign_flips,
                    sign_flips_per_hour: if g.measured_ms > 0 {
                        g.sign_flips as f64 / (measured / 3_600_000.0)
                    } else {
                        0.0
                    },
                    damped_seconds: g.damped_ms / 1000,
                    max_abs_skew: g.max_abs_skew,
                    in_band_share: g.in_band_ms as f64 / measured,
                    mean_abs_error: g.abs_error_ms / measured,
                }
            },
            rebalancer_dashboard: engine.rebalancer_status().dashboard(),
            b_side_health: engine.b_side_health(),
            b_side_health_card: engine.b_side_card(),
            quote_first_allocation: engine.quote_first_status(),
            ancillary_profit: engine.ancillary_profit(),
            ancillary: engine.ancillary_totals().clone(),
            leak: {
                let t = engine.leak_totals();
                let mut b_failures = t.b_failures.clone();
                for r in flywheel_capital::telemetry::FAILURE_REASONS {
                    b_failures.entry(r.to_string()).or_insert(0);
                }
                LeakSummary {
                    b_failures,
                    recoveries: t.recoveries,
                    pooled_waits: t.pooled_waits,
                    balance_degraded_slot_seconds: t.balance_degraded_slot_seconds,
                    attribution_final: engine.leak_attribution(),
                    attribution_mean: t.attribution_mean(),
                }
            },
            last_price: mark,
            loops: engine.loops(),
            loops_stale: st.stale_loops,
        }
    }
}
