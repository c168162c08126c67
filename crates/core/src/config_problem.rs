//! The one shape every pure crate's `validate()` reports a bad configuration value in.

/// One problem with a configuration value: its key inside the section (the caller adds the
/// section prefix and the file position) and a fixed message saying what is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    pub key: &'static str,
    pub message: &'static str,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}
