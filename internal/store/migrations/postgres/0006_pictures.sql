-- Picture login for young pupils (INF-AUT-1, 1st degree). A class with
-- picture login has a short code for its sign-in board (6 characters
-- without ambiguous ones), a grid of 9 or 12 pictures and sequences of 3
-- or 4. Turning it off deletes the row and the secrets of the class.
CREATE TABLE picture_classes (
    group_id         TEXT PRIMARY KEY REFERENCES school_groups (id) ON DELETE CASCADE,
    code             TEXT NOT NULL UNIQUE,
    grid_size        INTEGER NOT NULL CHECK (grid_size IN (9, 12)),
    sequence_length  INTEGER NOT NULL CHECK (sequence_length IN (3, 4)),
    enabled_by       TEXT NOT NULL DEFAULT '',
    enabled_at       BIGINT NOT NULL
);

-- A pupil's picture credential: the avatar they pick on the board
-- (distinct within the class) and the argon2id PHC string of their
-- sequence. The sequence itself is never stored (INF-AUT-10).
CREATE TABLE picture_secrets (
    person_id   TEXT PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    avatar      TEXT NOT NULL,
    hash        TEXT NOT NULL,
    changed_at  BIGINT NOT NULL
);
