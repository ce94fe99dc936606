//! The report of `aiir test`: text for a person, or one JSON document for a machine.
//!
//! ```text
//! plugin    prompt-injection 0.1.0
//! file      prompt_injection.wasm
//! sha256    301bd8a9c3a868711a5e4cd05b7935549f429be6dcb7d414a2a709339da57a2c
//! size      1,056,592 bytes
//! imports   aiir:plugin/types@0.3.0
//!           wasi:io/{poll, error, streams}@0.2.6
//! sandbox   no grants; fixed clocks, seeded randomness; per call 500,000,000 fuel, 64 MiB, 1000 ms
//! cases     tests/fixtures/wrong-cases.toml
//!
//! PASS  a benign question passes            fuel 888,351  peak 2.1 MiB  172 µs
//! FAIL  counts one direct injection twice   fuel 1,421,840  peak 2.1 MiB  204 µs
//!       expected:  rule prompt-injection/direct, count 2
//!       got:       1 (#1)
//!       found:     1 finding
//!         #1 prompt-injection/direct  medium  confidence 0.90  techniques AML.T0051.000 LLM01  event w1  at payload.inference.input[0].content
//!
//! 1 passed, 1 failed
//! ```

use super::check::{self, Found};
use super::soak::{LEAK_BYTES_PER_CALL, Soak};
use super::{CaseResult, FUEL_PER_CALL, strict_limits};
use crate::output::FindingJson;
use crate::output::terminal::line;
use crate::runtime::{Loaded, PluginInfo};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Case names are padded to the longest, up to this many characters, so that the
/// costs line up.
const NAME_WIDTH: usize = 60;

/// What was reviewed.
#[derive(Debug, Clone, Serialize)]
pub struct PluginSummary {
    /// The plugin's own name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The component file.
    pub file: PathBuf,
    /// sha256 of the component, hex.
    pub sha256: String,
    /// Size of the component in bytes.
    pub size: usize,
    /// What it imports.
    #[serde(skip)]
    pub imports: Vec<String>,
}

impl PluginSummary {
    /// The summary of a loaded component and what it said about itself.
    pub fn new(file: &Path, info: &PluginInfo, loaded: &Loaded) -> Self {
        let stats = loaded.stats();
        Self {
            name: info.name.clone(),
            version: info.version.clone(),
            file: file.to_owned(),
            sha256: stats.sha256.clone(),
            size: stats.size,
            imports: loaded.imports().to_vec(),
        }
    }
}

/// The outcome of a review.
#[derive(Debug, Clone)]
pub struct Report {
    /// What was reviewed.
    pub plugin: PluginSummary,
    /// The grants the reviewer gave it (`--grant`).
    pub grants: Vec<&'static str>,
    /// The cases file.
    pub cases_file: PathBuf,
    /// Each case's outcome, in file order.
    pub cases: Vec<CaseResult>,
    /// Each case's soak (`--soak`), in file order; empty without one.
    pub soaks: Vec<Soak>,
}

impl Report {
    /// How many cases failed.
    pub fn failed(&self) -> usize {
        self.cases.iter().filter(|c| !c.passed()).count()
    }

    /// How many soaks failed: a call failed, or memory grew.
    pub fn soaks_failed(&self) -> usize {
        self.soaks.iter().filter(|s| !s.passed()).count()
    }

