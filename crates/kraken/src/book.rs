//! A local L2 book from the WS v2 `book` channel, verified by Kraken's CRC32 checksum.
//!
//! Rules (Kraken, "Spot Websockets (v2) Book Checksum"; kraken.md §3.7):
//! 1. apply every level of a message (`qty == 0` removes the level), then
//! 2. truncate each side to the subscribed depth (Kraken sends no delete for levels pushed out
//!    of range), then
//! 3. over the **top 10** levels, asks low→high then bids high→low, concatenate for each level
//!    its price text then its qty text, each with `.` removed and leading zeros stripped, and
//! 4. compare CRC32 (IEEE, as `zlib.crc32`) of that ASCII string with `checksum`.
//!
//! Invariants:
//! - Levels are keyed by exact price and keep the wire text of the last message that set them;
//!   the checksum is computed on that text, never on a reformatted number.
//! - After every successful `apply` both sides hold at most `depth` levels and the book is
//!   crossed only if Kraken's is.
//! - A mismatch, or an update before any snapshot, returns a typed [`Resubscribe`] and marks
//!   the book unsynced; every later update is refused the same way until a snapshot arrives.

use std::collections::BTreeMap;

use flywheel_core::{Price, Qty};
use thiserror::Error;

use crate::ws::market::{BookData, BookLevel, FeedType};

/// Levels that enter the checksum.
pub const CHECKSUM_LEVELS: usize = 10;

/// Why the book must be rebuilt from a fresh snapshot (unsubscribe and subscribe again).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum Resubscribe {
    #[error("book {symbol}: checksum mismatch (Kraken {expected}, local {computed})")]
    ChecksumMismatch {
        symbol: String,
        expected: u32,
        computed: u32,
    },
    #[error("book {symbol}: update before a snapshot")]
    NotSynced { symbol: String },
    #[error("book {symbol}: message for {got}")]
    WrongSymbol { symbol: String, got: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Level {
    price_text: String,
    qty_text: String,
    qty: Qty,
}

/// One symbol's L2 book.
#[derive(Clone, Debug)]
pub struct L2Book {
    symbol: String,
    depth: usize,
    bids: BTreeMap<Price, Level>,
    asks: BTreeMap<Price, Level>,
    synced: bool,
}

fn checksum_part(text: &str, out: &mut String) {
    let digits: String = text.chars().filter(|c| *c != '.').collect();
    out.push_str(digits.trim_start_matches('0'));
}

fn upsert(side: &mut BTreeMap<Price, Level>, l: &BookLevel) {
    let price = l.price.price();
    if l.qty.value().is_zero() {
        side.remove(&price);
    } else {
        side.insert(
            price,
            Level {
                price_text: l.price.text().to_string(),
                qty_text: l.qty.text().to_string(),
                qty: l.qty.qty(),
            },
        );
    }
}

impl L2Book {
    /// An empty, unsynced book for `symbol` subscribed at `depth` (10, 25, 100, 500, 1000).
    pub fn new(symbol: &str, depth: usize) -> Self {
        L2Book {
            symbol: symbol.to_string(),
            depth,
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            synced: false,
        }
    }

    pub fn symbol(&self) -> &str {
        &self.symbol
    }
    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// Apply one message's data for this symbol and verify the checksum.
    pub fn apply(&mut self, kind: FeedType, data: &BookData) -> Result<(), Resubscribe> {
        if data.symbol != self.symbol {
            return Err(Resubscribe::WrongSymbol {
                symbol: self.symbol.clone(),
                got: data.symbol.clone(),
            });
        }
        match kind {
            FeedType::Snapshot => {
                self.bids.clear();
                self.asks.clear();
            }
            FeedType::Update if !self.synced => {
                return Err(Resubscribe::NotSynced {
                    symbol: self.symbol.clone(),
                })
            }
            FeedType::Update => {}
        }
        for l in &data.bids {
            upsert(&mut self.bids, l);
        }
        for l in &data.asks {
            upsert(&mut self.asks, l);
        }
        self.truncate();
        let computed = self.checksum();
        if computed != data.checksum {
            self.synced = false;
            return Err(Resubscribe::ChecksumMismatch {
                symbol: self.symbol.clone(),
                expected: data.checksum,
                computed,
            });
        }
        self.synced = true;
        Ok(())
    }

    fn truncate(&mut self) {
        while self.asks.len() > self.depth {
            self.asks.pop_last();
        }
        while self.bids.len() > self.depth {
            self.bids.pop_first();
        }
    }

    /// The string the checksum is computed on.
    pub fn checksum_input(&self) -> String {
        let mut s = String::new();
        for l in self.asks.values().take(CHECKSUM_LEVELS) {
            checksum_part(&l.price_text, &mut s);
            checksum_part(&l.qty_text, &mut s);
        }
        for l in self.bids.values().rev().take(CHECKSUM_LEVELS) {
            checksum_part(&l.price_text, &mut s);
            checksum_part(&l.qty_text, &mut s);
        }
        s
    }

    /// CRC32 of the top levels.
    pub fn checksum(&self) -> u32 {
        crc32fast::hash(self.checksum_input().as_bytes())
    }

    pub fn best_bid(&self) -> Option<(Price, Qty)> {
        self.bids.iter().next_back().map(|(p, l)| (*p, l.qty))
    }
    pub fn best_ask(&self) -> Option<(Price, Qty)> {
        self.asks.iter().next().map(|(p, l)| (*p, l.qty))
    }
    /// Bids best first.
    pub fn bids(&self) -> impl Iterator<Item = (Price, Qty)> + '_ {
        self.bids.iter().rev().map(|(p, l)| (*p, l.qty))
    }
    /// Asks best first.
    pub fn asks(&self) -> impl Iterator<Item = (Price, Qty)> + '_ {
        self.asks.iter().map(|(p, l)| (*p, l.qty))
    }
}
