// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// Tx is a write transaction with its time fixed at begin, so that every row
// and journal entry it writes carries the same timestamp from the injected
// clock. The principal in its context is the actor of its journal entries.
type Tx struct {
	tx  runner  // the *sql.Tx (SQLite) or the *sql.Conn holding the transaction (PostgreSQL)
	stx *sql.Tx // the *sql.Tx on SQLite, nil on PostgreSQL
	db  *DB
	ctx context.Context
	now time.Time
	p   core.Principal

	dirChanged bool // bump the 'directory' counter before commit

	stmts map[string]*sql.Stmt // statements prepared in this transaction, by text
	bulk  bool                 // many rows: prepare each statement once (SQLite)

	// Names this transaction created, so that its membership journal
	// entries need no lookup (an import adds thousands).
	logins map[string]string // person ID → login
	// membersAdded: addMembers ran in this transaction (see there).
	membersAdded bool
	groups       map[string][2]string // group ID → establishment ID, code

	// pending is the journal entry held back to be sent with COMMIT in one
	// round trip (PostgreSQL; see commitPipelined).
	pending  *pendingEntry
	batch    *journalBatch // bulk transactions: see journalBatch
	flushing bool          // flushBatch is writing the batch
	flushErr error         // a failed append of pending; the transaction cannot commit
	// headsTouched: a statement of this transaction moved or locked a
	// chain's head row (PostgreSQL keeps it locked until the end), so its
	// commit must not wait for this process's commit lock: another
	// commit holding that lock may be waiting for the row.
	headsTouched bool
	// wb runs a bulk transaction's many-row statements behind its
	// goroutine (see writeBehind); nil otherwise.
	wb *writeBehind
	// job names the sync job this transaction runs ("job:import/<id>"):
	// entries without a reason of their own carry it, so that every change
	// of the job is found under its identity, with the operator who
	// started it as their actor (INF-ANN-4).
	job string
}

// runner is what a transaction runs its statements through: *sql.Tx and
// *sql.Conn both have it.
type runner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// directoryChanged marks the transaction as changing what the LDAP view
// shows; the 'directory' counter is bumped once, at commit.
func (tx *Tx) directoryChanged() { tx.dirChanged = true }

// write runs fn in a write transaction and commits it when fn returns nil.
// On SQLite the single writer connection and BEGIN IMMEDIATE serialise
// writers; busy_timeout makes concurrent processes (the CLI beside a running
// server) wait instead of failing.
func (db *DB) write(ctx context.Context, op string, fn func(tx *Tx) error) error {
	if db.d.pipelinedAppend != "" {
		return db.writePipelined(ctx, op, fn)
	}
	stx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.classify(op, fmt.Errorf("beginning transaction: %w", err))
	}
	tx := &Tx{tx: stx, stx: stx, db: db, ctx: ctx, now: db.clock.Now().UTC(), p: core.PrincipalFromContext(ctx)}
	defer func() {
		if tx.bulk { // after the commit or rollback: see bulkMode
			_, _ = db.w.ExecContext(context.Background(), fmt.Sprintf("PRAGMA cache_size = -%d", defaultCacheKiB))
			_, _ = db.w.ExecContext(context.Background(), fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", defaultAutoCheckpoint))
			db.behind.Add(1)
			go func() {
				defer db.behind.Done()
				_, _ = db.w.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
			}()
		}
	}()
	err = fn(tx)
	if err == nil {
		err = tx.flushPending()
	}
	if serr := tx.stopBehind(); err == nil {
		err = serr
	}
	if err == nil && tx.dirChanged {
		_, err = tx.exec(bumpDirectory)
	}
	if err != nil {
		_ = stx.Rollback()
		db.heads.forget()
		return db.classify(op, err)
	}
	if err := stx.Commit(); err != nil {
		db.heads.forget()
		return db.classify(op, fmt.Errorf("committing: %w", err))
	}
	return nil
}

