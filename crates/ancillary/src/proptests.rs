//! Property tests: random sequences of steps, fills (complete or partial), cancel
//! acknowledgements and rejections never give a cycler two live orders, and account for every
//! filled volume and fee: `Σ entry fills = Σ closed + Σ abandoned + open position` (volumes),
//! and the same for entry and exit fees.

use flywheel_core::{Instrument, Price, Qty, Quote, Rounding, Side};
use proptest::prelude::*;

use crate::test_support::{doge, t};
use crate::{
    AncillaryError, Churner, ChurnerConfig, ChurnerCtx, Command, Fill, Leg, OrderKey, Outcome,
    Position, Ranger, RangerConfig, RangerCtx, Reaction, ReservePool, StuckPosition,
};

#[derive(Clone, Debug)]
enum Op {
    Step {
        dt: i64,
        /// Market = 0.10 + tick × 0.0005.
        tick: i64,
        ranging: bool,
        headroom: i64,
        funded: bool,
    },
    /// Fill the live order with `quarters`/4 of its volume (rounded down; skipped at 0).
    Fill {
        quarters: i64,
    },
    CancelAck,
    Reject,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0i64..700, -20i64..20, proptest::bool::weighted(0.8), 5i64..30, proptest::bool::weighted(0.8))
            .prop_map(|(dt, tick, ranging, headroom, funded)| Op::Step { dt, tick, ranging, headroom, funded }),
        3 => (1i64..=4).prop_map(|quarters| Op::Fill { quarters }),
        1 => Just(Op::CancelAck),
        1 => Just(Op::Reject),
    ]
}

/// One cycler under test, behind a uniform face.
trait Subject {
    fn step(
        &mut self,
        now: i64,
        market: Price,
        ranging: bool,
        headroom: i64,
        funded: bool,
    ) -> Result<Reaction, AncillaryError>;
    fn fill(
        &mut self,
        market: Price,
        key: OrderKey,
        fill: &Fill,
    ) -> Result<Reaction, AncillaryError>;
    fn cancelled(&mut self, key: OrderKey, now: i64) -> Result<Reaction, AncillaryError>;
    fn rejected(&mut self, key: OrderKey, now: i64) -> Result<Reaction, AncillaryError>;
    fn live(&self) -> Option<OrderKey>;
    fn position(&self) -> Option<Position>;
}

struct R {
    r: Ranger,
    cfg: RangerConfig,
    inst: Instrument,
}

impl Subject for R {
    fn step(
        &mut self,
        now: i64,
        market: Price,
        ranging: bool,
        headroom: i64,
        funded: bool,
    ) -> Result<Reaction, AncillaryError> {
        let ctx = RangerCtx {
            now: t(now),
            market,
            free_base: if funded {
                Qty::lit(1000, 0)
            } else {
                Qty::lit(110, 0)
            },
            headroom,
            ranging,
            instrument: &self.inst,
        };
        self.r.step(&self.cfg, &ctx)
    }
    fn fill(
        &mut self,
        market: Price,
        key: OrderKey,
        fill: &Fill,
    ) -> Result<Reaction, AncillaryError> {
        self.r.on_fill(&self.cfg, &self.inst, market, key, fill)
    }
    fn cancelled(&mut self, key: OrderKey, now: i64) -> Result<Reaction, AncillaryError> {
        self.r.on_cancelled(&self.cfg, &self.inst, key, t(now))
    }
    fn rejected(&mut self, key: OrderKey, now: i64) -> Result<Reaction, AncillaryError> {
        self.r.on_rejected(&self.cfg, &self.inst, key, t(now))
    }
    fn live(&self) -> Option<OrderKey> {
        self.r.live_order()
    }
    fn position(&self) -> Option<Position> {
        self.r.position().copied()
    }
}

struct C {
    c: Churner,
    pool: ReservePool,
    cfg: ChurnerConfig,
    inst: Instrument,
    positions: Vec<StuckPosition>,
}

impl Subject for C {
    fn step(
        &mut self,
        now: i64,
        market: Price,
        ranging: bool,
        headroom: i64,
        funded: bool,
    ) -> Result<Reaction, AncillaryError> {
        let ctx = ChurnerCtx {
            now: t(now),
            market,
            headroom,
            ranging,
            instrument: &self.inst,
            positions: &self.positions,
            free_quote: if funded {
                Quote::lit(10, 0)
            } else {
                Quote::ZERO
            },
            free_base: Qty::ZERO,
            account_free_quote: Quote::lit(100, 0),
        };
        let out = self.c.step(&self.cfg, &ctx, &mut self.pool)?;
        // The pool never lends beyond its capacity and budget.
        assert!(self.pool.lent() <= self.pool.capacity && self.pool.loans.len() <= 1);
        Ok(out)
    }
    fn fill(
        &mut self,
        market: Price,
        key: OrderKey,
        fill: &Fill,
    ) -> Result<Reaction, AncillaryError> {
        self.c
            .on_fill(&self.cfg, &self.inst, market, &mut self.pool, key, fill)
    }
    fn cancelled(&mut self, key: OrderKey, now: i64) -> Result<Reaction, AncillaryError> {
        self.c
            .on_cancelled(&self.cfg, &self.inst, &mut self.pool, key, t(now))
    }
    fn rejected(&mut self, key: OrderKey, now: i64) -> Result<Reaction, AncillaryError> {
        self.c
            .on_rejected(&self.cfg, &self.inst, &mut self.pool, key, t(now))
    }
    fn live(&self) -> Option<OrderKey> {
        self.c.live_order()
    }
    fn position(&self) -> Option<Position> {
        self.c.position().copied()
    }
}

