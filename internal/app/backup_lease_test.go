// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/core"
)

// TestBackupSchedulerLease: outside its transfer window a due backup waits;
// then two nodes sharing one store tick at the same
// moment with a policy due; the store lease lets exactly one of them run
// the backup, and the other, ticking again once it is done, finds it no
// longer due. CARINE: MCO-SVG-2
func TestBackupSchedulerLease(t *testing.T) {
	data, repo := t.TempDir(), filepath.Join(t.TempDir(), "repo")
	ctx := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:test", core.ChannelJob))
	if _, err := setupRecoveryKey(data, nil); err != nil {
		t.Fatal(err)
	}
	// Ten past an hour: the hourly backup is then not due again when the
	// late ticks come three minutes after it (at five to, it would be).
	clock := core.NewFakeClock(time.Now().Truncate(time.Hour).Add(10 * time.Minute))
	cfg := config.Default()
	cfg.Data = data
	var nodes []*App
	for i := 0; i < 2; i++ {
		b, err := openBase(ctx, cfg, slog.New(slog.DiscardHandler), clock)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		blobs, err := openBlobStore(ctx, cfg, func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, &App{base: b, blobs: blobs})
	}
	p := backup.DefaultPolicy()
	p.Repo, p.Schedule, p.CheckSchedule = repo, "hourly", ""
	if err := nodes[0].db.PutBackupPolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	// Outside its transfer window, a due backup waits.
	now := clock.Now().In(time.Local)
	p.Window = now.Add(time.Hour).Format("15:04") + "-" + now.Add(2*time.Hour).Format("15:04")
	if err := nodes[0].db.PutBackupPolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	nodes[0].backupTick(ctx, "node-A")
	if runs, _ := nodes[0].db.BackupRuns(ctx, backup.OpBackup, 10); len(runs) != 0 {
		t.Fatalf("a backup ran outside its window: %+v", runs)
	}
	p.Window = now.Add(time.Hour).Format("15:04") + "-" + now.Add(4*time.Hour).Format("15:04")
	if err := nodes[0].db.PutBackupPolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour) // in the window, and due again since the policy changed
	var wg sync.WaitGroup
	for i, a := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.backupTick(ctx, "node-"+string(rune('A'+i)))
		}()
	}
	wg.Wait()
	clock.Advance(backupLeaseTTL + time.Minute) // the lease expired: the next ticks find the backup done
	for _, a := range nodes {
		a.backupTick(ctx, "node-late")
	}
	runs, err := nodes[1].db.BackupRuns(ctx, backup.OpBackup, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Result != "done" {
		t.Fatalf("want exactly one scheduled backup, done: %+v", runs)
	}
}
