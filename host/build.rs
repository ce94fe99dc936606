//! Builds the standard pack (`plugins/`, a nested workspace) for `wasm32-wasip2` and
//! embeds it, so that `aiir` runs with no files but a log.
//!
//! The nested `cargo` gets its own target directory (beside ours) so it never waits on
//! the lock of the build that runs this script.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap();
    let plugins = root.join("plugins");
    let members = workspace_members(&plugins);

    watch(root, &members);
    let out_dir = wasm_target_dir();
    build_plugins(&plugins, &out_dir);

    let wasm_dir = out_dir.join(WASM_TARGET).join("release");
    let pack = pack_source(&wasm_dir, &members);
    let generated = PathBuf::from(env::var_os("OUT_DIR").unwrap()).join("pack.rs");
    std::fs::write(generated, pack).unwrap();
    let scaffold = PathBuf::from(env::var_os("OUT_DIR").unwrap()).join("scaffold.rs");
    std::fs::write(scaffold, scaffold_source(root)).unwrap();
    println!("cargo:rustc-env=AIIR_PACK_DIR={}", wasm_dir.display());
    println!("cargo:rustc-env=AIIR_WASMTIME_VERSION={}", wasmtime_version(root));
}

/// A member of the plugins workspace.
struct Member {
    /// Its directory, relative to `plugins/`.
    dir: String,
    /// Its package name.
    name: String,
    /// Whether it is a plugin (a `cdylib`), not a library plugins share.
    plugin: bool,
    /// Whether the plugin is a responder (`[package.metadata.aiir] world = "responder"`),
    /// not a detector.
    responder: bool,
    /// Whether it stays out of the default chain (`[package.metadata.aiir] chain =
    /// "opt-in"`): a config or `aiir eval --plugin` names it.
    opt_in: bool,
}

/// The members of the plugins workspace, in the order its manifest lists them.
fn workspace_members(plugins: &Path) -> Vec<Member> {
    let manifest: toml::Table = read(&plugins.join("Cargo.toml")).parse().unwrap();
    let members = manifest["workspace"]["members"].as_array().unwrap();
    members
        .iter()
        .map(|m| {
            let dir = m.as_str().unwrap().to_owned();
            let package: toml::Table = read(&plugins.join(&dir).join("Cargo.toml")).parse().unwrap();
            let types = package.get("lib").and_then(|l| l.get("crate-type")).and_then(|t| t.as_array());
            let plugin = types.is_some_and(|t| t.iter().any(|t| t.as_str() == Some("cdylib")));
            let aiir = package["package"].get("metadata").and_then(|m| m.get("aiir"));
            let key = |k: &str| aiir.and_then(|a| a.get(k)).and_then(|v| v.as_str().map(str::to_owned));
            let responder = key("world").as_deref() == Some("responder");
            let opt_in = key("chain").as_deref() == Some("opt-in");
            Member { dir, name: package["package"]["name"].as_str().unwrap().to_owned(), plugin, responder, opt_in }
        })
        .collect()
}

