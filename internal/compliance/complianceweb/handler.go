// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package complianceweb serves the live CARINE compliance report in the
// console: GET /admin/compliance (summary per service, SVG chart, the
// requirements filtered by service and status) and its downloads
// /admin/compliance.csv, .pdf and .html. Heads see their establishments,
// operators all of them.
package complianceweb

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"

	"github.com/preau/preau/internal/compliance"
	"github.com/preau/preau/internal/compliance/report"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of the compliance pages.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

// Directory lists the establishments the principal in ctx may see.
type Directory interface {
	Establishments(ctx context.Context) ([]*directory.EstablishmentSummary, error)
}

// Handler serves the compliance pages.
type Handler struct {
	dir  Directory
	deps compliance.Deps
	rd   *web.Renderer
}

// New returns the handler; deps are the report's live sources.
func New(dir Directory, deps compliance.Deps, rd *web.Renderer) (*Handler, error) {
	if err := rd.Require("compliance/report"); err != nil {
		return nil, err
	}
	return &Handler{dir: dir, deps: deps, rd: rd}, nil
}

// Routes registers the pages, each wrapped by requireAdmin (heads,
// administrators, operators).
func (h *Handler) Routes(mux *http.ServeMux, requireAdmin func(http.Handler) http.Handler) {
	mux.Handle("GET /admin/compliance", requireAdmin(web.HandlerFunc(h.page)))
	for _, f := range report.Formats {
		mux.Handle("GET /admin/compliance."+f, requireAdmin(web.HandlerFunc(h.download(f))))
	}
}

// evaluate builds the report of the establishments the principal may see,
// or of the one named by ?uai=.
func (h *Handler) evaluate(r *http.Request) (*compliance.Report, []*directory.EstablishmentSummary, error) {
	ctx := r.Context()
	sums, err := h.dir.Establishments(ctx)
	if err != nil {
		return nil, nil, err
	}
	p := core.PrincipalFromContext(ctx)
	var ests []*directory.Establishment
	uai := r.URL.Query().Get("uai")
	for _, s := range sums {
		if (uai == "" || s.UAI == uai) && (p.Operator() || p.CanAdminister(s.ID)) {
			ests = append(ests, &s.Establishment)
		}
	}
	if uai != "" && len(ests) == 0 {
		return nil, nil, core.E("complianceweb", core.NotFound, "no establishment %s among yours", uai)
	}
	rep, err := compliance.Evaluate(ctx, h.deps, ests)
	return rep, sums, err
}

type pageView struct {
	Report         *compliance.Report
	Chart          template.HTML
	Results        []compliance.Result
	Services       []compliance.Service
	Statuses       []compliance.Status
	Establishments []*directory.EstablishmentSummary
	Service        string
	Status         compliance.Status
	UAI            string
	Lang           string
	Query          string // uai and lang for the download links
}

// Pct returns n as a share of total, for the summary.
func (v pageView) Pct(n, total int) int {
	if total == 0 {
		return 0
	}
	return (100*n + total/2) / total
}

// Download is the link to the report in format, for the same
// establishments and language.
func (v pageView) Download(format string) template.URL {
	return template.URL("/admin/compliance." + format + "?" + v.Query) // Query is url.Values-encoded
}

// Badge is the CSS badge class of a status.
func (v pageView) Badge(s compliance.Status) string {
	return map[compliance.Status]string{compliance.Met: "badge-success", compliance.Partly: "badge-warning",
		compliance.NotMet: "badge-error", compliance.Organisational: "badge-info"}[s]
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) error {
	rep, sums, err := h.evaluate(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	lang := web.LangFromContext(r.Context())
	v := pageView{Report: rep, Chart: template.HTML(report.Chart(rep, lang)), Services: compliance.Services(),
		Statuses: compliance.Statuses, Establishments: sums, UAI: q.Get("uai"), Lang: lang}
	if _, ok := compliance.ServiceByCode(q.Get("service")); ok {
		v.Service = q.Get("service")
	}
	if st := compliance.Status(q.Get("status")); slices.Contains(compliance.Statuses, st) {
		v.Status = st
	}
	v.Results = rep.Filter(v.Service, v.Status)
	dl := url.Values{"lang": {lang}}
	if v.UAI != "" {
		dl.Set("uai", v.UAI)
	}
	v.Query = dl.Encode()
	h.rd.Page(w, r, http.StatusOK, "compliance/report", v)
	return nil
}

// download serves the report as a file in format.
func (h *Handler) download(format string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		rep, _, err := h.evaluate(r)
		if err != nil {
			return err
		}
		lang := web.LangFromContext(r.Context())
		var buf bytes.Buffer
		if err := report.Write(&buf, rep, format, lang); err != nil {
			return core.Wrap("complianceweb.download", core.Internal, err)
		}
		hd := w.Header()
		hd.Set("Content-Type", report.ContentType(format))
		hd.Set("Cache-Control", "no-store")
		hd.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="carine-%s-%s.%s"`,
			rep.GeneratedAt.Format("2006-01-02"), lang, format))
		if format == "html" {
			// The standalone page carries its style inline and no script.
			hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'")
		}
		_, err = w.Write(buf.Bytes())
		return err
	}
}
