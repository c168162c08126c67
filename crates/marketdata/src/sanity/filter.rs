//! [`PriceSanity`] (the judge: window, mode, counters) and [`SanityFilter`] (the iterator
//! adapter over a [`MarketDataReader`]). The rule and its invariants are in [`crate::sanity`].

use std::collections::VecDeque;
use std::fmt;
use std::iter::FusedIterator;

use flywheel_core::{ConfigProblem, Price, Ratio};

use super::config::{PriceSanityConfig, SanityMode};
use super::window::{band_side, Side, Window};
use crate::error::{DataError, Location};
use crate::event::MarketEvent;
use crate::reader::MarketDataReader;

/// Most events read ahead and judged together at the start of a stream.
pub const START_PRINTS: usize = 9;

/// Fewest outliers in a row that end the stream (see [`run_limit`]).
pub const MIN_RUN_LIMIT: u64 = 16;

/// Events judged together at the start: `min(window, START_PRINTS)`.
pub fn start_prints(window: u32) -> usize {
    (window as usize).clamp(1, START_PRINTS)
}

/// Outliers in a row that end the stream, in `skip` mode too: `max(window, MIN_RUN_LIMIT)`.
/// A run as long as the window means the window would be all outliers: the level moved.
pub fn run_limit(window: u32) -> u64 {
    u64::from(window).max(MIN_RUN_LIMIT)
}

/// Why an event is an outlier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outlier {
    /// Which price: `price` for a trade; `high`, `low`, `open` or `close` for a bar.
    pub field: &'static str,
    pub price: Price,
    /// The median it was compared with (the upper middle when it is above the band, the
    /// lower middle when below; the same for an odd count).
    pub median: Price,
    /// True above the band, false below.
    pub above: bool,
}

/// The judgement of one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Outlier(Outlier),
}

/// A skipped event, for the summary: where it was and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedPrint {
    pub file: String,
    pub at: Location,
    pub outlier: Outlier,
}

impl fmt::Display for SkippedPrint {
    /// `trades.csv:1234: price 123000000 (median 200.12)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.outlier;
        write!(
            f,
            "{}:{}: {} {} (median {})",
            self.file, self.at, o.field, o.price, o.median
        )
    }
}

/// What the check did, for the run summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SanityStats {
    /// Events judged (0 in `off` mode).
    pub checked: u64,
    /// Outliers dropped (`skip` mode).
    pub skipped: u64,
    /// The first outlier dropped.
    pub first_skipped: Option<SkippedPrint>,
}

/// The judge: the window of accepted prices, the mode and the counters. Pure (no I/O); use it
/// directly for a source other than a file reader, or through [`SanityFilter`].
#[derive(Clone, Debug)]
pub struct PriceSanity {
    mode: SanityMode,
    max_ratio: Ratio,
    window_size: u32,
    window: Window,
    /// Outliers in a row, and where the run started.
    run: u64,
    run_start: Option<Location>,
    stats: SanityStats,
}

/// The reference price that enters the window: a trade's price, a bar's close.
fn reference(event: &MarketEvent) -> Price {
    match event {
        MarketEvent::Trade(t) => t.price,
        MarketEvent::Bar(b) => b.close,
    }
}

