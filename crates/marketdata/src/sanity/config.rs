//! [`PriceSanityConfig`]: the three keys of the price sanity check, their defaults and
//! validation (problems by key, in the shape every config section reports).

use flywheel_core::{ConfigProblem, Ratio};
use serde::{Deserialize, Serialize};

/// Largest window accepted. A push costs O(window) moves, so this keeps the check cheap;
/// a median over ten thousand prints is already as steady as a reference gets.
pub const MAX_WINDOW: u32 = 10_001;

/// What to do with an outlier.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SanityMode {
    /// No check: every event passes.
    Off,
    /// Drop the event, count it, keep the first one as an example.
    #[default]
    Skip,
    /// End the stream with an error naming file:line, the price and the median.
    Reject,
}

/// The price sanity check (see [`crate::sanity`]). A config section with these keys:
/// `mode = "off"|"skip"|"reject"`, `max_ratio` (a decimal, > 1), `window` (1..=10001).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PriceSanityConfig {
    pub mode: SanityMode,
    /// A print is an outlier when it is more than `max_ratio` times above the median, or
    /// below the median divided by it. Exact decimal (10 = ten times).
    pub max_ratio: Ratio,
    /// How many recent accepted prices the median is taken over.
    pub window: u32,
}

impl Default for PriceSanityConfig {
    /// `skip`, 10×, 101 prints. Ten times is far outside any real move between nearby prints
    /// (the 10 Oct 2025 crash took DOGE from 0.25 to 0.15 in a day, 1.7×) and far inside
    /// the fat-finger prints seen (×600,000 and more); an odd window has a single median.
    fn default() -> Self {
        PriceSanityConfig {
            mode: SanityMode::Skip,
            max_ratio: Ratio::lit(10, 0),
            window: 101,
        }
    }
}

/// One line of documentation per key, in declaration order (for `config defaults`).
pub const PRICE_SANITY_CONFIG_DOCS: &[(&str, &str)] = &[
    (
        "mode",
        "prints far from the recent median: \"skip\" (drop and count), \"reject\" (error naming \
         file:line) or \"off\"",
    ),
    (
        "max_ratio",
        "a print more than this many times above (or below) the median is an outlier, > 1",
    ),
    (
        "window",
        "how many recent accepted prices the median is taken over, 1-10001",
    ),
];

impl PriceSanityConfig {
    /// Every out-of-range value, by key.
    pub fn validate(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        if self.max_ratio <= Ratio::ONE {
            out.push(ConfigProblem {
                key: "max_ratio",
                message: "must be > 1 (a ratio of prices: 10 = ten times)",
            });
        }
        if !(1..=MAX_WINDOW).contains(&self.window) {
            out.push(ConfigProblem {
                key: "window",
                message: "must be between 1 and 10001",
            });
        }
        out
    }
}
