//! Replay of a recorded market-data file (any format `flywheel_marketdata` reads) through the
//! public feed: each trade becomes a print ([`crate::server::Shared::trade`]), so the `trade`,
//! `book` and `ticker` channels move and resting orders fill as if the market were live.
//!
//! Invariants:
//! - Pacing follows the recorded times divided by `speed` (a non-positive or non-finite speed
//!   replays as fast as possible); the prints are stamped with the mock's clock, not the
//!   recorded time, so the mock's ledger stays on one time line.
//! - A print without a recorded aggressor side gets the tick test's side (up or equal: buy).
//! - Bars replay as their intrabar path (open → nearer extreme → other extreme → close), the
//!   bar's volume split evenly over the points (one lot each when the bar has none).
//! - A read error stops the replay and is returned; nothing is skipped silently.

use std::sync::Arc;
use std::time::Duration;

use flywheel_core::{Price, Qty, Rounding, Side, Timestamp};
use flywheel_marketdata::MarketEvent;
use tokio::time::Instant;

use crate::config::ReplayConfig;
use crate::server::Shared;

/// Pacing state: the first recorded time and when it was replayed.
struct Pace {
    speed: f64,
    start: Option<(Timestamp, Instant)>,
}

impl Pace {
    async fn wait(&mut self, at: Timestamp) {
        if !(self.speed.is_finite() && self.speed > 0.0) {
            return;
        }
        let (t0, i0) = *self.start.get_or_insert((at, Instant::now()));
        let data_ms = at.millis_since(t0).max(0) as f64;
        let wait = Duration::from_secs_f64(data_ms / 1000.0 / self.speed);
        tokio::time::sleep_until(i0 + wait).await;
    }
}

/// Run a replay to the end of the file; returns the number of prints.
pub async fn run(sh: Arc<Shared>, cfg: ReplayConfig) -> Result<usize, String> {
    let reader = flywheel_marketdata::open(&cfg.path).map_err(|e| e.to_string())?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    // File reading blocks: keep it off the runtime's worker threads.
    tokio::task::spawn_blocking(move || {
        for ev in reader {
            if tx.blocking_send(ev).is_err() {
                break;
            }
        }
    });
    let mut pace = Pace {
        speed: cfg.speed,
        start: None,
    };
    let mut stop = sh.shutdown.subscribe();
    let mut last: Option<Price> = None;
    let mut prints = 0usize;
    let lot = sh.cfg.instrument.lot;
    while let Some(ev) = rx.recv().await {
        if *stop.borrow_and_update() || sh.market_closed() {
            break;
        }
        let points: Vec<(Timestamp, Price, Qty, Option<Side>)> =
            match ev.map_err(|e| e.to_string())? {
                MarketEvent::Trade(t) => vec![(t.ts, t.price, t.qty, t.taker_side)],
                MarketEvent::Bar(b) => {
                    let path = flywheel_venue::sim::intrabar_path(&b);
                    let n = path.points().len().max(1) as i64;
                    let each = b
                        .volume
                        .and_then(|v| {
                            Qty::new(v.fixed())
                                .fixed()
                                .div_round(
                                    flywheel_core::Fixed::lit(n, 0),
                                    sh.cfg.instrument.volume_decimals,
                                    Rounding::Floor,
                                )
                                .ok()
                        })
                        .map(Qty::new)
                        .filter(|q| q.is_positive())
                        .unwrap_or(lot);
                    path.points()
                        .iter()
                        .map(|(t, p)| (*t, *p, each, None))
                        .collect()
                }
            };
        for (at, price, qty, side) in points {
            pace.wait(at).await;
            let side = side.unwrap_or(match last {
                Some(prev) if price < prev => Side::Sell,
                _ => Side::Buy,
            });
            last = Some(price);
            if qty.is_positive() && sh.trade(side, price, qty).is_ok() {
                prints += 1;
            }
        }
    }
    Ok(prints)
}
