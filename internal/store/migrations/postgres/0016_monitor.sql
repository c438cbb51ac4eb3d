-- Supervision and helpdesk (CARINE MCO-SEI): declared checks and their
-- state, a compact hourly history of results, incidents with their
-- timeline, users' requests with theirs, and the lease that keeps the
-- check engine on one node. People are recorded by ID and by their login
-- and name at the time, with no foreign key, so that the record outlives a
-- deleted account. establishment_id is '' for the deployment's own
-- self-checks (no foreign key for that reason).
CREATE TABLE monitor_targets (
    id               TEXT PRIMARY KEY,
    establishment_id TEXT NOT NULL DEFAULT '',
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    address          TEXT NOT NULL,
    service          TEXT NOT NULL DEFAULT '',
    interval_s       BIGINT NOT NULL,
    timeout_s        BIGINT NOT NULL,
    retries          INTEGER NOT NULL,
    expect_status    INTEGER NOT NULL DEFAULT 0,
    expect_body      TEXT NOT NULL DEFAULT '',
    cert_days        INTEGER NOT NULL DEFAULT 0,
    restore_s        BIGINT NOT NULL DEFAULT 0,
    enabled          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       BIGINT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'unknown',
    state_since      BIGINT NOT NULL DEFAULT 0,
    flapping         BOOLEAN NOT NULL DEFAULT FALSE,
    last_check       BIGINT NOT NULL DEFAULT 0,
    last_latency_us  BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    -- Checks and failures of the dashboards' window (30 days): added to at
    -- each flush, recomputed from the samples daily, so that a dashboard
    -- reads one row per target rather than its history.
    window_checks    BIGINT NOT NULL DEFAULT 0,
    window_failures  BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX monitor_targets_name ON monitor_targets (establishment_id, name);

-- One row per target and hour: the history kept is a few dozen bytes per
-- check-hour, whatever the interval (MCO-SEI-1: watch what monitoring
-- itself consumes).
CREATE TABLE monitor_samples (
    target_id      TEXT NOT NULL REFERENCES monitor_targets (id) ON DELETE CASCADE,
    hour           BIGINT NOT NULL,
    checks         BIGINT NOT NULL,
    failures       BIGINT NOT NULL,
    latency_sum_us BIGINT NOT NULL,
    latency_max_us BIGINT NOT NULL,
    PRIMARY KEY (target_id, hour)
);
CREATE INDEX monitor_samples_hour ON monitor_samples (hour);

CREATE TABLE monitor_incidents (
    id               TEXT PRIMARY KEY,
    establishment_id TEXT NOT NULL DEFAULT '',
    target_id        TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL,
    service          TEXT NOT NULL DEFAULT '',
    state            TEXT NOT NULL,
    auto             BOOLEAN NOT NULL,
    opened_at        BIGINT NOT NULL,
    acknowledged_at  BIGINT,
    resolved_at      BIGINT,
    restore_s        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX monitor_incidents_open ON monitor_incidents (state, establishment_id);
CREATE INDEX monitor_incidents_target ON monitor_incidents (target_id, state);
CREATE INDEX monitor_incidents_opened ON monitor_incidents (opened_at);

CREATE TABLE monitor_incident_events (
    incident_id TEXT NOT NULL REFERENCES monitor_incidents (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    actor_login TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, seq)
);

CREATE TABLE monitor_requests (
    id               TEXT PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    requester_id     TEXT NOT NULL,
    requester_login  TEXT NOT NULL,
    requester_name   TEXT NOT NULL,
    category         TEXT NOT NULL,
    device           TEXT NOT NULL DEFAULT '',
    subject          TEXT NOT NULL,
    description      TEXT NOT NULL,
    state            TEXT NOT NULL,
    assignee_id      TEXT NOT NULL DEFAULT '',
    assignee_login   TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    resolved_at      BIGINT,
    attachment_name  TEXT NOT NULL DEFAULT '',
    attachment_type  TEXT NOT NULL DEFAULT '',
    attachment       BYTEA
);
CREATE INDEX monitor_requests_est ON monitor_requests (establishment_id, state, created_at);
CREATE INDEX monitor_requests_requester ON monitor_requests (requester_id, created_at);

CREATE TABLE monitor_request_events (
    request_id  TEXT NOT NULL REFERENCES monitor_requests (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    actor_id    TEXT NOT NULL DEFAULT '',
    actor_login TEXT NOT NULL DEFAULT '',
    actor_name  TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (request_id, seq)
);

-- Who runs the check engine: the node holding an unexpired lease.
CREATE TABLE monitor_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
