//! Exact decimals and times as Kraken writes them.
//!
//! REST sends decimals as JSON strings (`"0.1234567"`), WS v2 as JSON numbers
//! (`"price": 0.10000000`). Both are read from the **wire text** through `serde_json`'s
//! `RawValue`, never through `f64`, and parsed with `flywheel_core`'s exact decimal parser.
//!
//! Invariants:
//! - [`WireDecimal`] keeps the text exactly as received (the book checksum is computed on it)
//!   and its exact value; a value that `Fixed` cannot hold exactly (more than 9 significant
//!   decimals, out of range) is a parse error naming the text, never a rounding.
//! - Exponent notation (`1e-8`) is accepted only when its value is exact.
//! - `RawValue` only works when parsing from text (`serde_json::from_str`), not from a
//!   `serde_json::Value` nor through internally tagged or untagged enums; the message modules
//!   parse every message from its text for that reason.
//! - [`LedgerAmount`] is the one exception to strictness: balances of assets we do not trade
//!   may carry 10 decimals; they keep their text and refuse to give a value only when asked.

use std::fmt;

use flywheel_core::fixed::parse_lenient;
use flywheel_core::{Fixed, FixedError, Price, Qty, Quote, Ratio, Rounding, Timestamp};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// The text of a JSON scalar: a number as written, a string without its quotes.
fn scalar_text(raw: &RawValue) -> &str {
    let t = raw.get().trim();
    t.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(t)
}

/// Parse decimal text exactly (plain or exponent notation).
pub fn parse_exact(text: &str) -> Result<Fixed, FixedError> {
    match text.parse::<Fixed>() {
        Ok(v) => Ok(v),
        Err(FixedError::Syntax(_)) if text.contains(['e', 'E']) => {
            let lo = parse_lenient(text, Rounding::Floor)?;
            let hi = parse_lenient(text, Rounding::Ceil)?;
            if lo == hi {
                Ok(lo)
            } else {
                Err(FixedError::TooPrecise(text.to_string()))
            }
        }
        Err(e) => Err(e),
    }
}

/// A decimal with its wire text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct WireDecimal {
    text: String,
    value: Fixed,
}

impl WireDecimal {
    pub fn parse(text: &str) -> Result<Self, FixedError> {
        Ok(WireDecimal {
            value: parse_exact(text)?,
            text: text.to_string(),
        })
    }
    /// A decimal whose wire text is its canonical form (for outgoing messages and tests).
    pub fn from_fixed(value: Fixed) -> Self {
        WireDecimal {
            text: value.to_string(),
            value,
        }
    }
    pub fn text(&self) -> &str {
        &self.text
    }
    pub fn value(&self) -> Fixed {
        self.value
    }
    pub fn price(&self) -> Price {
        Price::new(self.value)
    }
    pub fn qty(&self) -> Qty {
        Qty::new(self.value)
    }
    pub fn quote(&self) -> Quote {
        Quote::new(self.value)
    }
}

impl fmt::Debug for WireDecimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.text)
    }
}

impl<'de> Deserialize<'de> for WireDecimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        let text = scalar_text(&raw);
        WireDecimal::parse(text).map_err(|e| D::Error::custom(format!("decimal {text}: {e}")))
    }
}

/// Writes a decimal as a bare JSON number with its canonical text (`0.1234567`, never
/// `1.234567e-1`, never through `f64`), for WS v2 requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonNumber(pub Fixed);

impl Serialize for JsonNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.0.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

/// A balance amount: exact when `Fixed` can hold it, otherwise only its text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LedgerAmount {
    text: String,
    exact: Option<Fixed>,
}

impl LedgerAmount {
    pub fn text(&self) -> &str {
        &self.text
    }
    /// The exact value, or the reason it has none.
    pub fn value(&self) -> Result<Fixed, FixedError> {
        self.exact
            .ok_or_else(|| FixedError::TooPrecise(self.text.clone()))
    }
}

impl fmt::Debug for LedgerAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.text)
    }
}

impl<'de> Deserialize<'de> for LedgerAmount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        let text = scalar_text(&raw).to_string();
        let exact = match parse_exact(&text) {
            Ok(v) => Some(v),
            Err(FixedError::TooPrecise(_)) => None,
            Err(e) => return Err(D::Error::custom(format!("amount {text}: {e}"))),
        };
        Ok(LedgerAmount { text, exact })
    }
}

/// `deserialize_with` helpers for typed money fields.
pub mod de {
    use super::*;

