// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/preau/preau/internal/directory"
)

// ApplyImport applies an import plan in one transaction: new groups, new
// people (with their initial password hashes), updates, membership changes,
// each journaled, then the run's own summary entry. All or nothing.
func (db *DB) ApplyImport(ctx context.Context, c *directory.ImportChanges) error {
	return db.write(ctx, "store.ApplyImport", func(tx *Tx) error {
		tx.bulkMode()
		if err := tx.createGroups(c.NewGroups); err != nil {
			return err
		}
		if err := tx.createPeople(c.NewPeople); err != nil {
			return err
		}
		for _, u := range c.Updates {
			if _, err := tx.updatePerson(u.PersonID, u.Update); err != nil {
				return err
			}
		}
		for _, m := range c.RemoveMembers {
			if err := tx.removeMember(m); err != nil {
				return err
			}
		}
		if err := tx.addMembers(c.AddMembers); err != nil {
			return err
		}
		return tx.journal(c.Run)
	})
}

// LoginsTaken returns which of the candidate logins already exist.
func (db *DB) LoginsTaken(ctx context.Context, candidates []string) (map[string]bool, error) {
	taken := map[string]bool{}
	for i := 0; i < len(candidates); i += 500 {
		chunk := candidates[i:min(i+500, len(candidates))]
		args := make([]any, len(chunk))
		ph := make([]string, len(chunk))
		for j, c := range chunk {
			args[j] = c
			ph[j] = "$" + strconv.Itoa(j+1)
		}
		rows, err := db.r.QueryContext(ctx, `SELECT login FROM people WHERE login IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return nil, db.classify("store.LoginsTaken", err)
		}
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				rows.Close()
				return nil, err
			}
			taken[l] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return taken, nil
}
