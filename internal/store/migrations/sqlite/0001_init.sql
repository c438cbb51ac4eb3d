-- Préau schema 1 (SQLite). Times are UTC microseconds since the Unix epoch.
-- The school directory has NO column for birth date, phone, postal address or
-- legal guardians (CARINE INF-ANN-8), and passwords are stored only as
-- argon2id hashes (INF-AUT-10).

CREATE TABLE establishments (
    id          TEXT PRIMARY KEY,
    uai         TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    name        TEXT NOT NULL,
    academie    TEXT NOT NULL DEFAULT '',
    domains     TEXT NOT NULL DEFAULT '[]',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE people (
    id            TEXT PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    given_name    TEXT NOT NULL,
    family_name   TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    profile       TEXT NOT NULL,
    state         TEXT NOT NULL,
    mail          TEXT NOT NULL DEFAULT '',
    service       BOOLEAN NOT NULL DEFAULT FALSE,
    must_change   BOOLEAN NOT NULL DEFAULT FALSE,
    delete_after  BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX people_family_name ON people (family_name);

CREATE TABLE person_establishments (
    person_id         TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    establishment_id  TEXT NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    PRIMARY KEY (person_id, establishment_id)
);
CREATE INDEX person_establishments_est ON person_establishments (establishment_id);

CREATE TABLE person_keys (
    person_id  TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (kind, value)
);
CREATE INDEX person_keys_person ON person_keys (person_id);

CREATE TABLE school_groups (
    id                TEXT PRIMARY KEY,
    establishment_id  TEXT NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    code              TEXT NOT NULL,
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL,
    school_year       INTEGER NOT NULL,
    level             TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (establishment_id, code, school_year)
);

CREATE TABLE memberships (
    group_id   TEXT NOT NULL REFERENCES school_groups (id) ON DELETE CASCADE,
    person_id  TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    PRIMARY KEY (group_id, person_id, role)
);
CREATE INDEX memberships_person ON memberships (person_id);

CREATE TABLE grants (
    id                TEXT PRIMARY KEY,
    establishment_id  TEXT REFERENCES establishments (id) ON DELETE CASCADE,
    person_id         TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    right_name        TEXT NOT NULL,
    granted_by        TEXT NOT NULL,
    valid_from        BIGINT NOT NULL,
    valid_until       BIGINT,
    revoked_at        BIGINT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX grants_person ON grants (person_id);

CREATE TABLE zones (
    id                TEXT PRIMARY KEY,
    establishment_id  TEXT NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    cidrs             TEXT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (establishment_id, name)
);

CREATE TABLE credentials (
    person_id   TEXT PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    hash        TEXT NOT NULL,
    changed_at  BIGINT NOT NULL
);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT '',
    auth_level  INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX sessions_person ON sessions (person_id);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT,
    last_used   BIGINT,
    revoked_at  BIGINT
);

-- The journal is append-only. On SQLite it carries no secondary index: every
-- index page is one more page written by every transaction, and journaling
-- must stay cheap (docs/performance.md). Its rowid order is append order;
-- verification and exports scan it, which a single school's journal allows.
-- PostgreSQL, where an index entry costs no extra round trip, keeps indexes.
CREATE TABLE journal (
    id           INTEGER PRIMARY KEY,
    chain        TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    at           BIGINT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_login  TEXT NOT NULL,
    channel      TEXT NOT NULL,
    source       TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    target_name  TEXT NOT NULL,
    attributes   TEXT NOT NULL,
    result       TEXT NOT NULL,
    reason       TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);

-- One row per chain: the last appended sequence and hash, so that deleting
-- the newest entries is detected too.
CREATE TABLE journal_heads (
    chain  TEXT PRIMARY KEY,
    seq    BIGINT NOT NULL,
    hash   TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE journal_checkpoints (
    chain      TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    hash       TEXT NOT NULL,
    at         BIGINT NOT NULL,
    key_id     TEXT NOT NULL,
    signature  TEXT NOT NULL,
    PRIMARY KEY (chain, seq)
);

CREATE TABLE settings (
    scope       TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (scope, name)
);

CREATE TABLE notices (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    at          BIGINT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    read_at     BIGINT
);
CREATE INDEX notices_person ON notices (person_id);
