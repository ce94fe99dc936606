//! Reviewing a plugin: `aiir test PLUGIN.wasm --cases FILE`.
//!
//! A reviewer's or author's harness: the events of each case in a [`cases`] file go
//! through the plugin in the strictest sandbox, what it found is held against what
//! the case expects and forbids ([`check`]), and [`report`] prints a pass/fail line
//! per case with its cost, the diff of each failing case, and `N passed, M failed`.
//!
//! The steps are those of `aiir run`: the component is loaded once (a plugin that
//! imports anything beyond the always-allowed interfaces fails here), then each case
//! starts a fresh plugin with its settings, so that no case sees another's state.

pub mod cases;
pub mod check;
pub mod report;
pub mod soak;

use crate::role::Partition;
use crate::route;
use crate::runtime::{CallStats, Event, Grant, KeyedState, Limits, LoadError, Loaded, Plugin, Runtime, Sandbox, Setup};
use anyhow::Context as _;
use cases::Case;
use check::{Failure, Found};
use report::{PluginSummary, Report};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Fuel per call under review. The standard detectors spend at most a few million
/// units on an event (prompt-injection on a 1 KB page: ~5 million), so honest plugins
/// have a margin of a hundred; a loop burns through it in ~50 ms, well inside the 1 s
/// deadline, so a runaway plugin fails with the deterministic `fuel` reason rather
/// than a `deadline` that depends on the machine.
pub const FUEL_PER_CALL: u64 = 500_000_000;

/// The sandbox of a plugin under review: only the grants the reviewer gave (none by
/// default), fixed clocks, seeded randomness.
pub fn strict_sandbox(grants: &[Grant]) -> Sandbox {
    Sandbox { grants: grants.to_vec(), deterministic: true }
}

/// The limits of a plugin under review: the defaults, plus a fuel budget so that
/// every call's cost is counted.
pub fn strict_limits() -> Limits {
    Limits { fuel: Some(FUEL_PER_CALL), ..Limits::default() }
}

/// What `aiir test` was asked to do.
#[derive(Debug, Clone)]
pub struct ReviewOptions {
    /// The plugin component.
    pub plugin: PathBuf,
    /// The cases file.
    pub cases: PathBuf,
    /// One JSON document instead of text.
    pub json: bool,
    /// The precompiled-component cache; none disables it.
    pub cache_dir: Option<PathBuf>,
    /// What the plugin may link besides the contract (`--grant`): nothing by default.
    pub grants: Vec<Grant>,
    /// Then send each case's events this many times through one instance (`--soak`).
    pub soak: Option<u32>,
}

/// How a review ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every case passed.
    Passed,
    /// Some case failed.
    Failed,
}

/// What one case cost: fuel and wall time summed over its calls, the largest
/// linear memory the plugin reached.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    /// Fuel spent by `inspect` calls.
    pub fuel: u64,
    /// Peak linear memory in bytes.
    pub peak_memory: usize,
    /// Wall-clock time of the `inspect` calls.
    pub wall: Duration,
    /// `inspect` calls made; none when the plugin could not start.
    pub calls: usize,
}

/// The outcome of one case.
#[derive(Debug, Clone, Default)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// Everything the plugin found, in order.
    pub found: Vec<Found>,
    /// Why it failed; empty when it passed.
    pub failures: Vec<Failure>,
    /// Events not sent because the plugin does not ask for their kind, as (id, kind).
    pub not_sent: Vec<(String, &'static str)>,
    /// What it cost.
    pub cost: Cost,
}

impl Cost {
    /// Count one call.
    fn add(&mut self, stats: &CallStats) {
        self.calls += 1;
        self.fuel += stats.fuel.unwrap_or(0);
        self.wall += stats.wall;
        self.peak_memory = self.peak_memory.max(stats.peak_memory);
    }
}

