// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirweb

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirsync"
	"github.com/preau/preau/internal/directory/importer"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of the directory pages.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

// Importer plans and applies imports (dirsync.Engine).
type Importer interface {
	Plan(ctx context.Context, in *dirsync.Incoming, opt dirsync.Options) (*dirsync.Plan, error)
	Apply(ctx context.Context, p *dirsync.Plan, progress func(done, total int)) error
}

// ImportPages serves the import pages of the console: upload, preview,
// apply with live progress, and the initial passwords shown once.
type ImportPages struct {
	eng   Importer
	grace time.Duration // how long leavers are kept before deletion
	rd    *web.Renderer
	mu    sync.Mutex
	runs  map[string]*run // by random token

	sources SourceStore // nil: no generic-source declarations (see WithSources)
}

// run is one previewed import, kept in memory for 30 minutes and bound to
// the session that made it. Its credentials are dropped once shown.
type run struct {
	session  string
	created  time.Time
	files    []string
	plan     *dirsync.Plan
	warnings []string
	state    string // "preview", "applying", "done", "failed"
	done     int
	total    int
	err      string
	shown    bool // credentials shown: wiped
	updates  chan struct{}
}

// NewImportPages returns the import pages. grace is how long a leaver is
// kept before deletion (0: the engine's default).
func NewImportPages(eng Importer, rd *web.Renderer, grace time.Duration) *ImportPages {
	return &ImportPages{eng: eng, rd: rd, grace: grace, runs: map[string]*run{}}
}

// MaxUpload bounds the body of an import upload: the national exports of a
// big lycée are a few megabytes; an académie-wide AAF file should go through
// the CLI.
const MaxUpload = 64 << 20

// UploadPath is the path that receives uploads.
const UploadPath = "/admin/import"

// Routes registers the pages, each wrapped by requireAdmin.
func (h *ImportPages) Routes(mux *http.ServeMux, requireAdmin func(http.Handler) http.Handler) {
	handle := func(pattern string, fn web.HandlerFunc) { mux.Handle(pattern, requireAdmin(fn)) }
	handle("GET /admin/import", h.form)
	handle("POST /admin/import", h.preview)
	handle("POST /admin/import/{token}/apply", h.apply)
	handle("GET /admin/import/{token}", h.progress)
	handle("GET /admin/import/{token}/events", h.events)
	handle("GET /admin/import/{token}/passwords", h.passwords)
	handle("POST /admin/import/sources", h.declare)
}

// get returns the run of token if the principal's session owns it.
func (h *ImportPages) get(r *http.Request) (*run, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for t, x := range h.runs {
		if time.Since(x.created) > 30*time.Minute && x.state != "applying" {
			delete(h.runs, t)
		}
	}
	x := h.runs[r.PathValue("token")]
	if x == nil || x.session != core.PrincipalFromContext(r.Context()).SessionID {
		return nil, core.E("dirweb.import", core.NotFound, "dir.import.gone")
	}
	return x, nil
}

func (h *ImportPages) form(w http.ResponseWriter, r *http.Request) error {
	return h.renderForm(w, r, http.StatusOK, importForm{Form: web.NewForm(r.Context(), nil),
		Declared: r.URL.Query().Get("declared")})
}

// renderForm shows the upload form with the generic-source declarations.
func (h *ImportPages) renderForm(w http.ResponseWriter, r *http.Request, status int, v importForm) error {
	rows, ests, err := h.sourceRows(r.Context())
	if err != nil {
		return err
	}
	v.Sources, v.Establishments = rows, ests
	if v.SourceForm == nil {
		v.SourceForm = web.NewForm(r.Context(), nil)
	}
	h.rd.Page(w, r, status, "dir/import", v)
	return nil
}

type importForm struct {
	Form  *web.Form
	Error string
	// The generic sources (INF-ANN-7): each establishment's declarations,
	// the form that records one, and the source just declared.
	Sources        []sourceRow
	Establishments []*directory.Establishment
	SourceForm     *web.Form
	Declared       string
}

// parseUpload reads the uploaded files with the importers.
func parseUpload(r *http.Request) (*importer.Batch, []string, error) {
	if r.MultipartForm == nil {
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return nil, nil, core.E("dirweb.import", core.Invalid, "dir.import.bad_upload")
		}
	}
	var batches []*importer.Batch
	var names []string
	for _, fh := range r.MultipartForm.File["files"] {
		if fh.Size > MaxUpload {
			return nil, nil, core.E("dirweb.import", core.Invalid, "%s is larger than %d MB: use preau import", fh.Filename, MaxUpload>>20)
		}
		f, err := fh.Open()
		if err != nil {
			return nil, nil, err
		}
		b, err := importer.Parse(f, fh.Filename)
		f.Close()
		if err != nil {
			return nil, nil, err
		}
		batches = append(batches, b)
		names = append(names, fh.Filename)
	}
	if len(batches) == 0 {
		return nil, nil, core.E("dirweb.import", core.Invalid, "dir.import.no_file")
	}
	b, err := importer.Merge(batches...)
	return b, names, err
}
