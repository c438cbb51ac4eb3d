-- Internet use per establishment and day (UTC), counted from the filtering
-- proxy's and DNS's decisions, for the supervision dashboards (issue 9,
-- MCO-SEI-5): aggregates only, never a person.
CREATE TABLE filter_daily (
    establishment TEXT NOT NULL,
    day           TEXT NOT NULL,
    allowed       BIGINT NOT NULL DEFAULT 0,
    blocked       BIGINT NOT NULL DEFAULT 0,
    bytes         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (establishment, day)
);
