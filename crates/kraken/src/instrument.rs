//! Live instrument rules checked against the configuration.
//!
//! Tick, lot, minimums and fees are read live (WS `instrument`, REST `AssetPairs`,
//! `TradeVolume`) and compared with the configured [`Instrument`] at start-up. Invariant: any
//! difference is an error that names the symbol, the field and both values; nothing is
//! silently overridden in either direction.

use flywheel_core::Instrument;
use thiserror::Error;

/// One field that differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldMismatch {
    pub field: &'static str,
    pub config: String,
    pub live: String,
}

/// The configured instrument does not match Kraken's.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("instrument {symbol}: configuration differs from Kraken: {}", list(.fields))]
pub struct InstrumentMismatch {
    pub symbol: String,
    pub fields: Vec<FieldMismatch>,
}

fn list(fields: &[FieldMismatch]) -> String {
    fields
        .iter()
        .map(|m| {
            format!(
                "{} is {} in the configuration but {} on Kraken",
                m.field, m.config, m.live
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Compare every trading rule of `config` with `live`.
pub fn check_against_config(
    config: &Instrument,
    live: &Instrument,
) -> Result<(), InstrumentMismatch> {
    let mut fields = Vec::new();
    let mut cmp = |field: &'static str, a: String, b: String| {
        if a != b {
            fields.push(FieldMismatch {
                field,
                config: a,
                live: b,
            });
        }
    };
    cmp("symbol", config.symbol.clone(), live.symbol.clone());
    cmp(
        "price_decimals",
        config.price_decimals.to_string(),
        live.price_decimals.to_string(),
    );
    cmp("tick", config.tick.to_string(), live.tick.to_string());
    cmp(
        "volume_decimals",
        config.volume_decimals.to_string(),
        live.volume_decimals.to_string(),
    );
    cmp("lot", config.lot.to_string(), live.lot.to_string());
    cmp(
        "min_volume",
        config.min_volume.to_string(),
        live.min_volume.to_string(),
    );
    cmp(
        "min_cost",
        config.min_cost.to_string(),
        live.min_cost.to_string(),
    );
    cmp(
        "maker_fee_pct",
        config.maker_fee_pct.to_string(),
        live.maker_fee_pct.to_string(),
    );
    cmp(
        "taker_fee_pct",
        config.taker_fee_pct.to_string(),
        live.taker_fee_pct.to_string(),
    );
    if fields.is_empty() {
        Ok(())
    } else {
        Err(InstrumentMismatch {
            symbol: config.symbol.clone(),
            fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doge() -> Instrument {
        let mut i = Instrument::with_decimals("DOGE/USD", 7, 8).expect("instrument");
        i.min_volume = "50".parse().expect("qty");
        i.min_cost = "0.5".parse().expect("quote");
        i.maker_fee_pct = "0.25".parse().expect("fee");
        i.taker_fee_pct = "0.4".parse().expect("fee");
        i
    }

    #[test]
    fn mismatch_table() {
        type Edit = fn(&mut Instrument);
        let cases: Vec<(&str, Edit, Vec<&str>)> = vec![
            ("identical", |_| {}, vec![]),
            (
                "old ordermin",
                |i| i.min_volume = "3000".parse().expect("qty"),
                vec!["min_volume"],
            ),
            (
                "coarser tick",
                |i| {
                    i.tick = "0.000001".parse().expect("price");
                    i.price_decimals = 6;
                },
                vec!["price_decimals", "tick"],
            ),
            (
                "old fee schedule",
                |i| i.maker_fee_pct = "0.16".parse().expect("fee"),
                vec!["maker_fee_pct"],
            ),
        ];
        for (name, edit, want) in cases {
            let mut config = doge();
            edit(&mut config);
            match check_against_config(&config, &doge()) {
                Ok(()) => assert!(want.is_empty(), "case {name}"),
                Err(e) => {
                    let got: Vec<&str> = e.fields.iter().map(|m| m.field).collect();
                    assert_eq!(got, want, "case {name}");
                    assert!(e.to_string().contains("DOGE/USD"), "case {name}");
                }
            }
        }
        let mut config = doge();
        config.min_volume = "3000".parse().expect("qty");
        let text = check_against_config(&config, &doge())
            .expect_err("differs")
            .to_string();
        assert_eq!(
            text,
            "instrument DOGE/USD: configuration differs from Kraken: min_volume is 3000 in the \
             configuration but 50 on Kraken"
        );
    }
}
