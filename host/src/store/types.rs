//! The store's records: what its queries return and its writes take.

use super::{StoreError, uint};
use crate::correlate::{Family, Scope};
use crate::runtime::{Finding, ModelRef, Severity};
use rusqlite::Row;
use std::fmt;

/// Text enums stored by name: `as_str` writes, `parse` reads.
macro_rules! named {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant,)+ }

        impl $name {
            /// Its name as stored and shown.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            /// The value of a stored name.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named! {
    /// Where an incident is in its lifecycle; the order is the lifecycle's.
    State {
        /// Detected; nothing done yet.
        Open = "open",
        /// The attack is stopped from going on.
        Contained = "contained",
        /// Service is back to a known-good state.
        Recovered = "recovered",
        /// Done with; later findings open a new incident.
        Closed = "closed",
    }
}

named! {
    /// What an action does.
    ActionKind {
        /// Move a model's serving alias back to a known-good version.
        RollbackModel = "rollback-model",
        /// Quarantine a model version.
        QuarantineModel = "quarantine-model",
        /// Block a principal.
        BlockPrincipal = "block-principal",
        /// POST a notice to a webhook.
        Notify = "notify",
        /// Write a report.
        FileReport = "file-report",
    }
}

named! {
    /// The operator's policy for a responder's actions.
    Mode {
        /// Record what would be done; do nothing.
        DryRun = "dry-run",
        /// Do it.
        Enforce = "enforce",
        /// Queue it until an operator approves.
        Approve = "approve",
    }
}

named! {
    /// What became of an action.
    ActionStatus {
        /// Proposed; not yet decided.
        Proposed = "proposed",
        /// Recorded only, by a dry-run policy.
        DryRun = "dry-run",
        /// Waiting for an operator's approval.
        Pending = "pending",
        /// Carried out.
        Executed = "executed",
        /// Tried and failed; `result` says why.
        Failed = "failed",
        /// Refused: by an operator, or by aiir when the operator's policy does not
        /// grant it (out of the incident's scope, a report from a responder that may
        /// not file one); `result` says why. Never carried out.
        Rejected = "rejected",
    }
}

/// Which incidents to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Every incident.
    All,
    /// Every incident not closed.
    Active,
    /// The incidents in one state.
    In(State),
}

/// An incident as stored.
#[derive(Debug, Clone)]
pub struct IncidentRecord {
    /// `INC-0007`.
    pub id: String,
    /// One line for a human.
    pub title: String,
    /// The technique family of its findings.
    pub family: Family,
    /// What its findings were grouped by.
    pub scope: Scope,
    /// The model name, session id or principal.
    pub key: String,
    /// The highest of its findings', escalated with their number.
    pub severity: Severity,
    /// Where it is in its lifecycle.
    pub state: State,
    /// The model of its latest finding's event.
    pub model: Option<ModelRef>,
    /// Time of its first event, ns since the Unix epoch.
    pub first_seen: u64,
    /// Time of its latest event.
    pub last_seen: u64,
    /// When aiir opened it: the moment of awareness.
    pub opened_at: u64,
    /// How many findings it has.
    pub finding_count: u32,
    /// How many of them responders were asked about.
    pub responded_count: u32,
    /// When it last changed.
    pub updated_at: u64,
}

/// An incident with what its findings have in common, as responders see it.
#[derive(Debug, Clone)]
pub struct IncidentDetail {
    /// The incident.
    pub incident: IncidentRecord,
    /// Every principal of its findings' events, sorted.
    pub principals: Vec<String>,
    /// Every session of its findings' events, sorted.
    pub sessions: Vec<String>,
    /// Every technique id of its findings, sorted.
    pub techniques: Vec<String>,
    /// Every rule that fired in it, sorted.
    pub rules: Vec<String>,
    /// Every model artifact its findings' events name (name, version, digest; an
    /// empty version or digest is none), each once, sorted: what its responders may
    /// act on.
    pub artifacts: Vec<ModelRef>,
}

/// A finding as stored, with the event it came from.
#[derive(Debug, Clone)]
pub struct StoredFinding {
    /// Its row id.
    pub id: i64,
    /// The event's id.
    pub event_id: String,
    /// The event's time.
    pub time_unix_nano: u64,
    /// The event's source.
    pub source: String,
    /// The detector that found it.
    pub plugin: String,
    /// The event's model.
    pub model: Option<ModelRef>,
    /// The event's principal.
    pub principal: Option<String>,
    /// The event's session.
    pub session: Option<String>,
    /// The incident it belongs to.
    pub incident_id: Option<String>,
    /// The finding, with its evidence.
    pub finding: Finding,
}

