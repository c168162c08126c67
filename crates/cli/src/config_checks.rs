//! [`FlywheelConfig::validate`]: every problem of the whole file, each named by its dotted
//! key, as an error (the configuration is refused) or a warning (it runs, but a trader would
//! not want it).
//!
//! Three layers, in this order:
//! 1. **ranges and pairs** of every section (`validate()` of each section's crate): every
//!    numeric key inside its documented range, ordered pairs not inverted. A configuration
//!    that passes them runs without arithmetic overflow or absurd allocations;
//! 2. **section cross-checks** (`cross_check()`): the grid's profit target against its fees
//!    and its entry distances against the refresh distance, the rangers' and churners'
//!    profit targets against the grid's maker fee (when enabled), the maker's price band
//!    against its spreads;
//! 3. **file cross-checks** between sections (below).
//!
//! A cross-check that involves a key already out of range is dropped: its message would
//! compare a value the user has to change anyway.
//!
//! File cross-checks:
//! - the open-order capacity: `grid.open_orders_limit × grid.open_order_safety_ratio` must
//!   leave the capacity gate room for at least one entry (error), and for two orders per
//!   slot (warning); `venue.max_open_orders` below the grid's own cap means the venue refuses
//!   orders before the gate engages (warning);
//! - latency: `venue.latency_ms` at or beyond `grid.stale_price_max_age_sec` means every
//!   order reaches the book after the mark it was priced from is stale by the engine's own
//!   rule (error); at or beyond `grid.loop_interval_sec` (or `maker.refresh_seconds`), each
//!   loop decides before the previous loop's orders have arrived (warning: measured, trading
//!   continues, with more post-only rejects);
//! - cadence: `rebalance.interval_sec` below `grid.loop_interval_sec` cannot be honoured, the
//!   governor updates inside the loop (warning, when enabled);
//! - `hedger.trigger_units` at or above `maker.max_position_units` (with no notional trigger
//!   below `maker.max_inventory_notional`): the maker never holds enough to hedge (warning);
//! - `venue.ioc_half_spread_bps` at or beyond the hedger's IOC limit distance
//!   (`min(hedger.price_offset_bps, hedger.max_slippage_bps)`): the simulated spread is wider
//!   than the hedger is willing to cross, so its ordinary IOC clips expire (warning, when the
//!   hedger is on).
//!
//! Not a check: `grid.stale_price_max_age_sec` below `grid.loop_interval_sec`. A mark's age
//! is measured from the last market event, not from the previous loop (`Engine::
//! mark_is_fresh`), so a short staleness limit with long loops is consistent; whether the
//! data is dense enough is a property of the data, not of the configuration.

use flywheel_core::{ConfigProblem, Severity};
use flywheel_engine::capacity::{capacity, CapacityBand};

use crate::config_file::FlywheelConfig;

/// One problem of the configuration file, named by dotted keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigIssue {
    /// Dotted key the problem is about, e.g. `grid.profit_pct`.
    pub key: String,
    /// Other dotted keys it compares `key` with (used to locate it in the file).
    pub also: Vec<String>,
    pub message: String,
    pub severity: Severity,
}

impl ConfigIssue {
    fn new(key: &str, also: &[&str], severity: Severity, message: String) -> Self {
        ConfigIssue {
            key: key.to_string(),
            also: also.iter().map(|k| (*k).to_string()).collect(),
            message,
            severity,
        }
    }

