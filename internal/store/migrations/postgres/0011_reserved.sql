-- Reserved: this number belongs to another branch of issue 5; the lead replaces
-- this placeholder with that branch's migration when merging.
SELECT 1;
