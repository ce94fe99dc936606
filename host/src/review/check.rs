//! Checking a case: what the plugin found against what the case expects and forbids,
//! and the readable diff of a case that fails.

use super::cases::{Case, Expect, Forbid, Level};
use crate::runtime::Finding;
use serde::Serialize;

/// A finding with the id of the event it was found in.
#[derive(Debug, Clone)]
pub struct Found {
    /// The event's id.
    pub event: String,
    /// What the plugin returned.
    pub finding: Finding,
}

/// Why a case failed. Findings are named by their 1-based number in the case's list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Failure {
    /// An expectation matched the wrong number of findings.
    Unmet {
        /// The expectation, as in the diff: `rule prompt-injection/direct, count 2`.
        expected: String,
        /// The findings that matched it.
        matched: Vec<usize>,
    },
    /// A finding matched a `forbid` entry.
    Forbidden {
        /// The entry, as in the diff.
        forbidden: String,
        /// The findings that matched it.
        matched: Vec<usize>,
    },
    /// `none = true`, yet the plugin found something.
    NotNone {
        /// Every finding.
        matched: Vec<usize>,
    },
    /// The plugin failed on an event.
    PluginError {
        /// The event's id.
        event: String,
        /// The reason code: `fuel`, `panic`, …
        reason: String,
        /// What happened.
        detail: String,
    },
    /// `configure` rejected the case's settings, one `path: message` per error.
    Settings {
        /// The errors.
        errors: Vec<String>,
    },
    /// The plugin could not be started for the case.
    Start {
        /// What happened.
        detail: String,
    },
}

/// The fields of an `expect` or `forbid` entry that a finding must all match.
struct Matcher<'a> {
    rule: Option<&'a str>,
    min_severity: Option<Level>,
    technique: Option<&'a str>,
    event: Option<&'a str>,
}

impl Matcher<'_> {
    fn matches(&self, found: &Found) -> bool {
        let f = &found.finding;
        self.rule.is_none_or(|r| f.rule == r)
            && self.min_severity.is_none_or(|min| Level::from(f.severity) >= min)
            && self.technique.is_none_or(|t| f.techniques.iter().any(|ft| ft == t))
            && self.event.is_none_or(|e| found.event == e)
    }

    /// The 1-based numbers of the findings that match.
    fn matching(&self, found: &[Found]) -> Vec<usize> {
        (1..).zip(found).filter(|(_, f)| self.matches(f)).map(|(n, _)| n).collect()
    }

    /// `rule r, severity ≥ high, technique t, event c1`: the fields given.
    fn describe(&self) -> Vec<String> {
        let mut parts = Vec::new();
        parts.extend(self.rule.map(|r| format!("rule {r}")));
        parts.extend(self.min_severity.map(|s| format!("severity ≥ {s}")));
        parts.extend(self.technique.map(|t| format!("technique {t}")));
        parts.extend(self.event.map(|e| format!("event {e}")));
        parts
    }
}

impl<'a> From<&'a Expect> for Matcher<'a> {
    fn from(e: &'a Expect) -> Self {
        let (technique, event) = (e.technique.as_deref(), e.event.as_deref());
        Self { rule: Some(&e.rule), min_severity: e.min_severity, technique, event }
    }
}

impl<'a> From<&'a Forbid> for Matcher<'a> {
    fn from(f: &'a Forbid) -> Self {
        let (technique, event) = (f.technique.as_deref(), f.event.as_deref());
        Self { rule: f.rule.as_deref(), min_severity: f.min_severity, technique, event }
    }
}

/// Every way the findings of a case miss what it asks for, in file order.
pub fn check(case: &Case, found: &[Found]) -> Vec<Failure> {
    let mut failures = Vec::new();
    for e in &case.expect {
        let matcher = Matcher::from(e);
        let matched = matcher.matching(found);
        let met = match e.count {
            Some(n) => matched.len() == n,
            None => !matched.is_empty(),
        };
        if !met {
            let mut parts = matcher.describe();
            parts.push(e.count.map_or("at least one".into(), |n| format!("count {n}")));
            failures.push(Failure::Unmet { expected: parts.join(", "), matched });
        }
    }
    for f in &case.forbid {
        let matcher = Matcher::from(f);
        let matched = matcher.matching(found);
        if !matched.is_empty() {
            let parts = matcher.describe();
            let forbidden = if parts.is_empty() { "any finding".into() } else { parts.join(", ") };
            failures.push(Failure::Forbidden { forbidden, matched });
        }
    }
    if case.none && !found.is_empty() {
        failures.push(Failure::NotNone { matched: (1..=found.len()).collect() });
    }
    failures
}

/// The diff of a failing case: each failure, then every finding of the case, so
/// that a near miss (the right rule at the wrong severity) shows beside what was
/// expected.
pub fn diff(failures: &[Failure], found: &[Found]) -> Vec<String> {
    let mut lines: Vec<String> = failures.iter().flat_map(Failure::lines).collect();
    let shows_findings = failures
        .iter()
        .any(|f| matches!(f, Failure::Unmet { .. } | Failure::Forbidden { .. } | Failure::NotNone { .. }));
    if shows_findings || !found.is_empty() {
        lines.push(match found.len() {
            0 => "found:     no findings".into(),
            1 => "found:     1 finding".into(),
            n => format!("found:     {n} findings"),
        });
        lines.extend((1..).zip(found).map(|(n, f)| format!("  #{n} {}", describe(f))));
    }
    lines
}

