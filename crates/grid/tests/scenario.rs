//! A scripted multi-cycle session of one slot with exact expected prices, volumes, fees and
//! profit, computed by hand from the spec's formulas (defaults: entry 0.2 %, profit 1 %,
//! volume decimals 0, price decimals 6, 0.25 % maker fee, 60 s re-entry cooldown, $2 orders).

use flywheel_core::{Price, Qty, Quote, Rounding, Side, Timestamp, TradeId};
use flywheel_grid::{
    bootstrap_orders, check_invariants, Action, EngineConfig, Event, Fill, OrderSizes, PairState,
    Phase, PlaceReason, Role, SlotContext,
};

fn p(s: &str) -> Price {
    s.parse().expect("price")
}
fn usd(s: &str) -> Quote {
    s.parse().expect("quote")
}
fn t(secs: i64) -> Timestamp {
    Timestamp::from_secs(1_700_000_000 + secs)
}

struct Session<'a> {
    state: PairState,
    ctx: SlotContext<'a>,
}

impl Session<'_> {
    fn run(&mut self, ev: Event) -> Vec<Action> {
        let actions = self.state.apply(&ev, &self.ctx).expect("event accepted");
        let broken = check_invariants(&self.state);
        assert!(broken.is_empty(), "after {ev:?}: {broken:?}");
        actions
    }
    fn tick(&mut self, price: &str, secs: i64) -> Vec<Action> {
        self.run(Event::PriceTick {
            price: p(price),
            timestamp: t(secs),
        })
    }
    fn timer(&mut self, secs: i64) -> Vec<Action> {
        self.run(Event::TimerTick { timestamp: t(secs) })
    }
    /// Fill order `id` in full at its limit with a 0.25 % fee; returns the fee and actions.
    fn fill(&mut self, id: u64, secs: i64) -> (Quote, Vec<Action>) {
        let o = self.state.find_order(id).expect("order is active").clone();
        let fee = o
            .price
            .notional(o.volume, Rounding::HalfEven)
            .and_then(|n| n.pct_of("0.25".parse().expect("pct"), Rounding::HalfEven))
            .expect("fee");
        let ev = Event::Fill(Fill {
            order_local_id: id,
            txid: Some(format!("TX{id}")),
            side: o.side,
            price: o.price,
            volume: o.volume,
            fee,
            timestamp: t(secs),
        });
        (fee, self.run(ev))
    }
}

