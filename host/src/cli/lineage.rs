//! `aiir incidents impact` and `aiir models lineage`: what a poisoning incident's data
//! reached, and what trained each version of a model, as a table, JSON, or a picture
//! (Graphviz DOT or Mermaid).
//!
//! Every name here comes from a log (data sets, batches, runs, jobs, models), so each
//! is escaped for where it is shown: a terminal line, a DOT string, a Mermaid label.

use crate::output::{format_time, print_json, print_text, terminal};
use crate::store::{Affected, Impact, Run, Serving, Store, Traffic, Version};
use anyhow::anyhow;
use clap::ValueEnum;
use serde_json::{Value, json};

/// A lineage picture's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Graph {
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart (renders in GitHub, GitLab and most Markdown viewers).
    Mermaid,
}

/// `aiir incidents impact ID`.
pub(super) fn impact(store: &Store, id: &str, json: bool, graph: Option<Graph>) -> anyhow::Result<()> {
    if store.incident_detail(id)?.is_none() {
        return Err(anyhow!(
            "no incident {id:?} in {} (`aiir incidents list --state all` lists them)",
            store.path().display()
        ));
    }
    let Some(impact) = store.impact(id)? else {
        let none = format!(
            "{id}: no recorded training run read the data its findings name (lineage comes from training-data and \
             training-run events: see \"Lineage\" in the README)"
        );
        if json {
            print_json("null");
        } else {
            print_text(&none);
        }
        return Ok(());
    };
    let clean = clean_versions(store, &impact)?;
    match (json, graph) {
        (_, Some(Graph::Dot)) => print_text(&dot(&impact)),
        (_, Some(Graph::Mermaid)) => print_text(&mermaid(&impact)),
        (true, None) => print_json(&serde_json::to_string_pretty(&impact_json(&impact, &clean))?),
        (false, None) => print_text(&impact_text(&impact, &clean)),
    }
    Ok(())
}

/// `aiir models lineage MODEL`: each version and the runs that produced it.
pub(super) fn model_lineage(store: &Store, model: &str, json: bool) -> anyhow::Result<()> {
    let runs = store.model_runs(model)?;
    if runs.is_empty() && !store.models()?.iter().any(|m| m.name == model) {
        return Err(anyhow!("no model {model:?} in {} (`aiir models list` lists them)", store.path().display()));
    }
    let mut versions: Vec<(Version, Vec<&Run>)> = Vec::new();
    for r in &runs {
        let Some(v) = &r.output else { continue };
        match versions.iter_mut().find(|(known, _)| known == v) {
            Some((_, list)) => list.push(r),
            None => versions.push((v.clone(), vec![r])),
        }
    }
    if json {
        let versions: Vec<Value> = versions
            .iter()
            .map(|(v, runs)| {
                json!({ "version": v.version, "digest": v.digest, "runs": runs.iter().map(|r| run_json(r)).collect::<Vec<_>>() })
            })
            .collect();
        print_json(&serde_json::to_string_pretty(&json!({ "model": model, "versions": versions }))?);
        return Ok(());
    }
    if versions.is_empty() {
        print_text(&format!("{}: no recorded training run produced a version of it", terminal::line(model)));
        return Ok(());
    }
    let rows: Vec<Vec<String>> =
        versions.iter().flat_map(|(v, runs)| runs.iter().map(move |r| run_row(v, r))).collect();
    print_text(&super::store::table(&["version", "run", "job", "state", "started", "base", "read"], &rows));
    Ok(())
}

/// Per affected model, the version a rollback would go back to.
fn clean_versions(store: &Store, impact: &Impact) -> anyhow::Result<Vec<(String, Option<String>)>> {
    let mut models: Vec<&str> = impact.affected.iter().map(|a| a.version.model.as_str()).collect();
    models.dedup();
    models.into_iter().map(|m| Ok((m.to_owned(), store.clean_version(m, impact)?.map(|a| a.to_string())))).collect()
}

fn run_row(v: &Version, r: &Run) -> Vec<String> {
    vec![
        v.version.clone(),
        r.run.clone(),
        r.job.clone(),
        r.state.clone(),
        format_time(r.started_at),
        r.base.as_ref().map_or("-".into(), Version::label),
        inputs(r),
    ]
}

/// What a run read, on one line.
fn inputs(r: &Run) -> String {
    let each = r.inputs.iter().map(|i| {
        let mut s = i.dataset.clone();
        s.extend(i.revision.as_ref().map(|v| format!("@{v}")));
        s.extend(i.batch.as_ref().map(|b| format!(" batch {b}")));
        s
    });
    each.collect::<Vec<_>>().join(", ")
}

