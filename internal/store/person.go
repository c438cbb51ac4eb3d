// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

const personColumns = `p.id, p.login, p.given_name, p.family_name, p.display_name, p.profile, p.state,
	p.mail, p.service, p.must_change, p.delete_after, p.created_at, p.updated_at, p.uid_number`

func scanPerson(sc interface{ Scan(...any) error }) (*directory.Person, error) {
	var p directory.Person
	var profile, state string
	var del sql.NullInt64
	var created, updated int64
	var uid sql.NullInt64
	if err := sc.Scan(&p.ID, &p.Login, &p.GivenName, &p.FamilyName, &p.DisplayName, &profile, &state,
		&p.Mail, &p.Service, &p.MustChangePassword, &del, &created, &updated, &uid); err != nil {
		return nil, err
	}
	p.Profile, p.State = core.Profile(profile), directory.State(state)
	p.DeleteAfter = fromNullMicros(del)
	p.UIDNumber = uid.Int64
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &p, nil
}

// FindPerson returns a person by ID, with establishments and external IDs.
func (db *DB) FindPerson(ctx context.Context, id string) (*directory.Person, error) {
	return db.findPerson(ctx, "p.id = $1", id)
}

// FindPersonByLogin returns a person by login (case-insensitive).
func (db *DB) FindPersonByLogin(ctx context.Context, login string) (*directory.Person, error) {
	return db.findPerson(ctx, "p.login = $1", strings.ToLower(strings.TrimSpace(login)))
}

