//! A configuration that `config check` accepts runs without panicking.
//!
//! Files are generated from the range tables themselves: every numeric key either keeps its
//! default or takes a value inside its documented range (its ends included), so most files
//! load. Each accepted configuration runs the grid and the maker over hours of the built-in
//! synthetic market. The workspace builds with overflow checks, so an arithmetic overflow
//! anywhere is a panic and fails the test (proptest then shrinks the file to the keys that
//! cause it).
//!
//! - `every_range_end_runs`: each key alone at its minimum and at its maximum;
//! - `accepted_configurations_run`: random in-range values for random subsets of keys.
//!
//! What this cannot show: totals that grow with the length of a run, and sums over slots of
//! amounts that scale with the market price (see `flywheel_core::config_range`). The start
//! balances are the case in point: the engine sums every fill's volume into run totals with
//! plain `+`, so large balances at a low price overflow them within hours whatever the
//! range. Those runs use balances up to [`RUN_BALANCE_MAX`]; `large_balances_run` (ignored
//! until the engine's totals saturate) shows the overflow.

use flywheel_cli::commands::backtest::run_engine;
use flywheel_cli::commands::maker::run_maker;
use flywheel_cli::config_file::parse_config;
use flywheel_core::config_range::{Bound, KeyRange, Num};
use flywheel_core::{Fixed, Price, Timestamp};
use flywheel_engine::demo::DemoMarket;
use proptest::prelude::*;

/// Start balances the runs use at most (see the module docs).
const RUN_BALANCE_MAX: Num = Num::dec(1_000_000, 0);

/// `(section, key, min, max)` of every range table, the start balances capped at
/// [`RUN_BALANCE_MAX`].
fn ranges() -> Vec<(&'static str, &'static str, Bound, Bound)> {
    fn rows<C>(
        section: &'static str,
        t: &[KeyRange<C>],
    ) -> Vec<(&'static str, &'static str, Bound, Bound)> {
        t.iter().map(|r| (section, r.key, r.min, r.max)).collect()
    }
    let mut out = rows("grid", flywheel_grid::ENGINE_CONFIG_RANGES);
    out.extend(rows("rebalance", flywheel_governor::GOVERNOR_CONFIG_RANGES));
    out.extend(rows("leak", flywheel_engine::config::LEAK_CONFIG_RANGES));
    out.extend(rows("rangers", flywheel_ancillary::RANGER_CONFIG_RANGES));
    out.extend(rows("churners", flywheel_ancillary::CHURNER_CONFIG_RANGES));
    out.extend(rows("maker", flywheel_maker::MAKER_CONFIG_RANGES));
    out.extend(rows("hedger", flywheel_maker::HEDGER_CONFIG_RANGES));
    out.extend(rows("venue", flywheel_engine::config::VENUE_CONFIG_RANGES));
    out.extend(rows(
        "backtest",
        flywheel_engine::config::BACKTEST_CONFIG_RANGES,
    ));
    for row in out.iter_mut().filter(|r| r.0 == "backtest") {
        row.3 = Bound::Incl(RUN_BALANCE_MAX);
    }
    out
}

/// The inclusive ends of a range.
fn ends(min: Bound, max: Bound) -> (Num, Num) {
    let lo = match min {
        Bound::Incl(v) => v,
        Bound::Excl(v) => v.nudge(true).unwrap_or(v),
    };
    let hi = match max {
        Bound::Incl(v) => v,
        Bound::Excl(v) => v.nudge(false).unwrap_or(v),
    };
    (lo, hi)
}

/// A TOML literal for a value between `lo` and `hi`: an end, or a point `t` of the way.
fn literal(lo: Num, hi: Num, pick: u8, t: f64) -> String {
    let num = match (lo, hi, pick) {
        (_, _, 0) => lo,
        (_, _, 1) => hi,
        (Num::Int(a), Num::Int(b), _) => Num::Int(a + ((b - a) as f64 * t) as i128),
        (Num::Dec(a), Num::Dec(b), _) => {
            // Whole thousandths: the hedger takes at most 3 decimals of seconds.
            let span = (b.raw() as i128 - a.raw() as i128) as f64;
            let raw = a.raw().saturating_add((span * t) as i64);
            let step = 1_000_000;
            Num::Dec(Fixed::from_raw((raw / step * step).clamp(a.raw(), b.raw())))
        }
        (Num::Float(a), Num::Float(b), _) => Num::Float(a + (b - a) * t),
        _ => lo,
    };
    match num {
        Num::Dec(d) => format!("\"{d}\""),
        Num::Float(f) => format!("{f:?}"),
        Num::Int(i) => i.to_string(),
    }
}