impl Failure {
    /// The failure as lines of the diff.
    fn lines(&self) -> Vec<String> {
        match self {
            Failure::Unmet { expected, matched } => vec![format!("expected:  {expected}"), got(matched)],
            Failure::Forbidden { forbidden, matched } => vec![format!("forbidden: {forbidden}"), got(matched)],
            Failure::NotNone { matched } => vec!["expected:  no findings".into(), got(matched)],
            Failure::PluginError { event, reason, detail } => {
                vec![format!("error:     event {event}: plugin error {reason}: {detail}")]
            }
            Failure::Settings { errors } => {
                let mut lines = vec!["error:     the plugin rejected the case's settings".to_owned()];
                lines.extend(errors.iter().map(|e| format!("           {e}")));
                lines
            }
            Failure::Start { detail } => vec![format!("error:     cannot start the plugin: {detail}")],
        }
    }
}

/// `got:       2 (#1, #3)`, or `none`: how many findings matched, and which.
fn got(matched: &[usize]) -> String {
    if matched.is_empty() {
        return "got:       none".into();
    }
    let numbers: Vec<String> = matched.iter().map(|n| format!("#{n}")).collect();
    format!("got:       {} ({})", matched.len(), numbers.join(", "))
}

/// One finding on one line: rule, severity, confidence, techniques, event, evidence field.
pub fn describe(found: &Found) -> String {
    let f = &found.finding;
    let fields: Vec<&str> = f.evidence.iter().map(|e| e.field.as_str()).collect();
    let techniques = if f.techniques.is_empty() { "-".into() } else { f.techniques.join(" ") };
    format!(
        "{}  {}  confidence {:.2}  techniques {techniques}  event {}  at {}",
        f.rule,
        Level::from(f.severity),
        f.confidence,
        found.event,
        if fields.is_empty() { "-".into() } else { fields.join(", ") },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{Evidence, Severity};

    fn found(event: &str, rule: &str, severity: Severity, techniques: &[&str]) -> Found {
        let finding = Finding {
            rule: rule.into(),
            title: "t".into(),
            severity,
            confidence: 0.9,
            techniques: techniques.iter().map(|t| (*t).to_owned()).collect(),
            evidence: vec![Evidence { field: "payload.inference.input[0].content".into(), excerpt: "x".into() }],
        };
        Found { event: event.into(), finding }
    }

    fn case(expect: Vec<Expect>, forbid: Vec<Forbid>, none: bool) -> Case {
        let (settings, settings_path) = ("{}".into(), "settings".into());
        Case { name: "c".into(), settings, settings_path, events: Vec::new(), expect, forbid, none }
    }

    fn expect(rule: &str) -> Expect {
        Expect { rule: rule.into(), ..Expect::default() }
    }

    fn sample() -> Vec<Found> {
        vec![
            found("c1", "pi/direct", Severity::Medium, &["AML.T0051.000", "LLM01"]),
            found("c2", "pi/indirect", Severity::High, &["AML.T0051.001", "LLM01"]),
        ]
    }

    #[test]
    fn an_expectation_is_met_by_findings_matching_every_given_field() {
        let met = [
            expect("pi/direct"),
            Expect { min_severity: Some(Level::High), ..expect("pi/indirect") },
            Expect { technique: Some("LLM01".into()), count: Some(1), ..expect("pi/direct") },
            Expect { event: Some("c2".into()), count: Some(1), ..expect("pi/indirect") },
        ];
        assert_eq!(check(&case(met.to_vec(), vec![], false), &sample()), []);
    }

    #[test]
    fn unmet_expectations_say_what_was_expected_and_what_matched() {
        let unmet = vec![
            Expect { count: Some(2), ..expect("pi/direct") },
            Expect { min_severity: Some(Level::High), ..expect("pi/direct") },
            Expect { technique: Some("AML.T0054".into()), event: Some("c1".into()), ..expect("pi/direct") },
        ];
        let failures = check(&case(unmet, vec![], false), &sample());
        let expected = [
            ("rule pi/direct, count 2", vec![1]),
            ("rule pi/direct, severity ≥ high, at least one", vec![]),
            ("rule pi/direct, technique AML.T0054, event c1, at least one", vec![]),
        ];
        let want: Vec<Failure> =
            expected.into_iter().map(|(e, matched)| Failure::Unmet { expected: e.into(), matched }).collect();
        assert_eq!(failures, want);
    }

    #[test]
    fn forbid_and_none_catch_findings_that_should_not_be_there() {
        let forbid = vec![
            Forbid { rule: Some("pi/indirect".into()), ..Forbid::default() },
            Forbid { event: Some("c1".into()), min_severity: Some(Level::High), ..Forbid::default() },
        ];
        let failures = check(&case(vec![], forbid, true), &sample());
        assert_eq!(
            failures,
            [
                Failure::Forbidden { forbidden: "rule pi/indirect".into(), matched: vec![2] },
                Failure::NotNone { matched: vec![1, 2] },
            ]
        );
        assert_eq!(check(&case(vec![], vec![], true), &[]), []);
    }

    #[test]
    fn the_diff_shows_each_failure_then_every_finding() {
        let failures = check(&case(vec![Expect { count: Some(2), ..expect("pi/direct") }], vec![], false), &sample());
        assert_eq!(
            diff(&failures, &sample()),
            [
                "expected:  rule pi/direct, count 2",
                "got:       1 (#1)",
                "found:     2 findings",
                "  #1 pi/direct  medium  confidence 0.90  techniques AML.T0051.000 LLM01  event c1  at payload.inference.input[0].content",
                "  #2 pi/indirect  high  confidence 0.90  techniques AML.T0051.001 LLM01  event c2  at payload.inference.input[0].content",
            ]
        );
        let unmet = check(&case(vec![expect("pi/jailbreak")], vec![], false), &[]);
        assert_eq!(
            diff(&unmet, &[]),
            ["expected:  rule pi/jailbreak, at least one", "got:       none", "found:     no findings"]
        );
    }
}