    /// The text report; its last line is `N passed, M failed`. What the plugin said
    /// (its name, version, findings and errors) is shown escaped, each on one line.
    pub fn text(&self) -> String {
        let p = &self.plugin;
        let limits = strict_limits();
        let mut out = format!(
            "plugin    {} {}\nfile      {}\nsha256    {}\nsize      {} bytes\nimports   {}\n\
             sandbox   {}; fixed clocks, seeded randomness; per call {} fuel, {} MiB, {} ms\n\
             cases     {}\n\n",
            line(&p.name),
            line(&p.version),
            p.file.display(),
            p.sha256,
            thousands(p.size as u64),
            group_imports(&p.imports).join("\n          "),
            if self.grants.is_empty() { "no grants".to_owned() } else { format!("grants {}", self.grants.join(", ")) },
            thousands(FUEL_PER_CALL),
            limits.memory_mib,
            limits.timeout_ms,
            self.cases_file.display(),
        );
        let width = self.cases.iter().map(|c| line(&c.name).chars().count()).max().unwrap_or(0).min(NAME_WIDTH);
        for case in &self.cases {
            out.push_str(&case_text(case, width));
        }
        if let Some(first) = self.soaks.first() {
            out.push_str(&format!(
                "\nsoak      {} rounds of each case's events in one instance; more than {LEAK_BYTES_PER_CALL} bytes of memory a call after the first tenth is a leak\n",
                thousands(u64::from(first.rounds))
            ));
            for soak in &self.soaks {
                out.push_str(&soak_text(soak, width));
            }
        }
        let failed = self.failed();
        out.push_str(&format!("\n{} passed, {failed} failed", self.cases.len() - failed));
        if !self.soaks.is_empty() {
            let leaking = self.soaks_failed();
            out.push_str(&format!("; soak: {} flat, {leaking} failed", self.soaks.len() - leaking));
        }
        out
    }

    /// The JSON report, one document.
    pub fn json(&self) -> String {
        let limits = strict_limits();
        let failed = self.failed();
        let document = ReportJson {
            plugin: &self.plugin,
            imports: &self.plugin.imports,
            sandbox: SandboxJson {
                grants: self.grants.clone(),
                deterministic: true,
                fuel_per_call: FUEL_PER_CALL,
                memory_mib: limits.memory_mib,
                timeout_ms: limits.timeout_ms,
            },
            cases_file: &self.cases_file,
            cases: self.cases.iter().map(CaseJson::from).collect(),
            soak: &self.soaks,
            totals: TotalsJson {
                cases: self.cases.len(),
                passed: self.cases.len() - failed,
                failed,
                fuel: self.cases.iter().map(|c| c.cost.fuel).sum(),
                wall_ms: self.cases.iter().map(|c| c.cost.wall.as_secs_f64() * 1e3).sum(),
            },
        };
        // Serialized straight from the structs, so that an f32 confidence prints as
        // written (0.9), not widened to f64 (0.8999999761581421).
        serde_json::to_string_pretty(&document).expect("a report serializes")
    }
}

/// `PASS  name  fuel …  peak …  … µs`, and below a failing case its diff.
fn case_text(case: &CaseResult, width: usize) -> String {
    let status = if case.passed() { "PASS" } else { "FAIL" };
    let c = &case.cost;
    let cost = if c.calls == 0 {
        "no calls".to_owned()
    } else {
        let peak = c.peak_memory as f64 / f64::from(1 << 20);
        format!("fuel {}  peak {peak:.1} MiB  {}", thousands(c.fuel), duration(c.wall))
    };
    let mut out = format!("{status}  {:<width$}   {cost}\n", line(&case.name));
    let notes = case
        .not_sent
        .iter()
        .map(|(id, kind)| format!("note:      event {id} not sent: the plugin does not ask for {kind} events"));
    let diff = if case.passed() { Vec::new() } else { check::diff(&case.failures, &case.found) };
    for text in notes.chain(diff) {
        out.push_str(&format!("      {}\n", line(&text)));
    }
    out
}

/// `FLAT  name  calls …  memory … → … MiB  +… B a call`, and why a soak failed.
fn soak_text(soak: &Soak, width: usize) -> String {
    let status = if soak.passed() { "FLAT" } else { "FAIL" };
    let mib = |bytes: usize| bytes as f64 / f64::from(1 << 20);
    let mut out = format!(
        "{status}  {:<width$}   calls {}  memory {:.2} → {:.2} MiB  {:+.1} B a call\n",
        line(&soak.case),
        thousands(soak.calls),
        mib(soak.memory_after_warmup),
        mib(soak.memory_end),
        soak.growth_per_call(),
    );
    if let Some(failure) = &soak.first_failure {
        out.push_str(&format!("      {} failed calls; the first: {}\n", soak.failed_calls, line(failure)));
    }
    out
}

