//! API credentials held in redacting types.
//!
//! Invariants:
//! - The key and the secret are only readable through [`ApiKey::expose`] /
//!   [`ApiSecret::expose_bytes`]; `Debug` and `Display` of every type here print `[redacted]`,
//!   and the memory is wiped on drop (`secrecy`/`zeroize`).
//! - No error in this module carries a credential's value: errors name the variable and, for
//!   `*_FILE` variables, the file path, never the content.
//! - Credentials come from the environment (`KRAKEN_API_KEY`, `KRAKEN_API_SECRET`) or from
//!   files named by `KRAKEN_API_KEY_FILE` / `KRAKEN_API_SECRET_FILE` (systemd
//!   `LoadCredential`, Docker secrets); setting both forms of one credential is an error, so
//!   which one is used is never a guess. Never from TOML.

use std::fmt;
use std::path::PathBuf;

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use thiserror::Error;

/// What every redacted value prints.
pub const REDACTED: &str = "[redacted]";

/// Why credentials could not be loaded. Never contains a credential's value.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("{var} is not set (set {var} or {var}_FILE)")]
    Missing { var: String },
    #[error("both {var} and {var}_FILE are set; set exactly one")]
    Ambiguous { var: String },
    #[error("{var}: cannot read {path}: {reason}")]
    File {
        var: String,
        path: PathBuf,
        reason: String,
    },
    #[error("{var} is empty")]
    Empty { var: String },
    #[error("{var} is not valid base64 (the API secret is shown base64-encoded by Kraken)")]
    NotBase64 { var: String },
}

/// The public half of a key pair (sent as the `API-Key` header). Still redacted in logs: it
/// identifies the account.
#[derive(Clone)]
pub struct ApiKey(SecretString);

impl ApiKey {
    pub fn new(key: String) -> Self {
        ApiKey(SecretString::from(key))
    }
    /// The key text, for the `API-Key` header only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// The private half, already base64-decoded (the HMAC key of API-Sign).
#[derive(Clone)]
pub struct ApiSecret(SecretSlice<u8>);

impl ApiSecret {
    /// Decode the secret as Kraken shows it (standard base64).
    pub fn from_base64(text: &str) -> Result<Self, SecretError> {
        Self::from_base64_named(text, "API secret")
    }

    fn from_base64_named(text: &str, var: &str) -> Result<Self, SecretError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(SecretError::Empty {
                var: var.to_string(),
            });
        }
        base64::engine::general_purpose::STANDARD
            .decode(trimmed)
            .map(|bytes| ApiSecret(SecretSlice::from(bytes)))
            .map_err(|_| SecretError::NotBase64 {
                var: var.to_string(),
            })
    }

    /// The decoded bytes, for signing only.
    pub fn expose_bytes(&self) -> &[u8] {
        self.0.expose_secret()
    }
}

/// A key pair.
#[derive(Clone)]
pub struct Credentials {
    pub key: ApiKey,
    pub secret: ApiSecret,
}

macro_rules! redacted_fmt {
    ($($t:ty),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(REDACTED)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(REDACTED)
            }
        }
    )*};
}
redacted_fmt!(ApiKey, ApiSecret, Credentials, Redacted);

/// Any other sensitive string (a WebSocket token): readable only through [`Redacted::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Redacted(String);

impl Redacted {
    pub fn new(s: String) -> Self {
        Redacted(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for Redacted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Redacted)
    }
}

/// The environment variable prefix used by [`Credentials::from_env`].
pub const DEFAULT_PREFIX: &str = "KRAKEN";

impl Credentials {
    /// Load `KRAKEN_API_KEY[_FILE]` and `KRAKEN_API_SECRET[_FILE]` from the process
    /// environment.
    pub fn from_env() -> Result<Self, SecretError> {
        Self::from_lookup(DEFAULT_PREFIX, |name| std::env::var(name).ok())
    }

