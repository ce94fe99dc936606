//! `hostile`: a detector that attacks the host running it, in the way its `attack`
//! setting names, on every `inspect` call (or only on the event `on_event` names).
//!
//! It exists to prove that the host contains a plugin nobody vouches for: an endless
//! loop, a stack overflow, a memory hog, a flood of findings or log lines, a blocking
//! sleep or a panic must each cost one plugin call, never the host; and `env` shows
//! what the environment a plugin sees holds (nothing, when the sandbox is right).
//!
//! Built only for the end-to-end tests, never shipped. Every attack goes through
//! [`black_box`] so that a release build cannot optimize it away.

use aiir_sdk::prelude::*;
use serde::Deserialize;
use std::hint::black_box;
use std::time::Duration;

const DOC: &str = "\
- `attack` (string, required): what every `inspect` does, one of `loop`, `recursion`, \
`memory`, `million-findings`, `big-string`, `panic`, `env`, `sleep`, `log-flood`, `leak` \
(1 KiB never freed per call, and no findings).
- `on_event` (string, optional): attack only on the event with this id; every other \
event returns no findings.";

/// How many findings `million-findings` returns.
const FLOOD_FINDINGS: usize = 1_000_000;
/// Length of the title `big-string` returns: 100 MiB.
const BIG_STRING_BYTES: usize = 100 * 1024 * 1024;
/// Size of each chunk `memory` allocates: 1 MiB.
const MEMORY_CHUNK_BYTES: usize = 1024 * 1024;
/// Bytes `leak` never frees, per call.
const LEAK_BYTES: usize = 1024;
/// How many 1 KiB lines `log-flood` writes.
const LOG_LINES: usize = 10_000_000;

/// The settings table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    /// `attack = "loop"`
    attack: Attack,
    /// `on_event = "evt-0002"`
    on_event: Option<String>,
}

/// What `inspect` does.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Attack {
    Loop,
    Recursion,
    Memory,
    MillionFindings,
    BigString,
    Panic,
    Env,
    Sleep,
    LogFlood,
    Leak,
}

/// The detector: its settings, once configured.
#[derive(Debug, Default)]
pub struct Hostile {
    config: Option<Config>,
}

impl Detector for Hostile {
    fn info() -> PluginInfo {
        PluginInfo::new("hostile", env!("CARGO_PKG_VERSION"), "attacks its host on purpose, to test the sandbox")
            .kinds([EventKind::Inference, EventKind::ToolCall, EventKind::Custom])
            .settings(DOC)
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        self.config = Some(settings.parse()?);
        Ok(())
    }

    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
        let config = self.config.as_ref().ok_or("not configured")?;
        if config.on_event.as_ref().is_some_and(|id| *id != event.id) {
            return Ok(Vec::new());
        }
        Ok(attack(config.attack))
    }
}

fn attack(attack: Attack) -> Vec<Finding> {
    match attack {
        Attack::Loop => spin(),
        Attack::Recursion => vec![info("hostile/recursion", format!("depth {}", recurse(0)))],
        Attack::Memory => hoard(),
        Attack::MillionFindings => flood(),
        Attack::BigString => vec![info("hostile/big-string", "A".repeat(black_box(BIG_STRING_BYTES)))],
        Attack::Panic => panic!("hostile plugin panics on purpose"),
        Attack::Leak => {
            black_box(Vec::leak(vec![0x5A_u8; black_box(LEAK_BYTES)]));
            Vec::new()
        }
        Attack::Env => vec![environment()],
        Attack::Sleep => {
            std::thread::sleep(Duration::from_secs(3600));
            Vec::new()
        }
        Attack::LogFlood => {
            let line = "x".repeat(1024);
            for _ in 0..black_box(LOG_LINES) {
                aiir_sdk::log::info(black_box(&line));
            }
            Vec::new()
        }
    }
}

fn info(rule: &str, title: impl Into<String>) -> Finding {
    Finding::new(rule, title, Severity::Info)
}

/// Count forever; the counter goes through `black_box` so the loop stays a loop.
fn spin() -> ! {
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

/// Recurse until the stack overflows. The addition after the call keeps it from
/// being a tail call, and the opaque exit keeps rustc from calling it unconditional.
fn recurse(depth: u64) -> u64 {
    if black_box(depth) == u64::MAX {
        return 0;
    }
    recurse(black_box(depth + 1)).wrapping_add(black_box(depth))
}

/// Allocate 1 MiB chunks filled with non-zero bytes, so every page is touched,
/// until allocation fails.
fn hoard() -> ! {
    let mut chunks = Vec::new();
    loop {
        chunks.push(vec![0xA5_u8; MEMORY_CHUNK_BYTES]);
        black_box(&chunks);
    }
}

/// Exactly a million tiny findings, without techniques or evidence.
fn flood() -> Vec<Finding> {
    let mut findings = Vec::with_capacity(FLOOD_FINDINGS);
    for _ in 0..black_box(FLOOD_FINDINGS) {
        findings.push(info("hostile/flood", "x"));
    }
    findings
}

/// Everything the plugin can see of its process: each variable as evidence.
fn environment() -> Finding {
    let vars: Vec<(String, String)> = std::env::vars().collect();
    let nargs = std::env::args().count();
    let title = format!("environment: {} variables, {} arguments", vars.len(), nargs);
    vars.iter()
        .fold(info("hostile/env", title), |f, (key, value)| f.evidence("payload.custom.data", format!("{key}={value}")))
}

aiir_sdk::export_detector!(Hostile);
