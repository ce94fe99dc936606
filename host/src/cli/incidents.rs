//! `aiir incidents`: list, show, timeline, approve, close and export the incidents of
//! the store.

use super::store::{Missing, StoreArgs, operator, table};
use crate::actuate::Actuators;
use crate::actuate::guard::Guard;
use crate::output::ocsf::{self, Activity};
use crate::output::{FindingJson, format_time, print_json, print_text, terminal};
use crate::store::{
    ActionKind, ActionRecord, ActionStatus, Filter, IncidentDetail, IncidentRecord, State, Store, StoredFinding,
    TimelineItem,
};
use anyhow::{Context as _, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub(super) struct IncidentsArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: IncidentsCommand,
}

#[derive(Debug, Subcommand)]
enum IncidentsCommand {
    /// List incidents: id, severity, state, family, key, findings, first and last seen, title.
    List(ListArgs),
    /// Show an incident: its principals, sessions, techniques and rules, its findings
    /// with their evidence, and the actions proposed with their status.
    Show(ShowArgs),
    /// An incident's findings and audit rows, merged in time order.
    Timeline(ShowArgs),
    /// What a poisoning incident's data reached: the batches, every model version
    /// trained on them (through fine-tunes too), when each served and what traffic,
    /// and the version a rollback goes back to; or a lineage picture with `--graph`.
    Impact(ImpactArgs),
    /// Carry out an action a responder in `approve` mode queued (or `--reject` it),
    /// recorded as done by `operator:$USER`. `--config` gives the responder's
    /// `allow_hosts` for a notify.
    Approve(ApproveArgs),
    /// Close an incident (recorded as done by `operator:$USER`).
    Close(CloseArgs),
    /// Export an incident: an EU AI Act Article 73 or AIID report filed by the
    /// reporting responder (executed, never a dry-run or pending draft), or an OCSF
    /// Incident Finding.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Which incidents [default: every one not closed].
    #[arg(long, value_enum)]
    state: Option<StateFilter>,
    /// Print a JSON array.
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Print OCSF Incident Findings (class 2005), one a line.
    #[arg(long, value_enum)]
    format: Option<ListFormat>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StateFilter {
    Open,
    Contained,
    Recovered,
    Closed,
    All,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListFormat {
    Ocsf,
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// The incident, e.g. INC-0001.
    id: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ImpactArgs {
    /// The incident, e.g. INC-0004.
    id: String,
    /// Print JSON.
    #[arg(long, conflicts_with = "graph")]
    json: bool,
    /// Print the lineage as a picture instead.
    #[arg(long, value_enum)]
    graph: Option<super::lineage::Graph>,
}

#[derive(Debug, Args)]
struct ApproveArgs {
    /// The incident, e.g. INC-0007.
    id: String,
    /// The action's number, as `aiir incidents show` lists it.
    action: i64,
    /// Refuse the action instead: it is recorded as rejected and never carried out.
    #[arg(long)]
    reject: bool,
}

#[derive(Debug, Args)]
struct CloseArgs {
    /// The incident, e.g. INC-0001.
    id: String,
    /// Why it is closed, for the audit log.
    #[arg(long, value_name = "TEXT", default_value = "closed by an operator")]
    reason: String,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// The incident, e.g. INC-0001.
    id: String,
    /// What to export.
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// For art73: the report's JSON rather than its Markdown.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    /// The EU AI Act Article 73 serious-incident report (Markdown, or JSON with --json).
    Art73,
    /// An AI Incident Database submission (JSON).
    Aiid,
    /// One OCSF Incident Finding (class 2005).
    Ocsf,
}

impl ExportFormat {
    fn kind(self) -> &'static str {
        match self {
            Self::Art73 => "art73",
            Self::Aiid => "aiid",
            Self::Ocsf => "ocsf",
        }
    }
}

/// Run an `aiir incidents` command.
pub(super) async fn execute(args: IncidentsArgs) -> anyhow::Result<()> {
    match args.command {
        IncidentsCommand::Approve(a) => approve(&mut args.store.open(Missing::Refuse)?, &args.store, &a).await,
        IncidentsCommand::List(a) => list(&args.store.open(Missing::Refuse)?, &a),
        IncidentsCommand::Show(a) => show(&args.store.open(Missing::Refuse)?, &a),
        IncidentsCommand::Timeline(a) => timeline(&args.store.open(Missing::Refuse)?, &a),
        IncidentsCommand::Impact(a) => {
            super::lineage::impact(&args.store.open(Missing::Refuse)?, &a.id, a.json, a.graph)
        }
        IncidentsCommand::Close(a) => close(&mut args.store.open(Missing::Refuse)?, &a),
        IncidentsCommand::Export(a) => export(&args.store.open(Missing::Refuse)?, &args.store, &a),
    }
}

fn list(store: &Store, args: &ListArgs) -> anyhow::Result<()> {
    let filter = match args.state {
        None => Filter::Active,
        Some(StateFilter::All) => Filter::All,
        Some(StateFilter::Open) => Filter::In(State::Open),
        Some(StateFilter::Contained) => Filter::In(State::Contained),
        Some(StateFilter::Recovered) => Filter::In(State::Recovered),
        Some(StateFilter::Closed) => Filter::In(State::Closed),
    };
    let incidents = store.incidents(filter)?;
    if args.format.is_some() {
        for i in &incidents {
            let event = ocsf_incident(store, &i.id)?;
            print_json(&serde_json::to_string(&event)?);
        }
        return Ok(());
    }
    if args.json {
        let all: Vec<Value> = incidents.iter().map(incident_json).collect();
        print_json(&serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    if incidents.is_empty() {
        let which = args.state.and_then(|s| s.to_possible_value());
        let which = which.as_ref().map_or("active", |v| v.get_name());
        print_text(&format!("no incidents ({which}) in {}", store.path().display()));
        return Ok(());
    }
    let header = ["id", "severity", "state", "family", "key", "findings", "first seen", "last seen", "title"];
    let rows: Vec<Vec<String>> = incidents
        .iter()
        .map(|i| {
            vec![
                i.id.clone(),
                i.severity.name().into(),
                i.state.to_string(),
                i.family.to_string(),
                i.key.clone(),
                i.finding_count.to_string(),
                format_time(i.first_seen),
                format_time(i.last_seen),
                i.title.clone(),
            ]
        })
        .collect();
    print_text(&table(&header, &rows));
    Ok(())
}

/// An incident with what its findings share, or an error naming the id.
fn detail(store: &Store, id: &str) -> anyhow::Result<IncidentDetail> {
    store.incident_detail(id)?.ok_or_else(|| no_incident(store, id))
}

fn no_incident(store: &Store, id: &str) -> anyhow::Error {
    anyhow!("no incident {id:?} in {} (`aiir incidents list --state all` lists them)", store.path().display())
}

fn show(store: &Store, args: &ShowArgs) -> anyhow::Result<()> {
    let detail = detail(store, &args.id)?;
    let findings = store.incident_findings(&args.id, usize::MAX)?;
    let actions = store.actions(&args.id)?;
    if args.json {
        let mut out = incident_json(&detail.incident);
        out["principals"] = json!(detail.principals);
        out["sessions"] = json!(detail.sessions);
        out["techniques"] = json!(detail.techniques);
        out["rules"] = json!(detail.rules);
        out["findings"] = findings.iter().map(finding_json).collect();
        out["actions"] = actions.iter().map(action_json).collect();
        print_json(&serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    print_text(&show_text(&detail, &findings, &actions));
    Ok(())
}

/// The incident for a person. Most of it is a plugin's or a log's text: every such
/// field is shown on one line with its controls escaped.
fn show_text(detail: &IncidentDetail, findings: &[StoredFinding], actions: &[ActionRecord]) -> String {
    use terminal::line;
    let i = &detail.incident;
    let none = |v: &[String]| if v.is_empty() { "(none)".to_owned() } else { line(&v.join(", ")).into_owned() };
    let model = i.model.as_ref().map_or("(none)".to_owned(), |m| {
        let mut s = m.name.clone();
        s.extend(m.version.as_ref().map(|v| format!(" {v}")));
        s.extend(m.digest.as_ref().map(|d| format!("@{d}")));
        line(&s).into_owned()
    });
    let mut text = format!(
        "incident    {}  {}\nseverity    {}\nstate       {}\ngroup       {} by {} {}\nmodel       {model}\n\
         first seen  {}\nlast seen   {}\nopened      {}\nprincipals  {}\nsessions    {}\ntechniques  {}\nrules       {}\n",
        line(&i.id),
        line(&i.title),
        i.severity.name(),
        i.state,
        line(i.family.as_str()),
        i.scope.as_str(),
        line(&i.key),
        format_time(i.first_seen),
        format_time(i.last_seen),
        format_time(i.opened_at),
        none(&detail.principals),
        none(&detail.sessions),
        none(&detail.techniques),
        none(&detail.rules),
    );
    text.push_str(&format!("\nfindings ({})\n", findings.len()));
    for f in findings {
        let g = &f.finding;
        text.push_str(&format!(
            "  {}  {}  {} ({})  {}\n",
            format_time(f.time_unix_nano),
            line(&f.event_id),
            line(&g.rule),
            g.severity.name(),
            line(&g.title)
        ));
        for e in &g.evidence {
            text.push_str(&format!("      {}: {}\n", line(&e.field), line(&e.excerpt)));
        }
    }
    text.push_str(&format!("\nactions ({})\n", actions.len()));
    let rows: Vec<Vec<String>> = actions
        .iter()
        .map(|a| {
            let outcome = a.result.clone().unwrap_or_default();
            vec![
                format!("#{}", a.id),
                a.action.kind.to_string(),
                a.action.target.clone(),
                a.action.responder.clone(),
                a.action.mode.to_string(),
                a.status.to_string(),
                [a.action.reason.as_str(), outcome.as_str()].join(if outcome.is_empty() { "" } else { "; " }),
            ]
        })
        .collect();
    if !rows.is_empty() {
        text.push_str(&table(&["id", "kind", "target", "responder", "mode", "status", "reason"], &rows));
    }
    text.trim_end().to_owned()
}

fn timeline(store: &Store, args: &ShowArgs) -> anyhow::Result<()> {
    let entries = store.timeline(&args.id).map_err(|e| match e {
        crate::store::StoreError::NoIncident(_) => no_incident(store, &args.id),
        other => other.into(),
    })?;
    if args.json {
        let all: Vec<Value> = entries
            .iter()
            .map(|e| match &e.item {
                TimelineItem::Finding(f) => json!({ "time": format_time(e.at_unix_nano), "finding": finding_json(f) }),
                TimelineItem::Related(f) => json!({
                    "time": format_time(e.at_unix_nano), "related": finding_json(f), "incident": f.incident_id,
                }),
                TimelineItem::Audit(a) => json!({
                    "time": format_time(e.at_unix_nano), "actor": a.actor, "what": a.what, "detail": a.detail,
                }),
            })
            .collect();
        print_json(&serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let time = format_time(e.at_unix_nano);
            match &e.item {
                TimelineItem::Finding(f) => vec![time, f.plugin.clone(), "finding".into(), finding_line(f)],
                TimelineItem::Related(f) => {
                    let within =
                        f.incident_id.as_deref().map_or_else(|| "no incident".to_owned(), |i| format!("in {i}"));
                    vec![time, f.plugin.clone(), "related".into(), format!("{} ({within})", finding_line(f))]
                }
                TimelineItem::Audit(a) => vec![time, a.actor.clone(), a.what.clone(), a.detail.to_string()],
            }
        })
        .collect();
    print_text(&table(&["time", "actor", "what", "detail"], &rows));
    Ok(())
}

/// `rule (severity) on event: title`.
fn finding_line(f: &StoredFinding) -> String {
    let g = &f.finding;
    format!("{} ({}) on {}: {}", g.rule, g.severity.name(), f.event_id, g.title)
}

async fn approve(store: &mut Store, at: &StoreArgs, args: &ApproveArgs) -> anyhow::Result<()> {
    let incident = store.incident(&args.id)?.ok_or_else(|| no_incident(store, &args.id))?;
    let action = store.action(args.action)?.filter(|a| a.action.incident_id == args.id).ok_or_else(|| {
        anyhow::anyhow!("incident {} has no action {}: see `aiir incidents show {}`", args.id, args.action, args.id)
    })?;
    if action.status != ActionStatus::Pending {
        bail!("action {} of {} is {}, not waiting for approval", args.action, args.id, action.status);
    }
    let actor = operator();
    if args.reject {
        store.set_action_status(args.action, ActionStatus::Rejected, &actor, Some("rejected by an operator"))?;
        print_text(&format!("{} action {} rejected", args.id, args.action));
        return Ok(());
    }
    let allow_hosts = at.allow_hosts(&action.action.responder)?;
    let mut guard = Guard::default();
    let reports = store.path().parent().unwrap_or(Path::new(".")).join("reports");
    let mut act = Actuators { store, guard: &mut guard, reports, registry: at.registry()? };
    let status = act.execute(args.action, &incident, &allow_hosts, &actor).await?;
    let result = act.store.action(args.action)?.and_then(|a| a.result).unwrap_or_default();
    print_text(&format!("{} action {} {status}: {}", args.id, args.action, terminal::line(&result)));
    if status == ActionStatus::Failed { bail!("action {} failed", args.action) } else { Ok(()) }
}

fn close(store: &mut Store, args: &CloseArgs) -> anyhow::Result<()> {
    if store.incident(&args.id)?.is_none() {
        return Err(no_incident(store, &args.id));
    }
    store.transition(&args.id, State::Closed, &operator(), &args.reason)?;
    print_text(&format!("{} closed", args.id));
    Ok(())
}

fn export(store: &Store, at: &StoreArgs, args: &ExportArgs) -> anyhow::Result<()> {
    let markdown = args.format == ExportFormat::Art73 && !args.json;
    let text = match args.format {
        ExportFormat::Ocsf => serde_json::to_string_pretty(&ocsf_incident(store, &args.id)?)?,
        kind => report(store, at, &args.id, kind, args.json)?,
    };
    match &args.output {
        Some(file) => std::fs::write(file, text + "\n").with_context(|| format!("cannot write {}", file.display())),
        None if markdown => {
            print_text(text.trim_end());
            Ok(())
        }
        None => {
            print_json(text.trim_end());
            Ok(())
        }
    }
}

/// The report the reporting responder filed: the newest *executed* `file-report`
/// of the kind (a responder's report is carried out only when the operator granted it
/// `reports`; with `--config`, only one that config grants counts). Its payload is
/// `{"kind", "markdown", "json"}`. Dry-run, pending, rejected and failed drafts, and
/// any other responder's, are not the report.
fn report(store: &Store, at: &StoreArgs, id: &str, kind: ExportFormat, json: bool) -> anyhow::Result<String> {
    detail(store, id)?;
    let reporting = at.reporting_responders()?;
    let wanted = kind.kind();
    let actions = store.actions(id)?;
    let drafts: Vec<&ActionRecord> = actions
        .iter()
        .rev()
        .filter(|a| a.action.kind == ActionKind::FileReport && a.action.payload["kind"].as_str() == Some(wanted))
        .collect();
    let filed = |a: &&&ActionRecord| {
        a.status == ActionStatus::Executed && reporting.as_ref().is_none_or(|r| r.contains(&a.action.responder))
    };
    let Some(action) = drafts.iter().find(filed) else {
        let ignored: Vec<String> =
            drafts.iter().map(|a| format!("#{} by {}, {}", a.id, a.action.responder, a.status)).collect();
        let ignored =
            if ignored.is_empty() { String::new() } else { format!(" (not the report: {})", ignored.join("; ")) };
        bail!(
            "incident {id} has no {wanted} report filed by a reporting responder{ignored}; configure one \
             ([[responder]] name = \"regulator-report\", mode = \"enforce\") and run aiir again"
        );
    };
    let payload = &action.action.payload;
    let markdown = kind == ExportFormat::Art73 && !json;
    let field = if markdown { "markdown" } else { "json" };
    // The responder hands both as text; JSON text is printed as it is.
    match &payload[field] {
        Value::String(text) => Ok(text.clone()),
        Value::Null => bail!("incident {id}'s {wanted} report has no {field}"),
        other => Ok(serde_json::to_string_pretty(other)?),
    }
}

/// The incident as an OCSF Incident Finding: `Close` once closed, `Create` before.
fn ocsf_incident(store: &Store, id: &str) -> anyhow::Result<Value> {
    let detail = detail(store, id)?;
    let findings = store.incident_findings(id, usize::MAX)?;
    let activity = if detail.incident.state == State::Closed { Activity::Close } else { Activity::Create };
    Ok(ocsf::incident(&detail, &findings, activity))
}

fn incident_json(i: &IncidentRecord) -> Value {
    json!({
        "id": i.id,
        "title": i.title,
        "severity": i.severity.name(),
        "state": i.state.as_str(),
        "family": i.family.as_str(),
        "scope": i.scope.as_str(),
        "key": i.key,
        "model": i.model.as_ref().map(|m| json!({ "name": m.name, "version": m.version, "digest": m.digest })),
        "first_seen": format_time(i.first_seen),
        "last_seen": format_time(i.last_seen),
        "opened_at": format_time(i.opened_at),
        "updated_at": format_time(i.updated_at),
        "finding_count": i.finding_count,
    })
}

fn finding_json(f: &StoredFinding) -> Value {
    let mut out = json!({
        "event": f.event_id,
        "time": format_time(f.time_unix_nano),
        "source": f.source,
        "model": f.model.as_ref().map(|m| json!({ "name": m.name, "version": m.version, "digest": m.digest })),
        "principal": f.principal,
        "session": f.session,
        "plugin": f.plugin,
    });
    if let (Value::Object(out), Ok(Value::Object(finding))) =
        (&mut out, serde_json::to_value(FindingJson::from(&f.finding)))
    {
        out.extend(finding);
    }
    out
}

fn action_json(a: &ActionRecord) -> Value {
    json!({
        "id": a.id,
        "responder": a.action.responder,
        "kind": a.action.kind.as_str(),
        "target": a.action.target,
        "reason": a.action.reason,
        "mode": a.action.mode.as_str(),
        "status": a.status.as_str(),
        "created_at": format_time(a.created_at),
        "decided_at": a.decided_at.map(format_time),
        "decided_by": a.decided_by,
        "result": a.result,
        "payload": a.action.payload,
    })
}
