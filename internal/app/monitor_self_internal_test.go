// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/store"
)

// CARINE: MCO-SEI-1, MCO-JAL-2 — the log store's self-check fails while
// segments cannot be sealed and when records were dropped since the last
// check, and recovers once neither holds.
func TestLogStoreSelfCheck(t *testing.T) {
	var st logs.Stats
	probe := logStoreProbe(func() logs.Stats { return st })
	ctx := context.Background()
	st.Dropped = 7 // dropped before the first check: counted from here on
	if r := probe(ctx); !r.OK {
		t.Fatalf("first check: %+v", r)
	}
	st.Dropped = 19
	if r := probe(ctx); r.OK || !strings.Contains(r.Error, "12 log records dropped") {
		t.Fatalf("after drops: %+v", r)
	}
	if r := probe(ctx); !r.OK {
		t.Fatalf("no new drop: %+v", r)
	}
	st.SealErr = "s3: access denied"
	if r := probe(ctx); r.OK || !strings.Contains(r.Error, "access denied") {
		t.Fatalf("sealing fails: %+v", r)
	}
	// The log disk: a warning and a critical level, each named with the
	// figures (issue 8, disk alerts).
	st.SealErr = ""
	st.Disk = logs.DiskStatus{Path: "/srv/preau/blobs", Total: 100 << 30, Free: 10 << 30, Level: logs.DiskWarning}
	if r := probe(ctx); r.OK || !strings.Contains(r.Error, "warning: log disk /srv/preau/blobs 90.0% full (10.0 GiB free") {
		t.Fatalf("disk warning: %+v", r)
	}
	st.Disk.Free, st.Disk.Level = 2<<30, logs.DiskCritical
	if r := probe(ctx); r.OK || !strings.HasPrefix(r.Error, "critical: log disk") {
		t.Fatalf("disk critical: %+v", r)
	}
	st.Disk = logs.DiskStatus{Path: "/srv/preau/blobs", Total: 100 << 30, Free: 50 << 30}
	if r := probe(ctx); !r.OK {
		t.Fatalf("disk fine again: %+v", r)
	}
}

// CARINE: MCO-SEI-1, MCO-SVG-8 — the backup self-check is quiet while no
// backup is configured, fails when an enabled policy has no recent
// successful backup or when the last verification failed.
func TestBackupSelfCheck(t *testing.T) {
	a, db, clock := selfCheckApp(t)
	probe := a.backupProbe()
	ctx := dirtest.Ctx()
	if r := probe(ctx); !r.OK {
		t.Fatalf("no policy: %+v", r)
	}
	p := backup.DefaultPolicy()
	p.Repo = "/mnt/sauvegardes"
	if err := db.PutBackupPolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	if r := probe(ctx); r.OK || !strings.Contains(r.Error, "none has succeeded yet") {
		t.Fatalf("enabled, never run: %+v", r)
	}
	run := &backup.Run{Op: backup.OpBackup, Repo: p.Repo, Kind: "full", Started: clock.Now().Add(-time.Minute),
		Finished: clock.Now(), Result: "done"}
	if err := db.RecordBackupRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if r := probe(ctx); !r.OK {
		t.Fatalf("fresh backup: %+v", r)
	}
	clock.Advance(51 * time.Hour)
	if r := probe(ctx); r.OK || !strings.Contains(r.Error, "last successful backup finished") {
		t.Fatalf("two nights missed: %+v", r)
	}
	run2 := &backup.Run{Op: backup.OpBackup, Repo: p.Repo, Kind: "incremental", Started: clock.Now(), Finished: clock.Now(), Result: "done"}
	chk := &backup.Run{Op: backup.OpCheck, Repo: p.Repo, Started: clock.Now(), Finished: clock.Now(), Result: "failed",
		Detail: "pack 3f2a… is damaged"}
	for _, r := range []*backup.Run{run2, chk} {
		if err := db.RecordBackupRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if r := probe(ctx); r.OK || !strings.Contains(r.Error, "pack 3f2a… is damaged") {
		t.Fatalf("failed verification: %+v", r)
	}
}

// CARINE: MCO-SEI-1, INF-SEC-8 — the filter's self-check fails while no
// UT1 lists were imported and once the lists in force are over two weeks
// old (the nightly fetch stopped).
func TestFilterListsSelfCheck(t *testing.T) {
	a, db, clock := selfCheckApp(t)
	probe := a.filterListsProbe()
	ctx := dirtest.Ctx()
	if r := probe(ctx); r.OK || !strings.Contains(r.Error, "no UT1 lists imported") {
		t.Fatalf("no lists: %+v", r)
	}
	if err := db.RecordFilterImport(ctx, &store.FilterImport{Source: "blacklists.tar.gz", SHA256: "00", Categories: 60,
		Domains: 1000}); err != nil {
		t.Fatal(err)
	}
	if r := probe(ctx); !r.OK {
		t.Fatalf("fresh lists: %+v", r)
	}
	clock.Advance(15 * 24 * time.Hour)
	if r := probe(ctx); r.OK || !strings.Contains(r.Error, "imported 360h0m0s ago") {
		t.Fatalf("lists 15 days old: %+v", r)
	}
}

// selfCheckApp is an App with only a SQLite store and a fake clock, enough
// for the self-check probes that read the store.
func selfCheckApp(t *testing.T) (*App, *store.DB, *core.FakeClock) {
	t.Helper()
	clock := core.NewFakeClock(time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC))
	db, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &App{base: &base{db: db, clock: clock}}, db, clock
}
