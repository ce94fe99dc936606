//! Run a cases file (the format `aiir test` reads, see README.md) natively through the
//! SDK's test kit, so that `cargo test` holds a plugin's cases to its logic too.
//!
//! Each plugin's tests include it beside `demo_log.rs`
//! (`#[path = "../../../tools/cases.rs"] mod cases;`). Like `aiir test`: every case starts a
//! fresh detector, a case's `settings` replace the file's `[settings]`, `expect`
//! entries match findings on every field they give (`count` exact, else at least one),
//! `forbid` entries must match none, `none = true` wants no findings at all.

use super::demo_log;
use aiir_sdk::testkit::Harness;
use aiir_sdk::{Detector, Finding, Severity};
use serde_json::Value;

/// Check every case of `file` against detector `D`, its keyed state kept by the
/// host's `partition` for it (`event`: by session, else principal, else model, else
/// id; any other, one partition for a case, as a case holds one model or data set);
/// panics naming the case that fails.
pub fn check<D: Detector>(file: &str, partition: &str) {
    let key: fn(&aiir_sdk::Event) -> String = match partition {
        "event" => |e| {
            let model = e.model.as_ref().map(|m| m.name.clone());
            e.session.clone().or_else(|| e.principal.clone()).or(model).unwrap_or_else(|| e.id.clone())
        },
        _ => |_| String::new(),
    };
    let doc: toml::Table = file.parse().expect("the cases file is TOML");
    let defaults = doc.get("settings").map_or(Value::Object(Default::default()), json);
    let cases = doc.get("case").and_then(toml::Value::as_array).expect("the file has cases");
    for case in cases {
        let name = case["name"].as_str().expect("a case has a name");
        let settings = case.get("settings").map_or_else(|| defaults.clone(), json);
        let mut h = Harness::<D>::with_settings(&settings.to_string())
            .unwrap_or_else(|e| panic!("case {name:?}: settings rejected: {e:?}"))
            .partition_by(key);
        let events = case.get("events").and_then(toml::Value::as_array).map_or(&[][..], Vec::as_slice);
        let found: Vec<(String, Finding)> = events
            .iter()
            .map(|e| demo_log::decode(&json(e)))
            .flat_map(|e| h.inspect(&e).into_iter().map(move |f| (e.id.clone(), f)))
            .collect();
        let summary: Vec<(&str, &str)> = found.iter().map(|(id, f)| (id.as_str(), f.rule.as_str())).collect();
        for spec in entries(case, "expect") {
            let n = found.iter().filter(|(id, f)| matches(spec, id, f)).count();
            let ok = spec.get("count").and_then(toml::Value::as_integer).map_or(n > 0, |want| n as i64 == want);
            assert!(ok, "case {name:?}: expected {spec:?}, {n} matched; found {summary:?}");
        }
        for spec in entries(case, "forbid") {
            assert!(
                !found.iter().any(|(id, f)| matches(spec, id, f)),
                "case {name:?}: forbidden {spec:?} in {summary:?}"
            );
        }
        if case.get("none").and_then(toml::Value::as_bool) == Some(true) {
            assert!(found.is_empty(), "case {name:?}: wants no findings, found {summary:?}");
        }
    }
}

fn entries<'c>(case: &'c toml::Value, key: &str) -> impl Iterator<Item = &'c toml::Table> {
    let list = case.get(key).and_then(toml::Value::as_array).map_or(&[][..], Vec::as_slice);
    list.iter().map(|v| v.as_table().expect("an entry is a table"))
}

fn matches(spec: &toml::Table, id: &str, f: &Finding) -> bool {
    let given = |key: &str| spec.get(key).and_then(toml::Value::as_str);
    given("rule").is_none_or(|r| r == f.rule)
        && given("event").is_none_or(|e| e == id)
        && given("technique").is_none_or(|t| f.techniques.iter().any(|x| x == t))
        && given("min_severity").is_none_or(|s| rank(f.severity) >= level(s))
}

fn rank(s: Severity) -> usize {
    [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical]
        .iter()
        .position(|x| *x == s)
        .expect("a severity")
}

fn level(name: &str) -> usize {
    let names = ["info", "low", "medium", "high", "critical"];
    names.iter().position(|n| *n == name).unwrap_or_else(|| panic!("unknown severity {name:?}"))
}

/// TOML as the JSON the host hands on: a datetime becomes its RFC 3339 text.
fn json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(n) => Value::from(*n),
        toml::Value::Float(x) => Value::from(*x),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(json).collect()),
        toml::Value::Table(t) => Value::Object(t.iter().map(|(k, v)| (k.clone(), json(v))).collect()),
    }
}
