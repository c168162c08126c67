//! Which side of our book a trade print can fill: the print's aggressor (taker) side.
//!
//! A print is a taker order meeting resting liquidity. A **buy**-aggressor print lifted
//! resting *sells*, so it can fill our asks and never our bids; a **sell**-aggressor print can
//! only fill our bids. Without this rule, a print that a buyer started — evidence that sellers
//! were resting there — would fill our resting buy, which no real book can do.
//!
//! The side comes from the data when the source records it (Tardis `side` = taker side).
//! Kraken Time & Sales and candles carry none; for sideless prints the configured
//! [`AggressorRule`] either infers it with the **tick test** or lets the print fill both
//! sides (the model before the rule existed).
//!
//! **Tick test** (Lee & Ready 1991): a print above the previous print's price was
//! buyer-initiated (an uptick), below it seller-initiated (a downtick); a print at the same
//! price (a zero tick) keeps the side of the last non-zero tick. Before the first non-zero
//! tick nothing is known and the print fills both sides. On the recorded Tardis days the tick
//! test agrees with the recorded side on 69 % (Gemini SOL), 73 % (Gemini DOGE) and 84 %
//! (Coinbase DOGE) of all prints, against 50 % for a coin toss.
//!
//! **What the tick test cannot do.** The first print through one of our resting orders is
//! always classified as the side that fills it: our bid rests below the last print, so the
//! print that first goes below it is a downtick (a sell). The tick test only refuses the
//! *later* prints — a bounce still below the bid, a zero tick after an uptick — which matter
//! for orders larger than one print and for the queue. For the maker's small orders, filled
//! whole by the first print through them, `data_or_tick` on sideless data fills exactly what
//! `ignore` fills (measured on the Gemini SOL day: 302 fills either way, 183 with the recorded
//! sides). Results on sideless data (Kraken Time & Sales) are therefore optimistic in fill
//! count by about that much; `docs/backtest-model.md` has the numbers. The tick test is still
//! the default for such data: it is never further from the recorded sides than "fill both".
//!
//! Invariants: the classifier is a pure function of the prices seen so far (in order); it is
//! updated by every trade print whatever the rule, so switching rules never changes what the
//! tick test would say.

use flywheel_core::{Price, Side};
use serde::{Deserialize, Serialize};

/// How the aggressor side of a trade print is found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggressorRule {
    /// The recorded side; for a print without one, the tick test (default).
    #[default]
    DataOrTick,
    /// The recorded side; a print without one fills both sides.
    DataOrBoth,
    /// The tick test for every print, ignoring a recorded side (to measure the tick test
    /// against data that has sides).
    Tick,
    /// No aggressor rule: every print can fill both sides (the model before issue 11).
    Ignore,
}

impl AggressorRule {
    /// The taker side to match a print with (`None`: both sides may fill), from the side the
    /// data recorded and the tick test's answer.
    pub fn taker_side(self, recorded: Option<Side>, tick: Option<Side>) -> Option<Side> {
        match self {
            AggressorRule::DataOrTick => recorded.or(tick),
            AggressorRule::DataOrBoth => recorded,
            AggressorRule::Tick => tick,
            AggressorRule::Ignore => None,
        }
    }
}

/// Can a print whose taker side is `taker` (`None`: unknown) fill our resting `side` order?
pub fn can_fill(taker: Option<Side>, side: Side) -> bool {
    taker.is_none_or(|t| t == side.opposite())
}

/// The tick test's running state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TickTest {
    last_price: Option<Price>,
    last_move: Option<Side>,
}

impl TickTest {
    /// Classify a print at `price` (the next one in time order) and remember it.
    pub fn classify(&mut self, price: Price) -> Option<Side> {
        if let Some(prev) = self.last_price {
            if price > prev {
                self.last_move = Some(Side::Buy);
            } else if price < prev {
                self.last_move = Some(Side::Sell);
            }
        }
        self.last_price = Some(price);
        self.last_move
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Side::{Buy, Sell};

    fn p(s: &str) -> Price {
        s.parse().unwrap()
    }

    #[test]
    fn tick_test_table() {
        // (case, prices in order, classification of each)
        type Case = (
            &'static str,
            &'static [&'static str],
            &'static [Option<Side>],
        );
        let cases: [Case; 5] = [
            ("first print is unknown", &["10"], &[None]),
            (
                "zero ticks before any move stay unknown",
                &["10", "10"],
                &[None, None],
            ),
            ("uptick is a buy", &["10", "10.1"], &[None, Some(Buy)]),
            ("downtick is a sell", &["10", "9.9"], &[None, Some(Sell)]),
            (
                "zero tick keeps the last move",
                &["10", "10.1", "10.1", "10", "10", "10.2"],
                &[
                    None,
                    Some(Buy),
                    Some(Buy),
                    Some(Sell),
                    Some(Sell),
                    Some(Buy),
                ],
            ),
        ];
        for (name, prices, want) in cases {
            let mut t = TickTest::default();
            let got: Vec<Option<Side>> = prices.iter().map(|s| t.classify(p(s))).collect();
            assert_eq!(got, want, "case {name}");
        }
    }

    #[test]
    fn taker_side_table() {
        use AggressorRule::*;
        // (case, rule, recorded, tick, taker side used)
        let cases = [
            (
                "data wins over tick",
                DataOrTick,
                Some(Buy),
                Some(Sell),
                Some(Buy),
            ),
            (
                "tick fills in a missing side",
                DataOrTick,
                None,
                Some(Sell),
                Some(Sell),
            ),
            ("nothing known: both", DataOrTick, None, None, None),
            (
                "data-or-both uses data",
                DataOrBoth,
                Some(Sell),
                Some(Buy),
                Some(Sell),
            ),
            (
                "data-or-both without data: both",
                DataOrBoth,
                None,
                Some(Buy),
                None,
            ),
            (
                "tick ignores the data",
                Tick,
                Some(Buy),
                Some(Sell),
                Some(Sell),
            ),
            ("ignore: always both", Ignore, Some(Buy), Some(Buy), None),
        ];
        for (name, rule, recorded, tick, want) in cases {
            assert_eq!(rule.taker_side(recorded, tick), want, "case {name}");
        }
    }

    #[test]
    fn can_fill_table() {
        // (case, taker side, resting side, fills)
        let cases = [
            ("buy taker lifts our ask", Some(Buy), Sell, true),
            ("buy taker never hits our bid", Some(Buy), Buy, false),
            ("sell taker hits our bid", Some(Sell), Buy, true),
            ("sell taker never lifts our ask", Some(Sell), Sell, false),
            ("unknown taker: bid", None, Buy, true),
            ("unknown taker: ask", None, Sell, true),
        ];
        for (name, taker, side, want) in cases {
            assert_eq!(can_fill(taker, side), want, "case {name}");
        }
    }
}