fn run_json(r: &Run) -> Value {
    let version =
        |v: &Option<Version>| v.as_ref().map(|v| json!({ "name": v.model, "version": v.version, "digest": v.digest }));
    json!({
        "run": r.run,
        "job": r.job,
        "state": r.state,
        "started_at": format_time(r.started_at),
        "inputs": grouped_inputs(r),
        "base": version(&r.base),
        "output": version(&r.output),
    })
}

/// A run's inputs, one entry per data set revision with the batches it names (none:
/// all of them).
fn grouped_inputs(r: &Run) -> Vec<Value> {
    let mut groups: Vec<(&str, Option<&str>, Vec<&str>)> = Vec::new();
    for i in &r.inputs {
        let key = (i.dataset.as_str(), i.revision.as_deref());
        let batch = i.batch.as_deref();
        match groups.iter_mut().find(|(d, v, _)| (*d, *v) == key) {
            Some((.., batches)) => batches.extend(batch),
            None => groups.push((key.0, key.1, batch.into_iter().collect())),
        }
    }
    let each = groups
        .into_iter()
        .map(|(dataset, revision, batches)| json!({ "dataset": dataset, "revision": revision, "batches": batches }));
    each.collect()
}

fn spans(serving: &[Serving]) -> String {
    if serving.is_empty() {
        return "never served".into();
    }
    let each =
        serving.iter().map(|s| format!("{} → {}", format_time(s.from), s.until.map_or("now".into(), format_time)));
    each.collect::<Vec<_>>().join("; ")
}

fn traffic_json(t: &Traffic) -> Value {
    json!({ "events": t.events, "sessions": t.sessions, "principals": t.principals })
}

fn impact_json(impact: &Impact, clean: &[(String, Option<String>)]) -> Value {
    let affected: Vec<Value> = impact
        .affected
        .iter()
        .map(|a| {
            json!({
                "model": a.version.model,
                "version": a.version.version,
                "digest": a.version.digest,
                "run": a.run,
                "through": a.through.as_ref().map(|t| json!({ "model": t.model, "version": t.version, "digest": t.digest })),
                "serving": a.serving.iter().map(|s| json!({
                    "from": format_time(s.from),
                    "until": s.until.map(format_time),
                })).collect::<Vec<_>>(),
                "traffic": traffic_json(&a.traffic),
            })
        })
        .collect();
    json!({
        "incident": impact.incident,
        "poisoned": impact.poisoned,
        "runs": impact.runs.iter().map(run_json).collect::<Vec<_>>(),
        "affected": affected,
        "traffic": traffic_json(&impact.traffic),
        "rollback": clean.iter().map(|(model, to)| json!({ "model": model, "to": to })).collect::<Vec<_>>(),
    })
}

fn impact_text(impact: &Impact, clean: &[(String, Option<String>)]) -> String {
    use terminal::line;
    let mut text = format!("impact of {}\n\npoisoned data ({})\n", line(&impact.incident), impact.poisoned.len());
    for p in &impact.poisoned {
        let revision = p.revision.as_ref().map_or(String::new(), |r| format!(" (revision {})", line(r)));
        text.push_str(&format!(
            "  {} batch {}{revision}, event {}\n",
            line(&p.dataset),
            line(&p.batch),
            line(&p.event_id)
        ));
    }
    text.push_str(&format!("\naffected versions ({})\n", impact.affected.len()));
    let rows: Vec<Vec<String>> = impact.affected.iter().map(affected_row).collect();
    let header = ["model", "version", "run", "through", "served", "events", "sessions", "principals"];
    text.push_str(&super::store::table(&header, &rows));
    let t = &impact.traffic;
    text.push_str(&format!(
        "\n\nserved in all: {} events, {} sessions, {} principals\n",
        t.events, t.sessions, t.principals
    ));
    for (model, to) in clean {
        let to = to.as_ref().map_or_else(
            || "none: no version that none of the data reached is known-good or trained by a completed run".into(),
            |v| line(v).into_owned(),
        );
        text.push_str(&format!("rollback of {}: {to}\n", line(model)));
    }
    text
}

fn affected_row(a: &Affected) -> Vec<String> {
    vec![
        a.version.model.clone(),
        a.version.version.clone(),
        a.run.clone(),
        a.through.as_ref().map_or("-".into(), |t| t.version.clone()),
        spans(&a.serving),
        a.traffic.events.to_string(),
        a.traffic.sessions.to_string(),
        a.traffic.principals.to_string(),
    ]
}

/// The lineage as nodes (batches, runs, versions) and edges, for either picture.
struct Picture {
    nodes: Vec<(String, String, Shape)>,
    edges: Vec<(String, String)>,
}

