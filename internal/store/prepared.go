// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"fmt"
)

// hotStatements are run in (nearly) every write transaction: they are
// prepared once at Open. database/sql then prepares each on a connection the
// first time a transaction on that connection uses it, and keeps it there;
// on SQLite (one writer connection) that is once per process.
var hotStatements = []string{insertJournal, moveHead,
	// a file upload's commit (CommitFile), hundreds a second in a class
	liveParentQuery, findLiveChild, insertNodeSQL, addUsageSQL, addUsageReturning, insertInlineSQL}

// prepareHot prepares hotStatements on the writer. It must run before any
// transaction: preparing needs a connection, and on SQLite the only writer
// connection is held by an open transaction.
func (db *DB) prepareHot(ctx context.Context) error {
	db.stmts = make(map[string]*sql.Stmt, len(hotStatements))
	for _, q := range hotStatements {
		text, _ := db.forDriver(q, nil)
		st, err := db.w.PrepareContext(ctx, text)
		if err != nil {
			return fmt.Errorf("preparing statements: %w", err)
		}
		db.stmts[q] = st
	}
	db.closers = append(db.closers, func() error {
		for _, st := range db.stmts {
			st.Close()
		}
		return nil
	})
	return nil
}

// readRow runs a read query (prepared once on SQLite: see reader).
func (db *DB) readRow(ctx context.Context, q string, args ...any) *sql.Row {
	return db.r.QueryRowContext(ctx, q, args...)
}

// readRows runs a read query (prepared once on SQLite: see reader).
func (db *DB) readRows(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return db.r.QueryContext(ctx, q, args...)
}
