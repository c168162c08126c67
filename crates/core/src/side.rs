//! Order side, the slot's two trades and an order's role.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Buy or sell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub const fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One of a slot's two interleaved trades.
///
/// | Trade | Entry | Exit | Profits when |
/// |---|---|---|---|
/// | A | sell above market | buy back below the entry fill | price falls |
/// | B | buy below market | sell above the entry fill | price rises |
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TradeId {
    A,
    B,
}

impl TradeId {
    pub const BOTH: [TradeId; 2] = [TradeId::A, TradeId::B];

    pub const fn entry_side(self) -> Side {
        match self {
            TradeId::A => Side::Sell,
            TradeId::B => Side::Buy,
        }
    }
    pub const fn exit_side(self) -> Side {
        self.entry_side().opposite()
    }
    /// The trade whose entry is on `side`.
    pub const fn entering_on(side: Side) -> TradeId {
        match side {
            Side::Sell => TradeId::A,
            Side::Buy => TradeId::B,
        }
    }
    pub const fn as_str(self) -> &'static str {
        match self {
            TradeId::A => "A",
            TradeId::B => "B",
        }
    }
}

impl fmt::Display for TradeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trade_sides() {
        assert_eq!(TradeId::A.entry_side(), Side::Sell);
        assert_eq!(TradeId::A.exit_side(), Side::Buy);
        assert_eq!(TradeId::B.entry_side(), Side::Buy);
        assert_eq!(TradeId::B.exit_side(), Side::Sell);
        for t in TradeId::BOTH {
            assert_eq!(TradeId::entering_on(t.entry_side()), t);
        }
    }

    #[test]
    fn serde_names() {
        assert_eq!(serde_json::to_string(&Side::Buy).unwrap(), "\"buy\"");
        assert_eq!(serde_json::to_string(&TradeId::B).unwrap(), "\"B\"");
    }
}
