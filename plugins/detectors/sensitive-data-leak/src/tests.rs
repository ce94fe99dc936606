//! The detector as the host drives it, through the SDK's test harness.

use super::SensitiveDataLeak;
use aiir_sdk::prelude::*;
use aiir_sdk::testkit::Harness;

#[path = "../../../tools/cases.rs"]
mod cases;
#[path = "../../../tools/demo_log.rs"]
mod demo_log;

/// The review cases hold natively too: each false-positive family of issue 19 as a
/// negative case, each miss family as a positive one.
#[test]
fn issue_19_the_cases_file_holds() {
    cases::check::<SensitiveDataLeak>(include_str!("../cases.toml"), "event");
}

fn answer(text: &str) -> Event {
    Event::new("e1", Inference::new().user("hi").assistant(text))
}

fn inspect(event: &Event) -> Vec<Finding> {
    Harness::<SensitiveDataLeak>::new().inspect(event)
}

#[test]
fn an_echoed_card_number_is_high_and_masked() {
    let findings = inspect(&answer("Sure, I've noted your card 4111 1111 1111 1111 for the refund."));
    let [f] = findings.as_slice() else { panic!("{findings:?}") };
    assert_eq!(f.rule, "sensitive-data-leak/credit-card");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.techniques, ["AML.T0057", "LLM02"]);
    assert_eq!(f.evidence[0].field, "payload.inference.output[0].content");
    assert_eq!(f.evidence[0].excerpt, "Sure, I've noted your card 4111 **** **** 1111 for the refund.");
}

#[test]
fn one_finding_per_type_and_one_evidence_per_occurrence() {
    let text = "Customers: ana.lima@mailbox.org (+44 7700 900123), joe.r@posteo.de (+44 7700 900456).";
    let findings = inspect(&answer(text));
    let got: Vec<(&str, usize)> = findings.iter().map(|f| (f.rule.as_str(), f.evidence.len())).collect();
    assert_eq!(got, [("sensitive-data-leak/email", 2), ("sensitive-data-leak/phone", 2)]);
    assert_eq!(findings[0].title, "2 × email address in model output");
    // Each excerpt masks every datum in its context, not only its own.
    for e in findings.iter().flat_map(|f| &f.evidence) {
        assert!(!e.excerpt.contains("ana.lima") && !e.excerpt.contains("900123"), "{e:?}");
    }
}

#[test]
fn a_text_dense_with_data_keeps_its_count_but_caps_its_evidence() {
    let text: Vec<String> = (0..60).map(|n| format!("user{n}.name@mailbox.org")).collect();
    let findings = inspect(&answer(&text.join(", ")));
    assert_eq!(findings[0].title, "60 × email address in model output");
    assert_eq!(findings[0].evidence.len(), 50);
}

#[test]
fn secrets_in_tool_arguments_have_a_rule_per_kind() {
    let args = r#"{"cmd": "export AWS_ACCESS_KEY_ID=AKIA2E0A8F3B244C9986", "pem": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"}"#;
    let findings = inspect(&Event::new("e1", ToolCall::new("shell", args)));
    let got: Vec<(&str, Severity)> = findings.iter().map(|f| (f.rule.as_str(), f.severity)).collect();
    assert_eq!(
        got,
        [
            ("sensitive-data-leak/secret-aws-access-key", Severity::High),
            ("sensitive-data-leak/secret-private-key", Severity::Critical)
        ]
    );
    assert_eq!(findings[0].evidence[0].field, "payload.tool_call.arguments");
    assert!(findings[0].evidence[0].excerpt.contains("AKIA************9986"), "{findings:?}");
    assert!(!findings[1].evidence[0].excerpt.contains("MIIEvQ"), "{findings:?}");
}

#[test]
fn recipients_of_a_message_are_not_a_leak_but_the_body_is() {
    let args =
        r#"{"to": "Ana Lima <ana.lima@mailbox.org>", "body": "Forwarding joe.r@posteo.de's card 4111 1111 1111 1111"}"#;
    let rules: Vec<String> =
        inspect(&Event::new("e1", ToolCall::new("send_email", args))).into_iter().map(|f| f.rule).collect();
    assert_eq!(rules, ["sensitive-data-leak/email", "sensitive-data-leak/credit-card"]);
    let quiet = r#"{"to": "ana.lima@mailbox.org", "subject": "Your return label", "body": "Your label for A-10655 is attached."}"#;
    assert!(inspect(&Event::new("e1", ToolCall::new("send_email", quiet))).is_empty());
}

#[test]
fn user_input_and_tool_results_are_not_scanned_by_default() {
    let event = Event::new(
        "e1",
        Inference::new()
            .user("my card is 4111 1111 1111 1111")
            .tool(r#"{"email": "ana.lima@mailbox.org"}"#)
            .assistant("Thanks!"),
    );
    assert!(inspect(&event).is_empty());
    let mut wide = Harness::<SensitiveDataLeak>::with_settings(r#"{"scan": ["user", "tool_result"]}"#).unwrap();
    let fields: Vec<String> = wide.inspect(&event).into_iter().map(|f| f.evidence[0].field.clone()).collect();
    assert_eq!(fields, ["payload.inference.input[0].content", "payload.inference.input[1].content"]);
}

#[test]
fn benign_look_alikes_stay_quiet() {
    let texts = [
        "Your order A-10482 ships from Rotterdam on 2026-11-28 and costs EUR 84.00.",
        "Our phone line is open 9:00 to 18:00 CET on +49 40 555 0142.",
        "Write to support@northwind.example or see https://help.northwind.example/articles/returns-and-refunds.",
        "The Ridge 2 is rated 20,000 mm; tracking number 00340434161094042557, server 10.0.12.7.",
        "Use the last four digits of your card, e.g. **** 1111, and never share your SSN.",
    ];
    for text in texts {
        assert!(inspect(&answer(text)).is_empty(), "{text}");
    }
}

#[test]
fn settings_narrow_the_types_and_ignore_published_values() {
    let json = r#"{"types": ["credit-card"], "ignore_values": ["4111-1111-1111-1111"]}"#;
    let mut h = Harness::<SensitiveDataLeak>::with_settings(json).unwrap();
    assert!(h.inspect(&answer("mail ana.lima@mailbox.org, card 4111 1111 1111 1111")).is_empty());
    assert_eq!(h.rules(&answer("card 5555 5555 5555 4444")), ["sensitive-data-leak/credit-card"]);
}

#[test]
fn invalid_settings_are_all_reported() {
    let errors =
        Harness::<SensitiveDataLeak>::with_settings(r#"{"scan": ["everything"], "types": ["ssn"]}"#).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["scan[0]", "types[0]"]);
}

#[test]
fn info_documents_every_setting() {
    let info = SensitiveDataLeak::info();
    assert_eq!(info.kinds, [EventKind::Inference, EventKind::ToolCall]);
    for key in ["scan", "types", "ignore_values", "secret-<kind>", "private-key", "credit-card"] {
        assert!(info.settings.contains(key), "{key} undocumented");
    }
}

#[test]
fn demo_log_yields_the_expected_findings() {
    let mut h = Harness::<SensitiveDataLeak>::new();
    let found: Vec<(String, String)> =
        demo_log::events().iter().flat_map(|e| h.rules(e).into_iter().map(|rule| (e.id.clone(), rule))).collect();
    assert_eq!(found, demo_log::expected("sensitive-data-leak/"));
}
