-- POSIX identities for the LDAP directory (posixAccount, posixGroup):
-- numbers allocated once and never reused, so that files on shares and
-- workstations keep their owners.
ALTER TABLE people ADD COLUMN uid_number BIGINT;
ALTER TABLE school_groups ADD COLUMN gid_number BIGINT;
CREATE UNIQUE INDEX people_uid_number ON people (uid_number);
CREATE UNIQUE INDEX school_groups_gid_number ON school_groups (gid_number);

-- Named counters; a counter row is updated with RETURNING, which serialises
-- allocations (row lock on PostgreSQL, the single writer on SQLite).
CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  BIGINT NOT NULL
);
-- 'directory' counts changes to what the LDAP view shows, so that nodes
-- rebuild their view only when the directory changed (not at every login).
INSERT INTO counters (name, value) VALUES ('uid_number', 10000), ('gid_number', 20000), ('directory', 0);

UPDATE people SET uid_number = 10000 + (SELECT COUNT(*) FROM people p2 WHERE p2.created_at < people.created_at
    OR (p2.created_at = people.created_at AND p2.id < people.id)) + 1;
UPDATE counters SET value = 10000 + (SELECT COUNT(*) FROM people) WHERE name = 'uid_number';
UPDATE school_groups SET gid_number = 20000 + (SELECT COUNT(*) FROM school_groups g2 WHERE g2.created_at < school_groups.created_at
    OR (g2.created_at = school_groups.created_at AND g2.id < school_groups.id)) + 1;
UPDATE counters SET value = 20000 + (SELECT COUNT(*) FROM school_groups) WHERE name = 'gid_number';
