//! The trust boundary between aiir and its plugins, as rules: what a plugin may
//! return, and the host's own validated types for it; and, the other way, the
//! [`packed`] form of the events the host sends.
//!
//! A plugin's output is data, never authority: findings and proposals alike. The host runs every value a plugin
//! returns through these checks before anything else reads it, and the SDK's test
//! kit runs the same checks natively, so a plugin author meets the host's rules in
//! `cargo test` rather than in production. The rules live here once.
//!
//! ```
//! use aiir_boundary::{Namespace, RawFinding, Severity, validate_finding};
//! let ns = Namespace { configured: "acme", declared: "acme" };
//! let raw = RawFinding::new("acme/canary", "canary token in output", Severity::High, 0.9);
//! assert_eq!(validate_finding(&ns, raw).unwrap().rule, "acme/canary");
//! let forged = RawFinding::new("aiir/not-inspected", "x", Severity::Critical, 1.0);
//! assert!(validate_finding(&ns, forged).is_err());
//! ```
#![deny(missing_docs)]

mod finding;
mod info;
pub mod limits;
pub mod packed;
mod proposal;
mod text;

pub use finding::{Evidence, Finding, Namespace, RawFinding, Severity, validate_finding};
pub use info::{validate_info, validate_name};
pub use proposal::{Action, ModelRef, Notice, Proposal, Report, validate_proposal};
pub use text::{cap, is_slug, is_unsafe};

use std::fmt;

/// A value that breaks a rule: where in the plugin's output, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where: `rule`, `evidence[2].field`, `info.version`.
    pub at: String,
    /// What is wrong, lowercase, without a trailing period.
    pub problem: String,
}

impl Violation {
    /// A violation at `at`.
    pub fn new(at: impl Into<String>, problem: impl Into<String>) -> Self {
        Self { at: at.into(), problem: problem.into() }
    }

    /// The same violation under `prefix`: `findings[3]` + `rule` = `findings[3].rule`.
    pub fn under(self, prefix: &str) -> Self {
        Self { at: format!("{prefix}.{}", self.at), ..self }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.problem)
    }
}

impl std::error::Error for Violation {}