    /// A section's problem, with its keys prefixed by `section`.
    fn in_section(section: &str, p: ConfigProblem) -> Self {
        ConfigIssue {
            key: format!("{section}.{}", p.key),
            also: p.also.iter().map(|k| format!("{section}.{k}")).collect(),
            message: p.message,
            severity: p.severity,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl FlywheelConfig {
    /// Every problem of every section and between sections (see the module docs).
    pub fn validate(&self) -> Vec<ConfigIssue> {
        let in_section =
            |section: &'static str| move |p: ConfigProblem| ConfigIssue::in_section(section, p);
        let mut issues: Vec<ConfigIssue> = Vec::new();
        issues.extend(self.grid.validate().into_iter().map(in_section("grid")));
        issues.extend(
            self.rebalance
                .validate()
                .into_iter()
                .map(in_section("rebalance")),
        );
        issues.extend(self.leak.validate().into_iter().map(in_section("leak")));
        issues.extend(
            self.rangers
                .validate()
                .into_iter()
                .map(in_section("rangers")),
        );
        issues.extend(
            self.churners
                .validate()
                .into_iter()
                .map(in_section("churners")),
        );
        issues.extend(self.maker.validate().into_iter().map(in_section("maker")));
        issues.extend(self.hedger.validate().into_iter().map(in_section("hedger")));
        issues.extend(self.venue.validate().into_iter().map(in_section("venue")));
        issues.extend(
            self.backtest
                .validate()
                .into_iter()
                .map(in_section("backtest")),
        );
        issues.extend(self.sanity.validate().into_iter().map(in_section("sanity")));

        let fee = self.grid.maker_fee_pct;
        let mut cross: Vec<ConfigIssue> = Vec::new();
        cross.extend(self.grid.cross_check().into_iter().map(in_section("grid")));
        cross.extend(
            self.rangers
                .cross_check(fee)
                .into_iter()
                .map(in_section("rangers")),
        );
        cross.extend(
            self.churners
                .cross_check(fee)
                .into_iter()
                .map(in_section("churners")),
        );
        cross.extend(
            self.maker
                .cross_check()
                .into_iter()
                .map(in_section("maker")),
        );
        cross.extend(self.file_cross_checks());

        let refused = |k: &String| issues.iter().any(|i| i.is_error() && i.key == *k);
        cross.retain(|c| !refused(&c.key) && !c.also.iter().any(refused));
        issues.extend(cross);
        issues
    }

    /// Checks between sections (see the module docs). Assumes each key is in range only as
    /// far as its arithmetic is checked: callers drop the results that involve refused keys.
    fn file_cross_checks(&self) -> Vec<ConfigIssue> {
        let mut out = Vec::new();
        self.capacity_checks(&mut out);
        self.latency_checks(&mut out);
        let (grid, gov) = (&self.grid, &self.rebalance);
        if gov.enabled && gov.interval_sec < grid.loop_interval_sec {
            out.push(ConfigIssue::new(
                "rebalance.interval_sec",
                &["grid.loop_interval_sec"],
                Severity::Warning,
                format!(
                    "{} s is shorter than grid.loop_interval_sec {} s: the governor updates \
                     inside the loop, so it updates every {} s",
                    gov.interval_sec, grid.loop_interval_sec, grid.loop_interval_sec
                ),
            ));
        }
        let (maker, hedger) = (&self.maker, &self.hedger);
        let notional_can_trigger = hedger.trigger_notional.is_positive()
            && hedger.trigger_notional < maker.max_inventory_notional;
        if hedger.enabled
            && hedger.trigger_units >= maker.max_position_units
            && !notional_can_trigger
        {
            out.push(ConfigIssue::new(
                "hedger.trigger_units",
                &["maker.max_position_units", "hedger.trigger_notional"],
                Severity::Warning,
                format!(
                    "{} is not below maker.max_position_units {}: the maker never holds more, \
                     so the hedger never triggers",
                    hedger.trigger_units, maker.max_position_units
                ),
            ));
        }
        let limit = hedger.price_offset_bps.min(hedger.max_slippage_bps);
        let half_spread = self.venue.ioc_half_spread_bps;
        if hedger.enabled && half_spread >= limit {
            out.push(ConfigIssue::new(
                "venue.ioc_half_spread_bps",
                &["hedger.price_offset_bps", "hedger.max_slippage_bps"],
                Severity::Warning,
                format!(
                    "{half_spread} bps is not below the hedger's IOC limit distance {limit} bps \
                     (hedger.price_offset_bps, capped by hedger.max_slippage_bps): with \
                     --strategy maker, ordinary hedger clips expire unfilled"
                ),
            ));
        }
        out
    }

    fn capacity_checks(&self, out: &mut Vec<ConfigIssue>) {
        let grid = &self.grid;
        let gate = capacity(grid, 0);
        // The engine places an entry only while the band is not `stop`: count the open
        // orders it admits, with the engine's own rule rather than a copy of its constants.
        let admits = (0..=gate.safe_cap)
            .take_while(|&open| capacity(grid, open).band != CapacityBand::Stop)
            .count();
        let (limit, ratio, safe) = (
            grid.open_orders_limit,
            grid.open_order_safety_ratio,
            gate.safe_cap,
        );
        let product = format!("grid.open_order_safety_ratio {ratio} = {safe}");
        let needed = u64::from(grid.slots) * 2;
        if admits == 0 {
            out.push(ConfigIssue::new(
                "grid.open_orders_limit",
                &["grid.open_order_safety_ratio"],
                Severity::Error,
                format!(
                    "{limit} × {product} open orders leave no room for an entry once the \
                     capacity gate keeps its headroom: no entry is ever placed"
                ),
            ));
        } else if (admits as u64) < needed {
            out.push(ConfigIssue::new(
                "grid.slots",
                &["grid.open_orders_limit", "grid.open_order_safety_ratio"],
                Severity::Warning,
                format!(
                    "{} slots need {needed} open orders, but the capacity gate stops entries at \
                     {admits} (grid.open_orders_limit {limit} × {product}, less its \
                     headroom): some slots never trade",
                    grid.slots
                ),
            ));
        }
        let venue_cap = self.venue.max_open_orders;
        if u64::try_from(venue_cap).unwrap_or(u64::MAX) < u64::from(safe) {
            out.push(ConfigIssue::new(
                "venue.max_open_orders",
                &["grid.open_orders_limit", "grid.open_order_safety_ratio"],
                Severity::Warning,
                format!(
                    "{venue_cap} is below the {safe} open orders the grid allows itself \
                     (grid.open_orders_limit {limit} × {product}): the venue refuses orders \
                     before the capacity gate engages"
                ),
            ));
        }
    }

    fn latency_checks(&self, out: &mut Vec<ConfigIssue>) {
        let latency = self.venue.latency_ms;
        let ms = |secs: u64| secs.saturating_mul(1000);
        let (stale, interval) = (
            self.grid.stale_price_max_age_sec,
            self.grid.loop_interval_sec,
        );
        if latency >= ms(stale) {
            out.push(ConfigIssue::new(
                "venue.latency_ms",
                &["grid.stale_price_max_age_sec"],
                Severity::Error,
                format!(
                    "{latency} ms is not below grid.stale_price_max_age_sec {stale} s: every \
                     order reaches the book after the mark it was priced from is stale by the \
                     engine's own rule"
                ),
            ));
        } else if latency >= ms(interval) {
            out.push(ConfigIssue::new(
                "venue.latency_ms",
                &["grid.loop_interval_sec"],
                Severity::Warning,
                format!(
                    "{latency} ms is not below grid.loop_interval_sec {interval} s: each loop \
                     decides before the previous loop's orders have reached the book"
                ),
            ));
        }
        let refresh = self.maker.refresh_seconds;
        if latency >= ms(refresh) {
            out.push(ConfigIssue::new(
                "venue.latency_ms",
                &["maker.refresh_seconds"],
                Severity::Warning,
                format!(
                    "{latency} ms is not below maker.refresh_seconds {refresh} s: with \
                     --strategy maker, each quote refresh decides before the previous quotes have reached the book"
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flywheel_core::{Qty, Ratio};
    use Severity::{Error, Warning};

    #[test]
    fn file_cross_checks_table() {
        type Edit = fn(&mut FlywheelConfig);
        /// (severity, key, message start)
        type Want = &'static [(Severity, &'static str, &'static str)];
        let cases: [(&str, Edit, Want); 15] = [
            ("defaults", |_| {}, &[]),
            (
                "no room for an entry",
                |c| c.grid.open_orders_limit = 12,
                &[(
                    Error,
                    "grid.open_orders_limit",
                    "12 × grid.open_order_safety_ratio 0.75 = 9 open orders leave no room",
                )],
            ),
            (
                "room for some slots only",
                |c| c.grid.slots = 100,
                &[(
                    Warning,
                    "grid.slots",
                    "100 slots need 200 open orders, but the capacity gate stops entries at \
                     159 (grid.open_orders_limit 225 × grid.open_order_safety_ratio 0.75 = 168",
                )],
            ),
            (
                "venue cap below the grid's cap",
                |c| c.venue.max_open_orders = 100,
                &[(
                    Warning,
                    "venue.max_open_orders",
                    "100 is below the 168 open orders the grid allows itself",
                )],
            ),
            (
                "latency at the stale-price limit",
                |c| c.venue.latency_ms = 60_000,
                &[
                    (
                        Error,
                        "venue.latency_ms",
                        "60000 ms is not below grid.stale_price_max_age_sec 60 s",
                    ),
                    (
                        Warning,
                        "venue.latency_ms",
                        "60000 ms is not below maker.refresh",
                    ),
                ],
            ),
            (
                "latency beyond the loop interval",
                |c| c.venue.latency_ms = 30_000,
                &[
                    (
                        Warning,
                        "venue.latency_ms",
                        "30000 ms is not below grid.loop_interval_sec 30 s",
                    ),
                    (
                        Warning,
                        "venue.latency_ms",
                        "30000 ms is not below maker.refresh",
                    ),
                ],
            ),
            (
                "latency beyond the maker's refresh only",
                |c| c.venue.latency_ms = 5_000,
                &[(
                    Warning,
                    "venue.latency_ms",
                    "5000 ms is not below maker.refresh_seconds 5 s",
                )],
            ),
            (
                "governor faster than the loop",
                |c| c.rebalance.interval_sec = 10,
                &[(
                    Warning,
                    "rebalance.interval_sec",
                    "10 s is shorter than grid.loop_interval_sec 30 s",
                )],
            ),
            (
                "governor faster than the loop, but off",
                |c| {
                    c.rebalance.interval_sec = 10;
                    c.rebalance.enabled = false;
                },
                &[],
            ),
            (
                "hedger that never triggers",
                |c| {
                    c.hedger.trigger_units = Qty::lit(5, 1);
                    c.hedger.trigger_notional = flywheel_core::Quote::ZERO;
                },
                &[(
                    Warning,
                    "hedger.trigger_units",
                    "0.5 is not below maker.max_position_units 0.3",
                )],
            ),
            (
                "hedger that triggers on notional",
                |c| c.hedger.trigger_units = Qty::lit(5, 1),
                &[],
            ),
            (
                "IOC spread the hedger will not cross",
                |c| c.venue.ioc_half_spread_bps = Ratio::lit(10, 0),
                &[(
                    Warning,
                    "venue.ioc_half_spread_bps",
                    "10 bps is not below the hedger's IOC limit distance 10 bps",
                )],
            ),
            (
                "IOC spread with the hedger off",
                |c| {
                    c.venue.ioc_half_spread_bps = Ratio::lit(10, 0);
                    c.hedger.enabled = false;
                },
                &[],
            ),
            (
                "section cross-checks are included",
                |c| c.grid.profit_pct = Ratio::lit(1, 1),
                &[(
                    Error,
                    "grid.profit_pct",
                    "0.1 is below the round-trip maker fees",
                )],
            ),
            (
                "a cross-check on a refused key is dropped",
                // The governor's 300 s would be shorter than the loop: not reported, the
                // loop interval has to change anyway.
                |c| c.grid.loop_interval_sec = 5000,
                &[(
                    Error,
                    "grid.loop_interval_sec",
                    "must be between 1 and 3600 seconds, not 5000",
                )],
            ),
        ];
        for (name, edit, want) in cases {
            let mut cfg = FlywheelConfig::default();
            edit(&mut cfg);
            let got = cfg.validate();
            assert_eq!(got.len(), want.len(), "case {name}: {got:#?}");
            for (g, (severity, key, message)) in got.iter().zip(want) {
                assert_eq!(
                    (g.severity, g.key.as_str()),
                    (*severity, *key),
                    "case {name}"
                );
                assert!(
                    g.message.starts_with(message),
                    "case {name}: {:?} does not start with {message:?}",
                    g.message
                );
            }
        }
    }

    #[test]
    fn section_keys_are_prefixed_everywhere() {
        let mut cfg = FlywheelConfig::default();
        cfg.maker.resume_threshold_bps = 40.0;
        let got = cfg.validate();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].key, "maker.resume_threshold_bps");
        assert_eq!(got[0].also, vec!["maker.pause_threshold_bps".to_string()]);
    }
}
