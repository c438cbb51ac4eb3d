// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/monitor"
)

// logStoreProbe fails while the log store cannot seal its segments (the
// blob store refuses them) and when records were dropped since the last
// probe because the buffer was full: both lose legal records (MCO-JAL-2).
func logStoreProbe(st func() logs.Stats) monitor.ProbeFunc {
	var lastDropped atomic.Int64
	lastDropped.Store(-1)
	return func(context.Context) monitor.Result {
		s := st()
		prev := lastDropped.Swap(s.Dropped)
		switch {
		case s.SealErr != "":
			return monitor.Fail("log segments cannot be sealed: %s", s.SealErr)
		case prev >= 0 && s.Dropped > prev:
			return monitor.Fail("%d log records dropped since the last check: the buffer was full", s.Dropped-prev)
		case s.Disk.Err != "":
			return monitor.Fail("%s", s.Disk)
		case s.Disk.Level != logs.DiskOK:
			return monitor.Fail("%s: %s (docs/logs.md, disk alerts)", s.Disk.Level, s.Disk)
		}
		return monitor.Result{OK: true}
	}
}

// backupFreshness is how old the last successful backup may be, when
// backups are enabled, before the self-check fails: a nightly schedule
// that missed one night is still fine, two are not.
const backupFreshness = 50 * time.Hour

// backupProbe fails when the deployment's enabled backup policy has not
// produced a successful backup within backupFreshness, or when the latest
// unattended verification failed (MCO-SVG-8).
func (a *App) backupProbe() monitor.ProbeFunc {
	return func(ctx context.Context) monitor.Result {
		p, err := a.db.BackupPolicy(ctx, "")
		if core.IsKind(err, core.NotFound) || (err == nil && (!p.Enabled || p.Repo == "")) {
			return monitor.Result{OK: true} // no backup configured: nothing to watch (the compliance report says so)
		} else if err != nil {
			return monitor.Fail("reading the backup policy: %v", err)
		}
		last, err := a.db.LastBackupRun(ctx, backup.OpBackup, "done")
		switch {
		case core.IsKind(err, core.NotFound):
			return monitor.Fail("backups are enabled but none has succeeded yet")
		case err != nil:
			return monitor.Fail("reading the backup history: %v", err)
		case a.clock.Now().Sub(last.Finished) > backupFreshness:
			return monitor.Fail("the last successful backup finished %s ago", a.clock.Now().Sub(last.Finished).Round(time.Minute))
		}
		if chk, err := a.db.LastBackupRun(ctx, backup.OpCheck, ""); err == nil && chk.Result != "done" {
			return monitor.Fail("the last verification of the repository failed: %s", chk.Detail)
		}
		return monitor.Result{OK: true}
	}
}

// filterListsMaxAge is how old the UT1 lists in force may be before the
// self-check fails: UT1 publishes daily; two weeks means the nightly fetch
// has stopped (INF-SEC-8).
const filterListsMaxAge = 14 * 24 * time.Hour

// filterListsProbe fails when no UT1 lists were ever imported or when the
// last import is older than filterListsMaxAge.
func (a *App) filterListsProbe() monitor.ProbeFunc {
	return func(ctx context.Context) monitor.Result {
		im, err := a.db.LastFilterImport(ctx)
		switch {
		case core.IsKind(err, core.NotFound):
			return monitor.Fail("no UT1 lists imported: run preau filter fetch or preau filter import-lists")
		case err != nil:
			return monitor.Fail("reading the lists' import: %v", err)
		case a.clock.Now().Sub(im.At) > filterListsMaxAge:
			return monitor.Fail("the UT1 lists in force were imported %s ago", a.clock.Now().Sub(im.At).Round(time.Hour))
		}
		if msg := a.filterFetchFailure(ctx); msg != "" {
			return monitor.Fail("%s", msg)
		}
		return monitor.Result{OK: true}
	}
}
