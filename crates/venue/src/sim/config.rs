//! [`SimConfig`]: the simulated exchange's knobs (the `[venue]` config section).

use serde::{Deserialize, Serialize};

pub use super::aggressor::AggressorRule;

/// Kraken Pro's per-pair cap on open orders (spec `kraken.md` §3.4).
pub const DEFAULT_MAX_OPEN_ORDERS: usize = 225;

/// When a trade print fills a resting order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillRule {
    /// A resting buy fills only when a trade prints strictly below its price (a sell: strictly
    /// above). The conservative default: a print *at* our price may have matched orders queued
    /// ahead of ours.
    #[default]
    Strict,
    /// A print at or through the price fills (the candle model's rule).
    Touch,
}

/// How the simulated exchange behaves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    /// Order entry latency in ms. 0: a post-only order rests as `place` returns. Otherwise the
    /// order is acknowledged at once but reaches the book (and is checked for crossing) at
    /// `now + latency_ms`.
    pub latency_ms: u64,
    /// When a trade print fills a resting order. Candles always use the touch rule.
    pub fill_rule: FillRule,
    /// Cap on acknowledged open orders (resting or in flight); beyond it
    /// `EOrder:Orders limit exceeded`.
    pub max_open_orders: usize,
    /// true: a trade fills at most its own quantity, shared among the crossed orders by
    /// price then time priority. false: every crossed order fills entirely.
    pub partial_fills: bool,
    /// Which side of our book a trade print can fill (its aggressor side), and what to do
    /// when the data does not record it.
    pub aggressor: AggressorRule,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            latency_ms: 0,
            fill_rule: FillRule::Strict,
            max_open_orders: DEFAULT_MAX_OPEN_ORDERS,
            partial_fills: true,
            aggressor: AggressorRule::DataOrTick,
        }
    }
}

impl SimConfig {
    /// The fill model before issue 11, with every fidelity assumption switched off: no
    /// latency, the strict rule, prints fill both sides. Tests of other behaviour start from
    /// it so that they do not move with the defaults, and `docs/backtest-model.md` measures
    /// each assumption against it.
    pub fn frictionless() -> Self {
        SimConfig {
            latency_ms: 0,
            fill_rule: FillRule::Strict,
            aggressor: AggressorRule::Ignore,
            ..SimConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::value::{Error as ValueError, MapDeserializer};

    type Pairs = Vec<(&'static str, &'static str)>;

    fn from_pairs(pairs: Pairs) -> Result<SimConfig, ValueError> {
        SimConfig::deserialize(MapDeserializer::new(pairs.into_iter()))
    }

    #[test]
    fn defaults() {
        let c = SimConfig::default();
        assert_eq!(c.latency_ms, 0);
        assert_eq!(c.fill_rule, FillRule::Strict);
        assert_eq!(c.max_open_orders, 225);
        assert!(c.partial_fills);
        assert_eq!(c.aggressor, AggressorRule::DataOrTick);
        let f = SimConfig::frictionless();
        assert_eq!(
            (f.latency_ms, f.fill_rule, f.aggressor),
            (0, FillRule::Strict, AggressorRule::Ignore)
        );
    }

    #[test]
    fn deserialize_table() {
        let cases: Vec<(&str, Pairs, Option<SimConfig>)> = vec![
            (
                "empty section is the default",
                vec![],
                Some(SimConfig::default()),
            ),
            (
                "touch rule",
                vec![("fill_rule", "touch")],
                Some(SimConfig {
                    fill_rule: FillRule::Touch,
                    ..SimConfig::default()
                }),
            ),
            (
                "aggressor rule",
                vec![("aggressor", "data_or_both")],
                Some(SimConfig {
                    aggressor: AggressorRule::DataOrBoth,
                    ..SimConfig::default()
                }),
            ),
            ("unknown key is an error", vec![("latency", "5")], None),
            (
                "unknown aggressor rule is an error",
                vec![("aggressor", "guess")],
                None,
            ),
            (
                "unknown rule is an error",
                vec![("fill_rule", "through")],
                None,
            ),
        ];
        for (name, pairs, want) in cases {
            let got = from_pairs(pairs).ok();
            assert_eq!(got, want, "case {name}");
        }
    }
}
