//! Output: findings as JSON Lines (aiir's own records, or OCSF events) or as
//! readable lines ([`text`]), diagnostics and the run summary on stderr. Text for a
//! person passes through [`terminal`].

pub mod ocsf;
pub mod terminal;
pub mod text;

use crate::runtime::{Event, Finding, ModelRef, Plugin, PluginError, Reason, Severity};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal as _, Write};
use std::path::Path;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// One finding as written: the finding, the event it came from and the plugin.
#[derive(Debug, Serialize)]
pub struct FindingRecord<'a> {
    event: &'a str,
    time: String,
    #[serde(skip)]
    time_unix_nano: u64,
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<ModelJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<&'a str>,
    plugin: &'a str,
    plugin_version: &'a str,
    #[serde(flatten)]
    finding: FindingJson<'a>,
    /// Set on the synthetic finding of a fail-closed plugin: why it did not inspect.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorJson<'a>>,
    /// Set when the store held this finding before: it is shown again, as a person
    /// re-checking a log expects, but it joins no incident a second time.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    already_stored: bool,
    /// Where the event was read, `FILE:LINE`; shown in text only, as JSON consumers
    /// key on the event, wherever it was read.
    #[serde(skip)]
    at: Option<&'a str>,
    #[serde(skip)]
    level: Severity,
}

#[derive(Debug, Serialize)]
struct ErrorJson<'a> {
    reason: &'static str,
    detail: &'a str,
}

#[derive(Debug, Serialize)]
struct ModelJson<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<&'a str>,
}

/// A finding's own fields as written, shared by every output that shows findings.
#[derive(Debug, Serialize)]
pub struct FindingJson<'a> {
    rule: &'a str,
    title: &'a str,
    severity: &'static str,
    confidence: f32,
    techniques: &'a [String],
    evidence: Vec<EvidenceJson<'a>>,
}

#[derive(Debug, Serialize)]
struct EvidenceJson<'a> {
    field: &'a str,
    excerpt: &'a str,
}

impl<'a> From<&'a Finding> for FindingJson<'a> {
    fn from(f: &'a Finding) -> Self {
        Self {
            rule: &f.rule,
            title: &f.title,
            severity: f.severity.name(),
            confidence: f.confidence,
            techniques: &f.techniques,
            evidence: f.evidence.iter().map(|e| EvidenceJson { field: &e.field, excerpt: &e.excerpt }).collect(),
        }
    }
}

impl<'a> FindingRecord<'a> {
    /// The record of `finding`, found by `plugin` in `event`.
    pub fn new(event: &'a Event, plugin: &'a Plugin, finding: &'a Finding) -> Self {
        Self::by(event, plugin.name(), &plugin.info().version, finding)
    }

    /// The record of `finding`, found in `event` by the plugin of this name and version.
    pub fn by(event: &'a Event, plugin: &'a str, plugin_version: &'a str, finding: &'a Finding) -> Self {
        Self {
            event: &event.id,
            time: format_time(event.time_unix_nano),
            time_unix_nano: event.time_unix_nano,
            source: &event.source,
            model: event.model.as_ref().map(ModelJson::from),
            principal: event.principal.as_deref(),
            session: event.session.as_deref(),
            plugin,
            plugin_version,
            finding: FindingJson::from(finding),
            error: None,
            already_stored: false,
            at: None,
            level: finding.severity,
        }
    }

    /// Mark the record as standing for an event the plugin failed on.
    pub fn with_error(mut self, error: &'a PluginError) -> Self {
        self.error = Some(ErrorJson { reason: error.reason.code(), detail: &error.detail });
        self
    }

    /// Mark the record as one the store held before this run, or not.
    #[must_use]
    pub fn already_stored(mut self, stored: bool) -> Self {
        self.already_stored = stored;
        self
    }

    /// Say where the event was read: `FILE:LINE`.
    #[must_use]
    pub fn read_at(mut self, at: &'a str) -> Self {
        self.at = Some(at);
        self
    }
}

