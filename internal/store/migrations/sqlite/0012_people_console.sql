-- The console's people list (issue 5) pages over thousands of people of an
-- establishment in name, login or creation order. These indexes give each
-- order an index to walk, carrying the id so that the establishment check
-- needs no table read; the first one replaces the family-name index.
DROP INDEX people_family_name;
CREATE INDEX people_name_order ON people (family_name, given_name, login, id);
CREATE INDEX people_created_order ON people (created_at DESC, login, id);
