-- Reserved on branch i5-portal for the migrations of other branches of issue 5;
-- the lead drops this file at merge.
SELECT 1;
