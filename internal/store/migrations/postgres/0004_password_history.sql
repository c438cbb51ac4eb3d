-- Previous password hashes of each person, so that a password policy can
-- refuse the last ones (CARINE INF-AUT-6). SetPasswordHash copies the
-- replaced hash here, with the time it was replaced, and keeps the last 20
-- per person. id orders rows written at the same instant.
CREATE TABLE password_history (
    id          BIGSERIAL PRIMARY KEY,
    person_id   TEXT REFERENCES people (id) ON DELETE CASCADE,
    hash        TEXT NOT NULL,
    changed_at  BIGINT NOT NULL
);
CREATE INDEX password_history_person ON password_history (person_id);
