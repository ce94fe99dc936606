//! `aiir shadow OLD NEW LOG…`: the two sides started from their component files and
//! run over recorded logs, one event at a time, in the normal sandbox.

use super::{ShadowReport, SideReport};
use crate::decode::{Format, decode};
use crate::role::{Partition, Role};
use crate::runtime::{Plugin, Runtime, Sandbox, Setup, sha256_hex};
use anyhow::Context as _;
use std::collections::BTreeSet;
use std::io::BufRead as _;
use std::path::PathBuf;

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
        self.report.record(&verdict.result, verdict.stats.wall)
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
                let (by_old, by_new) = (old.inspect(event).await, new.inspect(event).await);
                report.compare(&event.id, &by_old, &by_new);
            }
        }
    }
    (report.old, report.new) = (old.report, new.report);
    Ok(report)
}
