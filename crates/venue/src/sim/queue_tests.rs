//! The queue model through the public surface: where an order joins, what moves it up, how
//! it combines with the strict/touch rules, the aggressor side, partial fills and latency.

use super::test_support::*;
use Side::{Buy, Sell};

/// (price, size, recorded taker side)
type Print = (&'static str, &'static str, Option<Side>);

fn queue_cfg() -> SimConfig {
    SimConfig {
        fill_rule: FillRule::Queue,
        aggressor: AggressorRule::DataOrTick,
        ..SimConfig::frictionless()
    }
}

/// Feed `prints` at 1 ms steps from `from_ms`.
fn feed(s: &mut SimExchange, from_ms: i64, prints: &[Print]) {
    for ((px, qty, taker), ms) in prints.iter().zip(from_ms..) {
        market(s, &trade_by(ms, px, qty, *taker));
    }
}

#[test]
fn one_bid_in_the_queue_table() {
    // The window before the order: 3 printed at 10, then 1 at 10.5 (the reference), so the
    // level 10 shows 3 and the mean print is 2.
    let history: &[Print] = &[("10", "3", Some(Sell)), ("10.5", "1", Some(Buy))];
    // (case, config, bid price, queue ahead on joining, prints, bid filled after each print)
    type Case = (
        &'static str,
        SimConfig,
        &'static str,
        &'static str,
        &'static [Print],
        &'static [&'static str],
    );
    let cases: [Case; 9] = [
        (
            "joins behind the volume printed at its price",
            queue_cfg(),
            "10",
            "3",
            &[
                ("10", "2", Some(Sell)),
                ("10", "2", Some(Sell)),
                ("10", "5", Some(Sell)),
            ],
            &["0", "1", "2"],
        ),
        (
            "an untraded level waits behind the mean print",
            queue_cfg(),
            "10.2",
            "2",
            &[("10.2", "1.5", Some(Sell)), ("10.2", "1", Some(Sell))],
            &["0", "0.5"],
        ),
        (
            "a print through the level fills at once and clears the queue",
            queue_cfg(),
            "10",
            "3",
            &[("9.9", "1", Some(Sell)), ("10", "0.5", Some(Sell))],
            &["1", "1.5"],
        ),
        (
            "a buy taker at the level neither fills nor moves the queue",
            queue_cfg(),
            "10",
            "3",
            &[("10", "5", Some(Buy)), ("10", "3.5", Some(Sell))],
            &["0", "0.5"],
        ),
        (
            "a sideless print at the level moves the queue by the tick test",
            queue_cfg(),
            "10",
            "3",
            // 10.5 → 10 is a downtick (sell); the zero tick after it too.
            &[("10", "2", None), ("10", "2", None)],
            &["0", "1"],
        ),
        (
            "the multiple scales the queue",
            SimConfig {
                queue_ahead_multiple: "2".parse().unwrap(),
                ..queue_cfg()
            },
            "10",
            "6",
            &[("10", "5", Some(Sell)), ("10", "2", Some(Sell))],
            &["0", "1"],
        ),
        (
            "a zero multiple is the front of the queue",
            SimConfig {
                queue_ahead_multiple: Ratio::ZERO,
                ..queue_cfg()
            },
            "10",
            "0",
            &[("10", "0.5", Some(Sell))],
            &["0.5"],
        ),
        (
            "strict: a print at the price never fills",
            SimConfig {
                fill_rule: FillRule::Strict,
                ..queue_cfg()
            },
            "10",
            "0",
            &[("10", "100", Some(Sell)), ("9.99", "0.5", Some(Sell))],
            &["0", "0.5"],
        ),
        (
            "touch: a print at the price fills at once",
            SimConfig {
                fill_rule: FillRule::Touch,
                ..queue_cfg()
            },
            "10",
            "0",
            &[("10", "0.5", Some(Sell))],
            &["0.5"],
        ),
    ];
    for (name, cfg, price, ahead, prints, want) in cases {
        let mut s = sim_with(cfg);
        feed(&mut s, 0, history);
        let txid = place(&mut s, &buy(price, "2"), 100);
        assert_eq!(s.open_orders()[0].queue_ahead, q(ahead), "case {name}");
        let mut got = Vec::new();
        let mut events = Vec::new();
        for (i, print) in (200i64..).zip(prints.iter()) {
            feed(&mut s, i, std::slice::from_ref(print));
            events.extend(drain(&mut s));
            got.push(filled_of(&events, &txid));
        }
        let want: Vec<Qty> = want.iter().map(|w| q(w)).collect();
        assert_eq!(got, want, "case {name}");
    }
}

