// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// FilterBinding is an address bound to a person by a portal login (CARINE
// INF-AUT-1): the filtering proxy and DNS filter apply that person's policy
// to requests without credentials from the address.
type FilterBinding struct {
	Address       string
	PersonID      string
	Login         string
	Profile       core.Profile
	Establishment string
	SessionID     string
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

func bindingChain(est string) string {
	if est == "" {
		return journal.DeploymentChain
	}
	return est
}

// BindFilterAddress binds b.Address to b.PersonID for the session
// b.SessionID until b.ExpiresAt, replacing the address's previous binding
// (the newest login from an address wins), and journals filter.bind.
func (db *DB) BindFilterAddress(ctx context.Context, b *FilterBinding) error {
	const op = "store.BindFilterAddress"
	if b.Address == "" || b.PersonID == "" || b.SessionID == "" {
		return core.E(op, core.Invalid, "a binding needs an address, a person and a session")
	}
	return db.write(ctx, op, func(tx *Tx) error {
		b.CreatedAt = tx.now
		if _, err := tx.exec(`INSERT INTO filter_bindings (address, person_id, establishment, session_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (address) DO UPDATE SET person_id = excluded.person_id,
			establishment = excluded.establishment, session_id = excluded.session_id, created_at = excluded.created_at,
			expires_at = excluded.expires_at`,
			b.Address, b.PersonID, b.Establishment, b.SessionID, micros(tx.now), micros(b.ExpiresAt)); err != nil {
			return err
		}
		return tx.journal(journal.Entry{Chain: bindingChain(b.Establishment), Action: "filter.bind", TargetType: "person",
			TargetID: b.PersonID, TargetName: b.Login, Attributes: []string{"address:" + b.Address,
				"until:" + b.ExpiresAt.UTC().Format(time.RFC3339)}})
	})
}

// UnbindFilterSession ends the bindings made by a session (a logout) and
// journals filter.unbind for each. It returns the addresses unbound.
func (db *DB) UnbindFilterSession(ctx context.Context, sessionID string) ([]string, error) {
	return db.unbindFilter(ctx, "store.UnbindFilterSession", "logout",
		`SELECT b.address, b.person_id, COALESCE(p.login, ''), b.establishment FROM filter_bindings b
		LEFT JOIN people p ON p.id = b.person_id WHERE b.session_id = $1`, sessionID)
}

// SweepFilterBindings ends the bindings past their expiry or whose session
// is gone or idle since before idleSince, and journals filter.unbind for
// each. It returns the addresses unbound.
func (db *DB) SweepFilterBindings(ctx context.Context, now, idleSince time.Time) ([]string, error) {
	return db.unbindFilter(ctx, "store.SweepFilterBindings", "expired",
		`SELECT b.address, b.person_id, COALESCE(p.login, ''), b.establishment FROM filter_bindings b
		LEFT JOIN people p ON p.id = b.person_id LEFT JOIN sessions s ON s.id = b.session_id
		WHERE b.expires_at <= $1 OR s.id IS NULL OR s.expires_at <= $1 OR s.last_seen <= $2`, micros(now), micros(idleSince))
}

func (db *DB) unbindFilter(ctx context.Context, op, reason, q string, args ...any) ([]string, error) {
	var gone []string
	err := db.write(ctx, op, func(tx *Tx) error {
		gone = gone[:0]
		rows, err := tx.query(q, args...)
		if err != nil {
			return err
		}
		type row struct{ addr, person, login, est string }
		var rs []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.addr, &r.person, &r.login, &r.est); err != nil {
				rows.Close()
				return err
			}
			rs = append(rs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range rs {
			res, err := tx.exec(`DELETE FROM filter_bindings WHERE address = $1 AND person_id = $2`, r.addr, r.person)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue // another node swept it first
			}
			if err := tx.journal(journal.Entry{Chain: bindingChain(r.est), Action: "filter.unbind", TargetType: "person",
				TargetID: r.person, TargetName: r.login, Attributes: []string{"address:" + r.addr}, Reason: reason}); err != nil {
				return err
			}
			gone = append(gone, r.addr)
		}
		return nil
	})
	return gone, err
}

// FilterBindingOf returns the live binding of an address: its expiry not
// reached, its session still there, not past its absolute timeout nor idle
// since before idleSince, its person active. core.NotFound otherwise.
func (db *DB) FilterBindingOf(ctx context.Context, address string, now, idleSince time.Time) (*FilterBinding, error) {
	const op = "store.FilterBindingOf"
	var b FilterBinding
	var created, expires int64
	err := db.readRow(ctx, `SELECT b.address, b.person_id, p.login, p.profile, b.establishment, b.session_id, b.created_at,
		b.expires_at FROM filter_bindings b JOIN people p ON p.id = b.person_id JOIN sessions s ON s.id = b.session_id
		WHERE b.address = $1 AND b.expires_at > $2 AND s.expires_at > $2 AND s.last_seen > $3 AND p.state = 'active'`,
		address, micros(now), micros(idleSince)).Scan(&b.Address, &b.PersonID, &b.Login, &b.Profile, &b.Establishment,
		&b.SessionID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E(op, core.NotFound, "address %s is not bound", address)
	}
	if err != nil {
		return nil, db.classify(op, err)
	}
	b.CreatedAt, b.ExpiresAt = fromMicros(created), fromMicros(expires)
	return &b, nil
}
