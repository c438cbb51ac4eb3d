-- Break-glass (design §3; CARINE UTI-ESF-8, MCO-SVG-11, MCO-JAL-6,
-- MCO-SEI-7): the only road for an admin to a person's private content.
-- People are recorded by ID and by their login and name at the time, with
-- no foreign key, so that the record outlives a deleted account: it is an
-- audit record, like the journal that also holds every step and use.
CREATE TABLE breakglass_requests (
    id                TEXT PRIMARY KEY,
    establishment_id  TEXT NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    requester_id      TEXT NOT NULL,
    requester_login   TEXT NOT NULL,
    requester_name    TEXT NOT NULL,
    target_id         TEXT NOT NULL,
    target_login      TEXT NOT NULL,
    target_name       TEXT NOT NULL,
    scope             TEXT NOT NULL,
    object            TEXT NOT NULL DEFAULT '',
    basis             TEXT NOT NULL,
    reference         TEXT NOT NULL,
    reason            TEXT NOT NULL,
    duration_s        BIGINT NOT NULL,
    state             TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    approver_id       TEXT NOT NULL DEFAULT '',
    approver_login    TEXT NOT NULL DEFAULT '',
    approver_name     TEXT NOT NULL DEFAULT '',
    decided_at        BIGINT,
    comment           TEXT NOT NULL DEFAULT '',
    valid_from        BIGINT,
    valid_until       BIGINT,
    ended_at          BIGINT,
    ended_by_id       TEXT NOT NULL DEFAULT '',
    ended_by_login    TEXT NOT NULL DEFAULT '',
    ended_by_name     TEXT NOT NULL DEFAULT '',
    end_comment       TEXT NOT NULL DEFAULT '',
    uses              INTEGER NOT NULL DEFAULT 0,
    last_used_at      BIGINT
);
CREATE INDEX breakglass_requests_est ON breakglass_requests (establishment_id, created_at);
CREATE INDEX breakglass_requests_target ON breakglass_requests (target_id);
CREATE INDEX breakglass_requests_requester ON breakglass_requests (requester_id, target_id);
CREATE INDEX breakglass_requests_state ON breakglass_requests (state);
-- One open request (waiting or approved) per requester, person and scope,
-- even when two nodes take the same request at once.
CREATE UNIQUE INDEX breakglass_requests_open ON breakglass_requests (requester_id, target_id, scope)
    WHERE state IN ('requested', 'approved');

-- The timeline of each request: transitions and uses, in order.
CREATE TABLE breakglass_events (
    id           BIGSERIAL PRIMARY KEY,
    request_id   TEXT NOT NULL REFERENCES breakglass_requests (id) ON DELETE CASCADE,
    at           BIGINT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_login  TEXT NOT NULL,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    detail       TEXT NOT NULL
);
CREATE INDEX breakglass_events_request ON breakglass_events (request_id);
