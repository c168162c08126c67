//! Ranger and churner cycles: the state machine against a table of events.

use super::*;

fn doge() -> Instrument {
    let mut i = Instrument::with_decimals("DOGE/USD", 6, 0).expect("instrument");
    i.min_volume = Qty::lit(13, 0);
    i.maker_fee_pct = Ratio::lit(25, 2);
    i
}

fn p(s: &str) -> Price {
    s.parse().expect("price")
}

#[test]
fn exit_pricing_table() {
    let i = doge();
    let e = Ratio::lit(15, 2);
    let cases = [
        // name, fill, market, exit side, profit, want
        // 0.10015 × 0.988 = 0.0989482 → floor 0.098948
        (
            "buy exit from fill",
            "0.10015",
            "0.10015",
            Side::Buy,
            "1.2",
            "0.098948",
        ),
        // market already below target: 0.0980 × 0.9985 = 0.097853
        (
            "buy exit below market",
            "0.10015",
            "0.0980",
            Side::Buy,
            "1.2",
            "0.097853",
        ),
        // 0.09985 × 1.006 = 0.1004491 → ceil 0.100450
        (
            "sell exit from fill",
            "0.09985",
            "0.09985",
            Side::Sell,
            "0.6",
            "0.10045",
        ),
        // market above target: 0.1010 × 1.0015 = 0.1011515 → ceil 0.101152
        (
            "sell exit above market",
            "0.09985",
            "0.1010",
            Side::Sell,
            "0.6",
            "0.101152",
        ),
        (
            "no market: target",
            "0.09985",
            "0",
            Side::Sell,
            "0.6",
            "0.10045",
        ),
    ];
    for (name, fill, market, side, profit, want) in cases {
        let profit: Ratio = profit.parse().expect("ratio");
        let target = from_fill(p(fill), side, profit, &i).expect("target");
        let got = beyond_market(target, p(market), side, e, &i).expect("price");
        assert_eq!(got, p(want), "case {name}");
    }
}

#[test]
fn fee_shares_add_up() {
    let fee: Quote = "0.0050075".parse().expect("fee");
    let a = fee_share(fee, Qty::lit(7, 0), Qty::lit(20, 0)).expect("share");
    // 0.0050075 × 7 / 20 = 0.00175262 5 → half-even at 9 dp: 0.001752625 exactly.
    assert_eq!(a, "0.001752625".parse().expect("q"));
    let third = fee_share(Quote::lit(1, 0), Qty::lit(1, 0), Qty::lit(3, 0)).expect("share");
    assert_eq!(third, "0.333333333".parse().expect("q"));
    assert_eq!(fee_share(fee, Qty::lit(20, 0), Qty::lit(20, 0)), Ok(fee));
}

#[test]
fn sizing_respects_minimums() {
    let i = doge();
    // $2 at 0.10015 = 19.97… → 20 DOGE.
    assert_eq!(
        size(Quote::lit(2, 0), p("0.10015"), &i).expect("size"),
        Some(Qty::lit(20, 0))
    );
    // $1 at 0.10 = 10 DOGE < 13.
    assert_eq!(size(Quote::lit(1, 0), p("0.10"), &i).expect("size"), None);
    assert_eq!(size(Quote::ZERO, p("0.10"), &i).expect("size"), None);
}
