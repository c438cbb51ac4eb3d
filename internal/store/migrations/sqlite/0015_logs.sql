-- Log retention per establishment and class (MCO-JAL-2, MCO-JAL-4). A row
-- overrides the class default of logs.Rules, within its legal bounds; the
-- establishment '' is the deployment-level stream. Changes are journaled.
-- The segments themselves live in the blob store (signed manifests), not
-- here.
CREATE TABLE logs_retention (
	establishment_id TEXT NOT NULL,
	class            TEXT NOT NULL,
	days             INTEGER NOT NULL,
	updated_at       BIGINT NOT NULL,
	updated_by       TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (establishment_id, class)
);
