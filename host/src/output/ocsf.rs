//! Findings and incidents as OCSF events, so a SIEM ingests them unchanged: each
//! finding a Detection Finding (class 2004), each incident an Incident Finding (class
//! 2005), with ATLAS techniques in `attacks` and OWASP LLM ids in `types`.

use super::FindingRecord;
use crate::runtime::Severity;
use crate::store::{IncidentDetail, State, StoredFinding};
use serde_json::{Value, json};

/// The OCSF schema version these events follow.
pub const SCHEMA_VERSION: &str = "1.5.0";

const CATEGORY_FINDINGS: u32 = 2;
const DETECTION_FINDING: u32 = 2004;
const INCIDENT_FINDING: u32 = 2005;

/// A Detection Finding (2004) for one finding of one event: an Update of the same
/// `finding_info.uid` when the store held the finding before, so a SIEM that keys on
/// it sees no new detection.
pub fn detection(record: &FindingRecord<'_>) -> Value {
    let f = &record.finding;
    let ms = record.time_unix_nano / 1_000_000;
    let activity = if record.already_stored { Activity::Update } else { Activity::Create };
    let mut event = header(DETECTION_FINDING, activity, record.level, ms);
    let resources: Vec<Value> = record.model.iter().map(|m| model_resource(m.name, m.version, m.digest)).collect();
    let evidences: Vec<Value> =
        f.evidence.iter().map(|e| json!({ "data": { "field": e.field, "excerpt": e.excerpt } })).collect();
    let extra = json!({
        "finding_info": finding_info(record.event, record.plugin, f.rule, f.title, f.techniques, ms),
        "confidence_score": (f.confidence.clamp(0.0, 1.0) * 100.0).round() as u32,
        "status_id": 1,
        "status": "New",
        "evidences": evidences,
        "resources": resources,
        "actor": record.principal.map(|p| json!({ "user": { "uid": p } })),
        "unmapped": {
            "aiir": {
                "event": record.event,
                "source": record.source,
                "session": record.session,
                "plugin": record.plugin,
                "plugin_version": record.plugin_version,
                "error": record.error.as_ref().map(|e| json!({ "reason": e.reason, "detail": e.detail })),
                "already_stored": record.already_stored.then_some(true),
            }
        },
    });
    merge(&mut event, extra);
    event
}

/// An Incident Finding (2005) for an incident and its findings: `status_id` from its
/// state, `impact` and `priority` from its severity, `attacks` from its techniques.
pub fn incident(detail: &IncidentDetail, findings: &[StoredFinding], activity: Activity) -> Value {
    let i = &detail.incident;
    let time = if activity == Activity::Close { i.updated_at } else { i.opened_at };
    let mut event = header(INCIDENT_FINDING, activity, i.severity, time / 1_000_000);
    let (status_id, status) = match i.state {
        State::Open => (1, "New"),
        State::Contained | State::Recovered => (2, "In Progress"),
        State::Closed => (5, "Closed"),
    };
    let (level_id, level) = impact(i.severity);
    let infos: Vec<Value> = findings
        .iter()
        .map(|s| {
            let f = &s.finding;
            finding_info(&s.event_id, &s.plugin, &f.rule, &f.title, &f.techniques, s.time_unix_nano / 1_000_000)
        })
        .collect();
    let resources: Vec<Value> =
        i.model.iter().map(|m| model_resource(&m.name, m.version.as_deref(), m.digest.as_deref())).collect();
    let extra = json!({
        "desc": i.title,
        "finding_info_list": infos,
        "status_id": status_id,
        "status": status,
        "impact_id": level_id,
        "impact": level,
        "priority_id": level_id,
        "priority": level,
        "attacks": attacks(&detail.techniques),
        "types": owasp_types(&detail.techniques),
        "start_time": i.first_seen / 1_000_000,
        "end_time": i.last_seen / 1_000_000,
        "resources": resources,
        "unmapped": {
            "aiir": {
                "incident": i.id,
                "state": i.state.as_str(),
                "family": i.family.as_str(),
                "scope": i.scope.as_str(),
                "key": i.key,
                "finding_count": i.finding_count,
                "principals": detail.principals,
                "sessions": detail.sessions,
            }
        },
    });
    merge(&mut event, extra);
    event
}

/// An incident's impact and priority (the same scale): OCSF has no "info" level.
fn impact(s: Severity) -> (u32, &'static str) {
    match s {
        Severity::Info | Severity::Low => (1, "Low"),
        Severity::Medium => (2, "Medium"),
        Severity::High => (3, "High"),
        Severity::Critical => (4, "Critical"),
    }
}

/// The `finding_info` object of one finding, in a Detection Finding or an Incident
/// Finding's list.
fn finding_info(event: &str, plugin: &str, rule: &str, title: &str, techniques: &[String], ms: u64) -> Value {
    json!({
        "uid": finding_uid(event, plugin, rule),
        "title": title,
        "analytic": { "uid": rule, "name": rule, "type_id": 1, "type": "Rule" },
        "attacks": attacks(techniques),
        "types": owasp_types(techniques),
        "first_seen_time": ms,
        "last_seen_time": ms,
        "product_uid": plugin,
        "related_events": [{ "uid": event }],
    })
}

/// The stable id of a finding: the event, the plugin and the rule; the store keeps
/// one finding per id.
pub fn finding_uid(event: &str, plugin: &str, rule: &str) -> String {
    format!("{event}/{plugin}/{rule}")
}

/// What an incident event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// It was opened.
    Create,
    /// It grew or changed state.
    Update,
    /// It was closed.
    Close,
}

