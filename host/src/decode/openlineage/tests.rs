use super::*;

/// A COMPLETE event of a fine-tune: a base model, a data set read in two batches, an
/// output model, a metrics table and facets aiir does not know.
const FINE_TUNE: &str = r#"{"eventType":"COMPLETE","eventTime":"2026-11-20T12:00:00.5+01:00",
 "producer":"https://example.invalid/pipeline","schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
 "run":{"runId":"r-2","facets":{"parent":{"run":{"runId":"r-0"}}}},
 "job":{"namespace":"ml-platform","name":"fine-tune-support","facets":{}},
 "inputs":[{"namespace":"models://registry","name":"support-assistant","facets":{"aiir_model":{"version":"1.0","digest":"sha256:aa"}}},
           {"namespace":"s3://data","name":"support-feedback","facets":{"version":{"datasetVersion":"f1"},"schema":{"fields":[]}},
            "inputFacets":{"aiir_batches":{"batches":["fb-001","fb-002"]},"dataQualityMetrics":{"rowCount":3}}}],
 "outputs":[{"namespace":"models://registry","name":"support-assistant","facets":{"aiir_model":{"digest":"sha256:bb"},"version":{"datasetVersion":"1.1"}}},
            {"namespace":"warehouse","name":"eval_metrics","facets":{"version":{"datasetVersion":"7"}}}]}"#;

/// A multi-line JSON text as one line.
fn line(text: &str) -> String {
    text.lines().map(str::trim).collect()
}

fn run_of(event: &wit::Event) -> &wit::TrainingRun {
    let wit::Payload::TrainingRun(run) = &event.payload else { panic!("not a training run: {event:?}") };
    run
}

#[test]
fn a_run_event_becomes_a_training_run_with_its_lineage() {
    let event = decode_line(&line(FINE_TUNE)).unwrap();
    assert_eq!(event.id, "r-2/complete/2026-11-20T11:00:00.5Z");
    assert_eq!(event.time_unix_nano, 1_795_172_400_500_000_000);
    assert_eq!(event.source, "openlineage:ml-platform");
    assert_eq!(event.attributes, [("openlineage.producer".to_owned(), "https://example.invalid/pipeline".to_owned())]);
    let run = run_of(&event);
    assert_eq!((run.run.as_str(), run.job.as_str(), run.state.as_str()), ("r-2", "fine-tune-support", "complete"));
    // wit types have no PartialEq; their Debug text shows every field.
    let base = wit::ModelRef {
        name: "support-assistant".into(),
        version: Some("1.0".into()),
        digest: Some("sha256:aa".into()),
    };
    assert_eq!(format!("{:?}", run.base), format!("{:?}", Some(base)));
    let output = wit::ModelRef {
        name: "support-assistant".into(),
        version: Some("1.1".into()),
        digest: Some("sha256:bb".into()),
    };
    assert_eq!(format!("{:?}", run.output), format!("{:?}", Some(output)), "the version from the standard facet");
    let read = wit::DatasetInput {
        dataset: "support-feedback".into(),
        revision: Some("f1".into()),
        batches: vec!["fb-001".into(), "fb-002".into()],
    };
    assert_eq!(format!("{:?}", run.inputs), format!("{:?}", [read]), "the base model is no data set read");
}

