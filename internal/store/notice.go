// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/notify"
)

// type check
var _ notify.NoticeStore = (*DB)(nil)

// CreateNotice stores a portal notice.
func (db *DB) CreateNotice(ctx context.Context, n *notify.Notice) error {
	return db.write(ctx, "store.CreateNotice", func(tx *Tx) error {
		_, err := tx.exec(`INSERT INTO notices (id, person_id, at, subject, body) VALUES ($1, $2, $3, $4, $5)`,
			n.ID, n.PersonID, micros(n.At), n.Subject, n.Body)
		return err
	})
}

// FindNotices lists a person's notices, newest first (at most 50).
func (db *DB) FindNotices(ctx context.Context, personID string, unreadOnly bool) ([]*notify.Notice, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, person_id, at, subject, body, read_at FROM notices
		WHERE person_id = $1 AND ($2 = FALSE OR read_at IS NULL) ORDER BY at DESC LIMIT 50`, personID, unreadOnly)
	if err != nil {
		return nil, db.classify("store.FindNotices", err)
	}
	defer rows.Close()
	var out []*notify.Notice
	for rows.Next() {
		var n notify.Notice
		var at int64
		var read sql.NullInt64
		if err := rows.Scan(&n.ID, &n.PersonID, &at, &n.Subject, &n.Body, &read); err != nil {
			return nil, err
		}
		n.At, n.ReadAt = fromMicros(at), fromNullMicros(read)
		out = append(out, &n)
	}
	return out, rows.Err()
}

// MarkNoticeRead marks a notice of the person read.
func (db *DB) MarkNoticeRead(ctx context.Context, personID, id string) error {
	return db.write(ctx, "store.MarkNoticeRead", func(tx *Tx) error {
		res, err := tx.exec(`UPDATE notices SET read_at = $1 WHERE id = $2 AND person_id = $3 AND read_at IS NULL`,
			micros(tx.now), id, personID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.E("store.MarkNoticeRead", core.NotFound, "no such unread notice")
		}
		return nil
	})
}
