-- Rights (design §3, issue 5). A grant may be bound to a network zone of
-- its establishment: the right then holds only for requests from that zone
-- ('' = any zone). The head may also grant a right to a group: every
-- member and owner of the group holds it while the grant is in force.
ALTER TABLE grants ADD COLUMN zone TEXT NOT NULL DEFAULT '';

CREATE TABLE group_grants (
    id                TEXT PRIMARY KEY,
    establishment_id  TEXT NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    group_id          TEXT NOT NULL REFERENCES school_groups (id) ON DELETE CASCADE,
    right_name        TEXT NOT NULL,
    zone              TEXT NOT NULL DEFAULT '',
    granted_by        TEXT NOT NULL,
    valid_from        BIGINT NOT NULL,
    valid_until       BIGINT,
    revoked_at        BIGINT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX group_grants_group ON group_grants (group_id);
CREATE INDEX group_grants_establishment ON group_grants (establishment_id);
CREATE INDEX grants_establishment ON grants (establishment_id);
