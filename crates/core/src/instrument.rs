//! [`Instrument`]: the exchange's rules for one market (tick, lot, minimums, fees).
//!
//! Invariants (checked by [`Instrument::validate`]): tick and lot are positive and no finer
//! than the decimals they are quoted in; minimums and fees are non-negative. Every price and
//! volume the engine sends goes through [`Instrument::round_price`] / [`Instrument::round_qty`]
//! with a named rounding mode.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::fixed::{FixedError, Rounding, SCALE_DIGITS};
use crate::money::{Price, Qty, Quote, Ratio};

/// Maker (resting, post-only) or taker (crossing) liquidity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Liquidity {
    Maker,
    Taker,
}

/// One market's trading rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    /// Display symbol, e.g. `DOGE/USD`.
    pub symbol: String,
    /// Decimals prices are quoted in (Kraken `pair_decimals`).
    pub price_decimals: u32,
    /// Smallest price increment (Kraken `tick_size`; 10^-price_decimals when absent).
    pub tick: Price,
    /// Decimals volumes are quoted in (Kraken `lot_decimals`).
    pub volume_decimals: u32,
    /// Smallest volume increment (10^-volume_decimals unless the venue says otherwise).
    pub lot: Qty,
    /// Minimum order volume in base (Kraken `ordermin`).
    pub min_volume: Qty,
    /// Minimum order notional in quote (Kraken `costmin`; 0 = none).
    pub min_cost: Quote,
    /// Maker fee in percent (0.25 = 0.25 %).
    pub maker_fee_pct: Ratio,
    /// Taker fee in percent.
    pub taker_fee_pct: Ratio,
}

/// Why an instrument definition is unusable.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum InstrumentError {
    #[error("instrument {symbol}: {field} {reason}")]
    Invalid {
        symbol: String,
        field: &'static str,
        reason: String,
    },
}

impl Instrument {
    /// An instrument whose tick and lot are one unit of the last decimal.
    pub fn with_decimals(
        symbol: &str,
        price_decimals: u32,
        volume_decimals: u32,
    ) -> Result<Self, FixedError> {
        Ok(Instrument {
            symbol: symbol.to_string(),
            price_decimals,
            tick: Price::from_parts(1, price_decimals)?,
            volume_decimals,
            lot: Qty::from_parts(1, volume_decimals)?,
            min_volume: Qty::ZERO,
            min_cost: Quote::ZERO,
            maker_fee_pct: Ratio::ZERO,
            taker_fee_pct: Ratio::ZERO,
        })
    }

    pub fn validate(&self) -> Result<(), InstrumentError> {
        let bad = |field: &'static str, reason: &str| InstrumentError::Invalid {
            symbol: self.symbol.clone(),
            field,
            reason: reason.to_string(),
        };
        if self.price_decimals > SCALE_DIGITS {
            return Err(bad("price_decimals", "must be at most 9"));
        }
        if self.volume_decimals > SCALE_DIGITS {
            return Err(bad("volume_decimals", "must be at most 9"));
        }
        if !self.tick.is_positive() || self.tick.fixed().decimals_used() > self.price_decimals {
            return Err(bad("tick", "must be positive and within price_decimals"));
        }
        if !self.lot.is_positive() || self.lot.fixed().decimals_used() > self.volume_decimals {
            return Err(bad("lot", "must be positive and within volume_decimals"));
        }
        if self.min_volume.is_negative() {
            return Err(bad("min_volume", "must not be negative"));
        }
        if self.min_cost.is_negative() {
            return Err(bad("min_cost", "must not be negative"));
        }
        if self.maker_fee_pct.is_negative() || self.taker_fee_pct.is_negative() {
            return Err(bad("fee_pct", "must not be negative"));
        }
        Ok(())
    }

    /// Round a price to the tick.
    pub fn round_price(&self, p: Price, mode: Rounding) -> Result<Price, FixedError> {
        p.round_to(self.tick, mode)
    }

    /// Round a volume to the lot.
    pub fn round_qty(&self, q: Qty, mode: Rounding) -> Result<Qty, FixedError> {
        q.round_to(self.lot, mode)
    }

    /// True when an order of `qty` at `price` meets the minimum volume and minimum cost.
    pub fn meets_minimums(&self, price: Price, qty: Qty) -> Result<bool, FixedError> {
        if qty < self.min_volume {
            return Ok(false);
        }
        Ok(!self.min_cost.is_positive()
            || price.notional(qty, Rounding::HalfEven)? >= self.min_cost)
    }

    /// Fee on a fill of `notional` quote at the given liquidity (half-even to 9 decimals).
    pub fn fee(&self, notional: Quote, liquidity: Liquidity) -> Result<Quote, FixedError> {
        let pct = match liquidity {
            Liquidity::Maker => self.maker_fee_pct,
            Liquidity::Taker => self.taker_fee_pct,
        };
        notional.pct_of(pct, Rounding::HalfEven)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doge() -> Instrument {
        let mut i = Instrument::with_decimals("DOGE/USD", 6, 0).unwrap();
        i.min_volume = "13".parse().unwrap();
        i.maker_fee_pct = "0.25".parse().unwrap();
        i.taker_fee_pct = "0.4".parse().unwrap();
        i
    }

    #[test]
    fn validate_table() {
        let mut fine_tick = doge();
        fine_tick.tick = "0.0000001".parse().unwrap();
        let mut zero_lot = doge();
        zero_lot.lot = Qty::ZERO;
        let mut neg_fee = doge();
        neg_fee.maker_fee_pct = "-0.1".parse().unwrap();
        let cases = [
            ("default doge", doge(), true),
            ("tick finer than decimals", fine_tick, false),
            ("zero lot", zero_lot, false),
            ("negative fee", neg_fee, false),
        ];
        for (name, inst, ok) in cases {
            assert_eq!(inst.validate().is_ok(), ok, "case {name}");
        }
    }

    #[test]
    fn rounding_and_minimums() {
        let i = doge();
        assert_eq!(
            i.round_price("0.1007985".parse().unwrap(), Rounding::HalfEven)
                .unwrap(),
            "0.100798".parse().unwrap()
        );
        assert_eq!(
            i.round_qty("20.5".parse().unwrap(), Rounding::HalfEven)
                .unwrap(),
            "20".parse().unwrap()
        );
        assert!(i
            .meets_minimums("0.1".parse().unwrap(), "13".parse().unwrap())
            .unwrap());
        assert!(!i
            .meets_minimums("0.1".parse().unwrap(), "12".parse().unwrap())
            .unwrap());
    }

    #[test]
    fn fees_by_liquidity() {
        let i = doge();
        let n: Quote = "100".parse().unwrap();
        assert_eq!(i.fee(n, Liquidity::Maker).unwrap(), "0.25".parse().unwrap());
        assert_eq!(i.fee(n, Liquidity::Taker).unwrap(), "0.4".parse().unwrap());
    }
}
