-- What one service account (an application reading the directory over
-- LDAP) may read: the attribute names and the profiles of the people it
-- sees, comma-separated; empty means the default (issue 3, INF-ANN-6).
CREATE TABLE service_scopes (
    person_id  TEXT PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    attrs      TEXT NOT NULL DEFAULT '',
    profiles   TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);
