// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"path/filepath"
	"testing"
	"time"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// CARINE: MCO-SVG-13 — every backup operation is traced: who, what, when,
// result, sizes, in the history and the journal, in one transaction.
func TestBackupRunsJournaled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("cli:root", core.ChannelCLI))
		start := time.Date(2026, 9, 1, 2, 30, 0, 0, time.UTC)
		r := &backup.Run{Op: backup.OpBackup, Repo: "/mnt/disk2/preau", Snapshot: "abcd1234", Kind: "incremental",
			Started: start, Finished: start.Add(time.Minute), Result: "done", Files: 12, Bytes: 3000, AddedBytes: 700, RepoBytes: 9000}
		if err := db.RecordBackupRun(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordBackupRun(ctx, &backup.Run{Op: backup.OpCheck, Repo: "/mnt/disk2/preau", Result: "failed",
			Started: start.Add(time.Hour), Finished: start.Add(time.Hour), Detail: "pack 1234 missing"}); err != nil {
			t.Fatal(err)
		}
		runs, err := db.BackupRuns(ctx, "", 10)
		if err != nil || len(runs) != 2 || runs[0].Op != backup.OpCheck || runs[1].AddedBytes != 700 || runs[1].Actor != "cli:root" {
			t.Fatalf("runs %v %+v", err, runs)
		}
		if last, err := db.LastBackupRun(ctx, backup.OpCheck, "done"); !core.IsKind(err, core.NotFound) {
			t.Fatalf("no successful check yet: %v %v", last, err)
		}
		es, err := db.FindJournal(ctx, journal.Filter{Action: "backup."})
		if err != nil || len(es) != 2 {
			t.Fatalf("journal %v %d", err, len(es))
		}
		if es[0].ActorLogin != "cli:root" || es[0].Action != "backup.backup" || es[1].Result != journal.Failed ||
			!bytes.Contains([]byte(es[0].Reason), []byte("12 files, 3000 bytes, 700 bytes added")) {
			t.Fatalf("journal entries %+v %+v", es[0], es[1])
		}
	})
}

// CARINE: MCO-SVG-2 — policies are stored per establishment and journaled;
// a bad schedule is refused.
func TestBackupPolicyStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("cli:root", core.ChannelCLI))
		if _, err := db.BackupPolicy(ctx, ""); !core.IsKind(err, core.NotFound) {
			t.Fatalf("no policy yet: %v", err)
		}
		p := backup.DefaultPolicy()
		p.Repo = "/mnt/disk2/preau"
		if err := db.PutBackupPolicy(ctx, p); err != nil {
			t.Fatal(err)
		}
		bad := p
		bad.Schedule = "quand on veut"
		if err := db.PutBackupPolicy(ctx, bad); !core.IsKind(err, core.Invalid) {
			t.Fatalf("bad schedule accepted: %v", err)
		}
		got, err := db.BackupPolicy(ctx, "")
		if err != nil || got.Schedule != "daily 02:30" || got.Retention.Daily != 14 || got.Repo != p.Repo {
			t.Fatalf("policy %v %+v", err, got)
		}
		if all, _ := db.BackupPolicies(ctx); len(all) != 1 {
			t.Fatalf("policies %v", all)
		}
	})
}

// CARINE: MCO-SVG-1 — the database snapshot: VACUUM INTO on SQLite, a
// logical dump in one transaction that loads back identically on both.
func TestDatabaseSnapshotAndLogicalDump(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("cli:root", core.ChannelCLI))
		for i := 0; i < 3; i++ {
			if err := db.PutSetting(ctx, "test", "k"+string(rune('a'+i)), "v"); err != nil {
				t.Fatal(err)
			}
		}
		var dump bytes.Buffer
		if err := db.DumpLogical(ctx, &dump); err != nil {
			t.Fatal(err)
		}
		if db.Dialect() == "sqlite" {
			dst := filepath.Join(t.TempDir(), "copy.db")
			if err := db.SnapshotSQLite(ctx, dst); err != nil {
				t.Fatal(err)
			}
			c, err := store.Open(ctx, store.Config{DSN: dst, Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			if v, err := c.Setting(ctx, "test", "kc"); err != nil || v != "v" {
				t.Fatalf("copy lacks a setting: %v", err)
			}
			c.Close()
		}
		// Load into a fresh database of the same dialect.
		fresh := open(t)
		if err := fresh.LoadLogical(ctx, bytes.NewReader(dump.Bytes())); err != nil {
			t.Fatal(err)
		}
		if v, err := fresh.Setting(ctx, "test", "kb"); err != nil || v != "v" {
			t.Fatalf("restored database lacks a setting: %v", err)
		}
		var again bytes.Buffer
		if err := fresh.DumpLogical(ctx, &again); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), dump.Bytes()) {
			t.Fatal("the restored database dumps differently")
		}
		// The journal still verifies and new entries chain on.
		if err := fresh.PutSetting(ctx, "test", "kz", "v"); err != nil {
			t.Fatal(err)
		}
		rep, err := fresh.VerifyJournal(ctx, ed25519.PublicKey(make([]byte, 32)), nil)
		if err != nil || len(rep.Problems) != 0 {
			t.Fatalf("journal after load: %v %v", err, rep)
		}
		// A truncated dump changes nothing.
		lines := bytes.SplitAfter(dump.Bytes(), []byte("\n"))
		cut := bytes.Join(lines[:len(lines)-3], nil) // whole lines: only the end marker tells
		if err := fresh.LoadLogical(ctx, bytes.NewReader(cut)); err == nil {
			t.Fatal("truncated dump accepted")
		}
		if v, _ := fresh.Setting(ctx, "test", "kz"); v != "v" {
			t.Fatal("a failed load changed the database")
		}
	})
}
