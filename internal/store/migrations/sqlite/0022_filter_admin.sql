-- Filter administration (issue 6): the scheduled download of the category
-- lists, the journal of its runs, and pupils' requests to open a site.

-- The scheduled download of the lists (one row, name 'lists').
CREATE TABLE filter_fetch_config (
    name         TEXT PRIMARY KEY,
    url          TEXT NOT NULL,
    enabled      BOOLEAN NOT NULL DEFAULT FALSE,
    at_minute    INTEGER NOT NULL DEFAULT 120,
    every_hours  INTEGER NOT NULL DEFAULT 24,
    updated_at   BIGINT NOT NULL,
    updated_by   TEXT NOT NULL DEFAULT ''
);

-- Every download attempt, scheduled or asked for, with its outcome.
CREATE TABLE filter_fetch_runs (
    id           TEXT PRIMARY KEY,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT NOT NULL,
    url          TEXT NOT NULL,
    node         TEXT NOT NULL DEFAULT '',
    cause        TEXT NOT NULL,
    ok           BOOLEAN NOT NULL,
    message      TEXT NOT NULL DEFAULT '',
    import_id    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX filter_fetch_runs_at ON filter_fetch_runs (started_at);

-- A pupil's request to open a blocked site, for the teachers holding
-- filter.delegate for the pupil's groups.
CREATE TABLE filter_asks (
    id                TEXT PRIMARY KEY,
    establishment_id  TEXT NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    person_id         TEXT NOT NULL,
    login             TEXT NOT NULL,
    display_name      TEXT NOT NULL DEFAULT '',
    group_codes       TEXT NOT NULL DEFAULT '[]',
    site              TEXT NOT NULL,
    reason            TEXT NOT NULL DEFAULT '',
    asked_at          BIGINT NOT NULL,
    state             TEXT NOT NULL DEFAULT 'pending',
    decided_at        BIGINT,
    decided_by        TEXT NOT NULL DEFAULT '',
    target            TEXT NOT NULL DEFAULT '',
    override_id       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX filter_asks_est ON filter_asks (establishment_id, state, asked_at);
