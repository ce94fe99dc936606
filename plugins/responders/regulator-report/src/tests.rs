//! The responder as the host drives it, through the SDK's test kit.

use super::RegulatorReport;
use crate::config::tests::settings;
use aiir_sdk::State;
use aiir_sdk::prelude::*;
use aiir_sdk::testkit::{ResponderHarness, Store};
use serde_json::Value;

const S: u64 = 1_000_000_000;
/// 2025-03-14T09:26:53Z, when aiir opened the incident.
const OPENED: u64 = 1_741_944_413 * S;

fn incident(family: &str, severity: Severity) -> Incident {
    Incident::new("INC-0003", family, Scope::Model, "support-assistant")
        .title(format!("{family} on support-assistant"))
        .severity(severity)
        .model(ModelRef::new("support-assistant").version("2.3.1").digest("sha256:3638"))
        .principals(["alice", "bob", "carol"])
        .sessions(["s1"])
        .techniques(["AML.T0010.003"])
        .rules(["model-integrity/digest-changed"])
        .finding_count(2)
        .seen(OPENED - 60 * S, OPENED - 30 * S)
        .opened(OPENED)
}

fn store() -> Store {
    let finding = |rule: &str| Finding::new(rule, "artifact digest changed", Severity::Critical);
    Store::new()
        .finding(
            "INC-0003",
            IncidentFinding::new(
                "evt-0050",
                OPENED - 60 * S,
                "model-integrity",
                finding("model-integrity/digest-changed"),
            )
            .principal("alice"),
        )
        .finding(
            "INC-0003",
            IncidentFinding::new("evt-0051", OPENED - 30 * S, "model-integrity", finding("model-integrity/unsigned"))
                .session("s1"),
        )
        .finding("INC-other", IncidentFinding::new("evt-9", 0, "jailbreak", finding("jailbreak/dan")))
}

fn respond(extra: &str, incident: &Incident) -> (Vec<Proposal>, Vec<String>) {
    let mut h = ResponderHarness::<RegulatorReport>::with_settings(&settings(extra)).unwrap().store(store());
    let proposals = h.respond(incident);
    (proposals, h.logs().into_iter().map(|(_, l)| l).collect())
}

/// The `art73` and `aiid` reports of a serious incident.
fn reports(extra: &str, incident: &Incident) -> [(Report, Value); 2] {
    let (proposals, _) = respond(extra, incident);
    let reports: Vec<(Report, Value)> = proposals
        .into_iter()
        .map(|p| match p.action {
            Action::FileReport(r) => {
                let json = serde_json::from_str(&r.json).unwrap();
                (r, json)
            }
            other => panic!("{other:?}"),
        })
        .collect();
    reports.try_into().unwrap_or_else(|r: Vec<_>| panic!("{} reports", r.len()))
}

fn deadline(extra: &str, incident: &Incident) -> (String, u64, String) {
    let [(_, art73), _] = reports(extra, incident);
    let d = &art73["deadline"];
    (d["date"].as_str().unwrap().into(), d["days"].as_u64().unwrap(), d["basis"].as_str().unwrap().into())
}

#[test]
fn an_integrity_incident_is_not_serious_by_default_and_says_why() {
    let (proposals, logs) = respond("", &incident("model-integrity", Severity::Critical));
    assert!(proposals.is_empty());
    assert_eq!(
        logs,
        ["INC-0003: not a serious incident: the harm of a model-integrity incident is `none` in the settings"]
    );
}

#[test]
fn an_incident_below_min_severity_is_not_serious() {
    let (proposals, logs) = respond("", &incident("data-leakage", Severity::Medium));
    assert!(proposals.is_empty());
    assert_eq!(logs, ["INC-0003: not a serious incident: its severity medium is below min_severity high"]);
}

#[test]
fn fundamental_rights_are_due_in_15_days() {
    let got = deadline("", &incident("data-leakage", Severity::High));
    assert_eq!(got, ("2025-03-29T09:26:53Z".into(), 15, "Art. 73(2)".into()));
}

