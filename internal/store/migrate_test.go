// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/store"
)

// TestRefusesNewerDatabase: a binary refuses a database whose schema is
// newer than itself, with a message that says what to do.
func TestRefusesNewerDatabase(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		if err := db.ExecForTest(context.Background(), `INSERT INTO schema_migrations (version, name, applied_at)
			VALUES ($1, 'from_the_future', 0)`, store.SchemaVersion()+1); err != nil {
			t.Fatal(err)
		}
		_, err := store.Reopen(db, store.Config{})
		if err != nil {
			t.Fatal(err)
		}
		err = store.MigrateForTest(context.Background(), db)
		if core.KindOf(err) != core.Conflict || !strings.Contains(err.Error(), "run a newer preau") {
			t.Fatalf("newer database: %v", err)
		}
	})
}

// TestSQLiteCopiedBeforeMigrating: an existing SQLite database is copied
// beside itself before a pending migration runs, and the copy opens.
func TestSQLiteCopiedBeforeMigrating(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: dir, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	// Pretend the last migration is pending: forget it and drop what it made.
	last := store.SchemaVersion()
	if err := db.ExecForTest(ctx, `DELETE FROM schema_migrations WHERE version = $1`, last); err != nil {
		t.Fatal(err)
	}
	if last == 1 {
		if err := store.DropAllForTest(ctx, db); err != nil {
			t.Fatal(err)
		}
		// Keep one applied version so that the file counts as existing data.
		if err := db.ExecForTest(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (0, 'base', 0)`); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db, err = store.Open(ctx, store.Config{DataDir: dir, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	copies, _ := filepath.Glob(filepath.Join(dir, "preau.db.pre-v*"))
	if len(copies) != 1 {
		t.Fatalf("want one copy before migrating, got %v", copies)
	}
	if fi, err := os.Stat(copies[0]); err != nil || fi.Size() == 0 {
		t.Fatalf("copy: %v", err)
	}
}
