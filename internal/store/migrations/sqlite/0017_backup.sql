-- Reserved for the backup service; its issue fills this migration in.
SELECT 1;
