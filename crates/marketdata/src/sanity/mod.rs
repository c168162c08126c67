//! Price sanity: skip or reject prints far away from the recent median.
//!
//! Recorded data has prints no market traded at: a single SOL trade at 123,000,000 in a day
//! around $200, a 5e6 spike, a 9e9 price. They are valid rows (positive, well-formed, in time
//! order), so the readers accept them; fed to the engine they fill every resting order at a
//! fantasy price. This module judges each event against the prices before it.
//!
//! ## The rule
//!
//! An event's *reference price* is a trade's price or a bar's close. The *window* holds the
//! reference prices of the last `window` accepted events; the *band* is
//! `[median_low / max_ratio, median_high × max_ratio]`, where `median_low` and `median_high`
//! are the window's middle elements (the same element for an odd count, so the default odd
//! window has one median; with an even count the band is the widest any median between the
//! two would give). A trade is an *outlier* when its price is outside the band, a bar when any
//! of its high, low, open or close is. Then, by [`SanityMode`]:
//! - `skip`: the event is dropped and counted ([`SanityStats`]);
//! - `reject`: the stream ends with an error naming file:line, the price and the median;
//! - `off`: every event passes; nothing is judged.
//!
//! ## Invariants
//!
//! - **Exact.** The band check compares fixed-point raw values in `i128`
//!   (`price × S > median × max_ratio`, see [`window::band_side`]): no `f64`, no rounding, so
//!   a print at exactly `max_ratio ×` the median is inside, one unit above is out.
//! - **Outliers never move the reference**: only accepted prices enter the window.
//! - **Nothing is dropped silently**: every skipped event is counted, and the first one is
//!   kept with its file:line, price and median ([`SanityStats::first_skipped`]).
//! - **A sustained move is not an outlier.** After [`run_limit`]`(window)` outliers in a row
//!   (at least [`MIN_RUN_LIMIT`]) the stream ends with an error in `skip` mode too: the
//!   price level really changed (or the file starts with bad prints), and skipping the rest of
//!   the file would silently drop real data. Isolated fat-finger prints (one, or a few rows of
//!   one taker order) are far below that.
//! - **The start is judged like the rest.** There is no median before the first print, so the
//!   first [`start_prints`]`(window)` events (at most [`START_PRINTS`]) are read ahead and
//!   judged together against the median of all of them: a bad *first* print is caught like
//!   any other, as long as fewer than half of them are bad. After the start, each event is
//!   judged against the accepted prices so far (fewer than `window` until it fills).
//! - **Order and content are kept**: events pass unchanged and in file order; a reader error
//!   passes through and ends the stream, as the reader does. Memory is the window plus at
//!   most [`START_PRINTS`] events.
//!
//! Zero and negative prices never get here: the readers reject them (`price 0 is not
//! positive`).
//!
//! ## Use
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use flywheel_marketdata::sanity::{PriceSanityConfig, SanityFilter};
//! let reader = flywheel_marketdata::open(std::path::Path::new("trades.csv.gz"))?;
//! let config = PriceSanityConfig::default(); // skip, max_ratio 10, window 101
//! let mut events = SanityFilter::new(reader, &config).map_err(|p| format!("{p:?}"))?;
//! for event in events.by_ref() {
//!     let _event = event?; // feed the engine
//! }
//! let stats = events.stats();
//! println!("skipped {} prints", stats.skipped);
//! if let Some(first) = &stats.first_skipped {
//!     println!("first skipped: {first}");
//! }
//! # Ok(())
//! # }
//! ```

mod config;
mod filter;
pub(crate) mod window;

pub use config::{
    PriceSanityConfig, SanityMode, DEFAULT_MAX_GAP_SEC, MAX_WINDOW, PRICE_SANITY_CONFIG_DOCS,
    PRICE_SANITY_CONFIG_RANGES,
};
pub use filter::{
    run_limit, start_prints, Outlier, PriceSanity, SanityFilter, SanityStats, SkippedPrint,
    Verdict, MIN_RUN_LIMIT, START_PRINTS,
};

#[cfg(test)]
mod tests;
