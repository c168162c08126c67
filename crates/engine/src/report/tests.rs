//! The report: determinism, escaping, charts, and the summary groups.

use std::collections::BTreeMap;

use flywheel_core::{Price, Qty, Quote};

use super::chart::{time_ticks, value_ticks};
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
