// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/core"
)

// PasswordHistory returns up to n previous password hashes of a person,
// newest first, without the current one (see PasswordHash).
func (db *DB) PasswordHistory(ctx context.Context, personID string, n int) ([]string, error) {
	const op = "store.PasswordHistory"
	if n <= 0 {
		return nil, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT hash FROM password_history WHERE person_id = $1
		ORDER BY id DESC LIMIT $2`, personID, n)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, h)
	}
	return out, db.classify(op, rows.Err())
}

// PasswordChangedAt returns when a person's current password was set, or
// core.NotFound when they have none.
func (db *DB) PasswordChangedAt(ctx context.Context, personID string) (time.Time, error) {
	const op = "store.PasswordChangedAt"
	var at int64
	err := db.readRow(ctx, passwordChangedQuery, personID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, core.E(op, core.NotFound, "no password set")
	}
	if err != nil {
		return time.Time{}, db.classify(op, err)
	}
	return fromMicros(at), nil
}

// keepPasswordHistory copies the current hash of a person, if any, to the
// password history and keeps the last policy.MaxHistory entries. It runs in
// the transaction that replaces the hash.
func (tx *Tx) keepPasswordHistory(personID string) error {
	if _, err := tx.exec(`INSERT INTO password_history (person_id, hash, changed_at)
		SELECT person_id, hash, $2 FROM credentials WHERE person_id = $1`, personID, micros(tx.now)); err != nil {
		return err
	}
	_, err := tx.exec(`DELETE FROM password_history WHERE person_id = $1 AND id NOT IN
		(SELECT id FROM password_history WHERE person_id = $1 ORDER BY id DESC LIMIT $2)`, personID, policy.MaxHistory)
	return err
}

const passwordChangedQuery = `SELECT changed_at FROM credentials WHERE person_id = $1`
