-- Reserved for the files service; its issue fills this migration in.
SELECT 1;
