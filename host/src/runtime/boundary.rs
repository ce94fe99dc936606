//! The trust boundary: what a plugin returns is checked here, with the rules of
//! `aiir-boundary` that the SDK's test kit applies too, and becomes the host's own
//! types. A finding past this point has a rule in its plugin's namespace, a finite
//! confidence in [0, 1] and checked, capped strings; the bindgen types stay inside
//! `runtime/`.

use super::bindings::aiir::plugin::types as wit;
use super::bindings::responder::aiir::plugin::incidents as wit_incidents;
use super::error::{PluginError, Reason};
use super::{PluginInfo, SettingsError};
use crate::output::terminal;
use aiir_boundary::limits::ERROR_TEXT_BYTES;
use aiir_boundary::{
    Action, Finding, ModelRef, Namespace, Notice, Proposal, RawFinding, Report, Severity, Violation, cap,
};

/// The most settings errors kept of one `configure` call.
const SETTINGS_ERRORS: usize = 64;

/// Check every finding of one call; the first violation fails the call.
pub(crate) fn findings(ns: &Namespace<'_>, raw: Vec<wit::Finding>) -> Result<Vec<Finding>, PluginError> {
    raw.into_iter()
        .enumerate()
        .map(|(i, f)| {
            aiir_boundary::validate_finding(ns, raw_of(f)).map_err(|v| invalid(v.under(&format!("findings[{i}]"))))
        })
        .collect()
}

/// Check every proposal of one call; the first violation fails the call.
pub(crate) fn proposals(raw: Vec<wit_incidents::Proposal>) -> Result<Vec<Proposal>, PluginError> {
    let check = |(i, p)| {
        let p = aiir_boundary::validate_proposal(proposal_of(p))
            .map_err(|v| invalid(v.under(&format!("proposals[{i}]"))))?;
        Ok(escape_json(p))
    };
    raw.into_iter().enumerate().map(check).collect()
}

/// A report's JSON and a notice's body quote the incident, whose text may hold any
/// character: the unsafe ones are written as `\u` escapes, the same JSON, so the
/// file and the request are safe to read on a terminal.
fn escape_json(p: Proposal) -> Proposal {
    let action = match p.action {
        Action::Notify(n) => Action::Notify(Notice { body: terminal::json(&n.body).into_owned(), ..n }),
        Action::FileReport(r) => Action::FileReport(Report { json: terminal::json(&r.json).into_owned(), ..r }),
        other => other,
    };
    Proposal { action, ..p }
}

fn proposal_of(p: wit_incidents::Proposal) -> Proposal {
    use wit_incidents::Action as W;
    let action = match p.action {
        W::RollbackModel(model) => Action::RollbackModel(model),
        W::QuarantineModel(m) => {
            Action::QuarantineModel(ModelRef { name: m.name, version: m.version, digest: m.digest })
        }
        W::BlockPrincipal(principal) => Action::BlockPrincipal(principal),
        W::Notify(n) => Action::Notify(Notice { url: n.url, body: n.body }),
        W::FileReport(r) => Action::FileReport(Report { kind: r.kind, markdown: r.markdown, json: r.json }),
    };
    Proposal { action, reason: p.reason }
}

/// Check what a plugin says about itself.
pub(crate) fn info(info: &PluginInfo) -> Result<(), PluginError> {
    aiir_boundary::validate_info(&info.name, &info.version, &info.description, &info.settings).map_err(invalid)
}

/// The settings errors of a `configure` call, at most [`SETTINGS_ERRORS`], each capped.
pub(crate) fn settings_errors(mut errors: Vec<SettingsError>) -> Vec<SettingsError> {
    errors.truncate(SETTINGS_ERRORS);
    for e in &mut errors {
        e.path = cap(&e.path, ERROR_TEXT_BYTES / 4).into_owned();
        e.message = cap(&e.message, ERROR_TEXT_BYTES).into_owned();
    }
    errors
}

/// A violation as the plugin error its failure policy handles.
pub(crate) fn invalid(v: Violation) -> PluginError {
    PluginError::new(Reason::InvalidOutput, v.to_string())
}

fn raw_of(f: wit::Finding) -> RawFinding {
    RawFinding {
        rule: f.rule,
        title: f.title,
        severity: f.severity.into(),
        confidence: f.confidence,
        techniques: f.techniques,
        evidence: f.evidence.into_iter().map(|e| (e.field, e.excerpt)).collect(),
    }
}

impl From<wit::Severity> for Severity {
    fn from(s: wit::Severity) -> Self {
        match s {
            wit::Severity::Info => Severity::Info,
            wit::Severity::Low => Severity::Low,
            wit::Severity::Medium => Severity::Medium,
            wit::Severity::High => Severity::High,
            wit::Severity::Critical => Severity::Critical,
        }
    }
}

impl From<Severity> for wit::Severity {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Info => wit::Severity::Info,
            Severity::Low => wit::Severity::Low,
            Severity::Medium => wit::Severity::Medium,
            Severity::High => wit::Severity::High,
            Severity::Critical => wit::Severity::Critical,
        }
    }
}

/// A stored finding as the contract shows it to responders.
impl From<&Finding> for wit::Finding {
    fn from(f: &Finding) -> Self {
        wit::Finding {
            rule: f.rule.clone(),
            title: f.title.clone(),
            severity: f.severity.into(),
            confidence: f.confidence,
            techniques: f.techniques.clone(),
            evidence: f
                .evidence
                .iter()
                .map(|e| wit::Evidence { field: e.field.clone(), excerpt: e.excerpt.clone() })
                .collect(),
        }
    }
}