// bulkMode marks a transaction that writes many rows (an import, a demo
// batch): on SQLite its statements are then prepared once and reused, which
// halves the time of a 100,000-person import. Small transactions do not
// pay for preparing (and PostgreSQL's driver caches prepared statements by
// itself, so an explicit prepare would only add a round trip).
//
// On SQLite the writer's page cache also grows for the transaction (see
// bulkCacheKiB), so that the pages it changes stay in memory until the
// commit rather than being written to the WAL and read back. Its commit
// does not copy the WAL into the database file (SQLite's automatic
// checkpoint, half a second after a 100,000-person import): the
// transaction is durable once its WAL frames are synced, and the copy runs
// just after, on a goroutine, as a passive checkpoint of the writer (Close
// waits for it).
//
// Its many-row statements run behind (see writeBehind), on both back ends.
func (tx *Tx) bulkMode() {
	tx.bulk = tx.db.d.name == "sqlite"
	if tx.bulk {
		// Only speed depends on these: an error leaves SQLite's defaults.
		_, _ = tx.tx.ExecContext(tx.ctx, fmt.Sprintf("PRAGMA cache_size = -%d", bulkCacheKiB))
		_, _ = tx.tx.ExecContext(tx.ctx, "PRAGMA wal_autocheckpoint = 0")
	}
	tx.batchJournal()
	tx.startBehind()
}

// bulkCacheKiB is the writer's page cache during a bulk transaction on
// SQLite (the pages are allocated only as they are used, and freed after);
// defaultCacheKiB is SQLite's default, restored after it.
const (
	bulkCacheKiB    = 256 << 10
	defaultCacheKiB = 2000
	// defaultAutoCheckpoint is SQLite's wal_autocheckpoint (pages).
	defaultAutoCheckpoint = 1000
)

// stmt returns query prepared in this transaction, or nil outside bulk mode.
// database/sql closes the statements at commit or rollback.
func (tx *Tx) stmt(query string) (*sql.Stmt, error) {
	if !tx.bulk {
		return nil, nil
	}
	if st, ok := tx.stmts[query]; ok {
		return st, nil
	}
	st, err := tx.tx.PrepareContext(tx.ctx, query)
	if err != nil {
		return nil, err
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[query] = st
	return st, nil
}

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	if !tx.flushBefore(query) {
		return nil, tx.flushErr
	}
	if err := tx.sync(); err != nil {
		return nil, err
	}
	return tx.execNow(query, args...)
}

// execNow runs a statement at once: the caller has flushed what had to go
// before it and waited for the write-behind queue (see exec).
func (tx *Tx) execNow(query string, args ...any) (sql.Result, error) {
	if _, hot := tx.db.stmts[query]; hot && tx.stx != nil {
		return tx.execPrepared(query, args...)
	}
	query, args = tx.db.forDriver(query, args)
	st, err := tx.stmt(query)
	if err != nil || st == nil {
		if err != nil {
			return nil, err
		}
		return tx.tx.ExecContext(tx.ctx, query, args...)
	}
	return st.ExecContext(tx.ctx, args...)
}

