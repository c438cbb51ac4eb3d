// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// PurgeJournal deletes the entries older than before, chain by chain, each
// chain in one transaction: it first stores a checkpoint with the sequence
// and hash of the last deleted entry, signed with the deployment key, so that
// the rest of the chain still verifies (design §3). The purge itself is
// journaled on the deployment chain. It returns the number of entries deleted.
func (db *DB) PurgeJournal(ctx context.Context, before time.Time) (int64, error) {
	if db.key == nil {
		return 0, core.E("store.PurgeJournal", core.Unavailable, "no journal signing key is configured")
	}
	heads, err := db.JournalHeads(ctx)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, h := range heads {
		n, err := db.purgeChain(ctx, h.Chain, before)
		if err != nil {
			return total, err
		}
		total += n
	}
	if total > 0 {
		err = db.Journal(ctx, journal.Entry{Action: "journal.purge", TargetType: "journal",
			Attributes: []string{"before:" + before.UTC().Format(time.RFC3339)},
			Reason:     "retention period reached"})
	}
	return total, err
}

func (db *DB) purgeChain(ctx context.Context, chain string, before time.Time) (int64, error) {
	var n int64
	err := db.write(ctx, "store.PurgeJournal", func(tx *Tx) error {
		var seq int64
		var hash string
		err := tx.queryRow(`SELECT seq, hash FROM journal WHERE chain = $1 AND at < $2 ORDER BY seq DESC LIMIT 1`,
			chain, micros(before)).Scan(&seq, &hash)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		cp := journal.Checkpoint{Chain: chain, Seq: seq, Hash: hash, At: tx.now}
		cp.Sign(db.key)
		if _, err := tx.exec(`INSERT INTO journal_checkpoints (chain, seq, hash, at, key_id, signature)
			VALUES ($1, $2, $3, $4, $5, $6)`, cp.Chain, cp.Seq, cp.Hash, micros(cp.At), cp.KeyID, cp.Signature); err != nil {
			return err
		}
		res, err := tx.exec(`DELETE FROM journal WHERE chain = $1 AND seq <= $2`, chain, seq)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
