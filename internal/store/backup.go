// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// SnapshotSQLite writes a consistent copy of the SQLite database to dst
// (which must not exist) with VACUUM INTO, while writers go on. It returns
// a core.Invalid error on PostgreSQL, whose snapshot is DumpLogical.
func (db *DB) SnapshotSQLite(ctx context.Context, dst string) error {
	const op = "store.SnapshotSQLite"
	if db.d.name != "sqlite" {
		return core.E(op, core.Invalid, "not a SQLite database")
	}
	if _, err := os.Stat(dst); err == nil {
		return core.E(op, core.Exists, "%s exists already", dst)
	}
	// A reader connection does not hold up the single writer.
	if _, err := db.r.ExecContext(ctx, `VACUUM INTO `+sqlQuote(dst)); err != nil {
		os.Remove(dst)
		if _, err := db.w.ExecContext(ctx, `VACUUM INTO `+sqlQuote(dst)); err != nil {
			return core.Wrap(op, core.Unavailable, fmt.Errorf("copying the database: %w", err))
		}
	}
	return nil
}

const backupRunColumns = `id, op, repo, establishment, snapshot, kind, started_at, finished_at, result,
	files, bytes, added_bytes, repo_bytes, actor, detail`

// RecordBackupRun stores a backup operation in the history and journals it
// in the same transaction (MCO-SVG-13): who (the principal in ctx), what
// (op, repository, snapshot), when, the result and the sizes.
func (db *DB) RecordBackupRun(ctx context.Context, r *backup.Run) error {
	return db.write(ctx, "store.RecordBackupRun", func(tx *Tx) error {
		if r.ID == "" {
			r.ID = core.NewID()
		}
		if r.Finished.IsZero() {
			r.Finished = tx.now
		}
		if r.Started.IsZero() {
			r.Started = r.Finished
		}
		if r.Actor == "" {
			r.Actor = tx.p.Login
		}
		if _, err := tx.exec(`INSERT INTO backup_runs (`+backupRunColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			r.ID, r.Op, r.Repo, r.Establishment, r.Snapshot, r.Kind, micros(r.Started), micros(r.Finished), r.Result,
			r.Files, r.Bytes, r.AddedBytes, r.RepoBytes, r.Actor, r.Detail); err != nil {
			return err
		}
		res := journal.Done
		if r.Result != "done" {
			res = journal.Failed
		}
		chain := r.Establishment
		reason := fmt.Sprintf("repo %s; snapshot %s; %s; %d files, %d bytes, %d bytes added, repository %d bytes; %s → %s",
			r.Repo, r.Snapshot, r.Kind, r.Files, r.Bytes, r.AddedBytes, r.RepoBytes,
			r.Started.UTC().Format("2006-01-02T15:04:05Z"), r.Finished.UTC().Format("2006-01-02T15:04:05Z"))
		if r.Detail != "" {
			reason += "; " + r.Detail
		}
		return tx.journal(journal.Entry{Chain: chain, Action: "backup." + r.Op, TargetType: "backup_run", TargetID: r.ID,
			TargetName: r.Snapshot, Result: res, Reason: reason})
	})
}

func scanBackupRun(sc interface{ Scan(...any) error }) (*backup.Run, error) {
	var r backup.Run
	var s, f int64
	if err := sc.Scan(&r.ID, &r.Op, &r.Repo, &r.Establishment, &r.Snapshot, &r.Kind, &s, &f, &r.Result,
		&r.Files, &r.Bytes, &r.AddedBytes, &r.RepoBytes, &r.Actor, &r.Detail); err != nil {
		return nil, err
	}
	r.Started, r.Finished = fromMicros(s), fromMicros(f)
	return &r, nil
}

// BackupRuns returns the latest runs, newest first; op "" means every op.
func (db *DB) BackupRuns(ctx context.Context, op string, limit int) ([]*backup.Run, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := db.readRows(ctx, `SELECT `+backupRunColumns+` FROM backup_runs
		WHERE ($1 = '' OR op = $1) ORDER BY finished_at DESC, id DESC LIMIT $2`, op, limit)
	if err != nil {
		return nil, db.classify("store.BackupRuns", err)
	}
	defer rows.Close()
	var out []*backup.Run
	for rows.Next() {
		r, err := scanBackupRun(rows)
		if err != nil {
			return nil, db.classify("store.BackupRuns", err)
		}
		out = append(out, r)
	}
	return out, db.classify("store.BackupRuns", rows.Err())
}

// LastBackupRun returns the latest run of op with the given result ("" any),
// or core.NotFound.
func (db *DB) LastBackupRun(ctx context.Context, op, result string) (*backup.Run, error) {
	r, err := scanBackupRun(db.readRow(ctx, `SELECT `+backupRunColumns+` FROM backup_runs
		WHERE op = $1 AND ($2 = '' OR result = $2) ORDER BY finished_at DESC, id DESC LIMIT 1`, op, result))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.E("store.LastBackupRun", core.NotFound, "no %s yet", op)
	}
	return r, db.classify("store.LastBackupRun", err)
}

// BackupPolicy returns an establishment's policy ("" the deployment's), or
// core.NotFound when none was set.
func (db *DB) BackupPolicy(ctx context.Context, establishment string) (backup.Policy, error) {
	var body string
	var at int64
	err := db.readRow(ctx, `SELECT body, updated_at FROM backup_policies WHERE establishment = $1`, establishment).Scan(&body, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return backup.Policy{}, core.E("store.BackupPolicy", core.NotFound, "no backup policy set")
	}
	if err != nil {
		return backup.Policy{}, db.classify("store.BackupPolicy", err)
	}
	p, err := backup.ParsePolicy(body)
	p.Establishment, p.UpdatedAt = establishment, fromMicros(at)
	return p, err
}

// BackupPolicies returns every stored policy.
func (db *DB) BackupPolicies(ctx context.Context) ([]backup.Policy, error) {
	rows, err := db.readRows(ctx, `SELECT establishment, body, updated_at FROM backup_policies ORDER BY establishment`)
	if err != nil {
		return nil, db.classify("store.BackupPolicies", err)
	}
	defer rows.Close()
	var out []backup.Policy
	for rows.Next() {
		var est, body string
		var at int64
		if err := rows.Scan(&est, &body, &at); err != nil {
			return nil, db.classify("store.BackupPolicies", err)
		}
		p, err := backup.ParsePolicy(body)
		if err != nil {
			return nil, err
		}
		p.Establishment, p.UpdatedAt = est, fromMicros(at)
		out = append(out, p)
	}
	return out, db.classify("store.BackupPolicies", rows.Err())
}

// PutBackupPolicy validates and stores a policy, journaled.
func (db *DB) PutBackupPolicy(ctx context.Context, p backup.Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return db.write(ctx, "store.PutBackupPolicy", func(tx *Tx) error {
		p.UpdatedAt = tx.now
		if _, err := tx.exec(`INSERT INTO backup_policies (establishment, body, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (establishment) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
			p.Establishment, backup.MarshalPolicy(p), micros(tx.now)); err != nil {
			return err
		}
		return tx.journal(journal.Entry{Chain: p.Establishment, Action: "backup.policy.set", TargetType: "backup_policy",
			TargetName: p.Establishment, Attributes: []string{"schedule", "selection", "retention", "repo"}})
	})
}
