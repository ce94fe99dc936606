//! Bounded load (issue 10): a component is checked against the load limits, its
//! world and its imports before it is compiled, the cache is written only for what
//! passed, and a plugin file that is not a regular file is refused without reading it.

use crate::support::{Contained, aiir, aiir_run, guest, root, temp_file};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// What the issue allows a refusal to cost: time (of CPU) and peak memory.
const REFUSAL_TIME: Duration = Duration::from_secs(1);
const REFUSAL_RSS_KIB: i64 = 100 * 1024;
/// How long a test waits before it calls the binary hung.
const HANG: Duration = Duration::from_secs(30);

/// A 2 MB component whose one core module defines `functions` empty functions:
/// cheap to write, and 51 s and 2.7 GB to compile at 500,000.
fn function_bomb(functions: u32) -> Vec<u8> {
    let mut types = wasm_encoder::TypeSection::new();
    types.ty().function([], []);
    let mut funcs = wasm_encoder::FunctionSection::new();
    let mut code = wasm_encoder::CodeSection::new();
    let mut body = wasm_encoder::Function::new([]);
    body.instructions().end();
    for _ in 0..functions {
        funcs.function(0);
        code.function(&body);
    }
    let mut module = wasm_encoder::Module::new();
    module.section(&types).section(&funcs).section(&code);
    let mut component = wasm_encoder::Component::new();
    component.section(&wasm_encoder::ModuleSection(&module));
    component.finish()
}

/// `aiir ARGS…` from the repository root, timed and measured; killed if it hangs.
fn measured(args: &[&str]) -> Contained {
    crate::support::measured_in(&root(), args, HANG)
}

fn entries(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(read) => read.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("cannot list {}: {e}", dir.display()),
    }
}

const BOMB_REFUSAL: &str = "over a load limit: 500000 core functions, more than the cap of 100000";

#[test]
fn a_component_of_500000_functions_is_refused_before_compiling() {
    let (dir, bomb) = temp_file("bomb.wasm", &function_bomb(500_000));
    let cache = dir.path().join("cache");
    let run = measured(&["inspect", "--cache-dir", cache.to_str().unwrap(), bomb.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stderr.trim_end(), format!("aiir: error: plugin {}: {BOMB_REFUSAL}", bomb.display()));
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // CPU time: the wall clock of a shared 2-core machine building the test guests
    // beside this test measures the machine; the work the refusal costs is the bound.
    assert!(run.cpu < REFUSAL_TIME, "refused after {:?} of CPU ({:?} wall)", run.cpu, run.elapsed);
    assert!(run.max_rss_kib < REFUSAL_RSS_KIB, "grew to {} KiB", run.max_rss_kib);
    assert_eq!(entries(&cache), Vec::<String>::new(), "nothing refused is cached");
}

#[test]
fn a_run_names_the_refused_detector_at_its_path() {
    let (dir, bomb) = temp_file("bomb.wasm", &function_bomb(500_000));
    let config = dir.path().join("aiir.toml");
    std::fs::write(
        &config,
        "[[detector]]\nname = \"prompt-injection\"\n[[detector]]\nname = \"bomb\"\nwasm = \"bomb.wasm\"\n",
    )
    .unwrap();
    let run = aiir_run(&["--config", config.to_str().unwrap(), "/dev/null"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let problem = format!("  detector[1]: plugin \"bomb\" ({}): {BOMB_REFUSAL}", bomb.display());
    assert!(run.stderr.lines().any(|l| l == problem), "lacks {problem:?}:\n{}", run.stderr);
}

#[test]
fn another_world_is_refused_before_anything_is_cached() {
    let cache = tempfile::tempdir().unwrap();
    let wasm = guest("not-a-detector");
    let run = aiir(&root(), &["inspect", "--cache-dir", cache.path().to_str().unwrap(), wasm.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("does not implement the aiir:plugin/detector world"), "{}", run.stderr);
    assert_eq!(entries(cache.path()), Vec::<String>::new());
}

#[test]
fn a_plugin_must_be_a_regular_file() {
    let run = measured(&["inspect", "--no-cache", "/dev/zero"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stderr.trim_end(), "aiir: error: cannot read /dev/zero: a character device, not a regular file");

    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("plugin.wasm");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo failed");
    let run = measured(&["inspect", "--no-cache", fifo.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim_end(),
        format!("aiir: error: cannot read {}: a FIFO, not a regular file", fifo.display())
    );

    let (dir, config) = temp_file("aiir.toml", b"[[detector]]\nname = \"zero\"\nwasm = \"/dev/zero\"\n");
    let run = measured(&["run", "--no-store", "--config", config.to_str().unwrap(), "/dev/null"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let problem = "  detector[0].wasm: cannot read /dev/zero: a character device, not a regular file";
    assert!(run.stderr.lines().any(|l| l == problem), "lacks {problem:?}:\n{}", run.stderr);
    drop(dir);
}

#[test]
fn a_file_over_the_size_cap_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.wasm");
    // Sparse: the size is what is checked, before a byte is read.
    std::fs::File::create(&big).unwrap().set_len((64 << 20) + 1).unwrap();
    let run = measured(&["inspect", "--no-cache", big.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "aiir: error: cannot read {}: over a load limit: 67108865 bytes of component, more than the cap of 67108864",
            big.display()
        )
    );
}

#[test]
fn a_store_that_cannot_be_opened_is_reported_before_any_plugin_is_compiled() {
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().join("cache");
    let run =
        measured(&["run", "--cache-dir", cache_dir.to_str().unwrap(), "--store", "/dev/null/aiir.db", "/dev/null"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("/dev/null"), "the store is not named:\n{}", run.stderr);
    assert_eq!(entries(&cache_dir), Vec::<String>::new(), "plugins were compiled before the store was checked");
}
