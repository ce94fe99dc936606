//! Findings: the host's own validated type, and the rules a plugin's finding meets.

use crate::Violation;
use crate::limits::{EVIDENCE, EXCERPT_BYTES, FIELD_BYTES, SLUG_BYTES, TECHNIQUE_BYTES, TECHNIQUES, TITLE_BYTES};
use crate::text::{check_text, is_slug};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Minor.
    Low,
    /// Needs a look.
    Medium,
    /// Needs action.
    High,
    /// Needs action now.
    Critical,
}

impl Severity {
    /// Every severity, least first.
    pub const ALL: [Severity; 5] =
        [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    /// Its name: `info` … `critical`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The severity of a name written by [`Severity::name`].
    pub fn parse(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Where a finding points, and what is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The field of the event, as in the JSON format: `payload.inference.input[0].content`.
    pub field: String,
    /// What is there, quoted; may hold any character of the event's own text.
    pub excerpt: String,
}

/// A finding that passed the boundary: its rule is `<configured plugin>/<slug>`,
/// its confidence finite in [0, 1], its strings checked and capped.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// `<configured plugin name>/<slug>`.
    pub rule: String,
    /// One line for a human.
    pub title: String,
    /// How bad.
    pub severity: Severity,
    /// How sure, in [0, 1].
    pub confidence: f32,
    /// MITRE ATLAS, OWASP LLM ids, or short slugs.
    pub techniques: Vec<String>,
    /// Where it points.
    pub evidence: Vec<Evidence>,
}

/// A finding as a plugin returned it, unchecked.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFinding {
    /// The rule it claims.
    pub rule: String,
    /// Its title.
    pub title: String,
    /// Its severity (the contract's enum has no invalid value).
    pub severity: Severity,
    /// Its confidence, possibly NaN or infinite.
    pub confidence: f32,
    /// Its technique ids.
    pub techniques: Vec<String>,
    /// Its evidence, `(field, excerpt)`.
    pub evidence: Vec<(String, String)>,
}

impl RawFinding {
    /// A raw finding with no techniques and no evidence.
    pub fn new(rule: &str, title: &str, severity: Severity, confidence: f32) -> Self {
        let (rule, title) = (rule.to_owned(), title.to_owned());
        Self { rule, title, severity, confidence, techniques: Vec::new(), evidence: Vec::new() }
    }
}

/// Which rule prefixes belong to a plugin: the name the operator configured it
/// under, and the name it declares in `info` (a renamed copy of a plugin still
/// writes its own name). Every rule it returns is bound to the configured name.
#[derive(Debug, Clone, Copy)]
pub struct Namespace<'a> {
    /// The operator's name for the plugin.
    pub configured: &'a str,
    /// The name the plugin's `info` gives, already validated.
    pub declared: &'a str,
}

/// The roots of an event's fields, as evidence names them.
const FIELD_ROOTS: &[&str] = &["id", "time", "source", "model", "principal", "session", "payload", "attributes"];

/// Check a plugin's finding; the finding the host keeps, with its rule bound to the
/// configured name, or the first rule it breaks.
pub fn validate_finding(ns: &Namespace<'_>, raw: RawFinding) -> Result<Finding, Violation> {
    let rule = bind_rule(ns, &raw.rule)?;
    check_text("title", &raw.title, TITLE_BYTES, &[], true)?;
    check_confidence(raw.confidence)?;
    check_techniques(&raw.techniques)?;
    check_evidence(&raw.evidence)?;
    let evidence = raw.evidence.into_iter().map(|(field, excerpt)| Evidence { field, excerpt }).collect();
    let RawFinding { title, severity, confidence, techniques, .. } = raw;
    Ok(Finding { rule, title, severity, confidence, techniques, evidence })
}

/// `<prefix>/<slug>` with the prefix the plugin's own, as `<configured>/<slug>`.
/// `aiir/` is the host's: no configured or declared name can be `aiir`.
fn bind_rule(ns: &Namespace<'_>, rule: &str) -> Result<String, Violation> {
    let shape = || {
        let own = if ns.configured == ns.declared {
            ns.configured.to_owned()
        } else {
            format!("{} or {}", ns.configured, ns.declared)
        };
        Violation::new(
            "rule",
            format!("{:?} is not <plugin>/<slug> with the plugin's own name ({own})", crate::cap(rule, 80)),
        )
    };
    let (prefix, slug) = rule.split_once('/').ok_or_else(shape)?;
    let own = prefix != "aiir" && (prefix == ns.configured || prefix == ns.declared);
    if !own || !is_slug(slug) || slug.len() > SLUG_BYTES {
        return Err(shape());
    }
    Ok(format!("{}/{slug}", ns.configured))
}

fn check_confidence(confidence: f32) -> Result<(), Violation> {
    if confidence.is_finite() && (0.0..=1.0).contains(&confidence) {
        Ok(())
    } else {
        Err(Violation::new("confidence", format!("{confidence} is not a number from 0 to 1")))
    }
}

fn check_techniques(techniques: &[String]) -> Result<(), Violation> {
    if techniques.len() > TECHNIQUES {
        return Err(Violation::new(
            "techniques",
            format!("{} ids, more than the cap of {TECHNIQUES}", techniques.len()),
        ));
    }
    match techniques.iter().position(|t| !is_technique(t)) {
        Some(i) => Err(Violation::new(
            format!("techniques[{i}]"),
            format!(
                "{:?} is neither an ATLAS id (AML.T0051.001), an OWASP LLM id (LLM01) nor a short slug",
                crate::cap(&techniques[i], 40)
            ),
        )),
        None => Ok(()),
    }
}