/// Imports one package a line, its interfaces together: `wasi:io/{poll, streams}@0.2.6`.
fn group_imports(imports: &[String]) -> Vec<String> {
    let mut groups: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for import in imports {
        let (path, version) = import.split_once('@').unwrap_or((import, ""));
        let (package, interface) = path.rsplit_once('/').unwrap_or(("", path));
        match groups.last_mut() {
            Some((p, v, names)) if *p == package && *v == version => names.push(interface),
            _ => groups.push((package, version, vec![interface])),
        }
    }
    groups
        .into_iter()
        .map(|(package, version, names)| {
            let names = if names.len() == 1 { names[0].to_owned() } else { format!("{{{}}}", names.join(", ")) };
            let package = if package.is_empty() { String::new() } else { format!("{package}/") };
            let version = if version.is_empty() { String::new() } else { format!("@{version}") };
            line(&format!("{package}{names}{version}")).into_owned()
        })
        .collect()
}

/// `840 µs` below a millisecond, where most cases are; `1.25 ms` above.
fn duration(d: Duration) -> String {
    match d.as_micros() {
        us @ 0..1000 => format!("{us} µs"),
        _ => format!("{:.2} ms", d.as_secs_f64() * 1e3),
    }
}

/// `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The JSON report.
#[derive(Debug, Serialize)]
struct ReportJson<'a> {
    plugin: &'a PluginSummary,
    imports: &'a [String],
    sandbox: SandboxJson,
    cases_file: &'a Path,
    cases: Vec<CaseJson<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    soak: &'a [Soak],
    totals: TotalsJson,
}

#[derive(Debug, Serialize)]
struct SandboxJson {
    grants: Vec<&'static str>,
    deterministic: bool,
    fuel_per_call: u64,
    memory_mib: u64,
    timeout_ms: u64,
}

#[derive(Debug, Serialize)]
struct TotalsJson {
    cases: usize,
    passed: usize,
    failed: usize,
    fuel: u64,
    wall_ms: f64,
}

/// One case in the JSON report.
#[derive(Debug, Serialize)]
struct CaseJson<'a> {
    name: &'a str,
    passed: bool,
    fuel: u64,
    peak_memory: usize,
    calls: usize,
    wall_ms: f64,
    not_sent: Vec<&'a str>,
    failures: &'a [check::Failure],
    findings: Vec<NumberedFinding<'a>>,
}

/// One finding in the JSON report, numbered as the failures name it.
#[derive(Debug, Serialize)]
struct NumberedFinding<'a> {
    number: usize,
    event: &'a str,
    #[serde(flatten)]
    finding: FindingJson<'a>,
}

impl<'a> From<&'a CaseResult> for CaseJson<'a> {
    fn from(c: &'a CaseResult) -> Self {
        Self {
            name: &c.name,
            passed: c.passed(),
            fuel: c.cost.fuel,
            peak_memory: c.cost.peak_memory,
            calls: c.cost.calls,
            wall_ms: c.cost.wall.as_secs_f64() * 1e3,
            not_sent: c.not_sent.iter().map(|(id, _)| id.as_str()).collect(),
            failures: &c.failures,
            findings: (1..).zip(&c.found).map(|(n, f)| NumberedFinding::new(n, f)).collect(),
        }
    }
}

impl<'a> NumberedFinding<'a> {
    fn new(number: usize, found: &'a Found) -> Self {
        Self { number, event: &found.event, finding: FindingJson::from(&found.finding) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        let got: Vec<String> = [0, 999, 1000, 1_234_567].into_iter().map(thousands).collect();
        assert_eq!(got, ["0", "999", "1,000", "1,234,567"]);
    }

    #[test]
    fn imports_are_grouped_by_package() {
        let imports = ["aiir:plugin/types@0.3.0", "wasi:io/poll@0.2.6", "wasi:io/streams@0.2.6", "odd"];
        let got = group_imports(&imports.map(String::from));
        assert_eq!(got, ["aiir:plugin/types@0.3.0", "wasi:io/{poll, streams}@0.2.6", "odd"]);
    }

    #[test]
    fn durations_read_in_the_unit_that_fits() {
        assert_eq!(duration(Duration::from_micros(840)), "840 µs");
        assert_eq!(duration(Duration::from_micros(1250)), "1.25 ms");
    }
}
