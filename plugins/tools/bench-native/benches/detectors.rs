//! `detector/native/<name>`: each detector of the standard pack, natively, warm,
//! inspecting the event of `plugins/tools/bench-events.jsonl` it asks for (the inference
//! event, else the first of its own kind), the same choice the host's benchmark makes
//! for the wasm figure.

#[path = "../../../tools/demo_log.rs"]
mod demo_log;

use aiir_sdk::testkit::Harness;
use aiir_sdk::{Detector, Event};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

/// The events every benchmark reads, inference first; shared with `host/benches`.
const EVENTS: &str = include_str!("../../bench-events.jsonl");

fn bench<D: Detector>(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, events: &[Event]) {
    let info = D::info();
    let event = events.iter().find(|e| info.kinds.contains(&e.kind())).expect("an event of a kind it asks for");
    let mut harness = Harness::<D>::new();
    let findings = harness.inspect(event);
    assert!(findings.is_empty(), "{} finds {} in benign {}", info.name, findings.len(), event.id);
    group.bench_function(format!("native/{}", info.name), |b| b.iter(|| harness.inspect(black_box(event))));
}

fn detectors(c: &mut Criterion) {
    let events = demo_log::parse(EVENTS);
    let mut group = c.benchmark_group("detector");
    // The pack's order (plugins/Cargo.toml), as the host's benchmark runs them.
    bench::<prompt_injection::PromptInjection>(&mut group, &events);
    bench::<indirect_injection::IndirectInjection>(&mut group, &events);
    bench::<jailbreak::Jailbreak>(&mut group, &events);
    bench::<system_prompt_leak::SystemPromptLeak>(&mut group, &events);
    bench::<model_integrity::ModelIntegrity>(&mut group, &events);
    bench::<sensitive_data_leak::SensitiveDataLeak>(&mut group, &events);
    bench::<exfiltration::Exfiltration>(&mut group, &events);
    bench::<tool_abuse::ToolAbuse>(&mut group, &events);
    bench::<data_poisoning::DataPoisoning>(&mut group, &events);
    bench::<model_extraction::ModelExtraction>(&mut group, &events);
    bench::<prompt_classifier::PromptClassifier>(&mut group, &events);
    group.finish();
}

/// `classifier/native/prompt-classifier-1k`: the learned classifier on the 1 KB prompt
/// the host's `classifier/wasm/…` reads.
fn classifier(c: &mut Criterion) {
    let events = demo_log::parse(EVENTS);
    let event = events.iter().find(|e| e.id == "bench-1k-prompt").expect("the 1 KB prompt");
    let mut harness = Harness::<prompt_classifier::PromptClassifier>::new();
    let mut group = c.benchmark_group("classifier");
    group.bench_function("native/prompt-classifier-1k", |b| b.iter(|| harness.inspect(black_box(event))));
    group.finish();
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = detectors, classifier
}
criterion_main!(benches);
