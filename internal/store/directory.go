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
// Their rows go in many-row statements (see insertRows), a chunk of people
// at a time, each chunk's people before the rows that refer to them; each
// creation is journaled.
func (tx *Tx) createPeople(people []directory.NewPerson) error {
	if len(people) == 0 {
		return nil
	}
	first, err := tx.next("uid_number", int64(len(people)))
	if err != nil {
		return err
	}
	tx.directoryChanged()
	if tx.logins == nil {
		tx.logins = map[string]string{}
	}
	for start := 0; start < len(people); start += rowsPerInsert {
		chunk := people[start:min(start+rowsPerInsert, len(people))]
		if err := tx.insertPeople(chunk, first+int64(start)); err != nil {
			return err
		}
	}
	for _, np := range people {
		if np.Scope != nil && !np.Scope.IsZero() {
			if !np.Person.Service {
				return core.E("store.CreatePeople", core.Invalid, "%s is not a service account: it has no LDAP scope", np.Person.Login)
			}
			if err := tx.setServiceScope(np.Person, *np.Scope); err != nil {
				return err
			}
		}
	}
	return nil
}

var (
	peopleColumns = []string{"id", "login", "given_name", "family_name", "display_name", "profile", "state",
		"mail", "service", "must_change", "delete_after", "created_at", "updated_at", "uid_number"}
	personEstablishmentColumns = []string{"person_id", "establishment_id", "position"}
	personKeyColumns           = []string{"person_id", "kind", "value"}
	credentialColumns          = []string{"person_id", "hash", "changed_at"}
)

// createdAttributes are the attribute lists of directory.person.create
// entries, indexed by 1 for a mail address plus 2 for a password (shared:
// the journal only reads them).
var createdAttributes = [4][]string{
	{"login", "givenName", "familyName", "displayName", "profile", "state"},
	{"login", "givenName", "familyName", "displayName", "profile", "state", "mail"},
	{"login", "givenName", "familyName", "displayName", "profile", "state", "password"},
	{"login", "givenName", "familyName", "displayName", "profile", "state", "mail", "password"},
}

// insertPeople inserts a chunk of new people (uid numbers from firstUID)
// with their attachments, external keys and password hashes.
func (tx *Tx) insertPeople(chunk []directory.NewPerson, firstUID int64) error {
	now := micros(tx.now)
	people := make([]any, 0, len(chunk)*len(peopleColumns))
	ests := make([]any, 0, len(chunk)*len(personEstablishmentColumns))
	keys := make([]any, 0, 2*len(chunk)*len(personKeyColumns))
	creds := make([]any, 0, len(chunk)*len(credentialColumns))
	for i, np := range chunk {
		p := np.Person
		p.CreatedAt, p.UpdatedAt, p.UIDNumber = tx.now, tx.now, firstUID+int64(i)
		tx.logins[p.ID] = p.Login
		people = append(people, p.ID, p.Login, p.GivenName, p.FamilyName, p.DisplayName, string(p.Profile),
			string(p.State), p.Mail, p.Service, p.MustChangePassword, nullMicros(p.DeleteAfter), now, now, p.UIDNumber)
		for pos, est := range p.Establishments {
			ests = append(ests, p.ID, est, pos)
		}
		for _, k := range sortedKeys(p.ExternalIDs) {
			keys = append(keys, p.ID, k, p.ExternalIDs[k])
		}
		if np.PasswordHash != "" {
			creds = append(creds, p.ID, np.PasswordHash, now)
		}
	}
	for _, t := range []struct {
		table  string
		cols   []string
		values []any
	}{
		{"people", peopleColumns, people},
		{"person_establishments", personEstablishmentColumns, ests},
		{"person_keys", personKeyColumns, keys},
		{"credentials", credentialColumns, creds},
	} {
		if err := tx.insertRows(t.table, t.cols, "", t.values); err != nil {
			return err
		}
	}
	for _, np := range chunk {
		p := np.Person
		k := 0
		if p.Mail != "" {
			k |= 1
		}
		if np.PasswordHash != "" {
			k |= 2
		}
		attrs := createdAttributes[k]
		if err := tx.journal(journal.Entry{Chain: chainOf(p.Establishments), Action: "directory.person.create",
			TargetType: "person", TargetID: p.ID, TargetName: p.Login, Attributes: attrs}); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) setEstablishments(personID string, ests []string) error {
	if _, err := tx.exec(`DELETE FROM person_establishments WHERE person_id = $1`, personID); err != nil {
		return err
	}
	return tx.addEstablishments(personID, ests)
}

// addEstablishments attaches a person (with none yet) to ests, in order.
func (tx *Tx) addEstablishments(personID string, ests []string) error {
	values := make([]any, 0, 3*len(ests))
	for i, est := range ests {
		values = append(values, personID, est, i)
	}
	return tx.insertRows("person_establishments", personEstablishmentColumns, "", values)
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
