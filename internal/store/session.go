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
	"github.com/preau/preau/internal/directory"
)

const sessionPersonQuery = `SELECT s.id, s.person_id, s.created_at, s.last_seen, s.expires_at, s.source,
	s.user_agent, s.auth_level, s.methods, s.auth_time, ` + personColumns + `
	FROM sessions s JOIN people p ON p.id = s.person_id WHERE s.id = $1`

const sessionEstablishmentsQuery = `SELECT establishment_id FROM person_establishments WHERE person_id = $1
	ORDER BY position`

// FindSessionPerson returns a session and its person (with establishments,
// without external IDs) in two queries: every page hit with a session
// cookie asks this, so it is the hot path of the web.
func (db *DB) FindSessionPerson(ctx context.Context, id string) (*auth.Session, *directory.Person, error) {
	const op = "store.FindSessionPerson"
	var s auth.Session
	var c, l, x, at int64
	var methods string
	var p directory.Person
	var profile, state string
	var del, uid sql.NullInt64
	var created, updated int64
	err := db.readRow(ctx, sessionPersonQuery, id).Scan(
		&s.ID, &s.PersonID, &c, &l, &x, &s.Source, &s.UserAgent, &s.AuthLevel, &methods, &at,
		&p.ID, &p.Login, &p.GivenName, &p.FamilyName, &p.DisplayName, &profile, &state,
		&p.Mail, &p.Service, &p.MustChangePassword, &del, &created, &updated, &uid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, core.E(op, core.NotFound, "no such session")
	}
	if err != nil {
		return nil, nil, db.classify(op, err)
	}
	s.CreatedAt, s.LastSeen, s.ExpiresAt, s.AuthTime = fromMicros(c), fromMicros(l), fromMicros(x), fromMicros(at)
	s.Methods = strings.Fields(methods)
	p.Profile, p.State, p.DeleteAfter, p.UIDNumber = core.Profile(profile), directory.State(state), fromNullMicros(del), uid.Int64
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	rows, err := db.readRows(ctx, sessionEstablishmentsQuery, p.ID)
	if err != nil {
		return nil, nil, db.classify(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var est string
		if err := rows.Scan(&est); err != nil {
			return nil, nil, db.classify(op, err)
		}
		p.Establishments = append(p.Establishments, est)
	}
	return &s, &p, db.classify(op, rows.Err())
}

// PurgeAuthState deletes what authentication leaves behind: sessions past
// their absolute end, the refresh tokens and application logins of
// sessions that no longer exist, expired tickets and passkey ceremonies.
// Not journaled: nothing a person did, only time passing. It returns the
// number of sessions deleted.
func (db *DB) PurgeAuthState(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := db.write(ctx, "store.PurgeAuthState", func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM sessions WHERE expires_at < $1`, micros(now))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		for _, q := range []string{
			`DELETE FROM oidc_refresh_tokens WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = oidc_refresh_tokens.session_id)`,
			`DELETE FROM sso_logins WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = sso_logins.session_id) AND created_at < $1`,
			`DELETE FROM sso_tickets WHERE expires_at < $1`,
			`DELETE FROM webauthn_ceremonies WHERE expires_at < $1`,
		} {
			args := []any{}
			if strings.Contains(q, "$1") {
				args = append(args, micros(now.Add(-time.Hour)))
			}
			if _, err := tx.exec(q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
