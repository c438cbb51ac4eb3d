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
	"github.com/preau/preau/internal/privacy"
)

const controllerColumns = `establishment_id, name, role, contact, dpo_name, dpo_contact, updated_by, updated_at`

func scanController(sc interface{ Scan(...any) error }) (*privacy.Controller, error) {
	var c privacy.Controller
	var at int64
	if err := sc.Scan(&c.Establishment, &c.Name, &c.Role, &c.Contact, &c.DPOName, &c.DPOContact, &c.UpdatedBy, &at); err != nil {
		return nil, err
	}
	c.UpdatedAt = fromMicros(at)
	return &c, nil
}

// PrivacyController returns the data controller of an establishment, or
// core.NotFound.
func (db *DB) PrivacyController(ctx context.Context, establishment string) (*privacy.Controller, error) {
	c, err := scanController(db.readRow(ctx, `SELECT `+controllerColumns+` FROM privacy_controllers
		WHERE establishment_id = $1`, establishment))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E("store.PrivacyController", core.NotFound, "no data controller recorded for this establishment")
	}
	return c, db.classify("store.PrivacyController", err)
}

// PutPrivacyController records the controller of c.Establishment and
// journals the names of the fields that changed (INF-ANN-n1).
func (db *DB) PutPrivacyController(ctx context.Context, c *privacy.Controller) error {
	return db.write(ctx, "store.PutPrivacyController", func(tx *Tx) error {
		uai, err := tx.establishmentUAI(c.Establishment)
		if err != nil {
			return err
		}
		old, err := scanController(tx.queryRow(`SELECT `+controllerColumns+` FROM privacy_controllers
			WHERE establishment_id = $1`, c.Establishment))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var before privacy.Controller
		if old != nil {
			before = *old
		}
		var attrs []string // the names of the fields that change, not their values
		for _, f := range [][3]string{{"name", before.Name, c.Name}, {"role", before.Role, c.Role},
			{"contact", before.Contact, c.Contact}, {"dpo_name", before.DPOName, c.DPOName},
			{"dpo_contact", before.DPOContact, c.DPOContact}} {
			if f[1] != f[2] {
				attrs = append(attrs, f[0])
			}
		}
		if _, err := tx.exec(`INSERT INTO privacy_controllers (`+controllerColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (establishment_id) DO UPDATE SET name = excluded.name, role = excluded.role,
				contact = excluded.contact, dpo_name = excluded.dpo_name, dpo_contact = excluded.dpo_contact,
				updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			c.Establishment, c.Name, c.Role, c.Contact, c.DPOName, c.DPOContact, c.UpdatedBy, micros(tx.now)); err != nil {
			return err
		}
		c.UpdatedAt = tx.now
		return tx.journal(journal.Entry{Chain: c.Establishment, Action: "privacy.controller.put",
			TargetType: "establishment", TargetID: c.Establishment, TargetName: uai, Attributes: attrs})
	})
}

// establishmentUAI returns the UAI of an establishment, or core.NotFound.
func (tx *Tx) establishmentUAI(id string) (string, error) {
	var uai string
	err := tx.queryRow(`SELECT uai FROM establishments WHERE id = $1`, id).Scan(&uai)
	if errors.Is(err, sql.ErrNoRows) {
		return "", core.E("store.establishmentUAI", core.NotFound, "no such establishment")
	}
	return uai, err
}

// PrivacyDelegates lists every delegate of an establishment, past ones
// included, in start order.
func (db *DB) PrivacyDelegates(ctx context.Context, establishment string) ([]*privacy.Delegate, error) {
	rows, err := db.readRows(ctx, `SELECT id, establishment_id, name, scope, contact, valid_from, valid_until,
		created_by, created_at FROM privacy_delegates WHERE establishment_id = $1 ORDER BY valid_from, created_at, id`, establishment)
	if err != nil {
		return nil, db.classify("store.PrivacyDelegates", err)
	}
	defer rows.Close()
	var out []*privacy.Delegate
	for rows.Next() {
		var d privacy.Delegate
		var from, created int64
		var until sql.NullInt64
		if err := rows.Scan(&d.ID, &d.Establishment, &d.Name, &d.Scope, &d.Contact, &from, &until, &d.CreatedBy, &created); err != nil {
			return nil, db.classify("store.PrivacyDelegates", err)
		}
		d.From, d.Until, d.CreatedAt = fromMicros(from), fromNullMicros(until), fromMicros(created)
		out = append(out, &d)
	}
	return out, db.classify("store.PrivacyDelegates", rows.Err())
}

