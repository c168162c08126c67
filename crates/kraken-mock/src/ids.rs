//! Kraken-shaped identifiers: order txids `OXXXXX-XXXXX-XXXXXX`, trade txids `T…`, ledger ids
//! `L…`, amend ids, WebSocket tokens, and the simulator's internal order ids.
//!
//! Invariants: ids are a deterministic function of one counter, never repeat (the first 64 of
//! their 80 bits are a bijection of the counter), and use Kraken's alphabet (A–Z, 2–7).

use flywheel_venue::ClOrdId;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The id counter.
#[derive(Clone, Debug, Default)]
pub struct IdGen {
    next: u64,
    next_sim: u64,
    next_public_trade: u64,
}

impl IdGen {
    fn bump(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// `prefix` + 16 characters as `PXXXXX-XXXXX-XXXXXX`.
    pub fn kraken(&mut self, prefix: char) -> String {
        let n = self.bump();
        let bits = (u128::from(mix(n)) << 16) | u128::from(mix(!n) & 0xFFFF);
        let chars: Vec<char> = (0..16)
            .map(|i| ALPHABET[((bits >> (75 - 5 * i)) & 31) as usize] as char)
            .collect();
        let s: String = chars.iter().collect();
        format!("{prefix}{}-{}-{}", &s[0..5], &s[5..10], &s[10..16])
    }

    /// A WebSocket token (opaque, 43 characters like Kraken's).
    pub fn token(&mut self) -> String {
        let a = self.kraken('W').replace('-', "");
        let b = self.kraken('K').replace('-', "");
        format!("{a}{b}{}", &a[..9])
    }

    /// The simulator's id for the next internal order.
    pub fn sim_id(&mut self) -> Option<ClOrdId> {
        self.next_sim += 1;
        // `m` + decimal: ASCII alphanumeric and at most 18 characters for any u64.
        ClOrdId::parse(&format!("m{}", self.next_sim)).ok()
    }

    /// The next public trade id.
    pub fn public_trade(&mut self) -> u64 {
        self.next_public_trade += 1;
        self.next_public_trade
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn shape_and_uniqueness() {
        let mut g = IdGen::default();
        let ids: BTreeSet<String> = (0..2000).map(|_| g.kraken('O')).collect();
        assert_eq!(ids.len(), 2000);
        for id in ids.iter().take(5) {
            assert_eq!(id.len(), 19, "{id}");
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [6, 5, 6]);
            assert!(id.starts_with('O'));
        }
        assert_eq!(g.sim_id().map(|c| c.to_string()).as_deref(), Some("m1"));
        assert_eq!(g.token().len(), 43);
    }
}
