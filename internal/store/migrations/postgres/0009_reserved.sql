-- Placeholder on the break-glass branch only: the lead replaces it with
-- the real migration 0009 at merge.
SELECT 1;
