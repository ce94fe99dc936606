//! The `file-report` actuator: a report is written beside the store as
//! `reports/<incident>-<responder>-<kind>.md` and `.json`, and each later revision of
//! it (the incident grew, lineage reached it) as `…-<kind>-2.md`, `-3`, and so on. The
//! responder is in the name so no responder writes over another's report, and a file
//! that exists is never replaced (another store beside this one could number its
//! incidents alike).

use serde_json::Value;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The files of one revision of a report (the first is 1): Markdown and JSON.
pub fn files(reports: &Path, incident: &str, responder: &str, kind: &str, revision: u32) -> [PathBuf; 2] {
    let suffix = if revision > 1 { format!("-{revision}") } else { String::new() };
    ["md", "json"].map(|extension| reports.join(format!("{incident}-{responder}-{kind}{suffix}.{extension}")))
}

/// The most revisions of one report kind an incident's responder may file.
const MAX_REVISIONS: u32 = 1000;

/// Write a report's Markdown and JSON from an action's payload (`{"kind",
/// "markdown", "json"}`); what was written, or why nothing (more) was.
pub fn file(reports: &Path, incident: &str, responder: &str, payload: &Value) -> Result<String, String> {
    let text = |key: &str| payload.get(key).and_then(Value::as_str).ok_or_else(|| format!("the action has no {key}"));
    let kind = text("kind")?;
    if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Err(format!("report kind {kind:?} is not a file name: use lowercase letters, digits and dashes"));
    }
    std::fs::create_dir_all(reports).map_err(|e| format!("cannot create {}: {e}", reports.display()))?;
    let free = (1..=MAX_REVISIONS)
        .map(|n| files(reports, incident, responder, kind, n))
        .find(|pair| pair.iter().all(|f| !f.exists()))
        .ok_or_else(|| format!("{incident} has {MAX_REVISIONS} revisions of its {kind} report already"))?;
    let [markdown, json] = free;
    let mut written = Vec::new();
    for (file, body) in [(markdown, text("markdown")?), (json, text("json")?)] {
        write_new(&file, body)?;
        written.push(file.display().to_string());
    }
    Ok(format!("filed {}", written.join(" and ")))
}

/// Create `file` with `body`; an existing file is left as it is and is an error.
fn write_new(file: &Path, body: &str) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(file).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!("{} exists already: it is not overwritten", file.display())
        } else {
            format!("cannot create {}: {e}", file.display())
        }
    })?;
    f.write_all(body.as_bytes()).map_err(|e| format!("cannot write {}: {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_carry_the_responder_and_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let reports = dir.path().join("reports");
        let payload = |text: &str| json!({ "kind": "art73", "markdown": text, "json": "{}" });
        let filed = file(&reports, "INC-0001", "regulator-report", &payload("ours")).unwrap();
        assert!(filed.contains("INC-0001-regulator-report-art73.md"), "{filed}");
        file(&reports, "INC-0001", "other", &payload("theirs")).unwrap();
        let again = file(&reports, "INC-0001", "regulator-report", &payload("revised")).unwrap();
        assert!(again.contains("INC-0001-regulator-report-art73-2.md"), "{again}");
        let read = |name: &str| std::fs::read_to_string(reports.join(name)).unwrap();
        assert_eq!(read("INC-0001-regulator-report-art73.md"), "ours", "a revision never overwrites");
        assert_eq!(read("INC-0001-other-art73.md"), "theirs");
        let bad = file(&reports, "INC-0001", "r", &json!({ "kind": "../x", "markdown": "", "json": "" }));
        assert!(bad.unwrap_err().contains("is not a file name"));
    }
}
