-- Placeholder on the break-glass branch only: the lead replaces it with
-- the real migration 0008 at merge.
SELECT 1;
