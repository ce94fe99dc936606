//! The demo log and its expected findings, for the plugins' unit tests.
//!
//! Each plugin's tests include this file (`#[path = "../../demo_log.rs"] mod demo_log;`)
//! to replay `examples/logs/demo.jsonl` through its detector and compare the findings
//! with the table in `examples/logs/EXPECTED.md`, the same table the end-to-end tests
//! hold the host to. The decoding here is a test's: just enough of the aiir JSON
//! format for the demo, panicking on anything else.

use aiir_sdk::{Document, Event, Inference, Message, ModelLifecycle, ModelRef, Payload, Role, ToolCall};
use serde_json::Value;

const LOG: &str = include_str!("../examples/logs/demo.jsonl");
const EXPECTED: &str = include_str!("../examples/logs/EXPECTED.md");

/// Every event of the demo log, in order; panics unless ids are unique and times
/// ascend, as the story needs.
pub fn events() -> Vec<Event> {
    let values: Vec<Value> = LOG.lines().map(|l| serde_json::from_str(l).expect("demo line is JSON")).collect();
    let times: Vec<&str> = values.iter().map(|v| v["time"].as_str().expect("time")).collect();
    // RFC 3339 in UTC with a fixed width, so string order is time order.
    assert!(times.iter().all(|t| t.len() == 20 && t.ends_with('Z')), "{times:?}");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "demo times must ascend");
    let mut ids: Vec<&str> = values.iter().map(|v| v["id"].as_str().expect("id")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), values.len(), "demo ids must be unique");
    values.iter().map(event).collect()
}

/// The `(event id, rule id)` pairs that EXPECTED.md lists for rules starting with
/// `prefix`, in the table's order.
pub fn expected(prefix: &str) -> Vec<(String, String)> {
    let rows = EXPECTED.lines().filter_map(|line| {
        let cells: Vec<&str> = line.split('|').map(|c| c.trim().trim_matches('`')).collect();
        let (id, rule) = (*cells.get(1)?, *cells.get(2)?);
        id.starts_with("evt-").then(|| (id.to_owned(), rule.to_owned()))
    });
    rows.filter(|(_, rule)| rule.starts_with(prefix)).collect()
}

fn event(v: &Value) -> Event {
    let mut event = Event::new(str_at(v, "id"), payload(&v["payload"]));
    event.source = str_at(v, "source");
    event.model = v.get("model").map(model);
    event.principal = opt_str(v, "principal");
    event.session = opt_str(v, "session");
    event
}

fn payload(v: &Value) -> Payload {
    if let Some(i) = v.get("inference") {
        let mut inference = Inference::new();
        inference.input = list(i, "input").iter().map(message).collect();
        inference.output = list(i, "output").iter().map(message).collect();
        inference.retrieved = list(i, "retrieved").iter().map(document).collect();
        inference.into()
    } else if let Some(t) = v.get("tool_call") {
        let call = ToolCall::new(str_at(t, "tool"), str_at(t, "arguments"));
        ToolCall { result: opt_str(t, "result"), ..call }.into()
    } else if let Some(l) = v.get("model_lifecycle") {
        let lifecycle = ModelLifecycle::new(str_at(l, "action"), model(&l["model"]));
        ModelLifecycle { registry: opt_str(l, "registry"), ..lifecycle }.into()
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

fn document(v: &Value) -> Document {
    Document { id: str_at(v, "id"), source: str_at(v, "source"), content: str_at(v, "content") }
}

fn list<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    v.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn str_at(v: &Value, key: &str) -> String {
    opt_str(v, key).unwrap_or_else(|| panic!("{key} missing in {v}"))
}

fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}
