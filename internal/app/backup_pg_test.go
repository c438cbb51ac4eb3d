// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/preau/preau/internal/store"
)

// pgSchema opens a throwaway PostgreSQL schema and returns a DSN using it.
func pgSchema(t *testing.T, dsn string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	db, err := store.Open(context.Background(), store.Config{DSN: dsn, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.DropSchemaForTest(context.Background(), schema); db.Close() })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

// CARINE: MCO-SVG-1 — a PostgreSQL deployment: the logical dump taken in
// one transaction restores into a fresh database with the same rows and a
// journal that verifies.
func TestBackupPostgresDisasterRestore(t *testing.T) {
	dsn := os.Getenv("PREAU_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("PREAU_TEST_STRICT") == "1" {
			t.Fatal("PREAU_TEST_POSTGRES_DSN is not set (PREAU_TEST_STRICT=1)")
		}
		t.Skip("PREAU_TEST_POSTGRES_DSN not set: skipping the PostgreSQL backup test")
	}
	src, dst := pgSchema(t, dsn), pgSchema(t, dsn)
	data, repo := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	key := filepath.Join(t.TempDir(), "key.txt")
	mustCLI(t, "init", "--data", data, "--db", src, "--uai", "0999001W", "--type", "college", "--name", "Collège Jean Moulin",
		"--academie", "Démo", "--domain", "clg.demo.test", "--head", "m.dupont", "--head-given", "Marie", "--head-family", "Dupont",
		"--admin", "admin", "--hosts", "localhost")
	writeFile(t, filepath.Join(blobDir(data), "files", "x.txt"), "contenu")
	mustCLI(t, "backup", "run", "--data", data, "--db", src, "--repo", repo, "--key-out", key, "--quiet")
	want := dumpTablesDSN(t, data, src)
	fresh := filepath.Join(t.TempDir(), "new")
	if _, err := cli(t, "restore", "--data", fresh, "--repo", repo, "--key", key); err == nil {
		t.Fatal("a PostgreSQL backup restored without --db")
	}
	if _, err := os.Stat(fresh + ".restoring"); err == nil {
		t.Fatal("a refused restore wrote a staging folder")
	}
	out := mustCLI(t, "restore", "--data", fresh, "--db", dst, "--repo", repo, "--key", key, "--quiet")
	if !strings.Contains(out, "journal OK") {
		t.Fatal(out)
	}
	got := dumpTablesDSN(t, fresh, dst)
	for table, rows := range want {
		g := got[table]
		switch table {
		case "backup_runs":
			continue
		case "journal":
			g, rows = filterOut(g, "backup."), filterOut(rows, "backup.")
		case "journal_heads":
			g, rows = filterOut(g, "deployment"), filterOut(rows, "deployment")
		}
		if strings.Join(g, "\n") != strings.Join(rows, "\n") {
			t.Fatalf("table %s differs after the restore", table)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(blobDir(fresh), "files", "x.txt")); string(b) != "contenu" {
		t.Fatal("blob not restored")
	}
}
