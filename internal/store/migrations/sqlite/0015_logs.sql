-- Reserved for the logs service; its issue fills this migration in.
SELECT 1;