#[derive(Clone, Copy)]
enum Shape {
    Data,
    Run,
    Affected,
}

fn picture(impact: &Impact) -> Picture {
    let mut p = Picture { nodes: Vec::new(), edges: Vec::new() };
    let version_id = |v: &Version| format!("v:{}:{}:{}", v.model, v.version, v.digest.as_deref().unwrap_or(""));
    for b in &impact.poisoned {
        let id = format!("b:{}:{}", b.dataset, b.batch);
        let revision = b.revision.as_ref().map_or(String::new(), |r| format!(" @{r}"));
        p.nodes.push((id, format!("{} batch {}{revision}", b.dataset, b.batch), Shape::Data));
    }
    for r in &impact.runs {
        let id = format!("r:{}", r.run);
        p.nodes.push((id.clone(), format!("run {} ({})", r.run, r.job), Shape::Run));
        for b in &impact.poisoned {
            let read =
                r.inputs.iter().any(|i| i.dataset == b.dataset && i.batch.as_ref().is_none_or(|x| *x == b.batch));
            if read {
                p.edges.push((format!("b:{}:{}", b.dataset, b.batch), id.clone()));
            }
        }
        if let Some(base) = &r.base {
            p.edges.push((version_id(base), id.clone()));
        }
        if let Some(out) = &r.output {
            p.edges.push((id, version_id(out)));
        }
    }
    for a in &impact.affected {
        let served = format!("{} events, {} sessions", a.traffic.events, a.traffic.sessions);
        p.nodes.push((version_id(&a.version), format!("{} ({served})", a.version.label()), Shape::Affected));
    }
    // A base outside the affected set (a clean model fine-tuned on poisoned data).
    for r in &impact.runs {
        if let Some(base) = &r.base
            && !p.nodes.iter().any(|(id, ..)| *id == version_id(base))
        {
            p.nodes.push((version_id(base), base.label(), Shape::Data));
        }
    }
    p
}

/// Graphviz DOT; every id and label is a quoted string with `"`, `\` and line breaks escaped.
fn dot(impact: &Impact) -> String {
    let q = |s: &str| {
        let escaped: String = s
            .chars()
            .flat_map(|c| match c {
                '"' => vec!['\\', '"'],
                '\\' => vec!['\\', '\\'],
                c if c.is_control() => vec![' '],
                c => vec![c],
            })
            .collect();
        format!("\"{escaped}\"")
    };
    let p = picture(impact);
    let mut out = format!("digraph {} {{\n  rankdir=LR;\n", q(&format!("impact of {}", impact.incident)));
    for (id, label, shape) in &p.nodes {
        let style = match shape {
            Shape::Data => "shape=note",
            Shape::Run => "shape=box, style=rounded",
            Shape::Affected => "shape=box, style=filled, fillcolor=\"#f4cccc\"",
        };
        out.push_str(&format!("  {} [label={}, {style}];\n", q(id), q(label)));
    }
    for (from, to) in &p.edges {
        out.push_str(&format!("  {} -> {};\n", q(from), q(to)));
    }
    out.push('}');
    out
}

/// A Mermaid flowchart; ids are numbered (Mermaid ids cannot hold arbitrary text) and
/// labels quoted with Mermaid's entity codes for what would end or break them.
fn mermaid(impact: &Impact) -> String {
    let label = |s: &str| {
        let escaped: String = s
            .chars()
            .map(|c| match c {
                '"' => "#quot;".to_owned(),
                '#' => "#35;".to_owned(),
                '<' => "#lt;".to_owned(),
                '>' => "#gt;".to_owned(),
                '`' => "#96;".to_owned(),
                c if c.is_control() => " ".to_owned(),
                c => c.to_string(),
            })
            .collect();
        format!("\"{escaped}\"")
    };
    let p = picture(impact);
    let index = |id: &str| p.nodes.iter().position(|(n, ..)| n == id);
    let mut out = String::from("flowchart LR\n");
    for (i, (_, text, shape)) in p.nodes.iter().enumerate() {
        let node = match shape {
            Shape::Data => format!("  n{i}[/{}/]\n", label(text)),
            Shape::Run => format!("  n{i}({})\n", label(text)),
            Shape::Affected => format!("  n{i}[{}]:::affected\n", label(text)),
        };
        out.push_str(&node);
    }
    for (from, to) in &p.edges {
        if let (Some(a), Some(b)) = (index(from), index(to)) {
            out.push_str(&format!("  n{a} --> n{b}\n"));
        }
    }
    out.push_str("  classDef affected fill:#f4cccc,stroke:#990000");
    out
}