/// The synthetic finding a fail-closed plugin gives an event it could not inspect.
pub fn not_inspected(plugin: &str, error: &PluginError) -> Finding {
    Finding {
        rule: "aiir/not-inspected".into(),
        title: format!("event not inspected by plugin {plugin:?}: {}", error.reason),
        severity: Severity::High,
        confidence: 1.0,
        techniques: Vec::new(),
        evidence: Vec::new(),
    }
}

impl<'a> From<&'a ModelRef> for ModelJson<'a> {
    fn from(m: &'a ModelRef) -> Self {
        Self { name: &m.name, version: m.version.as_deref(), digest: m.digest.as_deref() }
    }
}

/// A time in RFC 3339 (UTC), as every output writes it.
pub fn format_time(unix_nano: u64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_nano))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix_nano.to_string())
}

/// How findings are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Style {
    /// aiir's own records, one JSON object a line.
    #[default]
    Aiir,
    /// OCSF Detection Finding events (class 2004), one a line.
    Ocsf,
    /// One readable line a finding: time, severity, rule, where, excerpt.
    Text,
}

impl Style {
    /// The style asked for, else text for a person at a terminal, else aiir JSON
    /// Lines for the program reading a pipe or a file.
    pub fn choose(asked: Option<Style>, terminal: bool) -> Style {
        asked.unwrap_or(if terminal { Style::Text } else { Style::Aiir })
    }
}

/// Where findings go: stdout or a file, one finding a line.
pub struct Sink {
    out: Box<dyn Write + Send>,
    style: Style,
    /// Writing to a terminal: erase the progress line before each finding, so the
    /// two do not run together.
    terminal: bool,
    /// Colour text lines: on a terminal, unless `NO_COLOR`.
    colour: bool,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sink")
    }
}

impl Sink {
    /// Write to `file`, or to stdout when there is none, in `style`.
    pub fn open(file: Option<&Path>, style: Style) -> io::Result<Self> {
        let out: Box<dyn Write + Send> = match file {
            Some(path) => Box::new(BufWriter::new(File::create(path)?)),
            None => Box::new(BufWriter::new(io::stdout())),
        };
        let terminal = file.is_none() && io::stdout().is_terminal();
        let colour = text::wants_colour(terminal, std::env::var_os("NO_COLOR").as_deref());
        Ok(Self { out, style, terminal, colour })
    }