func (db *DB) findPerson(ctx context.Context, where string, arg any) (*directory.Person, error) {
	p, err := scanPerson(db.r.QueryRowContext(ctx, `SELECT `+personColumns+` FROM people p WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E("store.FindPerson", core.NotFound, "no such person")
	}
	if err != nil {
		return nil, db.classify("store.FindPerson", err)
	}
	if err := db.loadPersonDetails(ctx, []*directory.Person{p}); err != nil {
		return nil, err
	}
	return p, nil
}

// loadPersonDetails fills establishments and external IDs of people.
func (db *DB) loadPersonDetails(ctx context.Context, people []*directory.Person) error {
	if len(people) == 0 {
		return nil
	}
	byID := make(map[string]*directory.Person, len(people))
	args := make([]any, len(people))
	ph := make([]string, len(people))
	for i, p := range people {
		byID[p.ID] = p
		p.ExternalIDs = map[string]string{}
		args[i] = p.ID
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	in := strings.Join(ph, ", ")
	rows, err := db.r.QueryContext(ctx, `SELECT person_id, establishment_id FROM person_establishments
		WHERE person_id IN (`+in+`) ORDER BY person_id, position`, args...)
	if err != nil {
		return db.classify("store.loadPersonDetails", err)
	}
	for rows.Next() {
		var pid, est string
		if err := rows.Scan(&pid, &est); err != nil {
			rows.Close()
			return err
		}
		byID[pid].Establishments = append(byID[pid].Establishments, est)
	}
	rows.Close()
	rows, err = db.r.QueryContext(ctx, `SELECT person_id, kind, value FROM person_keys WHERE person_id IN (`+in+`)`, args...)
	if err != nil {
		return db.classify("store.loadPersonDetails", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid, k, v string
		if err := rows.Scan(&pid, &k, &v); err != nil {
			return err
		}
		byID[pid].ExternalIDs[k] = v
	}
	return rows.Err()
}

// FindPeople searches people and returns one page and the total count.
func (db *DB) FindPeople(ctx context.Context, f directory.PersonFilter) ([]*directory.Person, int, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Establishments != nil {
		if len(f.Establishments) == 0 {
			return nil, 0, nil
		}
		ph := make([]string, len(f.Establishments))
		for i, e := range f.Establishments {
			ph[i] = arg(e)
		}
		where = append(where, `EXISTS (SELECT 1 FROM person_establishments pe WHERE pe.person_id = p.id
			AND pe.establishment_id IN (`+strings.Join(ph, ", ")+`))`)
	}
	if f.Profile != "" {
		where = append(where, "p.profile = "+arg(f.Profile))
	}
	if f.State != "" {
		where = append(where, "p.state = "+arg(f.State))
	}
	if f.Service {
		where = append(where, "p.service = TRUE")
	}
	if f.Group != "" {
		// Driven from the group's memberships: a class is a few dozen rows.
		role := ""
		if f.Role != "" {
			role = " AND m.role = " + arg(f.Role)
		}
		where = append(where, "p.id IN (SELECT m.person_id FROM memberships m WHERE m.group_id = "+arg(f.Group)+role+")")
	}
	if q := strings.ToLower(strings.TrimSpace(f.Query)); q != "" {
		a := arg(likePrefix(q))
		where = append(where, "(lower(p.login) LIKE "+a+" ESCAPE '\\' OR lower(p.given_name) LIKE "+a+
			" ESCAPE '\\' OR lower(p.family_name) LIKE "+a+" ESCAPE '\\' OR lower(p.display_name) LIKE "+a+" ESCAPE '\\')")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	count := `SELECT COUNT(*) FROM people p` + cond
	if len(where) == 1 && len(f.Establishments) == 1 {
		// The whole establishment: its attachment index counts it.
		count = `SELECT COUNT(*) FROM person_establishments WHERE establishment_id = $1`
	}
	if err := db.r.QueryRowContext(ctx, count, args...).Scan(&total); err != nil {
		return nil, 0, db.classify("store.FindPeople", err)
	}
	order := "p.family_name, p.given_name, p.login"
	switch f.Sort {
	case "login":
		order = "p.login"
	case "created":
		order = "p.created_at DESC, p.login"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	// The page's IDs are found first, sorting narrow rows (a deferred join):
	// deep pages skip thousands of rows that are never read in full.
	q := `SELECT ` + personColumns + ` FROM people p JOIN (SELECT p.id FROM people p` + cond + ` ORDER BY ` + order +
		` LIMIT ` + arg(limit) + ` OFFSET ` + arg(max(f.Offset, 0)) + `) page ON page.id = p.id ORDER BY ` + order
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, db.classify("store.FindPeople", err)
	}
	defer rows.Close()
	var out []*directory.Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, 0, db.classify("store.FindPeople", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, db.classify("store.FindPeople", err)
	}
	return out, total, db.loadPersonDetails(ctx, out)
}

// UpdatePerson applies upd and journals the names of the changed attributes.
func (db *DB) UpdatePerson(ctx context.Context, id string, upd directory.PersonUpdate) (*directory.Person, error) {
	var p *directory.Person
	err := db.write(ctx, "store.UpdatePerson", func(tx *Tx) (err error) {
		p, err = tx.updatePerson(id, upd)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, db.loadPersonDetails(ctx, []*directory.Person{p})
}

// updatePerson applies upd inside tx, journals it and returns the person
// (without external IDs).
func (tx *Tx) updatePerson(id string, upd directory.PersonUpdate) (*directory.Person, error) {
	var sets []string
	var args []any
	set := func(col string, v any) {
		args = append(args, v)
		sets = append(sets, fmt.Sprintf("%s = $%d", col, len(args)))
	}
	if upd.GivenName != nil {
		set("given_name", *upd.GivenName)
	}
	if upd.FamilyName != nil {
		set("family_name", *upd.FamilyName)
	}
	if upd.DisplayName != nil {
		set("display_name", *upd.DisplayName)
	}
	if upd.Profile != nil {
		set("profile", *upd.Profile)
	}
	if upd.State != nil {
		set("state", string(*upd.State))
	}
	if upd.DeleteAfter != nil {
		set("delete_after", nullMicros(*upd.DeleteAfter))
	}
	if upd.Mail != nil {
		set("mail", *upd.Mail)
	}
	if upd.MustChangePassword != nil {
		set("must_change", *upd.MustChangePassword)
	}
	set("updated_at", micros(tx.now))
	tx.directoryChanged()
	args = append(args, id)
	res, err := tx.exec(`UPDATE people SET `+strings.Join(sets, ", ")+fmt.Sprintf(` WHERE id = $%d`, len(args)), args...)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, core.E("store.UpdatePerson", core.NotFound, "no such person")
	}
	if upd.Establishments != nil {
		if err := tx.setEstablishments(id, *upd.Establishments); err != nil {
			return nil, err
		}
	}
	for _, k := range sortedKeys(upd.ExternalIDs) {
		if _, err := tx.exec(`DELETE FROM person_keys WHERE person_id = $1 AND kind = $2`, id, k); err != nil {
			return nil, err
		}
		if v := upd.ExternalIDs[k]; v != "" {
			if _, err := tx.exec(`INSERT INTO person_keys (person_id, kind, value) VALUES ($1, $2, $3)`, id, k, v); err != nil {
				return nil, err
			}
		}
	}
	if upd.PasswordHash != nil {
		if err := tx.setPasswordHash(id, *upd.PasswordHash); err != nil {
			return nil, err
		}
	}
	if upd.State != nil && *upd.State != directory.Active {
		if _, err := tx.exec(`DELETE FROM sessions WHERE person_id = $1`, id); err != nil {
			return nil, err
		}
	}
	p, err := scanPerson(tx.queryRow(`SELECT `+personColumns+` FROM people p WHERE p.id = $1`, id))
	if err != nil {
		return nil, err
	}
	ests, err := tx.personEstablishments(id)
	if err != nil {
		return nil, err
	}
	p.Establishments = ests
	return p, tx.journal(journal.Entry{Chain: chainOf(ests), Action: "directory.person.update",
		TargetType: "person", TargetID: id, TargetName: p.Login, Attributes: upd.Attributes()})
}

func (tx *Tx) personEstablishments(id string) ([]string, error) {
	rows, err := tx.query(`SELECT establishment_id FROM person_establishments WHERE person_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (tx *Tx) setPasswordHash(id, hash string) error {
	_, err := tx.exec(`INSERT INTO credentials (person_id, hash, changed_at) VALUES ($1, $2, $3)
		ON CONFLICT (person_id) DO UPDATE SET hash = excluded.hash, changed_at = excluded.changed_at`,
		id, hash, micros(tx.now))
	return err
}

// DeleteExpired deletes the people whose deletion date has passed (leavers
// disabled by an import, accounts scheduled for deletion), journaling each
// deletion, in one transaction per person. It returns how many it deleted.
// Their memberships, sessions, password hash and join keys go with them.
func (db *DB) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT p.id FROM people p WHERE p.delete_after IS NOT NULL
		AND p.delete_after < $1 AND p.state <> 'active' ORDER BY p.delete_after LIMIT 10000`, micros(now))
	if err != nil {
		return 0, db.classify("store.DeleteExpired", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	n := 0
	for _, id := range ids {
		err := db.write(ctx, "store.DeleteExpired", func(tx *Tx) error {
			var login string
			if err := tx.queryRow(`SELECT login FROM people WHERE id = $1`, id).Scan(&login); err != nil {
				return err
			}
			ests, err := tx.personEstablishments(id)
			if err != nil {
				return err
			}
			if _, err := tx.exec(`DELETE FROM people WHERE id = $1`, id); err != nil {
				return err
			}
			tx.directoryChanged()
			return tx.journal(journal.Entry{Chain: chainOf(ests), Action: "directory.person.delete", TargetType: "person",
				TargetID: id, TargetName: login, Reason: "grace period after leaving ended"})
		})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
