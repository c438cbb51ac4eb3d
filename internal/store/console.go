// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// The admin console's writes and reads on groups beyond what imports need.

// UpdateGroup changes a group's name or level and journals the names of the
// changed attributes.
func (db *DB) UpdateGroup(ctx context.Context, id string, upd directory.GroupUpdate) (*directory.Group, error) {
	attrs := upd.Attributes()
	if len(attrs) == 0 {
		return nil, core.E("store.UpdateGroup", core.Invalid, "nothing to change")
	}
	err := db.write(ctx, "store.UpdateGroup", func(tx *Tx) error {
		sets, args := []string{}, []any{}
		set := func(col string, v any) {
			args = append(args, v)
			sets = append(sets, fmt.Sprintf("%s = $%d", col, len(args)))
		}
		if upd.Name != nil {
			set("name", *upd.Name)
		}
		if upd.Level != nil {
			set("level", *upd.Level)
		}
		set("updated_at", micros(tx.now))
		args = append(args, id)
		var est, code string
		err := tx.queryRow(`UPDATE school_groups SET `+strings.Join(sets, ", ")+fmt.Sprintf(` WHERE id = $%d`, len(args))+
			` RETURNING establishment_id, code`, args...).Scan(&est, &code)
		if err == sql.ErrNoRows {
			return core.E("store.UpdateGroup", core.NotFound, "no such group")
		}
		if err != nil {
			return err
		}
		tx.directoryChanged()
		return tx.journal(journal.Entry{Chain: est, Action: "directory.group.update", TargetType: "group",
			TargetID: id, TargetName: code, Attributes: attrs})
	})
	if err != nil {
		return nil, err
	}
	gs, err := db.FindGroups(ctx, directory.GroupFilter{ID: id})
	if err != nil || len(gs) == 0 {
		return nil, db.classify("store.UpdateGroup", err)
	}
	return gs[0], nil
}

// DeleteGroup deletes a group with its memberships and journals it, with
// the number of memberships that went with it.
func (db *DB) DeleteGroup(ctx context.Context, id string) error {
	return db.write(ctx, "store.DeleteGroup", func(tx *Tx) error {
		var est, code string
		var n int
		err := tx.queryRow(`SELECT g.establishment_id, g.code, (SELECT COUNT(*) FROM memberships m WHERE m.group_id = g.id)
			FROM school_groups g WHERE g.id = $1`, id).Scan(&est, &code, &n)
		if err == sql.ErrNoRows {
			return core.E("store.DeleteGroup", core.NotFound, "no such group")
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM memberships WHERE group_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM school_groups WHERE id = $1`, id); err != nil {
			return err
		}
		tx.directoryChanged()
		return tx.journal(journal.Entry{Chain: est, Action: "directory.group.delete", TargetType: "group",
			TargetID: id, TargetName: code, Reason: fmt.Sprintf("%d memberships removed", n)})
	})
}

// MoveToClass makes a person a member of classID and of no other class of the
// same establishment and school year: the removals and the addition are
// journaled one by one, in one transaction.
func (db *DB) MoveToClass(ctx context.Context, personID, classID string) error {
	return db.write(ctx, "store.MoveToClass", func(tx *Tx) error {
		var est string
		var year int
		err := tx.queryRow(`SELECT establishment_id, school_year FROM school_groups WHERE id = $1 AND kind = 'class'`,
			classID).Scan(&est, &year)
		if err == sql.ErrNoRows {
			return core.E("store.MoveToClass", core.NotFound, "no such class")
		}
		if err != nil {
			return err
		}
		rows, err := tx.query(`SELECT m.group_id FROM memberships m JOIN school_groups g ON g.id = m.group_id
			WHERE m.person_id = $1 AND m.role = 'member' AND g.kind = 'class' AND g.establishment_id = $2
			AND g.school_year = $3 AND g.id <> $4`, personID, est, year, classID)
		if err != nil {
			return err
		}
		var old []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			old = append(old, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, g := range old {
			if err := tx.removeMember(directory.Membership{GroupID: g, PersonID: personID, Role: directory.RoleMember}); err != nil {
				return err
			}
		}
		return tx.addMembers([]directory.Membership{{GroupID: classID, PersonID: personID, Role: directory.RoleMember}})
	})
}

// PeopleClasses returns, for each of the given people, the codes of the
// classes of schoolYear they are a member of (comma-separated, by code), for
// the class column of the people list.
func (db *DB) PeopleClasses(ctx context.Context, ids []string, schoolYear int) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{schoolYear}
	ph := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		ph[i] = fmt.Sprintf("$%d", len(args))
	}
	rows, err := db.r.QueryContext(ctx, `SELECT m.person_id, g.code FROM memberships m JOIN school_groups g ON g.id = m.group_id
		WHERE m.role = 'member' AND g.kind = 'class' AND g.school_year = $1 AND m.person_id IN (`+strings.Join(ph, ", ")+`)
		ORDER BY m.person_id, g.code`, args...)
	if err != nil {
		return nil, db.classify("store.PeopleClasses", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid, code string
		if err := rows.Scan(&pid, &code); err != nil {
			return nil, db.classify("store.PeopleClasses", err)
		}
		if out[pid] != "" {
			out[pid] += ", "
		}
		out[pid] += code
	}
	return out, db.classify("store.PeopleClasses", rows.Err())
}

// ListEstablishments lists establishments by UAI, without counts; ids, when
// not nil, restricts the list to those IDs.
func (db *DB) ListEstablishments(ctx context.Context, ids []string) ([]*directory.Establishment, error) {
	if ids != nil && len(ids) == 0 {
		return nil, nil
	}
	q := `SELECT ` + establishmentColumns + ` FROM establishments`
	var args []any
	if ids != nil {
		ph := make([]string, len(ids))
		for i, id := range ids {
			args = append(args, id)
			ph[i] = fmt.Sprintf("$%d", i+1)
		}
		q += ` WHERE id IN (` + strings.Join(ph, ", ") + `)`
	}
	rows, err := db.r.QueryContext(ctx, q+` ORDER BY uai`, args...)
	if err != nil {
		return nil, db.classify("store.ListEstablishments", err)
	}
	defer rows.Close()
	var out []*directory.Establishment
	for rows.Next() {
		e, err := scanEstablishment(rows)
		if err != nil {
			return nil, db.classify("store.ListEstablishments", err)
		}
		out = append(out, e)
	}
	return out, db.classify("store.ListEstablishments", rows.Err())
}
