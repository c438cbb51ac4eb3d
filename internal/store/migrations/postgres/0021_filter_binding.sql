-- Addresses bound to a person by a portal login (issue 6, CARINE INF-AUT-1):
-- the filtering proxy and DNS filter apply that person's policy to requests
-- that carry no credentials from the address, while the portal session
-- lives (its row in sessions, not past its absolute or idle timeout). The
-- newest login from an address wins; logout and expiry end the binding
-- (journaled filter.bind / filter.unbind).
CREATE TABLE filter_bindings (
    address       TEXT PRIMARY KEY,
    person_id     TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    establishment TEXT NOT NULL DEFAULT '',
    session_id    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX filter_bindings_session ON filter_bindings (session_id);
