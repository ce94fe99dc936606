//! `aiir shadow OLD NEW LOG…`: two versions of a detector (or one with two sets of
//! settings) over the same recorded events, and where they differ. Neither side's
//! findings reach a store, an incident or a responder: this is how a reviewer sees what
//! promoting a new version would change before it goes live.
//!
//! Findings are compared by event and by rule slug (the part after `<plugin>/`, so a
//! renamed plugin still lines up); per slug, the events where both found it, only the old
//! version, only the new one; the cost of each side is the wall time of its calls.

use crate::decode::{Format, decode};
use crate::role::{Partition, Role};
use crate::runtime::{Plugin, Runtime, Sandbox, Setup, sha256_hex};
use anyhow::Context as _;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead as _;
use std::path::PathBuf;

/// Event ids kept as examples per rule and side.
const EXAMPLES: usize = 5;

/// One side of the comparison, as asked.
#[derive(Debug, Clone)]
pub struct Side {
    /// The component file.
    pub wasm: PathBuf,
    /// Its settings, as JSON text.
    pub settings: String,
}

/// What `aiir shadow` was asked to do.
#[derive(Debug, Clone)]
pub struct ShadowOptions {
    /// The version running now.
    pub old: Side,
    /// The version to promote.
    pub new: Side,
    /// The recorded logs.
    pub inputs: Vec<PathBuf>,
    /// How they are written.
    pub format: Format,
    /// The precompiled-component cache.
    pub cache_dir: Option<PathBuf>,
}

/// What one side was and did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SideReport {
    /// Its own name and version.
    pub plugin: String,
    /// Its version.
    pub version: String,
    /// sha256 of the component.
    pub sha256: String,
    /// Events it was handed.
    pub inspected: u64,
    /// Findings it returned.
    pub findings: u64,
    /// Failed calls, by reason.
    pub errors: BTreeMap<String, u64>,
    /// Wall time of its calls, in milliseconds.
    pub wall_ms: f64,
}

/// Where the two agree and differ on one rule slug.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleDiff {
    /// Events where both found it.
    pub both: u64,
    /// Events where only the old version found it.
    pub only_old: u64,
    /// Events where only the new version found it.
    pub only_new: u64,
    /// Some of the events only the old version found it in.
    pub only_old_events: Vec<String>,
    /// Some of the events only the new version found it in.
    pub only_new_events: Vec<String>,
}

/// The divergence report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ShadowReport {
    /// The old side.
    pub old: SideReport,
    /// The new side.
    pub new: SideReport,
    /// Events read.
    pub events: u64,
    /// Lines that could not be read, each named on stderr.
    pub rejected: u64,
    /// Per rule slug.
    pub rules: BTreeMap<String, RuleDiff>,
}

impl ShadowReport {
    /// Whether the two found the same rules in the same events.
    pub fn agree(&self) -> bool {
        self.rules.values().all(|r| r.only_old == 0 && r.only_new == 0)
    }
}

/// A started side: its plugin, its partition and what it has done.
struct Running {
    plugin: Plugin,
    partition: Partition,
    report: SideReport,
}

async fn start(runtime: &Runtime, side: &Side) -> anyhow::Result<Running> {
    let name = side.wasm.display().to_string();
    let wasm = crate::runtime::read_component(&side.wasm).with_context(|| format!("cannot read {name}"))?;
    let loaded = runtime.load(&wasm, &Sandbox::default()).with_context(|| format!("plugin {name}"))?;
    let described = Setup { name: name.clone(), ..Setup::default() };
    let info = loaded.describe(&described).await.with_context(|| format!("plugin {name}"))?;
    let setup = Setup { name: info.name.clone(), settings: side.settings.clone(), ..Setup::default() };
    let plugin = loaded.start(setup).await.with_context(|| format!("plugin {name}"))?;
    let report =
        SideReport { plugin: info.name, version: info.version, sha256: sha256_hex(&wasm), ..SideReport::default() };
    Ok(Running { plugin, partition: Role::of_component(&wasm).partition, report })
}

impl Running {
    /// Inspect `event` if this side asks for its kind: the rule slugs it found.
    async fn inspect(&mut self, event: &crate::runtime::Event) -> BTreeSet<String> {
        if !self.plugin.wants(crate::route::kind(event)) {
            return BTreeSet::new();
        }
        let verdict = self.plugin.inspect(event, self.partition.key(event)).await;
        self.report.inspected += 1;
        self.report.wall_ms += verdict.stats.wall.as_secs_f64() * 1e3;
        match verdict.result {
            Ok(findings) => {
                self.report.findings += findings.len() as u64;
                findings.iter().map(|f| f.rule.split_once('/').map_or(f.rule.as_str(), |(_, s)| s).to_owned()).collect()
            }
            Err(e) => {
                *self.report.errors.entry(e.reason.code().to_owned()).or_default() += 1;
                BTreeSet::new()
            }
        }
    }
}

