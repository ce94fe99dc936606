//! OpenLineage run events: the lineage of a training or fine-tuning run, as data and ML
//! pipelines emit it (the OpenLineage clients' HTTP and file transports, Airflow, Spark,
//! dbt, MLflow integrations). One `RunEvent` (spec 2-0-2) becomes one event with a
//! `training-run` payload.
//!
//! The accepted shape (keys not named here are ignored, and so are unknown facets):
//!
//! ```text
//! { "eventType"?: "START"|"RUNNING"|"COMPLETE"|"FAIL"|"ABORT"|"OTHER",
//!   "eventTime": string (ISO 8601; without an offset, UTC), "producer"?: string,
//!   "run": { "runId": string }, "job": { "namespace": string, "name": string },
//!   "inputs"?: [ DATASET ], "outputs"?: [ DATASET ] }
//! DATASET: { "namespace"?: string, "name": string,
//!            "facets"?: { "aiir_model"?: { "version"?: string, "digest"?: string },
//!                         "version"?: { "datasetVersion": string } },
//!            "inputFacets"?: { "aiir_batches"?: { "batches": [ string ] } } }
//! ```
//!
//! A data set with the custom facet `aiir_model` is a model version: an output model is
//! the run's `output`, an input model its `base` (a fine-tune's); its name is the data
//! set's name, its version the facet's `version`, else the standard `version` facet's
//! `datasetVersion`, its digest the facet's `digest`. Any other input is a data set
//! read: `dataset` its name, `revision` its `version` facet's `datasetVersion`,
//! `batches` its `aiir_batches` input facet (empty: all of it); other outputs (metrics,
//! reports) are not lineage of a model and are ignored.
//!
//! The event: `run` the `runId`, `job` the job's `name` (its namespace is in the
//! source), `state` the lowercased `eventType` (`other` when absent), `source`
//! `openlineage:<job namespace>`, the time `eventTime`, the `producer` in the attribute
//! `openlineage.producer`, and the id `<runId>/<state>/<eventTime in UTC>`, so that an
//! event sent again (a transport's retry) is the same event.
//!
//! ```
//! use aiir_host::decode::openlineage::decode_line;
//! use aiir_host::runtime::Payload;
//! let line = r#"{"eventType":"COMPLETE","eventTime":"2026-11-20T09:30:00Z",
//!   "run":{"runId":"r1"},"job":{"namespace":"ml","name":"train"},
//!   "outputs":[{"namespace":"registry","name":"support-assistant","facets":{"aiir_model":{"version":"1.0"}}}]}"#;
//! let event = decode_line(line).unwrap();
//! assert_eq!(event.id, "r1/complete/2026-11-20T09:30:00Z");
//! let Payload::TrainingRun(run) = event.payload else { panic!() };
//! assert_eq!(run.output.unwrap().version.as_deref(), Some("1.0"));
//! ```

use super::aiir::{parse_time_in, unix_nanos};
use super::call::nullable;
use super::{DecodeError, parse};
use crate::runtime as wit;
use serde::Deserialize;
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{OffsetDateTime, PrimitiveDateTime};

/// The prefix of the `source` of every event decoded from this format.
pub const SOURCE_PREFIX: &str = "openlineage:";

