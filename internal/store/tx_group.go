// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"fmt"

	"github.com/preau/preau/internal/core"
)

// Group commit (SQLite). A SQLite commit waits for an fsync of the WAL, and
// its single writer makes commits take turns: thirty pupils saving small
// files at once would wait for thirty fsyncs one after the other. Writes
// that arrive together through writeGrouped share one transaction and one
// fsync instead; each runs inside its own SAVEPOINT, so that one refused
// write (a quota exceeded, a name taken) is rolled back alone, and each gets
// its own outcome. A write reported done is committed; a failed COMMIT
// fails every write of the group. Writes run detached from their caller's
// cancellation: a client that goes away does not interrupt the others.

const maxGroup = 64

type groupItem struct {
	db   *DB // the handle the write came through (its clock and journal heads)
	ctx  context.Context
	op   string
	fn   func(tx *Tx) error
	done chan error
}

// startGroupCommit starts the goroutine that runs grouped writes (SQLite).
func (db *DB) startGroupCommit() {
	db.group = make(chan *groupItem)
	stop := make(chan struct{})
	db.groupStop = stop
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			var first *groupItem
			select {
			case first = <-db.group:
			case <-stop:
				return
			}
			batch := []*groupItem{first}
		drain:
			for len(batch) < maxGroup {
				select {
				case it := <-db.group:
					batch = append(batch, it)
				default:
					break drain
				}
			}
			db.commitGroup(batch)
		}
	}()
	db.closers = append(db.closers, func() error {
		close(stop)
		<-finished
		return nil
	})
}

// writeGrouped is write for small, frequent writes that may share a
// transaction with others arriving at the same time (see Group commit).
// fn must not depend on running alone beyond what its SAVEPOINT gives it.
func (db *DB) writeGrouped(ctx context.Context, op string, fn func(tx *Tx) error) error {
	if db.group == nil {
		return db.write(ctx, op, fn)
	}
	it := &groupItem{db: db, ctx: context.WithoutCancel(ctx), op: op, fn: fn, done: make(chan error, 1)}
	select {
	case db.group <- it:
	case <-db.groupStop:
		return core.E(op, core.Unavailable, "the database is closed")
	case <-ctx.Done():
		return db.classify(op, ctx.Err())
	}
	return <-it.done
}

// commitGroup runs batch in one transaction, each write in a savepoint.
func (db *DB) commitGroup(batch []*groupItem) {
	if len(batch) == 1 {
		it := batch[0]
		it.done <- it.db.write(it.ctx, it.op, it.fn)
		return
	}
	bg := context.Background()
	results := make([]error, len(batch))
	stx, err := db.w.BeginTx(bg, nil)
	if err != nil {
		for _, it := range batch {
			it.done <- db.classify(it.op, fmt.Errorf("beginning transaction: %w", err))
		}
		return
	}
	dirChanged := false
	for i, it := range batch {
		if _, err := stx.ExecContext(bg, "SAVEPOINT grouped"); err != nil {
			results[i] = err
			continue
		}
		tx := &Tx{tx: stx, stx: stx, db: it.db, ctx: it.ctx, now: it.db.clock.Now().UTC(), p: core.PrincipalFromContext(it.ctx)}
		err := runGuarded(it.fn, tx)
		if err == nil {
			err = tx.flushPending()
		}
		if err != nil {
			it.db.heads.forget() // the hint may name an entry rolled back here
			if _, rerr := stx.ExecContext(bg, "ROLLBACK TO grouped"); rerr != nil {
				err = fmt.Errorf("%w (and rolling back: %v)", err, rerr)
			}
			results[i] = db.classify(it.op, err)
		} else {
			dirChanged = dirChanged || tx.dirChanged
		}
		if _, err := stx.ExecContext(bg, "RELEASE grouped"); err != nil && results[i] == nil {
			results[i] = db.classify(it.op, err)
		}
	}
	if dirChanged {
		if _, err = stx.ExecContext(bg, bumpDirectory); err != nil {
			err = fmt.Errorf("directory counter: %w", err)
		}
	}
	if err == nil {
		err = stx.Commit()
	} else {
		_ = stx.Rollback()
	}
	if err != nil {
		for i, it := range batch {
			it.db.heads.forget()
			if results[i] == nil {
				results[i] = db.classify(it.op, fmt.Errorf("committing: %w", err))
			}
		}
	}
	for i, it := range batch {
		it.done <- results[i]
	}
}

// runGuarded runs fn, turning a panic into an error: it runs on the group's
// goroutine, where a panic would stop the whole server.
func runGuarded(fn func(tx *Tx) error, tx *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in a grouped write: %v", r)
		}
	}()
	return fn(tx)
}
