//! The idle-USD scoreboard (spec §2.13), computed every loop. Seeds 000 and 001 steer on
//! exactly these numbers:
//!
//! - `observed_usd`: the quote balance (total, including what resting orders hold);
//! - `usd_committed_buy_orders`: Σ price × volume of resting buy orders and buy recoveries;
//! - `usd_next_entries_estimate`: Σ over slots of the generic order size;
//! - `usd_runway_floor = committed + 1.5 × next_entries`;
//! - `idle_usd = max(0, observed − runway)`; `idle_usd_pct = idle / observed × 100`
//!   (0 when nothing is observed), exact to 9 decimals.

use flywheel_core::{Quote, Ratio, Rounding};
use serde::{Deserialize, Serialize};

/// One loop's idle-USD figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scoreboard {
    pub observed_usd: Quote,
    pub usd_committed_buy_orders: Quote,
    pub usd_next_entries_estimate: Quote,
    pub usd_runway_floor: Quote,
    pub idle_usd: Quote,
    /// Percent, 0–100.
    pub idle_usd_pct: Ratio,
}

pub fn scoreboard(observed: Quote, committed_buys: Quote, next_entries: Quote) -> Scoreboard {
    let runway = next_entries
        .fixed()
        .mul_round(Ratio::lit(15, 1).fixed(), 9, Rounding::HalfEven)
        .map(|x| committed_buys + Quote::new(x))
        .unwrap_or(Quote::new(flywheel_core::Fixed::MAX));
    let idle = (observed - runway).max(Quote::ZERO);
    let pct = if observed.is_positive() {
        idle.fixed()
            .mul_round(Ratio::HUNDRED.fixed(), 9, Rounding::HalfEven)
            .and_then(|x| x.div_round(observed.fixed(), 9, Rounding::HalfEven))
            .map(Ratio::new)
            .unwrap_or(Ratio::ZERO)
    } else {
        Ratio::ZERO
    };
    Scoreboard {
        observed_usd: observed,
        usd_committed_buy_orders: committed_buys,
        usd_next_entries_estimate: next_entries,
        usd_runway_floor: runway,
        idle_usd: idle,
        idle_usd_pct: pct,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Quote {
        s.parse().unwrap()
    }

    #[test]
    fn scoreboard_table() {
        // (name, observed, committed, next entries, runway, idle, pct)
        let cases = [
            ("mostly idle", "100", "10", "20", "40", "60", "60"),
            ("fully committed", "30", "20", "10", "35", "0", "0"),
            ("nothing observed", "0", "0", "20", "30", "0", "0"),
            (
                "thirds",
                "30",
                "0",
                "6.6666666",
                "9.9999999",
                "20.0000001",
                "66.666667",
            ),
        ];
        for (name, obs, com, next, runway, idle, pct) in cases {
            let s = scoreboard(u(obs), u(com), u(next));
            assert_eq!(s.usd_runway_floor, u(runway), "case {name}");
            assert_eq!(s.idle_usd, u(idle), "case {name}");
            assert_eq!(s.idle_usd_pct, pct.parse().unwrap(), "case {name}");
        }
    }
}
