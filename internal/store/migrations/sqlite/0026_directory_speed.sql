-- The small tables an import fills with one row per person (attachments,
-- external keys, password hashes, memberships) become WITHOUT ROWID tables
-- stored in their primary key: one B-tree per table instead of a rowid
-- table plus the primary key's index, a fifth fewer B-tree inserts per
-- imported person (issue 3: 100,000 people under 10 s). Nothing refers to
-- these tables, so each is copied, dropped and renamed in place.
-- PostgreSQL has no such distinction; its 0026 is empty.

CREATE TABLE person_establishments_new (
    person_id         TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    establishment_id  TEXT NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    PRIMARY KEY (person_id, establishment_id)
) WITHOUT ROWID;
INSERT INTO person_establishments_new (person_id, establishment_id, position)
    SELECT person_id, establishment_id, position FROM person_establishments;
DROP TABLE person_establishments;
ALTER TABLE person_establishments_new RENAME TO person_establishments;
CREATE INDEX person_establishments_est ON person_establishments (establishment_id);

CREATE TABLE person_keys_new (
    person_id  TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;
INSERT INTO person_keys_new (person_id, kind, value) SELECT person_id, kind, value FROM person_keys;
DROP TABLE person_keys;
ALTER TABLE person_keys_new RENAME TO person_keys;
CREATE INDEX person_keys_person ON person_keys (person_id);

CREATE TABLE credentials_new (
    person_id   TEXT PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    hash        TEXT NOT NULL,
    changed_at  BIGINT NOT NULL
) WITHOUT ROWID;
INSERT INTO credentials_new (person_id, hash, changed_at) SELECT person_id, hash, changed_at FROM credentials;
DROP TABLE credentials;
ALTER TABLE credentials_new RENAME TO credentials;

CREATE TABLE memberships_new (
    group_id   TEXT NOT NULL REFERENCES school_groups (id) ON DELETE CASCADE,
    person_id  TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    PRIMARY KEY (group_id, person_id, role)
) WITHOUT ROWID;
INSERT INTO memberships_new (group_id, person_id, role) SELECT group_id, person_id, role FROM memberships;
DROP TABLE memberships;
ALTER TABLE memberships_new RENAME TO memberships;
CREATE INDEX memberships_person ON memberships (person_id);
