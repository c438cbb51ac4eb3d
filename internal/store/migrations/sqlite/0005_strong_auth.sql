-- Second factors (INF-AUT-2). A TOTP secret must stay readable by the
-- server to check codes (RFC 6238): it is a shared device key, not a
-- password. last_step is the last time step accepted, so that a code is
-- used once. Recovery codes are single-use and kept as SHA-256 hashes.
CREATE TABLE totp_secrets (
    person_id   TEXT PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    secret      TEXT NOT NULL,
    confirmed   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL,
    last_step   BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE recovery_codes (
    person_id  TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    hash       TEXT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (person_id, hash)
);

-- WebAuthn passkeys and security keys: only public keys are kept (a
-- biometric never leaves the person's device, INF-AUT-12).
CREATE TABLE webauthn_credentials (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    last_used   BIGINT
);
CREATE INDEX webauthn_credentials_person ON webauthn_credentials (person_id);
