//! Client order ids (`cl_ord_id`).
//!
//! Kraken accepts a long UUID (`8-4-4-4-12` hex), a 32-hex short UUID, or free text of at most
//! 18 characters, and enforces uniqueness **only among open orders** (live.md §1
//! "Identifiers"): an id is never reused, so it stays a key for reconciliation after the order
//! closes. Ours are `<prefix><base36 sequence>` (`fw1` + `0`, `1`, … `z`, `10`…), the sequence
//! persisted by the store (a later step) like the nonce.
//!
//! Invariants: a [`ClOrdId`] is always one of Kraken's three accepted forms; the generator
//! never yields the same id twice and refuses to overflow the 18-character limit.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Kraken's limit for free-text ids.
pub const MAX_FREE_TEXT: usize = 18;

#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ClOrdIdError {
    #[error("cl_ord_id {0:?} is neither a UUID, a 32-hex id, nor 1..=18 characters [A-Za-z0-9_-]")]
    Invalid(String),
    #[error("cl_ord_id prefix {prefix:?} with sequence {seq} exceeds 18 characters")]
    TooLong { prefix: String, seq: u64 },
    #[error("cl_ord_id sequence exhausted")]
    Exhausted,
}

/// A client order id in one of Kraken's accepted forms.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClOrdId(String);

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts.iter().all(|p| is_hex(p))
}

impl ClOrdId {
    pub fn new(s: &str) -> Result<Self, ClOrdIdError> {
        let free_text = !s.is_empty()
            && s.len() <= MAX_FREE_TEXT
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if free_text || is_uuid(s) || (s.len() == 32 && is_hex(s)) {
            Ok(ClOrdId(s.to_string()))
        } else {
            Err(ClOrdIdError::Invalid(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ClOrdId {
    type Error = ClOrdIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ClOrdId::new(&s)
    }
}
impl From<ClOrdId> for String {
    fn from(c: ClOrdId) -> String {
        c.0
    }
}
impl fmt::Display for ClOrdId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for ClOrdId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClOrdId({})", self.0)
    }
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// Issues `<prefix><base36(seq)>` ids from a sequence that only moves forward.
#[derive(Clone, Debug)]
pub struct ClOrdIdGen {
    prefix: String,
    next: u64,
}

impl ClOrdIdGen {
    /// `next` is the first sequence number to issue (the persisted value after a restart).
    pub fn new(prefix: &str, next: u64) -> Result<Self, ClOrdIdError> {
        ClOrdId::new(prefix)?;
        Ok(ClOrdIdGen {
            prefix: prefix.to_string(),
            next,
        })
    }

    /// The next id; the caller persists [`ClOrdIdGen::next_seq`] before using it.
    pub fn issue(&mut self) -> Result<ClOrdId, ClOrdIdError> {
        let seq = self.next;
        let after = seq.checked_add(1).ok_or(ClOrdIdError::Exhausted)?;
        let text = format!("{}{}", self.prefix, base36(seq));
        if text.len() > MAX_FREE_TEXT {
            return Err(ClOrdIdError::TooLong {
                prefix: self.prefix.clone(),
                seq,
            });
        }
        self.next = after;
        ClOrdId::new(&text)
    }

    pub fn next_seq(&self) -> u64 {
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms_table() {
        let cases = [
            ("free text", "fw1a9", true),
            ("eighteen chars", "abcdefghijklmnopqr", true),
            ("nineteen chars", "abcdefghijklmnopqrs", false),
            ("uuid", "123e4567-e89b-12d3-a456-426614174000", true),
            (
                "uuid bad group",
                "123e4567-e89b-12d3-a456-42661417400",
                false,
            ),
            ("short uuid", "123e4567e89b12d3a456426614174000", true),
            ("empty", "", false),
            ("space", "fw 1", false),
            ("nautilus style", "O-20260505-000001", true),
        ];
        for (name, s, ok) in cases {
            assert_eq!(ClOrdId::new(s).is_ok(), ok, "case {name}");
        }
    }

    #[test]
    fn generator_is_unique_and_resumes() {
        let mut g = ClOrdIdGen::new("fw1", 0).unwrap();
        let ids: Vec<String> = (0..40).map(|_| g.issue().unwrap().to_string()).collect();
        assert_eq!(&ids[..3], ["fw10", "fw11", "fw12"]);
        assert_eq!(ids[35], "fw1z");
        assert_eq!(ids[36], "fw110");
        let unique: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        // A restart resumes from the persisted sequence.
        let mut again = ClOrdIdGen::new("fw1", g.next_seq()).unwrap();
        assert_eq!(again.issue().unwrap().as_str(), "fw114");
        // u64::MAX - 1 in base36 is 13 digits: a 5-char prefix still fits, a 6-char one does not.
        let mut edge = ClOrdIdGen::new("fw1ab", u64::MAX - 1).unwrap();
        assert!(edge.issue().is_ok());
        assert_eq!(edge.issue(), Err(ClOrdIdError::Exhausted));
        let mut over = ClOrdIdGen::new("fw1abc", u64::MAX - 1).unwrap();
        assert!(matches!(over.issue(), Err(ClOrdIdError::TooLong { .. })));
    }
}
