-- The first schema: events and their findings, incidents, actions, the audit log,
-- the model registry, blocked principals and source checkpoints.
-- Times are nanoseconds since the Unix epoch (UTC). JSON columns hold JSON text.

CREATE TABLE events (
    id             TEXT PRIMARY KEY,
    time_unix_nano INTEGER NOT NULL,
    source         TEXT NOT NULL,
    model_name     TEXT,
    model_version  TEXT,
    model_digest   TEXT,
    principal      TEXT,
    session        TEXT
);

CREATE TABLE incidents (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,          -- INC-0001
    title            TEXT NOT NULL,
    family           TEXT NOT NULL,
    scope            TEXT NOT NULL CHECK (scope IN ('model', 'session', 'principal')),
    key              TEXT NOT NULL,
    severity         TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    -- The highest severity of its findings, before escalation for their number.
    highest          TEXT NOT NULL CHECK (highest IN ('info', 'low', 'medium', 'high', 'critical')),
    state            TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'contained', 'recovered', 'closed')),
    model_name       TEXT,
    model_version    TEXT,
    model_digest     TEXT,
    first_seen       INTEGER NOT NULL,
    last_seen        INTEGER NOT NULL,
    opened_at        INTEGER NOT NULL,
    finding_count    INTEGER NOT NULL DEFAULT 0,
    responded_count  INTEGER NOT NULL DEFAULT 0,
    updated_at       INTEGER NOT NULL
);
-- Correlation looks up the live incident of a group.
CREATE INDEX incidents_group ON incidents (family, scope, key, last_seen);

CREATE TABLE findings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT NOT NULL REFERENCES events (id),
    plugin      TEXT NOT NULL,
    rule        TEXT NOT NULL,
    title       TEXT NOT NULL,
    severity    TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    confidence  REAL NOT NULL,
    techniques  TEXT NOT NULL DEFAULT '[]',        -- JSON array of ATLAS and OWASP ids
    incident_id TEXT REFERENCES incidents (id),
    -- A finding read twice (a re-run, a restart) is stored once.
    UNIQUE (event_id, plugin, rule)
);
CREATE INDEX findings_incident ON findings (incident_id);

CREATE TABLE evidence (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    finding_id INTEGER NOT NULL REFERENCES findings (id),
    field      TEXT NOT NULL,
    excerpt    TEXT NOT NULL
);
CREATE INDEX evidence_finding ON evidence (finding_id);

CREATE TABLE actions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    responder   TEXT NOT NULL,
    kind        TEXT NOT NULL
                CHECK (kind IN ('rollback-model', 'quarantine-model', 'block-principal', 'notify', 'file-report')),
    target      TEXT NOT NULL,                     -- the model, model@version, principal, URL or report kind
    payload     TEXT NOT NULL DEFAULT '{}',        -- JSON
    reason      TEXT NOT NULL,
    mode        TEXT NOT NULL CHECK (mode IN ('dry-run', 'enforce', 'approve')),
    status      TEXT NOT NULL
                CHECK (status IN ('proposed', 'dry-run', 'pending', 'executed', 'failed', 'rejected')),
    created_at  INTEGER NOT NULL,
    decided_at  INTEGER,
    decided_by  TEXT,
    result      TEXT,
    -- A responder asked again about a grown incident does not duplicate its actions.
    UNIQUE (incident_id, responder, kind, target)
);

CREATE TABLE audit (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    at_unix_nano INTEGER NOT NULL,
    actor        TEXT NOT NULL,                    -- aiir, a responder, an operator, log:<event id>
    incident_id  TEXT REFERENCES incidents (id),
    what         TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '{}'        -- JSON
);
CREATE INDEX audit_incident ON audit (incident_id);

-- The audit log is append-only.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: rows cannot be changed');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: rows cannot be deleted');
END;

CREATE TABLE models (
    name            TEXT PRIMARY KEY,
    -- The serving alias points at one artifact: a version row's label and digest.
    serving_version TEXT,                          -- NULL until something serves
    serving_digest  TEXT NOT NULL DEFAULT ''       -- '' when the artifact's digest is unknown
);

-- A registry version is an artifact: its label and its digest. One label can name two
-- artifacts (one swapped in under an unchanged version), so each is a row of its own.
CREATE TABLE model_versions (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    model                   TEXT NOT NULL REFERENCES models (name),
    version                 TEXT NOT NULL,
    digest                  TEXT NOT NULL DEFAULT '',  -- '' when unknown (not NULL, so UNIQUE holds)
    known_good              INTEGER NOT NULL DEFAULT 0 CHECK (known_good IN (0, 1)),
    quarantined             INTEGER NOT NULL DEFAULT 0 CHECK (quarantined IN (0, 1)),
    quarantined_by_incident TEXT REFERENCES incidents (id),
    registered_at           INTEGER NOT NULL,
    UNIQUE (model, version, digest)
);

CREATE TABLE alias_history (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    model        TEXT NOT NULL REFERENCES models (name),
    from_version TEXT,                             -- NULL when nothing served before
    from_digest  TEXT NOT NULL DEFAULT '',
    to_version   TEXT NOT NULL,
    to_digest    TEXT NOT NULL DEFAULT '',
    at           INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    reason       TEXT NOT NULL
);
CREATE INDEX alias_history_model ON alias_history (model);

CREATE TABLE blocked_principals (
    principal   TEXT PRIMARY KEY,
    incident_id TEXT REFERENCES incidents (id),
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL
);

CREATE TABLE checkpoints (
    source      TEXT PRIMARY KEY,                  -- the path as given
    file        TEXT NOT NULL,                     -- the file's identity (device and inode, or the like)
    byte_offset INTEGER NOT NULL,                  -- bytes read and processed
    line_number INTEGER NOT NULL,                  -- lines read and processed
    updated_at  INTEGER NOT NULL
);
