// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/preau/preau/internal/auth/picture"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// type check
var _ picture.Store = (*DB)(nil)

const pictureClassColumns = `group_id, code, grid_size, sequence_length, enabled_by, enabled_at`

func scanPictureClass(sc interface{ Scan(...any) error }) (*picture.Class, error) {
	var c picture.Class
	var at int64
	if err := sc.Scan(&c.GroupID, &c.Code, &c.GridSize, &c.Length, &c.EnabledBy, &at); err != nil {
		return nil, err
	}
	c.EnabledAt = fromMicros(at)
	return &c, nil
}

// FindPictureClass returns the picture class of a group.
func (db *DB) FindPictureClass(ctx context.Context, groupID string) (*picture.Class, error) {
	return db.findPictureClass(ctx, "store.FindPictureClass", `group_id`, groupID)
}

// FindPictureClassByCode returns the picture class of a board code.
func (db *DB) FindPictureClassByCode(ctx context.Context, code string) (*picture.Class, error) {
	return db.findPictureClass(ctx, "store.FindPictureClassByCode", `code`, code)
}

func (db *DB) findPictureClass(ctx context.Context, op, column, value string) (*picture.Class, error) {
	c, err := scanPictureClass(db.r.QueryRowContext(ctx,
		`SELECT `+pictureClassColumns+` FROM picture_classes WHERE `+column+` = $1`, value))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E(op, core.NotFound, "picture login is not on for this class")
	}
	return c, db.classify(op, err)
}

// FindPictureClasses returns the picture classes among groupIDs.
func (db *DB) FindPictureClasses(ctx context.Context, groupIDs []string) ([]*picture.Class, error) {
	const op = "store.FindPictureClasses"
	if len(groupIDs) == 0 {
		return nil, nil
	}
	ph := make([]string, len(groupIDs))
	args := make([]any, len(groupIDs))
	for i, id := range groupIDs {
		ph[i], args[i] = fmt.Sprintf("$%d", i+1), id
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+pictureClassColumns+` FROM picture_classes
		WHERE group_id IN (`+strings.Join(ph, ", ")+`) ORDER BY group_id`, args...)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*picture.Class
	for rows.Next() {
		c, err := scanPictureClass(rows)
		if err != nil {
			return nil, db.classify(op, err)
		}
		out = append(out, c)
	}
	return out, db.classify(op, rows.Err())
}

// FindPictureSecrets returns the picture secrets of the members of a group.
func (db *DB) FindPictureSecrets(ctx context.Context, groupID string) ([]*picture.Secret, error) {
	const op = "store.FindPictureSecrets"
	rows, err := db.r.QueryContext(ctx, `SELECT s.person_id, s.avatar, s.hash, s.changed_at
		FROM picture_secrets s JOIN memberships m ON m.person_id = s.person_id
		WHERE m.group_id = $1 AND m.role = 'member' ORDER BY s.person_id`, groupID)
	if err != nil {
		return nil, db.classify(op, err)
	}
	defer rows.Close()
	var out []*picture.Secret
	for rows.Next() {
		var s picture.Secret
		var at int64
		if err := rows.Scan(&s.PersonID, &s.Avatar, &s.Hash, &at); err != nil {
			return nil, db.classify(op, err)
		}
		s.ChangedAt = fromMicros(at)
		out = append(out, &s)
	}
	return out, db.classify(op, rows.Err())
}

// EnablePictureClass turns picture login on for a class with its pupils'
// secrets and journals es, in one transaction. Errors: core.Conflict when
// the class has it on already, core.Exists when the code is taken.
func (db *DB) EnablePictureClass(ctx context.Context, c *picture.Class, secrets []*picture.Secret, es []journal.Entry) error {
	const op = "store.EnablePictureClass"
	return db.write(ctx, op, func(tx *Tx) error {
		var one int
		err := tx.queryRow(`SELECT 1 FROM picture_classes WHERE group_id = $1`, c.GroupID).Scan(&one)
		if err == nil {
			return core.E(op, core.Conflict, "picture login is already on for this class")
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.exec(`INSERT INTO picture_classes (`+pictureClassColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			c.GroupID, c.Code, c.GridSize, c.Length, c.EnabledBy, micros(c.EnabledAt)); err != nil {
			if core.KindOf(db.classify(op, err)) == core.Exists {
				return core.E(op, core.Exists, "this class code is taken")
			}
			return err
		}
		return tx.putPictureSecrets(secrets, es)
	})
}

// PutPictureSecrets creates or replaces picture secrets and journals es,
// in one transaction.
func (db *DB) PutPictureSecrets(ctx context.Context, secrets []*picture.Secret, es []journal.Entry) error {
	return db.write(ctx, "store.PutPictureSecrets", func(tx *Tx) error { return tx.putPictureSecrets(secrets, es) })
}

func (tx *Tx) putPictureSecrets(secrets []*picture.Secret, es []journal.Entry) error {
	for _, s := range secrets {
		if _, err := tx.exec(`INSERT INTO picture_secrets (person_id, avatar, hash, changed_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (person_id) DO UPDATE SET avatar = excluded.avatar, hash = excluded.hash,
				changed_at = excluded.changed_at`, s.PersonID, s.Avatar, s.Hash, micros(s.ChangedAt)); err != nil {
			return err
		}
	}
	for _, e := range es {
		if err := tx.journal(e); err != nil {
			return err
		}
	}
	return nil
}

// DisablePictureClass turns picture login off for a class: the class row
// and the picture secrets of its members go, and e is journaled.
func (db *DB) DisablePictureClass(ctx context.Context, groupID string, e journal.Entry) error {
	const op = "store.DisablePictureClass"
	return db.write(ctx, op, func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM picture_classes WHERE group_id = $1`, groupID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E(op, core.NotFound, "picture login is not on for this class")
		}
		if _, err := tx.exec(`DELETE FROM picture_secrets WHERE person_id IN
			(SELECT person_id FROM memberships WHERE group_id = $1 AND role = 'member')`, groupID); err != nil {
			return err
		}
		return tx.journal(e)
	})
}