#[test]
fn the_aiir_model_version_wins_and_a_bare_data_set_reads_all_of_itself() {
    let text = line(FINE_TUNE)
        .replace(r#""aiir_model":{"digest":"sha256:bb"}"#, r#""aiir_model":{"version":"1.1-ft"}"#)
        .replace(
            r#","inputFacets":{"aiir_batches":{"batches":["fb-001","fb-002"]},"dataQualityMetrics":{"rowCount":3}}"#,
            "",
        )
        .replace(r#""version":{"datasetVersion":"f1"},"#, "");
    let event = decode_line(&text).unwrap();
    let run = run_of(&event);
    let output = run.output.as_ref().unwrap();
    assert_eq!((output.version.as_deref(), output.digest.as_deref()), (Some("1.1-ft"), None));
    assert_eq!(
        format!("{:?}", run.inputs[0]),
        format!("{:?}", wit::DatasetInput { dataset: "support-feedback".into(), revision: None, batches: vec![] })
    );
}

#[test]
fn the_same_event_sent_again_is_the_same_event_and_states_are_lowercased() {
    let start = r#"{"eventType":"START","eventTime":"2026-11-20T09:00:00","run":{"runId":"r"},"job":{"namespace":"n","name":"j"}}"#;
    let same = start.replace("T09:00:00", "T09:00:00+00:00");
    assert_eq!(decode_line(start).unwrap().id, "r/start/2026-11-20T09:00:00Z", "no offset: UTC");
    assert_eq!(decode_line(&same).unwrap().id, decode_line(start).unwrap().id);
    let complete = decode_line(&start.replace("START", "COMPLETE")).unwrap();
    assert_ne!(complete.id, decode_line(start).unwrap().id);
    for (event_type, state) in [("RUNNING", "running"), ("FAIL", "fail"), ("ABORT", "abort"), ("OTHER", "other")] {
        let event = decode_line(&start.replace("START", event_type)).unwrap();
        assert_eq!(run_of(&event).state, state);
    }
    let bare = decode_line(&start.replace(r#""eventType":"START","#, "")).unwrap();
    assert_eq!(run_of(&bare).state, "other", "an event that names no type adds to the run");
    assert!(run_of(&bare).inputs.is_empty() && run_of(&bare).output.is_none() && bare.attributes.is_empty());
}

#[test]
fn unusable_events_are_errors_that_name_the_field() {
    let ok = line(FINE_TUNE);
    let dataset_event = r#"{"eventTime":"2026-11-20T09:00:00Z","producer":"p","dataset":{"namespace":"n","name":"d"}}"#;
    let two_models =
        ok.replace(r#""name":"eval_metrics","facets":{"#, r#""name":"eval_metrics","facets":{"aiir_model":{},"#);
    let cases = [
        ("{", "?", "invalid JSON"),
        (dataset_event, "run", "not a RunEvent: no `run`"),
        (&ok.replace(r#""runId":"r-2","#, ""), "run.runId", "no `run.runId`"),
        (&ok.replace(r#""runId":"r-2""#, r#""runId":"""#), "run.runId", "no `run.runId`"),
        (&ok.replace(r#""namespace":"ml-platform","#, ""), "job.namespace", "no `job.namespace`"),
        (&ok.replace(r#""eventTime":"2026-11-20T12:00:00.5+01:00","#, ""), "eventTime", "no `eventTime`"),
        (
            &ok.replace("2026-11-20T12:00:00.5+01:00", "yesterday"),
            "eventTime",
            "`eventTime` \"yesterday\" is not RFC 3339",
        ),
        (&ok.replace("2026-11-20T12:00:00.5+01:00", "1969-12-31T23:00:00Z"), "eventTime", "is before 1970"),
        (&ok.replace("COMPLETE", "DONE"), "eventType", "unknown `eventType` \"DONE\""),
        (&two_models, "outputs", "`outputs` hold 2 data sets with the `aiir_model` facet"),
        (
            &ok.replace(r#"["fb-001","fb-002"]"#, r#""fb-001""#),
            "inputs[1].inputFacets.aiir_batches.batches",
            "invalid type",
        ),
        (&ok.replace(r#""version":"1.0","#, r#""version":1,"#), "inputs[0].facets.aiir_model.version", "invalid type"),
    ];
    for (text, path, expected) in cases {
        let err = decode_line(text).unwrap_err();
        assert!(err.message.contains(expected), "{text}: {err}");
        assert_eq!(err.path, path, "{err}");
    }
}

#[test]
fn what_the_real_client_wrote_decodes() {
    // tests/fixtures/openlineage.jsonl was written by tests/otel/lineage_client.py
    // (`--file`) with openlineage-python 1.54.0's FileTransport: one RunEvent a line.
    let text = include_str!("../../../../tests/fixtures/openlineage.jsonl");
    let events: Vec<wit::Event> = text.lines().map(|l| decode_line(l).unwrap()).collect();
    let runs: Vec<&wit::TrainingRun> = events.iter().map(run_of).collect();
    let states: Vec<&str> = runs.iter().map(|r| r.state.as_str()).collect();
    assert_eq!(states, ["start", "complete", "start", "complete", "start", "complete"]);
    let outputs: Vec<Option<&str>> =
        runs.iter().map(|r| r.output.as_ref().and_then(|m| m.version.as_deref())).collect();
    assert_eq!(outputs, [None, Some("1.0"), None, Some("1.1"), None, Some("1.2")]);
    let (train, fine_tune, clean) = (runs[1], runs[3], runs[5]);
    assert_eq!((train.inputs[0].revision.as_deref(), train.inputs[0].batches.len()), (Some("r1"), 2));
    assert_eq!(fine_tune.base.as_ref().and_then(|m| m.version.as_deref()), Some("1.0"));
    assert_eq!(fine_tune.inputs.len(), 1, "the base is no data set read");
    assert_eq!((clean.inputs[0].revision.as_deref(), clean.inputs[0].batches.len()), (Some("r2"), 0));
    assert!(clean.base.is_none() && clean.output.as_ref().unwrap().digest.is_none());
    assert!(events.iter().all(|e| e.source == "openlineage:ml-platform" && e.attributes.len() == 1));
    assert_eq!(events[0].time_unix_nano, 1_795_165_200_000_000_000);
}
