-- WebAuthn ceremonies in progress (INF-AUT-2): the challenge and options a
-- browser was given when a person began adding or using a key, kept until
-- the finish, at most five minutes, and handed out once. They live in the
-- store rather than in memory so that begin and finish may reach different
-- nodes, and a restart loses nothing; they go with their session.
CREATE TABLE webauthn_ceremonies (
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (session_id, kind)
);
CREATE INDEX webauthn_ceremonies_expires ON webauthn_ceremonies (expires_at);
