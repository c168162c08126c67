//! REST request signing (`API-Sign`).
//!
//! `API-Sign = base64(HMAC-SHA512(key = base64decode(secret), msg = uri_path ‖ SHA256(nonce ‖ body)))`
//! where `uri_path` starts at `/0/private/` and the SHA-256 digest is appended as its raw 32
//! bytes (Kraken, "Spot REST Authentication").
//!
//! Invariants:
//! - The signed body is the body sent: [`SignedRequest`] carries both, built once from the
//!   same string; nothing re-encodes the parameters after signing.
//! - The body is form-encoded (`application/x-www-form-urlencoded`), `nonce` first, then the
//!   parameters in the order given; `+` and other reserved characters are percent-encoded.
//! - Pure: no clock, no I/O; the nonce is an input.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256, Sha512};
use thiserror::Error;

use crate::secret::{ApiSecret, Credentials};

/// Signing failed (only an HMAC key the library refuses, which cannot happen for HMAC-SHA512;
/// modelled so the code never panics).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SignError {
    #[error("API-Sign: the secret was refused as an HMAC-SHA512 key")]
    Key,
    #[error("API-Sign: URI path {0:?} does not start with /0/private/")]
    Path(String),
}

/// The `API-Sign` value for `uri_path`, `nonce` and the exact POST body.
pub fn api_sign(
    secret: &ApiSecret,
    uri_path: &str,
    nonce: u64,
    post_data: &str,
) -> Result<String, SignError> {
    let mut inner = Sha256::new();
    inner.update(nonce.to_string().as_bytes());
    inner.update(post_data.as_bytes());
    let digest = inner.finalize();
    let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(secret.expose_bytes())
        .map_err(|_| SignError::Key)?;
    mac.update(uri_path.as_bytes());
    mac.update(&digest);
    let out = mac.finalize().into_bytes();
    Ok(base64::engine::general_purpose::STANDARD.encode(out))
}

/// Form-encode `nonce` then `params`, in order.
pub fn form_body(nonce: u64, params: &[(&str, &str)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    ser.append_pair("nonce", &nonce.to_string());
    for (k, v) in params {
        ser.append_pair(k, v);
    }
    ser.finish()
}

/// A private REST call ready to send: the path, the exact body and its signature. `Debug`
/// shows the path and body (they carry no secret) but not the signature.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// `/0/private/<Method>`.
    pub path: String,
    pub nonce: u64,
    /// The form body, exactly as signed.
    pub body: String,
    /// The `API-Sign` header.
    pub api_sign: String,
}

impl std::fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedRequest")
            .field("path", &self.path)
            .field("nonce", &self.nonce)
            .field("body", &self.body)
            .field("api_sign", &crate::secret::REDACTED)
            .finish()
    }
}

/// Sign a call to private `method` (e.g. `AddOrder`) with `params`.
pub fn sign_private(
    creds: &Credentials,
    method: &str,
    nonce: u64,
    params: &[(&str, &str)],
) -> Result<SignedRequest, SignError> {
    let path = format!("/0/private/{method}");
    let body = form_body(nonce, params);
    let api_sign = api_sign(&creds.secret, &path, nonce, &body)?;
    Ok(SignedRequest {
        path,
        nonce,
        body,
        api_sign,
    })
}

/// Check that a path is a private one (used by the mock to refuse a mis-signed path).
pub fn check_private_path(path: &str) -> Result<(), SignError> {
    if path.starts_with("/0/private/") {
        Ok(())
    } else {
        Err(SignError::Path(path.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Kraken's published example (docs.kraken.com, "Spot REST Authentication", Examples; also
    // shared/spec/kraken.md §3.2, recomputed there with Python's hmac/hashlib).
    const SECRET: &str =
        "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
    const NONCE: u64 = 1616492376594;
    const BODY: &str =
        "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
    const EXPECTED: &str =
        "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==";

    #[test]
    fn official_vector() {
        let secret = ApiSecret::from_base64(SECRET).unwrap();
        let sig = api_sign(&secret, "/0/private/AddOrder", NONCE, BODY).unwrap();
        assert_eq!(sig, EXPECTED);
    }

    #[test]
    fn signed_request_body_is_the_vector_body() {
        let creds = Credentials {
            key: crate::secret::ApiKey::new("k".into()),
            secret: ApiSecret::from_base64(SECRET).unwrap(),
        };
        let req = sign_private(
            &creds,
            "AddOrder",
            NONCE,
            &[
                ("ordertype", "limit"),
                ("pair", "XBTUSD"),
                ("price", "37500"),
                ("type", "buy"),
                ("volume", "1.25"),
            ],
        )
        .unwrap();
        assert_eq!(req.body, BODY);
        assert_eq!(req.path, "/0/private/AddOrder");
        assert_eq!(req.api_sign, EXPECTED);
        assert!(!format!("{req:?}").contains(EXPECTED));
    }

    #[test]
    fn form_encoding_table() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: [Case; 4] = [
            ("nonce only", &[], "nonce=7"),
            (
                "relative expiry plus",
                &[("expiretm", "+30")],
                "nonce=7&expiretm=%2B30",
            ),
            (
                "comma list and space",
                &[("oflags", "post,fciq"), ("x", "a b")],
                "nonce=7&oflags=post%2Cfciq&x=a+b",
            ),
            ("order kept", &[("b", "1"), ("a", "2")], "nonce=7&b=1&a=2"),
        ];
        for (name, params, want) in cases {
            assert_eq!(form_body(7, params), want, "case {name}");
        }
    }

    #[test]
    fn any_change_changes_the_signature() {
        let secret = ApiSecret::from_base64(SECRET).unwrap();
        let base = api_sign(&secret, "/0/private/AddOrder", NONCE, BODY).unwrap();
        let variants = [
            (
                "path",
                api_sign(&secret, "/0/private/AddOrderX", NONCE, BODY),
            ),
            (
                "nonce",
                api_sign(&secret, "/0/private/AddOrder", NONCE + 1, BODY),
            ),
            (
                "body",
                api_sign(
                    &secret,
                    "/0/private/AddOrder",
                    NONCE,
                    &BODY.replace("1.25", "1.26"),
                ),
            ),
        ];
        for (name, sig) in variants {
            assert_ne!(sig.unwrap(), base, "case {name}");
        }
        assert!(check_private_path("/0/private/Balance").is_ok());
        assert!(check_private_path("/0/public/Time").is_err());
    }
}
