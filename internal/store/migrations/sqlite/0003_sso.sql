-- Sessions remember how and when the person last proved who they are, so
-- that single sign-on passes the method on (OIDC amr/acr, CAS
-- authenticationMethod) and max_age, prompt=login and renew can ask for a
-- fresh proof. methods is a space-separated list of RFC 8176 values.
ALTER TABLE sessions ADD COLUMN methods TEXT NOT NULL DEFAULT 'pwd';
ALTER TABLE sessions ADD COLUMN auth_time BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET auth_time = created_at;

-- Signing keys of the OpenID provider. A key signs from created_at until
-- retires_at, and stays published in the JWKS until expires_at so that
-- tokens it signed still verify.
CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    alg          TEXT NOT NULL,
    private_pem  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    retires_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

-- Applications that sign users in through Préau: OpenID Connect clients
-- and CAS services. uris holds exact redirect URIs (OIDC) or service URL
-- patterns (CAS), one per line. secret_hash is the SHA-256 of a
-- confidential client's secret, '' for a public client (PKCE required).
CREATE TABLE sso_clients (
    id                TEXT PRIMARY KEY,
    protocol          TEXT NOT NULL CHECK (protocol IN ('oidc', 'cas')),
    name              TEXT NOT NULL,
    secret_hash       TEXT NOT NULL DEFAULT '',
    uris              TEXT NOT NULL DEFAULT '',
    logout_uris       TEXT NOT NULL DEFAULT '',
    attributes        TEXT NOT NULL DEFAULT '',
    min_level         INTEGER NOT NULL DEFAULT 1,
    single_logout     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        BIGINT NOT NULL,
    disabled_at       BIGINT
);

-- Single-use, short-lived grants: OIDC authorization codes and CAS service
-- tickets. id is the SHA-256 of the clear code or ticket; data is JSON
-- (nonce, PKCE challenge, scope, methods, auth_time, new login).
CREATE TABLE sso_tickets (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    client_id   TEXT NOT NULL REFERENCES sso_clients (id) ON DELETE CASCADE,
    person_id   TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    service     TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '',
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sso_tickets_expires ON sso_tickets (expires_at);

-- OIDC refresh tokens, rotated at each use. A token presented twice
-- revokes its whole family (RFC 9700 §4.14.2). They live as long as the
-- session that issued them.
CREATE TABLE oidc_refresh_tokens (
    id          TEXT PRIMARY KEY,
    family      TEXT NOT NULL,
    client_id   TEXT NOT NULL REFERENCES sso_clients (id) ON DELETE CASCADE,
    person_id   TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX oidc_refresh_tokens_family ON oidc_refresh_tokens (family);
CREATE INDEX oidc_refresh_tokens_session ON oidc_refresh_tokens (session_id);

-- Which applications a session signed in to, for single logout: the CAS
-- ticket that opened the application's session (its SessionIndex) or the
-- OIDC sid.
CREATE TABLE sso_logins (
    session_id  TEXT NOT NULL,
    client_id   TEXT NOT NULL REFERENCES sso_clients (id) ON DELETE CASCADE,
    service     TEXT NOT NULL,
    ticket      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX sso_logins_session ON sso_logins (session_id);
