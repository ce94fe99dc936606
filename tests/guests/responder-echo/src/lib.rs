//! `responder-echo`: a responder that proposes one action per incident, built from
//! what the host's `response` imports return, so a test can tell that the snapshot it
//! handed in reached the plugin. With `attack` set, it attacks its host instead; with
//! `proposals` set, it proposes exactly those, for every incident (a responder that
//! reaches beyond its incident, or forges a report).
//!
//! Written against the WIT directly (not the SDK) so that the runtime's tests do not
//! depend on the SDK's responder support. Built only for tests, never shipped.

#[allow(missing_docs, unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({ world: "responder", path: "../../../wit" });
}

use bindings::aiir::plugin::incidents::{Action, Incident, IncidentFinding, Notice, Proposal, Report};
use bindings::aiir::plugin::response;
use bindings::aiir::plugin::types::{EventKind, ModelRef};
use bindings::{Guest, PluginInfo, SettingsError};
use std::cell::{Cell, RefCell};
use std::hint::black_box;

/// How many proposals `flood` returns.
const FLOOD_PROPOSALS: usize = 1_000_000;
/// How many times `import-flood` calls `findings`.
const FLOOD_IMPORT_CALLS: usize = 10_000_000;

/// What `respond` does instead of echoing.
#[derive(Debug, Clone, Copy)]
enum Attack {
    None,
    Loop,
    Flood,
    ImportFlood,
}

thread_local! {
    static ATTACK: Cell<Attack> = const { Cell::new(Attack::None) };
    /// The `proposals` setting, when given: what `respond` returns.
    static PROPOSALS: RefCell<Option<Vec<Proposal>>> = const { RefCell::new(None) };
}

struct Echo;

impl Guest for Echo {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "responder-echo".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "proposes to block the principal of its incident's first finding".into(),
            kinds: vec![EventKind::Inference],
            settings: "- `attack` (string, optional): `loop`, `flood` or `import-flood` instead of echoing\n\
                       - `proposals` (array, optional): propose exactly these, e.g. `{ action = \"quarantine\", \
                       model = \"m\", version = \"1\", digest = \"\" }`; actions `rollback` (model), `quarantine` \
                       (model, version, digest), `block` (principal), `notify` (url, body), `file-report` (kind, \
                       markdown, json)"
                .into(),
        }
    }

    fn configure(settings: String) -> Result<(), Vec<SettingsError>> {
        let value: serde_json::Value = serde_json::from_str(&settings).map_err(|e| error("", &e.to_string()))?;
        let attack = match value.get("attack").and_then(|a| a.as_str()) {
            None => Attack::None,
            Some("loop") => Attack::Loop,
            Some("flood") => Attack::Flood,
            Some("import-flood") => Attack::ImportFlood,
            Some(other) => return Err(error("attack", &format!("unknown attack `{other}`"))),
        };
        ATTACK.set(attack);
        let proposals = match value.get("proposals") {
            None => None,
            Some(list) => Some(proposals(list).map_err(|e| error("proposals", &e))?),
        };
        PROPOSALS.set(proposals);
        Ok(())
    }

    fn respond(incident: Incident) -> Result<Vec<Proposal>, String> {
        if let Some(proposals) = PROPOSALS.with_borrow(Clone::clone) {
            return Ok(proposals);
        }
        match ATTACK.get() {
            Attack::None => echo(&incident).map(|p| vec![p]),
            Attack::Loop => loop {
                black_box(&incident);
            },
            Attack::Flood => Ok((0..black_box(FLOOD_PROPOSALS)).map(|i| block(format!("p{i}"), "flood")).collect()),
            Attack::ImportFlood => {
                for _ in 0..black_box(FLOOD_IMPORT_CALLS) {
                    black_box(response::findings(&incident.id));
                }
                Ok(Vec::new())
            }
        }
    }
}

/// Block the principal of the first finding; say how many findings and versions
/// the imports returned.
fn echo(incident: &Incident) -> Result<Proposal, String> {
    let findings: Vec<IncidentFinding> = response::findings(&incident.id);
    let first = findings.first().ok_or_else(|| format!("no findings for {}", incident.id))?;
    let principal = first.principal.clone().ok_or("the first finding has no principal")?;
    let versions = incident.model.as_ref().map_or(0, |m| response::versions(&m.name).len());
    let reason = format!("{} findings, first {}; {versions} versions", findings.len(), first.finding.rule);
    Ok(block(principal, &reason))
}

/// The `proposals` setting as WIT proposals.
fn proposals(list: &serde_json::Value) -> Result<Vec<Proposal>, String> {
    let list = list.as_array().ok_or("not an array")?;
    list.iter().map(proposal).collect()
}

fn proposal(p: &serde_json::Value) -> Result<Proposal, String> {
    let field = |key: &str| p.get(key).and_then(|v| v.as_str()).map(String::from);
    let needed = |key: &str| field(key).ok_or(format!("`{key}` missing"));
    let action = match needed("action")?.as_str() {
        "rollback" => Action::RollbackModel(needed("model")?),
        "quarantine" => Action::QuarantineModel(ModelRef {
            name: needed("model")?,
            version: field("version"),
            digest: field("digest"),
        }),
        "block" => Action::BlockPrincipal(needed("principal")?),
        "notify" => Action::Notify(Notice { url: needed("url")?, body: needed("body")? }),
        "file-report" => {
            Action::FileReport(Report { kind: needed("kind")?, markdown: needed("markdown")?, json: needed("json")? })
        }
        other => return Err(format!("unknown action `{other}`")),
    };
    Ok(Proposal { action, reason: field("reason").unwrap_or_else(|| "as configured".into()) })
}

fn block(principal: String, reason: &str) -> Proposal {
    Proposal { action: Action::BlockPrincipal(principal), reason: reason.into() }
}

fn error(path: &str, message: &str) -> Vec<SettingsError> {
    vec![SettingsError { path: path.into(), message: message.into() }]
}

/// The component's exports (generated code, hence the `unsafe`).
#[allow(unsafe_code)]
mod exports {
    use super::Echo;
    crate::bindings::export!(Echo with_types_in crate::bindings);
}
