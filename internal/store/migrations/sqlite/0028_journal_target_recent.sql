-- A target's newest entries first (see the PostgreSQL migration of the same
-- number). SQLite's journal_target index already ends with the row id, which
-- is journal.id, so it reads newest first as it is: nothing to change.
SELECT 1;
