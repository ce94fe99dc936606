//! Proposals: what a responder asks the host to do, in the host's own types, and the
//! rules of their shape. Where an action may *reach* (the incident's scope, the
//! operator's grants) is the host's to judge beside its actuators.

use crate::Violation;
use crate::limits::{REASON_BYTES, TARGET_BYTES, URL_BYTES};
use crate::text::{check_text, is_slug};

/// A proposed action and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// What to do.
    pub action: Action,
    /// Why, one line for the audit log.
    pub reason: String,
}

/// What a responder may propose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Move the model's serving alias back to a known-good artifact.
    RollbackModel(String),
    /// Quarantine an artifact: a label, and a digest when there is one.
    QuarantineModel(ModelRef),
    /// Block a principal.
    BlockPrincipal(String),
    /// POST a notice to a webhook.
    Notify(Notice),
    /// File a report beside the store.
    FileReport(Report),
}

/// The model a quarantine names; an absent version or digest is `None`, never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRef {
    /// The model's name.
    pub name: String,
    /// The version label.
    pub version: Option<String>,
    /// The artifact's digest.
    pub digest: Option<String>,
}

/// A webhook notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Where to POST.
    pub url: String,
    /// The body, JSON.
    pub body: String,
}

/// A report to file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Its kind, part of the file name: a slug.
    pub kind: String,
    /// The draft for a human.
    pub markdown: String,
    /// The same for a machine.
    pub json: String,
}

/// Check a proposal's shape and normalise it (`Some("")` versions and digests become
/// `None`): names are short single lines, a report kind is a slug, text has no
/// unsafe characters but lines and tabs, JSON may quote anything (it escapes it).
pub fn validate_proposal(p: Proposal) -> Result<Proposal, Violation> {
    check_text("reason", &p.reason, REASON_BYTES, &[], false)?;
    let action = match p.action {
        Action::RollbackModel(model) => Action::RollbackModel(name("model", model)?),
        Action::QuarantineModel(m) => Action::QuarantineModel(model_ref(m)?),
        Action::BlockPrincipal(principal) => Action::BlockPrincipal(name("principal", principal)?),
        Action::Notify(n) => {
            check_text("url", &n.url, URL_BYTES, &[], true)?;
            json_or_text("body", &n.body)?;
            Action::Notify(n)
        }
        Action::FileReport(r) => {
            if !is_slug(&r.kind) || r.kind.len() > TARGET_BYTES {
                let problem =
                    format!("{:?} is not a slug: lowercase letters, digits and dashes", crate::cap(&r.kind, 40));
                return Err(Violation::new("kind", problem));
            }
            check_text("markdown", &r.markdown, usize::MAX, &['\n', '\t'], false)?;
            json_or_text("json", &r.json)?;
            Action::FileReport(r)
        }
    };
    Ok(Proposal { action, ..p })
}

/// A quarantine's model: a name, and a version and digest absent rather than empty.
fn model_ref(m: ModelRef) -> Result<ModelRef, Violation> {
    let optional = |what, value: Option<String>| match value.filter(|v| !v.is_empty()) {
        Some(v) => name(what, v).map(Some),
        None => Ok(None),
    };
    Ok(ModelRef {
        name: name("model", m.name)?,
        version: optional("version", m.version)?,
        digest: optional("digest", m.digest)?,
    })
}

/// A name: one non-empty line of at most [`TARGET_BYTES`].
fn name(what: &str, value: String) -> Result<String, Violation> {
    check_text(what, &value, TARGET_BYTES, &[], true)?;
    Ok(value)
}

/// JSON quotes the incident, whose text may hold any character (escaped inside its
/// strings, or for the host to escape); anything else is text with lines and tabs.
fn json_or_text(what: &str, value: &str) -> Result<(), Violation> {
    if serde_json::from_str::<serde_json::Value>(value).is_ok() {
        return Ok(());
    }
    check_text(what, value, usize::MAX, &['\n', '\t'], false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(action: Action) -> Result<Action, String> {
        validate_proposal(Proposal { action, reason: "why".into() }).map(|p| p.action).map_err(|v| v.to_string())
    }

    fn quarantine(version: Option<&str>, digest: Option<&str>) -> Action {
        Action::QuarantineModel(ModelRef {
            name: "m".into(),
            version: version.map(Into::into),
            digest: digest.map(Into::into),
        })
    }

    fn report(kind: &str, markdown: &str, json: &str) -> Action {
        Action::FileReport(Report { kind: kind.into(), markdown: markdown.into(), json: json.into() })
    }

    #[test]
    fn empty_versions_and_digests_are_none() {
        let Ok(Action::QuarantineModel(m)) = of(quarantine(Some("1.0"), Some(""))) else { panic!() };
        assert_eq!((m.version.as_deref(), m.digest), (Some("1.0"), None));
        let Ok(Action::QuarantineModel(m)) = of(quarantine(Some(""), None)) else { panic!() };
        assert_eq!((m.version, m.digest), (None, None));
    }

    #[test]
    fn names_are_single_short_lines() {
        assert_eq!(of(Action::BlockPrincipal(String::new())).unwrap_err(), "principal: is empty");
        assert_eq!(
            of(Action::RollbackModel("m\x1b[2J".into())).unwrap_err(),
            "model: control character U+001B at byte 1"
        );
        assert_eq!(
            of(quarantine(Some("1"), Some("sha\u{202e}"))).unwrap_err(),
            "digest: control character U+202E at byte 3"
        );
        let long = "p".repeat(TARGET_BYTES + 1);
        assert_eq!(of(Action::BlockPrincipal(long)).unwrap_err(), "principal: 257 bytes, more than the cap of 256");
        let reason = Proposal { action: Action::BlockPrincipal("p".into()), reason: "a\nb".into() };
        assert_eq!(validate_proposal(reason).unwrap_err().to_string(), "reason: control character U+000A at byte 1");
    }

    #[test]
    fn reports_have_slug_kinds_and_text_without_controls() {
        assert!(of(report("art73", "# Report\n\n| a\t|\n", "{}")).is_ok());
        for kind in ["", "Art73", "-x", "../art73", "art 73"] {
            assert!(of(report(kind, "", "{}")).unwrap_err().contains("is not a slug"), "{kind:?}");
        }
        assert_eq!(of(report("art73", "a\rb", "{}")).unwrap_err(), "markdown: control character U+000D at byte 1");
        assert!(of(report("aiid", "", "{\"t\":\"m\u{202e}\"}")).is_ok(), "JSON may quote anything");
        assert_eq!(of(report("aiid", "", "{\u{202e}")).unwrap_err(), "json: control character U+202E at byte 1");
        let notice = Notice { url: "http://h/\n".into(), body: "{}".into() };
        assert!(of(Action::Notify(notice)).unwrap_err().starts_with("url: "));
    }
}
