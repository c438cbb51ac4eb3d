// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/jsonenc"
)

// Journal appends one entry in a transaction of its own. Services use it for
// events that change no row, such as a refused attempt or a failed login
// (INF-ANN-4: an attempted change is traced too).
func (db *DB) Journal(ctx context.Context, e journal.Entry) error {
	return db.write(ctx, "store.Journal", func(tx *Tx) error { return tx.journal(e) })
}

const journalColumns = `id, chain, seq, at, actor_id, actor_login, channel, source, action,
	target_type, target_id, target_name, attributes, result, reason, prev_hash, hash`

func scanEntry(sc interface{ Scan(...any) error }) (*journal.Entry, error) {
	var e journal.Entry
	var at int64
	var attrs, result string
	if err := sc.Scan(&e.ID, &e.Chain, &e.Seq, &at, &e.ActorID, &e.ActorLogin, &e.Channel, &e.Source,
		&e.Action, &e.TargetType, &e.TargetID, &e.TargetName, &attrs, &result, &e.Reason,
		&e.PrevHash, &e.Hash); err != nil {
		return nil, err
	}
	e.At = fromMicros(at)
	e.Result = journal.Result(result)
	if attrs != "" && attrs != "[]" {
		if err := json.Unmarshal([]byte(attrs), &e.Attributes); err != nil {
			// A tampered attribute list must still reach the verifier,
			// which will report the hash mismatch.
			e.Attributes = []string{attrs}
		}
	}
	return &e, nil
}

// FindJournal returns entries matching f, at most f.Limit (default 100,
// maximum 10,000), oldest first unless f.NewFirst.
func (db *DB) FindJournal(ctx context.Context, f journal.Filter) ([]*journal.Entry, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Chain != "" {
		where = append(where, "chain = "+arg(f.Chain))
	}
	if len(f.Chains) > 0 {
		ph := make([]string, len(f.Chains))
		for i, c := range f.Chains {
			ph[i] = arg(c)
		}
		where = append(where, "chain IN ("+strings.Join(ph, ", ")+")")
	}
	if !f.Since.IsZero() {
		where = append(where, "at >= "+arg(micros(f.Since)))
	}
	if !f.Until.IsZero() {
		where = append(where, "at < "+arg(micros(f.Until)))
	}
	if f.Action != "" {
		where = append(where, "action LIKE "+arg(likePrefix(f.Action))+" ESCAPE '\\'")
	}
	if f.Actor != "" {
		where = append(where, "actor_login = "+arg(f.Actor))
	}
	if f.Target != "" {
		where = append(where, "(target_id = "+arg(f.Target)+" OR target_name = "+arg(f.Target)+")")
	}
	if f.TargetID != "" {
		where = append(where, "target_id = "+arg(f.TargetID))
	}
	if f.Result != "" {
		where = append(where, "result = "+arg(string(f.Result)))
	}
	order := "ASC"
	if f.NewFirst {
		order = "DESC"
		if f.AfterID > 0 {
			where = append(where, "id < "+arg(f.AfterID))
		}
	} else if f.AfterID > 0 {
		where = append(where, "id > "+arg(f.AfterID))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 10000)
	q := "SELECT " + journalColumns + " FROM journal"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id " + order + " LIMIT " + arg(limit)
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.classify("store.FindJournal", err)
	}
	defer rows.Close()
	var out []*journal.Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, db.classify("store.FindJournal", err)
		}
		out = append(out, e)
	}
	return out, db.classify("store.FindJournal", rows.Err())
}

// likePrefix escapes s for a LIKE prefix match.
func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

// ChainHead is the last appended position of a chain.
type ChainHead struct {
	Chain string
	Seq   int64
	Hash  string
}

