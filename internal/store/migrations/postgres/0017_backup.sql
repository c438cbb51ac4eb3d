-- Backup service (issue 10, MCO-SVG). backup_runs is the history of every
-- backup, verification, restore drill, prune and restore (who, what, when,
-- result, sizes: MCO-SVG-13); each row is written in the same transaction
-- as its journal entry. backup_policies holds one policy per establishment
-- ('' is the deployment's), as JSON (schedule, selection, type, retention).
CREATE TABLE backup_runs (
    id            TEXT PRIMARY KEY,
    op            TEXT NOT NULL,
    repo          TEXT NOT NULL,
    establishment TEXT NOT NULL DEFAULT '',
    snapshot      TEXT NOT NULL DEFAULT '',
    kind          TEXT NOT NULL DEFAULT '',
    started_at    BIGINT NOT NULL,
    finished_at   BIGINT NOT NULL,
    result        TEXT NOT NULL,
    files         BIGINT NOT NULL DEFAULT 0,
    bytes         BIGINT NOT NULL DEFAULT 0,
    added_bytes   BIGINT NOT NULL DEFAULT 0,
    repo_bytes    BIGINT NOT NULL DEFAULT 0,
    actor         TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX backup_runs_op_time ON backup_runs (op, finished_at);

CREATE TABLE backup_policies (
    establishment TEXT PRIMARY KEY,
    body          TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);