/// Rebuild when a plugin, a library they share, the SDK or the contract changes; not
/// on every build artifact (those live under `plugins/target`, outside the members).
fn watch(root: &Path, members: &[Member]) {
    // Cargo keeps a build script's watched paths by unit, not by checkout: without this,
    // another checkout sharing the target directory would see the first one's files
    // unchanged and embed its pack (`.cargo/config.toml` sets the variable).
    println!("cargo:rerun-if-env-changed=AIIR_SOURCE_ROOT");
    let fixed = ["plugins/Cargo.toml", "plugins/Cargo.lock", "plugins/.cargo", "sdk", "wit"].map(String::from);
    // A member's whole folder: its sources, manifest, build script and embedded data
    // (the classifier's weights).
    let per_member = members.iter().map(|m| format!("plugins/{}", m.dir));
    for p in fixed.into_iter().chain(per_member) {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
}

/// `<target dir>/wasm`: beside our own artifacts, so CI's reused target dir keeps it.
fn wasm_target_dir() -> PathBuf {
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let target = out.ancestors().nth(4).unwrap().to_path_buf();
    target.join("wasm")
}

fn build_plugins(plugins: &Path, target_dir: &Path) {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(plugins)
        .args(["build", "--release", "--workspace", "--target", WASM_TARGET])
        .arg("--target-dir")
        .arg(target_dir);
    // Settings meant for the host build must not reach the guest build.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("failed to run cargo for the plugins");
    assert!(
        status.success(),
        "building the standard pack (plugins/) for {WASM_TARGET} failed: see cargo's output above \
         (a missing target is installed with `rustup target add {WASM_TARGET}`)"
    );
}

fn pack_source(wasm_dir: &Path, members: &[Member]) -> String {
    let mut src = String::new();
    for (doc, name, responders) in [("detectors", "PACK", false), ("responders", "RESPONDERS", true)] {
        writeln!(src, "/// The standard pack's {doc}: (name, component bytes), built from `plugins/`.").unwrap();
        writeln!(src, "pub const {name}: &[(&str, &[u8])] = &[").unwrap();
        for m in members.iter().filter(|m| m.plugin && m.responder == responders) {
            let file = wasm_dir.join(format!("{}.wasm", m.name.replace('-', "_")));
            writeln!(src, "    ({:?}, include_bytes!({:?})),", m.name, file.display().to_string()).unwrap();
        }
        src.push_str("];\n");
    }
    let opt_in: Vec<&str> = members.iter().filter(|m| m.plugin && m.opt_in).map(|m| m.name.as_str()).collect();
    writeln!(src, "/// Detectors of the pack left out of the default chain until a config names them.").unwrap();
    writeln!(src, "pub const OPT_IN: &[&str] = &{opt_in:?};").unwrap();
    src
}

/// Files `aiir new` writes: the contract, each language's SDK and the project
/// templates, as `(path, bytes, executable)` tables named by folder.
fn scaffold_source(root: &Path) -> String {
    let sdk = root.join("sdk");
    let mut src = String::from("/// The contract, `wit/`.\n");
    writeln!(src, "pub const WIT: Files = {};", files_source(&root.join("wit"), &[])).unwrap();
    let mut folders: Vec<String> = std::fs::read_dir(&sdk)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    folders.sort();
    src.push_str("/// The folders of `sdk/` (each SDK, and `template`), without templates or tests.\n");
    src.push_str("pub const SDK: &[(&str, Files)] = &[\n");
    for folder in folders.iter().filter(|f| *f != "template") {
        writeln!(src, "    ({folder:?}, {}),", files_source(&sdk.join(folder), &["template", "tests", "test"]))
            .unwrap();
    }
    src.push_str("];\n/// Project templates: (language or `shared`, kind or `both`, files).\n");
    src.push_str("pub const TEMPLATES: &[(&str, &str, Files)] = &[\n");
    const KINDS: [&str; 2] = ["detector", "responder"];
    for folder in &folders {
        let dir = if folder == "template" { sdk.join(folder) } else { sdk.join(folder).join("template") };
        let lang = if folder == "template" { "shared" } else { folder.as_str() };
        for kind in KINDS.iter().filter(|k| dir.join(k).is_dir()) {
            writeln!(src, "    ({lang:?}, {kind:?}, {}),", files_source(&dir.join(kind), &[])).unwrap();
        }
        // The files beside the kinds' folders serve both kinds.
        if dir.is_dir() {
            writeln!(src, "    ({lang:?}, \"both\", {}),", files_source(&dir, &KINDS)).unwrap();
        }
    }
    src.push_str("];\n");
    src
}

/// Every file under `dir` (sorted, relative paths), skipping `skip` folders and what
/// builds and package managers leave behind.
fn files_source(dir: &Path, skip: &[&str]) -> String {
    const LEFT_BEHIND: &[&str] = &["target", "node_modules", "__pycache__", "dist", "build", ".pytest_cache"];
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap().map(|e| e.unwrap()) {
            let name = entry.file_name().into_string().unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                let left_behind = LEFT_BEHIND.contains(&name.as_str()) || name.ends_with(".egg-info");
                let skipped = d == dir && skip.contains(&name.as_str());
                if !(left_behind || skipped) {
                    pending.push(path);
                }
            } else if !name.ends_with(".wasm") && !name.ends_with(".pyc") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut src = String::from("&[\n");
    for path in files {
        use std::os::unix::fs::PermissionsExt as _;
        let executable = std::fs::metadata(&path).unwrap().permissions().mode() & 0o111 != 0;
        let relative = path.strip_prefix(dir).unwrap().to_str().unwrap();
        writeln!(src, "        ({relative:?}, include_bytes!({:?}), {executable}),", path.display().to_string())
            .unwrap();
    }
    src.push_str("    ]");
    src
}

/// The wasmtime version in our lock file: part of the precompiled-cache key.
fn wasmtime_version(root: &Path) -> String {
    let lock: toml::Table = read(&root.join("Cargo.lock")).parse().unwrap();
    let packages = lock["package"].as_array().unwrap();
    let wasmtime = packages.iter().find(|p| p["name"].as_str() == Some("wasmtime")).unwrap();
    wasmtime["version"].as_str().unwrap().to_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
