-- Detectors' keyed state (the `state` imports): one row per (plugin, partition, key),
-- written in the same transaction as the findings and checkpoint of the events that
-- changed it. `written` orders a plugin's writes.

CREATE TABLE plugin_state (
    plugin    TEXT NOT NULL,
    partition TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     BLOB NOT NULL,
    written   INTEGER NOT NULL,
    PRIMARY KEY (plugin, partition, key)
) WITHOUT ROWID;
