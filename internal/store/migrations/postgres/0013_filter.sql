-- Content filter (CARINE INF-SEC-4 … -10). Settings are JSON documents by
-- scope: an establishment ID, '' for the deployment's default profile, and
-- 'national' for the locked national layer only operators change.
CREATE TABLE filter_settings (
    scope       TEXT PRIMARY KEY,
    doc         TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT ''
);

-- Time-bounded overrides: teacher delegations (INF-SEC-6) and context
-- modes (exam, allow-list only; INF-SEC-4, -5). They revert by
-- themselves at ends_at; ending one early sets ended_at. Kept after they
-- end as a record of who opened what, for whom, and when.
CREATE TABLE filter_overrides (
    id                TEXT PRIMARY KEY,
    establishment_id  TEXT NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    target            TEXT NOT NULL,
    allow             BOOLEAN NOT NULL DEFAULT FALSE,
    site              TEXT NOT NULL DEFAULT '',
    category          TEXT NOT NULL DEFAULT '',
    sites             TEXT NOT NULL DEFAULT '[]',
    starts_at         BIGINT NOT NULL,
    ends_at           BIGINT NOT NULL,
    author_id         TEXT NOT NULL DEFAULT '',
    author_login      TEXT NOT NULL DEFAULT '',
    note              TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    ended_at          BIGINT,
    ended_by          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX filter_overrides_ends ON filter_overrides (ends_at);
CREATE INDEX filter_overrides_est ON filter_overrides (establishment_id, starts_at);

-- Imports of the category lists (UT1 or local): what was loaded, when, by whom.
CREATE TABLE filter_imports (
    id           TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    categories   INTEGER NOT NULL,
    domains      INTEGER NOT NULL,
    urls         INTEGER NOT NULL,
    skipped      INTEGER NOT NULL,
    imported_at  BIGINT NOT NULL,
    imported_by  TEXT NOT NULL DEFAULT ''
);

-- Grows with every filter change, so that running nodes reload within seconds.
INSERT INTO counters (name, value) VALUES ('filter', 0);
