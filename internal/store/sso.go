// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

var _ sso.Store = (*DB)(nil)

const clientColumns = `id, protocol, name, secret_hash, uris, logout_uris, attributes, min_level, single_logout,
	created_at, disabled_at`

func scanClient(sc interface{ Scan(...any) error }) (*sso.Client, error) {
	var c sso.Client
	var uris, logout, attrs string
	var created int64
	var disabled sql.NullInt64
	if err := sc.Scan(&c.ID, &c.Protocol, &c.Name, &c.SecretHash, &uris, &logout, &attrs, &c.MinLevel,
		&c.SingleLogout, &created, &disabled); err != nil {
		return nil, err
	}
	c.URIs, c.LogoutURIs, c.Attributes = lines(uris), lines(logout), lines(attrs)
	c.CreatedAt, c.DisabledAt = fromMicros(created), fromNullMicros(disabled)
	return &c, nil
}

func lines(s string) []string { return strings.Fields(s) }

// PutClient creates or replaces an SSO client and journals e.
func (db *DB) PutClient(ctx context.Context, c *sso.Client, e journal.Entry) error {
	return db.write(ctx, "store.PutClient", func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO sso_clients (`+clientColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (id) DO UPDATE SET protocol = excluded.protocol, name = excluded.name,
				secret_hash = excluded.secret_hash, uris = excluded.uris, logout_uris = excluded.logout_uris,
				attributes = excluded.attributes, min_level = excluded.min_level,
				single_logout = excluded.single_logout, disabled_at = excluded.disabled_at`,
			c.ID, c.Protocol, c.Name, c.SecretHash, strings.Join(c.URIs, "\n"), strings.Join(c.LogoutURIs, "\n"),
			strings.Join(c.Attributes, "\n"), c.MinLevel, c.SingleLogout, micros(c.CreatedAt),
			nullMicros(c.DisabledAt)); err != nil {
			return err
		}
		return tx.journal(e)
	})
}

const clientQuery = `SELECT ` + clientColumns + ` FROM sso_clients WHERE id = $1`

// FindClient returns a client by ID.
func (db *DB) FindClient(ctx context.Context, id string) (*sso.Client, error) {
	c, err := scanClient(db.readRow(ctx, clientQuery, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E("store.FindClient", core.NotFound, "no application %q is registered", id)
	}
	return c, db.classify("store.FindClient", err)
}

// FindClients lists the clients of a protocol ("" for all), by name.
func (db *DB) FindClients(ctx context.Context, p sso.Protocol) ([]*sso.Client, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+clientColumns+` FROM sso_clients
		WHERE $1 = '' OR protocol = $1 ORDER BY name, id`, string(p))
	if err != nil {
		return nil, db.classify("store.FindClients", err)
	}
	defer rows.Close()
	var out []*sso.Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, db.classify("store.FindClients", err)
		}
		out = append(out, c)
	}
	return out, db.classify("store.FindClients", rows.Err())
}

// DeleteClient removes a client with its tickets and tokens (cascade).
func (db *DB) DeleteClient(ctx context.Context, id string, e journal.Entry) error {
	return db.write(ctx, "store.DeleteClient", func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM sso_clients WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E("store.DeleteClient", core.NotFound, "no application %q is registered", id)
		}
		return tx.journal(e)
	})
}

// CreateTicket stores a ticket, drops expired ones, and journals e.
func (db *DB) CreateTicket(ctx context.Context, t *sso.Ticket, e journal.Entry) error {
	return db.write(ctx, "store.CreateTicket", func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO sso_tickets (id, kind, client_id, person_id, session_id, service, data, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, t.ID, t.Kind, t.ClientID, t.PersonID, t.SessionID, t.Service,
			t.Data, micros(t.ExpiresAt)); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM sso_tickets WHERE expires_at < $1`, micros(tx.now.Add(-ticketGrace))); err != nil {
			return err
		}
		return tx.journal(e)
	})
}

// ticketGrace keeps expired tickets a while so that a late redemption is
// told "expired" rather than "unknown".
const ticketGrace = 10 * 60 * 1e9

// RedeemTicket deletes and returns a ticket: DELETE … RETURNING makes the
// use single even between nodes.
func (db *DB) RedeemTicket(ctx context.Context, id, kind string) (*sso.Ticket, error) {
	var t sso.Ticket
	var x int64
	err := db.write(ctx, "store.RedeemTicket", func(tx *Tx) error {
		return tx.queryRow(`DELETE FROM sso_tickets WHERE id = $1 AND kind = $2
			RETURNING id, kind, client_id, person_id, session_id, service, data, expires_at`, id, kind).
			Scan(&t.ID, &t.Kind, &t.ClientID, &t.PersonID, &t.SessionID, &t.Service, &t.Data, &x)
	})
	if errors.Is(err, sql.ErrNoRows) || core.IsKind(err, core.NotFound) {
		return nil, core.E("store.RedeemTicket", core.NotFound, "unknown or already used ticket")
	}
	if err != nil {
		return nil, err
	}
	t.ExpiresAt = fromMicros(x)
	return &t, nil
}

// CreateRefreshToken stores a refresh token, rotating parent. A parent
// already used means the token was replayed: its family is revoked.
func (db *DB) CreateRefreshToken(ctx context.Context, t *sso.RefreshToken, parent string) error {
	const op = "store.CreateRefreshToken"
	if parent != "" && db.d.rotateRefresh != "" {
		return db.rotateRefresh(ctx, t, parent)
	}
	replayed := false
	err := db.write(ctx, op, func(tx *Tx) error {
		if parent != "" {
			res, err := tx.exec(`UPDATE oidc_refresh_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL`,
				micros(tx.now), parent)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				replayed = true
				_, err := tx.exec(`DELETE FROM oidc_refresh_tokens WHERE family = $1`, t.Family)
				return err
			}
		}
		_, err := tx.exec(`INSERT INTO oidc_refresh_tokens (id, family, client_id, person_id, session_id, data,
			created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, t.ID, t.Family, t.ClientID,
			t.PersonID, t.SessionID, t.Data, micros(t.CreatedAt), micros(t.ExpiresAt))
		return err
	})
	if err == nil && replayed {
		return core.E(op, core.Conflict, "this refresh token was already used: its family is revoked")
	}
	return err
}

