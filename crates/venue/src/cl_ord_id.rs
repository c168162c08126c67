//! Client order ids: the name an order is sent under, chosen by the engine before the venue
//! has seen it (Kraken's `cl_ord_id`, FIX's `ClOrdID`).
//!
//! Invariants:
//! - A [`ClOrdId`] is 1–18 ASCII letters and digits. That is Kraken's *free text* form
//!   (`spec/live.md` §1 "Identifiers": a long UUID, a 32-hex short UUID, or at most 18
//!   characters of text; Kraken's guide `guides/spot-clordid`): never long enough to be read
//!   as a UUID, and with no character any transport must escape.
//! - [`ClOrdIds`] issues `prefix + base36(n)` for n = 1, 2, 3, … (lowercase): each id once,
//!   in order; the prefix (1–5 letters and digits, default [`ClOrdIds::DEFAULT_PREFIX`])
//!   names the instance, so ids of two instances never meet. Kraken enforces uniqueness only
//!   among *open* orders, so an id is no idempotency key after its order closed: the
//!   generator is the only guard against reuse, and its state is persisted with the engine
//!   snapshot (a restart continues the sequence).
//! - Issuing is deterministic (a backtest's ids are a function of its inputs) and never
//!   wraps: after `n = u64::MAX` it issues nothing.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The longest id: Kraken's free-text limit.
pub const MAX_LEN: usize = 18;

/// The longest instance prefix: with it, every id of the 13-digit base36 range fits
/// [`MAX_LEN`].
pub const MAX_PREFIX_LEN: usize = 5;

/// Why a string is not a client order id (or not a prefix of one).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ClOrdIdError {
    #[error("cl_ord_id {0:?}: empty")]
    Empty(String),
    #[error("cl_ord_id {0:?}: longer than {MAX_LEN} characters")]
    TooLong(String),
    #[error("cl_ord_id {0:?}: only ASCII letters and digits are allowed")]
    Charset(String),
    #[error("cl_ord_id prefix {0:?}: 1 to {MAX_PREFIX_LEN} ASCII letters and digits")]
    Prefix(String),
}

/// A client order id (see the module docs for the rules).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClOrdId(String);

impl ClOrdId {
    /// `s` as a client order id, if it follows the rules.
    pub fn parse(s: &str) -> Result<Self, ClOrdIdError> {
        if s.is_empty() {
            return Err(ClOrdIdError::Empty(s.to_string()));
        }
        if s.len() > MAX_LEN {
            return Err(ClOrdIdError::TooLong(s.to_string()));
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ClOrdIdError::Charset(s.to_string()));
        }
        Ok(ClOrdId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The sequence number of an id [`ClOrdIds`] issued under `prefix` (`fw1` + base36), or
    /// `None` if the id is not of that form (another prefix, uppercase, no digits).
    pub fn sequence(&self, prefix: &str) -> Option<u64> {
        let digits = self.0.strip_prefix(prefix)?;
        if digits.is_empty()
            || !digits
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        {
            return None;
        }
        u64::from_str_radix(digits, 36).ok()
    }
}

impl fmt::Display for ClOrdId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ClOrdId {
    type Error = ClOrdIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ClOrdId::parse(&s)
    }
}

impl From<ClOrdId> for String {
    fn from(id: ClOrdId) -> String {
        id.0
    }
}

impl std::str::FromStr for ClOrdId {
    type Err = ClOrdIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClOrdId::parse(s)
    }
}

impl PartialEq<str> for ClOrdId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ClOrdId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl std::borrow::Borrow<str> for ClOrdId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// The engine's id sequence: issues every id once (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "IdsRepr", into = "IdsRepr")]
pub struct ClOrdIds {
    prefix: String,
    /// The number the next id carries; `None` once `u64::MAX` was issued.
    next: Option<u64>,
}

#[derive(Serialize, Deserialize)]
struct IdsRepr {
    prefix: String,
    next: Option<u64>,
}

impl TryFrom<IdsRepr> for ClOrdIds {
    type Error = ClOrdIdError;
    fn try_from(r: IdsRepr) -> Result<Self, Self::Error> {
        let mut ids = ClOrdIds::new(&r.prefix)?;
        // Numbering starts at 1: a stored 0 resumes there.
        ids.next = r.next.map(|n| n.max(1));
        Ok(ids)
    }
}

impl From<ClOrdIds> for IdsRepr {
    fn from(ids: ClOrdIds) -> IdsRepr {
        IdsRepr {
            prefix: ids.prefix,
            next: ids.next,
        }
    }
}

impl Default for ClOrdIds {
    fn default() -> Self {
        ClOrdIds {
            prefix: ClOrdIds::DEFAULT_PREFIX.to_string(),
            next: Some(1),
        }
    }
}

impl ClOrdIds {
    /// Flywheel instance 1 (`spec/live.md` §1).
    pub const DEFAULT_PREFIX: &'static str = "fw1";

