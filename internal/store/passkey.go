// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// Passkeys returns a person's WebAuthn keys, oldest first.
func (db *DB) Passkeys(ctx context.Context, personID string) ([]*auth.Passkey, error) {
	const op = "store.Passkeys"
	rows, err := db.r.QueryContext(ctx, `SELECT id, person_id, name, data, created_at, last_used
		FROM webauthn_credentials WHERE person_id = $1 ORDER BY created_at, id`, personID)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var keys []*auth.Passkey
	for rows.Next() {
		var k auth.Passkey
		var data string
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&k.ID, &k.PersonID, &k.Name, &data, &created, &used); err != nil {
			return nil, db.classify(op, err)
		}
		k.Data, k.CreatedAt, k.LastUsed = []byte(data), fromMicros(created), fromNullMicros(used)
		keys = append(keys, &k)
	}
	return keys, db.classify(op, rows.Err())
}

// AddPasskey stores a new key, upgrades the session that added it and
// journals e, in one transaction. core.Exists when the key is already
// registered (to anyone).
func (db *DB) AddPasskey(ctx context.Context, k *auth.Passkey, up auth.SessionUpgrade, e journal.Entry) error {
	const op = "store.AddPasskey"
	return db.write(ctx, op, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(`SELECT COUNT(*) FROM webauthn_credentials WHERE id = $1`, k.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return core.E(op, core.Exists, "this key is already registered")
		}
		if _, err := tx.exec(`INSERT INTO webauthn_credentials (id, person_id, name, data, created_at, last_used)
			VALUES ($1, $2, $3, $4, $5, NULL)`, k.ID, k.PersonID, k.Name, string(k.Data), micros(k.CreatedAt)); err != nil {
			return err
		}
		if err := tx.upgradeSession(up); err != nil {
			return err
		}
		return tx.journal(e)
	})
}

// UsePasskey stores the record of a key after a successful check (its new
// signature counter and flags) and when it was used, upgrades the session
// and journals e, in one transaction. core.NotFound when the person has no
// such key (removed meanwhile).
func (db *DB) UsePasskey(ctx context.Context, personID, id string, data []byte, up auth.SessionUpgrade,
	e journal.Entry) error {
	const op = "store.UsePasskey"
	return db.write(ctx, op, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE webauthn_credentials SET data = $1, last_used = $2 WHERE id = $3 AND person_id = $4`,
			string(data), micros(tx.now), id, personID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E(op, core.NotFound, "this key is not registered for this account")
		}
		if err := tx.upgradeSession(up); err != nil {
			return err
		}
		return tx.journal(e)
	})
}

// RemovePasskey removes one of a person's keys and journals e.
// core.NotFound when the person has no such key.
func (db *DB) RemovePasskey(ctx context.Context, personID, id string, e journal.Entry) error {
	const op = "store.RemovePasskey"
	return db.write(ctx, op, func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM webauthn_credentials WHERE id = $1 AND person_id = $2`, id, personID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E(op, core.NotFound, "this key is not registered for this account")
		}
		return tx.journal(e)
	})
}

// PutPasskeyCeremony keeps the state of a session's WebAuthn ceremony until
// expires, in place of an earlier one of the same kind, and clears expired
// ones of every session.
func (db *DB) PutPasskeyCeremony(ctx context.Context, sessionID, kind string, state []byte, expires time.Time) error {
	return db.write(ctx, "store.PutPasskeyCeremony", func(tx *Tx) error {
		if _, err := tx.exec(`DELETE FROM webauthn_ceremonies WHERE expires_at <= $1`, micros(tx.now)); err != nil {
			return err
		}
		_, err := tx.exec(`INSERT INTO webauthn_ceremonies (session_id, kind, state, expires_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (session_id, kind) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at`,
			sessionID, kind, string(state), micros(expires))
		return err
	})
}

// TakePasskeyCeremony returns the state of a session's ceremony and forgets
// it, so that a challenge answers once. core.NotFound when there is none or
// it expired.
func (db *DB) TakePasskeyCeremony(ctx context.Context, sessionID, kind string) ([]byte, error) {
	const op = "store.TakePasskeyCeremony"
	var state string
	var found bool
	err := db.write(ctx, op, func(tx *Tx) error {
		var expires int64
		err := tx.queryRow(`DELETE FROM webauthn_ceremonies WHERE session_id = $1 AND kind = $2
			RETURNING state, expires_at`, sessionID, kind).Scan(&state, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		found = err == nil && expires > micros(tx.now) // an expired one is deleted all the same
		return err
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, core.E(op, core.NotFound, "no ceremony in progress")
	}
	return []byte(state), nil
}
