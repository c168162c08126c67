use super::*;
use serde_json::json;

fn grid_summary() -> Value {
    json!({
        "strategy": "grid",
        "pnl": {
            "equity_change_usd": "-33.091209092", "vs_hold_usd": "-17.701209092",
            "realized_usd": "4.304750748", "unrealized_usd": "-22.00595984",
            "fees_usd": "4.587283092", "max_drawdown_usd": "60.042685812",
            "round_trips": 372, "wins": 372, "losses": 0,
            "equity_start_usd": "299.627", "equity_end_usd": "266.535790908",
            "hold_end_usd": "284.237"
        },
        "data": {"files": ["x"], "events": 7200, "first_ts": 1735689660000_i64,
                 "last_ts": 1736121600000_i64},
        "balances": {"start": {"base": "1000", "quote": "200"},
                     "end": {"base": "1690", "quote": "124.175260908"}, "reconciled": true},
        "integrity": {"invariant_violations": 0, "halted": false, "halt_reason": null},
        "idle_usd": {"mean_ratio": 0.5234832564128967, "final_ratio": 0.51208920618,
                     "final_usd": "63.588810786"},
        "slots": {"count": 10},
        "rebalancer": {"enabled": true, "target": 0.4, "skew": 0.22417841235999994,
                       "skew_direction": "buy_doge", "damped": false, "held_by": null,
                       "sign_flips": 0},
        "b_side_health_card": {
            "text": "B-Side Health\n  Fund guard blocks: 0 | Floor blocks: 0 | Degraded slots: 0/10\n  Last recovery: never",
            "color": "green"
        }
    })
}

fn table(rows: &[Row]) -> Vec<(&'static str, &str)> {
    rows.iter().map(|r| (r.label, r.value.as_str())).collect()
}

#[test]
fn grid_headline_leads_with_equity_against_holding() {
    let rows = rows(&grid_summary());
    assert_eq!(
        table(&rows),
        [
            ("Strategy", "grid, 10 slots, 7,200 events"),
            (
                "Period",
                "2025-01-01 00:01 → 2025-01-06 00:00 UTC (5.0 days)"
            ),
            ("Equity change", "-33.09 USD (-11.04%), 299.63 → 266.54"),
            ("vs holding", "-17.70 USD (-6.23%)"),
            ("Realized / unrealized", "+4.30 / -22.01 USD"),
            ("Max drawdown", "60.04 USD (20.04%)"),
            ("Round trips", "372, win rate 100.0% (372 W / 0 L)"),
            ("Fees", "4.59 USD"),
            ("Idle USD", "63.59 USD = 51.2% (target 40.0%, mean 52.3%)"),
            (
                "Governor",
                "on, skew +22.4% buy_doge, held by nothing, 0 sign flips"
            ),
            (
                "B-side",
                "green: Fund guard blocks: 0 | Floor blocks: 0 | Degraded slots: 0/10"
            ),
            ("Balances", "base 1,000 → 1,690, quote 200.00 → 124.18"),
            ("Integrity", "ok"),
        ]
    );
}

#[test]
fn missing_and_abnormal_figures() {
    type Edit = fn(&mut Value);
    let cases: [(&str, Edit, &str, Option<&str>); 5] = [
        (
            "no drawdown: the row is left out, not zero",
            |s| {
                drop(
                    s["pnl"]
                        .as_object_mut()
                        .map(|m| m.remove("max_drawdown_usd")),
                )
            },
            "Max drawdown",
            None,
        ),
        (
            "governor off",
            |s| s["rebalancer"]["enabled"] = json!(false),
            "Governor",
            Some("off"),
        ),
        (
            "governor held and damped",
            |s| {
                s["rebalancer"]["held_by"] = json!("capacity_gate");
                s["rebalancer"]["damped"] = json!(true);
                s["rebalancer"]["skew"] = json!(-0.1);
                s["rebalancer"]["skew_direction"] = json!("sell_doge");
            },
            "Governor",
            Some("on, skew -10.0% sell_doge, held by capacity_gate, damped, 0 sign flips"),
        ),
        (
            "halted run",
            |s| {
                s["integrity"]["halted"] = json!(true);
                s["integrity"]["halt_reason"] = json!("invariant breach");
                s["integrity"]["invariant_violations"] = json!(2);
            },
            "Integrity",
            Some("HALTED: invariant breach, 2 invariant violations"),
        ),
        (
            "no wins nor losses: no win rate",
            |s| {
                s["pnl"]["round_trips"] = json!(0);
                s["pnl"]["wins"] = json!(0);
            },
            "Round trips",
            Some("0"),
        ),
    ];
    for (name, edit, label, want) in cases {
        let mut s = grid_summary();
        edit(&mut s);
        let rows = rows(&s);
        let got = rows
            .iter()
            .find(|r| r.label == label)
            .map(|r| r.value.as_str());
        assert_eq!(got, want, "case {name}");
    }
}

#[test]
fn maker_headline_shows_inventory_and_hedger() {
    let s = json!({
        "strategy": "maker",
        "data": {"events": 813, "first_ts": 1688169649000_i64, "last_ts": 1688179605000_i64},
        "maker": {
            "fifo_realized_quote": "1.2345", "unrealized_quote": "-0.5", "fees_quote": "0",
            "volume_base": "12.5", "quote_fills": 40,
            "inventory": {"final_base": "-0.054", "max_abs": "0.162", "p99_abs": "0.108"},
            "hedger": {"volume_base": "0.3", "fees_quote": "0.0123", "clips": 3,
                       "emergency_orders": 1},
            "pnl_guard_activations": 0, "high_vol_pauses": 5
        },
        "balances": {"start": {"base": "1000", "quote": "200"},
                     "end": {"base": "999.946", "quote": "201.5"}, "reconciled": true},
        "integrity": {"fifo_errors": 0}
    });
    assert_eq!(
        table(&rows(&s)),
        [
            ("Strategy", "maker, 813 events"),
            (
                "Period",
                "2023-07-01 00:00:49 → 2023-07-01 02:46:45 UTC (2h 45m)"
            ),
            ("FIFO realized", "+1.23 USD"),
            ("Unrealized", "-0.50 USD"),
            ("Fees", "0.00 USD"),
            ("Quote fills", "40, volume 12.5"),
            ("Inventory", "end -0.054, max |inv| 0.162, p99 0.108"),
            ("Hedger", "volume 0.3, cost 0.01 USD, 3 clips, 1 emergency"),
            ("Guards", "PnL guard 0 activations, 5 high-vol pauses"),
            ("Balances", "base 1,000 → 999.946, quote 200.00 → 201.50"),
            ("Integrity", "ok"),
        ]
    );
}
