//! A plugin that is missing, not a component, or of another world fails to load
//! with a message naming the plugin and the reason.

use crate::support::{aiir_run, guest, temp_file};

/// Run with a config whose one detector `bad` loads `wasm`; return stderr.
fn load_failure(wasm: &str) -> String {
    let config = format!("[[detector]]\nname = \"bad\"\nwasm = {wasm:?}\n");
    let (dir, path) = temp_file("aiir.toml", config.as_bytes());
    std::fs::write(dir.path().join("garbage.wasm"), b"MZ\x90\x00 this is not wasm").unwrap();
    std::fs::write(dir.path().join("core.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let run = aiir_run(&["--config", path.to_str().unwrap(), "/dev/null"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    run.stderr
}

#[test]
fn missing_file() {
    let err = load_failure("nowhere.wasm");
    assert!(err.contains("detector[0].wasm: cannot read"), "{err}");
    assert!(err.contains("nowhere.wasm: No such file"), "{err}");
}

#[test]
fn not_webassembly() {
    let err = load_failure("garbage.wasm");
    assert!(err.contains("detector[0]: plugin \"bad\""), "{err}");
    assert!(err.contains("not a WebAssembly binary"), "{err}");
}

#[test]
fn core_module_instead_of_component() {
    let err = load_failure("core.wasm");
    assert!(err.contains("plugin \"bad\""), "{err}");
    assert!(err.contains("a core WebAssembly module, not a component"), "{err}");
}

#[test]
fn component_of_another_world() {
    let wasm = guest("not-a-detector");
    let err = load_failure(wasm.to_str().unwrap());
    assert!(err.contains("plugin \"bad\""), "{err}");
    assert!(err.contains("does not implement the aiir:plugin/detector world"), "{err}");
    assert!(err.contains("`inspect`") && err.contains("wasi:cli/run"), "{err}");
}
