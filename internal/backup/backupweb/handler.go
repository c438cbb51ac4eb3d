// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package backupweb is the console's backup page: the state of the backups
// (last backup, verification and restore drill, with alerts), the live
// policy, the history of every traced operation with its sizes, a chart of
// the repository's growth, and a button that starts a backup whose progress
// streams over Server-Sent Events.
package backupweb

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"time"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of this package.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

// Paths.
const (
	Path         = "/admin/backup"
	RunPath      = "/admin/backup/run"
	ProgressPath = "/admin/backup/progress"
	EventsPath   = "/admin/backup/events"
)

// History reads the traced operations.
type History interface {
	BackupRuns(ctx context.Context, op string, limit int) ([]*backup.Run, error)
}

// Status is the state the page shows at the top.
type Status struct {
	Configured bool
	Policy     backup.Policy
	PolicySet  bool
	LastBackup *backup.Run
	LastCheck  *backup.Run
	LastDrill  *backup.Run
	DrillDue   bool
}

// Runner starts a backup now and reports its progress.
type Runner interface {
	Start(ctx context.Context) error
	// State returns the current progress, whether a run is going on, the
	// error of the last run ("" if none) and a channel closed at the next
	// change.
	State() (p backup.Progress, running bool, failed string, wake <-chan struct{})
}

// Deps are the page's collaborators. All are required.
type Deps struct {
	History  History
	Status   func(ctx context.Context) (Status, error)
	Runner   Runner
	Browser  Browser
	Renderer *web.Renderer
}

// Handler serves the pages.
type Handler struct{ d Deps }

// New returns the handler; it fails when the renderer lacks its page.
func New(d Deps) (*Handler, error) {
	if err := d.Renderer.Require("backup/overview", "backup/browse"); err != nil {
		return nil, err
	}
	return &Handler{d}, nil
}

// Routes registers the pages behind requireAdmin.
func (h *Handler) Routes(mux *http.ServeMux, requireAdmin func(http.Handler) http.Handler) {
	mux.Handle("GET "+Path, requireAdmin(web.HandlerFunc(h.overview)))
	mux.Handle("POST "+RunPath, requireAdmin(web.HandlerFunc(h.run)))
	mux.Handle("GET "+ProgressPath, requireAdmin(web.HandlerFunc(h.progress)))
	mux.Handle("GET "+EventsPath, requireAdmin(web.HandlerFunc(h.events)))
	mux.Handle("GET "+BrowsePath, requireAdmin(web.HandlerFunc(h.browse)))
	mux.Handle("POST "+BrowsePath, requireAdmin(web.HandlerFunc(h.browse)))
}

type overviewView struct {
	Status
	Runs    []*backup.Run
	Growth  web.Chart
	Running bool
	Now     time.Time
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request) error {
	st, err := h.d.Status(r.Context())
	if err != nil {
		return err
	}
	runs, err := h.d.History.BackupRuns(r.Context(), "", 100)
	if err != nil {
		return err
	}
	_, running, _, _ := h.d.Runner.State()
	v := overviewView{Status: st, Runs: runs, Running: running}
	// Repository size after each of the last backups, oldest first.
	var labels []string
	var values []int
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].Op == backup.OpBackup && runs[i].Result == "done" {
			labels = append(labels, runs[i].Finished.Format("2006-01-02 15:04"))
			values = append(values, int(runs[i].RepoBytes/1000))
		}
	}
	if len(labels) > 12 {
		labels, values = labels[len(labels)-12:], values[len(values)-12:]
	}
	v.Growth = web.Bars(web.T(r.Context(), "backup.chart.title"), web.T(r.Context(), "backup.chart.desc"), labels, values)
	v.Growth.Empty = web.T(r.Context(), "backup.chart.empty")
	h.d.Renderer.Page(w, r, http.StatusOK, "backup/overview", v)
	return nil
}

func (h *Handler) run(w http.ResponseWriter, r *http.Request) error {
	if err := h.d.Runner.Start(r.Context()); err != nil {
		return err
	}
	http.Redirect(w, r, ProgressPath, http.StatusSeeOther)
	return nil
}

func (h *Handler) progress(w http.ResponseWriter, r *http.Request) error {
	p, running, failed, _ := h.d.Runner.State()
	if !running && failed != "" {
		return core.E("backupweb.progress", core.Unavailable, "%s", failed)
	}
	h.d.Renderer.Page(w, r, http.StatusOK, "progress", web.Progress{Title: "backup.progress.title", Message: "backup.progress.message",
		Value: p.Bytes, Max: p.TotalBytes, EventsURL: EventsPath, Done: !running, DoneURL: Path})
	return nil
}

func (h *Handler) events(w http.ResponseWriter, r *http.Request) error {
	_, _, _, wake := h.d.Runner.State()
	return web.StreamProgress(w, r, wake, func() (string, web.ProgressEvent) {
		p, running, failed, _ := h.d.Runner.State()
		ev := web.ProgressEvent{Value: p.Bytes, Max: p.TotalBytes,
			Message: web.T(r.Context(), "backup.progress.count", p.Files, p.TotalFiles)}
		switch {
		case !running && failed != "":
			ev.Message = failed
			return web.EventFailed, ev
		case !running:
			ev.URL, ev.Message = Path, web.T(r.Context(), "backup.progress.done")
			return web.EventDone, ev
		}
		return web.EventProgress, ev
	})
}
