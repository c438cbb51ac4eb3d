// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"fmt"
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
	c := *db
	c.closers = nil
	if cfg.Clock != nil {
		c.clock = cfg.Clock
	}
	if cfg.JournalKey != nil {
		c.key = cfg.JournalKey
	}
	return &c, nil
}
