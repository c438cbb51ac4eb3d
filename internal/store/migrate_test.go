// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"fmt"
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
	last := store.SchemaVersion()
	if last < 2 {
		t.Skip("needs two migrations")
	}
	db, err := store.OpenAtVersionForTest(ctx, store.Config{DataDir: dir, Log: quiet}, last-1)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = store.Open(ctx, store.Config{DataDir: dir, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	copies, _ := filepath.Glob(filepath.Join(dir, "preau.db.pre-v*"))
	if len(copies) != 1 || !strings.HasSuffix(copies[0], fmt.Sprintf(".pre-v%d", last)) {
		t.Fatalf("want one copy before migrating to %d, got %v", last, copies)
	}
	old, err := store.OpenAtVersionForTest(ctx, store.Config{DSN: copies[0], Log: quiet}, last-1)
	if err != nil {
		t.Fatalf("the copy does not open: %v", err)
	}
	old.Close()
}
