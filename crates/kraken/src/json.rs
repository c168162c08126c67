//! Parsing a message from its text with errors that name the place.
//!
//! Invariant: every message is parsed from its text (never from a `serde_json::Value`), so
//! [`crate::wire`]'s `RawValue`-based decimals see the wire text; a failure names the message
//! (`REST AddOrder`, `WS executions`) and the JSON path of the field (`data[0].limit_price`).

use serde::de::DeserializeOwned;
use thiserror::Error;

/// A message that could not be read.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{what}: at {path}: {message}")]
pub struct ParseError {
    /// Which message (`REST AddOrder`, `WS book`).
    pub what: String,
    /// The JSON path of the failing field (`.` for the whole message).
    pub path: String,
    pub message: String,
}

/// Parse `text` as `T`, naming `what` and the failing path on error.
pub fn parse<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, ParseError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| ParseError {
        what: what.to_string(),
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    de.end().map_err(|e| ParseError {
        what: what.to_string(),
        path: ".".to_string(),
        message: e.to_string(),
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::WireDecimal;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Level {
        price: WireDecimal,
        qty: WireDecimal,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Msg {
        data: Vec<Level>,
    }

    #[test]
    fn raw_values_survive_and_errors_name_the_path() {
        let ok: Msg = parse("WS book", r#"{"data":[{"price":0.10,"qty":"5.00"}]}"#).unwrap();
        assert_eq!(ok.data[0].price.text(), "0.10");
        assert_eq!(ok.data[0].qty.text(), "5.00");
        let err = parse::<Msg>(
            "WS book",
            r#"{"data":[{"price":1,"qty":1},{"price":0.0000000001,"qty":1}]}"#,
        )
        .unwrap_err();
        assert_eq!(err.what, "WS book");
        assert_eq!(err.path, "data[1].price");
        assert!(err.to_string().contains("0.0000000001"), "{err}");
        let trailing = parse::<Msg>("WS book", r#"{"data":[]} x"#).unwrap_err();
        assert_eq!(trailing.path, ".");
    }
}
