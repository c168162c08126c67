//! A built-in, seeded, SYNTHETIC market for `flywheel demo`: one-minute [`Bar`]s from a random
//! walk that alternates between ranging (mean-reverting around a level), trending up and
//! trending down episodes, each 6–48 hours long, with 0.1–0.3 % per-bar volatility.
//!
//! This is not real data and is always labelled as such ([`DemoMarket::LABEL`]).
//!
//! The walk is `f64` (a generator, not money); each price is converted once with
//! [`Price::from_f64`] (half-even) and rounded to 6 decimals. Only `+ − × ÷` are used on
//! floats (normal draws are Irwin–Hall sums of uniforms, bounds are multiplicative
//! reflections), so a seed gives the same bars on every platform. The RNG is
//! [`rand_pcg::Pcg64`], whose output is fixed by its specification.

use flywheel_core::{Price, Qty, Rounding, Timestamp};
use flywheel_marketdata::{Bar, MarketEvent};
use rand_pcg::rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg64;

/// Bar length.
const BAR_MS: i64 = 60_000;
/// Price decimals of the generated bars (DOGE-like).
const PRICE_DP: u32 = 6;
/// Episode length bounds, in bars (6 h – 48 h).
const EPISODE_MIN_BARS: u64 = 6 * 60;
const EPISODE_MAX_BARS: u64 = 48 * 60;
/// Per-bar volatility bounds (fraction of price).
const SIGMA_MIN: f64 = 0.001;
const SIGMA_MAX: f64 = 0.003;
/// Per-bar drift bounds of a trend (fraction of price).
const DRIFT_MIN: f64 = 0.000_02;
const DRIFT_MAX: f64 = 0.000_10;
/// Per-bar mean-reversion strength bounds of a range.
const KAPPA_MIN: f64 = 0.002;
const KAPPA_MAX: f64 = 0.02;
/// The walk is reflected at `start / HARD_BAND` and `start × HARD_BAND`.
const HARD_BAND: f64 = 5.0;
/// Beyond `start × SOFT_BAND` (or below `start / SOFT_BAND`) no new trend leads further away.
const SOFT_BAND: f64 = 2.5;

/// The kind of the current episode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Regime {
    Range,
    Up,
    Down,
}

#[derive(Clone, Copy, Debug)]
struct Episode {
    regime: Regime,
    bars_left: u64,
    sigma: f64,
    drift: f64,
    kappa: f64,
    level: f64,
}

/// A seeded synthetic market: an iterator of one-minute [`MarketEvent::Bar`]s.
#[derive(Clone, Debug)]
pub struct DemoMarket {
    rng: Pcg64,
    remaining: usize,
    next_open: i64,
    /// The walk's current value (unrounded).
    level: f64,
    start_level: f64,
    prev_close: Price,
    episode: Episode,
}

impl DemoMarket {
    pub const LABEL: &'static str =
        "synthetic demo market (seeded random walk with trend and range episodes) — not real data";

    /// `bars` one-minute bars, the first opening at `start` at `start_price`. A start price
    /// below one tick (0.000001) is raised to one tick.
    pub fn new(seed: u64, bars: usize, start_price: Price, start: Timestamp) -> DemoMarket {
        let tick = Price::from_raw(tick_raw());
        let start_price = round_price(start_price).max(tick);
        let level = start_price.to_f64();
        let mut rng = Pcg64::seed_from_u64(seed);
        let episode = new_episode(&mut rng, Regime::Range, level, level);
        DemoMarket {
            rng,
            remaining: bars,
            next_open: start.millis(),
            level,
            start_level: level,
            prev_close: start_price,
            episode,
        }
    }

    fn uniform(&mut self) -> f64 {
        uniform(&mut self.rng)
    }

    fn normal(&mut self) -> f64 {
        normal(&mut self.rng)
    }