/// A file with a random subset of the numeric keys at random in-range values.
fn file() -> impl Strategy<Value = String> {
    let rows = ranges();
    let n = rows.len();
    let setting = prop::option::weighted(0.05, (0u8..4, 0.0f64..1.0, any::<bool>()));
    prop::collection::vec(setting, n).prop_map(move |picks| {
        let mut text = String::new();
        let mut section = "";
        for ((s, k, min, max), pick) in rows.iter().zip(picks) {
            let Some((which, t, small)) = pick else {
                continue;
            };
            // Half the interior picks are near the low end: most ranges span decades.
            let t = if small { t * 1e-6 } else { t };
            let (lo, hi) = ends(*min, *max);
            if *s != section {
                text.push_str(&format!("[{s}]\n"));
                section = s;
            }
            text.push_str(&format!("{k} = {}\n", literal(lo, hi, which, t)));
        }
        text
    })
}

fn market(
    bars: usize,
    price: Price,
) -> impl Iterator<Item = Result<flywheel_marketdata::MarketEvent, std::convert::Infallible>> {
    DemoMarket::new(11, bars, price, Timestamp::from_secs(1_735_689_600)).map(Ok)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn accepted_configurations_run(text in file()) {
        let parsed = parse_config("random.toml", &text, &[]);
        if let Ok(loaded) = parsed {
            let cfg = loaded.config;
            // Errors (a refused order, an exchange rule) are fine; panics are not.
            let _ = run_engine(&cfg, vec![], market(600, Price::lit(1, 1)), None, false, false);
            let _ = run_maker(&cfg, vec![], market(600, Price::lit(20, 0)), None, false);
        }
    }
}

/// Every end of every range, one key at a time: the configuration runs (or is refused by a
/// cross-check with the other defaults), it never panics.
#[test]
fn every_range_end_runs() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for (section, key, min, max) in ranges() {
        let (lo, hi) = ends(min, max);
        for (end, pick) in [("min", 0u8), ("max", 1u8)] {
            let text = format!("[{section}]\n{key} = {}\n", literal(lo, hi, pick, 0.0));
            let Ok(loaded) = parse_config("end.toml", &text, &[]) else {
                continue;
            };
            ran += 1;
            let cfg = loaded.config;
            let outcome = std::panic::catch_unwind(|| {
                let _ = run_engine(
                    &cfg,
                    vec![],
                    market(720, Price::lit(1, 1)),
                    None,
                    false,
                    false,
                );
                let _ = run_maker(&cfg, vec![], market(720, Price::lit(20, 0)), None, false);
            });
            if outcome.is_err() {
                failures.push(format!("{section}.{key} at its {end}"));
            }
        }
    }
    assert!(ran > 100, "only {ran} ends were accepted");
    assert_eq!(failures, Vec::<String>::new());
}

/// 5 × 10^8 quote at a price of 0.1 buys 3 × 10^8 base units an order: the engine's run
/// total of bought volume passes the fixed-point limit (9.2 × 10^9) after about thirty fills
/// and the run aborts. The start is inside the documented range; the fix belongs to the
/// engine's totals (with real data, 10^7 quote on DOGE in April 2021 aborts the same way).
#[test]
#[ignore = "engine: fill totals (executions.rs count_execution) overflow; un-ignore when they saturate"]
fn large_balances_run() {
    let text = "[backtest]\nstart_quote = 500000000\n";
    let loaded = parse_config("large.toml", text, &[]).expect("in range");
    let _ = run_engine(
        &loaded.config,
        vec![],
        market(2880, Price::lit(1, 1)),
        None,
        false,
        false,
    );
}
