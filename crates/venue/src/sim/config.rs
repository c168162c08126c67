//! [`SimConfig`]: the simulated exchange's knobs (the `[venue]` config section).

use flywheel_core::Ratio;
use serde::{Deserialize, Serialize};

pub use super::aggressor::AggressorRule;

/// Kraken Pro's per-pair cap on open orders (spec `kraken.md` §3.4).
pub const DEFAULT_MAX_OPEN_ORDERS: usize = 225;

/// Default window of the queue-ahead estimate: five minutes, long enough for a thin market
/// (Gemini SOL prints every ~7 s on average) to have traded at the levels near the price,
/// short enough to follow the day's moves.
pub const DEFAULT_QUEUE_WINDOW_SEC: u64 = 300;

/// Default order entry latency: 200 ms from the engine's decision to the order resting on
/// the book. Kraken publishes no figure (`spec/peers.md` §4.1: "tens to hundreds of ms over
/// the public internet"); the decision is taken on prints that reach us late (the Tardis
/// recorders saw them a median 41 ms after Coinbase's and 134–139 ms after Gemini's
/// timestamps), and the order then travels to the exchange and through its gateway (tens of
/// ms one way). 200 ms is also the documented maker/cancel latency of the maker seed's own
/// venue (Lighter, standard account, `spec/maker-origin.md` §4.1).
pub const DEFAULT_LATENCY_MS: u64 = 200;

/// Default half-spread an IOC order pays over the last print: 2 bps. On the recorded Tardis
/// days, consecutive opposite-side prints less than a second apart are a median 1.9 bps
/// (Gemini SOL) and 2.1 bps (Coinbase DOGE) apart — a full spread of about 2 bps, so a half
/// of about 1 bp; the default doubles it because the hedger crosses when the price runs
/// (the spread then is wider than its median: the means are 22–36 bps).
pub const DEFAULT_IOC_HALF_SPREAD_BPS: Ratio = Ratio::lit(2, 0);

/// When a trade print fills a resting order. A print strictly through the price fills under
/// every rule; they differ for a print exactly *at* the price, i.e. in how much volume is
/// queued ahead of our order there (see [`queue`](super::queue)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillRule {
    /// A print at the price never fills: an endless queue ahead of ours. The model before
    /// the queue existed.
    Strict,
    /// A print at the price fills at once: nothing queued ahead (the candle model's rule).
    Touch,
    /// A print at the price fills only what passes the estimated queue ahead of our order
    /// (`queue_window_sec`, `queue_ahead_multiple`). The default for trade data.
    #[default]
    Queue,
}

/// How the simulated exchange behaves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    /// Order entry latency in ms. 0: a post-only order rests as `place` returns. Otherwise the
    /// order is acknowledged at once but reaches the book (and is checked for crossing) at
    /// `now + latency_ms`.
    pub latency_ms: u64,
    /// How long the venue takes to answer a request, in ms: an order's ack or refusal, an
    /// IOC order's outcome, and a cancel's effect and confirmation reach the caller this
    /// long after the request (module docs of [`super`], "Answers"). 0: answers come with
    /// the reply — a refusal is the error of `place`, an ack, IOC executions and a cancel's
    /// confirmation are queued before `place`/`cancel` return (the behaviour before orders
    /// had in-flight states).
    pub ack_latency_ms: u64,
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
    /// [`FillRule::Queue`]: the window, in seconds, of the prints the queue-ahead estimate is
    /// taken from.
    pub queue_window_sec: u64,
    /// [`FillRule::Queue`]: the queue ahead of a joining order is this multiple of the larger
    /// of the volume printed at its price and the mean print size, in the window (0: the
    /// front of the queue).
    pub queue_ahead_multiple: Ratio,
    /// IOC (taker) orders execute this many bps worse than the last print: a buy at
    /// `last × (1 + bps/10 000)`, a sell below, to the tick. None of the supported data
    /// formats carries the book, so the spread is this configured half-spread.
    pub ioc_half_spread_bps: Ratio,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            latency_ms: DEFAULT_LATENCY_MS,
            ack_latency_ms: 0,
            fill_rule: FillRule::Queue,
            max_open_orders: DEFAULT_MAX_OPEN_ORDERS,
            partial_fills: true,
            aggressor: AggressorRule::DataOrTick,
            queue_window_sec: DEFAULT_QUEUE_WINDOW_SEC,
            queue_ahead_multiple: Ratio::ONE,
            ioc_half_spread_bps: DEFAULT_IOC_HALF_SPREAD_BPS,
        }
    }
}

impl SimConfig {
    /// The fill model before issue 11, with every fidelity assumption switched off: no
    /// latency, the strict rule (no queue), prints fill both sides, IOC orders at the last
    /// print. Tests of other behaviour start from
    /// it so that they do not move with the defaults, and `docs/backtest-model.md` measures
    /// each assumption against it.
    pub fn frictionless() -> Self {
        SimConfig {
            latency_ms: 0,
            fill_rule: FillRule::Strict,
            aggressor: AggressorRule::Ignore,
            ioc_half_spread_bps: Ratio::ZERO,
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
        assert_eq!(c.latency_ms, 200);
        assert_eq!(c.ack_latency_ms, 0);
        assert_eq!(c.fill_rule, FillRule::Queue);
        assert_eq!(c.queue_window_sec, 300);
        assert_eq!(c.queue_ahead_multiple, Ratio::ONE);
        assert_eq!(c.ioc_half_spread_bps, Ratio::lit(2, 0));
        assert_eq!(c.max_open_orders, 225);
        assert!(c.partial_fills);
        assert_eq!(c.aggressor, AggressorRule::DataOrTick);
        let f = SimConfig::frictionless();
        assert_eq!(
            (
                f.latency_ms,
                f.fill_rule,
                f.aggressor,
                f.ioc_half_spread_bps
            ),
            (0, FillRule::Strict, AggressorRule::Ignore, Ratio::ZERO)
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
            (
                "queue knobs",
                vec![("fill_rule", "queue"), ("queue_ahead_multiple", "2.5")],
                Some(SimConfig {
                    queue_ahead_multiple: Ratio::lit(25, 1),
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
