-- Saved log queries, scheduled reports and the scheduled archive
-- (MCO-JAL-5, MCO-JAL-3). A saved query is a named search with its declared
-- purpose and audience (JSON: profiles and logins), in one establishment
-- ('' every establishment the runner may read, 'deployment' the
-- deployment stream); a query that may identify people carries its
-- justification or asks for one at each run. schedule is '', daily, weekly
-- or monthly; next_run is when its next report is due (UTC µs, 0 none);
-- recording a run moves next_run only from the due time it was made for
-- (two nodes never record one period twice). A report's CSV is an object of
-- the blob store (blob_key), its counts are here (summary, JSON). Every
-- change is journaled in its transaction.
CREATE TABLE logs_queries (
	id               TEXT PRIMARY KEY,
	establishment_id TEXT NOT NULL,
	name             TEXT NOT NULL,
	purpose          TEXT NOT NULL,
	criteria         TEXT NOT NULL,
	audience         TEXT NOT NULL,
	justification    TEXT NOT NULL DEFAULT '',
	schedule         TEXT NOT NULL DEFAULT '',
	keep_days        INTEGER NOT NULL DEFAULT 90,
	next_run         BIGINT NOT NULL DEFAULT 0,
	not_before       BIGINT NOT NULL DEFAULT 0,
	last_run         BIGINT NOT NULL DEFAULT 0,
	last_result      TEXT NOT NULL DEFAULT '',
	last_detail      TEXT NOT NULL DEFAULT '',
	created_by       TEXT NOT NULL DEFAULT '',
	created_at       BIGINT NOT NULL,
	updated_at       BIGINT NOT NULL,
	UNIQUE (establishment_id, name)
);

CREATE TABLE logs_reports (
	id               TEXT PRIMARY KEY,
	query_id         TEXT NOT NULL,
	query_name       TEXT NOT NULL,
	establishment_id TEXT NOT NULL,
	period_start     BIGINT NOT NULL,
	period_end       BIGINT NOT NULL,
	created_at       BIGINT NOT NULL,
	expires_at       BIGINT NOT NULL,
	blob_key         TEXT NOT NULL,
	bytes            BIGINT NOT NULL,
	summary          TEXT NOT NULL
);
CREATE INDEX logs_reports_query ON logs_reports (query_id, created_at);
CREATE INDEX logs_reports_expires ON logs_reports (expires_at);

-- The deployment's scheduled archive: one row (id 'archive').
CREATE TABLE logs_archive_schedule (
	id          TEXT PRIMARY KEY,
	cadence     TEXT NOT NULL,
	target      TEXT NOT NULL,
	recipients  TEXT NOT NULL DEFAULT '[]',
	next_run    BIGINT NOT NULL DEFAULT 0,
	not_before  BIGINT NOT NULL DEFAULT 0,
	last_run    BIGINT NOT NULL DEFAULT 0,
	last_result TEXT NOT NULL DEFAULT '',
	last_detail TEXT NOT NULL DEFAULT '',
	updated_by  TEXT NOT NULL DEFAULT '',
	updated_at  BIGINT NOT NULL
);
