-- WebDAV locks (RFC 4918 §6, issue 7) in the store, so that every node
-- behind a load balancer sees the locks another node granted (design §5:
-- stateless nodes). lock_key is the canonical root (the space and the path
-- inside it), lock_space its first segment: conflicts are decided within a
-- lock space, read by one indexed query. expires_at is always set (an
-- infinite timeout is kept for files.MaxLockAge). The 'dav_locks' counter
-- row serialises lock creations, so that two nodes cannot both win.
CREATE TABLE dav_locks (
    token       TEXT PRIMARY KEY,
    lock_space  TEXT NOT NULL,
    lock_key    TEXT NOT NULL,
    root        TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    zero_depth  INTEGER NOT NULL,
    shared      INTEGER NOT NULL,
    owner_xml   TEXT NOT NULL DEFAULT '',
    duration    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX dav_locks_space ON dav_locks (lock_space, expires_at);
CREATE INDEX dav_locks_expiry ON dav_locks (expires_at);
INSERT INTO counters (name, value) VALUES ('dav_locks', 0);