/// The single PlaceOrder among `actions`: (local id, side, role, price, volume, cycle, reason).
fn one_placement(actions: &[Action]) -> (u64, Side, Role, Price, Qty, u32, PlaceReason) {
    let placed: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            Action::PlaceOrder(o) => Some((
                o.local_id, o.side, o.role, o.price, o.volume, o.cycle, o.reason,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(placed.len(), 1, "expected one placement in {actions:?}");
    placed[0]
}

/// The single BookCycle among `actions`: (trade, cycle, gross, fees, net, settled).
fn one_booking(actions: &[Action]) -> (TradeId, u32, Quote, Quote, Quote, Quote) {
    let booked: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            Action::BookCycle(b) => Some((
                b.trade_id,
                b.cycle,
                b.gross_profit,
                b.fees,
                b.net_profit,
                b.settled_usd,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(booked.len(), 1, "expected one booking in {actions:?}");
    booked[0]
}

#[test]
fn three_round_trips_with_exact_money() {
    let cfg = EngineConfig::default();
    let twenty: Qty = "20".parse().expect("qty");
    let mut s = Session {
        state: PairState::new(p("0.10"), t(0)),
        ctx: SlotContext {
            cfg: &cfg,
            sticky: true,
            sizes: OrderSizes::both(usd("2")),
        },
    };
    let boot = bootstrap_orders(&mut s.state, &s.ctx).expect("bootstrap");
    assert_eq!(boot.len(), 2);
    assert_eq!(
        s.state.find_order(1).map(|o| (o.side, o.price)),
        Some((Side::Buy, p("0.0998")))
    );
    assert_eq!(
        s.state.find_order(2).map(|o| (o.side, o.price)),
        Some((Side::Sell, p("0.1002")))
    );

    // A sells at 0.1002; its buy exit is min(0.1002 × 0.99, 0.1003 × 0.998) = 0.099198.
    assert!(s.tick("0.1003", 10).is_empty());
    let (fee_a1, actions) = s.fill(2, 20);
    assert_eq!(fee_a1, usd("0.00501"));
    assert_eq!(
        one_placement(&actions),
        (
            3,
            Side::Buy,
            Role::Exit,
            p("0.099198"),
            twenty,
            1,
            PlaceReason::EntryFillExit
        )
    );

    // B buys at 0.0998; its sell exit is max(0.0998 × 1.01, 0.0995 × 1.002) = 0.100798.
    assert!(s.tick("0.0995", 30).is_empty());
    let (fee_b1, actions) = s.fill(1, 40);
    assert_eq!(fee_b1, usd("0.00499"));
    assert_eq!(
        one_placement(&actions),
        (
            4,
            Side::Sell,
            Role::Exit,
            p("0.100798"),
            twenty,
            1,
            PlaceReason::EntryFillExit
        )
    );
    assert_eq!(s.state.phase(), Phase::S2);

    // A's exit fills: cycle A1 booked; re-entry waits out the 60 s cooldown.
    assert!(s.tick("0.0991", 50).is_empty());
    let (fee, actions) = s.fill(3, 60);
    assert_eq!(fee, usd("0.0049599"));
    assert_eq!(
        one_booking(&actions),
        (
            TradeId::A,
            1,
            usd("0.02004"),
            usd("0.0099699"),
            usd("0.0100701"),
            usd("0.01503")
        )
    );
    assert!(s.timer(119).is_empty());
    // 0.0991 × 1.002 = 0.0992982 → 0.099298; $2 / 0.099298 = 20.14 → 20.
    assert_eq!(
        one_placement(&s.timer(120)),
        (
            5,
            Side::Sell,
            Role::Entry,
            p("0.099298"),
            twenty,
            2,
            PlaceReason::CycleComplete
        )
    );

    // The market runs up 1.6 %: A's entry is refreshed (same cycle) to 0.1009 × 1.002.
    let actions = s.tick("0.1009", 130);
    assert_eq!(
        one_placement(&actions),
        (
            6,
            Side::Sell,
            Role::Entry,
            p("0.101102"),
            twenty,
            2,
            PlaceReason::RefreshEntry
        )
    );

    // B's exit fills: cycle B1 booked (the spec's worked example).
    let (fee, actions) = s.fill(4, 140);
    assert_eq!(fee, usd("0.0050399"));
    assert_eq!(
        one_booking(&actions),
        (
            TradeId::B,
            1,
            usd("0.01996"),
            usd("0.0100299"),
            usd("0.0099301"),
            usd("0.0149201")
        )
    );
    // 0.1009 × 0.998 = 0.1006982 → 0.100698; $2 / 0.100698 = 19.86 → 20.
    assert_eq!(
        one_placement(&s.timer(200)),
        (
            7,
            Side::Buy,
            Role::Entry,
            p("0.100698"),
            twenty,
            2,
            PlaceReason::CycleComplete
        )
    );

    // A sells again at 0.101102: exit min(0.10009098 → 0.100091, 0.1006982 → 0.100698).
    let (fee_a2, actions) = s.fill(6, 210);
    assert_eq!(fee_a2, usd("0.0050551"));
    assert_eq!(
        one_placement(&actions),
        (
            8,
            Side::Buy,
            Role::Exit,
            p("0.100091"),
            twenty,
            2,
            PlaceReason::EntryFillExit
        )
    );
    assert!(s.tick("0.1000", 220).is_empty());
    let (fee, actions) = s.fill(8, 230);
    assert_eq!(fee, usd("0.00500455"));
    // gross (0.101102 − 0.100091) × 20 = 0.02022; fees 0.0050551 + 0.00500455.
    assert_eq!(
        one_booking(&actions),
        (
            TradeId::A,
            2,
            usd("0.02022"),
            usd("0.01005965"),
            usd("0.01016035"),
            usd("0.0151649")
        )
    );

    let st = &s.state;
    assert_eq!(st.total_round_trips, 3);
    assert_eq!(st.total_profit, usd("0.03016055"));
    assert_eq!(st.total_settled_usd, usd("0.045115"));
    assert_eq!(st.total_fees, usd("0.03005945"));
    assert_eq!((st.a.cycle, st.b.cycle), (3, 2));
    assert_eq!(st.today_realized_loss, usd("0"));
    assert_eq!(st.a.pending_entry, Some(PlaceReason::CycleComplete));
    assert_eq!(st.phase(), Phase::S0);
}
