//! `plugins/README.md`'s index and each standard plugin's README are generated from
//! what the plugins say of themselves (`aiir inspect`: `info()`) and from their cases
//! files, and checked here, so neither can drift from the code. After changing a
//! plugin: `AIIR_BLESS=1 cargo test --release --test e2e plugin_index` rewrites them.

use crate::support::{aiir, pack, root, shared_cache};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

/// What `aiir inspect` says of a plugin of the pack.
struct Info {
    name: String,
    description: String,
    world: &'static str,
    /// The world, and whether the default chain leaves it out.
    role: String,
    kinds: String,
    settings: String,
}

fn inspect(name: &str) -> Info {
    let cache = shared_cache();
    let run = aiir(&root(), &["inspect", "--cache-dir", cache.to_str().unwrap(), pack(name).to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let field = |key: &str| {
        let prefix = format!("{key:<11}");
        let at = run.stdout.lines().position(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no {key}"));
        let first = run.stdout.lines().nth(at).unwrap()[prefix.len()..].to_owned();
        // The settings doc continues on lines indented under it.
        let more = run.stdout.lines().skip(at + 1).take_while(|l| l.starts_with("           "));
        more.fold(first, |all, l| format!("{all}\n{}", l.trim_start()))
    };
    let world = if field("world").contains("responder") { "responder" } else { "detector" };
    let kinds = if world == "responder" { "incidents".to_owned() } else { field("kinds") };
    let chain = if aiir_host::pack::OPT_IN.contains(&name) { " (opt-in: a config names it)" } else { "" };
    let world_shown = format!("{world}{chain}");
    Info {
        name: name.to_owned(),
        description: field("about"),
        world,
        role: world_shown,
        kinds,
        settings: field("settings"),
    }
}

/// The rule ids a cases file names, in order of first use.
fn rules(cases: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(cases) else { return Vec::new() };
    let mut seen = BTreeSet::new();
    let named = text.lines().filter_map(|l| l.trim().strip_prefix("rule = \"")?.strip_suffix('"'));
    named.filter(|r| seen.insert(r.to_string())).map(str::to_owned).collect()
}

fn folder(info: &Info) -> String {
    format!("{}s/{}", info.world, info.name)
}

fn plugin_readme(info: &Info) -> String {
    let dir = folder(info);
    let cases = root().join("plugins").join(&dir).join("cases.toml");
    let rules = rules(&cases);
    let mut out = format!("# {}\n\n{}\n\n", info.name, info.description);
    let _ = writeln!(out, "- **world**: {}; **events**: {}", info.role, info.kinds);
    if !rules.is_empty() {
        let ids: Vec<String> = rules.iter().map(|r| format!("`{r}`")).collect();
        let _ = writeln!(out, "- **rules** (those its cases exercise): {}", ids.join(", "));
        let n = std::fs::read_to_string(&cases).unwrap().lines().filter(|l| l.trim() == "[[case]]").count();
        let _ = writeln!(
            out,
            "- **cases**: `cases.toml`, {n} cases: `aiir test {}.wasm --cases plugins/{dir}/cases.toml`",
            info.name.replace('-', "_")
        );
    }
    let _ = writeln!(out, "\n## Settings\n\n{}", info.settings.replace('\n', "\n\n"));
    out.push_str("\n<!-- Generated from the plugin's info() and cases file by tests/all/plugin_index.rs. -->\n");
    out
}

fn index(infos: &[Info]) -> String {
    let mut out = String::from(INDEX_HEAD);
    out.push_str("| plugin | world | events | what it does |\n|---|---|---|---|\n");
    for info in infos {
        let link = format!("[{}]({}/README.md)", info.name, folder(info));
        let _ = writeln!(out, "| {link} | {} | {} | {} |", info.role, info.kinds, info.description.replace('|', "\\|"));
    }
    out.push_str(INDEX_TAIL);
    out
}

const INDEX_HEAD: &str = "# The standard pack

The plugins `aiir` embeds and runs with no config. `detectors/` and `responders/` hold one
crate each, with its README and (detectors) its cases file; `lib/` the libraries they
share (`textscan`, `datakit`, `statekit`); `tools/` what measures and tests them
(`eval-native`, `bench-native`, the shared test helpers and the benchmark events).

";

const INDEX_TAIL: &str = "
<!-- Generated from each plugin's info() by tests/all/plugin_index.rs; \
`AIIR_BLESS=1 cargo test --release --test e2e plugin_index` rewrites it. -->
";

/// Compare `path` with `want`, or write it when blessing.
fn check(path: &Path, want: &str, stale: &mut Vec<String>) {
    let have = std::fs::read_to_string(path).unwrap_or_default();
    if have == want {
        return;
    }
    if std::env::var_os("AIIR_BLESS").is_some() {
        std::fs::write(path, want).unwrap();
    } else {
        stale.push(format!("{}:\n{want}", path.display()));
    }
}

#[test]
fn the_plugins_index_and_readmes_say_what_the_plugins_do() {
    let mut names: Vec<&str> =
        aiir_host::pack::PACK.iter().chain(aiir_host::pack::RESPONDERS).map(|(n, _)| *n).collect();
    names.sort_unstable();
    let infos: Vec<Info> = names.iter().map(|n| inspect(n)).collect();
    let mut stale = Vec::new();
    for info in &infos {
        check(&root().join("plugins").join(folder(info)).join("README.md"), &plugin_readme(info), &mut stale);
    }
    check(&root().join("plugins/README.md"), &index(&infos), &mut stale);
    assert!(stale.is_empty(), "stale (AIIR_BLESS=1 rewrites them):\n{}", stale.join("\n"));
}
