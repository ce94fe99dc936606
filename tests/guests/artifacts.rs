//! Build the components of `tests/guests/` from source and find them; shared by the
//! end-to-end tests (`tests/all/support.rs`) and the host benchmarks
//! (`host/benches/runtime.rs`), each of which includes this file with `#[path]`.
//!
//! The nested `cargo` gets its own target directory under the including target's
//! `CARGO_TARGET_TMPDIR`, so it never waits on the lock of the build that runs it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A component from `tests/guests/`, built on first use. Cargo names a library's
/// file with underscores and a binary's as its package.
pub fn guest(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(build_guests);
    let lib = dir.join(format!("{}.wasm", name.replace('-', "_")));
    if lib.exists() { lib } else { dir.join(format!("{name}.wasm")) }
}

fn build_guests() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("guests");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root.join("tests/guests"))
        .args(["build", "--release", "--workspace", "--target", "wasm32-wasip2", "--target-dir"])
        .arg(&target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .status()
        .expect("cannot run cargo to build tests/guests");
    assert!(status.success(), "building tests/guests failed");
    target_dir.join("wasm32-wasip2/release")
}
