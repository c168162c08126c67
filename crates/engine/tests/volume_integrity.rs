//! Seed 000 §5.9 volume integrity: the volume a venue acknowledges must be the volume the
//! slot records; a mismatch halts entries with both figures, it is never silently accepted.

mod common;

use flywheel_core::{Instrument, Price, Qty, Timestamp};
use flywheel_engine::{run_backtest, Engine, NoJournal, RunMode};
use flywheel_grid::EngineConfig;
use flywheel_marketdata::{MarketEvent, Trade};
use flywheel_venue::{Balances, ClOrdId, OrderRequest, Reject, SimExchange, Venue, VenueEvent};

/// The simulator, but its acks report `extra` more volume than was sent (a venue that
/// rounded or a sizing path that drifted).
#[derive(Debug)]
struct Skewed {
    inner: SimExchange,
    extra: Qty,
}

impl Venue for Skewed {
    fn instrument(&self) -> &Instrument {
        self.inner.instrument()
    }
    fn place(&mut self, req: &OrderRequest, now: Timestamp) -> Result<(), Reject> {
        self.inner.place(req, now)
    }
    fn cancel(&mut self, id: &ClOrdId, now: Timestamp) -> Result<(), Reject> {
        self.inner.cancel(id, now)
    }
    fn balances(&self) -> Balances {
        self.inner.balances()
    }
    fn open_order_count(&self) -> usize {
        self.inner.open_order_count()
    }
    fn poll_events(&mut self, out: &mut Vec<VenueEvent>) {
        let from = out.len();
        self.inner.poll_events(out);
        for ev in &mut out[from..] {
            if let VenueEvent::Acked { qty, .. } = ev {
                *qty += self.extra;
            }
        }
    }
}

impl flywheel_engine::SimulatedVenue for Skewed {
    type Error = flywheel_venue::SimError;
    fn on_market(&mut self, ev: &MarketEvent) -> Result<(), Self::Error> {
        self.inner.on_market(ev)
    }
}

fn run(extra: &str) -> Engine<Skewed, NoJournal> {
    let grid = EngineConfig::default();
    let sim = common::default_sim(&grid);
    let skewed = Skewed {
        inner: sim,
        extra: extra.parse().expect("qty"),
    };
    let mut engine = Engine::new(grid, skewed, NoJournal);
    let t0 = 1_704_067_200_000;
    let events = (0..20).map(|i| {
        Ok::<_, std::convert::Infallible>(MarketEvent::Trade(Trade {
            ts: Timestamp::from_millis(t0 + i * 10_000),
            price: Price::lit(1, 1),
            qty: Qty::lit(1_000_000, 0),
            taker_side: None,
        }))
    });
    run_backtest(&mut engine, events, |_| {}).expect("runs");
    engine
}

#[test]
fn volume_integrity_table() {
    // (name, extra volume in the ack, halts)
    let cases = [("acks match", "0", false), ("ack one lot more", "1", true)];
    for (name, extra, halts) in cases {
        let engine = run(extra);
        let drift = engine.stats().volume_drift;
        match (halts, engine.mode()) {
            (false, RunMode::Running) => assert_eq!(drift, 0, "{name}"),
            (true, RunMode::Halted(reason)) => {
                assert!(drift >= 1, "{name}: drift counted");
                assert!(
                    reason.starts_with("volume integrity (seed 000 §5.9): slot 0 order")
                        && reason.contains("the venue acknowledged"),
                    "{name}: {reason}"
                );
            }
            (_, mode) => panic!("{name}: mode {mode:?}, drift {drift}"),
        }
    }
}
