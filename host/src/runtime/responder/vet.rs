//! The shape of a proposal, checked where it leaves the plugin: a responder's output
//! is data, never authority. Names are short single lines, a report kind is a slug,
//! and an empty version or digest means none. What a proposal may *touch* (its
//! incident's scope, the operator's grants) is checked beside the actuators.

use crate::output::terminal;
use crate::runtime::{Action, ModelRef, Notice, Proposal, Report};
use aiir_boundary::{is_slug, is_unsafe};

/// The most bytes of a name: a model, version, digest, principal or report kind.
pub const MAX_NAME: usize = 256;
/// The most bytes of a reason.
pub const MAX_REASON: usize = 1024;
/// The most bytes of a webhook URL.
pub const MAX_URL: usize = 2048;

/// How much of a bad value a message quotes.
const QUOTE: usize = 40;

/// Check a proposal's shape and normalise it: `Some("")` versions and digests
/// become `None`. The error names the offending part.
pub fn proposal(p: Proposal) -> Result<Proposal, String> {
    line("reason", &p.reason, MAX_REASON, Empty::Allowed)?;
    let action = match p.action {
        Action::RollbackModel(model) => Action::RollbackModel(name("model", model)?),
        Action::QuarantineModel(m) => Action::QuarantineModel(model_ref(m)?),
        Action::BlockPrincipal(principal) => Action::BlockPrincipal(name("principal", principal)?),
        Action::Notify(n) => {
            line("url", &n.url, MAX_URL, Empty::Refused)?;
            let body = json("body", n.body)?;
            Action::Notify(Notice { body, ..n })
        }
        Action::FileReport(r) => {
            slug("report kind", &r.kind)?;
            text("markdown", &r.markdown)?;
            let json = json("json", r.json)?;
            Action::FileReport(Report { json, ..r })
        }
    };
    Ok(Proposal { action, ..p })
}

/// A quarantine's model: a name, and a version and digest that are absent rather
/// than empty.
fn model_ref(m: ModelRef) -> Result<ModelRef, String> {
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

#[derive(Clone, Copy, PartialEq)]
enum Empty {
    Allowed,
    Refused,
}

/// A name: one non-empty line of at most [`MAX_NAME`] bytes.
fn name(what: &str, value: String) -> Result<String, String> {
    line(what, &value, MAX_NAME, Empty::Refused)?;
    Ok(value)
}

/// One line of at most `max` bytes without control or bidi characters.
fn line(what: &str, value: &str, max: usize, empty: Empty) -> Result<(), String> {
    if empty == Empty::Refused && value.is_empty() {
        return Err(format!("the {what} is empty"));
    }
    if value.len() > max {
        return Err(format!("the {what} is {} bytes, more than {max}", value.len()));
    }
    match value.chars().find(|&c| is_unsafe(c)) {
        Some(c) => Err(format!("the {what} {} contains {c:?}", quote(value))),
        None => Ok(()),
    }
}

/// Text of several lines (a report, a notice's body): no control or bidi
/// characters but newlines and tabs; its size counts against `max_output_bytes`.
fn text(what: &str, value: &str) -> Result<(), String> {
    match value.chars().find(|&c| c != '\n' && c != '\t' && is_unsafe(c)) {
        Some(c) => Err(format!("the {what} contains {c:?}")),
        None => Ok(()),
    }
}

/// A report's JSON or a notice's body: JSON quotes the incident, whose text may hold
/// any character, so in JSON the unsafe ones are written as `\u` escapes (the same
/// JSON); anything else is [`text`] (the notifier refuses a body that is not JSON).
fn json(what: &str, value: String) -> Result<String, String> {
    let escaped = terminal::json(&value);
    if serde_json::from_str::<serde::de::IgnoredAny>(&escaped).is_ok() {
        return Ok(escaped.into_owned());
    }
    text(what, &value)?;
    Ok(value)
}

/// A report kind, part of a file name: `[a-z0-9][a-z0-9-]*`.
fn slug(what: &str, value: &str) -> Result<(), String> {
    if is_slug(value) && value.len() <= MAX_NAME {
        Ok(())
    } else {
        Err(format!("the {what} {} is not a slug: lowercase letters, digits and dashes", quote(value)))
    }
}

/// A bad value for a message: escaped, and cut to its first characters.
fn quote(value: &str) -> String {
    let cut: String = value.chars().take(QUOTE).collect();
    let more = if cut.len() < value.len() { "…" } else { "" };
    format!("{cut:?}{more}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(action: Action) -> Result<Action, String> {
        proposal(Proposal { action, reason: "why".into() }).map(|p| p.action)
    }

    fn quarantine(version: Option<&str>, digest: Option<&str>) -> Action {
        let m = ModelRef { name: "m".into(), version: version.map(Into::into), digest: digest.map(Into::into) };
        Action::QuarantineModel(m)
    }

    fn report(kind: &str, markdown: &str) -> Action {
        Action::FileReport(Report { kind: kind.into(), markdown: markdown.into(), json: "{}".into() })
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
        assert_eq!(of(Action::BlockPrincipal(String::new())).unwrap_err(), "the principal is empty");
        assert_eq!(
            of(Action::RollbackModel("m\x1b[2J".into())).unwrap_err(),
            "the model \"m\\u{1b}[2J\" contains '\\u{1b}'"
        );
        assert_eq!(
            of(quarantine(Some("1"), Some("sha\u{202e}"))).unwrap_err(),
            "the digest \"sha\\u{202e}\" contains '\\u{202e}'"
        );
        let long = "p".repeat(MAX_NAME + 1);
        assert_eq!(of(Action::BlockPrincipal(long)).unwrap_err(), "the principal is 257 bytes, more than 256");
        let reason = Proposal { action: Action::BlockPrincipal("p".into()), reason: "a\nb".into() };
        assert_eq!(proposal(reason).unwrap_err(), "the reason \"a\\nb\" contains '\\n'");
    }

    #[test]
    fn reports_have_slug_kinds_and_text_without_controls() {
        assert!(of(report("art73", "# Report\n\n| a\t|\n")).is_ok());
        for kind in ["", "Art73", "-x", "../art73", "art 73"] {
            assert!(of(report(kind, "")).unwrap_err().contains("is not a slug"), "{kind:?}");
        }
        assert_eq!(of(report("art73", "a\rb")).unwrap_err(), "the markdown contains '\\r'");
        let quoting = Action::FileReport(Report {
            kind: "aiid".into(),
            markdown: String::new(),
            json: "{\"t\":\"m\u{202e}\"}".into(),
        });
        let Ok(Action::FileReport(r)) = of(quoting) else { panic!("a report quoting a bidi override is kept") };
        assert_eq!(r.json, r#"{"t":"m\u202e"}"#);
        let broken =
            Action::FileReport(Report { kind: "aiid".into(), markdown: String::new(), json: "{\u{202e}".into() });
        assert_eq!(of(broken).unwrap_err(), "the json contains '\\u{202e}'");
        let notice = Notice { url: "http://h/\n".into(), body: "{}".into() };
        assert!(of(Action::Notify(notice)).unwrap_err().starts_with("the url"));
    }
}
