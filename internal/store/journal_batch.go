// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"fmt"
	"strings"
	"sync"

	"github.com/preau/preau/internal/journal"
)

// journalBatchRows is how many journal entries a bulk transaction inserts
// per statement.
const journalBatchRows = 64

// journalBatch holds the journal entries of a bulk transaction (an import
// writes two hundred thousand): they are sealed one after the other against
// the chain heads this transaction read under lock, inserted many rows per
// statement, and each chain's head is moved once per flush instead of once
// per entry. Nothing changes for readers: the entries and heads are written
// before any statement of the transaction that reads the journal, and before
// COMMIT.
type journalBatch struct {
	heads map[string]ChainHead // chain → head after the last entry sealed here
	moved map[string]bool      // chains whose head row is behind heads
	args  []any                // insertJournal's parameters, row after row
	rows  int
}

// batchJournal makes tx's journal entries go through a journalBatch.
func (tx *Tx) batchJournal() {
	tx.batch = &journalBatch{heads: map[string]ChainHead{}, moved: map[string]bool{}}
}

// appendBatched seals e after its chain's head in this transaction and
// queues it.
func (tx *Tx) appendBatched(e *journal.Entry) error {
	b := tx.batch
	h, ok := b.heads[e.Chain]
	if !ok {
		var err error
		if h, err = tx.lockHead(e.Chain); err != nil {
			return err
		}
	}
	journal.Seal(e, h.Seq, h.Hash)
	b.heads[e.Chain] = ChainHead{Chain: e.Chain, Seq: e.Seq, Hash: e.Hash}
	b.moved[e.Chain] = true
	if b.args == nil {
		b.args = make([]any, 0, journalBatchRows*16)
	}
	b.args = appendJournalArgs(b.args, e)
	b.rows++
	if b.rows == journalBatchRows {
		return tx.flushBatch()
	}
	return nil
}

// lockHead reads a chain's head (creating it when missing); on PostgreSQL
// the row stays locked until the transaction ends.
func (tx *Tx) lockHead(chain string) (ChainHead, error) {
	tx.headsTouched = true
	h := ChainHead{Chain: chain}
	err := tx.queryRow(`INSERT INTO journal_heads (chain, seq, hash) VALUES ($1, 0, '')
		ON CONFLICT (chain) DO UPDATE SET seq = journal_heads.seq
		RETURNING seq, hash`, chain).Scan(&h.Seq, &h.Hash)
	if err != nil {
		return h, fmt.Errorf("journal head: %w", err)
	}
	return h, nil
}

// flushBatch inserts the queued entries and moves the heads they advanced.
func (tx *Tx) flushBatch() error {
	b := tx.batch
	if b == nil || !b.hasWork() || tx.flushing {
		return nil
	}
	tx.flushing = true // its own statements touch the journal: see flushBefore
	defer func() { tx.flushing = false }()
	if b.rows > 0 {
		args, rows := b.args, b.rows
		b.args, b.rows = nil, 0 // args may still be queued behind
		q := tx.db.d.insertJournalRows(rows)
		if tx.db.d.name == "sqlite" {
			if shared, ok := sharedJournalArgs(args, rows); ok {
				q, args = insertJournalShared(rows), shared
			}
		}
		if err := tx.execBehind(q, args...); err != nil {
			return fmt.Errorf("journal append: %w", err)
		}
	}
	for chain := range b.moved {
		h := b.heads[chain]
		if err := tx.execBehind(`UPDATE journal_heads SET seq = $1, hash = $2 WHERE chain = $3`, h.Seq, h.Hash, chain); err != nil {
			return fmt.Errorf("journal head: %w", err)
		}
		tx.db.heads.put(h)
		delete(b.moved, chain)
	}
	return nil
}

func (b *journalBatch) hasWork() bool { return b.rows > 0 || len(b.moved) > 0 }

// insertJournalRows is insertJournal for n rows in dialect d. SQLite gets
// anonymous "?" parameters: its driver looks each "$N" up by name in a
// list as long as the statement's parameters, which makes binding a
// 1,024-parameter statement quadratic.
func (d *dialect) insertJournalRows(n int) string {
	if n == journalBatchRows {
		return d.insertJournalFull
	}
	return buildInsertJournalRows(n, d.name == "sqlite")
}

func init() {
	sqliteDialect.insertJournalFull = buildInsertJournalRows(journalBatchRows, true)
	postgresDialect.insertJournalFull = buildInsertJournalRows(journalBatchRows, false)
}

func buildInsertJournalRows(n int, anonymous bool) string {
	var sb strings.Builder
	head, _, _ := strings.Cut(insertJournal, "VALUES")
	sb.WriteString(head)
	sb.WriteString("VALUES ")
	for r := range n {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for c := range 16 {
			if c > 0 {
				sb.WriteString(", ")
			}
			if anonymous {
				sb.WriteByte('?')
			} else {
				fmt.Fprintf(&sb, "$%d", r*16+c+1)
			}
		}
		sb.WriteByte(')')
	}
	return sb.String()
}

// journalShared are the columns of insertJournal (by index in its
// parameters) that a bulk transaction's entries usually have in common: the
// time, the actor, the result and the reason (the job). When every entry of
// a batch has the same values there, SQLite gets them once per statement
// instead of once per row (sharedJournalArgs): an import binds 1.4 million
// fewer parameters.
var journalShared = [...]int{2, 3, 4, 5, 6, 12, 13}

// journalOwn are the other columns, each row's own.
var journalOwn = [...]int{0, 1, 7, 8, 9, 10, 11, 14, 15}

// sharedJournalArgs returns the arguments of insertJournalShared for rows
// entries whose insertJournal arguments are args, or false when the entries
// differ in a shared column.
func sharedJournalArgs(args []any, rows int) ([]any, bool) {
	const width = 16
	for r := 1; r < rows; r++ {
		for _, c := range journalShared {
			if args[r*width+c] != args[c] {
				return nil, false
			}
		}
	}
	out := make([]any, 0, len(journalShared)+rows*len(journalOwn))
	for _, c := range journalShared {
		out = append(out, args[c])
	}
	for r := range rows {
		for _, c := range journalOwn {
			out = append(out, args[r*width+c])
		}
	}
	return out, true
}

var journalSharedTexts sync.Map // rows → string

// insertJournalShared is insertJournal for n rows (SQLite) taking the
// shared columns first, once, then each row's own columns, all as anonymous
// parameters (see insertJournalRows).
func insertJournalShared(n int) string {
	if q, ok := journalSharedTexts.Load(n); ok {
		return q.(string)
	}
	head, _, _ := strings.Cut(insertJournal, "VALUES")
	cols := make([]string, 16)
	for _, c := range journalShared {
		cols[c] = "?" // numbered in text order: these come first
	}
	for i, c := range journalOwn {
		cols[c] = fmt.Sprintf("column%d", i+1)
	}
	var sb strings.Builder
	sb.WriteString(head)
	sb.WriteString("SELECT ")
	sb.WriteString(strings.Join(cols, ", "))
	sb.WriteString(" FROM (VALUES ")
	writeQuestionRows(&sb, n, len(journalOwn))
	sb.WriteByte(')')
	q, _ := journalSharedTexts.LoadOrStore(n, sb.String())
	return q.(string)
}
