// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// writePipelined is write on PostgreSQL. The transaction runs on a
// connection of its own, and its last journal entry travels with COMMIT in
// one pipelined round trip (SAVEPOINT, the append, the directory counter,
// COMMIT), which database/sql's Tx cannot do: on a transaction of a few
// statements over the network, the journal's own round trip was its whole
// cost (issue 2: at most 10 %).
//
// The append is the statement that moves the chain's head from the value
// this node remembers and fails (division by zero) when another node moved
// it meanwhile; the pipeline then stops before COMMIT, the transaction
// rolls back to the savepoint, appends after the head read under lock, and
// commits. The entry is thus always committed with the transaction's rows,
// or neither is.
func (db *DB) writePipelined(ctx context.Context, op string, fn func(tx *Tx) error) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return db.classify(op, fmt.Errorf("beginning transaction: %w", err))
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		discardConn(conn)
		return db.classify(op, fmt.Errorf("beginning transaction: %w", err))
	}
	tx := &Tx{tx: conn, db: db, ctx: ctx, now: db.clock.Now().UTC(), p: core.PrincipalFromContext(ctx)}
	err = fn(tx)
	if err == nil {
		err = tx.flushErr
	}
	if err == nil {
		err = tx.flushBatch()
	}
	if serr := tx.stopBehind(); err == nil {
		err = serr
	}
	if err == nil {
		if err = tx.commitPipelined(conn); err != nil {
			err = fmt.Errorf("committing: %w", err)
		}
	}
	if err != nil {
		rollbackConn(conn)
		db.heads.forget()
		return db.classify(op, err)
	}
	return nil
}

const (
	bumpDirectory = `UPDATE counters SET value = value + 1 WHERE name = 'directory'`
	// headMovedCode is division_by_zero: pipelinedAppend's signal that the
	// chain's head was not where this node remembered it.
	headMovedCode = "22012"
)

// commitPipelined commits the transaction with its held-back journal entry.
func (tx *Tx) commitPipelined(conn *sql.Conn) error {
	p := tx.pending
	tx.pending = nil
	if p == nil {
		if tx.dirChanged {
			if _, err := tx.exec(bumpDirectory); err != nil {
				return err
			}
		}
		_, err := conn.ExecContext(tx.ctx, "COMMIT")
		return err
	}
	// Under the chain's commit lock, the remembered head is the one the
	// last commit of this process left: seal after it (the entry has not
	// been sent yet), so that only another node's append can move it.
	if !tx.headsTouched {
		defer tx.db.heads.lockCommits(p.e.Chain)()
	}
	if h, ok := tx.db.heads.get(p.e.Chain); ok && h != p.head {
		journal.Seal(&p.e, h.Seq, h.Hash)
		p.head = h
	}
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected PostgreSQL driver connection %T", dc)
		}
		b := &pgx.Batch{}
		b.Queue("SAVEPOINT journal_append")
		b.Queue(tx.db.d.pipelinedAppend, append(journalArgs(&p.e), p.head.Seq)...)
		if tx.dirChanged {
			b.Queue(bumpDirectory)
		}
		b.Queue("COMMIT")
		return c.Conn().SendBatch(tx.ctx, b).Close()
	})
	var pe *pgconn.PgError
	if err == nil {
		tx.db.heads.put(ChainHead{Chain: p.e.Chain, Seq: p.e.Seq, Hash: p.e.Hash})
		return nil
	}
	if !errors.As(err, &pe) || pe.Code != headMovedCode {
		return err
	}
	// Another node appended to the chain: append after its head instead.
	if _, err := conn.ExecContext(tx.ctx, "ROLLBACK TO SAVEPOINT journal_append"); err != nil {
		return err
	}
	if err := tx.appendSlow(&p.e, p.head, false); err != nil {
		return err
	}
	if tx.dirChanged {
		if _, err := tx.exec(bumpDirectory); err != nil {
			return err
		}
	}
	_, err = conn.ExecContext(tx.ctx, "COMMIT")
	return err
}

// rollbackConn ends the transaction on conn. When that fails, the
// connection's state is unknown and it is closed rather than given back to
// the pool.
func rollbackConn(conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		discardConn(conn)
	}
}

// discardConn makes database/sql close conn instead of reusing it.
func discardConn(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}
