// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// ApplyImport applies an import plan in one transaction: new groups, new
// people (with their initial password hashes), updates, membership changes,
// each journaled, then the run's own summary entry. All or nothing. The
// entries are the operator's, under the job identity "job:import/<id>"
// (their reason, and an attribute of the summary; INF-ANN-4).
func (db *DB) ApplyImport(ctx context.Context, c *directory.ImportChanges) error {
	return db.write(ctx, "store.ApplyImport", func(tx *Tx) error {
		tx.bulkMode()
		tx.job = "job:import/" + core.NewID()
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
		if err := tx.endPictureLogins(c.EndPictureLogins, c.Run); err != nil {
			return err
		}
		for _, m := range c.RemoveMembers {
			if err := tx.removeMember(m); err != nil {
				return err
			}
		}
		if err := tx.addMembers(c.AddMembers); err != nil {
			return err
		}
		run := c.Run
		run.Attributes = append(slices.Clip(run.Attributes), tx.job)
		return tx.journal(run)
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

// endPictureLogins turns picture login off for classes a rollover
// archives: the board code and the picture secrets of the class's pupils
// go (their sequences were on cards of that class), each journaled as
// auth.picture.disable with the run's reason.
func (tx *Tx) endPictureLogins(groupIDs []string, run journal.Entry) error {
	for _, gid := range groupIDs {
		var est, code string
		if err := tx.queryRow(`SELECT establishment_id, code FROM school_groups WHERE id = $1`, gid).Scan(&est, &code); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM picture_secrets WHERE person_id IN
			(SELECT person_id FROM memberships WHERE group_id = $1 AND role = 'member')`, gid); err != nil {
			return err
		}
		res, err := tx.exec(`DELETE FROM picture_classes WHERE group_id = $1`, gid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		tx.directoryChanged()
		if err := tx.journal(journal.Entry{Chain: est, Action: "auth.picture.disable", TargetType: "group",
			TargetID: gid, TargetName: code, Reason: run.Reason}); err != nil {
			return err
		}
	}
	return nil
}

// PictureLoginGroups lists the IDs of an establishment's classes that
// have picture login on (for the rollover's preview).
func (db *DB) PictureLoginGroups(ctx context.Context, establishment string) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT pc.group_id FROM picture_classes pc JOIN school_groups g ON g.id = pc.group_id
		WHERE g.establishment_id = $1 ORDER BY pc.group_id`, establishment)
	if err != nil {
		return nil, db.classify("store.PictureLoginGroups", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