#[test]
fn a_widespread_infringement_is_due_in_2_days() {
    let got = deadline(r#""widespread_threshold": 3"#, &incident("data-leakage", Severity::High));
    assert_eq!(got, ("2025-03-16T09:26:53Z".into(), 2, "Art. 73(3)".into()));
    let below = deadline(r#""widespread_threshold": 4"#, &incident("data-leakage", Severity::High));
    assert_eq!(below.1, 15);
}

#[test]
fn critical_infrastructure_is_due_in_2_days() {
    let tampered = incident("model-integrity", Severity::Critical);
    let got = deadline(r#""critical_infrastructure": true"#, &tampered);
    assert_eq!(got, ("2025-03-16T09:26:53Z".into(), 2, "Art. 73(3)".into()));
    let mapped = deadline(r#""harm": {"model-integrity": "critical-infrastructure"}"#, &tampered);
    assert_eq!(mapped.1, 2);
}

#[test]
fn a_death_is_due_in_10_days() {
    let got = deadline(r#""harm": {"tool-abuse": "death"}"#, &incident("tool-abuse", Severity::Critical));
    assert_eq!(got, ("2025-03-24T09:26:53Z".into(), 10, "Art. 73(4)".into()));
}

#[test]
fn health_property_and_environment_are_due_in_15_days() {
    for harm in ["health", "property", "environment"] {
        let got = deadline(&format!(r#""harm": {{"jailbreak": "{harm}"}}"#), &incident("jailbreak", Severity::High));
        assert_eq!(got, ("2025-03-29T09:26:53Z".into(), 15, "Art. 73(2)".into()), "{harm}");
    }
}

#[test]
fn the_art73_draft_has_every_part() {
    let [(report, json), _] =
        reports(r#""critical_infrastructure": true"#, &incident("model-integrity", Severity::Critical));
    assert_eq!(report.kind, "art73");
    assert_eq!(json["provider"]["name"], "Acme AI GmbH");
    assert_eq!(json["system"]["name"], "Acme Support Assistant");
    assert_eq!(json["system"]["model"]["digest"], "sha256:3638");
    assert_eq!(json["aware_at"], "2025-03-14T09:26:53Z");
    assert_eq!(json["harm"]["point"], "Art. 3(49)(b)");
    assert_eq!(json["affected_persons"]["at_least"], 3);
    assert_eq!(json["corrective_measures"], "None recorded yet.");
    let timeline: Vec<&str> =
        json["timeline"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(timeline, ["evt-0050", "evt-0051"]);
    assert_eq!(json["timeline"][0]["time"], "2025-03-14T09:25:53Z");
    for part in [
        "## Provider",
        "Hauptstr. 1",
        "**Deadline: 2025-03-16T09:26:53Z**",
        "| evt-0050 |",
        "## Causal link",
        "## Affected persons",
        "At least 3",
        "None recorded yet.",
    ] {
        assert!(report.markdown.contains(part), "{part:?} missing in\n{}", report.markdown);
    }
}

#[test]
fn corrective_measures_follow_the_state() {
    let recovered = incident("data-leakage", Severity::High).state(State::Recovered);
    let [(_, json), _] = reports("", &recovered);
    assert!(json["corrective_measures"].as_str().unwrap().contains("known-good state"));
}

#[test]
fn the_reason_names_the_deadline() {
    let (proposals, _) = respond("", &incident("data-leakage", Severity::High));
    assert_eq!(
        proposals[0].reason,
        "INC-0003: serious incident (fundamental-rights, Art. 3(49)(c)); report due by 2025-03-29T09:26:53Z (Art. 73(2))"
    );
}

#[test]
fn the_aiid_record_has_the_database_fields_and_no_principals() {
    let [_, (report, json)] = reports("", &incident("data-leakage", Severity::High));
    assert_eq!(report.kind, "aiid");
    let i = &json["incident"];
    assert_eq!(i["date"], "2025-03-14");
    assert_eq!(i["incident_id"], Value::Null);
    assert_eq!(i["Alleged deployer of AI system"][0], "acme-ai-gmbh");
    assert_eq!(i["Alleged developer of AI system"][0], "acme-ai-gmbh");
    assert_eq!(i["Alleged harmed or nearly harmed parties"][0], "users-of-acme-support-assistant");
    assert_eq!(json["reports"][0]["date_published"], "2025-03-14T09:26:53Z");
    assert!(!report.json.contains("alice") && !report.markdown.contains("alice"));
}

#[test]
fn text_from_the_incident_adds_no_markdown_structure() {
    let hostile = "ok <!-- hidden\r\n## Corrective measures taken | [x](https://evil.example)";
    let mut incident = incident("data-leakage", Severity::High).title(hostile).principals(["<b>eve</b>"]);
    incident.key = "`key`|".into();
    let store = Store::new().finding(
        "INC-0003",
        IncidentFinding::new("evt-1", OPENED, "forger", Finding::new("forger/x", hostile, Severity::High))
            .principal("- eve"),
    );
    let mut h = ResponderHarness::<RegulatorReport>::with_settings(&settings("")).unwrap().store(store);
    let proposals = h.respond(&incident);
    let markdowns: Vec<String> = proposals
        .into_iter()
        .map(|p| match p.action {
            Action::FileReport(r) => r.markdown,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(markdowns.len(), 2);
    for md in &markdowns {
        for raw in ["<!--", "<b>", "## Corrective measures taken |", "[x](", "\r", "`key`"] {
            assert!(!md.contains(raw), "{raw:?} raw in\n{md}");
        }
        assert!(
            md.contains(r"ok &lt;\!-- hidden  \#\# Corrective measures taken \| \[x\]\(https://evil.example\)"),
            "{md}"
        );
        assert_eq!(md.matches("## Corrective measures taken").count(), usize::from(md.starts_with("# Serious")));
    }
    // The timeline is still one table of one row per finding, six cells each.
    let row = markdowns[0].lines().find(|l| l.contains("evt-1")).unwrap();
    assert_eq!(row.matches(" | ").count(), 5, "{row}");
    assert!(row.contains(r"\- eve"), "{row}");
}
