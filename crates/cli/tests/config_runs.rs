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
//! Run totals (fills summed over a run) are exact `Wide` sums, so the start balances run
//! over their whole range; `large_balances_run` is the case that used to abort (5 × 10⁸
//! quote at a price of 0.1 overflowed the bought-volume total after about thirty fills).

use flywheel_cli::commands::grid::{grid_exchange, run_engine};
use flywheel_cli::commands::maker::{maker_exchange, run_maker};
use flywheel_cli::config_file::parse_config;
use flywheel_cli::config_file::FlywheelConfig;
use flywheel_core::config_range::{Bound, KeyRange, Num};
use flywheel_core::{Fixed, Price, Timestamp};
use flywheel_engine::demo::DemoMarket;
use proptest::prelude::*;

/// `(section, key, min, max)` of every range table.
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
    out.extend(rows(
        "sanity",
        flywheel_marketdata::sanity::PRICE_SANITY_CONFIG_RANGES,
    ));
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

/// The grid over `events`; a refused configuration or exchange is fine (an error, not a
/// panic).
fn grid(
    cfg: &FlywheelConfig,
    events: impl Iterator<Item = Result<flywheel_marketdata::MarketEvent, std::convert::Infallible>>,
) {
    if let Ok(sim) = grid_exchange(cfg) {
        let no_journal: Option<std::io::Sink> = None;
        let _ = run_engine(cfg, sim, vec![], events, no_journal, false, false);
    }
}

/// The maker over `events` (as [`grid`]).
fn maker(
    cfg: &FlywheelConfig,
    events: impl Iterator<Item = Result<flywheel_marketdata::MarketEvent, std::convert::Infallible>>,
) {
    if let Ok(sim) = maker_exchange(cfg) {
        let no_journal: Option<std::io::Sink> = None;
        let _ = run_maker(cfg, sim, vec![], events, no_journal, false);
    }
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
            grid(&cfg, market(600, Price::lit(1, 1)));
            maker(&cfg, market(600, Price::lit(20, 0)));
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
                grid(&cfg, market(720, Price::lit(1, 1)));
                maker(&cfg, market(720, Price::lit(20, 0)));
            });
            if outcome.is_err() {
                failures.push(format!("{section}.{key} at its {end}"));
            }
        }
    }
    assert!(ran > 100, "only {ran} ends were accepted");
    assert_eq!(failures, Vec::<String>::new());
}

/// 5 × 10⁸ quote at a price of 0.1 buys 3 × 10⁸ base units an order: the run total of
/// bought volume passes the `Fixed` limit (9.2 × 10⁹) after about thirty fills. It used to
/// abort the run; the totals are `Wide` now.
#[test]
fn large_balances_run() {
    let text = "[backtest]\nstart_quote = 500000000\n";
    let loaded = parse_config("large.toml", text, &[]).expect("in range");
    grid(&loaded.config, market(2880, Price::lit(1, 1)));
}
