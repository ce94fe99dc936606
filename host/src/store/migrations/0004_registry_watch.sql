-- What `aiir watch-registry` last saw of a registry beyond the store (an MLflow
-- server, by its URL): its models' versions and aliases as JSON, so that the next
-- poll, in this process or a later one (cron), turns only what changed into events.

CREATE TABLE registry_snapshots (
    registry TEXT PRIMARY KEY,
    snapshot TEXT NOT NULL,
    at       INTEGER NOT NULL
);
