//! What running a plugin costs, each wasm figure beside its native baseline.
//!
//! - `overhead`: the `noop` guest (`tests/guests/noop`) inspecting the 1 KB inference
//!   event, beside a native function that does the same nothing with the same event,
//!   and inspecting a bare event (`noop-bare`), so that the difference is what passing
//!   the 1 KB event into the guest costs; `noop` is a `packed-detector` (the SDK's), and
//!   `record-v0-3` is `tests/guests/detector-v0-3`, a plain 0.3.0 detector that is sent
//!   the `event` record and only looks for a word in the user message: the two forms
//!   of the contract side by side;
//! - `detector/<name>`: every plugin of the standard pack, warm, inspecting the event
//!   of `plugins/tools/bench-events.jsonl` it asks for (the inference event, else its own
//!   kind's); the native figures come from `plugins/tools/bench-native`;
//! - `classifier/wasm/prompt-classifier-1k`: the learned classifier on the 1 KB prompt
//!   of `bench-1k-prompt`, beside `classifier/native/…` in `plugins/tools/bench-native`;
//! - `first-call/<name>`: a new instance's first `inspect`, tables built on first use included;
//! - `load/<name>`: `Runtime::load` from a filled precompiled cache, beside compiling (for
//!   `exfiltration`, a prepared detector, its warm-up and snapshot included).
//!
//! Run: `cargo bench -p aiir-host --bench runtime` (see BENCHMARKS.md).

#[path = "../../tests/guests/artifacts.rs"]
mod artifacts;

use aiir_host::decode::decode_line;
use aiir_host::pack::PACK;
use aiir_host::route::kind;
use aiir_host::runtime::{Event, Finding, Plugin, Runtime, Sandbox, Setup};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The events every benchmark reads, inference first; shared with `plugins/tools/bench-native`.
const EVENTS: &str = include_str!("../../plugins/tools/bench-events.jsonl");
/// The plugin whose load is measured.
const LOAD_PLUGIN: &str = "prompt-injection";
/// A plugin of the `prepared-detector` world, whose compile also runs its `warm-up` and
/// compiles the snapshot.
const PREPARED_PLUGIN: &str = "exfiltration";

/// An inference event with no text, model, principal or session: what a call costs
/// when there is next to nothing to lower into the guest.
const BARE: &str =
    r#"{"id":"b","time":"2026-11-27T13:00:00Z","source":"s","payload":{"inference":{"input":[],"output":[]}}}"#;

fn events() -> Vec<Event> {
    EVENTS.lines().map(|l| decode_line(l).expect("a bench event decodes")).collect()
}

fn tokio() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a tokio runtime")
}

fn start(rt: &tokio::runtime::Runtime, runtime: &Runtime, name: &str, wasm: &[u8]) -> Plugin {
    let loaded = runtime.load(wasm, &Sandbox::default()).unwrap_or_else(|e| panic!("cannot load {name}: {e}"));
    let setup = Setup { name: name.to_owned(), settings: "{}".into(), ..Setup::default() };
    rt.block_on(loaded.start(setup)).unwrap_or_else(|e| panic!("cannot start {name}: {e}"))
}

/// Time `iters` calls of `plugin.inspect(event)` inside one `block_on`, so that
/// the figure holds the call and not the executor's entry.
fn inspect_many(rt: &tokio::runtime::Runtime, plugin: &mut Plugin, event: &Event, iters: u64) -> Duration {
    rt.block_on(async {
        let started = Instant::now();
        for _ in 0..iters {
            let verdict = plugin.inspect(black_box(event), "").await;
            black_box(verdict.result.expect("inspect succeeds"));
        }
        started.elapsed()
    })
}

/// The native side of `overhead`: the same nothing, as a plain call.
#[inline(never)]
fn native_noop(event: &Event) -> Result<Vec<Finding>, String> {
    black_box(event);
    Ok(Vec::new())
}

fn overhead(c: &mut Criterion) {
    let rt = tokio();
    let runtime = Runtime::new(None, false).expect("a runtime");
    let wasm = std::fs::read(artifacts::guest("noop")).expect("the noop guest is built");
    let mut plugin = start(&rt, &runtime, "noop", &wasm);
    let event = &events()[0];
    let mut group = c.benchmark_group("overhead");
    group.bench_function("wasm/noop", |b| b.iter_custom(|iters| inspect_many(&rt, &mut plugin, event, iters)));
    group.bench_function("native/noop", |b| b.iter(|| native_noop(black_box(event))));
    let bare = decode_line(BARE).expect("the bare event decodes");
    group.bench_function("wasm/noop-bare", |b| b.iter_custom(|iters| inspect_many(&rt, &mut plugin, &bare, iters)));
    let wasm = std::fs::read(artifacts::guest("detector-v0-3")).expect("the detector-v0-3 guest is built");
    let mut record = start(&rt, &runtime, "record", &wasm);
    group.bench_function("wasm/record-v0-3", |b| b.iter_custom(|iters| inspect_many(&rt, &mut record, event, iters)));
    group.bench_function("wasm/record-v0-3-bare", |b| {
        b.iter_custom(|iters| inspect_many(&rt, &mut record, &bare, iters))
    });
    group.finish();
}