/// The venue's view: at most one live order, and running sums of what was filled and reported.
#[derive(Default)]
struct Books {
    live: Option<(OrderKey, Price, Qty)>,
    entry_qty: Qty,
    entry_fees: Quote,
    exit_fees: Quote,
    closed_qty: Qty,
    abandoned_qty: Qty,
    booked_fees: Quote,
}

impl Books {
    fn absorb(&mut self, out: &Reaction) {
        for c in &out.commands {
            match c {
                Command::Place {
                    key, price, qty, ..
                } => {
                    assert!(
                        self.live.is_none(),
                        "second live order {key:?} beside {:?}",
                        self.live
                    );
                    assert!(qty.is_positive() && price.is_positive());
                    self.live = Some((*key, *price, *qty));
                }
                Command::Cancel { key, .. } => {
                    assert_eq!(self.live.map(|l| l.0), Some(*key), "cancel of a dead order");
                }
            }
        }
        for o in &out.outcomes {
            match o {
                Outcome::Closed(c) => {
                    assert_eq!(c.net, c.gross - c.fees);
                    self.closed_qty += c.qty;
                    self.booked_fees += c.fees;
                }
                Outcome::Abandoned(a) => {
                    self.abandoned_qty += a.qty;
                    self.booked_fees += a.entry_fee;
                }
            }
        }
    }
}

fn run(subject: &mut dyn Subject, ops: &[Op]) {
    let mut books = Books::default();
    let mut now = 0i64;
    let mut market = Price::lit(10, 2);
    for op in ops {
        match *op {
            Op::Step {
                dt,
                tick,
                ranging,
                headroom,
                funded,
            } => {
                now += dt;
                market = Price::lit(10, 2)
                    + Price::lit(5, 4)
                        .scale(
                            flywheel_core::Ratio::from_int(tick).expect("tick"),
                            6,
                            Rounding::HalfEven,
                        )
                        .expect("market");
                let out = subject
                    .step(now, market, ranging, headroom, funded)
                    .expect("step");
                books.absorb(&out);
            }
            Op::Fill { quarters } => {
                let Some((key, price, qty)) = books.live else {
                    continue;
                };
                let part = Qty::from_int(qty.raw() / 1_000_000_000 * quarters / 4).expect("qty");
                if !part.is_positive() {
                    continue;
                }
                let fee = price
                    .notional(part, Rounding::HalfEven)
                    .and_then(|n| n.pct_of(flywheel_core::Ratio::lit(25, 2), Rounding::HalfEven))
                    .expect("fee");
                let f = Fill {
                    at: t(now),
                    price,
                    qty: part,
                    fee,
                };
                books.live = None;
                match key.leg {
                    Leg::Entry => {
                        books.entry_qty += part;
                        books.entry_fees += fee;
                    }
                    Leg::Exit => books.exit_fees += fee,
                }
                let out = subject.fill(market, key, &f).expect("fill");
                books.absorb(&out);
            }
            Op::CancelAck => {
                let Some((key, ..)) = books.live.take() else {
                    continue;
                };
                let out = subject.cancelled(key, now).expect("cancel ack");
                books.absorb(&out);
            }
            Op::Reject => {
                let Some((key, ..)) = books.live.take() else {
                    continue;
                };
                let out = subject.rejected(key, now).expect("reject");
                books.absorb(&out);
            }
        }
        assert_eq!(
            subject.live(),
            books.live.map(|l| l.0),
            "live order mismatch after {op:?}"
        );
        let pos = subject.position();
        let open_qty = pos.map(|p| p.qty).unwrap_or(Qty::ZERO);
        let open_fee = pos.map(|p| p.entry_fee).unwrap_or(Quote::ZERO);
        assert_eq!(
            books.entry_qty,
            books.closed_qty + books.abandoned_qty + open_qty,
            "volume after {op:?}"
        );
        assert_eq!(
            books.entry_fees + books.exit_fees,
            books.booked_fees + open_fee,
            "fees after {op:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn ranger_one_live_order_and_conservation(ops in proptest::collection::vec(op(), 1..80)) {
        let mut s = R {
            r: Ranger::new(0),
            cfg: RangerConfig { enabled: true, ..RangerConfig::default() },
            inst: doge(),
        };
        run(&mut s, &ops);
    }

    #[test]
    fn churner_one_live_order_and_conservation(
        ops in proptest::collection::vec(op(), 1..80),
        a_parent in proptest::bool::ANY,
    ) {
        let side = if a_parent { Side::Sell } else { Side::Buy };
        let mut s = C {
            c: Churner::new(0),
            pool: ReservePool::new(Quote::lit(5, 0)),
            cfg: ChurnerConfig { enabled: true, ..ChurnerConfig::default() },
            inst: doge(),
            positions: vec![StuckPosition {
                slot_id: 0,
                local_id: 1,
                trade_side: side,
                exit_price: Price::lit(105, 3),
                entry_filled_at: t(-20 * 3600),
            }],
        };
        run(&mut s, &ops);
    }
}
