//! The progress bar of a long run (`backtest`, `compare`, `demo`), drawn with `indicatif` on
//! standard error.
//!
//! Invariants:
//! - A bar is drawn only when standard error is a terminal and `CI` is unset (or empty):
//!   nothing at all reaches a pipe, a log file or a CI log ([`wanted`]).
//! - The bar observes the run; it never changes it. [`Tracked`] passes every event through
//!   unchanged, in order, so a run with a bar and one without give the same summary.
//! - Its position is what is known to be done: bytes of the data file read so far (counted
//!   by [`CountingRead`] below the decompressor, so a gzip file is measured in compressed
//!   bytes against its size on disk) or events against a known total (`demo`). The ETA is
//!   indicatif's estimate from that position; the message shows events and events per second.
//! - Cheap: the bar is updated every [`UPDATE_EVERY`] events, the byte counter is one relaxed
//!   atomic add per buffer read (64 KiB), and indicatif limits redraws to 20 per second.

use std::io::{IsTerminal, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Events between two updates of the bar.
pub const UPDATE_EVERY: u64 = 4096;

/// Whether a bar may be drawn: the caller asked for one (no `--quiet`), standard error is a
/// terminal and the `CI` variable is unset or empty.
pub fn wanted(requested: bool) -> bool {
    decide(
        requested,
        std::io::stderr().is_terminal(),
        std::env::var_os("CI").as_deref(),
    )
}

/// [`wanted`] without the process: `ci` is the value of `CI`, if set.
pub fn decide(requested: bool, stderr_is_terminal: bool, ci: Option<&std::ffi::OsStr>) -> bool {
    requested && stderr_is_terminal && ci.is_none_or(|v| v.is_empty())
}

/// A byte stream that counts what has been read from it.
#[derive(Debug)]
pub struct CountingRead<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R> CountingRead<R> {
    /// Wrap `inner`; `read` receives the running total.
    pub fn new(inner: R, read: Arc<AtomicU64>) -> Self {
        CountingRead { inner, read }
    }
}

impl<R: Read> Read for CountingRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// What the bar's position measures.
#[derive(Clone, Debug)]
pub enum Measure {
    /// Bytes read of a file of `total` bytes, counted by a [`CountingRead`] into `read`.
    Bytes { total: u64, read: Arc<AtomicU64> },
    /// Events, of a known `total`.
    Events { total: u64 },
}

/// The bar itself; `None` inside when it is not drawn.
#[derive(Debug)]
pub struct Bar {
    bar: Option<ProgressBar>,
    measure: Measure,
    started: Instant,
}

impl Bar {
    /// A bar titled `label` measuring `measure`, drawn only if `show` (see [`wanted`]).
    pub fn new(show: bool, label: &str, measure: Measure) -> Bar {
        let bar = show.then(|| {
            let total = match &measure {
                Measure::Bytes { total, .. } | Measure::Events { total } => *total,
            };
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let template = "{prefix} {wide_bar} {percent:>3}%  {msg}  ETA {eta}";
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("█▉▊▋▌▍▎▏ "));
            }
            bar.set_prefix(label.to_string());
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        });
        Bar {
            bar,
            measure,
            started: Instant::now(),
        }
    }

    /// Whether the bar is drawn.
    pub fn is_shown(&self) -> bool {
        self.bar.is_some()
    }

    /// `n` events done.
    pub fn update(&self, n: u64) {
        let Some(bar) = &self.bar else { return };
        let pos = match &self.measure {
            Measure::Bytes { read, .. } => read.load(Ordering::Relaxed),
            Measure::Events { .. } => n,
        };
        bar.set_position(pos);
        bar.set_message(rate_message(n, self.started.elapsed()));
    }

    /// Remove the bar from the terminal (the headline follows on stdout).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        // An error ends the run early: the bar must not stay on screen above the message.
        self.finish();
    }
}

/// `1,234,567 events  52,000 ev/s`.
pub fn rate_message(n: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { n as f64 / secs } else { 0.0 };
    format!(
        "{} events  {} ev/s",
        crate::numfmt::count(n),
        crate::numfmt::count(rate.round() as u64)
    )
}

/// An iterator of events that moves `bar` as they pass, unchanged.
#[derive(Debug)]
pub struct Tracked<I> {
    inner: I,
    bar: Bar,
    n: u64,
}

/// Track `events` with `bar`.
pub fn track<I: Iterator>(events: I, bar: Bar) -> Tracked<I> {
    Tracked {
        inner: events,
        bar,
        n: 0,
    }
}

impl<I: Iterator> Iterator for Tracked<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let item = self.inner.next();
        match item {
            Some(_) => {
                self.n += 1;
                if self.n.is_multiple_of(UPDATE_EVERY) {
                    self.bar.update(self.n);
                }
            }
            None => self.bar.finish(),
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn decide_table() {
        let cases = [
            ("terminal, no CI", true, true, None, true),
            ("quiet", false, true, None, false),
            ("piped", true, false, None, false),
            ("CI=true", true, true, Some("true"), false),
            ("CI=1", true, true, Some("1"), false),
            ("CI empty counts as unset", true, true, Some(""), true),
        ];
        for (name, requested, tty, ci, want) in cases {
            assert_eq!(
                decide(requested, tty, ci.map(OsStr::new)),
                want,
                "case {name}"
            );
        }
    }

    #[test]
    fn tracked_passes_every_event_unchanged() {
        let n = 3 * UPDATE_EVERY + 5;
        let bar = Bar::new(false, "test", Measure::Events { total: n });
        assert!(!bar.is_shown());
        let out: Vec<u64> = track(0..n, bar).collect();
        assert_eq!(out, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn counting_read_counts_every_byte() {
        let read = Arc::new(AtomicU64::new(0));
        let mut r = CountingRead::new(std::io::Cursor::new(vec![7u8; 100_000]), read.clone());
        let mut sink = Vec::new();
        r.read_to_end(&mut sink).expect("read");
        assert_eq!(sink.len(), 100_000);
        assert_eq!(read.load(Ordering::Relaxed), 100_000);
    }

    #[test]
    fn rate_message_groups_digits() {
        assert_eq!(
            rate_message(1_234_567, Duration::from_secs(2)),
            "1,234,567 events  617,284 ev/s"
        );
        assert_eq!(rate_message(0, Duration::ZERO), "0 events  0 ev/s");
    }
}
