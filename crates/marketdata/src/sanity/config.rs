//! [`PriceSanityConfig`]: the three keys of the price sanity check, their defaults and
//! validation (problems by key, in the shape every config section reports).

use flywheel_core::config_range::{check_ranges, dec, ge, gt, int, le, KeyRange};
use flywheel_core::{key_ranges, ConfigProblem, Ratio};
use serde::{Deserialize, Serialize};

/// Largest window accepted. A push costs O(window) moves, so this keeps the check cheap;
/// a median over ten thousand prints is already as steady as a reference gets.
pub const MAX_WINDOW: u32 = 10_001;

/// Seven days: longer than any exchange outage in the recorded data, far shorter than the
/// years a mistyped timestamp adds.
pub const DEFAULT_MAX_GAP_SEC: u64 = 7 * 86_400;

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
    /// The longest gap between two accepted events, seconds (0 = no limit). A longer gap is
    /// an error naming the line: usually a wrong timestamp (a 2043 typo), not a market.
    pub max_gap_sec: u64,
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
            max_gap_sec: DEFAULT_MAX_GAP_SEC,
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
    (
        "max_gap_sec",
        "a longer gap between two events is an error naming the line (a wrong timestamp?); \
         0 = no limit",
    ),
];

impl PriceSanityConfig {
    /// Every value outside its range in [`PRICE_SANITY_CONFIG_RANGES`].
    pub fn validate(&self) -> Vec<ConfigProblem> {
        check_ranges(PRICE_SANITY_CONFIG_RANGES, self)
    }
}

/// The range of every numeric `[sanity]` key.
#[rustfmt::skip]
pub const PRICE_SANITY_CONFIG_RANGES: &[KeyRange<PriceSanityConfig>] = key_ranges! { PriceSanityConfig;
    max_ratio: gt(dec(1, 0)), le(dec(1_000_000, 0)), "",
        "a ratio of prices (10 = ten times); 1 would refuse every move";
    window: ge(int(1)), le(int(MAX_WINDOW as i128)), "prints",
        "a push costs O(window); ten thousand prints is as steady as a median gets";
    max_gap_sec: ge(int(0)), le(int(100 * 365 * 86_400)), "seconds",
        "0 = no limit; a gap is crossed in one step, so the limit is about wrong timestamps";
};