/// An action for [`super::Store::propose`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewAction {
    /// The incident it answers.
    pub incident_id: String,
    /// The responder that proposed it.
    pub responder: String,
    /// What it does.
    pub kind: ActionKind,
    /// What it acts on: the model, `model@version`, the principal, the URL or the report kind.
    pub target: String,
    /// Everything else it needs, JSON (a notice's body, a report's text).
    pub payload: serde_json::Value,
    /// Why, one line.
    pub reason: String,
    /// The policy it falls under.
    pub mode: Mode,
}

/// An action as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRecord {
    /// Its id.
    pub id: i64,
    /// What was proposed.
    pub action: NewAction,
    /// What became of it.
    pub status: ActionStatus,
    /// When it was proposed.
    pub created_at: u64,
    /// When its status last changed after that.
    pub decided_at: Option<u64>,
    /// Who changed it.
    pub decided_by: Option<String>,
    /// What happened, or why it failed.
    pub result: Option<String>,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Its place in the log.
    pub seq: i64,
    /// When, ns since the Unix epoch.
    pub at_unix_nano: u64,
    /// Who or what: `aiir`, a responder, an operator, `log:<event id>`.
    pub actor: String,
    /// The incident it concerns.
    pub incident_id: Option<String>,
    /// What happened: `opened`, `escalated`, `state`, `action-proposed`, …
    pub what: String,
    /// The particulars, JSON.
    pub detail: serde_json::Value,
}

impl AuditEntry {
    pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        let detail: String = r.get(5)?;
        Ok(Self {
            seq: r.get(0)?,
            at_unix_nano: uint(r.get(1)?),
            actor: r.get(2)?,
            incident_id: r.get(3)?,
            what: r.get(4)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
        })
    }
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    /// When: the event's time for a finding, the audit row's for the rest.
    pub at_unix_nano: u64,
    /// What.
    pub item: TimelineItem,
}

/// A finding or an audit row.
#[derive(Debug, Clone)]
pub enum TimelineItem {
    /// A finding joined the incident.
    Finding(Box<StoredFinding>),
    /// Something was done about it.
    Audit(AuditEntry),
    /// A finding of another incident in the same session: the cause or the effect of
    /// this one's (the injected mail beside the transfer it caused).
    Related(Box<StoredFinding>),
}

/// Where reading a source stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The source, as given on the command line.
    pub source: String,
    /// The identity of the file read (device and inode, or the like), to notice rotation.
    pub file: String,
    /// Bytes read and processed.
    pub byte_offset: u64,
    /// Lines read and processed.
    pub line_number: u64,
}

/// A model of the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRow {
    /// Its name.
    pub name: String,
    /// The artifact its serving alias points at.
    pub serving: Option<Artifact>,
}

/// One artifact of a model: its version label and, when known, its digest. Two
/// artifacts can share a label (one swapped in under an unchanged version); the
/// digest tells them apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Artifact {
    /// The version label.
    pub version: String,
    /// The artifact's digest, when known.
    pub digest: Option<String>,
}

impl Artifact {
    /// An artifact as stored: a digest of `''` is an unknown one.
    pub(super) fn stored(version: String, digest: String) -> Self {
        Self { version, digest: Some(digest).filter(|d| !d.is_empty()) }
    }
}

impl Artifact {
    /// Whether `other` is this artifact, or of its label when this one's digest is
    /// unknown (a log without digests names a label, not one of its artifacts).
    pub fn covers(&self, other: &Artifact) -> bool {
        self.version == other.version && (self.digest.is_none() || self.digest == other.digest)
    }
}

impl fmt::Display for Artifact {
    /// `2.3.1@sha256:…`, or the bare label when the digest is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.digest {
            Some(d) => write!(f, "{}@{d}", self.version),
            None => f.write_str(&self.version),
        }
    }
}

/// A model version of the registry: one artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelVersionRow {
    /// The model.
    pub model: String,
    /// The version label.
    pub version: String,
    /// The artifact's digest, when known.
    pub digest: Option<String>,
    /// An operator marked it known-good.
    pub known_good: bool,
    /// It is quarantined.
    pub quarantined: bool,
    /// The incident that quarantined it.
    pub quarantined_by_incident: Option<String>,
    /// The serving alias points at it.
    pub serving: bool,
    /// When the registry first saw it.
    pub registered_at: u64,
}

/// A move of a serving alias, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasChange {
    /// Its place in the history.
    pub seq: i64,
    /// The model.
    pub model: String,
    /// The move.
    pub moved: AliasMove,
    /// When.
    pub at: u64,
    /// Who or what: an operator, a responder, `log:<event id>`.
    pub actor: String,
    /// Why.
    pub reason: String,
}

/// Where a serving alias pointed and where it points now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasMove {
    /// The artifact before; none when nothing served.
    pub from: Option<Artifact>,
    /// The artifact after.
    pub to: Artifact,
}

/// Read a stored name with `parse`, or say the file holds something unknown.
pub(super) fn parse_named<T>(text: &str, what: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(text).ok_or_else(|| StoreError::Corrupt(format!("unknown {what} {text:?}")))
}