    fn next_bar(&mut self) -> Bar {
        if self.episode.bars_left == 0 {
            self.episode = new_episode(
                &mut self.rng,
                self.episode.regime,
                self.level,
                self.start_level,
            );
        }
        self.episode.bars_left -= 1;
        let ep = self.episode;
        let pull = match ep.regime {
            Regime::Range => ep.kappa * (ep.level - self.level) / self.level,
            Regime::Up => ep.drift,
            Regime::Down => -ep.drift,
        };
        let ret = pull + ep.sigma * self.normal();
        let mut next = self.level * (1.0 + ret);
        let (lo, hi) = (self.start_level / HARD_BAND, self.start_level * HARD_BAND);
        if next > hi {
            next = hi * hi / next;
        } else if next < lo {
            next = lo * lo / next;
        }
        let open_f = self.level;
        self.level = next;

        let wick_up = ep.sigma * 0.5 * self.normal().abs();
        let wick_down = ep.sigma * 0.5 * self.normal().abs();
        let open = self.prev_close;
        let close = to_price(next);
        let high = to_price(open_f.max(next) * (1.0 + wick_up))
            .max(open)
            .max(close);
        let low = to_price(open_f.min(next) * (1.0 - wick_down))
            .min(open)
            .min(close)
            .max(Price::from_raw(tick_raw()));
        self.prev_close = close;

        let quote_usd = 5_000.0 * (1.0 + 4.0 * self.uniform()) * (1.0 + 200.0 * ret.abs());
        let volume = Qty::from_f64(quote_usd / next, Rounding::HalfEven)
            .and_then(|q| q.round_dp(2, Rounding::HalfEven))
            .ok();

        let open_time = self.next_open;
        self.next_open += BAR_MS;
        Bar {
            open_time: Timestamp::from_millis(open_time),
            close_time: Timestamp::from_millis(open_time + BAR_MS),
            open,
            high,
            low,
            close,
            volume,
        }
    }
}

impl Iterator for DemoMarket {
    type Item = MarketEvent;