    /// Write one finding and flush, so a reader of a live pipe sees it at once. JSON
    /// escapes every control and text escapes what it quotes, as on stdout either may
    /// well reach a terminal.
    pub fn write(&mut self, record: &FindingRecord<'_>) -> io::Result<()> {
        let line = match self.style {
            Style::Aiir => json_line(record)?,
            Style::Ocsf => json_line(&ocsf::detection(record))?,
            Style::Text => text::line(record, self.colour),
        };
        if self.terminal {
            crate::progress::erase();
        }
        self.out.write_all(line.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

/// `value` as one line of JSON, safe on a terminal.
fn json_line(value: &impl Serialize) -> io::Result<String> {
    Ok(terminal::json(&serde_json::to_string(value)?).into_owned())
}

/// Counters for the closing summary.
#[derive(Debug, Default)]
pub struct Summary {
    /// Events decoded and routed.
    pub events: u64,
    /// Lines that were not events.
    pub rejected: u64,
    /// Records skipped as not for aiir (OTLP spans without `gen_ai.*`).
    pub skipped: u64,
    /// Findings written, by severity (`Severity as usize`).
    pub by_severity: [u64; 5],
    /// Of those, the findings the store held before the run.
    pub already_stored: u64,
    /// Per plugin, in config order.
    pub plugins: Vec<PluginCounts>,
}

/// What one plugin did during the run.
#[derive(Debug, Default, Clone)]
pub struct PluginCounts {
    /// Events it inspected.
    pub inspected: u64,
    /// Findings it returned.
    pub findings: u64,
    /// Events it did not inspect, by reason.
    pub errors: BTreeMap<Reason, u64>,
}

impl PluginCounts {
    /// It inspected an event and found this many things.
    pub fn inspected(&mut self, findings: usize) {
        self.inspected += 1;
        self.findings += findings as u64;
    }

    /// It did not inspect an event.
    pub fn failed(&mut self, reason: Reason) {
        *self.errors.entry(reason).or_default() += 1;
    }

    fn errors_label(&self) -> String {
        let total: u64 = self.errors.values().sum();
        let by: Vec<String> = self.errors.iter().map(|(r, n)| format!("{r} {n}")).collect();
        if by.is_empty() { "0".into() } else { format!("{total} ({})", by.join(", ")) }
    }
}

impl Summary {
    /// Counters for a run of these plugins.
    pub fn new(plugins: usize) -> Self {
        Self { plugins: vec![PluginCounts::default(); plugins], ..Self::default() }
    }

    /// Count a finding written.
    pub fn count(&mut self, record: &FindingRecord<'_>) {
        self.by_severity[record.level as usize] += 1;
        self.already_stored += u64::from(record.already_stored);
    }

    /// Print the summary to stderr, with a row for each of `plugins` (index in the
    /// chain, plugin).
    pub fn print<'a>(&self, plugins: impl Iterator<Item = (usize, &'a Plugin)>) {
        let total: u64 = self.by_severity.iter().sum();
        let names = ["info", "low", "medium", "high", "critical"];
        let by: Vec<String> = (0..5)
            .rev()
            .filter(|&i| self.by_severity[i] > 0)
            .map(|i| format!("{} {}", names[i], self.by_severity[i]))
            .collect();
        let by = if by.is_empty() { String::new() } else { format!(" ({})", by.join(", ")) };
        let skipped = match self.skipped {
            0 => String::new(),
            1 => ", 1 span skipped (not GenAI)".into(),
            n => format!(", {n} spans skipped (not GenAI)"),
        };
        let stored = match self.already_stored {
            0 => String::new(),
            n => format!(", {n} already stored"),
        };
        let mut text = format!(
            "aiir: {} events read, {} lines rejected{skipped}, {total} findings{by}{stored}\n",
            self.events, self.rejected
        );
        let header = format!(
            "  {:<20} {:<8} {:<20} {:>9} {:>8}  errors\n",
            "plugin", "version", "load", "inspected", "findings"
        );
        text.push_str(&header);
        for (i, p) in plugins {
            let c = &self.plugins[i];
            let load = load_label(p.stats().cached, p.stats().load_time);
            let row = format!(
                "  {:<20} {:<8} {:<20} {:>9} {:>8}  {}\n",
                terminal::line(p.name()),
                terminal::line(&p.info().version),
                load,
                c.inspected,
                c.findings,
                c.errors_label()
            );
            text.push_str(&row);
        }
        diagnostic(text.trim_end());
    }
}

fn load_label(cached: bool, took: Duration) -> String {
    let ms = took.as_secs_f64() * 1000.0;
    if cached { format!("cached {ms:.1} ms") } else { format!("compiled {ms:.0} ms") }
}

/// A line for the operator on stderr, outside the findings stream (and above the
/// progress line, if one is shown). Its line breaks stay; any other control a caller
/// let through is shown escaped, so a plugin's text cannot drive the terminal. Text
/// that must stay on one line is escaped by the caller with [`terminal::line`].
pub fn diagnostic(text: &str) {
    crate::progress::eprint_line(&terminal::text(text));
}

/// Text meant as the command's result, on stdout, escaped as [`diagnostic`] is. A
/// reader that went away (`| head`) is not an error worth a panic: the rest is dropped.
pub fn print_text(text: &str) {
    print_raw(&terminal::text(text));
}

/// JSON meant as the command's result, on stdout: still the same JSON, with the
/// controls serde leaves raw escaped (see [`terminal::json`]).
pub fn print_json(json: &str) {
    print_raw(&terminal::json(json));
}

fn print_raw(text: &str) {
    let _ = writeln!(io::stdout().lock(), "{text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_on_a_terminal_json_lines_elsewhere_unless_asked() {
        assert_eq!(Style::choose(None, true), Style::Text);
        assert_eq!(Style::choose(None, false), Style::Aiir);
        for asked in [Style::Aiir, Style::Ocsf, Style::Text] {
            assert_eq!(Style::choose(Some(asked), true), asked);
            assert_eq!(Style::choose(Some(asked), false), asked);
        }
    }
}
