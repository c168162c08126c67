//! The one shape every pure crate's `validate()` reports a configuration problem in.
//!
//! A problem is an **error** (the value is out of its range, or contradicts another value so
//! that the engine cannot run or cannot trade: the configuration is refused) or a
//! **warning** (the engine runs, but a trader would not want this: `config check` prints it
//! and still succeeds). The key is relative to its section; the caller adds the section
//! prefix and the place in the file.

use std::fmt;

/// How bad a configuration problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The configuration runs, but probably not as intended.
    Warning,
    /// The configuration is refused.
    Error,
}

/// One problem with a configuration value: its key inside the section, the other keys it
/// involves (a cross-check names every key it compares), and a message that quotes the
/// values and says what is allowed or what goes wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    pub key: &'static str,
    /// Other keys of the same section the message compares `key` with.
    pub also: Vec<&'static str>,
    pub message: String,
    pub severity: Severity,
}

impl ConfigProblem {
    /// An error on `key`.
    pub fn error(key: &'static str, message: impl Into<String>) -> Self {
        ConfigProblem {
            key,
            also: Vec::new(),
            message: message.into(),
            severity: Severity::Error,
        }
    }

    /// A warning on `key`.
    pub fn warning(key: &'static str, message: impl Into<String>) -> Self {
        ConfigProblem {
            severity: Severity::Warning,
            ..ConfigProblem::error(key, message)
        }
    }

    /// The same problem, also involving `keys` (for locating it in the file).
    pub fn with_also(mut self, keys: &[&'static str]) -> Self {
        self.also.extend_from_slice(keys);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.severity {
            Severity::Error => write!(f, "{}: {}", self.key, self.message),
            Severity::Warning => write!(f, "warning: {}: {}", self.key, self.message),
        }
    }
}
