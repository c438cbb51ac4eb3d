// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// type check
var _ auth.Store = (*DB)(nil)

// PasswordHash returns the stored argon2id hash of a person.
func (db *DB) PasswordHash(ctx context.Context, personID string) (string, error) {
	var h string
	err := db.r.QueryRowContext(ctx, `SELECT hash FROM credentials WHERE person_id = $1`, personID).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", core.E("store.PasswordHash", core.NotFound, "no password set")
	}
	return h, db.classify("store.PasswordHash", err)
}

// SetPasswordHash replaces a person's hash, sets the must-change flag and
// journals e, in one transaction. A password change ends no session here;
// a reset by an admin ends all sessions of the person. The replaced hash
// goes to the password history (unless e is a rehash of the same password).
func (db *DB) SetPasswordHash(ctx context.Context, personID, hash string, mustChange bool, e journal.Entry) error {
	return db.write(ctx, "store.SetPasswordHash", func(tx *Tx) error {
		if e.Action != "auth.password.rehash" {
			if err := tx.keepPasswordHistory(personID); err != nil {
				return err
			}
		}
		if err := tx.setPasswordHash(personID, hash); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE people SET must_change = $1, updated_at = $2 WHERE id = $3`,
			mustChange, micros(tx.now), personID); err != nil {
			return err
		}
		if e.Action == "auth.password.reset" {
			if _, err := tx.exec(`DELETE FROM sessions WHERE person_id = $1`, personID); err != nil {
				return err
			}
		}
		if e.Action != "auth.password.rehash" {
			// Caches of verified passwords (the proxy's) watch this counter.
			if _, err := tx.exec(`INSERT INTO counters (name, value) VALUES ('credentials', 1)
				ON CONFLICT (name) DO UPDATE SET value = counters.value + 1`); err != nil {
				return err
			}
		}
		return tx.journal(e)
	})
}

// CredentialsVersion returns a number that grows with every password change
// or reset (not a transparent rehash): a node drops the passwords it
// verified and cached when it moves. Changes of account state move
// DirectoryVersion instead.
func (db *DB) CredentialsVersion(ctx context.Context) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(value), 0) FROM counters WHERE name = 'credentials'`).Scan(&n)
	return n, db.classify("store.CredentialsVersion", err)
}

// CreateSession stores a session and journals the login.
func (db *DB) CreateSession(ctx context.Context, s *auth.Session, e journal.Entry) error {
	return db.write(ctx, "store.CreateSession", func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO sessions (id, person_id, created_at, last_seen, expires_at, source, user_agent,
			auth_level, methods, auth_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, s.ID, s.PersonID,
			micros(s.CreatedAt), micros(s.LastSeen), micros(s.ExpiresAt), s.Source, s.UserAgent, s.AuthLevel,
			strings.Join(s.Methods, " "), micros(s.AuthTime)); err != nil {
			return err
		}
		// Dead sessions are deleted by the hourly PurgeAuthState, not here:
		// a login at 8:00 must cost as little as it can.
		return tx.journal(e)
	})
}

const sessionColumns = `id, person_id, created_at, last_seen, expires_at, source, user_agent, auth_level, methods, auth_time`

func scanSession(sc interface{ Scan(...any) error }) (*auth.Session, error) {
	var s auth.Session
	var c, l, x, at int64
	var methods string
	if err := sc.Scan(&s.ID, &s.PersonID, &c, &l, &x, &s.Source, &s.UserAgent, &s.AuthLevel, &methods, &at); err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastSeen, s.ExpiresAt, s.AuthTime = fromMicros(c), fromMicros(l), fromMicros(x), fromMicros(at)
	s.Methods = strings.Fields(methods)
	return &s, nil
}

// FindSession returns a session by ID (the SHA-256 of its cookie).
func (db *DB) FindSession(ctx context.Context, id string) (*auth.Session, error) {
	s, err := scanSession(db.r.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E("store.FindSession", core.NotFound, "no such session")
	}
	return s, db.classify("store.FindSession", err)
}

// TouchSession records activity on a session (not journaled: not a change
// of anything CARINE asks to trace).
func (db *DB) TouchSession(ctx context.Context, id string, at time.Time) error {
	return db.write(ctx, "store.TouchSession", func(tx *Tx) error {
		_, err := tx.exec(`UPDATE sessions SET last_seen = $1 WHERE id = $2`, micros(at), id)
		return err
	})
}

// DeleteSession ends a session and journals e.
func (db *DB) DeleteSession(ctx context.Context, id string, e journal.Entry) error {
	return db.write(ctx, "store.DeleteSession", func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM sessions WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return tx.journal(e)
	})
}

// FindSessions lists the live sessions of a person, newest first.
func (db *DB) FindSessions(ctx context.Context, personID string) ([]*auth.Session, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE person_id = $1 AND expires_at > $2
		ORDER BY last_seen DESC`, personID, micros(db.clock.Now()))
	if err != nil {
		return nil, db.classify("store.FindSessions", err)
	}
	defer rows.Close()
	var out []*auth.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// CreateToken stores an API token (its hash) and journals e.
func (db *DB) CreateToken(ctx context.Context, t *auth.Token, e journal.Entry) error {
	return db.write(ctx, "store.CreateToken", func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO api_tokens (id, person_id, name, hash, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, t.ID, t.PersonID, t.Name, t.Hash, micros(t.CreatedAt), nullMicros(t.ExpiresAt)); err != nil {
			return err
		}
		return tx.journal(e)
	})
}

// FindToken returns a token by the hash of its clear value.
func (db *DB) FindToken(ctx context.Context, hash string) (*auth.Token, error) {
	var t auth.Token
	var c int64
	var x, r sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT id, person_id, name, hash, created_at, expires_at, revoked_at
		FROM api_tokens WHERE hash = $1`, hash).Scan(&t.ID, &t.PersonID, &t.Name, &t.Hash, &c, &x, &r)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E("store.FindToken", core.NotFound, "no such token")
	}
	if err != nil {
		return nil, db.classify("store.FindToken", err)
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = fromMicros(c), fromNullMicros(x), fromNullMicros(r)
	return &t, nil
}