// AddPrivacyDelegate records a delegation and journals it.
func (db *DB) AddPrivacyDelegate(ctx context.Context, d *privacy.Delegate) error {
	return db.write(ctx, "store.AddPrivacyDelegate", func(tx *Tx) error {
		uai, err := tx.establishmentUAI(d.Establishment)
		if err != nil {
			return err
		}
		d.CreatedAt = tx.now
		if _, err := tx.exec(`INSERT INTO privacy_delegates (id, establishment_id, name, scope, contact, valid_from,
			valid_until, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			d.ID, d.Establishment, d.Name, d.Scope, d.Contact, micros(d.From), nullMicros(d.Until), d.CreatedBy,
			micros(tx.now)); err != nil {
			return err
		}
		return tx.journal(journal.Entry{Chain: d.Establishment, Action: "privacy.delegate.add",
			TargetType: "establishment", TargetID: d.Establishment, TargetName: uai,
			Attributes: []string{"delegate:" + d.Name}})
	})
}

// EndPrivacyDelegate ends a delegation at at (history is kept) and journals
// it. It returns core.NotFound when id is not a delegate of establishment
// still in force at at.
func (db *DB) EndPrivacyDelegate(ctx context.Context, establishment, id string, at time.Time) error {
	return db.write(ctx, "store.EndPrivacyDelegate", func(tx *Tx) error {
		uai, err := tx.establishmentUAI(establishment)
		if err != nil {
			return err
		}
		var name string
		err = tx.queryRow(`SELECT name FROM privacy_delegates WHERE id = $1 AND establishment_id = $2
			AND (valid_until IS NULL OR valid_until > $3)`, id, establishment, micros(at)).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return core.E("store.EndPrivacyDelegate", core.NotFound, "no such delegation in force")
		}
		if err != nil {
			return err
		}
		// A delegation that has not started yet ends before it starts.
		if _, err := tx.exec(`UPDATE privacy_delegates SET valid_until = CASE WHEN valid_from > $1 THEN valid_from
			ELSE $1 END WHERE id = $2`, micros(at), id); err != nil {
			return err
		}
		return tx.journal(journal.Entry{Chain: establishment, Action: "privacy.delegate.end",
			TargetType: "establishment", TargetID: establishment, TargetName: uai, Attributes: []string{"delegate:" + name}})
	})
}

// PersonSSOLogins lists the applications a person logged into through
// single sign-on: CAS logins of their open sessions and OpenID Connect
// grants still in force, newest first. It never reads the session
// identifiers, tickets or tokens out of the database.
func (db *DB) PersonSSOLogins(ctx context.Context, personID string) ([]*privacy.SSOLogin, error) {
	rows, err := db.readRows(ctx, `SELECT c.name, l.service, l.created_at FROM sso_logins l
		JOIN sessions s ON s.id = l.session_id JOIN sso_clients c ON c.id = l.client_id WHERE s.person_id = $1
		UNION ALL SELECT c.name, '', r.created_at FROM oidc_refresh_tokens r JOIN sso_clients c ON c.id = r.client_id
		WHERE r.person_id = $1 AND r.used_at IS NULL AND r.expires_at > $2
		ORDER BY 3 DESC`, personID, micros(db.clock.Now()))
	if err != nil {
		return nil, db.classify("store.PersonSSOLogins", err)
	}
	defer rows.Close()
	var out []*privacy.SSOLogin
	for rows.Next() {
		var l privacy.SSOLogin
		var at int64
		if err := rows.Scan(&l.Application, &l.Service, &at); err != nil {
			return nil, db.classify("store.PersonSSOLogins", err)
		}
		l.At = fromMicros(at)
		out = append(out, &l)
	}
	return out, db.classify("store.PersonSSOLogins", rows.Err())
}

// PersonPictureLogin says whether a person logs in with a picture sequence,
// with their avatar; the sequence's hash is not read.
func (db *DB) PersonPictureLogin(ctx context.Context, personID string) (*privacy.PictureLogin, error) {
	var pl privacy.PictureLogin
	var at int64
	err := db.readRow(ctx, `SELECT avatar, changed_at FROM picture_secrets WHERE person_id = $1`, personID).Scan(&pl.Avatar, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return &pl, nil
	}
	if err != nil {
		return nil, db.classify("store.PersonPictureLogin", err)
	}
	pl.Enabled, pl.ChangedAt = true, fromMicros(at)
	return &pl, nil
}

// PersonJournal returns the most recent journal entries (at most limit,
// at most 10,000) where the person is the actor or the target, newest first.
func (db *DB) PersonJournal(ctx context.Context, personID string, limit int) ([]*journal.Entry, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	// A UNION lets each branch use its index (journal_actor, journal_target).
	rows, err := db.readRows(ctx, `SELECT `+journalColumns+` FROM journal WHERE id IN (
		SELECT id FROM (SELECT id FROM journal WHERE actor_id = $1 ORDER BY id DESC LIMIT $2) a
		UNION SELECT id FROM (SELECT id FROM journal WHERE target_id = $1 ORDER BY id DESC LIMIT $2) t)
		ORDER BY id DESC LIMIT $2`, personID, limit)
	if err != nil {
		return nil, db.classify("store.PersonJournal", err)
	}
	defer rows.Close()
	var out []*journal.Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, db.classify("store.PersonJournal", err)
		}
		out = append(out, e)
	}
	return out, db.classify("store.PersonJournal", rows.Err())
}

// PersonTokens lists a person's API tokens: name and dates, never the
// token's hash nor its identifier.
func (db *DB) PersonTokens(ctx context.Context, personID string) ([]*privacy.APIToken, error) {
	rows, err := db.readRows(ctx, `SELECT name, created_at, expires_at, last_used, revoked_at FROM api_tokens
		WHERE person_id = $1 ORDER BY created_at`, personID)
	if err != nil {
		return nil, db.classify("store.PersonTokens", err)
	}
	defer rows.Close()
	var out []*privacy.APIToken
	for rows.Next() {
		var tk privacy.APIToken
		var created int64
		var expires, used, revoked sql.NullInt64
		if err := rows.Scan(&tk.Name, &created, &expires, &used, &revoked); err != nil {
			return nil, db.classify("store.PersonTokens", err)
		}
		tk.CreatedAt, tk.ExpiresAt = fromMicros(created), fromNullMicros(expires)
		tk.LastUsed, tk.RevokedAt = fromNullMicros(used), fromNullMicros(revoked)
		out = append(out, &tk)
	}
	return out, db.classify("store.PersonTokens", rows.Err())
}