impl Activity {
    fn id(self) -> u32 {
        match self {
            Self::Create => 1,
            Self::Update => 2,
            Self::Close => 3,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Create => "Create",
            Self::Update => "Update",
            Self::Close => "Close",
        }
    }
}

/// The fields every OCSF finding event starts with.
fn header(class: u32, activity: Activity, severity: Severity, time_ms: u64) -> Value {
    let class_name = if class == DETECTION_FINDING { "Detection Finding" } else { "Incident Finding" };
    let mut metadata = json!({
        "version": SCHEMA_VERSION,
        "product": { "name": "aiir", "vendor_name": "aiir", "version": env!("CARGO_PKG_VERSION") },
    });
    if class == INCIDENT_FINDING {
        metadata["profiles"] = json!(["incident"]);
    }
    json!({
        "class_uid": class,
        "class_name": class_name,
        "category_uid": CATEGORY_FINDINGS,
        "category_name": "Findings",
        "activity_id": activity.id(),
        "activity_name": activity.name(),
        "type_uid": class * 100 + activity.id(),
        "type_name": format!("{class_name}: {}", activity.name()),
        "severity_id": severity_id(severity),
        "severity": capitalized(severity.name()),
        "time": time_ms,
        "metadata": metadata,
    })
}

fn severity_id(s: Severity) -> u32 {
    match s {
        Severity::Info => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

fn model_resource(name: &str, version: Option<&str>, digest: Option<&str>) -> Value {
    json!({ "type": "AI Model", "name": name, "version": version, "uid": digest })
}

/// Add `extra`'s keys to `event`, dropping nulls so optional fields are absent.
fn merge(event: &mut Value, extra: Value) {
    let (Value::Object(event), Value::Object(extra)) = (event, extra) else { return };
    event.extend(extra.into_iter().filter(|(_, v)| !v.is_null()));
}

/// MITRE ATLAS techniques as OCSF attack objects: a sub-technique id
/// (`AML.T0051.001`) fills `sub_technique` beside its parent technique.
fn attacks(techniques: &[String]) -> Vec<Value> {
    techniques
        .iter()
        .filter(|t| t.starts_with("AML.T"))
        .map(|id| {
            let parent = id.get(..9).unwrap_or(id);
            let mut attack = json!({ "technique": { "uid": parent, "name": atlas_name(parent) } });
            if parent != id {
                attack["sub_technique"] = json!({ "uid": id, "name": atlas_name(id) });
            }
            attack
        })
        .collect()
}

/// OWASP LLM Top 10 (2025) ids as finding types, e.g. `OWASP LLM01:2025 Prompt Injection`.
fn owasp_types(techniques: &[String]) -> Vec<String> {
    techniques.iter().filter_map(|id| Some(format!("OWASP {id}:2025 {}", owasp_name(id)?))).collect()
}

/// Names of the ATLAS techniques the standard pack reports; others keep their id.
fn atlas_name(id: &str) -> &str {
    match id {
        "AML.T0010" => "AI Supply Chain Compromise",
        "AML.T0010.003" => "Model",
        "AML.T0018" => "Manipulate AI Model",
        "AML.T0020" => "Poison Training Data",
        "AML.T0024" => "Exfiltration via AI Inference API",
        "AML.T0024.002" => "Extract AI Model",
        "AML.T0034" => "Cost Harvesting",
        "AML.T0043" => "Craft Adversarial Data",
        "AML.T0043.004" => "Insert Backdoor Trigger",
        "AML.T0051" => "LLM Prompt Injection",
        "AML.T0051.000" => "Direct",
        "AML.T0051.001" => "Indirect",
        "AML.T0053" => "AI Agent Tool Invocation",
        "AML.T0054" => "LLM Jailbreak",
        "AML.T0056" => "Extract LLM System Prompt",
        "AML.T0057" => "LLM Data Leakage",
        "AML.T0068" => "LLM Prompt Obfuscation",
        "AML.T0077" => "LLM Response Rendering",
        "AML.T0086" => "Exfiltration via AI Agent Tool Invocation",
        other => other,
    }
}

fn owasp_name(id: &str) -> Option<&'static str> {
    Some(match id {
        "LLM01" => "Prompt Injection",
        "LLM02" => "Sensitive Information Disclosure",
        "LLM03" => "Supply Chain",
        "LLM04" => "Data and Model Poisoning",
        "LLM05" => "Improper Output Handling",
        "LLM06" => "Excessive Agency",
        "LLM07" => "System Prompt Leakage",
        "LLM08" => "Vector and Embedding Weaknesses",
        "LLM09" => "Misinformation",
        "LLM10" => "Unbounded Consumption",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_techniques_name_their_parent() {
        let got = attacks(&["AML.T0051.001".into(), "LLM01".into(), "AML.T0054".into()]);
        assert_eq!(got[0]["technique"]["uid"], "AML.T0051");
        assert_eq!(got[0]["sub_technique"]["name"], "Indirect");
        assert_eq!(got[1]["technique"]["name"], "LLM Jailbreak");
        assert!(got[1].get("sub_technique").is_none());
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn owasp_ids_become_types() {
        assert_eq!(owasp_types(&["LLM07".into(), "AML.T0056".into()]), ["OWASP LLM07:2025 System Prompt Leakage"]);
    }

    #[test]
    fn type_uid_is_class_and_activity() {
        let h = header(INCIDENT_FINDING, Activity::Close, Severity::Critical, 5);
        assert_eq!(h["type_uid"], 200503);
        assert_eq!(h["severity_id"], 5);
        assert_eq!(h["metadata"]["profiles"][0], "incident");
    }
}
