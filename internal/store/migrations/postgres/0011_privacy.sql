-- Who is responsible for the personal data of each establishment (CARINE
-- INF-ANN-n1): the data controller (head of a secondary establishment, DASEN
-- for a primary school), the académie's data protection officer, and the
-- delegates the controller named, with their scope and dates.
CREATE TABLE privacy_controllers (
    establishment_id  TEXT PRIMARY KEY REFERENCES establishments (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    role              TEXT NOT NULL,
    contact           TEXT NOT NULL,
    dpo_name          TEXT NOT NULL DEFAULT '',
    dpo_contact       TEXT NOT NULL DEFAULT '',
    updated_by        TEXT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE TABLE privacy_delegates (
    id                TEXT PRIMARY KEY,
    establishment_id  TEXT NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    scope             TEXT NOT NULL,
    contact           TEXT NOT NULL DEFAULT '',
    valid_from        BIGINT NOT NULL,
    valid_until       BIGINT,
    created_by        TEXT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX privacy_delegates_est ON privacy_delegates (establishment_id);

-- "My data" lists the journal entries a person acted in, as well as those
-- about them (journal_target already serves those).
CREATE INDEX journal_actor ON journal (actor_id);

-- The dashboard counts people by profile, state and pending password
-- change (store.PeopleStats) from this index alone (id: to probe the
-- attachments of each person without reading the table).
CREATE INDEX people_stats ON people (profile, state, must_change, service, id);
