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

// FindSessionPerson returns a session and, in the same query, what its
// person's principal needs (see auth.LoginRecord; the hash is not read).
// core.NotFound when the session is unknown.
func (db *DB) FindSessionPerson(ctx context.Context, id string) (*auth.Session, auth.LoginRecord, error) {
	const op = "store.FindSessionPerson"
	var s auth.Session
	var rec auth.LoginRecord
	var c, l, x, at int64
	var methods string
	var p directory.Person
	var profile, state string
	var del, uid, changed sql.NullInt64
	var created, updated int64
	var ests, grants string
	err := db.readRow(ctx, db.d.sessionPerson, id, micros(db.clock.Now())).Scan(
		&s.ID, &s.PersonID, &c, &l, &x, &s.Source, &s.UserAgent, &s.AuthLevel, &methods, &at,
		&p.ID, &p.Login, &p.GivenName, &p.FamilyName, &p.DisplayName, &profile, &state,
		&p.Mail, &p.Service, &p.MustChangePassword, &del, &created, &updated, &uid, &ests, &grants,
		&changed, &rec.Policies)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, rec, core.E(op, core.NotFound, "no such session")
	}
	if err != nil {
		return nil, rec, db.classify(op, err)
	}
	s.CreatedAt, s.LastSeen, s.ExpiresAt, s.AuthTime = fromMicros(c), fromMicros(l), fromMicros(x), fromMicros(at)
	s.Methods = strings.Fields(methods)
	p.Profile, p.State, p.DeleteAfter, p.UIDNumber = core.Profile(profile), directory.State(state), fromNullMicros(del), uid.Int64
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	p.Establishments, rec.Grants = splitAggregates(ests, grants)
	rec.Person, rec.PasswordChangedAt = &p, fromNullMicros(changed)
	return &s, rec, nil
}

// splitAggregates reads the comma-joined establishments and grants of
// personAggregates.
func splitAggregates(ests, grants string) ([]string, []core.Grant) {
	var es []string
	if ests != "" {
		es = strings.Split(ests, ",")
	}
	var gs []core.Grant
	for _, g := range strings.Split(grants, ",") {
		if f := strings.SplitN(g, " ", 3); len(f) == 3 {
			gs = append(gs, core.Grant{Right: core.Right(f[0]), Establishment: f[1], Zone: f[2]})
		}
	}
	return es, gs
}

// FindLoginPerson returns, in one query, what a login needs: the person by
// login (establishments filled, external IDs not), their password hash
// ("" if none) and its date, the grants in force and the password-policies
// setting. core.NotFound for an unknown login.
func (db *DB) FindLoginPerson(ctx context.Context, login string) (auth.LoginRecord, error) {
	const op = "store.FindLoginPerson"
	var p directory.Person
	var rec auth.LoginRecord
	var profile, state, ests, grants string
	var del, uid, changed sql.NullInt64
	var created, updated int64
	err := db.readRow(ctx, db.d.loginPerson, strings.ToLower(strings.TrimSpace(login)), micros(db.clock.Now())).Scan(
		&p.ID, &p.Login, &p.GivenName, &p.FamilyName, &p.DisplayName, &profile, &state,
		&p.Mail, &p.Service, &p.MustChangePassword, &del, &created, &updated, &uid, &rec.Hash, &ests, &grants,
		&changed, &rec.Policies)
	if errors.Is(err, sql.ErrNoRows) {
		return rec, core.E(op, core.NotFound, "no such person")
	}
	if err != nil {
		return rec, db.classify(op, err)
	}
	p.Profile, p.State, p.DeleteAfter, p.UIDNumber = core.Profile(profile), directory.State(state), fromNullMicros(del), uid.Int64
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	p.Establishments, rec.Grants = splitAggregates(ests, grants)
	rec.Person, rec.PasswordChangedAt = &p, fromNullMicros(changed)
	return rec, nil
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