/// Decode one OpenLineage `RunEvent`, a line of a file or the body of a request.
pub fn decode_line(line: &str) -> Result<wit::Event, DecodeError> {
    parse::<RunEvent>(line)?.into_event()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunEvent {
    event_type: Option<String>,
    event_time: Option<String>,
    producer: Option<String>,
    run: Option<Run>,
    job: Option<Job>,
    #[serde(default, deserialize_with = "nullable")]
    inputs: Vec<Dataset>,
    #[serde(default, deserialize_with = "nullable")]
    outputs: Vec<Dataset>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    run_id: Option<String>,
}

#[derive(Deserialize)]
struct Job {
    namespace: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Dataset {
    name: String,
    #[serde(default, deserialize_with = "nullable")]
    facets: Facets,
    #[serde(default, deserialize_with = "nullable")]
    input_facets: InputFacets,
}

#[derive(Deserialize, Default)]
struct Facets {
    aiir_model: Option<ModelFacet>,
    version: Option<VersionFacet>,
}

/// `aiir_model`: this data set is a model version.
#[derive(Deserialize)]
struct ModelFacet {
    version: Option<String>,
    digest: Option<String>,
}

/// The standard `version` dataset facet.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionFacet {
    dataset_version: String,
}

#[derive(Deserialize, Default)]
struct InputFacets {
    aiir_batches: Option<BatchesFacet>,
}

/// `aiir_batches`: the batches of the data set the run read.
#[derive(Deserialize)]
struct BatchesFacet {
    batches: Vec<String>,
}

impl RunEvent {
    fn into_event(self) -> Result<wit::Event, DecodeError> {
        let run = self.run.ok_or_else(|| missing("run", "not a RunEvent: no `run` (a DatasetEvent or JobEvent?)"))?;
        let run = run.run_id.filter(|id| !id.is_empty()).ok_or_else(|| missing("run.runId", "no `run.runId`"))?;
        let job = self.job.ok_or_else(|| missing("job", "no `job`"))?;
        let namespace = job.namespace.ok_or_else(|| missing("job.namespace", "no `job.namespace`"))?;
        let name = job.name.filter(|n| !n.is_empty()).ok_or_else(|| missing("job.name", "no `job.name`"))?;
        let state = state(self.event_type.as_deref())?;
        let text = self.event_time.ok_or_else(|| missing("eventTime", "no `eventTime`"))?;
        let time_unix_nano = event_time(&text)?;
        let (base, inputs) = split_inputs(self.inputs)?;
        let output = one_model("outputs", self.outputs.into_iter().filter_map(Dataset::model).collect())?;
        Ok(wit::Event {
            id: format!("{run}/{state}/{}", utc(time_unix_nano)),
            time_unix_nano,
            source: format!("{SOURCE_PREFIX}{namespace}"),
            model: None,
            principal: None,
            session: None,
            payload: wit::Payload::TrainingRun(wit::TrainingRun { run, job: name, state, inputs, base, output }),
            attributes: self.producer.map(|p| ("openlineage.producer".to_owned(), p)).into_iter().collect(),
        })
    }
}

impl Dataset {
    /// The model version this data set is, when it carries `aiir_model`.
    fn model(self) -> Option<wit::ModelRef> {
        let facet = self.facets.aiir_model?;
        let version = facet.version.or(self.facets.version.map(|v| v.dataset_version));
        Some(wit::ModelRef { name: self.name, version, digest: facet.digest })
    }
}

/// The base model among the inputs, and the data sets read.
fn split_inputs(datasets: Vec<Dataset>) -> Result<(Option<wit::ModelRef>, Vec<wit::DatasetInput>), DecodeError> {
    let (models, data): (Vec<Dataset>, Vec<Dataset>) =
        datasets.into_iter().partition(|d| d.facets.aiir_model.is_some());
    let base = one_model("inputs", models.into_iter().filter_map(Dataset::model).collect())?;
    let inputs = data
        .into_iter()
        .map(|d| wit::DatasetInput {
            dataset: d.name,
            revision: d.facets.version.map(|v| v.dataset_version),
            batches: d.input_facets.aiir_batches.map(|b| b.batches).unwrap_or_default(),
        })
        .collect();
    Ok((base, inputs))
}

/// At most one model in `field`: a run starts from one base and produces one version.
fn one_model(field: &str, mut models: Vec<wit::ModelRef>) -> Result<Option<wit::ModelRef>, DecodeError> {
    if models.len() > 1 {
        let names: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
        let why = format!("{} data sets with the `aiir_model` facet ({names:?}); a run has at most one", models.len());
        return Err(DecodeError { message: format!("invalid event: `{field}` hold {why}"), path: field.into() });
    }
    Ok(models.pop())
}

/// The state a run event tells, lowercased; `other` for an event that names none.
fn state(event_type: Option<&str>) -> Result<String, DecodeError> {
    match event_type {
        None => Ok("other".into()),
        Some(t @ ("START" | "RUNNING" | "COMPLETE" | "FAIL" | "ABORT" | "OTHER")) => Ok(t.to_ascii_lowercase()),
        Some(other) => Err(DecodeError {
            message: format!(
                "invalid event: unknown `eventType` {other:?}: expected START, RUNNING, COMPLETE, FAIL, ABORT or OTHER"
            ),
            path: "eventType".into(),
        }),
    }
}

/// `eventTime`: ISO 8601 with an offset (RFC 3339), or without one (what Python's
/// `datetime.now().isoformat()` writes), taken as UTC.
fn event_time(text: &str) -> Result<u64, DecodeError> {
    if let Ok(time) = OffsetDateTime::parse(text, &Iso8601::DEFAULT) {
        return unix_nanos("eventTime", text, time);
    }
    if let Ok(naive) = PrimitiveDateTime::parse(text, &Iso8601::DEFAULT) {
        return unix_nanos("eventTime", text, naive.assume_utc());
    }
    parse_time_in("eventTime", text)
}

/// A time as RFC 3339 in UTC, for the event id.
fn utc(nanos: u64) -> String {
    let time = OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    time.format(&Rfc3339).unwrap_or_else(|_| nanos.to_string())
}

fn missing(path: &str, what: &str) -> DecodeError {
    DecodeError { message: format!("invalid event: {what}"), path: path.into() }
}

#[cfg(test)]
mod tests;
