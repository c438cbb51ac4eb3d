-- File storage (CARINE UTI-ESF): spaces, a tree of nodes per space whose
-- content lives in the blob store, previous versions, ACLs and shares,
-- homework assignments. Sizes count toward the space's quota: used_bytes
-- is the sum of the sizes of its live files, its trashed files and their
-- kept versions, updated in the transaction that changes any of them.
CREATE TABLE file_spaces (
    id                TEXT PRIMARY KEY,
    establishment_id  TEXT NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,            -- personal, group, establishment
    owner_id          TEXT NOT NULL,            -- person, group or establishment ID
    name              TEXT NOT NULL,
    quota_bytes       BIGINT,                   -- an individual override; NULL: the default for the profile or kind
    used_bytes        BIGINT NOT NULL DEFAULT 0,
    warned_level      INTEGER NOT NULL DEFAULT 0, -- last quota warning sent: 0, 80 or 95 (percent)
    created_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX file_spaces_owner ON file_spaces (kind, owner_id);

-- One row per folder or file. parent_id is '' at the root of the space. A
-- trashed node keeps its place; its subtree goes with it.
CREATE TABLE file_nodes (
    id          TEXT PRIMARY KEY,
    space_id    TEXT NOT NULL REFERENCES file_spaces (id) ON DELETE CASCADE,
    parent_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    dir         INTEGER NOT NULL,
    size        BIGINT NOT NULL DEFAULT 0,
    sha256      TEXT NOT NULL DEFAULT '',
    blob_key    TEXT NOT NULL DEFAULT '',
    mtime       BIGINT NOT NULL,
    etag        TEXT NOT NULL,
    created_by  TEXT NOT NULL DEFAULT '',
    trashed_at  BIGINT,
    trashed_by  TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX file_nodes_name ON file_nodes (space_id, parent_id, name) WHERE trashed_at IS NULL;
CREATE INDEX file_nodes_parent ON file_nodes (parent_id);
CREATE INDEX file_nodes_blob ON file_nodes (blob_key);
CREATE INDEX file_nodes_trash ON file_nodes (space_id, trashed_at);

-- Previous contents of a file, newest first by created_at.
CREATE TABLE file_versions (
    id          TEXT PRIMARY KEY,
    node_id     TEXT NOT NULL REFERENCES file_nodes (id) ON DELETE CASCADE,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    blob_key    TEXT NOT NULL,
    mtime       BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX file_versions_node ON file_versions (node_id, created_at);
CREATE INDEX file_versions_blob ON file_versions (blob_key);

-- Access given on a folder (and its subtree) to a person or a group.
CREATE TABLE file_acls (
    node_id       TEXT NOT NULL REFERENCES file_nodes (id) ON DELETE CASCADE,
    grantee_kind  TEXT NOT NULL,              -- person, group
    grantee_id    TEXT NOT NULL,
    level         TEXT NOT NULL,              -- read, write, manage
    granted_by    TEXT NOT NULL,
    granted_at    BIGINT NOT NULL,
    PRIMARY KEY (node_id, grantee_kind, grantee_id)
);
CREATE INDEX file_acls_grantee ON file_acls (grantee_id);

-- Homework: a teacher distributes a folder to a group, pupils hand in, the
-- teacher collects and returns.
CREATE TABLE file_assignments (
    id                TEXT PRIMARY KEY,
    establishment_id  TEXT NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    teacher_id        TEXT NOT NULL,
    group_id          TEXT NOT NULL,
    title             TEXT NOT NULL,
    folder            TEXT NOT NULL,
    deadline          BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    collected_at      BIGINT
);
CREATE INDEX file_assignments_teacher ON file_assignments (teacher_id);

CREATE TABLE file_assignment_pupils (
    assignment_id  TEXT NOT NULL REFERENCES file_assignments (id) ON DELETE CASCADE,
    person_id      TEXT NOT NULL,
    folder_id      TEXT NOT NULL,             -- the pupil's copy of the assignment folder
    status         TEXT NOT NULL DEFAULT '',  -- after collection: on_time, late, missing
    handed_in_at   BIGINT,
    PRIMARY KEY (assignment_id, person_id)
);

-- WebDAV dead properties (PROPPATCH) of a node, as a JSON list.
CREATE TABLE file_props (
    node_id  TEXT PRIMARY KEY REFERENCES file_nodes (id) ON DELETE CASCADE,
    body     TEXT NOT NULL
);
