// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

var quiet = slog.New(slog.DiscardHandler)

// backend opens fresh, empty databases of one dialect.
type backend struct {
	name string
	open func(testing.TB) *store.DB
}

// backends returns SQLite always and PostgreSQL when PREAU_TEST_POSTGRES_DSN
// is set. Under PREAU_TEST_STRICT=1 a missing PostgreSQL fails the test.
func backends(t testing.TB) []backend {
	bs := []backend{{"sqlite", openSQLite}}
	if dsn := os.Getenv("PREAU_TEST_POSTGRES_DSN"); dsn != "" {
		bs = append(bs, backend{"postgres", func(t testing.TB) *store.DB { return openPostgres(t, dsn) }})
	} else if os.Getenv("PREAU_TEST_STRICT") == "1" {
		t.Error("PREAU_TEST_POSTGRES_DSN is not set: the PostgreSQL store suite cannot run (PREAU_TEST_STRICT=1)")
	} else {
		t.Log("PREAU_TEST_POSTGRES_DSN not set: skipping the PostgreSQL back end")
	}
	return bs
}

func openSQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir(), Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openPostgres opens a throwaway schema, dropped at the end of the test.
func openPostgres(t testing.TB, dsn string) *store.DB {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	db, err := store.Open(context.Background(), store.Config{DSN: dsn, Schema: schema, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = db.DropSchemaForTest(context.Background(), schema)
		db.Close()
	})
	return db
}

func forEachBackend(t *testing.T, fn func(t *testing.T, open func(testing.TB) *store.DB)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { fn(t, b.open) })
	}
}

func TestDirectoryStoreSuite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		dirtest.StoreSuite(t, func(t *testing.T) dirtest.Harness {
			db := open(t)
			return dirtest.Harness{Store: db, Journal: func(ctx context.Context, f journal.Filter) ([]*journal.Entry, error) {
				return db.FindJournal(ctx, f)
			}}
		})
	})
}

// TestMigrationsHaveTwins fails when one dialect has a migration the other
// lacks (style.md §12).
func TestMigrationsHaveTwins(t *testing.T) {
	names := func(d string) []string {
		ents, err := os.ReadDir(filepath.Join("migrations", d))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return out
	}
	s, p := names("sqlite"), names("postgres")
	if len(s) != len(p) {
		t.Fatalf("sqlite has %d migrations, postgres %d: %v vs %v", len(s), len(p), s, p)
	}
	for i := range s {
		if s[i] != p[i] {
			t.Fatalf("migration %d: sqlite %q, postgres %q", i+1, s[i], p[i])
		}
	}
}