/// Judge an event against the band around `(low, high)`.
fn judge_against(event: &MarketEvent, low: Price, high: Price, ratio: Ratio) -> Verdict {
    let prices: &[(&'static str, Price)] = match event {
        MarketEvent::Trade(t) => &[("price", t.price)],
        // High and low first: for a valid bar they are the extremes, so the one reported is
        // the one furthest out.
        MarketEvent::Bar(b) => &[
            ("high", b.high),
            ("low", b.low),
            ("open", b.open),
            ("close", b.close),
        ],
    };
    for &(field, price) in prices {
        let above = match band_side(price, low, high, ratio) {
            Side::Inside => continue,
            Side::Above => true,
            Side::Below => false,
        };
        let median = if above { high } else { low };
        return Verdict::Outlier(Outlier {
            field,
            price,
            median,
            above,
        });
    }
    Verdict::Accept
}

impl PriceSanity {
    /// A judge for a validated config; the config's problems otherwise.
    pub fn new(config: &PriceSanityConfig) -> Result<Self, Vec<ConfigProblem>> {
        let problems = config.validate();
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(PriceSanity {
            mode: config.mode,
            max_ratio: config.max_ratio,
            window_size: config.window,
            window: Window::new(config.window as usize),
            run: 0,
            run_start: None,
            stats: SanityStats::default(),
        })
    }

    pub fn mode(&self) -> SanityMode {
        self.mode
    }

    pub fn stats(&self) -> &SanityStats {
        &self.stats
    }

    /// Judge an event against the accepted prices so far (no look-ahead), and apply the mode:
    /// `Ok(true)` pass it on, `Ok(false)` it was skipped (and counted), `Err` reject (or a
    /// run of [`run_limit`] outliers). The first event of a stream is always accepted this
    /// way; [`PriceSanity::admit_start`] judges a stream's first events together instead.
    pub fn admit(
        &mut self,
        event: &MarketEvent,
        file: &str,
        at: Location,
    ) -> Result<bool, DataError> {
        if self.mode == SanityMode::Off {
            return Ok(true);
        }
        let verdict = match self.window.middles() {
            Some((low, high)) => judge_against(event, low, high, self.max_ratio),
            None => Verdict::Accept,
        };
        self.apply(event, verdict, file, at, None)
    }

    /// Judge a stream's first events together, against the median of all of them (see the
    /// module docs), in order. Returns one flag per event judged (true: pass it on) and the
    /// error that stopped the judging, if any (it belongs to the event after the flags).
    pub fn admit_start(
        &mut self,
        batch: &[(MarketEvent, Location)],
        file: &str,
    ) -> (Vec<bool>, Option<DataError>) {
        if self.mode == SanityMode::Off {
            return (vec![true; batch.len()], None);
        }
        let mut all = Window::new(batch.len());
        for (event, _) in batch {
            all.push(reference(event));
        }
        let mut flags = Vec::with_capacity(batch.len());
        let Some((low, high)) = all.middles() else {
            return (flags, None);
        };
        for (event, at) in batch {
            let verdict = judge_against(event, low, high, self.max_ratio);
            match self.apply(event, verdict, file, *at, Some(batch.len())) {
                Ok(pass) => flags.push(pass),
                Err(e) => return (flags, Some(e)),
            }
        }
        (flags, None)
    }

    fn apply(
        &mut self,
        event: &MarketEvent,
        verdict: Verdict,
        file: &str,
        at: Location,
        start_batch: Option<usize>,
    ) -> Result<bool, DataError> {
        self.stats.checked += 1;
        let o = match verdict {
            Verdict::Accept => {
                self.run = 0;
                self.run_start = None;
                self.window.push(reference(event));
                return Ok(true);
            }
            Verdict::Outlier(o) => o,
        };
        self.run += 1;
        let run_start = *self.run_start.get_or_insert(at);
        let how = if o.above {
            format!("more than {}× the median", self.max_ratio)
        } else {
            format!("less than 1/{} of the median", self.max_ratio)
        };
        if self.mode == SanityMode::Reject {
            let against = match start_batch {
                Some(n) => format!("the first {n} prices"),
                None => format!("the last {} accepted prices", self.window.len()),
            };
            return Err(DataError::row(
                file,
                at,
                format!(
                    "{} {} is {how} {} of {against} (price sanity check, mode reject: a bad \
                     print? set mode = \"skip\" to drop such prints, or raise max_ratio)",
                    o.field, o.price, o.median
                ),
            ));
        }
        if self.run >= run_limit(self.window_size) {
            return Err(DataError::row(
                file,
                at,
                format!(
                    "{} prints in a row (the first at {file}:{run_start}) are outliers; this one: \
                     {} {} is {how} {} of the accepted prices before them. The price level \
                     changed, or the file starts with bad prints: check the data, or raise \
                     max_ratio (price sanity check)",
                    self.run, o.field, o.price, o.median
                ),
            ));
        }
        self.stats.skipped += 1;
        if self.stats.first_skipped.is_none() {
            self.stats.first_skipped = Some(SkippedPrint {
                file: file.to_string(),
                at,
                outlier: o,
            });
        }
        Ok(false)
    }
}

/// The events of a [`MarketDataReader`] with outliers skipped or rejected per the config.
/// Yields exactly what the reader yields (same errors, same order), minus skipped events,
/// plus a sanity error that ends the stream.
#[derive(Debug)]
pub struct SanityFilter {
    reader: MarketDataReader,
    sanity: PriceSanity,
    gaps: GapLimit,
    /// Judged start events (and a final error) waiting to be returned.
    ready: VecDeque<Result<MarketEvent, DataError>>,
    started: bool,
    done: bool,
}

impl SanityFilter {
    /// Wrap `reader`; the config's problems if it is invalid.
    pub fn new(
        reader: MarketDataReader,
        config: &PriceSanityConfig,
    ) -> Result<Self, Vec<ConfigProblem>> {
        Ok(SanityFilter {
            reader,
            sanity: PriceSanity::new(config)?,
            gaps: GapLimit::new(config.max_gap_sec),
            ready: VecDeque::new(),
            started: false,
            done: false,
        })
    }

    /// The counters so far (final once the iterator has ended).
    pub fn stats(&self) -> &SanityStats {
        self.sanity.stats()
    }

    /// The reader underneath (its name, format and bar interval).
    pub fn reader(&self) -> &MarketDataReader {
        &self.reader
    }

    /// Read the first events ahead and judge them together.
    fn start(&mut self) {
        self.started = true;
        let k = start_prints(self.sanity.window_size);
        let mut batch = Vec::with_capacity(k);
        let mut read_err = None;
        while batch.len() < k {
            match self.reader.next_located() {
                Some(Ok(item)) => batch.push(item),
                Some(Err(e)) => {
                    read_err = Some(e);
                    break;
                }
                None => break,
            }
        }
        let (flags, sanity_err) = self.sanity.admit_start(&batch, self.reader.name());
        for ((event, at), pass) in batch.into_iter().zip(flags) {
            if pass {
                if let Err(e) = self.gaps.check(&event, at, self.reader.name()) {
                    self.ready.push_back(Err(e));
                    self.done = true;
                    return;
                }
                self.ready.push_back(Ok(event));
            }
        }
        // A sanity error comes at its event, before anything read after it.
        if let Some(e) = sanity_err.or(read_err) {
            self.ready.push_back(Err(e));
            self.done = true;
        }
    }
}

impl SanityFilter {
    /// An accepted event, unless it comes after too long a gap (which ends the stream).
    fn pass(&mut self, event: MarketEvent, at: Location) -> Result<MarketEvent, DataError> {
        match self.gaps.check(&event, at, self.reader.name()) {
            Ok(()) => Ok(event),
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }
}

/// The longest gap allowed between two accepted events (`max_gap_sec`, 0 = none).
#[derive(Clone, Debug)]
struct GapLimit {
    max_ms: Option<i64>,
    last: Option<(i64, Location)>,
}

impl GapLimit {
    fn new(max_gap_sec: u64) -> Self {
        let max_ms = (max_gap_sec > 0).then(|| {
            i64::try_from(max_gap_sec)
                .unwrap_or(i64::MAX)
                .saturating_mul(1000)
        });
        GapLimit { max_ms, last: None }
    }

    fn check(&mut self, event: &MarketEvent, at: Location, file: &str) -> Result<(), DataError> {
        let t = event.time().millis();
        if let (Some(max), Some((prev, prev_at))) = (self.max_ms, self.last) {
            let gap = t.saturating_sub(prev);
            if gap > max {
                return Err(DataError::Row {
                    file: file.to_string(),
                    at,
                    reason: format!(
                        "{} since the previous event (line {}) is longer than \
                         sanity.max_gap_sec = {} s: a wrong timestamp? (raise the limit, or 0 \
                         for none, to run across the gap)",
                        show_span(gap),
                        prev_at.line,
                        max / 1000
                    ),
                });
            }
        }
        self.last = Some((t, at));
        Ok(())
    }
}

/// A duration in ms for a message: `3.5 days`, `20.0 years`.
fn show_span(ms: i64) -> String {
    let days = ms as f64 / 86_400_000.0;
    if days >= 365.0 {
        format!("{:.1} years", days / 365.25)
    } else if days >= 1.0 {
        format!("{days:.1} days")
    } else {
        format!("{:.1} hours", ms as f64 / 3_600_000.0)
    }
}

impl Iterator for SanityFilter {
    type Item = Result<MarketEvent, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done && self.ready.is_empty() {
            return None;
        }
        if self.sanity.mode() == SanityMode::Off {
            let (event, at) = match self.reader.next_located()? {
                Ok(item) => item,
                Err(e) => return Some(Err(e)),
            };
            return Some(self.pass(event, at));
        }
        if !self.started {
            self.start();
        }
        if let Some(item) = self.ready.pop_front() {
            return Some(item);
        }
        if self.done {
            return None;
        }
        // Skipped events loop here; a run of them is bounded by the run limit.
        loop {
            let (event, at) = match self.reader.next_located()? {
                Ok(item) => item,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            match self.sanity.admit(&event, self.reader.name(), at) {
                Ok(true) => return Some(self.pass(event, at)),
                Ok(false) => continue,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

// After the end or an error, `next` returns `None` for good: the reader is fused, and
// `done` stops the filter.
impl FusedIterator for SanityFilter {}
