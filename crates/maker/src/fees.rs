//! Fee schedules for the maker (issue 11): named presets per venue, and the plain warning a
//! run owes its user when the maker fee is wider than the spread it quotes.
//!
//! - `lighter`: Lighter's **Standard** account, 0 % maker and 0 % taker — the venue the seed's
//!   maker ran on (spec `maker-origin.md` §4.1). The maker's default: its 7–13 bps full
//!   spreads were tuned for it.
//! - `kraken`: Kraken Pro spot at the entry tier, **0.25 % maker, 0.40 % taker** (spec
//!   `kraken.md`, "Fees, entry tier"). A maker fill earns half the full spread against the
//!   mid and pays 25 bps, so with the seed's spreads every fill loses money before any
//!   adverse selection.
//! - `custom`: `custom_maker_fee_pct` / `custom_taker_fee_pct` (percent).
//!
//! Percent values are exact ([`Ratio`]); the comparison with the quoted spread (an `f64`
//! control quantity, bps) is for the warning only and never touches money.

use flywheel_core::Ratio;
use serde::{Deserialize, Serialize};

use crate::config::MakerConfig;

/// A named fee schedule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeSchedule {
    /// Lighter Standard account: no maker or taker fee.
    #[default]
    Lighter,
    /// Kraken Pro spot, entry tier: 0.25 % maker, 0.40 % taker.
    Kraken,
    /// `custom_maker_fee_pct` and `custom_taker_fee_pct`.
    Custom,
}

impl FeeSchedule {
    pub const fn as_str(self) -> &'static str {
        match self {
            FeeSchedule::Lighter => "lighter",
            FeeSchedule::Kraken => "kraken",
            FeeSchedule::Custom => "custom",
        }
    }
}

/// The fees that apply to a run, percent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FeeRates {
    pub schedule: FeeSchedule,
    /// Paid by post-only fills (the quotes and the hedger's passive leg), percent.
    pub maker_fee_pct: Ratio,
    /// Paid by IOC fills (the hedger's aggressive leg), percent.
    pub taker_fee_pct: Ratio,
}

/// Kraken Pro entry tier (spec `kraken.md`).
pub const KRAKEN_MAKER_FEE_PCT: Ratio = Ratio::lit(25, 2);
pub const KRAKEN_TAKER_FEE_PCT: Ratio = Ratio::lit(40, 2);

impl MakerConfig {
    /// The fee rates of `fee_schedule`.
    pub fn fee_rates(&self) -> FeeRates {
        let (maker_fee_pct, taker_fee_pct) = match self.fee_schedule {
            FeeSchedule::Lighter => (Ratio::ZERO, Ratio::ZERO),
            FeeSchedule::Kraken => (KRAKEN_MAKER_FEE_PCT, KRAKEN_TAKER_FEE_PCT),
            FeeSchedule::Custom => (self.custom_maker_fee_pct, self.custom_taker_fee_pct),
        };
        FeeRates {
            schedule: self.fee_schedule,
            maker_fee_pct,
            taker_fee_pct,
        }
    }

    /// A plain warning when the maker fee is at least the half-spread the maker earns per
    /// fill (each side sits half the full spread from the mid): `None` when fees are below
    /// the narrowest half-spread.
    pub fn fee_warning(&self) -> Option<String> {
        let rates = self.fee_rates();
        let fee_bps = rates.maker_fee_pct.to_f64() * 100.0;
        let (narrowest, widest) = self.full_spread_bounds_bps();
        let (low, high) = (narrowest / 2.0, widest / 2.0);
        let name = rates.schedule.as_str();
        if fee_bps <= 0.0 || fee_bps < low {
            return None;
        }
        Some(if fee_bps >= high {
            format!(
                "the {name} maker fee ({fee_bps:.1} bps) is at least the widest half-spread the \
                 maker quotes ({high:.1} bps; full spreads {narrowest:.1}-{widest:.1} bps): \
                 every maker fill loses money, before any adverse selection"
            )
        } else {
            format!(
                "the {name} maker fee ({fee_bps:.1} bps) is at least the narrowest half-spread the \
                 maker quotes ({low:.1} bps; full spreads {narrowest:.1}-{widest:.1} bps): \
                 maker fills at the narrower spreads lose money"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_warnings() {
        // (name, schedule, custom maker %, maker %, taker %, warning contains)
        let cases = [
            ("lighter", FeeSchedule::Lighter, "0", "0", "0", None),
            (
                "kraken",
                FeeSchedule::Kraken,
                "0",
                "0.25",
                "0.4",
                Some("every maker fill loses money"),
            ),
            (
                "custom below the spread",
                FeeSchedule::Custom,
                "0.02",
                "0.02",
                "0",
                None,
            ),
            (
                "custom within the band",
                FeeSchedule::Custom,
                "0.05",
                "0.05",
                "0",
                Some("maker fills at the narrower spreads lose money"),
            ),
        ];
        for (name, schedule, custom, maker, taker, warning) in cases {
            let cfg = MakerConfig {
                fee_schedule: schedule,
                custom_maker_fee_pct: custom.parse().unwrap(),
                ..MakerConfig::default()
            };
            let r = cfg.fee_rates();
            assert_eq!(r.schedule, schedule, "case {name}");
            assert_eq!(r.maker_fee_pct, maker.parse().unwrap(), "case {name}");
            assert_eq!(r.taker_fee_pct, taker.parse().unwrap(), "case {name}");
            let got = cfg.fee_warning();
            match warning {
                None => assert_eq!(got, None, "case {name}"),
                Some(text) => assert!(
                    got.as_deref().is_some_and(|g| g.contains(text)),
                    "case {name}: {got:?}"
                ),
            }
        }
    }

    #[test]
    fn the_default_is_the_zero_fee_schedule() {
        let cfg = MakerConfig::default();
        assert_eq!(cfg.fee_schedule, FeeSchedule::Lighter);
        let inst = cfg.instrument("SOL/USD").unwrap();
        assert!(inst.maker_fee_pct.is_zero() && inst.taker_fee_pct.is_zero());
        let kraken = MakerConfig {
            fee_schedule: FeeSchedule::Kraken,
            ..cfg
        };
        let inst = kraken.instrument("SOL/USD").unwrap();
        assert_eq!(inst.maker_fee_pct, KRAKEN_MAKER_FEE_PCT);
        assert_eq!(inst.taker_fee_pct, KRAKEN_TAKER_FEE_PCT);
    }
}
