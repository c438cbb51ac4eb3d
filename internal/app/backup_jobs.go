// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/compliance"
	"github.com/preau/preau/internal/core"
)

// backupScheduler runs each enabled policy's backups and unattended
// verifications on their calendars (MCO-SVG-2, -8). A failed verification
// is journaled as failed, logged as an error, shown on the admin page and
// in the compliance report.
func (a *App) backupScheduler(ctx context.Context) {
	jctx := core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:backup", core.ChannelJob))
	host, _ := os.Hostname()
	holder := host + "/" + core.NewID()
	for {
		a.backupTick(jctx, holder)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Minute):
		}
	}
}

// backupLeaseTTL is how long a node holds a policy's lease without
// renewing it; a running backup renews it every third of that.
var backupLeaseTTL = 2 * time.Minute

// withLease runs fn while holding the store lease called name, renewed
// until fn returns: on an académie cluster sharing one store, only one node
// runs a policy's scheduled backup at a time (the lease mechanism
// supervision uses). It reports whether fn ran.
func (a *App) withLease(ctx context.Context, name, holder string, fn func(context.Context)) bool {
	ok, err := a.db.AcquireLease(ctx, name, holder, backupLeaseTTL)
	if err != nil || !ok {
		if err != nil && ctx.Err() == nil {
			a.log.Warn("backup lease", "lease", name, "err", err)
		}
		return false
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(backupLeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if ok, err := a.db.AcquireLease(context.WithoutCancel(ctx), name, holder, backupLeaseTTL); err != nil || !ok {
					a.log.Warn("backup lease lost while running", "lease", name, "err", err)
				}
			}
		}
	}()
	defer close(done)
	fn(ctx)
	return true
}

func (a *App) backupTick(ctx context.Context, holder string) {
	pols, err := a.db.BackupPolicies(ctx)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Error("backup scheduler: reading policies failed", "err", err)
		}
		return
	}
	now := a.clock.Now()
	for _, p := range pols {
		if !p.Enabled || p.Repo == "" {
			continue
		}
		// Outside its transfer window a due backup waits for the window.
		if due(p.Schedule, a.lastRun(ctx, backup.OpBackup, p.Establishment, p.UpdatedAt), now) && inWindow(p.Window, now) {
			a.withLease(ctx, "backup:"+p.Establishment, holder, func(ctx context.Context) {
				// Another node may have run it between our look and the lease.
				if due(p.Schedule, a.lastRun(ctx, backup.OpBackup, p.Establishment, p.UpdatedAt), now) {
					a.scheduledBackup(ctx, p)
				}
			})
		}
		if p.CheckSchedule != "" && due(p.CheckSchedule, a.lastRun(ctx, backup.OpCheck, p.Establishment, p.UpdatedAt), now) {
			a.withLease(ctx, "backup-check:"+p.Establishment, holder, func(ctx context.Context) {
				if due(p.CheckSchedule, a.lastRun(ctx, backup.OpCheck, p.Establishment, p.UpdatedAt), now) {
					a.scheduledCheck(ctx, p)
				}
			})
		}
	}
}

func (a *App) scheduledBackup(ctx context.Context, p backup.Policy) {
	kind := "incremental"
	if p.FullEvery > 0 && a.runsSinceFull(ctx, p.Establishment)+1 >= p.FullEvery {
		kind = "full"
	}
	remote := policyRemote(p)
	remote.window, remote.now = p.Window, a.clock.Now // a transfer still going when the window closes pauses until it opens
	run, err := a.runBackup(ctx, a.blobs, backupRequest{repo: p.Repo, remote: remote, kind: kind, policy: p})
	if err != nil {
		a.log.Error("scheduled backup failed", "establishment", p.Establishment, "repo", p.Repo, "err", err)
	} else {
		a.log.Info("scheduled backup done", "snapshot", run.Snapshot, "added", run.AddedBytes)
	}
}

// inWindow reports whether now (in the server's time zone) is within a
// policy's transfer window ("" always).
func inWindow(window string, now time.Time) bool {
	w, err := backup.ParseWindow(window)
	return err == nil && w.Open(now.In(time.Local))
}

func due(schedule string, last, now time.Time) bool {
	c, err := backup.ParseCalendar(schedule)
	return err == nil && !now.Before(c.Next(last))
}

func (a *App) lastRun(ctx context.Context, op, est string, since time.Time) time.Time {
	runs, err := a.db.BackupRuns(ctx, op, 50)
	if err != nil {
		return since
	}
	for _, r := range runs {
		if r.Establishment == est {
			return r.Started
		}
	}
	return since
}

