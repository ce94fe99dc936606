//! The demo log and its expected findings, for the plugins' unit tests.
//!
//! Each plugin's tests include this file (`#[path = "../../../tools/demo_log.rs"] mod demo_log;`)
//! to replay `examples/logs/demo.jsonl` through its detector and compare the findings
//! with the table in `examples/logs/EXPECTED.md`, the same table the end-to-end tests
//! hold the host to. The decoding here is a test's: just enough of the aiir JSON
//! format for the demo, panicking on anything else.
#![allow(dead_code)] // each plugin's tests use their own part of it

use aiir_sdk::{
    DatasetInput, Document, Event, Inference, LabeledRecord, Message, ModelLifecycle, ModelRef, Payload, Role,
    ToolCall, TrainingData, TrainingRun,
};
use serde_json::Value;

const LOG: &str = include_str!("../../examples/logs/demo.jsonl");
const EXPECTED: &str = include_str!("../../examples/logs/EXPECTED.md");

/// Every event of the demo log, in order; panics unless ids are unique and times
/// ascend, as the story needs.
pub fn events() -> Vec<Event> {
    parse(LOG)
}

/// The events of a log in the demo's format, with the same checks.
pub fn parse(log: &str) -> Vec<Event> {
    let lines = log.lines().filter(|l| !l.trim().is_empty());
    let values: Vec<Value> = lines.map(|l| serde_json::from_str(l).expect("demo line is JSON")).collect();
    let times: Vec<&str> = values.iter().map(|v| v["time"].as_str().expect("time")).collect();
    // RFC 3339 in UTC with a fixed width, so string order is time order.
    assert!(times.iter().all(|t| t.len() == 20 && t.ends_with('Z')), "{times:?}");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "demo times must ascend");
    let mut ids: Vec<&str> = values.iter().map(|v| v["id"].as_str().expect("id")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), values.len(), "demo ids must be unique");
    values.iter().map(decode).collect()
}

/// The `(event id, rule id)` pairs that EXPECTED.md lists for rules starting with
/// `prefix`, in the table's order.
pub fn expected(prefix: &str) -> Vec<(String, String)> {
    expected_in(EXPECTED, prefix)
}

/// The `(event id, rule id)` pairs of a Markdown table like EXPECTED.md's (first
/// column the event, second the rule) for rules starting with `prefix`.
pub fn expected_in(table: &str, prefix: &str) -> Vec<(String, String)> {
    let rows = table.lines().filter_map(|line| {
        let cells: Vec<&str> = line.split('|').map(|c| c.trim().trim_matches('`')).collect();
        let (id, rule) = (*cells.get(1)?, *cells.get(2)?);
        id.starts_with("evt-").then(|| (id.to_owned(), rule.to_owned()))
    });
    rows.filter(|(_, rule)| rule.starts_with(prefix)).collect()
}

/// One event of the aiir JSON format, as far as the demo uses it.
pub fn decode(v: &Value) -> Event {
    let mut event = Event::new(str_at(v, "id"), payload(&v["payload"]));
    event.source = str_at(v, "source");
    event.model = v.get("model").map(model);
    event.principal = opt_str(v, "principal");
    event.session = opt_str(v, "session");
    event.time_unix_nano = unix_nanos(&str_at(v, "time"));
    let attributes = v.get("attributes").and_then(Value::as_object).into_iter().flatten();
    // serde_json's map is sorted by key, as the host sorts attributes.
    event.attributes = attributes.map(|(k, v)| (k.clone(), v.as_str().expect("attribute").to_owned())).collect();
    event
}

/// `2026-11-27T13:00:04Z` (the demo's only form) in nanoseconds since the epoch.
fn unix_nanos(time: &str) -> u64 {
    let num = |range: std::ops::Range<usize>| time[range].parse::<i64>().expect("time digits");
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let secs = num(11..13) * 3600 + num(14..16) * 60 + num(17..19);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    u64::try_from(days * 86_400 + secs).expect("time after 1970") * 1_000_000_000
}

fn payload(v: &Value) -> Payload {
    if let Some(i) = v.get("inference") {
        let mut inference = Inference::new();
        inference.input = list(i, "input").iter().map(message).collect();
        inference.output = list(i, "output").iter().map(message).collect();
        inference.retrieved = list(i, "retrieved").iter().map(document).collect();
        let tokens = |key: &str| i.get(key).and_then(Value::as_u64).map(|n| u32::try_from(n).expect("tokens"));
        (inference.input_tokens, inference.output_tokens) = (tokens("input_tokens"), tokens("output_tokens"));
        inference.into()
    } else if let Some(t) = v.get("tool_call") {
        let call = ToolCall::new(str_at(t, "tool"), json_text(&t["arguments"]));
        ToolCall { result: t.get("result").map(json_text), ..call }.into()
    } else if let Some(l) = v.get("model_lifecycle") {
        let lifecycle = ModelLifecycle::new(str_at(l, "action"), model(&l["model"]));
        ModelLifecycle { registry: opt_str(l, "registry"), ..lifecycle }.into()
    } else if let Some(t) = v.get("training_data") {
        let records = list(t, "records").iter().map(record).collect();
        TrainingData {
            dataset: str_at(t, "dataset"),
            batch: str_at(t, "batch"),
            revision: opt_str(t, "revision"),
            records,
        }
        .into()
    } else if let Some(r) = v.get("training_run") {
        let run = TrainingRun::new(str_at(r, "run"), str_at(r, "job"), str_at(r, "state"));
        let inputs = list(r, "inputs").iter().map(|i| DatasetInput {
            dataset: str_at(i, "dataset"),
            revision: opt_str(i, "revision"),
            batches: list(i, "batches").iter().map(|b| b.as_str().expect("batch").to_owned()).collect(),
        });
        let (base, output) = (r.get("base").map(model), r.get("output").map(model));
        TrainingRun { inputs: inputs.collect(), base, output, ..run }.into()
    } else {
        panic!("demo payload of an unexpected kind: {v}")
    }
}

fn model(v: &Value) -> ModelRef {
    ModelRef { name: str_at(v, "name"), version: opt_str(v, "version"), digest: opt_str(v, "digest") }
}

fn message(v: &Value) -> Message {
    let role = match v["role"].as_str() {
        Some("system") => Role::System,
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        Some("tool") => Role::Tool,
        other => panic!("unknown role {other:?}"),
    };
    Message { role, content: str_at(v, "content") }
}

fn record(v: &Value) -> LabeledRecord {
    LabeledRecord { text: str_at(v, "text"), label: str_at(v, "label"), source: opt_str(v, "source") }
}

fn document(v: &Value) -> Document {
    Document { id: str_at(v, "id"), source: str_at(v, "source"), content: str_at(v, "content") }
}

fn list<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    v.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn str_at(v: &Value, key: &str) -> String {
    opt_str(v, key).unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// A string as it is, any other JSON value as its JSON text (tool arguments and results).
fn json_text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

#[test]
fn times_are_nanoseconds_since_the_epoch() {
    assert_eq!(unix_nanos("1970-01-02T00:00:01Z"), 86_401_000_000_000);
    assert_eq!(unix_nanos("2026-11-27T13:00:04Z"), 1_795_784_404_000_000_000);
}