#[test]
fn own_orders_keep_time_priority_at_a_level() {
    // (case, partial fills, print at 10, (first filled, second filled))
    let cases = [
        // Queues: first 3 ahead, second behind it at 3 + 2 = 5.
        ("a print past both queues", true, "6", ("2", "1")),
        ("a print reaching the first only", true, "4", ("1", "0")),
        (
            "without partial fills, reached orders fill whole",
            false,
            "5.01",
            ("2", "2"),
        ),
        (
            "without partial fills, a print inside the queue fills nothing",
            false,
            "3",
            ("0", "0"),
        ),
    ];
    for (name, partial_fills, size, (first, second)) in cases {
        let mut s = sim_with(SimConfig {
            partial_fills,
            ..queue_cfg()
        });
        feed(
            &mut s,
            0,
            &[("10", "3", Some(Sell)), ("10.5", "1", Some(Buy))],
        );
        let a = place(&mut s, &buy("10", "2"), 100);
        let b = place(&mut s, &buy("10", "2"), 101);
        let ahead: Vec<Qty> = s.open_orders().iter().map(|o| o.queue_ahead).collect();
        assert_eq!(ahead, vec![q("3"), q("5")], "case {name}");
        market(&mut s, &trade_by(200, "10", size, Some(Sell)));
        let events = drain(&mut s);
        assert_eq!(
            (filled_of(&events, &a), filled_of(&events, &b)),
            (q(first), q(second)),
            "case {name}"
        );
    }
}

#[test]
fn the_queue_is_estimated_when_the_order_reaches_the_book() {
    // 4 print at 10 at 50 ms and 1 at 10.5 at 60 ms (the reference again, so the bid does not
    // cross on arrival), between placement (10 ms) and the arrival with 100 ms latency.
    // (case, latency ms, queue ahead at 110 ms, filled in all)
    let cases = [
        // Joins behind 3 at once; the 4 pass it and fill 1; the 7.5 fill the rest.
        (
            "no latency: the print in between moves the queue",
            0,
            "0",
            "2",
        ),
        // Joins at 110 behind 3 + 4 printed at 10; the 7.5 pass it by 0.5.
        (
            "in flight: the print in between joins the estimate",
            100,
            "7",
            "0.5",
        ),
    ];
    for (name, latency_ms, ahead, filled) in cases {
        let mut s = sim_with(SimConfig {
            latency_ms,
            ..queue_cfg()
        });
        feed(
            &mut s,
            0,
            &[("10", "3", Some(Sell)), ("10.5", "1", Some(Buy))],
        );
        let txid = place(&mut s, &buy("10", "2"), 10);
        market(&mut s, &trade_by(50, "10", "4", Some(Sell)));
        market(&mut s, &trade_by(60, "10.5", "1", Some(Buy)));
        s.advance_to(t(110));
        assert_eq!(s.open_orders()[0].queue_ahead, q(ahead), "case {name}");
        market(&mut s, &trade_by(120, "10", "7.5", Some(Sell)));
        let events = drain(&mut s);
        assert_eq!(filled_of(&events, &txid), q(filled), "case {name}");
    }
}

#[test]
fn candles_ignore_the_queue() {
    let mut s = sim_with(queue_cfg());
    feed(
        &mut s,
        0,
        &[("10", "3", Some(Sell)), ("10.5", "1", Some(Buy))],
    );
    let txid = place(&mut s, &buy("10", "2"), 100);
    assert_eq!(s.open_orders()[0].queue_ahead, q("3"));
    // The bar's low touches 10: the candle model fills entirely at the touch.
    market(&mut s, &bar(60_000, "10.5", "10.6", "10", "10.4"));
    assert_eq!(filled_of(&drain(&mut s), &txid), q("2"));
}
