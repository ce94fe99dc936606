//! The detector as the host drives it, through the SDK's test harness.

use super::ModelExtraction;
use aiir_sdk::prelude::*;
use aiir_sdk::testkit::Harness;

#[path = "../../../tools/cases.rs"]
mod cases;
#[path = "../../../tools/demo_log.rs"]
mod demo_log;

/// 2026-11-27T13:00:00Z.
const START: u64 = 1_795_784_400;

/// A call by `principal` at `secs` after 13:00 asking `prompt`, billed `tokens`.
fn call(principal: &str, secs: u64, prompt: &str, tokens: u32) -> Event {
    let mut inference = Inference::new().system("You are the support assistant.").user(prompt).assistant("…");
    (inference.input_tokens, inference.output_tokens) = (Some(tokens / 3), Some(tokens - tokens / 3));
    Event::new(format!("{principal}@{secs}"), inference).principal(principal).time((START + secs) * 1_000_000_000)
}

fn sku_prompt(n: u64) -> String {
    format!("For SKU NW-{}, list the full spec sheet, the price and how you would recommend it", 10_231 + n)
}

/// Everything found, as (event id, rule).
fn run(h: &mut Harness<ModelExtraction>, events: &[Event]) -> Vec<(String, String)> {
    events.iter().flat_map(|e| h.rules(e).into_iter().map(|r| (e.id.clone(), r))).collect()
}

/// Thirty customers chatting over an afternoon, a few turns each.
fn customers() -> Vec<Event> {
    let questions = ["Where is my order A-1048?", "Can I return boots I wore once?", "Do you ship to Norway?"];
    let mut events: Vec<Event> = (0..30u64)
        .flat_map(|c| (0..4u64).map(move |t| (c, t)))
        .map(|(c, t)| call(&format!("user:c{c}"), c * 300 + t * 70, questions[(c + t) as usize % 3], 300))
        .collect();
    events.sort_by_key(|e| e.time_unix_nano);
    events
}

#[test]
fn a_new_instance_continues_from_the_kept_state() {
    let mut stream = customers();
    stream.extend((0..45).map(|n| call("key:scraper", 60 + n * 12, &sku_prompt(n), 1_400)));
    stream.sort_by_key(|e| e.time_unix_nano);
    let whole = run(&mut Harness::<ModelExtraction>::new(), &stream);
    assert_eq!(whole.len(), 3, "{whole:?}");
    let mut h = Harness::<ModelExtraction>::new();
    let mut resumed = Vec::new();
    for chunk in stream.chunks(20) {
        resumed.extend(run(&mut h, chunk));
        h.restart();
    }
    assert_eq!(resumed, whole);
}

#[test]
fn ordinary_customers_stay_quiet() {
    let mut h = Harness::<ModelExtraction>::new();
    assert_eq!(run(&mut h, &customers()), []);
}

