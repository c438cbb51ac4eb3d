// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/backup/backupweb"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

// backupRunner runs one backup at a time from the console.
type backupRunner struct {
	a       *App
	mu      sync.Mutex
	p       backup.Progress
	running bool
	failed  string
	wake    chan struct{}
}

func (br *backupRunner) changed() {
	close(br.wake)
	br.wake = make(chan struct{})
}

func (br *backupRunner) State() (backup.Progress, bool, string, <-chan struct{}) {
	br.mu.Lock()
	defer br.mu.Unlock()
	return br.p, br.running, br.failed, br.wake
}

func (br *backupRunner) Start(ctx context.Context) error {
	a := br.a
	p, err := a.db.BackupPolicy(ctx, "")
	if core.IsKind(err, core.NotFound) || (err == nil && p.Repo == "") {
		return core.E("backup.Start", core.Conflict, "no destination is set: preau backup policy set --repo FOLDER")
	}
	if err != nil {
		return err
	}
	if _, ok, _ := backupRecipients(a.cfg.Data); !ok {
		return core.E("backup.Start", core.Conflict, "no recovery key is set up: preau backup init")
	}
	br.mu.Lock()
	if br.running {
		br.mu.Unlock()
		return core.E("backup.Start", core.Conflict, "a backup is already running")
	}
	br.running, br.failed, br.p = true, "", backup.Progress{Phase: "scan"}
	br.changed()
	br.mu.Unlock()
	// The run outlives the request, as the person who started it.
	jctx := context.WithoutCancel(ctx)
	a.goBackground(jctx, "backup-now", func(ctx context.Context) {
		_, err := a.runBackup(ctx, a.blobs, backupRequest{repo: p.Repo, remote: policyRemote(p), kind: "incremental", policy: p,
			progress: func(pr backup.Progress) {
				br.mu.Lock()
				br.p = pr
				br.changed()
				br.mu.Unlock()
			}})
		br.mu.Lock()
		br.running = false
		if err != nil {
			br.failed = core.MessageOf(err)
			if br.failed == "" {
				br.failed = "the backup failed: see the history"
			}
		}
		br.changed()
		br.mu.Unlock()
	})
	return nil
}

// backupStatus is the top of the console's backup page.
func (a *App) backupStatus(ctx context.Context) (backupweb.Status, error) {
	var st backupweb.Status
	_, st.Configured, _ = backupRecipients(a.cfg.Data)
	p, err := a.db.BackupPolicy(ctx, "")
	switch {
	case err == nil:
		st.PolicySet = true
	case core.IsKind(err, core.NotFound):
		p = backup.DefaultPolicy()
	default:
		return st, err
	}
	st.Policy = p
	if r, err := a.db.LastBackupRun(ctx, backup.OpBackup, "done"); err == nil {
		st.LastBackup = r
	}
	if r, err := a.db.LastBackupRun(ctx, backup.OpCheck, ""); err == nil {
		st.LastCheck = r
	}
	if r, err := a.db.LastBackupRun(ctx, backup.OpDrill, ""); err == nil {
		st.LastDrill = r
	}
	if st.Configured && p.DrillDays > 0 {
		st.DrillDue = st.LastDrill == nil || a.clock.Now().Sub(st.LastDrill.Finished) > time.Duration(p.DrillDays)*24*time.Hour
	}
	return st, nil
}

func (a *App) routeBackup(mux *http.ServeMux, rd *web.Renderer, requireAdmin func(http.Handler) http.Handler) error {
	h, err := backupweb.New(backupweb.Deps{History: a.db, Status: a.backupStatus,
		Runner: &backupRunner{a: a, wake: make(chan struct{})}, Browser: backupBrowser{a}, Renderer: rd})
	if err != nil {
		return err
	}
	h.Routes(mux, requireAdmin)
	return nil
}

// backupBrowser reads the policy repository for the browse and compare
// page, with a recovery key given per request and never kept; each look is
// journaled (the names it shows may be private, MCO-SVG-11).
type backupBrowser struct{ a *App }

func (bb backupBrowser) repo(ctx context.Context) (*backup.Repo, backup.Policy, error) {
	p, err := bb.a.db.BackupPolicy(ctx, "")
	if err != nil {
		return nil, p, err
	}
	if p.Repo == "" {
		return nil, p, core.E("backup.browse", core.NotFound, "no backup destination is set")
	}
	be, err := openBackend(p.Repo, policyRemote(p))
	if err != nil {
		return nil, p, err
	}
	r, err := backup.Open(ctx, be)
	return r, p, err
}

func (bb backupBrowser) Snapshots(ctx context.Context) ([]backup.SnapshotRef, error) {
	r, _, err := bb.repo(ctx)
	if err != nil {
		return nil, err
	}
	snaps, _, err := r.Snapshots(ctx)
	return snaps, err
}

func (bb backupBrowser) unlock(ctx context.Context, key string) (*backup.Repo, backup.Policy, error) {
	r, p, err := bb.repo(ctx)
	if err != nil {
		return nil, p, err
	}
	ids, err := backup.ParseIdentities(strings.NewReader(key))
	if err != nil {
		return nil, p, core.E("backup.browse", core.Invalid, "this is not a recovery key (AGE-SECRET-KEY-1…)")
	}
	if err := r.Unlock(ctx, ids); err != nil {
		return nil, p, err
	}
	return r, p, nil
}

func (bb backupBrowser) record(ctx context.Context, p backup.Policy, snap, detail string) {
	_ = bb.a.db.RecordBackupRun(ctx, &backup.Run{Op: "browse", Repo: p.Repo, Snapshot: snap, Result: "done",
		Establishment: p.Establishment, Detail: detail})
}

func (bb backupBrowser) Browse(ctx context.Context, key, snapshot, path string) (backup.SnapshotRef, []backup.BrowseEntry, error) {
	r, p, err := bb.unlock(ctx, key)
	if err != nil {
		return backup.SnapshotRef{}, nil, err
	}
	s, err := r.FindSnapshot(ctx, snapshot, time.Time{})
	if err != nil {
		return s, nil, err
	}
	nodes, cat, err := snapshotView(ctx, r, s.Snapshot)
	if err != nil {
		return s, nil, err
	}
	es, err := backup.Browse(nodes, cat, path)
	if err == nil {
		bb.record(ctx, p, s.ID.String(), "browsed /"+strings.Trim(path, "/")+" with the recovery key")
	}
	return s, es, err
}

func (bb backupBrowser) Diff(ctx context.Context, key, a, b string) (backupweb.DiffView, error) {
	r, p, err := bb.unlock(ctx, key)
	if err != nil {
		return backupweb.DiffView{}, err
	}
	ch, sum, sa, sb, err := diffSnapshots(ctx, r, a, b)
	if err != nil {
		return backupweb.DiffView{}, err
	}
	bb.record(ctx, p, sb.ID.String(), "compared with "+sa.ID.String()+" with the recovery key")
	return backupweb.DiffView{From: sa, To: sb, Changes: ch, Summary: sum}, nil
}