/// `AML.T0051`, `AML.T0051.001`, `AML.TA0004`, `LLM01`, or a slug of at most
/// [`TECHNIQUE_BYTES`].
fn is_technique(id: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let atlas = |rest: &str| match rest.split_once('.') {
        Some((t, sub)) => digits(t, 4) && digits(sub, 3),
        None => digits(rest, 4),
    };
    if let Some(rest) = id.strip_prefix("AML.TA") {
        return digits(rest, 4);
    }
    if let Some(rest) = id.strip_prefix("AML.T") {
        return atlas(rest);
    }
    if let Some(rest) = id.strip_prefix("LLM") {
        return digits(rest, 2);
    }
    is_slug(id) && id.len() <= TECHNIQUE_BYTES
}

fn check_evidence(evidence: &[(String, String)]) -> Result<(), Violation> {
    if evidence.len() > EVIDENCE {
        return Err(Violation::new("evidence", format!("{} entries, more than the cap of {EVIDENCE}", evidence.len())));
    }
    for (i, (field, excerpt)) in evidence.iter().enumerate() {
        check_field(field).map_err(|v| v.under(&format!("evidence[{i}]")))?;
        if excerpt.len() > EXCERPT_BYTES {
            let problem = format!("{} bytes, more than the cap of {EXCERPT_BYTES}", excerpt.len());
            return Err(Violation::new(format!("evidence[{i}].excerpt"), problem));
        }
    }
    Ok(())
}

/// A field path of the event: a known root, then segments without spaces or controls.
fn check_field(field: &str) -> Result<(), Violation> {
    check_text("field", field, FIELD_BYTES, &[], true)?;
    let root = field.split(['.', '[']).next().unwrap_or_default();
    if !FIELD_ROOTS.contains(&root) || field.contains(char::is_whitespace) {
        let problem = format!(
            "{:?} is not a field of the event (it starts with one of {})",
            crate::cap(field, 80),
            FIELD_ROOTS.join(", ")
        );
        return Err(Violation::new("field", problem));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: Namespace<'static> = Namespace { configured: "acme", declared: "acme" };

    fn raw(rule: &str) -> RawFinding {
        RawFinding::new(rule, "a title", Severity::High, 0.5)
    }

    fn problem(raw: RawFinding) -> String {
        validate_finding(&NS, raw).unwrap_err().to_string()
    }

    #[test]
    fn rules_belong_to_the_plugin_and_bind_to_its_configured_name() {
        assert_eq!(validate_finding(&NS, raw("acme/canary")).unwrap().rule, "acme/canary");
        let renamed = Namespace { configured: "pi-strict", declared: "prompt-injection" };
        assert_eq!(validate_finding(&renamed, raw("prompt-injection/direct")).unwrap().rule, "pi-strict/direct");
        for forged in ["aiir/not-inspected", "model-integrity/digest-changed", "acme", "acme/", "acme/Bad", "acme/a/b"]
        {
            assert!(problem(raw(forged)).starts_with("rule: "), "{forged} passed");
        }
        let aiir = Namespace { configured: "aiir", declared: "aiir" };
        assert!(validate_finding(&aiir, raw("aiir/quarantined-model")).is_err());
    }

    #[test]
    fn confidence_is_finite_and_within_zero_to_one() {
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -1e30, 7.0, -0.01] {
            let f = RawFinding { confidence: bad, ..raw("acme/x") };
            assert!(problem(f).starts_with("confidence: "), "{bad} passed");
        }
        assert!(validate_finding(&NS, RawFinding { confidence: 0.0, ..raw("acme/x") }).is_ok());
    }

    #[test]
    fn titles_are_one_line_and_capped() {
        let f = |title: &str| RawFinding { title: title.into(), ..raw("acme/x") };
        assert_eq!(problem(f("a\r\n## Corrective measures")), "title: control character U+000D at byte 1");
        assert!(problem(f("")).starts_with("title: is empty"));
        assert!(problem(f(&"x".repeat(TITLE_BYTES + 1))).starts_with("title: 513 bytes"));
    }

    #[test]
    fn techniques_have_the_shape_of_an_id() {
        let f =
            |ids: &[&str]| RawFinding { techniques: ids.iter().map(|s| (*s).to_owned()).collect(), ..raw("acme/x") };
        assert!(validate_finding(&NS, f(&["AML.T0051.001", "AML.T0054", "AML.TA0004", "LLM01", "canary"])).is_ok());
        for bad in ["AML.T51", "LLM1", "Some Text", "\x1b[31m", "AML.T0051.1"] {
            assert!(problem(f(&[bad])).starts_with("techniques[0]: "), "{bad} passed");
        }
        assert!(problem(f(&["LLM01"; TECHNIQUES + 1])).starts_with("techniques: 17 ids"));
    }

    #[test]
    fn evidence_points_at_a_field_and_quotes_anything() {
        let f =
            |field: &str, excerpt: &str| RawFinding { evidence: vec![(field.into(), excerpt.into())], ..raw("acme/x") };
        assert!(validate_finding(&NS, f("payload.inference.input[0].content", "\x1b[2J quoted as it was")).is_ok());
        assert!(validate_finding(&NS, f("attributes.gen_ai.system", "x")).is_ok());
        assert!(problem(f("evil", "x")).starts_with("evidence[0].field: "));
        assert!(problem(f("payload.x y", "x")).starts_with("evidence[0].field: "));
        assert!(problem(f("payload.x", &"x".repeat(EXCERPT_BYTES + 1))).starts_with("evidence[0].excerpt: "));
    }

    #[test]
    fn severities_round_trip_by_name() {
        assert!(Severity::ALL.iter().all(|s| Severity::parse(s.name()) == Some(*s)));
        assert!(Severity::Critical > Severity::High);
    }
}