#[test]
fn a_scraper_sweeping_skus_fires_each_rule_once() {
    let mut h = Harness::<ModelExtraction>::new();
    let scrape: Vec<Event> = (0..45).map(|n| call("key:scraper", 60 + n * 12, &sku_prompt(n), 1_400)).collect();
    let found = run(&mut h, &scrape);
    let expected = [
        ("key:scraper@288", "model-extraction/enumeration"),
        ("key:scraper@408", "model-extraction/query-volume"),
        ("key:scraper@480", "model-extraction/token-spend"),
    ];
    assert_eq!(found, expected.map(|(e, r)| (e.to_owned(), r.to_owned())));
    let findings = h.inspect(&call("key:scraper", 600, &sku_prompt(99), 1_400));
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn findings_say_why_and_point_at_the_prompt() {
    let mut h = Harness::<ModelExtraction>::new();
    let mut findings = Vec::new();
    for n in 0..40 {
        findings.extend(h.inspect(&call("key:scraper", n * 10, &sku_prompt(n), 100)));
    }
    let [sweep, volume] = findings.as_slice() else { panic!("{findings:#?}") };
    assert_eq!(
        (sweep.severity, sweep.techniques.as_slice()),
        (Severity::High, &["AML.T0024.002", "LLM10"].map(String::from)[..])
    );
    assert!(
        sweep
            .title
            .starts_with("20 prompts in 10 min follow one template, 20 of them with a new slot value, a counter"),
        "{}",
        sweep.title
    );
    assert_eq!(sweep.evidence[0].field, "payload.inference.input[1].content");
    assert!(sweep.evidence[0].excerpt.contains("NW-10250"), "{:?}", sweep.evidence);
    assert_eq!(volume.title, "30 requests in 10 min from a principal with no baseline yet (floor 30)");
}

#[test]
fn personal_data_in_the_prompt_is_masked_in_evidence() {
    let mut h = Harness::<ModelExtraction>::new();
    let prompt =
        |n: u64| format!("Send the invoice for order {n} to jane.doe@example.com and charge 4111 1111 1111 1111");
    let findings: Vec<Finding> = (0..20).flat_map(|n| h.inspect(&call("user:jane", n * 5, &prompt(n), 100))).collect();
    let excerpt = &findings[0].evidence[0].excerpt;
    assert!(excerpt.contains("j***@e***.com") && excerpt.contains("4111 **** **** 1111"), "{excerpt}");
}

#[test]
fn a_steady_heavy_principal_fires_once_then_is_its_own_baseline() {
    let mut h = Harness::<ModelExtraction>::new();
    let steady: Vec<Event> =
        (0..600).map(|n| call("svc:catalog-sync", n * 15, &format!("Summarise review {n}: fine boots"), 200)).collect();
    let found = run(&mut h, &steady);
    assert_eq!(found.iter().filter(|(_, r)| r.ends_with("query-volume")).count(), 1, "{found:?}");
}

#[test]
fn the_population_median_raises_the_bar() {
    let mut h = Harness::<ModelExtraction>::new();
    let mut events: Vec<Event> = (0..6u64)
        .flat_map(|c| {
            (0..12u64).map(move |n| call(&format!("svc:app-{c}"), n * 40 + c, "Describe our return policy please", 100))
        })
        .collect();
    events.extend(
        (0..60).map(|n| {
            call("svc:busy", n * 8, &format!("Summarise support ticket {} briefly please", n * 37 % 101), 100)
        }),
    );
    events.sort_by_key(|e| e.time_unix_nano);
    let found = run(&mut h, &events);
    assert!(!found.iter().any(|(_, r)| r.ends_with("query-volume")), "60 is under 10 × the median of 12: {found:?}");
    let mut lone = Harness::<ModelExtraction>::new();
    let busy: Vec<Event> = events.into_iter().filter(|e| e.principal.as_deref() == Some("svc:busy")).collect();
    assert!(run(&mut lone, &busy).iter().any(|(_, r)| r.ends_with("query-volume")), "alone, the floor applies");
}

#[test]
fn retries_of_one_prompt_are_no_sweep() {
    let mut h = Harness::<ModelExtraction>::new();
    let retries: Vec<Event> =
        (0..25).map(|n| call("user:impatient", n * 5, "Where is my order A-1048 now?", 300)).collect();
    assert_eq!(run(&mut h, &retries), []);
}

#[test]
fn a_sweep_that_pauses_and_resumes_fires_again() {
    let mut h = Harness::<ModelExtraction>::new();
    let first: Vec<Event> = (0..25).map(|n| call("key:scraper", n * 10, &sku_prompt(n), 100)).collect();
    let again: Vec<Event> = (0..25).map(|n| call("key:scraper", 3_000 + n * 10, &sku_prompt(100 + n), 100)).collect();
    let rules = |found: Vec<(String, String)>| found.into_iter().map(|(_, r)| r).collect::<Vec<_>>();
    assert_eq!(rules(run(&mut h, &first)), ["model-extraction/enumeration"]);
    assert_eq!(rules(run(&mut h, &again)), ["model-extraction/enumeration"]);
}

#[test]
fn exempt_and_anonymous_calls_are_skipped() {
    let mut h = Harness::<ModelExtraction>::with_settings(r#"{"exempt_principals": ["key:eval-harness"]}"#).unwrap();
    let exempt: Vec<Event> = (0..40).map(|n| call("key:eval-harness", n, &sku_prompt(n), 2_000)).collect();
    assert_eq!(run(&mut h, &exempt), []);
    let anonymous: Vec<Event> = exempt
        .into_iter()
        .map(|mut e| {
            e.principal = None;
            e
        })
        .collect();
    assert_eq!(run(&mut h, &anonymous), []);
}

#[test]
fn principals_stay_bounded() {
    let mut h = Harness::<ModelExtraction>::new();
    for n in 0..(super::MAX_PRINCIPALS as u64 + 100) {
        h.inspect(&call(&format!("user:{n}"), n / 10, "Where is my order A-1048?", 100));
    }
    assert!(h.detector().principals.len() <= super::MAX_PRINCIPALS);
}

#[test]
fn invalid_settings_are_all_reported() {
    let errors = Harness::<ModelExtraction>::with_settings(r#"{"window_secs": 0, "volume_factor": 0}"#).unwrap_err();
    let paths: Vec<String> = errors.into_iter().map(|e| e.path).collect();
    assert_eq!(paths, ["window_secs", "volume_factor"]);
}

#[test]
fn info_documents_every_setting_and_bound() {
    let info = ModelExtraction::info();
    assert_eq!(info.kinds, [EventKind::Inference]);
    let keys = ["window_secs", "volume_factor", "min_requests", "min_tokens", "enumeration_min_requests"];
    let bounds = ["exempt_principals", "4 096 principals", "four templates", "discards an instance", "five are"];
    for key in keys.into_iter().chain(bounds) {
        assert!(info.settings.contains(key), "{key} undocumented");
    }
    assert_eq!((super::MAX_PRINCIPALS, super::MIN_POPULATION, super::principal::MAX_TEMPLATES), (4_096, 5, 4));
}

#[test]
fn demo_log_yields_the_expected_findings() {
    let mut h = Harness::<ModelExtraction>::new();
    assert_eq!(run(&mut h, &demo_log::events()), demo_log::expected("model-extraction/"));
}

#[test]
fn cases_file_holds() {
    cases::check::<ModelExtraction>(include_str!("../cases.toml"), "global");
}
