// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package admin is the administration console's shell: its home page lists
// the establishments the principal administers with their counts, shows
// start-up progress live, and offers the journal viewer. Service issues add
// their pages beside it. It is a web-only module.
package admin

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of the console.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

// Directory is what the console reads of the directory.
type Directory interface {
	Establishments(ctx context.Context) ([]*directory.EstablishmentSummary, error)
}

// Journal reads journal entries.
type Journal interface {
	FindJournal(ctx context.Context, f journal.Filter) ([]*journal.Entry, error)
}

// Progress reports start-up work: done and total items, and whether it is
// still running.
type Progress func() (stage string, done, total int, running bool)

// Deps are the collaborators of the console.
type Deps struct {
	Directory Directory
	Journal   Journal
	Progress  Progress
	Rights    Rights
	Groups    Groups
	Stats     Stats            // nil: no directory charts
	Charts    []ChartSource    // more dashboard charts, from later services
	Passwords PasswordSettings // nil: no password-policy page
}

// Handler serves the console.
type Handler struct {
	deps Deps
	rd   *web.Renderer
}

// New returns the console handler.
func New(deps Deps, rd *web.Renderer) *Handler { return &Handler{deps: deps, rd: rd} }

// Routes registers the console pages, each wrapped by requireAdmin.
//
// The journal pages are wrapped by requireJournal instead, which must also
// let through those the head granted journal.read: each sees only the
// chains of the establishments where they hold it.
func (h *Handler) Routes(mux *http.ServeMux, requireAdmin, requireJournal func(http.Handler) http.Handler) {
	mux.Handle("GET /admin/{$}", requireAdmin(web.HandlerFunc(h.home)))
	mux.Handle("GET /admin/journal", requireJournal(web.HandlerFunc(h.journal)))
	mux.Handle("GET /api/v1/journal", requireJournal(web.HandlerFunc(h.journalAPI)))
	h.rightsRoutes(mux, requireAdmin)
	h.zoneRoutes(mux, requireAdmin)
	h.passwordRoutes(mux, requireAdmin)
	mux.Handle("GET /api/v1/stats/people", requireAdmin(web.HandlerFunc(h.peopleStatsAPI)))
}

type homeView struct {
	Establishments []*directory.EstablishmentSummary
	Totals         directory.EstablishmentSummary
	Running        bool
	Stage          string
	Done, Total    int
	Percent        int
	Charts         []web.Chart
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) error {
	ests, err := h.deps.Directory.Establishments(r.Context())
	if err != nil {
		return err
	}
	v := homeView{Establishments: ests}
	for _, e := range ests {
		v.Totals.People += e.People
		v.Totals.Pupils += e.Pupils
		v.Totals.Classes += e.Classes
	}
	if h.deps.Progress != nil {
		v.Stage, v.Done, v.Total, v.Running = h.deps.Progress()
		if v.Total > 0 {
			v.Percent = v.Done * 100 / v.Total
		}
	}
	if h.deps.Stats != nil {
		counts, err := h.deps.Stats.PeopleStats(r.Context(), statsScope(core.PrincipalFromContext(r.Context())))
		if err != nil {
			return err
		}
		v.Charts = PeopleCharts(r.Context(), counts)
	}
	for _, src := range h.deps.Charts {
		cs, err := src(r)
		if err != nil {
			return err
		}
		v.Charts = append(v.Charts, cs...)
	}
	h.rd.Page(w, r, http.StatusOK, "admin/home", v)
	return nil
}

// journalChains returns the chains the principal may read: all for an
// operator, else their establishments' (and never the deployment chain).
func journalChains(p core.Principal) []string {
	if p.Operator() {
		return nil
	}
	var out []string
	for _, e := range p.Establishments {
		if p.CanAdminister(e) || p.HasRight(core.RightJournalRead, e) {
			out = append(out, e)
		}
	}
	if out == nil {
		out = []string{"-"} // matches no chain
	}
	return out
}

func (h *Handler) filter(r *http.Request) journal.Filter {
	q := r.URL.Query()
	f := journal.Filter{Action: q.Get("action"), Actor: q.Get("actor"), Target: q.Get("target"),
		Result: journal.Result(q.Get("result")), NewFirst: true, Limit: 100,
		Chains: journalChains(core.PrincipalFromContext(r.Context()))}
	if n, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil {
		f.AfterID = n
	}
	return f
}

type journalView struct {
	Entries []*journal.Entry
	Filter  journal.Filter
	Next    int64
}

func (h *Handler) journal(w http.ResponseWriter, r *http.Request) error {
	f := h.filter(r)
	es, err := h.deps.Journal.FindJournal(r.Context(), f)
	if err != nil {
		return err
	}
	v := journalView{Entries: es, Filter: f}
	if len(es) == f.Limit {
		v.Next = es[len(es)-1].ID
	}
	h.rd.Page(w, r, http.StatusOK, "admin/journal", v)
	return nil
}

func (h *Handler) journalAPI(w http.ResponseWriter, r *http.Request) error {
	es, err := h.deps.Journal.FindJournal(r.Context(), h.filter(r))
	if err != nil {
		return err
	}
	if es == nil {
		es = []*journal.Entry{}
	}
	return web.JSON(w, http.StatusOK, map[string]any{"entries": es})
}