const refreshTokenQuery = `SELECT r.id, r.family, r.client_id, r.person_id, r.session_id, r.data,
	r.created_at, r.expires_at, r.used_at FROM oidc_refresh_tokens r JOIN sessions s ON s.id = r.session_id
	JOIN people p ON p.id = r.person_id WHERE r.id = $1 AND s.expires_at > $2 AND p.state = 'active'`

// rotateRefresh rotates in one statement, outside any transaction (one
// round trip: the refresh grant is the hot path of OIDC clients).
func (db *DB) rotateRefresh(ctx context.Context, t *sso.RefreshToken, parent string) error {
	const op = "store.CreateRefreshToken"
	res, err := db.w.ExecContext(ctx, db.d.rotateRefresh, t.ID, t.Family, t.ClientID, t.PersonID, t.SessionID,
		t.Data, micros(t.CreatedAt), micros(t.ExpiresAt), micros(db.clock.Now()), parent)
	if err != nil {
		return db.classify(op, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	if _, err := db.w.ExecContext(ctx, `DELETE FROM oidc_refresh_tokens WHERE family = $1`, t.Family); err != nil {
		return db.classify(op, err)
	}
	return core.E(op, core.Conflict, "this refresh token was already used: its family is revoked")
}

// FindRefreshToken returns a refresh token whose session still lives and
// whose person may still sign in.
func (db *DB) FindRefreshToken(ctx context.Context, id string) (*sso.RefreshToken, error) {
	var t sso.RefreshToken
	var c, x int64
	var used sql.NullInt64
	err := db.readRow(ctx, refreshTokenQuery, id, micros(db.clock.Now())).
		Scan(&t.ID, &t.Family, &t.ClientID, &t.PersonID, &t.SessionID, &t.Data, &c, &x, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E("store.FindRefreshToken", core.NotFound, "unknown refresh token, its session has ended, or its account cannot sign in")
	}
	if err != nil {
		return nil, db.classify("store.FindRefreshToken", err)
	}
	t.CreatedAt, t.ExpiresAt, t.UsedAt = fromMicros(c), fromMicros(x), fromNullMicros(used)
	return &t, nil
}

// SigningKeys returns the OIDC signing keys not yet expired, newest first.
func (db *DB) SigningKeys(ctx context.Context) ([]*sso.SigningKey, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT kid, alg, private_pem, created_at, retires_at, expires_at
		FROM signing_keys WHERE expires_at > $1 ORDER BY created_at DESC`, micros(db.clock.Now()))
	if err != nil {
		return nil, db.classify("store.SigningKeys", err)
	}
	defer rows.Close()
	var out []*sso.SigningKey
	for rows.Next() {
		var k sso.SigningKey
		var c, r, x int64
		if err := rows.Scan(&k.KID, &k.Alg, &k.PrivatePEM, &c, &r, &x); err != nil {
			return nil, db.classify("store.SigningKeys", err)
		}
		k.CreatedAt, k.RetiresAt, k.ExpiresAt = fromMicros(c), fromMicros(r), fromMicros(x)
		out = append(out, &k)
	}
	return out, db.classify("store.SigningKeys", rows.Err())
}

// AddSigningKey stores a new signing key and drops expired ones.
func (db *DB) AddSigningKey(ctx context.Context, k *sso.SigningKey) error {
	return db.write(ctx, "store.AddSigningKey", func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO signing_keys (kid, alg, private_pem, created_at, retires_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, k.KID, k.Alg, k.PrivatePEM, micros(k.CreatedAt), micros(k.RetiresAt),
			micros(k.ExpiresAt)); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM signing_keys WHERE expires_at < $1`, micros(tx.now)); err != nil {
			return err
		}
		return tx.journal(journal.Entry{Action: "sso.key.rotate", TargetType: "signing_key", TargetID: k.KID,
			TargetName: k.Alg})
	})
}

// AddLogin records that a session signed in to an application.
func (db *DB) AddLogin(ctx context.Context, l *sso.Login) error {
	return db.write(ctx, "store.AddLogin", func(tx *Tx) error {
		_, err := tx.exec(`INSERT INTO sso_logins (session_id, client_id, service, ticket, created_at)
			VALUES ($1, $2, $3, $4, $5)`, l.SessionID, l.ClientID, l.Service, l.Ticket, micros(l.CreatedAt))
		return err
	})
}

// SessionLogins returns and deletes the application logins of a session.
func (db *DB) SessionLogins(ctx context.Context, sessionID string) ([]*sso.Login, error) {
	var out []*sso.Login
	err := db.write(ctx, "store.SessionLogins", func(tx *Tx) error {
		rows, err := tx.query(`DELETE FROM sso_logins WHERE session_id = $1
			RETURNING session_id, client_id, service, ticket, created_at`, sessionID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var l sso.Login
			var c int64
			if err := rows.Scan(&l.SessionID, &l.ClientID, &l.Service, &l.Ticket, &c); err != nil {
				return err
			}
			l.CreatedAt = fromMicros(c)
			out = append(out, &l)
		}
		return rows.Err()
	})
	return out, err
}