// JournalHeads returns the head of every chain.
func (db *DB) JournalHeads(ctx context.Context) ([]ChainHead, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT chain, seq, hash FROM journal_heads ORDER BY chain`)
	if err != nil {
		return nil, db.classify("store.JournalHeads", err)
	}
	defer rows.Close()
	var hs []ChainHead
	for rows.Next() {
		var h ChainHead
		if err := rows.Scan(&h.Chain, &h.Seq, &h.Hash); err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	return hs, rows.Err()
}

// VerifyReport is the outcome of a whole-journal verification.
type VerifyReport struct {
	Chains   int
	Entries  int64
	Problems []*journal.Problem // at most one per chain: the first one
}

// VerifyJournal walks every chain (from its latest checkpoint, whose
// signature is checked with pub) and reports the first problem of each. It
// also reports rows whose chain has no head (inserted into a chain that never
// existed).
func (db *DB) VerifyJournal(ctx context.Context, pub ed25519.PublicKey, progress func(done int64)) (*VerifyReport, error) {
	heads, err := db.JournalHeads(ctx)
	if err != nil {
		return nil, err
	}
	rep := &VerifyReport{Chains: len(heads)}
	known := map[string]bool{}
	for _, h := range heads {
		known[h.Chain] = true
		prob, n, err := db.verifyChain(ctx, h, pub, progress, rep.Entries)
		if err != nil {
			return nil, err
		}
		rep.Entries += n
		if prob != nil {
			rep.Problems = append(rep.Problems, prob)
		}
	}
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT chain FROM journal`)
	if err != nil {
		return nil, db.classify("store.VerifyJournal", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		if !known[c] {
			rep.Problems = append(rep.Problems, &journal.Problem{Chain: c, What: "inserted",
				Msg: "entries exist for a chain that has no head"})
		}
	}
	return rep, rows.Err()
}

func (db *DB) verifyChain(ctx context.Context, h ChainHead, pub ed25519.PublicKey, progress func(int64), base int64) (*journal.Problem, int64, error) {
	cp, err := db.latestCheckpoint(ctx, h.Chain)
	if err != nil {
		return nil, 0, err
	}
	if cp != nil && pub != nil {
		if err := cp.Verify(pub); err != nil {
			return &journal.Problem{Chain: h.Chain, Seq: cp.Seq, What: "checkpoint", Msg: err.Error()}, 0, nil
		}
	}
	v := journal.NewVerifier(h.Chain, h.Seq, h.Hash, cp)
	var from int64
	if cp != nil {
		from = cp.Seq
	}
	// One streaming query per chain: rows are read as they come, in bounded
	// memory, however long the chain.
	rows, err := db.r.QueryContext(ctx, `SELECT `+journalColumns+` FROM journal
		WHERE chain = $1 AND seq > $2 ORDER BY seq, id`, h.Chain, from)
	if err != nil {
		return nil, 0, db.classify("store.VerifyJournal", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, 0, err
		}
		if !v.Next(e) {
			break
		}
		if progress != nil && v.Count()%10000 == 0 {
			progress(base + v.Count())
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return v.Finish(), v.Count(), nil
}

func (db *DB) latestCheckpoint(ctx context.Context, chain string) (*journal.Checkpoint, error) {
	var cp journal.Checkpoint
	var at int64
	err := db.r.QueryRowContext(ctx, `SELECT chain, seq, hash, at, key_id, signature FROM journal_checkpoints
		WHERE chain = $1 ORDER BY seq DESC LIMIT 1`, chain).Scan(&cp.Chain, &cp.Seq, &cp.Hash, &at, &cp.KeyID, &cp.Signature)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, db.classify("store.latestCheckpoint", err)
	}
	cp.At = fromMicros(at)
	return &cp, nil
}

// jsonList encodes a string list for a TEXT column.
func jsonList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	// As encoding/json writes it (jsonenc holds itself to it), without
	// reflection: an import writes two hundred thousand of these.
	n := 2
	for _, s := range l {
		n += len(s) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, s := range l {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, s)
	}
	b = append(b, ']')
	return string(b)
}