/// Run both sides over every event of the inputs and compare them.
pub async fn shadow(opts: &ShadowOptions) -> anyhow::Result<ShadowReport> {
    let runtime = Runtime::new(opts.cache_dir.clone(), false)?;
    let mut old = start(&runtime, &opts.old).await?;
    let mut new = start(&runtime, &opts.new).await?;
    let mut report = ShadowReport::default();
    for input in &opts.inputs {
        let file = std::fs::File::open(input).with_context(|| format!("cannot read {}", input.display()))?;
        for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.with_context(|| format!("cannot read {} line {}", input.display(), n + 1))?;
            if line.trim().is_empty() {
                continue;
            }
            let events = match decode(opts.format, &line) {
                Ok(decoded) => decoded.events,
                Err(e) => {
                    report.rejected += 1;
                    crate::output::diagnostic(&format!("aiir: {}:{}: {e}", input.display(), n + 1));
                    continue;
                }
            };
            for event in &events {
                report.events += 1;
                let (by_old, by_new) = (old.inspect(event).await, new.inspect(event).await);
                for slug in by_old.union(&by_new) {
                    report.rules.entry(slug.clone()).or_default().count(
                        &event.id,
                        by_old.contains(slug),
                        by_new.contains(slug),
                    );
                }
            }
        }
    }
    (report.old, report.new) = (old.report, new.report);
    Ok(report)
}

impl RuleDiff {
    fn count(&mut self, event: &str, old: bool, new: bool) {
        let keep = |list: &mut Vec<String>| {
            if list.len() < EXAMPLES {
                list.push(event.to_owned());
            }
        };
        match (old, new) {
            (true, true) => self.both += 1,
            (true, false) => {
                self.only_old += 1;
                keep(&mut self.only_old_events);
            }
            _ => {
                self.only_new += 1;
                keep(&mut self.only_new_events);
            }
        }
    }
}

impl std::fmt::Display for ShadowReport {
    /// The text report: each side, the rules side by side, the diverging events.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::output::terminal::line;
        for (label, side) in [("old", &self.old), ("new", &self.new)] {
            let per_event = if side.inspected == 0 { 0.0 } else { side.wall_ms * 1e3 / side.inspected as f64 };
            let errors: Vec<String> = side.errors.iter().map(|(r, n)| format!("{r} {n}")).collect();
            let errors =
                if errors.is_empty() { "no errors".to_owned() } else { format!("errors: {}", errors.join(", ")) };
            writeln!(
                f,
                "{label}       {} {}  sha256 {}…  inspected {}  findings {}  {:.2} ms ({per_event:.1} µs an event)  {errors}",
                line(&side.plugin),
                line(&side.version),
                &side.sha256[..12],
                side.inspected,
                side.findings,
                side.wall_ms,
            )?;
        }
        writeln!(f, "events    {} read, {} lines rejected\n", self.events, self.rejected)?;
        let width = self.rules.keys().map(|k| line(k).chars().count()).max().unwrap_or(4).max(4);
        writeln!(f, "{:<width$}  {:>8}  {:>8}  {:>8}", "rule", "both", "only old", "only new")?;
        for (slug, d) in &self.rules {
            writeln!(f, "{:<width$}  {:>8}  {:>8}  {:>8}", line(slug), d.both, d.only_old, d.only_new)?;
        }
        for (slug, d) in self.rules.iter().filter(|(_, d)| d.only_old + d.only_new > 0) {
            let more = |shown: &[String], all: u64| {
                let rest = all - shown.len() as u64;
                let shown: Vec<String> = shown.iter().map(|e| line(e).into_owned()).collect();
                if rest > 0 { format!("{} and {rest} more", shown.join(", ")) } else { shown.join(", ") }
            };
            if d.only_old > 0 {
                write!(f, "\nonly old  {}: {}", line(slug), more(&d.only_old_events, d.only_old))?;
            }
            if d.only_new > 0 {
                write!(f, "\nonly new  {}: {}", line(slug), more(&d.only_new_events, d.only_new))?;
            }
        }
        let differ = self.rules.values().filter(|d| d.only_old + d.only_new > 0).count();
        match differ {
            0 => write!(f, "\nverdict   the two agree on every event"),
            n => write!(f, "\n\nverdict   the two differ on {n} rule(s)"),
        }
    }
}
