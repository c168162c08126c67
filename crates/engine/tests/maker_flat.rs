//! Issue 11 on real data: the maker with its defaults on the Gemini SOL/USD day (the
//! 10 Oct 2025 crash) keeps |inventory| ≤ 0.01 SOL at least 80 % of the time, its high-vol
//! pause ends (round 1's held for the last 5.2 h), every order meets the venue minimum,
//! the FIFO position is the account's base change, and a repeated run gives the same figures.
//!
//! Measured with the default fill model (aggressor side, queue, IOC half-spread, 200 ms
//! latency: docs/backtest-model.md); the pause case runs it and the frictionless model, on
//! both of which round 1's pause never ends. The 80 % goal is the issue's. Skips with a
//! message when the data folder is absent.

mod common;

use std::convert::Infallible;

use flywheel_core::Qty;
use flywheel_engine::config::{BacktestConfig, VenueConfig};
use flywheel_engine::maker_run::{run_maker_backtest, MakerEngine, PauseCause};
use flywheel_maker::{FlattenSizing, HedgerConfig, MakerConfig, MinSizePolicy};
use flywheel_marketdata::MarketEvent;
use flywheel_venue::sim::SimConfig;
use flywheel_venue::{SimExchange, Venue};

const DAY: &str = "gemini_SOLUSD_trades_2025-10-10.csv.gz";

fn events(name: &str) -> Option<Vec<MarketEvent>> {
    let path = common::data_file(name)?;
    let reader = flywheel_marketdata::open(&path).expect("open data");
    Some(reader.map(|e| e.expect("event")).collect())
}

/// The maker as `flywheel backtest --strategy maker` builds it.
fn run(maker: MakerConfig, hedger: HedgerConfig, evs: &[MarketEvent]) -> MakerEngine<SimExchange> {
    run_on(VenueConfig::default().sim(), maker, hedger, evs)
}

/// [`run`] on a given fill model.
fn run_on(
    venue: SimConfig,
    maker: MakerConfig,
    hedger: HedgerConfig,
    evs: &[MarketEvent],
) -> MakerEngine<SimExchange> {
    let inst = maker.instrument("SOL/USD").expect("instrument");
    let start = BacktestConfig::default().start_balances();
    let sim = SimExchange::new(inst, venue, start).expect("sim");
    let mut m = MakerEngine::new(maker, hedger, sim);
    run_maker_backtest(&mut m, evs.iter().cloned().map(Ok::<_, Infallible>)).expect("run");
    m
}

fn pct_high_vol(m: &MakerEngine<SimExchange>) -> f64 {
    let ms = m
        .stats
        .paused_ms
        .get(&PauseCause::HighVol)
        .copied()
        .unwrap_or(0);
    100.0 * ms as f64 / m.stats.measured_ms as f64
}

#[test]
fn the_defaults_keep_inventory_flat_on_the_gemini_day() {
    let Some(evs) = events(DAY) else { return };
    let m = run(MakerConfig::default(), HedgerConfig::default(), &evs);
    let within = m.stats.pct_within_0_01();
    assert!(
        within >= 80.0,
        "|inv| ≤ 0.01 only {within:.1} % of the time"
    );
    assert!(
        m.stats.quote_fills > 100,
        "the defaults trade: {:?}",
        m.stats
    );
    // Every order meets the venue minimum; the only refusals are post-only quotes the
    // market crossed while they travelled (the default 200 ms order latency).
    assert!(
        m.stats
            .rejected
            .keys()
            .all(|r| r.as_str() == "post_only_would_take"),
        "every order meets the venue minimum: {:?}",
        m.stats.rejected
    );
    assert_eq!(m.stats.fifo_errors, 0);
    let start = BacktestConfig::default().start_balances();
    assert_eq!(
        m.venue().balances().base.total - start.base.total,
        m.fifo().inventory()
    );
    let c = &m.hedger().counters;
    assert!(c.two_step_flattens > 0 && c.clips_over_cap > 0, "{c:?}");
    // The 99th percentile sits at one venue minimum (a fill waiting for its clip).
    assert!(m.stats.inventory_percentile(99.0) <= Qty::lit(62, 3));
    // The pause ends on this model too (8.5 % of the day, entered 12 times).
    assert!(pct_high_vol(&m) < 12.0, "{:.1} %", pct_high_vol(&m));
    assert!(m.state().vol.pauses() > 1);

    let again = run(MakerConfig::default(), HedgerConfig::default(), &evs);
    assert_eq!(
        serde_json::to_string(&m.figures(24.0)).expect("json"),
        serde_json::to_string(&again.figures(24.0)).expect("json"),
        "same data, same figures"
    );
}

#[test]
fn the_high_vol_pause_ends_where_round_one_stayed_paused() {
    let Some(evs) = events(DAY) else { return };
    let round1 = MakerConfig {
        flatten_sizing: FlattenSizing::Desired,
        pause_reducing_quotes: false,
        min_size_policy: MinSizePolicy::ReduceOnly,
        requote_on_fill: false,
        ..MakerConfig::default()
    };
    let old_hedger = HedgerConfig {
        closable_clips: false,
        poll_interval_seconds: "0".parse().expect("secs"),
        ..HedgerConfig::default()
    };
    // Round 1's pause waited for |inv| ≤ 0.0125, which a residue below the venue minimum
    // (−0.025 on the default model) held off for the rest of the day: 21.7 % of it paused,
    // on the default model and on the frictionless one (every print through a quote fills
    // it). The defaults: 8.5 %, the pause entered and ended 12 times.
    for model in [VenueConfig::default().sim(), SimConfig::frictionless()] {
        let old = run_on(model.clone(), round1.clone(), old_hedger.clone(), &evs);
        let new = run_on(model, MakerConfig::default(), HedgerConfig::default(), &evs);
        assert!(old.state().vol.paused(), "round 1 ends the day paused");
        assert!(pct_high_vol(&old) > 20.0, "{:.1} %", pct_high_vol(&old));
        assert!(new.state().vol.pauses() > old.state().vol.pauses());
        assert!(pct_high_vol(&new) < 12.0, "{:.1} %", pct_high_vol(&new));
    }
}