    fn next(&mut self) -> Option<MarketEvent> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        Some(MarketEvent::Bar(self.next_bar()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for DemoMarket {}

/// Raw nano-units of one price tick (10^-PRICE_DP).
const fn tick_raw() -> i64 {
    10i64.pow(9 - PRICE_DP)
}

fn round_price(p: Price) -> Price {
    p.round_dp(PRICE_DP, Rounding::HalfEven).unwrap_or(p)
}

/// The walk stays within `[start / 5, start × 5]` (times at most a few % of wick), so the
/// conversion cannot fail for any sane start price; a failure would yield one tick.
fn to_price(x: f64) -> Price {
    Price::from_f64(x, Rounding::HalfEven)
        .and_then(|p| p.round_dp(PRICE_DP, Rounding::HalfEven))
        .unwrap_or(Price::from_raw(tick_raw()))
}

/// Uniform in `[0, 1)` with 53 random bits.
fn uniform(rng: &mut Pcg64) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Approximately standard normal (Irwin–Hall: Σ of 12 uniforms − 6), bounded to ±6.
fn normal(rng: &mut Pcg64) -> f64 {
    (0..12).map(|_| uniform(rng)).sum::<f64>() - 6.0
}

fn between(rng: &mut Pcg64, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * uniform(rng)
}

/// The episode after one of regime `prev`: one of the two other regimes, except that no
/// trend starts away from the start level once the walk is beyond the soft band.
fn new_episode(rng: &mut Pcg64, prev: Regime, level: f64, start: f64) -> Episode {
    let coin = rng.next_u64() & 1 == 0;
    let mut regime = match (prev, coin) {
        (Regime::Range, true) | (Regime::Down, true) => Regime::Up,
        (Regime::Range, false) | (Regime::Up, true) => Regime::Down,
        (Regime::Up, false) | (Regime::Down, false) => Regime::Range,
    };
    if (regime == Regime::Up && level > start * SOFT_BAND)
        || (regime == Regime::Down && level < start / SOFT_BAND)
    {
        regime = Regime::Range;
    }
    let span = EPISODE_MAX_BARS - EPISODE_MIN_BARS + 1;
    Episode {
        regime,
        bars_left: EPISODE_MIN_BARS + rng.next_u64() % span,
        sigma: between(rng, SIGMA_MIN, SIGMA_MAX),
        drift: between(rng, DRIFT_MIN, DRIFT_MAX),
        kappa: between(rng, KAPPA_MIN, KAPPA_MAX),
        level,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn market(seed: u64, bars: usize) -> DemoMarket {
        DemoMarket::new(
            seed,
            bars,
            Price::lit(10, 2),
            Timestamp::from_millis(1_700_000_000_000),
        )
    }

    fn bars(m: DemoMarket) -> Vec<Bar> {
        m.map(|e| match e {
            MarketEvent::Bar(b) => b,
            other => panic!("not a bar: {other:?}"),
        })
        .collect()
    }

    #[test]
    fn same_seed_same_bars_and_different_seed_differs() {
        let a = bars(market(7, 5_000));
        let b = bars(market(7, 5_000));
        let c = bars(market(8, 5_000));
        assert_eq!(a.len(), 5_000);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn ohlc_consistent_times_regular_prices_sane_over_100k_bars() {
        let start = Timestamp::from_millis(1_700_000_000_000);
        let m = market(42, 100_000);
        assert_eq!(m.len(), 100_000);
        let bs = bars(m);
        assert_eq!(bs.len(), 100_000);
        assert_eq!(bs[0].open, Price::lit(10, 2));
        assert_eq!(bs[0].open_time, start);
        let (lo, hi) = (Price::lit(1, 2), Price::lit(10, 0));
        let tick = Price::from_raw(tick_raw());
        for (i, b) in bs.iter().enumerate() {
            assert!(b.high >= b.open.max(b.close), "bar {i}: {b:?}");
            assert!(b.low <= b.open.min(b.close), "bar {i}: {b:?}");
            assert!(b.low >= lo && b.high <= hi, "bar {i} out of range: {b:?}");
            for p in [b.open, b.high, b.low, b.close] {
                assert_eq!(p.round_dp(PRICE_DP, Rounding::HalfEven).ok(), Some(p));
                assert!(p >= tick);
            }
            assert!(b.volume.is_some_and(|v| v.is_positive()), "bar {i}: {b:?}");
            assert_eq!(b.close_time.millis_since(b.open_time), BAR_MS);
            if i > 0 {
                assert_eq!(b.open_time.millis_since(bs[i - 1].open_time), BAR_MS);
                assert_eq!(
                    b.open,
                    bs[i - 1].close,
                    "bar {i} opens at the previous close"
                );
            }
        }
        // There are wicks, and the walk moves.
        assert!(bs.iter().filter(|b| b.high > b.open.max(b.close)).count() > 50_000);
        let closes: Vec<f64> = bs.iter().map(|b| b.close.to_f64()).collect();
        let max = closes.iter().cloned().fold(f64::MIN, f64::max);
        let min = closes.iter().cloned().fold(f64::MAX, f64::min);
        assert!(max / min > 1.2, "range {min}..{max}");
    }

    #[test]
    fn per_bar_volatility_is_in_the_documented_band() {
        let bs = bars(market(3, 50_000));
        let n = bs.len() as f64;
        let rs: Vec<f64> = bs
            .iter()
            .map(|b| b.close.to_f64() / b.open.to_f64() - 1.0)
            .collect();
        let mean = rs.iter().sum::<f64>() / n;
        let sd = (rs.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / n).sqrt();
        assert!((0.001..0.0035).contains(&sd), "per-bar sd {sd}");
    }

    #[test]
    fn all_three_regimes_occur_with_bounded_lengths() {
        let mut m = market(11, 0);
        let mut seen = [false; 3];
        let mut prev = m.episode.regime;
        for _ in 0..200 {
            let e = new_episode(&mut m.rng, prev, m.level, m.start_level);
            assert!((EPISODE_MIN_BARS..=EPISODE_MAX_BARS).contains(&e.bars_left));
            assert!((SIGMA_MIN..SIGMA_MAX).contains(&e.sigma));
            assert_ne!(e.regime, prev, "episodes alternate");
            seen[e.regime as usize] = true;
            prev = e.regime;
        }
        assert_eq!(seen, [true; 3]);
        assert_eq!(m.next(), None);
    }

    #[test]
    fn a_30_day_run_from_a_tenth_stays_in_range_for_many_seeds() {
        for seed in 0..8 {
            for b in bars(market(seed, 30 * 1440)) {
                assert!(b.low >= Price::lit(1, 2) && b.high <= Price::lit(10, 0));
            }
        }
    }

    /// Writes a sample report: a toy 1 % grid (not the engine) over 30 demo days.
    /// `cargo test -p flywheel-engine sample_report -- --ignored`; the file is
    /// `$FLYWHEEL_REPORT_OUT`, default `/tmp/report_demo.html`.
    #[test]
    #[ignore = "writes a file; run on demand"]
    fn sample_report() {
        use crate::stats::{FillMark, Sample};
        use flywheel_core::Quote;
        let quote_of = |v: f64| Quote::from_f64(v, Rounding::HalfEven).expect("finite");
        let (mut quote, mut base, mut realized, mut fees) = (1000.0, 0.0, 0.0, 0.0);
        let (mut lots, mut samples, mut fills) = (Vec::<(f64, f64)>::new(), vec![], vec![]);
        let bs = bars(market(2024, 30 * 1440));
        let mut reference = bs[0].open.to_f64();
        for (i, b) in bs.iter().enumerate() {
            let p = b.close.to_f64();
            if p <= reference * 0.99 && quote >= 50.5 {
                let qty = 50.0 / p;
                (quote, base, fees) = (quote - 50.0 * 1.0025, base + qty, fees + 0.125);
                lots.push((p, qty));
                fills.push(FillMark {
                    ts: b.close_time,
                    price: b.close,
                    buy: true,
                });
                reference = p;
            } else if p >= reference * 1.01 {
                if let Some((lp, qty)) = lots.pop() {
                    (quote, base, fees) = (
                        quote + qty * p * 0.9975,
                        base - qty,
                        fees + qty * p * 0.0025,
                    );
                    realized += qty * (p * 0.9975 - lp * 1.0025);
                    fills.push(FillMark {
                        ts: b.close_time,
                        price: b.close,
                        buy: false,
                    });
                }
                reference = p;
            }
            if i % 30 == 0 || i + 1 == bs.len() {
                let equity = quote + base * p;
                samples.push(Sample {
                    ts: b.close_time,
                    price: b.close,
                    equity: quote_of(equity).into(),
                    realized: quote_of(realized).into(),
                    base: Qty::from_f64(base, Rounding::HalfEven).expect("finite"),
                    quote: quote_of(quote),
                    idle_pct: quote / equity * 100.0,
                    idle_usd: Quote::ZERO,
                    target_pct: 40.0,
                    skew: 0.0,
                    size_mult_a: 1.0,
                    size_mult_b: 1.0,
                });
            }
        }
        let mut sum = crate::report::tests::summary();
        sum.data.files = vec![DemoMarket::LABEL.to_string()];
        sum.data.events = bs.len() as u64;
        sum.data.first_ts = Some(bs[0].close_time);
        sum.data.last_ts = bs.last().map(|b| b.close_time);
        sum.pnl.realized_usd = quote_of(realized).into();
        sum.pnl.fees_usd = quote_of(fees).into();
        sum.pnl.round_trips = fills.iter().filter(|f| !f.buy).count() as u64;
        let (first, last) = (samples[0], samples[samples.len() - 1]);
        sum.pnl.equity_start_usd = first.equity;
        sum.pnl.equity_end_usd = last.equity;
        sum.last_price = last.price;
        let title = format!("Flywheel demo — toy grid on the {}", DemoMarket::LABEL);
        let html = crate::report::render_html(&title, &sum, &samples, &fills);
        let out = std::env::var("FLYWHEEL_REPORT_OUT").unwrap_or("/tmp/report_demo.html".into());
        std::fs::write(&out, &html).expect("write report");
        eprintln!("wrote {out}: {} bytes, {} fills", html.len(), fills.len());
    }
}
