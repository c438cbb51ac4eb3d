// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// reader is the pool that read queries outside transactions go through. On
// SQLite it keeps every query it runs prepared (database/sql prepares a
// statement once per connection and keeps it there) and binds in "?" form:
// the pure-Go driver prepares nothing by itself, and parsing was a third of
// a small WebDAV GET. On PostgreSQL it passes through (pgx caches prepared
// statements per connection).
type reader struct {
	*sql.DB
	sqlite bool

	stmts sync.Map     // query text as written ($N form) → *sql.Stmt; read without a lock on every query
	mu    sync.Mutex   // serialises adding to stmts
	count atomic.Int64 // len(stmts)
}

// maxReadStmts bounds the cache: queries built with a variable number of
// parameters (IN lists) beyond it run unprepared.
const maxReadStmts = 1000

func newReader(db *sql.DB, sqlite bool) *reader {
	return &reader{DB: db, sqlite: sqlite}
}

// stmt returns q prepared, or nil when it is not cached and cannot be (on
// PostgreSQL, a full cache, or a failed prepare, whose error the unprepared
// run then reports).
func (r *reader) stmt(ctx context.Context, q string) *sql.Stmt {
	if !r.sqlite {
		return nil
	}
	if v, ok := r.stmts.Load(q); ok {
		return v.(*sql.Stmt)
	}
	if r.count.Load() >= maxReadStmts {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.stmts.Load(q); ok { // prepared meanwhile by another caller
		return v.(*sql.Stmt)
	}
	st, err := r.DB.PrepareContext(ctx, positional(q).text)
	if err != nil {
		return nil
	}
	r.stmts.Store(q, st)
	r.count.Add(1)
	return st
}

// QueryContext runs a read query (see reader).
func (r *reader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if !r.sqlite {
		return r.DB.QueryContext(ctx, q, args...)
	}
	p := positional(q)
	if st := r.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, p.args(args)...)
	}
	return r.DB.QueryContext(ctx, p.text, p.args(args)...)
}

// QueryRowContext runs a one-row read query (see reader).
func (r *reader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if !r.sqlite {
		return r.DB.QueryRowContext(ctx, q, args...)
	}
	p := positional(q)
	if st := r.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, p.args(args)...)
	}
	return r.DB.QueryRowContext(ctx, p.text, p.args(args)...)
}

// Close closes the prepared statements and the pool.
func (r *reader) Close() error {
	r.mu.Lock()
	r.stmts.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		r.stmts.Delete(k)
		return true
	})
	r.count.Store(0)
	r.mu.Unlock()
	return r.DB.Close()
}
