//! The operator's bearer token and the bind-address rule.
//!
//! Invariants:
//! - A [`Token`] never shows its value: `Debug` and `Display` print `Token([redacted])`, and no
//!   error of this module contains it (errors name the variable or the file, never the bytes).
//! - [`Token::verify`] compares SHA-256 digests with a constant-time equality, so neither the
//!   token's bytes nor its length leak through the response time.
//! - [`check_bind`] refuses a non-loopback address without a token: the API can move a running
//!   bot, so it is only ever exposed beyond the host with authentication.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Shortest accepted token: anything shorter can be guessed by a patient client.
pub const MIN_TOKEN_LEN: usize = 16;

/// The bearer token every `POST /api/actions/*` must present.
pub struct Token {
    secret: SecretString,
    /// SHA-256 of the token: what presented tokens are compared against.
    digest: [u8; 32],
}

impl Token {
    /// A token from its text (surrounding whitespace trimmed). Refused when shorter than
    /// [`MIN_TOKEN_LEN`] or when it holds whitespace or control characters (a header cannot
    /// carry them, so such a token could never be presented).
    pub fn new(text: &str) -> Result<Token, TokenError> {
        let text = text.trim();
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(TokenError::Malformed);
        }
        if text.chars().count() < MIN_TOKEN_LEN {
            return Err(TokenError::TooShort { min: MIN_TOKEN_LEN });
        }
        let digest = Sha256::digest(text.as_bytes()).into();
        Ok(Token {
            secret: SecretString::from(text.to_owned()),
            digest,
        })
    }

    /// Whether `presented` is this token (constant time over the digests).
    pub fn verify(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        digest.ct_eq(&self.digest).into()
    }

    /// The token's text, for a client that must send it (tests, the CLI). Never log it.
    pub fn expose(&self) -> &str {
        self.secret.expose_secret()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token([redacted])")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token([redacted])")
    }
}

/// Why a token could not be loaded. Never contains the token.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("operator token is shorter than {min} characters")]
    TooShort { min: usize },
    #[error("operator token contains whitespace or control characters")]
    Malformed,
    #[error("operator token in environment variable {var}: {source}")]
    Env {
        var: String,
        #[source]
        source: Box<TokenError>,
    },
    #[error("operator token file {}: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: Box<TokenError>,
    },
    #[error("cannot read operator token file {}: {why}", path.display())]
    Read { path: PathBuf, why: String },
    #[error(
        "operator token file {} is readable by group or others (mode {mode:04o}); run `chmod 600` on it",
        path.display()
    )]
    Permissions { path: PathBuf, mode: u32 },
    #[error("environment variable {var} is not valid UTF-8")]
    EnvNotUnicode { var: String },
}

/// Loads the token from the environment variable `env_var` when it is set and not empty,
/// else from `file` when given. `Ok(None)`: neither is there (the API then accepts no action).
/// The file must not be readable by group or others (Unix), like an SSH key.
pub fn load_token(env_var: &str, file: Option<&Path>) -> Result<Option<Token>, TokenError> {
    match std::env::var(env_var) {
        Ok(text) if !text.trim().is_empty() => {
            return Token::new(&text).map(Some).map_err(|e| TokenError::Env {
                var: env_var.to_owned(),
                source: Box::new(e),
            })
        }
        Ok(_) | Err(std::env::VarError::NotPresent) => {}
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(TokenError::EnvNotUnicode {
                var: env_var.to_owned(),
            })
        }
    }
    let Some(path) = file else { return Ok(None) };
    check_private(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| TokenError::Read {
        path: path.to_owned(),
        why: e.to_string(),
    })?;
    Token::new(&text).map(Some).map_err(|e| TokenError::File {
        path: path.to_owned(),
        source: Box::new(e),
    })
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), TokenError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| TokenError::Read {
        path: path.to_owned(),
        why: e.to_string(),
    })?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(TokenError::Permissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), TokenError> {
    Ok(())
}