impl CaseResult {
    /// Whether every expectation held and the plugin never failed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Run every case of the cases file through the plugin and print the report.
pub async fn review(opts: &ReviewOptions) -> anyhow::Result<Verdict> {
    let name = opts.plugin.display().to_string();
    let wasm = crate::runtime::read_component(&opts.plugin).with_context(|| format!("cannot read {name}"))?;
    let report = run_cases(&wasm, &opts.plugin, &opts.cases, &opts.grants, opts.cache_dir.clone(), opts.soak).await?;
    if opts.json {
        crate::output::print_json(&report.json())
    } else {
        crate::output::print_text(&report.text())
    }
    Ok(if report.failed() + report.soaks_failed() == 0 { Verdict::Passed } else { Verdict::Failed })
}

/// The gate of a configured detector with a `cases` file: the names of the cases its
/// component fails in the strict sandbox (with the grants the config gives it), as
/// `aiir test` runs them; empty when every case passes.
pub async fn gate(
    wasm: &[u8],
    cases: &Path,
    grants: &[Grant],
    cache_dir: Option<PathBuf>,
) -> anyhow::Result<Vec<String>> {
    let report = run_cases(wasm, Path::new("(configured)"), cases, grants, cache_dir, None).await?;
    Ok(report.cases.iter().filter(|c| !c.passed()).map(|c| c.name.clone()).collect())
}

/// Run the cases of `cases` (and the soak) through the component `wasm`, read from `file`.
async fn run_cases(
    wasm: &[u8],
    file: &Path,
    cases_file: &Path,
    grants: &[Grant],
    cache_dir: Option<PathBuf>,
    soak: Option<u32>,
) -> anyhow::Result<Report> {
    // The cases file first: it is cheap to check and its mistakes are the reviewer's.
    let cases = cases::load(cases_file)?;
    let name = file.display().to_string();
    let runtime = Runtime::new(cache_dir, true)?;
    let loaded = runtime.load(wasm, &strict_sandbox(grants)).map_err(|e| match e {
        LoadError::Ungranted(imports) => anyhow::anyhow!(
            "plugin {name}: imports what it was not granted: {} (aiir test grants nothing unless asked: \
             `--grant filesystem` or `--grant sockets` links them, with nothing reachable behind them; {})",
            crate::runtime::name_list(&imports, ""),
            crate::runtime::BUILD_WITHOUT,
        ),
        other => anyhow::Error::new(other).context(format!("plugin {name}")),
    })?;
    let info = loaded.describe(&setup(&name, "{}", grants)).await.with_context(|| format!("plugin {name}"))?;
    let partition = crate::role::Role::of_component(wasm).partition;
    let mut results = Vec::new();
    for case in &cases.cases {
        results.push(run_case(&loaded, (&info.name, grants), partition, case).await);
    }
    let mut soaks = Vec::new();
    for case in cases.cases.iter().filter(|_| soak.is_some()) {
        let rounds = soak.unwrap_or_default();
        soaks.push(soak::soak(&loaded, setup(&info.name, &case.settings, grants), partition, case, rounds).await);
    }
    let plugin = PluginSummary::new(file, &info, &loaded);
    let grants = grants.iter().map(|g| g.name()).collect();
    Ok(Report { plugin, grants, cases_file: cases_file.to_owned(), cases: results, soaks })
}

fn setup(name: &str, settings: &str, grants: &[Grant]) -> Setup {
    let limits = strict_limits();
    let state = KeyedState::new(limits.max_state_bytes);
    Setup { name: name.to_owned(), settings: settings.to_owned(), limits, sandbox: strict_sandbox(grants), state }
}

/// Start a fresh plugin for the case, feed it the events, and check what it found.
async fn run_case(loaded: &Loaded, (name, grants): (&str, &[Grant]), partition: Partition, case: &Case) -> CaseResult {
    let mut result = CaseResult { name: case.name.clone(), ..CaseResult::default() };
    match loaded.start(setup(name, &case.settings, grants)).await {
        Ok(mut plugin) => feed(&mut plugin, partition, &case.events, &mut result).await,
        Err(e) => {
            // Expectations cannot be told apart from a plugin that never ran.
            result.failures.push(start_failure(e, &case.settings_path));
            return result;
        }
    }
    result.failures.extend(check::check(case, &result.found));
    result
}

/// Send each event the plugin asks for; keep its findings, its errors and its cost.
/// Each case starts with empty keyed state, kept by the partition a standard
/// detector's bytes give it (else by the event's own key), as `aiir run` keeps it.
async fn feed(plugin: &mut Plugin, partition: Partition, events: &[Event], result: &mut CaseResult) {
    for event in events {
        let kind = route::kind(event);
        // As in `aiir run`: a plugin sees only the kinds its `info` asked for.
        if !plugin.wants(kind) {
            result.not_sent.push((event.id.clone(), route::kind_name(kind)));
            continue;
        }
        let verdict = plugin.inspect(event, partition.key(event)).await;
        result.cost.add(&verdict.stats);
        match verdict.result {
            Ok(findings) => {
                result.found.extend(findings.into_iter().map(|finding| Found { event: event.id.clone(), finding }));
            }
            Err(e) => result.failures.push(Failure::PluginError {
                event: event.id.clone(),
                reason: e.reason.code().to_owned(),
                detail: e.detail,
            }),
        }
    }
}

/// Why the plugin did not start: its settings errors at their TOML paths, or what failed.
fn start_failure(e: LoadError, settings_path: &str) -> Failure {
    match e {
        LoadError::Settings(errors) => Failure::Settings {
            errors: errors
                .into_iter()
                .map(|s| format!("{}: {}", crate::config::join(settings_path, &s.path), s.message))
                .collect(),
        },
        other => Failure::Start { detail: other.to_string() },
    }
}
