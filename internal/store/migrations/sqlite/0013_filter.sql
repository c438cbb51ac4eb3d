-- Reserved for the filter service; its issue fills this migration in.
SELECT 1;
