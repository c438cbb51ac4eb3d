// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package store holds ALL of Préau's SQL, for SQLite (the embedded default,
// through the pure-Go modernc.org/sqlite driver) and PostgreSQL (through
// pgx). One SQL text serves both: $N placeholders, ON CONFLICT, RETURNING,
// times as UTC microseconds in BIGINT columns. Only DDL differs, in
// migrations/<dialect>/. Every mutating method writes its journal entry in
// the same transaction as the change. Only internal/app imports this package;
// services reach it through the small Store interfaces they declare.
package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite"

	"github.com/preau/preau/internal/core"
)

// Config says which database to open.
type Config struct {
	// DSN is "" (SQLite file preau.db in DataDir), a file path, "sqlite:PATH",
	// or "postgres://…" / "postgresql://…".
	DSN string
	// DataDir is the data folder, where the default SQLite file lives.
	DataDir string
	// Schema, for PostgreSQL only, is a schema to create if missing and use
	// (tests use a throwaway schema each).
	Schema string
	// ReadConns is the size of the SQLite read pool (default 4).
	ReadConns int
	// JournalKey signs journal checkpoints. Required for Purge only.
	JournalKey ed25519.PrivateKey
	// Clock gives transaction times; defaults to core.SystemClock.
	Clock core.Clock
	// Log receives migration notices; defaults to slog.Default().
	Log *slog.Logger

	migrateTo int // tests only: see OpenAtVersionForTest
}

// DB is an open Préau database. It is safe for concurrent use.
type DB struct {
	d       *dialect
	w       *sql.DB // the writer: one connection on SQLite
	r       *reader // readers: a pool (over the same *sql.DB as w on PostgreSQL)
	path    string  // SQLite file path
	clock   core.Clock
	log     *slog.Logger
	key     ed25519.PrivateKey
	closers []func() error
	behind  sync.WaitGroup // checkpoints running after a bulk commit: see Tx.bulkMode

	heads     headCache            // last journal heads written by this process
	stmts     map[string]*sql.Stmt // hotStatements, prepared at Open; read-only after
	noJournal bool                 // benchmarks only: see SetJournalingForBenchmark
	group     chan *groupItem      // grouped writes (SQLite): see writeGrouped
	groupStop chan struct{}        // closed when the database closes
	migrateTo int                  // tests only: stop migrating at this version
}

// Open opens (and creates when needed) the database, and applies pending
// migrations. It refuses a database whose schema is newer than this binary,
// and on SQLite copies the file beside itself before migrating it.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	db := &DB{clock: cfg.Clock, log: cfg.Log, key: cfg.JournalKey, migrateTo: cfg.migrateTo}
	if db.clock == nil {
		db.clock = core.SystemClock{}
	}
	if db.log == nil {
		db.log = slog.Default()
	}
	var err error
	if isPostgres(cfg.DSN) {
		err = db.openPostgres(ctx, cfg)
	} else {
		err = db.openSQLite(ctx, cfg)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// A database held at an older version (tests of migrations) lacks
	// tables the hot statements read.
	if cfg.migrateTo == 0 {
		if err := db.prepareHot(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	if db.d.name == "sqlite" {
		db.startGroupCommit()
	}
	return db, nil
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// SQLitePath returns the SQLite file a DSN designates within dataDir, or ""
// for a PostgreSQL DSN.
func SQLitePath(dsn, dataDir string) string {
	switch {
	case isPostgres(dsn):
		return ""
	case dsn == "":
		return filepath.Join(dataDir, "preau.db")
	case strings.HasPrefix(dsn, "sqlite:"):
		return strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
	default:
		return dsn
	}
}

func (db *DB) openSQLite(ctx context.Context, cfg Config) error {
	db.d = sqliteDialect
	db.path = SQLitePath(cfg.DSN, cfg.DataDir)
	if err := os.MkdirAll(filepath.Dir(db.path), 0o700); err != nil {
		return fmt.Errorf("creating database folder: %w", err)
	}
	base := "file:" + (&url.URL{Path: db.path}).EscapedPath() +
		"?_pragma=foreign_keys(1)&_pragma=busy_timeout(15000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(FULL)&_time_format=sqlite"
	// The writer keeps its temporary files (the statement journals of
	// many-row statements) in memory: a 100,000-person import wrote them
	// to disk for 7 % of its time.
	w, err := sql.Open("sqlite", base+"&_txlock=immediate&_pragma=temp_store(2)")
	if err != nil {
		return fmt.Errorf("opening %s: %w", db.path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	db.w = w
	db.closers = append(db.closers, w.Close)
	if err := w.PingContext(ctx); err != nil {
		return fmt.Errorf("opening %s: %w", db.path, err)
	}
	if err := os.Chmod(db.path, 0o600); err != nil {
		return fmt.Errorf("securing %s: %w", db.path, err)
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		return fmt.Errorf("opening %s: %w", db.path, err)
	}
	n := cfg.ReadConns
	if n <= 0 {
		n = 4
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db.r = newReader(r, true)
	db.closers = append(db.closers, db.r.Close)
	return nil
}

func (db *DB) openPostgres(ctx context.Context, cfg Config) error {
	db.d = postgresDialect
	dsn := cfg.DSN
	if cfg.Schema != "" {
		if !validSchemaName(cfg.Schema) {
			return fmt.Errorf("invalid schema name %q", cfg.Schema)
		}
		boot, err := sql.Open("pgx", dsn)
		if err != nil {
			return fmt.Errorf("opening PostgreSQL: %w", err)
		}
		_, err = boot.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS "`+cfg.Schema+`"`)
		boot.Close()
		if err != nil {
			return fmt.Errorf("creating schema %s: %w", cfg.Schema, err)
		}
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + "search_path=" + url.QueryEscape(cfg.Schema)
	}
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("opening PostgreSQL: %w", err)
	}
	// Idle connections are kept up to the open limit: a burst (8:00, a
	// class logging in) must not close and reopen connections, each a new
	// server process that prepares its statements again.
	p.SetMaxOpenConns(20)
	p.SetMaxIdleConns(20)
	p.SetConnMaxIdleTime(5 * time.Minute)
	db.w, db.r = p, newReader(p, false)
	db.closers = append(db.closers, p.Close)
	if err := p.PingContext(ctx); err != nil {
		return core.Wrap("store.Open", core.Unavailable, fmt.Errorf("connecting to PostgreSQL: %w", err))
	}
	return nil
}

func validSchemaName(s string) bool {
	if s == "" || len(s) > 60 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Close closes the database.
func (db *DB) Close() error {
	db.behind.Wait()
	var errs []error
	for i := len(db.closers) - 1; i >= 0; i-- {
		errs = append(errs, db.closers[i]())
	}
	db.closers = nil
	return errors.Join(errs...)
}

// Dialect returns "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.d.name }

// Path returns the SQLite file, or "" on PostgreSQL.
func (db *DB) Path() string { return db.path }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.r.PingContext(ctx) }

// Now returns the store clock's time.
func (db *DB) Now() time.Time { return db.clock.Now() }