/// A bind address the operator API refuses.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "refusing to serve the operator API on {addr} without a token: a non-loopback address \
     needs an operator token (set it in the environment or a token file), or bind 127.0.0.1"
)]
pub struct BindError {
    pub addr: SocketAddr,
}

/// Refuses a non-loopback `addr` when there is no token.
pub fn check_bind(addr: SocketAddr, token: Option<&Token>) -> Result<(), BindError> {
    if addr.ip().is_loopback() || token.is_some() {
        Ok(())
    } else {
        Err(BindError { addr })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "0123456789abcdef-operator";

    #[test]
    fn token_verifies_only_itself() {
        let t = Token::new(GOOD).expect("valid token");
        let cases: &[(&str, &str, bool)] = &[
            ("same", GOOD, true),
            ("empty", "", false),
            ("prefix", "0123456789abcdef", false),
            ("longer", "0123456789abcdef-operatorX", false),
            ("case", "0123456789ABCDEF-operator", false),
        ];
        for (name, presented, want) in cases {
            assert_eq!(t.verify(presented), *want, "case {name}");
        }
    }

    #[test]
    fn token_is_redacted_everywhere() {
        let t = Token::new(GOOD).expect("valid token");
        for shown in [format!("{t:?}"), format!("{t}"), format!("{:?}", Some(&t))] {
            assert!(!shown.contains("0123456789"), "leaked: {shown}");
            assert!(shown.contains("redacted"));
        }
    }

    #[test]
    fn token_text_rules() {
        let cases: &[(&str, &str, Result<(), TokenError>)] = &[
            ("trimmed newline", "0123456789abcdef\n", Ok(())),
            (
                "too short",
                "short",
                Err(TokenError::TooShort { min: MIN_TOKEN_LEN }),
            ),
            (
                "inner space",
                "0123456789 abcdef",
                Err(TokenError::Malformed),
            ),
        ];
        for (name, text, want) in cases {
            assert_eq!(&Token::new(text).map(|_| ()), want, "case {name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn token_file_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("token");
        std::fs::write(&path, format!("{GOOD}\n")).expect("write");
        let var = "FLYWHEEL_OPERATOR_TEST_TOKEN_UNSET_VAR";
        for (name, mode, ok) in [
            ("0600", 0o600, true),
            ("0644", 0o644, false),
            ("0640", 0o640, false),
        ] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
            let got = load_token(var, Some(&path));
            match (ok, got) {
                (true, Ok(Some(t))) => assert!(t.verify(GOOD), "case {name}"),
                (false, Err(e @ TokenError::Permissions { .. })) => {
                    let msg = e.to_string();
                    assert!(
                        msg.contains("chmod 600") && msg.contains("token"),
                        "case {name}: {msg}"
                    );
                    assert!(!msg.contains(GOOD), "case {name} leaked the token");
                }
                (_, other) => panic!("case {name}: {other:?}"),
            }
        }
        assert_eq!(load_token(var, None).map(|t| t.is_some()), Ok(false));
    }

    #[test]
    fn bind_rule() {
        let t = Token::new(GOOD).expect("valid token");
        let cases: &[(&str, &str, bool, bool)] = &[
            ("loopback v4 no token", "127.0.0.1:8080", false, true),
            ("loopback v6 no token", "[::1]:8080", false, true),
            ("any v4 no token", "0.0.0.0:8080", false, false),
            ("lan no token", "192.168.1.5:8080", false, false),
            ("any v4 with token", "0.0.0.0:8080", true, true),
        ];
        for (name, addr, with_token, ok) in cases {
            let addr: SocketAddr = addr.parse().expect("addr");
            let got = check_bind(addr, with_token.then_some(&t));
            assert_eq!(got.is_ok(), *ok, "case {name}");
            if let Err(e) = got {
                assert!(e.to_string().contains("without a token"), "case {name}");
            }
        }
    }
}
