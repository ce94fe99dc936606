//! What a plugin written from `aiir new` costs in each SDK language: the detector
//! template (watched phrases, default settings) built with its pinned toolchain,
//! inspecting the 1 KB inference event of `plugins/tools/bench-events.jsonl` (it finds
//! nothing there), warm; beside `templates/native`, the same search as a plain Rust
//! function over the same texts. `templates/load/<lang>` loads each from a filled
//! precompiled cache, `templates/compile/<lang>` compiles it.
//!
//! Needs the toolchains `./x test` installs (`sdk/<lang>/toolchain.sh`).
//! Run: `cargo bench -p aiir-host --bench templates` (see BENCHMARKS.md).

use aiir_host::decode::decode_line;
use aiir_host::runtime::{Event, Payload, Plugin, Runtime, Sandbox, Setup};
use aiir_host::scaffold::{Kind, Lang, project, write};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const EVENTS: &str = include_str!("../../plugins/tools/bench-events.jsonl");
const LANGS: [Lang; 4] = [Lang::Rust, Lang::Python, Lang::Js, Lang::C];

fn inference() -> Event {
    decode_line(EVENTS.lines().next().unwrap()).expect("the bench event decodes")
}

/// `aiir new detector bench-<lang>` built by its `build.sh`: the component's bytes.
fn build(lang: Lang, dir: &Path) -> Vec<u8> {
    let name = format!("bench-{}", lang.folder());
    let project_dir = dir.join(&name);
    write(&project_dir, &project(Kind::Detector, &name, lang).unwrap()).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut path = std::env::var("PATH").unwrap_or_default();
    if lang != Lang::Rust {
        let script = root.join(format!("sdk/{}/toolchain.sh", lang.folder()));
        let out = Command::new("bash").arg(script).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let bin = String::from_utf8_lossy(&out.stdout).lines().last().unwrap().to_owned();
        path = format!("{bin}:{path}");
    }
    let target: PathBuf = std::env::var_os("CARGO_TARGET_DIR").map_or(root.join("target"), PathBuf::from);
    let status = Command::new("./build.sh")
        .current_dir(&project_dir)
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", target.join("tmp/templates"))
        .status()
        .unwrap();
    assert!(status.success(), "building the {} template failed", lang.folder());
    std::fs::read(project_dir.join(format!("{name}.wasm"))).unwrap()
}

fn start(rt: &tokio::runtime::Runtime, runtime: &Runtime, wasm: &[u8]) -> Plugin {
    let loaded = runtime.load(wasm, &Sandbox::default()).expect("the template loads with no grants");
    rt.block_on(loaded.start(Setup { name: "bench".into(), settings: "{}".into(), ..Setup::default() })).unwrap()
}

fn inspect_many(rt: &tokio::runtime::Runtime, plugin: &mut Plugin, event: &Event, iters: u64) -> Duration {
    rt.block_on(async {
        let started = Instant::now();
        for _ in 0..iters {
            let verdict = plugin.inspect(black_box(event), "").await;
            assert!(verdict.result.expect("inspect succeeds").is_empty());
        }
        started.elapsed()
    })
}

/// The template's work natively: every text lowercased and searched for the phrase.
#[inline(never)]
fn native_watch(event: &Event, phrase: &str) -> usize {
    let Payload::Inference(i) = &event.payload else { return 0 };
    let messages = i.input.iter().chain(&i.output).map(|m| m.content.as_str());
    let texts = messages.chain(i.retrieved.iter().map(|d| d.content.as_str()));
    texts.filter(|t| t.to_lowercase().contains(phrase)).count()
}

fn templates(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let event = inference();
    let mut group = c.benchmark_group("templates");
    group.bench_function("native", |b| b.iter(|| native_watch(black_box(&event), "previous instructions")));
    for lang in LANGS {
        let wasm = build(lang, dir.path());
        let mut plugin = start(&rt, &Runtime::new(None, false).unwrap(), &wasm);
        let id = format!("wasm/{}", lang.folder());
        group.bench_function(id, |b| b.iter_custom(|iters| inspect_many(&rt, &mut plugin, &event, iters)));
        let cached = Runtime::new(Some(cache.path().to_owned()), false).unwrap();
        cached.load(&wasm, &Sandbox::default()).unwrap();
        group.bench_function(format!("load/{}", lang.folder()), |b| {
            b.iter(|| black_box(cached.load(&wasm, &Sandbox::default()).unwrap()))
        });
    }
    group.finish();
    let mut compile = c.benchmark_group("templates-compile");
    compile.sample_size(10).measurement_time(Duration::from_secs(30));
    for lang in LANGS {
        let wasm = build(lang, dir.path().join("again").as_path());
        let fresh = Runtime::new(None, false).unwrap();
        compile
            .bench_function(lang.folder(), |b| b.iter(|| black_box(fresh.load(&wasm, &Sandbox::default()).unwrap())));
    }
    compile.finish();
}

criterion_group!(benches, templates);
criterion_main!(benches);
