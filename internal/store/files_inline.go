// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
)

// Small file contents kept in the database (migration 0027, files.InlineMax).
const (
	insertInlineSQL = `INSERT INTO file_inline (content_key, data) VALUES ($1, $2)`
	readInlineSQL   = `SELECT data FROM file_inline WHERE content_key = $1`
	// dropInlineSQL deletes an inline content nothing refers to any more;
	// run in the transaction that dropped the last reference, after
	// lockInlineSQL (see shareContent).
	dropInlineSQL = `DELETE FROM file_inline WHERE content_key = $1
		AND NOT EXISTS (SELECT 1 FROM file_nodes WHERE blob_key = $1)
		AND NOT EXISTS (SELECT 1 FROM file_versions WHERE blob_key = $1)`
)

// ReadInline returns the content kept inline under key.
func (db *DB) ReadInline(ctx context.Context, key string) ([]byte, error) {
	const op = "store.ReadInline"
	var data []byte
	err := db.r.QueryRowContext(ctx, readInlineSQL, key).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E(op, core.NotFound, "stored content %s is missing", key)
	}
	if err != nil {
		return nil, db.classify(op, err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// insertInline stores an inline content.
func (tx *Tx) insertInline(key string, data []byte) error {
	if data == nil {
		data = []byte{} // NOT NULL: an empty file is an empty value
	}
	_, err := tx.exec(insertInlineSQL, key, data)
	return err
}

// Copies against deletions (PostgreSQL). A copy adds a reference to a
// content that its transaction read earlier; a concurrent transaction
// dropping the content's last other reference would not see the uncommitted
// copy and delete the content under it. So a transaction adding a reference
// first takes a share lock on the content, and one deleting it first takes
// the exclusive lock, then checks references in a new statement (READ
// COMMITTED: it sees what committed meanwhile). Whichever comes second
// waits for the first: the deletion then finds the copy's reference and
// keeps the content, or the copy finds the content gone and fails cleanly
// (Conflict) instead of pointing at nothing. An inline content's lock is
// its row's; a blob-store object has no row, so its lock is a transaction
// advisory lock on its key's hash, and its deletion is DropUnreferencedBlob.
// SQLite's single writer already runs them one after the other.
const (
	shareInlineSQL = `SELECT 1 FROM file_inline WHERE content_key = $1 FOR SHARE`
	lockInlineSQL  = `SELECT 1 FROM file_inline WHERE content_key = $1 FOR UPDATE`
	shareBlobSQL   = `SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))`
	lockBlobSQL    = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`
	blobUsedSQL    = `SELECT EXISTS (SELECT 1 FROM file_nodes WHERE blob_key = $1)
		OR EXISTS (SELECT 1 FROM file_versions WHERE blob_key = $1)`
)

// shareContent takes the share lock of a reference being added to key
// (PostgreSQL; nothing for a folder or on SQLite).
func (tx *Tx) shareContent(key string) error {
	if key == "" || tx.db.d.name != "postgres" {
		return nil
	}
	var found bool
	if files.IsInline(key) {
		var one int
		err := tx.queryRow(shareInlineSQL, key).Scan(&one)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		found = err == nil
	} else {
		if _, err := tx.exec(shareBlobSQL, key); err != nil {
			return err
		}
		// The copy's source is a committed reference unless a purge
		// committed since the copy read it (and may have dropped the object).
		if err := tx.queryRow(blobUsedSQL, key).Scan(&found); err != nil {
			return err
		}
	}
	if !found {
		return core.E("store.shareContent", core.Conflict, "the content being copied was deleted meanwhile; try again")
	}
	return nil
}

// DropUnreferencedBlob calls drop for a blob-store object when no node or
// version refers to key any more, and reports whether it did; an inline key
// has nothing to drop here (its row went with the transaction that dropped
// its last reference). On
// PostgreSQL it checks and drops under key's exclusive lock (see
// shareContent), so that a copy adding a reference meanwhile either
// commits first and keeps the object, or fails cleanly; on SQLite a copy
// cannot be in flight between the check and the drop of an object no
// committed row refers to, since its source is gone.
func (db *DB) DropUnreferencedBlob(ctx context.Context, key string, drop func(context.Context) error) (bool, error) {
	const op = "store.DropUnreferencedBlob"
	if key == "" || files.IsInline(key) {
		return false, nil
	}
	if db.d.name != "postgres" {
		var used bool
		if err := db.r.QueryRowContext(ctx, blobUsedSQL, key).Scan(&used); err != nil || used {
			return false, db.classify(op, err)
		}
		if err := drop(ctx); err != nil {
			return false, err
		}
		return true, nil
	}
	dropped := false
	err := db.write(ctx, op, func(tx *Tx) error {
		dropped = false
		if _, err := tx.exec(lockBlobSQL, key); err != nil {
			return err
		}
		var used bool
		if err := tx.queryRow(blobUsedSQL, key).Scan(&used); err != nil || used {
			return err
		}
		dropped = true
		return drop(ctx)
	})
	return dropped && err == nil, err
}

// lockInline takes the update locks of the inline contents among keys
// (PostgreSQL; see shareContent). A transaction that may drop the last
// reference to a content calls it as soon as it knows the keys, before it
// changes a space's usage: a copy takes its share lock before that too, so
// both take their locks in the same order and cannot deadlock.
func (tx *Tx) lockInline(keys []string) error {
	if tx.db.d.name != "postgres" {
		return nil
	}
	for _, k := range keys {
		if !files.IsInline(k) {
			continue
		}
		var one int
		if err := tx.queryRow(lockInlineSQL, k).Scan(&one); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return nil
}

// dropInline deletes the inline contents among keys that nothing refers to
// any more and returns the other keys (blob-store objects, for the caller
// to free after the commit). The caller took their locks first (lockInline).
func (tx *Tx) dropInline(keys []string) ([]string, error) {
	out := keys[:0:0]
	for _, k := range keys {
		if !files.IsInline(k) {
			out = append(out, k)
			continue
		}
		if _, err := tx.exec(dropInlineSQL, k); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// InlineContents calls fn for every content kept inline, in key order, with
// its length (for backups: the database holds them, and a snapshot also
// carries each one so that a restore by name finds it like a blob).
func (db *DB) InlineContents(ctx context.Context, fn func(key string, size int64) error) error {
	const op = "store.InlineContents"
	rows, err := db.r.QueryContext(ctx, `SELECT content_key, LENGTH(data) FROM file_inline ORDER BY content_key`)
	if err != nil {
		return db.classify(op, err)
	}
	type item struct {
		key  string
		size int64
	}
	var items []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.key, &it.size); err != nil {
			rows.Close()
			return db.classify(op, err)
		}
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return db.classify(op, err)
	}
	for _, it := range items {
		if err := fn(it.key, it.size); err != nil {
			return err
		}
	}
	return nil
}

// DropOrphanInline deletes the inline contents no node or version refers
// to (none should exist: the transaction dropping a last reference deletes
// its content). It returns how many it deleted.
func (db *DB) DropOrphanInline(ctx context.Context) (int, error) {
	const op = "store.DropOrphanInline"
	n := 0
	err := db.write(ctx, op, func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM file_inline WHERE NOT EXISTS (SELECT 1 FROM file_nodes
			WHERE blob_key = file_inline.content_key) AND NOT EXISTS (SELECT 1 FROM file_versions
			WHERE blob_key = file_inline.content_key)`)
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		n = int(k)
		return nil
	})
	return n, err
}
