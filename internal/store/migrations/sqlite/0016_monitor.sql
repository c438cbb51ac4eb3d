-- Reserved for the monitor service; its issue fills this migration in.
SELECT 1;
