//! Correlation: which incident a finding belongs to.
//!
//! A finding is grouped by its *family* (the configured role of the plugin that
//! found it, see [`crate::role`]; [`host_family`] for the host's own) and by what
//! that family is about ([`group`]): the model for tampering and poisoning, the principal for
//! extraction, the session (else the principal) for the rest. Findings of one group
//! within [`Correlation::window`] of each other are one incident; its severity is the
//! highest of its findings, raised one step at each of [`Correlation::escalate_at`].
//! These are pure functions; the store applies them inside its ingest transaction.
//!
//! ```
//! use aiir_host::correlate::{host_family, Family};
//! assert_eq!(host_family("aiir/not-inspected"), Family::NotInspected);
//! assert_eq!(Family::parse("prompt-injection"), Some(Family::PromptInjection));
//! ```

use crate::problem::Problem;
use crate::runtime::{Event, ModelRef, Payload, Severity};
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// What a group of findings is about: the incident's technique family.
///
/// Jailbreaks and indirect injection count as prompt injection: all three are one
/// attacker steering the model through its input, and a responder that contains one
/// (blocking the principal) contains the others. Exfiltration through rendered links or
/// tool calls counts as data leakage: what is lost is the same data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// A model artifact that is not what it should be (supply chain, backdoor, quarantine).
    ModelIntegrity,
    /// Training data that teaches the model something it should not learn.
    DataPoisoning,
    /// Someone copying the model (or its cost) through its API.
    ModelExtraction,
    /// Direct or indirect prompt injection and jailbreaks.
    PromptInjection,
    /// The system prompt drawn out of the model.
    SystemPromptLeak,
    /// Sensitive data leaving through the model's output or its tools.
    DataLeakage,
    /// A model's tool calls doing damage (excessive agency).
    ToolAbuse,
    /// Events from a principal the operator blocked.
    BlockedPrincipal,
    /// Events a fail-closed plugin could not inspect.
    NotInspected,
    /// Anything that names no known technique.
    Other,
}

impl Family {
    /// Every family, for listings and round trips.
    pub const ALL: [Family; 10] = [
        Family::ModelIntegrity,
        Family::DataPoisoning,
        Family::ModelExtraction,
        Family::PromptInjection,
        Family::SystemPromptLeak,
        Family::DataLeakage,
        Family::ToolAbuse,
        Family::BlockedPrincipal,
        Family::NotInspected,
        Family::Other,
    ];