    /// A fresh sequence under `prefix`, starting at 1.
    pub fn new(prefix: &str) -> Result<Self, ClOrdIdError> {
        let ok = (1..=MAX_PREFIX_LEN).contains(&prefix.len())
            && prefix.bytes().all(|b| b.is_ascii_alphanumeric());
        if !ok {
            return Err(ClOrdIdError::Prefix(prefix.to_string()));
        }
        Ok(ClOrdIds {
            prefix: prefix.to_string(),
            next: Some(1),
        })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// How many ids were issued so far (`u64::MAX` once exhausted).
    pub fn issued(&self) -> u64 {
        self.next.map_or(u64::MAX, |n| n - 1)
    }

    /// Never issue an id numbered below `next` from now on (a restart whose snapshot is
    /// older than the last id sent). The sequence never moves back.
    pub fn skip_to(&mut self, next: u64) {
        if let Some(n) = self.next {
            self.next = Some(n.max(next));
        }
    }

    /// The next id, or `None` once the sequence is exhausted (it never wraps).
    pub fn issue(&mut self) -> Option<ClOrdId> {
        let n = self.next?;
        self.next = n.checked_add(1);
        let mut id = self.prefix.clone();
        push_base36(&mut id, n);
        Some(ClOrdId(id))
    }
}

/// Append `n` in lowercase base 36 (at most 13 digits for a u64).
fn push_base36(out: &mut String, mut n: u64) {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut buf = [0u8; 13];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = DIGITS[(n % 36) as usize];
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.extend(buf[i..].iter().map(|&b| char::from(b)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn skip_to_only_moves_forward() {
        let mut ids = ClOrdIds::new("fw1").unwrap();
        ids.skip_to(40);
        assert_eq!(ids.issue().unwrap().as_str(), "fw114"); // 40 = 0x14 in base 36: "14"
        ids.skip_to(3);
        assert_eq!(ids.issue().unwrap().as_str(), "fw115");
    }

    #[test]
    fn parse_table() {
        type Expect = Result<(), fn(String) -> ClOrdIdError>;
        let cases: &[(&str, Expect)] = &[
            ("fw11", Ok(())),
            ("A1b2C3", Ok(())),
            ("123456789012345678", Ok(())),
            ("", Err(ClOrdIdError::Empty)),
            ("1234567890123456789", Err(ClOrdIdError::TooLong)),
            ("fw-1", Err(ClOrdIdError::Charset)),
            ("fw 1", Err(ClOrdIdError::Charset)),
            ("fw1é", Err(ClOrdIdError::Charset)),
        ];
        for (s, want) in cases {
            let got = ClOrdId::parse(s).map(|_| ());
            let want = want.map_err(|f| f(s.to_string()));
            assert_eq!(got, want, "case {s:?}");
        }
    }

    #[test]
    fn issue_table() {
        // (prefix, how many to skip, the id issued then)
        let cases: &[(&str, u64, &str)] = &[
            ("fw1", 0, "fw11"),
            ("fw1", 9, "fw1a"),
            ("fw1", 35, "fw110"),
            ("x", 36 * 36 - 1, "x100"),
        ];
        for &(prefix, skip, want) in cases {
            let mut ids = ClOrdIds::new(prefix).unwrap();
            ids.next = Some(skip + 1);
            assert_eq!(ids.issue().unwrap().as_str(), want, "{prefix} after {skip}");
        }
    }

    #[test]
    fn prefix_rules() {
        assert!(ClOrdIds::new("fw1").is_ok());
        assert!(ClOrdIds::new("abcde").is_ok());
        for bad in ["", "abcdef", "f-1", "f_"] {
            assert_eq!(
                ClOrdIds::new(bad),
                Err(ClOrdIdError::Prefix(bad.to_string()))
            );
        }
    }

    #[test]
    fn the_last_id_fits_and_nothing_follows_it() {
        let mut ids = ClOrdIds::new("abcde").unwrap();
        ids.next = Some(u64::MAX);
        let last = ids.issue().unwrap();
        assert_eq!(last.as_str(), "abcde3w5e11264sgsf");
        assert_eq!(last.as_str().len(), MAX_LEN);
        assert_eq!(ClOrdId::parse(last.as_str()), Ok(last));
        assert_eq!(ids.issue(), None);
        assert_eq!(ids.issue(), None);
        assert_eq!(ids.issued(), u64::MAX);
    }

    #[test]
    fn serde_round_trip_continues_the_sequence() {
        let mut ids = ClOrdIds::default();
        ids.issue();
        ids.issue();
        let json = serde_json::to_string(&ids).unwrap();
        assert_eq!(json, r#"{"prefix":"fw1","next":3}"#);
        let mut back: ClOrdIds = serde_json::from_str(&json).unwrap();
        assert_eq!(back.issue().unwrap().as_str(), "fw13");
        // A bad prefix or id in stored data is an error, not a silent default.
        assert!(serde_json::from_str::<ClOrdIds>(r#"{"prefix":"f-1","next":3}"#).is_err());
        assert!(serde_json::from_str::<ClOrdId>(r#""fw1-""#).is_err());
        let id: ClOrdId = serde_json::from_str(r#""fw1z""#).unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""fw1z""#);
        // An exhausted sequence stays exhausted through a round trip.
        let done = ClOrdIds {
            next: None,
            ..ClOrdIds::default()
        };
        let mut back: ClOrdIds =
            serde_json::from_str(&serde_json::to_string(&done).unwrap()).unwrap();
        assert_eq!(back.issue(), None);
    }

    proptest! {
        /// Ids from one sequence are distinct, valid, and decode back to their number.
        #[test]
        fn issued_ids_are_unique_and_valid(start in 1u64..u64::MAX - 2000, n in 1usize..2000) {
            let mut ids = ClOrdIds::new("fw1").unwrap();
            ids.next = Some(start);
            let mut seen = std::collections::BTreeSet::new();
            for k in 0..n {
                let id = ids.issue().unwrap();
                prop_assert!(ClOrdId::parse(id.as_str()).is_ok(), "{id}");
                let num = u64::from_str_radix(&id.as_str()[3..], 36).unwrap();
                prop_assert_eq!(num, start + k as u64);
                prop_assert_eq!(id.sequence("fw1"), Some(num));
                prop_assert!(seen.insert(id));
            }
        }
    }
}