func (a *App) runsSinceFull(ctx context.Context, est string) int {
	runs, _ := a.db.BackupRuns(ctx, backup.OpBackup, 100)
	n := 0
	for _, r := range runs {
		if r.Establishment != est || r.Result != "done" {
			continue
		}
		if r.Kind == "full" {
			return n
		}
		n++
	}
	return n
}

// scheduledCheck verifies the repository without any key.
func (a *App) scheduledCheck(ctx context.Context, p backup.Policy) {
	run := &backup.Run{Op: backup.OpCheck, Repo: p.Repo, Establishment: p.Establishment, Started: a.clock.Now(), Result: "done"}
	be, err := openBackend(p.Repo, policyRemote(p))
	var rep *backup.CheckReport
	if err == nil {
		var r *backup.Repo
		if r, err = backup.Open(ctx, be); err == nil {
			rep, err = r.Check(ctx, backup.CheckOptions{ReadData: true})
		}
		run.RepoBytes = repoSize(ctx, be)
	}
	run.Finished = a.clock.Now()
	switch {
	case err != nil:
		run.Result, run.Detail = "failed", err.Error()
	case !rep.OK():
		run.Result, run.Detail = "failed", fmt.Sprintf("%d problems: %s", len(rep.Problems), strings.Join(rep.Problems[:min(3, len(rep.Problems))], "; "))
	}
	if run.Result != "done" {
		a.log.Error("ALERT: backup verification failed", "repo", p.Repo, "detail", run.Detail)
	}
	if err := a.db.RecordBackupRun(ctx, run); err != nil {
		a.log.Error("recording a backup check failed", "err", err)
	}
}

// backupFacts gives the compliance report the backup service's facts.
type backupFacts struct{ b *base }

func (f backupFacts) BackupFacts(ctx context.Context) (*compliance.BackupFacts, error) {
	out := &compliance.BackupFacts{}
	_, ok, _ := backupRecipients(f.b.cfg.Data)
	out.Configured = ok
	p, err := f.b.db.BackupPolicy(ctx, "")
	if err == nil {
		out.ScheduleSet, out.RetentionSet = true, !p.Retention.KeepsAll()
	} else if core.IsKind(err, core.NotFound) {
		p = backup.DefaultPolicy()
	} else {
		return nil, err
	}
	out.DrillDays = p.DrillDays
	if c, err := backup.ParseCalendar(p.Schedule); err == nil {
		out.PolicyText = compliance.T("Sauvegarde "+c.Describe("fr")+" ; "+backup.DescribeRetention(p.Retention)+".",
			"Backup "+c.Describe("en")+"; retention: "+fmt.Sprintf("last %d, daily %d, weekly %d, monthly %d, yearly %d.",
				p.Retention.Last, p.Retention.Daily, p.Retention.Weekly, p.Retention.Monthly, p.Retention.Yearly))
	}
	if r, err := f.b.db.LastBackupRun(ctx, backup.OpBackup, "done"); err == nil {
		out.LastBackup = r.Finished
		out.OffSite = strings.HasPrefix(r.Repo, "https://")
	}
	if r, err := f.b.db.LastBackupRun(ctx, backup.OpCheck, ""); err == nil {
		out.LastCheck, out.LastCheckOK = r.Finished, r.Result == "done"
	}
	if r, err := f.b.db.LastBackupRun(ctx, backup.OpDrill, ""); err == nil {
		out.LastDrill, out.LastDrillOK = r.Finished, r.Result == "done"
		// A drill verifies too.
		if r.Finished.After(out.LastCheck) {
			out.LastCheck, out.LastCheckOK = r.Finished, r.Result == "done"
		}
	}
	if rs, err := f.b.db.BackupRuns(ctx, backup.OpRestore, 1000); err == nil {
		out.Restores = len(rs)
	}
	return out, nil
}

// backupAnnex is the charter annex's backup section, from the live policy
// of the establishment (or the deployment's).
func (b *base) backupAnnex() charter.Source {
	return charter.SourceFunc(func(ctx context.Context, est string) ([]charter.Section, error) {
		p, err := b.db.BackupPolicy(ctx, est)
		if core.IsKind(err, core.NotFound) {
			p, err = b.db.BackupPolicy(ctx, "")
		}
		if core.IsKind(err, core.NotFound) {
			p, err = backup.DefaultPolicy(), nil
		}
		if err != nil {
			return nil, err
		}
		_, ok, _ := backupRecipients(b.cfg.Data)
		paras, items := backup.AnnexParagraphs(p, ok)
		return []charter.Section{{ID: "backups", Title: "Sauvegardes et restauration", Paragraphs: paras, Items: items}}, nil
	})
}
