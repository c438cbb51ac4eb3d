-- Policy documents (charte, charte administrateur, CGU, security policy):
-- numbered versions per establishment and kind. The row whose published_at
-- is NULL is the document's one draft, numbered after the last published
-- version; published versions never change.
CREATE TABLE charter_versions (
    establishment_id  TEXT NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    version           INTEGER NOT NULL,
    title             TEXT NOT NULL,
    body              TEXT NOT NULL,
    author_id         TEXT NOT NULL DEFAULT '',
    author_login      TEXT NOT NULL DEFAULT '',
    updated_at        BIGINT NOT NULL,
    published_at      BIGINT,
    publisher_id      TEXT NOT NULL DEFAULT '',
    publisher_login   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (establishment_id, kind, version)
);

-- Who accepted which version, when and how (the journal holds the same
-- facts, hash-chained; this table answers "must this person accept?").
CREATE TABLE charter_acceptances (
    person_id         TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    establishment_id  TEXT NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    version           INTEGER NOT NULL,
    accepted_at       BIGINT NOT NULL,
    channel           TEXT NOT NULL,
    source            TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (person_id, establishment_id, kind, version)
);
CREATE INDEX charter_acceptances_version ON charter_acceptances (establishment_id, kind, version);
