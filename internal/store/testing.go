// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"fmt"

	"github.com/preau/preau/internal/journal"
)

// DropSchemaForTest drops a throwaway PostgreSQL schema. Tests only.
func (db *DB) DropSchemaForTest(ctx context.Context, schema string) error {
	if db.d.name != "postgres" || !validSchemaName(schema) {
		return fmt.Errorf("not a PostgreSQL test schema: %q", schema)
	}
	_, err := db.w.ExecContext(ctx, `DROP SCHEMA "`+schema+`" CASCADE`)
	return err
}

// ExecForTest runs raw SQL on the writer, to simulate tampering in tests.
func (db *DB) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := db.w.ExecContext(ctx, query, args...)
	return err
}

// Reopen returns a handle on the same database with another clock and
// journal key. Tests only.
func Reopen(db *DB, cfg Config) (*DB, error) {
	c := DB{d: db.d, w: db.w, r: db.r, path: db.path, clock: db.clock, log: db.log, key: db.key, stmts: db.stmts,
		group: db.group, groupStop: db.groupStop}
	if cfg.Clock != nil {
		c.clock = cfg.Clock
	}
	if cfg.JournalKey != nil {
		c.key = cfg.JournalKey
	}
	return &c, nil
}

// SetJournalingForBenchmark turns journal writes off (false) or on, so that
// a benchmark can measure what journaling costs. Never used outside
// benchmarks: every change must be journaled.
func (db *DB) SetJournalingForBenchmark(on bool) { db.noJournal = !on }

// MigrateForTest runs the migration step again. Tests only.
func MigrateForTest(ctx context.Context, db *DB) error { return db.migrate(ctx) }

// OpenAtVersionForTest opens a database migrated only up to version, as an
// older binary left it. Tests only.
func OpenAtVersionForTest(ctx context.Context, cfg Config, version int) (*DB, error) {
	cfg.migrateTo = version
	return Open(ctx, cfg)
}

// JournalThenCountForTest appends e and, in the same transaction, counts the
// entries of its chain: the transaction must see its own entry even when
// the entry is held back to travel with COMMIT. Tests only.
func (db *DB) JournalThenCountForTest(ctx context.Context, e journal.Entry) (int, error) {
	var n int
	err := db.write(ctx, "store.JournalThenCountForTest", func(tx *Tx) error {
		if err := tx.journal(e); err != nil {
			return err
		}
		return tx.queryRow(`SELECT COUNT(*) FROM journal WHERE chain = $1`, e.Chain).Scan(&n)
	})
	return n, err
}

// HoldWriterForTest starts a write transaction that waits until release is
// called, so that writes queue behind it (group commit tests). Tests only.
func (db *DB) HoldWriterForTest(ctx context.Context) (release func()) {
	held, done := make(chan struct{}), make(chan struct{})
	started := make(chan struct{})
	go func() {
		defer close(done)
		_ = db.write(ctx, "store.HoldWriterForTest", func(*Tx) error {
			close(started)
			<-held
			return nil
		})
	}()
	<-started
	return func() { close(held); <-done }
}

// afterCopyForTest, when set, runs inside CopyTree's transaction after the
// copied nodes are inserted (concurrency tests).
var afterCopyForTest func()

// SetAfterCopyForTest sets the hook CopyTree runs before it commits and
// returns a function putting the previous one back. Tests only.
func SetAfterCopyForTest(fn func()) (restore func()) {
	prev := afterCopyForTest
	afterCopyForTest = fn
	return func() { afterCopyForTest = prev }
}

// beforeShareForTest, when set, runs inside CopyTree's transaction after
// it read the nodes to copy and before it locks their contents
// (concurrency tests).
var beforeShareForTest func()

// SetBeforeShareForTest sets that hook and returns a function putting the
// previous one back. Tests only.
func SetBeforeShareForTest(fn func()) (restore func()) {
	prev := beforeShareForTest
	beforeShareForTest = fn
	return func() { beforeShareForTest = prev }
}

// LockWaitersForTest counts the PostgreSQL sessions of this database
// waiting for a lock (0 on SQLite). Tests only.
func (db *DB) LockWaitersForTest(ctx context.Context) int {
	if db.d.name != "postgres" {
		return 0
	}
	var n int
	_ = db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
		WHERE wait_event_type = 'Lock' AND datname = current_database()`).Scan(&n)
	return n
}