// execPrepared runs one of hotStatements through its prepared statement.
func (tx *Tx) execPrepared(query string, args ...any) (sql.Result, error) {
	dbst, hot := tx.db.stmts[query]
	if !hot {
		return tx.exec(query, args...)
	}
	if tx.stx == nil {
		return tx.exec(query, args...)
	}
	if err := tx.sync(); err != nil {
		return nil, err
	}
	_, args = tx.db.forDriver(query, args) // dbst was prepared in driver form
	if !tx.bulk {
		return tx.stx.StmtContext(tx.ctx, dbst).ExecContext(tx.ctx, args...)
	}
	st, ok := tx.stmts[query]
	if !ok {
		st = tx.stx.StmtContext(tx.ctx, dbst) // bound to this transaction once
		if tx.stmts == nil {
			tx.stmts = map[string]*sql.Stmt{}
		}
		tx.stmts[query] = st
	}
	return st.ExecContext(tx.ctx, args...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	if !tx.flushBefore(query) {
		return nil, tx.flushErr
	}
	if err := tx.sync(); err != nil {
		return nil, err
	}
	return tx.queryNow(query, args...)
}

// queryNow is query without the flush and the wait.
func (tx *Tx) queryNow(query string, args ...any) (*sql.Rows, error) {
	query, args = tx.db.forDriver(query, args)
	st, err := tx.stmt(query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return tx.tx.QueryContext(tx.ctx, query, args...)
	}
	return st.QueryContext(tx.ctx, args...)
}

// queryRow runs a one-row query. Errors of preparation surface at Scan.
func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	tx.flushBefore(query) // a failure is kept in tx.flushErr and fails the commit
	_ = tx.sync()         // likewise: a failure is kept in tx.wb and fails the commit
	if dbst, hot := tx.db.stmts[query]; hot && tx.stx != nil {
		_, args = tx.db.forDriver(query, args) // dbst was prepared in driver form
		return tx.stx.StmtContext(tx.ctx, dbst).QueryRowContext(tx.ctx, args...)
	}
	query, args = tx.db.forDriver(query, args)
	st, err := tx.stmt(query)
	if err != nil || st == nil {
		return tx.tx.QueryRowContext(tx.ctx, query, args...) // an error shows again at Scan
	}
	return st.QueryRowContext(tx.ctx, args...)
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
// transaction's principal unless e already names one.
//
// Appends to one chain are serialised by the chain's head row: the common
// case is a conditional UPDATE of the head from the (seq, hash) this node
// remembers, then the INSERT — two statements. When another process or node
// appended meanwhile (the UPDATE matches no row), the head is read under a
// row lock (an upsert that also creates it) and the update retried. The
// remembered head is a hint only: a wrong one costs one more statement,
// never a broken chain.
func (tx *Tx) journal(e journal.Entry) error {
	if tx.db.noJournal {
		return nil
	}
	if e.Channel == "" {
		e.SetActor(tx.p)
	}
	if e.Chain == "" {
		e.Chain = journal.DeploymentChain
	}
	if e.Result == "" {
		e.Result = journal.Done
	}
	if e.Reason == "" {
		e.Reason = tx.job
	}
	e.At = tx.now
	if tx.batch != nil {
		return tx.appendBatched(&e)
	}
	if err := tx.flushPending(); err != nil {
		return err
	}
	h, hinted := tx.db.heads.get(e.Chain)
	if hinted && tx.db.d.appendAfterHead != "" {
		journal.Seal(&e, h.Seq, h.Hash)
		p := &pendingEntry{e: e, head: h}
		if tx.stx == nil {
			tx.pending = p // sent with COMMIT: see commitPipelined
			return nil
		}
		if ok, err := tx.appendAfterHead(p); ok || err != nil {
			return err
		}
		e = p.e // another node appended: take the slow path
	}
	return tx.appendSlow(&e, h, hinted && tx.db.d.appendAfterHead == "")
}

// pendingEntry is a journal entry sealed after the head this node
// remembers, not yet sent.
type pendingEntry struct {
	e    journal.Entry
	head ChainHead // the head e was sealed after
}

// journalArgs are insertJournal's parameters for e.
func journalArgs(e *journal.Entry) []any {
	return appendJournalArgs(make([]any, 0, 16), e)
}

// appendJournalArgs appends journalArgs(e) to args.
func appendJournalArgs(args []any, e *journal.Entry) []any {
	return append(args, e.Chain, e.Seq, micros(e.At), e.ActorID, e.ActorLogin, e.Channel, e.Source, e.Action,
		e.TargetType, e.TargetID, e.TargetName, jsonList(e.Attributes), string(e.Result), e.Reason,
		e.PrevHash, e.Hash)
}

// appendAfterHead moves the head from p.head and inserts p.e in one
// statement. It reports false, with no error, when the head had moved.
func (tx *Tx) appendAfterHead(p *pendingEntry) (bool, error) {
	tx.headsTouched = true
	res, err := tx.exec(tx.db.d.appendAfterHead, append(journalArgs(&p.e), p.head.Seq)...)
	if err != nil {
		return false, fmt.Errorf("journal append: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, nil
	}
	tx.db.heads.put(ChainHead{Chain: p.e.Chain, Seq: p.e.Seq, Hash: p.e.Hash})
	return true, nil
}

// appendSlow seals e after the chain's head (read under lock unless the
// hint h is tried first) and inserts it.
func (tx *Tx) appendSlow(e *journal.Entry, h ChainHead, tryHint bool) error {
	if err := tx.advanceHead(e, h, tryHint); err != nil {
		return err
	}
	if _, err := tx.execPrepared(insertJournal, journalArgs(e)...); err != nil {
		return fmt.Errorf("journal append: %w", err)
	}
	return nil
}

// flushPending sends the held-back journal entry now, before a statement
// that must come after it.
func (tx *Tx) flushPending() error {
	if err := tx.flushBatch(); err != nil {
		return err
	}
	p := tx.pending
	if p == nil {
		return nil
	}
	tx.pending = nil
	if ok, err := tx.appendAfterHead(p); ok || err != nil {
		return err
	}
	return tx.appendSlow(&p.e, p.head, false)
}

// flushBefore flushes the held-back entry before a statement that reads or
// writes the journal, so that the transaction sees its own entries. It
// reports false when the flush failed (the error stays in tx.flushErr).
func (tx *Tx) flushBefore(query string) bool {
	if tx.flushErr != nil {
		return false
	}
	if tx.flushing {
		return true
	}
	if (tx.pending == nil && (tx.batch == nil || !tx.batch.hasWork())) || !strings.Contains(query, "journal") {
		return true
	}
	tx.flushErr = tx.flushPending()
	return tx.flushErr == nil
}

const (
	insertJournal = `INSERT INTO journal (chain, seq, at, actor_id, actor_login, channel, source, action,
		target_type, target_id, target_name, attributes, result, reason, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`
	moveHead = `UPDATE journal_heads SET seq = $1, hash = $2 WHERE chain = $3 AND seq = $4`
)

// advanceHead seals e after the chain's current head and moves the head.
func (tx *Tx) advanceHead(e *journal.Entry, h ChainHead, hinted bool) error {
	tx.headsTouched = true
	if hinted {
		journal.Seal(e, h.Seq, h.Hash)
		res, err := tx.execPrepared(moveHead, e.Seq, e.Hash, e.Chain, h.Seq)
		if err != nil {
			return fmt.Errorf("journal head: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			tx.db.heads.put(ChainHead{Chain: e.Chain, Seq: e.Seq, Hash: e.Hash})
			return nil
		}
	}
	var seq int64
	var prev string
	// The no-op upsert creates a missing head and locks the row (PostgreSQL).
	err := tx.queryRow(`INSERT INTO journal_heads (chain, seq, hash) VALUES ($1, 0, '')
		ON CONFLICT (chain) DO UPDATE SET seq = journal_heads.seq
		RETURNING seq, hash`, e.Chain).Scan(&seq, &prev)
	if err != nil {
		return fmt.Errorf("journal head: %w", err)
	}
	journal.Seal(e, seq, prev)
	if _, err := tx.exec(`UPDATE journal_heads SET seq = $1, hash = $2 WHERE chain = $3`, e.Seq, e.Hash, e.Chain); err != nil {
		return fmt.Errorf("journal head: %w", err)
	}
	tx.db.heads.put(ChainHead{Chain: e.Chain, Seq: e.Seq, Hash: e.Hash})
	return nil
}

// truncate bounds s to at most n bytes without cutting a UTF-8 character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
