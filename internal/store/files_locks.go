// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
)

// type check
var _ files.LockStore = (*DB)(nil)

// WebDAV locks are protocol state, not data: they are not journaled (a word
// processor takes and refreshes one every few minutes for every open
// document); what a lock protects is journaled when it is written.

const lockColumns = `token, lock_key, root, owner_id, zero_depth, shared, owner_xml, duration, expires_at`

func scanLock(sc interface{ Scan(...any) error }) (files.DAVLock, error) {
	var l files.DAVLock
	var zero, shared, dur, exp int64
	if err := sc.Scan(&l.Token, &l.Key, &l.Root, &l.Owner, &zero, &shared, &l.OwnerXML, &dur, &exp); err != nil {
		return l, err
	}
	l.ZeroDepth, l.Shared, l.Duration, l.Expires = zero != 0, shared != 0, time.Duration(dur)*time.Microsecond,
		fromMicros(exp)
	if dur < 0 {
		l.Duration = -1
	}
	return l, nil
}

func lockDurationMicros(d time.Duration) int64 {
	if d < 0 {
		return -1
	}
	return d.Microseconds()
}

// CreateLock grants a lock unless a live one conflicts. The counter row
// update comes first: it takes the row lock (PostgreSQL) or the write lock
// (SQLite) that serialises lock creations, so the conflict check below sees
// every lock granted before, on any node.
func (db *DB) CreateLock(ctx context.Context, l *files.DAVLock, now time.Time) error {
	const op = "store.CreateLock"
	space := files.LockSpace(l.Key)
	return db.write(ctx, op, func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE counters SET value = value + 1 WHERE name = 'dav_locks'`); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM dav_locks WHERE expires_at <= $1`, micros(now)); err != nil {
			return err
		}
		rows, err := tx.query(`SELECT `+lockColumns+` FROM dav_locks WHERE lock_space = $1 AND expires_at > $2`,
			space, micros(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			o, err := scanLock(rows)
			if err != nil {
				return err
			}
			if o.Conflicts(l.Key, l.ZeroDepth, l.Shared) {
				return &core.Error{Op: op, Kind: core.Conflict, Err: files.ErrLocked,
					Msg: "this file or folder is locked by another editor"}
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		_, err = tx.exec(`INSERT INTO dav_locks (token, lock_space, lock_key, root, owner_id, zero_depth, shared,
			owner_xml, duration, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			l.Token, space, l.Key, l.Root, l.Owner, boolInt(l.ZeroDepth), boolInt(l.Shared), l.OwnerXML,
			lockDurationMicros(l.Duration), micros(now), micros(l.Expires))
		return err
	})
}

// findLocksQuery runs on every WebDAV write (a hot read).
const findLocksQuery = `SELECT ` + lockColumns + ` FROM dav_locks WHERE lock_space = $1 AND expires_at > $2`

// FindLocks returns the live locks of a lock space.
func (db *DB) FindLocks(ctx context.Context, space string, now time.Time) ([]files.DAVLock, error) {
	rows, err := db.readRows(ctx, findLocksQuery, space, micros(now))
	if err != nil {
		return nil, db.classify("store.FindLocks", err)
	}
	defer rows.Close()
	var out []files.DAVLock
	for rows.Next() {
		l, err := scanLock(rows)
		if err != nil {
			return nil, db.classify("store.FindLocks", err)
		}
		out = append(out, l)
	}
	return out, db.classify("store.FindLocks", rows.Err())
}

// ownLock reads a live lock in tx and checks that owner took it.
func (tx *Tx) ownLock(op, token, owner string, now time.Time) (files.DAVLock, error) {
	l, err := scanLock(tx.queryRow(`SELECT `+lockColumns+` FROM dav_locks WHERE token = $1 AND expires_at > $2`,
		token, micros(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return l, core.E(op, core.NotFound, "no such lock (it may have expired)")
	}
	if err != nil {
		return l, err
	}
	if l.Owner != owner {
		return l, core.E(op, core.Permission, "this lock was taken by someone else")
	}
	return l, nil
}

// RefreshLock extends a lock its owner holds.
func (db *DB) RefreshLock(ctx context.Context, token, owner string, d time.Duration, expires, now time.Time) (*files.DAVLock, error) {
	const op = "store.RefreshLock"
	var out files.DAVLock
	err := db.write(ctx, op, func(tx *Tx) error {
		l, err := tx.ownLock(op, token, owner, now)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE dav_locks SET duration = $1, expires_at = $2 WHERE token = $3`,
			lockDurationMicros(d), micros(expires), token); err != nil {
			return err
		}
		l.Duration, l.Expires = d, expires
		out = l
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteLock removes a lock its owner holds.
func (db *DB) DeleteLock(ctx context.Context, token, owner string, now time.Time) error {
	const op = "store.DeleteLock"
	return db.write(ctx, op, func(tx *Tx) error {
		if _, err := tx.ownLock(op, token, owner, now); err != nil {
			return err
		}
		_, err := tx.exec(`DELETE FROM dav_locks WHERE token = $1`, token)
		return err
	})
}

// DeleteLocksUnder removes the locks rooted at key or below it. The common
// case, no such lock, costs one read and no write transaction.
func (db *DB) DeleteLocksUnder(ctx context.Context, key string) error {
	const op = "store.DeleteLocksUnder"
	rows, err := db.readRows(ctx, `SELECT token, lock_key FROM dav_locks WHERE lock_space = $1`, files.LockSpace(key))
	if err != nil {
		return db.classify(op, err)
	}
	var tokens []string
	for rows.Next() {
		var tok, k string
		if err := rows.Scan(&tok, &k); err != nil {
			rows.Close()
			return db.classify(op, err)
		}
		if k == key || strings.HasPrefix(k, key+"/") {
			tokens = append(tokens, tok)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(tokens) == 0 {
		return db.classify(op, err)
	}
	return db.write(ctx, op, func(tx *Tx) error {
		for _, tok := range tokens {
			if _, err := tx.exec(`DELETE FROM dav_locks WHERE token = $1`, tok); err != nil {
				return err
			}
		}
		return nil
	})
}