fn detectors(c: &mut Criterion) {
    let rt = tokio();
    let runtime = Runtime::new(None, false).expect("a runtime");
    let events = events();
    let mut group = c.benchmark_group("detector");
    for (name, wasm) in PACK {
        let mut plugin = start(&rt, &runtime, name, wasm);
        let event = events.iter().find(|e| plugin.wants(kind(e))).expect("an event of a kind it asks for");
        let first = rt.block_on(plugin.inspect(event, ""));
        let findings = first.result.unwrap_or_else(|e| panic!("{name} fails on {}: {e}", event.id));
        assert!(findings.is_empty(), "{name} finds {} in benign {}", findings.len(), event.id);
        group.bench_function(format!("wasm/{name}"), |b| {
            b.iter_custom(|iters| inspect_many(&rt, &mut plugin, event, iters));
        });
    }
    group.finish();
}

/// `classifier/wasm/prompt-classifier-1k`: the learned classifier on a 1 KB prompt
/// (`bench-1k-prompt`), beside `classifier/native/…` in `plugins/tools/bench-native`.
fn classifier(c: &mut Criterion) {
    let rt = tokio();
    let runtime = Runtime::new(None, false).expect("a runtime");
    let wasm = aiir_host::pack::find("prompt-classifier").expect("the classifier is in the pack");
    let mut plugin = start(&rt, &runtime, "prompt-classifier", wasm);
    let event = events().into_iter().find(|e| e.id == "bench-1k-prompt").expect("the 1 KB prompt");
    let mut group = c.benchmark_group("classifier");
    group.bench_function("wasm/prompt-classifier-1k", |b| {
        b.iter_custom(|iters| inspect_many(&rt, &mut plugin, &event, iters))
    });
    group.finish();
}

/// `first-call/<name>`: a new instance's first `inspect` of its bench event, with what
/// the plugin builds on first use (regexes, automata, tables); loading the component
/// from a filled cache and starting the instance stay outside the timing.
fn first_call(c: &mut Criterion) {
    let rt = tokio();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let runtime = Runtime::new(Some(dir.path().to_path_buf()), false).expect("a runtime");
    let events = events();
    let mut group = c.benchmark_group("first-call");
    group.sample_size(10);
    for (name, wasm) in PACK {
        let wanted = |plugin: &Plugin| events.iter().find(|e| plugin.wants(kind(e))).expect("an event it asks for");
        let event = wanted(&start(&rt, &runtime, name, wasm));
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                let first = |_| {
                    let mut plugin = start(&rt, &runtime, name, wasm);
                    let started = Instant::now();
                    black_box(rt.block_on(plugin.inspect(event, "")).result.expect("inspect succeeds"));
                    started.elapsed()
                };
                (0..iters).map(first).sum()
            });
        });
    }
    group.finish();
}

fn load(c: &mut Criterion) {
    let wasm = aiir_host::pack::find(LOAD_PLUGIN).expect("the plugin is in the pack");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cached = Runtime::new(Some(dir.path().to_path_buf()), false).expect("a runtime");
    cached.load(wasm, &Sandbox::default()).expect("the first load fills the cache");
    let compiling = Runtime::new(None, false).expect("a runtime");
    let mut group = c.benchmark_group("load");
    group.bench_function(format!("cached/{LOAD_PLUGIN}"), |b| {
        b.iter(|| {
            let loaded = cached.load(black_box(wasm), &Sandbox::default()).expect("loads");
            assert!(loaded.stats().cached, "served by the cache");
            loaded
        });
    });
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    for name in [LOAD_PLUGIN, PREPARED_PLUGIN] {
        let wasm = aiir_host::pack::find(name).expect("the plugin is in the pack");
        group.bench_function(format!("compile/{name}"), |b| {
            b.iter(|| compiling.load(black_box(wasm), &Sandbox::default()).expect("compiles"));
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = overhead, detectors, classifier, first_call, load
}
criterion_main!(benches);
