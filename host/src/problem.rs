//! A problem at a TOML path: what configuration and cases-file checks report, and
//! what the stages that own a table (`[correlate]`, a plugin's settings) return
//! without depending on the config module that collects them.

/// A problem at a TOML path.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// `detector[1].settings.allowed[0].digest`; empty for the file as a whole.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { path: path.into(), message: message.into() }
    }
}
