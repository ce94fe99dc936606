-- Lineage: which batches went into which data set revisions, which training runs read
-- them and which model versions those runs produced, and which events each model
-- version served. Together with alias_history they answer a poisoning incident's
-- questions: which models learned from the data, whom they served, where to go back.

CREATE TABLE dataset_batches (
    dataset  TEXT NOT NULL,
    batch    TEXT NOT NULL,
    revision TEXT NOT NULL DEFAULT '',          -- '' when the pipeline did not say
    event_id TEXT NOT NULL,                     -- the training-data event that brought it
    seen_at  INTEGER NOT NULL,
    PRIMARY KEY (dataset, batch, revision)
);
CREATE INDEX dataset_batches_event ON dataset_batches (event_id);

CREATE TABLE training_runs (
    run            TEXT PRIMARY KEY,
    job            TEXT NOT NULL,
    state          TEXT NOT NULL,               -- start, running, complete, fail, abort
    started_at     INTEGER NOT NULL,            -- the time of its first event
    updated_at     INTEGER NOT NULL,
    base_model     TEXT,                        -- the model version a fine-tune started from
    base_version   TEXT,
    base_digest    TEXT NOT NULL DEFAULT '',
    output_model   TEXT,                        -- the model version it produced
    output_version TEXT,
    output_digest  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX training_runs_base ON training_runs (base_model, base_version);
CREATE INDEX training_runs_output ON training_runs (output_model, output_version);

CREATE TABLE run_inputs (
    run      TEXT NOT NULL REFERENCES training_runs (run),
    dataset  TEXT NOT NULL,
    revision TEXT NOT NULL DEFAULT '',          -- '' when the pipeline did not say
    batch    TEXT NOT NULL DEFAULT '',          -- '' for every batch of the revision
    PRIMARY KEY (run, dataset, revision, batch)
);
CREATE INDEX run_inputs_dataset ON run_inputs (dataset);

-- One row per model call: the version that served it (the serving alias's when the
-- event named none), for counting what an affected version served.
CREATE TABLE served_events (
    event_id  TEXT PRIMARY KEY,
    model     TEXT NOT NULL,
    version   TEXT NOT NULL DEFAULT '',
    digest    TEXT NOT NULL DEFAULT '',
    session   TEXT,
    principal TEXT,
    at        INTEGER NOT NULL
);
CREATE INDEX served_events_version ON served_events (model, version);
