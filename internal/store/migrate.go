// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/preau/preau/internal/core"
)

//go:embed migrations
var migrationFS embed.FS

// Migration is one embedded schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the embedded migrations of a dialect ("sqlite" or
// "postgres"), in version order. File names are NNNN_name.sql.
func Migrations(dialectName string) ([]Migration, error) {
	dir := path.Join("migrations", dialectName)
	ents, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(n, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s/%s: name must be NNNN_name.sql", dir, n)
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, n))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: rest, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations/%s: version %d is missing", dialectName, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion returns the version this binary migrates databases to.
func SchemaVersion() int {
	ms, _ := Migrations("sqlite")
	return len(ms)
}

// migrate applies pending migrations, each in one transaction. A database
// newer than the binary is refused. On SQLite, a database that already has a
// schema is first copied beside itself (preau.db.pre-vN) with VACUUM INTO.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := Migrations(db.d.name)
	if err != nil {
		return err
	}
	if db.migrateTo > 0 && db.migrateTo < len(ms) {
		ms = ms[:db.migrateTo] // tests: build an older database
	}
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("preparing schema_migrations: %w", err)
	}
	cur, err := db.currentVersion(ctx)
	if err != nil {
		return err
	}
	if cur > len(ms) {
		return core.E("store.migrate", core.Conflict,
			"the database schema is version %d but this preau binary knows only up to %d: run a newer preau", cur, len(ms))
	}
	if cur == len(ms) {
		return nil
	}
	var applied int
	if err := db.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	if db.d.name == "sqlite" && applied > 0 {
		if err := db.backupSQLite(ctx, cur); err != nil {
			return err
		}
	}
	for _, m := range ms[cur:] {
		if err := db.apply(ctx, m); err != nil {
			return err
		}
		db.log.Info("schema migrated", "version", m.Version, "name", m.Name, "dialect", db.d.name)
	}
	return nil
}

func (db *DB) currentVersion(ctx context.Context) (int, error) {
	var v int
	err := db.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("reading schema version: %w", err)
	}
	return v, nil
}

func (db *DB) apply(ctx context.Context, m Migration) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %d: %w", m.Version, err)
	}
	defer tx.Rollback()
	if db.d.migrationLock != "" {
		if _, err := tx.ExecContext(ctx, db.d.migrationLock); err != nil {
			return fmt.Errorf("migration %d: locking: %w", m.Version, err)
		}
	}
	// Another node may have applied it while we waited for the lock.
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&done); err != nil {
		return fmt.Errorf("migration %d: %w", m.Version, err)
	}
	if done > 0 {
		return tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, db.clock.Now().UnixMicro()); err != nil {
		return fmt.Errorf("migration %d: recording: %w", m.Version, err)
	}
	return tx.Commit()
}

// backupSQLite copies the database to <path>.pre-v<cur+1> before migrating.
func (db *DB) backupSQLite(ctx context.Context, cur int) error {
	dst := fmt.Sprintf("%s.pre-v%d", db.path, cur+1)
	if _, err := os.Stat(dst); err == nil {
		dst = fmt.Sprintf("%s.%d", dst, db.clock.Now().Unix())
	}
	if _, err := db.w.ExecContext(ctx, `VACUUM INTO `+sqlQuote(dst)); err != nil {
		return fmt.Errorf("copying the database before migrating it: %w", err)
	}
	db.log.Info("database copied before migration", "copy", dst)
	return nil
}

func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