    macro_rules! typed {
        ($name:ident, $opt:ident, $t:ty) => {
            pub fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                WireDecimal::deserialize(d).map(|w| <$t>::new(w.value()))
            }
            pub fn $opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<$t>, D::Error> {
                Option::<WireDecimal>::deserialize(d).map(|o| o.map(|w| <$t>::new(w.value())))
            }
        };
    }
    typed!(price, opt_price, Price);
    typed!(qty, opt_qty, Qty);
    typed!(quote, opt_quote, Quote);
    typed!(ratio, opt_ratio, Ratio);

    /// Unix seconds with a fraction (`1688583840.8648`) → milliseconds, floored.
    pub fn unix_secs<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        WireDecimal::deserialize(d).map(|w| secs_to_timestamp(w.value()))
    }
    pub fn opt_unix_secs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        Option::<WireDecimal>::deserialize(d).map(|o| o.map(|w| secs_to_timestamp(w.value())))
    }

    /// RFC 3339 (`2023-10-06T17:35:55.440295Z`) → milliseconds, floored.
    pub fn rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = String::deserialize(d)?;
        crate::time::parse_rfc3339(&s).map_err(D::Error::custom)
    }
    pub fn opt_rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => crate::time::parse_rfc3339(&s)
                .map(Some)
                .map_err(D::Error::custom),
        }
    }
}

/// Seconds (9 decimals) → whole milliseconds, floored.
pub fn secs_to_timestamp(secs: Fixed) -> Timestamp {
    Timestamp::from_millis(secs.raw().div_euclid(1_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        v: WireDecimal,
    }

    fn probe(json: &str) -> Result<WireDecimal, String> {
        serde_json::from_str::<Probe>(json)
            .map(|p| p.v)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn wire_text_is_kept_table() {
        let cases = [
            (
                "number with trailing zeros",
                r#"{"v":0.10000000}"#,
                "0.10000000",
                "0.1",
            ),
            ("string", r#"{"v":"45285.2"}"#, "45285.2", "45285.2"),
            ("integer", r#"{"v":37500}"#, "37500", "37500"),
            ("exponent exact", r#"{"v":1e-8}"#, "1e-8", "0.00000001"),
            ("negative", r#"{"v":"-0.0050"}"#, "-0.0050", "-0.005"),
            (
                "ten zero decimals",
                r#"{"v":"0.0000000000"}"#,
                "0.0000000000",
                "0",
            ),
        ];
        for (name, json, text, value) in cases {
            let w = probe(json).unwrap_or_else(|e| panic!("case {name}: {e}"));
            assert_eq!(w.text(), text, "case {name}");
            assert_eq!(w.value().to_string(), value, "case {name}");
        }
    }

    #[test]
    fn inexact_values_are_errors_table() {
        let cases = [
            ("ten significant decimals", r#"{"v":0.0000000001}"#),
            ("exponent too fine", r#"{"v":1e-10}"#),
            ("not a number", r#"{"v":"abc"}"#),
            ("bool", r#"{"v":true}"#),
            ("out of range", r#"{"v":99999999999}"#),
        ];
        for (name, json) in cases {
            assert!(probe(json).is_err(), "case {name}");
        }
    }

    #[test]
    fn ledger_amount_keeps_too_precise_text() {
        #[derive(Deserialize)]
        struct P {
            a: LedgerAmount,
        }
        let p: P = serde_json::from_str(r#"{"a":"0.0000034567"}"#).unwrap();
        assert_eq!(p.a.text(), "0.0000034567");
        assert!(p.a.value().is_err());
        let p: P = serde_json::from_str(r#"{"a":"171288.6158"}"#).unwrap();
        assert_eq!(p.a.value().unwrap().to_string(), "171288.6158");
        assert!(serde_json::from_str::<P>(r#"{"a":"12x"}"#).is_err());
    }

    #[test]
    fn json_number_is_bare_canonical_text() {
        let v: Fixed = "0.12345670".parse().unwrap();
        assert_eq!(serde_json::to_string(&JsonNumber(v)).unwrap(), "0.1234567");
        let v: Fixed = "37500".parse().unwrap();
        assert_eq!(serde_json::to_string(&JsonNumber(v)).unwrap(), "37500");
    }

    #[test]
    fn unix_seconds_floor_to_millis() {
        let secs: Fixed = "1688583840.8648".parse().unwrap();
        assert_eq!(
            secs_to_timestamp(secs),
            Timestamp::from_millis(1_688_583_840_864)
        );
    }
}