    /// Its name, as stored and as responders see it: `model-integrity`.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::ModelIntegrity => "model-integrity",
            Family::DataPoisoning => "data-poisoning",
            Family::ModelExtraction => "model-extraction",
            Family::PromptInjection => "prompt-injection",
            Family::SystemPromptLeak => "system-prompt-leak",
            Family::DataLeakage => "data-leakage",
            Family::ToolAbuse => "tool-abuse",
            Family::BlockedPrincipal => "blocked-principal",
            Family::NotInspected => "not-inspected",
            Family::Other => "other",
        }
    }

    /// The family of a name written by [`Family::as_str`].
    pub fn parse(name: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// What its incidents are grouped by first.
    fn scopes(self) -> &'static [Scope] {
        use Scope::*;
        match self {
            Family::ModelIntegrity | Family::DataPoisoning => &[Model, Principal, Session],
            Family::ModelExtraction | Family::BlockedPrincipal => &[Principal, Session, Model],
            _ => &[Session, Principal, Model],
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The family of one of the host's own findings (`aiir/…`). Only the host writes
/// such rules (the boundary refuses them from plugins); a plugin's findings take the
/// family of its [`Role`](crate::role::Role).
pub fn host_family(rule: &str) -> Family {
    match rule {
        "aiir/quarantined-model" => Family::ModelIntegrity,
        "aiir/blocked-principal" => Family::BlockedPrincipal,
        "aiir/not-inspected" => Family::NotInspected,
        _ => Family::Other,
    }
}

/// What an incident's findings have in common.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One model.
    Model,
    /// One conversation or agent session.
    Session,
    /// One user, API key or service account.
    Principal,
}

impl Scope {
    /// Its name as stored: `model`, `session`, `principal`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Model => "model",
            Scope::Session => "session",
            Scope::Principal => "principal",
        }
    }

    /// The scope of a name written by [`Scope::as_str`].
    pub fn parse(name: &str) -> Option<Scope> {
        [Scope::Model, Scope::Session, Scope::Principal].into_iter().find(|s| s.as_str() == name)
    }

    fn key_of(self, event: &Event) -> Option<&str> {
        match self {
            Scope::Model => event_model(event).map(|m| m.name.as_str()),
            Scope::Session => event.session.as_deref(),
            Scope::Principal => event.principal.as_deref(),
        }
        .filter(|k| !k.is_empty())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The group of a finding: its family, and the scope and key its incidents share.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Group {
    /// The technique family.
    pub family: Family,
    /// What the key names.
    pub scope: Scope,
    /// The model name, session id or principal.
    pub key: String,
}

impl Group {
    /// A one-line title for an incident of this group: `prompt-injection in session s-1`.
    pub fn title(&self) -> String {
        let by = match self.scope {
            Scope::Model => "on",
            Scope::Session => "in",
            Scope::Principal => "by",
        };
        format!("{} {by} {} {}", self.family, self.scope, self.key)
    }
}

/// The model an event is about: the one that served it, or for a lifecycle event
/// (which names its model in the payload) the one deployed, loaded or promoted.
pub fn event_model(event: &Event) -> Option<&ModelRef> {
    match &event.payload {
        Payload::ModelLifecycle(l) => Some(&l.model),
        _ => event.model.as_ref(),
    }
}

/// The group of a finding of `family` in `event`: the family's preferred scope, else
/// the next one the event has a value for. An event with no model, session or
/// principal is grouped by its log source, standing in for the model.
pub fn group(family: Family, event: &Event) -> Group {
    let found = family.scopes().iter().find_map(|&scope| scope.key_of(event).map(|key| (scope, key.to_owned())));
    let (scope, key) = found.unwrap_or_else(|| (Scope::Model, format!("source:{}", event.source)));
    Group { family, scope, key }
}

/// The rank of a severity, `info` = 0 … `critical` = 4.
pub fn rank(s: Severity) -> u8 {
    match s {
        Severity::Info => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

/// The severity of a rank, capped at `critical`.
pub fn from_rank(rank: u8) -> Severity {
    match rank {
        0 => Severity::Info,
        1 => Severity::Low,
        2 => Severity::Medium,
        3 => Severity::High,
        _ => Severity::Critical,
    }
}

/// How findings become incidents: the `[correlate]` table.
///
/// ```toml
/// [correlate]
/// window = "1h"          # findings further apart than this are separate incidents
/// escalate_at = [3, 10]  # raise the severity one step at 3 findings, again at 10
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Correlation {
    /// `window = "1h"`: `s`, `m`, `h` or `d` after a whole number.
    #[serde(deserialize_with = "deserialize_window")]
    pub window: Duration,
    /// `escalate_at = [3, 10]`: finding counts, ascending, each above zero.
    pub escalate_at: Vec<u32>,
}

impl Default for Correlation {
    fn default() -> Self {
        Self { window: Duration::from_secs(3600), escalate_at: vec![3, 10] }
    }
}

impl Correlation {
    /// The window in nanoseconds, as event times are.
    pub fn window_nanos(&self) -> u64 {
        u64::try_from(self.window.as_nanos()).unwrap_or(u64::MAX)
    }

    /// The severity of an incident whose findings' highest is `highest` and which has
    /// `count` findings: one step up for each threshold reached, at most `critical`.
    pub fn severity(&self, highest: Severity, count: u32) -> Severity {
        let steps = self.escalate_at.iter().filter(|&&at| count >= at).count();
        from_rank(rank(highest).saturating_add(u8::try_from(steps).unwrap_or(u8::MAX)))
    }

    /// Problems with values that parse but make no sense, at their TOML paths below `path`.
    pub fn problems(&self, path: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.window.is_zero() {
            problems.push(Problem::new(format!("{path}.window"), "the window must be longer than zero"));
        }
        let ascending = self.escalate_at.windows(2).all(|w| w[0] < w[1]);
        if !ascending || self.escalate_at.contains(&0) {
            problems.push(Problem::new(
                format!("{path}.escalate_at"),
                format!("{:?} must be finding counts above zero in ascending order", self.escalate_at),
            ));
        }
        problems
    }
}

fn deserialize_window<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

/// Parse `"90s"`, `"30m"`, `"1h"`, `"2d"`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration: write a whole number and s, m, h or d, like \"30m\"");
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = t.split_at(split);
    let n: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(seconds).map(Duration::from_secs).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(model: Option<&str>, session: Option<&str>, principal: Option<&str>) -> Event {
        Event {
            id: "e1".into(),
            time_unix_nano: 0,
            source: "api".into(),
            model: model.map(|m| ModelRef { name: m.into(), version: None, digest: None }),
            principal: principal.map(Into::into),
            session: session.map(Into::into),
            payload: Payload::Custom(crate::runtime::Custom { kind: "x".into(), data: "{}".into() }),
            attributes: Vec::new(),
        }
    }

    #[test]
    fn host_rules_have_their_families_and_round_trip() {
        assert_eq!(host_family("aiir/quarantined-model"), Family::ModelIntegrity);
        assert_eq!(host_family("aiir/blocked-principal"), Family::BlockedPrincipal);
        assert_eq!(host_family("aiir/not-inspected"), Family::NotInspected);
        assert!(Family::ALL.iter().all(|f| Family::parse(f.as_str()) == Some(*f)));
    }

    #[test]
    fn groups_prefer_the_family_scope_and_fall_back() {
        let full = event(Some("m"), Some("s"), Some("p"));
        let g = |f, e: &Event| {
            let g = group(f, e);
            (g.scope, g.key)
        };
        assert_eq!(g(Family::ModelIntegrity, &full), (Scope::Model, "m".into()));
        assert_eq!(g(Family::ModelExtraction, &full), (Scope::Principal, "p".into()));
        assert_eq!(g(Family::PromptInjection, &full), (Scope::Session, "s".into()));
        assert_eq!(g(Family::PromptInjection, &event(Some("m"), None, Some("p"))), (Scope::Principal, "p".into()));
        assert_eq!(g(Family::DataPoisoning, &event(None, Some("s"), None)), (Scope::Session, "s".into()));
        assert_eq!(g(Family::ToolAbuse, &event(None, Some(""), None)), (Scope::Model, "source:api".into()));
        assert_eq!(group(Family::PromptInjection, &full).title(), "prompt-injection in session s");
        // A lifecycle event names its model in the payload: a swapped artifact groups by it.
        let model = ModelRef { name: "assistant".into(), version: Some("2.3.1".into()), digest: None };
        let lifecycle = crate::runtime::ModelLifecycle { action: "deployed".into(), model, registry: None };
        let deploy = Event { payload: Payload::ModelLifecycle(lifecycle), ..event(None, None, Some("p")) };
        assert_eq!(g(Family::ModelIntegrity, &deploy), (Scope::Model, "assistant".into()));
        assert_eq!(event_model(&deploy).and_then(|m| m.version.as_deref()), Some("2.3.1"));
    }

    #[test]
    fn severity_is_escalated_at_each_threshold_and_capped() {
        let c = Correlation::default();
        assert_eq!(c.severity(Severity::Medium, 2), Severity::Medium);
        assert_eq!(c.severity(Severity::Medium, 3), Severity::High);
        assert_eq!(c.severity(Severity::Medium, 10), Severity::Critical);
        assert_eq!(c.severity(Severity::High, 50), Severity::Critical);
    }

    #[test]
    fn windows_parse_and_bad_values_are_problems_at_their_path() {
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_duration("1 week").is_err() && parse_duration("h").is_err() && parse_duration("").is_err());
        let c: Correlation = toml::from_str("window = \"90s\"").unwrap();
        assert_eq!((c.window, c.escalate_at), (Duration::from_secs(90), vec![3, 10]));
        let mut problems = Vec::new();
        let value = toml::from_str("window = \"soon\"\nescalate_at = [5, 2]").unwrap();
        let c: Correlation = crate::config::parse_lenient(value, "correlate", &mut problems).unwrap();
        assert_eq!(problems[0].path, "correlate.window");
        problems = c.problems("correlate");
        assert_eq!(problems[0].path, "correlate.escalate_at");
        let zero = Correlation { window: Duration::ZERO, escalate_at: vec![0] };
        assert_eq!(zero.problems("correlate").len(), 2);
    }
}
