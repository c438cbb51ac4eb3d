// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// Tx is a write transaction with its time fixed at begin, so that every row
// and journal entry it writes carries the same timestamp from the injected
// clock. The principal in its context is the actor of its journal entries.
type Tx struct {
	tx  *sql.Tx
	db  *DB
	ctx context.Context
	now time.Time
	p   core.Principal
}

// write runs fn in a write transaction and commits it when fn returns nil.
// On SQLite the single writer connection and BEGIN IMMEDIATE serialise
// writers; busy_timeout makes concurrent processes (the CLI beside a running
// server) wait instead of failing.
func (db *DB) write(ctx context.Context, op string, fn func(tx *Tx) error) error {
	stx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.classify(op, fmt.Errorf("beginning transaction: %w", err))
	}
	tx := &Tx{tx: stx, db: db, ctx: ctx, now: db.clock.Now().UTC(), p: core.PrincipalFromContext(ctx)}
	if err := fn(tx); err != nil {
		_ = stx.Rollback()
		return db.classify(op, err)
	}
	if err := stx.Commit(); err != nil {
		return db.classify(op, fmt.Errorf("committing: %w", err))
	}
	return nil
}

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(tx.ctx, query, args...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(tx.ctx, query, args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(tx.ctx, query, args...)
}

// micros is the stored form of a time: UTC microseconds since the epoch.
func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

// fromMicros turns a stored time back into a time.Time (UTC).
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// nullMicros is micros for an optional time.
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(t), Valid: true}
}

func fromNullMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromMicros(n.Int64)
}

// journal appends an entry to its chain inside tx. The actor comes from the
// transaction's principal unless e already names one. The head row is
// updated with an upsert whose row lock (PostgreSQL) or the single writer
// (SQLite) serialises appends to one chain.
func (tx *Tx) journal(e journal.Entry) error {
	if e.Channel == "" {
		e.SetActor(tx.p)
	}
	if e.Chain == "" {
		e.Chain = journal.DeploymentChain
	}
	if e.Result == "" {
		e.Result = journal.Done
	}
	e.At = tx.now
	var seq int64
	var prev string
	err := tx.queryRow(`INSERT INTO journal_heads (chain, seq, hash) VALUES ($1, 1, '')
		ON CONFLICT (chain) DO UPDATE SET seq = journal_heads.seq + 1
		RETURNING seq, hash`, e.Chain).Scan(&seq, &prev)
	if err != nil {
		return fmt.Errorf("journal head: %w", err)
	}
	journal.Seal(&e, seq-1, prev)
	if _, err := tx.exec(`INSERT INTO journal (chain, seq, at, actor_id, actor_login, channel, source, action,
		target_type, target_id, target_name, attributes, result, reason, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		e.Chain, e.Seq, micros(e.At), e.ActorID, e.ActorLogin, e.Channel, e.Source, e.Action,
		e.TargetType, e.TargetID, e.TargetName, jsonList(e.Attributes), string(e.Result), e.Reason,
		e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("journal append: %w", err)
	}
	if _, err := tx.exec(`UPDATE journal_heads SET hash = $1 WHERE chain = $2`, e.Hash, e.Chain); err != nil {
		return fmt.Errorf("journal head: %w", err)
	}
	return nil
}
