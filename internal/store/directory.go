// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// type check
var _ directory.Store = (*DB)(nil)

// CreateEstablishment inserts e and journals it.
func (db *DB) CreateEstablishment(ctx context.Context, e *directory.Establishment) error {
	return db.write(ctx, "store.CreateEstablishment", func(tx *Tx) error {
		e.CreatedAt, e.UpdatedAt = tx.now, tx.now
		tx.directoryChanged()
		if _, err := tx.exec(`INSERT INTO establishments (id, uai, type, name, academie, domains, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
			e.ID, e.UAI, string(e.Type), e.Name, e.Academie, jsonList(e.Domains), micros(tx.now)); err != nil {
			return err
		}
		return tx.journal(journal.Entry{Chain: e.ID, Action: "directory.establishment.create",
			TargetType: "establishment", TargetID: e.ID, TargetName: e.UAI,
			Attributes: []string{"uai", "type", "name", "academie", "domains"}})
	})
}

const establishmentColumns = `id, uai, type, name, academie, domains, created_at, updated_at`

func scanEstablishment(sc interface{ Scan(...any) error }, extra ...any) (*directory.Establishment, error) {
	var e directory.Establishment
	var typ, domains string
	var created, updated int64
	dest := append([]any{&e.ID, &e.UAI, &typ, &e.Name, &e.Academie, &domains, &created, &updated}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	e.Type = directory.EstablishmentType(typ)
	_ = json.Unmarshal([]byte(domains), &e.Domains)
	e.CreatedAt, e.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &e, nil
}

// FindEstablishment finds an establishment by ID or UAI.
func (db *DB) FindEstablishment(ctx context.Context, idOrUAI string) (*directory.Establishment, error) {
	row := db.r.QueryRowContext(ctx, `SELECT `+establishmentColumns+` FROM establishments
		WHERE id = $1 OR uai = $2`, idOrUAI, strings.ToUpper(idOrUAI))
	e, err := scanEstablishment(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E("store.FindEstablishment", core.NotFound, "no establishment %q", idOrUAI)
	}
	return e, db.classify("store.FindEstablishment", err)
}

// FindEstablishments lists establishments with their counts of people,
// pupils and classes of schoolYear.
func (db *DB) FindEstablishments(ctx context.Context, ids []string, schoolYear int) ([]*directory.EstablishmentSummary, error) {
	if ids != nil && len(ids) == 0 {
		return nil, nil
	}
	q := `SELECT ` + establishmentColumns + `,
		(SELECT COUNT(*) FROM person_establishments pe WHERE pe.establishment_id = e.id),
		(SELECT COUNT(*) FROM person_establishments pe JOIN people p ON p.id = pe.person_id
			WHERE pe.establishment_id = e.id AND p.profile = 'pupil'),
		(SELECT COUNT(*) FROM school_groups g WHERE g.establishment_id = e.id AND g.kind = 'class' AND g.school_year = $1)
		FROM establishments e`
	args := []any{schoolYear}
	if ids != nil {
		ph := make([]string, len(ids))
		for i, id := range ids {
			args = append(args, id)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		q += ` WHERE e.id IN (` + strings.Join(ph, ", ") + `)`
	}
	q += ` ORDER BY e.uai`
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.classify("store.FindEstablishments", err)
	}
	defer rows.Close()
	var out []*directory.EstablishmentSummary
	for rows.Next() {
		var s directory.EstablishmentSummary
		e, err := scanEstablishment(rows, &s.People, &s.Pupils, &s.Classes)
		if err != nil {
			return nil, db.classify("store.FindEstablishments", err)
		}
		s.Establishment = *e
		out = append(out, &s)
	}
	return out, db.classify("store.FindEstablishments", rows.Err())
}

// CreatePeople inserts people, their attachments, external keys and initial
// password hashes in one transaction, journaling each creation.
func (db *DB) CreatePeople(ctx context.Context, people []directory.NewPerson) error {
	return db.write(ctx, "store.CreatePeople", func(tx *Tx) error {
		if len(people) > 10 {
			tx.bulkMode()
		}
		return tx.createPeople(people)
	})
}

// createPeople creates people, allocating their uid numbers in one step.
func (tx *Tx) createPeople(people []directory.NewPerson) error {
	if len(people) == 0 {
		return nil
	}
	first, err := tx.next("uid_number", int64(len(people)))
	if err != nil {
		return err
	}
	for i, np := range people {
		if err := tx.createPerson(np.Person, np.PasswordHash, first+int64(i)); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) createPerson(p *directory.Person, hash string, uid int64) error {
	p.CreatedAt, p.UpdatedAt = tx.now, tx.now
	if tx.logins == nil {
		tx.logins = map[string]string{}
	}
	tx.logins[p.ID] = p.Login
	tx.directoryChanged()
	p.UIDNumber = uid
	if _, err := tx.exec(`INSERT INTO people (id, login, given_name, family_name, display_name, profile, state,
		mail, service, must_change, delete_after, created_at, updated_at, uid_number)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13)`,
		p.ID, p.Login, p.GivenName, p.FamilyName, p.DisplayName, string(p.Profile), string(p.State),
		p.Mail, p.Service, p.MustChangePassword, nullMicros(p.DeleteAfter), micros(tx.now), uid); err != nil {
		return err
	}
	if err := tx.addEstablishments(p.ID, p.Establishments); err != nil {
		return err
	}
	for _, k := range sortedKeys(p.ExternalIDs) {
		if _, err := tx.exec(`INSERT INTO person_keys (person_id, kind, value) VALUES ($1, $2, $3)`,
			p.ID, k, p.ExternalIDs[k]); err != nil {
			return err
		}
	}
	attrs := []string{"login", "givenName", "familyName", "displayName", "profile", "state"}
	if p.Mail != "" {
		attrs = append(attrs, "mail")
	}
	if hash != "" {
		if _, err := tx.exec(`INSERT INTO credentials (person_id, hash, changed_at) VALUES ($1, $2, $3)`,
			p.ID, hash, micros(tx.now)); err != nil {
			return err
		}
		attrs = append(attrs, "password")
	}
	return tx.journal(journal.Entry{Chain: chainOf(p.Establishments), Action: "directory.person.create",
		TargetType: "person", TargetID: p.ID, TargetName: p.Login, Attributes: attrs})
}

func (tx *Tx) setEstablishments(personID string, ests []string) error {
	if _, err := tx.exec(`DELETE FROM person_establishments WHERE person_id = $1`, personID); err != nil {
		return err
	}
	return tx.addEstablishments(personID, ests)
}

// addEstablishments attaches a person (with none yet) to ests, in order.
func (tx *Tx) addEstablishments(personID string, ests []string) error {
	for i, est := range ests {
		if _, err := tx.exec(`INSERT INTO person_establishments (person_id, establishment_id, position) VALUES ($1, $2, $3)`,
			personID, est, i); err != nil {
			return err
		}
	}
	return nil
}

// next allocates n consecutive values of a counter and returns the first.
func (tx *Tx) next(counter string, n int64) (int64, error) {
	var last int64
	if err := tx.queryRow(`UPDATE counters SET value = value + $1 WHERE name = $2 RETURNING value`, n, counter).Scan(&last); err != nil {
		return 0, fmt.Errorf("allocating %s: %w", counter, err)
	}
	return last - n + 1, nil
}

// DirectoryVersion returns a number that grows with every change to what
// the LDAP view shows (people, groups, memberships, establishments).
func (db *DB) DirectoryVersion(ctx context.Context) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'directory'`).Scan(&n)
	return n, db.classify("store.DirectoryVersion", err)
}

func chainOf(ests []string) string {
	if len(ests) == 0 {
		return journal.DeploymentChain
	}
	return ests[0]
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