    /// Load `{prefix}_API_KEY[_FILE]` and `{prefix}_API_SECRET[_FILE]` through `lookup`
    /// (the environment, or a map in tests). Files are read from disk; trailing whitespace
    /// and newlines are trimmed.
    pub fn from_lookup(
        prefix: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SecretError> {
        let key_var = format!("{prefix}_API_KEY");
        let secret_var = format!("{prefix}_API_SECRET");
        let key = read_one(&key_var, &lookup)?;
        let secret_text = read_one(&secret_var, &lookup)?;
        let secret = ApiSecret::from_base64_named(secret_text.expose_secret(), &secret_var)?;
        Ok(Credentials {
            key: ApiKey(key),
            secret,
        })
    }
}

fn read_one(
    var: &str,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<SecretString, SecretError> {
    let file_var = format!("{var}_FILE");
    let direct = lookup(var).filter(|v| !v.is_empty());
    let file = lookup(&file_var).filter(|v| !v.is_empty());
    let text = match (direct, file) {
        (Some(_), Some(_)) => {
            return Err(SecretError::Ambiguous {
                var: var.to_string(),
            })
        }
        (None, None) => {
            return Err(SecretError::Missing {
                var: var.to_string(),
            })
        }
        (Some(v), None) => v,
        (None, Some(path)) => {
            let path = PathBuf::from(path);
            std::fs::read_to_string(&path).map_err(|e| SecretError::File {
                var: file_var.clone(),
                path: path.clone(),
                reason: e.kind().to_string(),
            })?
        }
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(SecretError::Empty {
            var: var.to_string(),
        });
    }
    Ok(SecretString::from(trimmed.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    // Kraken's documented example secret (spot REST authentication guide), not a real key.
    const SECRET: &str =
        "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
    const KEY: &str = "EXAMPLEKEY0123456789";

    fn env(pairs: &[(&str, String)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn debug_and_display_are_redacted() {
        let creds = Credentials::from_lookup(
            "KRAKEN",
            env(&[
                ("KRAKEN_API_KEY", KEY.to_string()),
                ("KRAKEN_API_SECRET", SECRET.to_string()),
            ]),
        )
        .unwrap();
        let token = Redacted::new("WSTOKEN-abc".to_string());
        let shown = [
            format!("{creds:?}"),
            format!("{creds}"),
            format!("{:?}", creds.key),
            format!("{}", creds.key),
            format!("{:#?}", creds.secret),
            format!("{}", creds.secret),
            format!("{token:?} {token}"),
        ];
        for text in shown {
            assert!(text.contains(REDACTED), "{text}");
            for needle in [KEY, SECRET, "kQH5HW", "WSTOKEN"] {
                assert!(!text.contains(needle), "leaked {needle} in {text}");
            }
        }
        assert_eq!(creds.key.expose(), KEY);
        assert_eq!(creds.secret.expose_bytes().len(), 64);
    }

    #[test]
    fn files_are_read_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let key_path = dir.path().join("key");
        let secret_path = dir.path().join("secret");
        std::fs::write(&key_path, format!("{KEY}\n")).unwrap();
        std::fs::write(&secret_path, format!("{SECRET}\n\n")).unwrap();
        let creds = Credentials::from_lookup(
            "FW",
            env(&[
                ("FW_API_KEY_FILE", key_path.display().to_string()),
                ("FW_API_SECRET_FILE", secret_path.display().to_string()),
            ]),
        )
        .unwrap();
        assert_eq!(creds.key.expose(), KEY);
    }

    #[test]
    fn errors_name_the_variable_never_the_value() {
        let missing_file = "/nonexistent/flywheel/secret".to_string();
        type Case = (&'static str, Vec<(&'static str, String)>, SecretError);
        let cases: Vec<Case> = vec![
            (
                "key missing",
                vec![("K_API_SECRET", SECRET.to_string())],
                SecretError::Missing {
                    var: "K_API_KEY".into(),
                },
            ),
            (
                "both forms",
                vec![
                    ("K_API_KEY", KEY.to_string()),
                    ("K_API_KEY_FILE", "/x".to_string()),
                    ("K_API_SECRET", SECRET.to_string()),
                ],
                SecretError::Ambiguous {
                    var: "K_API_KEY".into(),
                },
            ),
            (
                "secret not base64",
                vec![
                    ("K_API_KEY", KEY.to_string()),
                    ("K_API_SECRET", "not*base64!secret-value".to_string()),
                ],
                SecretError::NotBase64 {
                    var: "K_API_SECRET".into(),
                },
            ),
            (
                "secret blank",
                vec![
                    ("K_API_KEY", KEY.to_string()),
                    ("K_API_SECRET", "  \n".to_string()),
                ],
                SecretError::Empty {
                    var: "K_API_SECRET".into(),
                },
            ),
            (
                "unreadable file",
                vec![
                    ("K_API_KEY", KEY.to_string()),
                    ("K_API_SECRET_FILE", missing_file.clone()),
                ],
                SecretError::File {
                    var: "K_API_SECRET_FILE".into(),
                    path: PathBuf::from(&missing_file),
                    reason: std::io::ErrorKind::NotFound.to_string(),
                },
            ),
        ];
        for (name, vars, want) in cases {
            let got = Credentials::from_lookup("K", env(&vars)).unwrap_err();
            assert_eq!(got, want, "case {name}");
            let text = got.to_string();
            for needle in [KEY, SECRET, "secret-value"] {
                assert!(!text.contains(needle), "case {name}: leaked in {text}");
            }
        }
    }
}
