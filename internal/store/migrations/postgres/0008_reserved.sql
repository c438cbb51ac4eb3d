-- Placeholder: version 8 belongs to another branch of issue 5. This file
-- exists only on the charter branch so that the migration numbers stay
-- contiguous; it is dropped when the branches are merged.
SELECT 1;
