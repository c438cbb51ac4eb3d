// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package logsweb serves the log consultation pages of the console
// (MCO-JAL-5, -6, -7): a search by period, user, host, service, class and
// text, page by page, with CSV and JSON exports, and the retention table.
// A search that may identify people needs a justification (incident number,
// judicial request, user consent), journaled with the query; the routes are
// mounted behind logs.read and strong authentication by internal/app.
package logsweb

import (
	"bytes"
	"context"
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of the pages.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

// Directory lists the establishments.
type Directory interface {
	Establishments(ctx context.Context) ([]*directory.EstablishmentSummary, error)
}

// Retention is an establishment's retention override.
type Retention struct {
	Establishment string
	Class         logs.Class
	Days          int
}

// Deps are the collaborators of the pages.
type Deps struct {
	Store      *logs.Store
	Journal    logs.AccessJournal
	Directory  Directory
	Retentions func(ctx context.Context) ([]Retention, error)
	// SetRetention changes an establishment's retention of a class (0: the
	// default), journaled; it refuses durations outside the legal bounds.
	SetRetention func(ctx context.Context, est string, class logs.Class, days int) error
	Clock        core.Clock
	// Queries keeps the saved queries and reports (MCO-JAL-5); nil hides
	// them. Reports holds the reports' CSVs; Loc is the zone of schedules.
	Queries QueryStore
	Reports blob.Store
	Loc     *time.Location
}

// Handler serves the pages.
type Handler struct {
	deps Deps
	rd   *web.Renderer
}

// New returns the handler; it fails when a page is missing.
func New(deps Deps, rd *web.Renderer) (*Handler, error) {
	if err := rd.Require("logs/search", "logs/queries", "logs/query"); err != nil {
		return nil, err
	}
	return &Handler{deps: deps, rd: rd}, nil
}

// Paths.
const (
	SearchPath = "/admin/logs"
	ExportPath = "/admin/logs/export"
)

// Routes registers the pages behind require (logs.read with strong
// authentication).
func (h *Handler) Routes(mux *http.ServeMux, require func(http.Handler) http.Handler) {
	mux.Handle("GET "+SearchPath, require(web.HandlerFunc(h.search)))
	mux.Handle("GET "+ExportPath, require(web.HandlerFunc(h.export)))
	h.queryRoutes(mux, require)
	if h.deps.SetRetention != nil {
		mux.Handle("POST "+RetentionPath, require(web.HandlerFunc(h.setRetention)))
	}
}

// RetentionPath receives the retention form.
const RetentionPath = "/admin/logs/retention"

// setRetention sets an establishment's retention of a class: the
// establishment's administrators (heads included) only.
func (h *Handler) setRetention(w http.ResponseWriter, r *http.Request) error {
	const op = "logsweb.setRetention"
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	p := core.PrincipalFromContext(r.Context())
	est := f.Value("est")
	if est == "" || !p.CanAdminister(est) {
		return core.E(op, core.Permission, "only the establishment's administrators set its log retention")
	}
	class := logs.Class(f.Value("class"))
	days, err := strconv.Atoi(strings.TrimSpace(f.Value("days")))
	if err == nil {
		err = h.deps.SetRetention(r.Context(), est, class, days)
	} else {
		err = core.E(op, core.Invalid, "not a number of days")
	}
	if err != nil {
		if !core.IsKind(err, core.Invalid) {
			return err
		}
		rule, _ := logs.RuleOf(class)
		web.SetFlash(w, web.Flash{Kind: web.FlashError, Key: "logs.retention.refused",
			Args: []string{strconv.Itoa(rule.Min), strconv.Itoa(rule.Max)}})
	} else {
		web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "logs.retention.saved"})
	}
	http.Redirect(w, r, SearchPath+"#retention-title", http.StatusSeeOther)
	return nil
}

// Allowed reports whether p may read logs at all: an operator, or a
// holder of logs.read (administrators of an establishment included) in at
// least one establishment.
func Allowed(p core.Principal) bool {
	if p.Operator() {
		return true
	}
	return slices.ContainsFunc(p.Establishments, func(e string) bool {
		return p.HasRight(core.RightLogsRead, e) || (p.Profile == core.ProfileAdmin && p.CanAdminister(e))
	})
}

type estOption struct {
	ID, Label string
}

type row struct {
	Time                                                                         time.Time
	Local, ISO                                                                   string // Time in the form's zone
	Establishment, Class, Source, Service, User, Action, Object, Result, Message string
	Severity                                                                     int
}

type view struct {
	Form          url.Values
	Ests          []estOption
	Classes       []logs.Class
	Bases         []logs.Basis
	Rules         []logs.Rule
	Overrides     []Retention
	EstName       map[string]string
	Searched      bool
	Error         string
	Rows          []row
	Page          int
	PrevURL       string
	NextURL       string
	CSVURL        string
	JSONURL       string
	Justification string
	Lang          string
	Zones         []string    // the time zones the form offers
	TZ            string      // the zone dates are read and shown in
	AdminOf       []estOption // establishments whose retention p may set
	SaveURL       string      // "save this search" as a saved query ("" without saved queries)
	Archive       *logs.ArchiveSchedule
	ArchLast      string
}

// scope returns the establishments p may search (nil: all, for an
// operator) and the select options.
func (h *Handler) scope(ctx context.Context, p core.Principal) ([]string, []estOption, map[string]string, error) {
	all, err := h.deps.Directory.Establishments(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	names := map[string]string{"": "—"}
	var allowed []string
	var opts []estOption
	if p.Operator() {
		opts = append(opts, estOption{ID: "deployment", Label: "deployment"})
	}
	for _, e := range all {
		names[e.ID] = e.Name + " (" + e.UAI + ")"
		if p.Operator() || p.HasRight(core.RightLogsRead, e.ID) || (p.Profile == core.ProfileAdmin && p.CanAdminister(e.ID)) {
			allowed = append(allowed, e.ID)
			opts = append(opts, estOption{ID: e.ID, Label: e.Name + " (" + e.UAI + ")"})
		}
	}
	if p.Operator() {
		return nil, opts, names, nil
	}
	return allowed, opts, names, nil
}

// Zones are the time zones the search form offers: metropolitan France
// first (the default), UTC, then the overseas departments and territories.
var Zones = []string{"Europe/Paris", "UTC", "America/Guadeloupe", "America/Martinique", "America/Cayenne",
	"Indian/Reunion", "Indian/Mayotte", "America/Miquelon", "Pacific/Noumea", "Pacific/Tahiti", "Pacific/Wallis"}

// zoneOf returns the form's time zone (Europe/Paris when absent or unknown).
func zoneOf(f url.Values) (string, *time.Location) {
	name := f.Get("tz")
	if !slices.Contains(Zones, name) {
		name = Zones[0]
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return "UTC", time.UTC
	}
	return name, loc
}

// query reads the form into a logs.Query restricted to what p may read.
func (h *Handler) query(r *http.Request, allowed []string) (logs.Query, logs.Justification, int, error) {
	const op = "logsweb.query"
	f := r.URL.Query()
	now := h.deps.Clock.Now()
	q := logs.Query{Text: strings.TrimSpace(f.Get("text")), User: strings.TrimSpace(f.Get("user")),
		Host: strings.TrimSpace(f.Get("host")), Service: strings.TrimSpace(f.Get("service")), Limit: 50}
	var err error
	_, loc := zoneOf(f)
	if q.Since, err = parseWhen(f.Get("since"), now, loc); err != nil {
		return q, logs.Justification{}, 0, core.E(op, core.Invalid, "logs.error.since")
	}
	if q.Until, err = parseWhen(f.Get("until"), now, loc); err != nil {
		return q, logs.Justification{}, 0, core.E(op, core.Invalid, "logs.error.until")
	}
	if c := f.Get("class"); c != "" {
		if _, ok := logs.RuleOf(logs.Class(c)); !ok {
			return q, logs.Justification{}, 0, core.E(op, core.Invalid, "logs.error.class")
		}
		q.Classes = []logs.Class{logs.Class(c)}
	}
	switch e := f.Get("est"); {
	case e == "" && allowed != nil:
		q.Establishments = allowed
	case e == "deployment" && allowed == nil:
		q.Establishments = []string{""}
	case e != "":
		if allowed != nil && !slices.Contains(allowed, e) {
			return q, logs.Justification{}, 0, core.E(op, core.Permission, "logs.error.establishment")
		}
		q.Establishments = []string{e}
	}
	if q.Establishments != nil && len(q.Establishments) == 0 {
		return q, logs.Justification{}, 0, core.E(op, core.Permission, "logs.error.no_establishment")
	}
	var just logs.Justification
	if b, ref := f.Get("basis"), strings.TrimSpace(f.Get("reference")); b != "" || ref != "" {
		if just, err = logs.ParseJustification(b + ":" + ref); err != nil {
			return q, just, 0, core.E(op, core.Invalid, "logs.error.justification")
		}
	}
	page, _ := strconv.Atoi(f.Get("page"))
	page = max(page, 1)
	q.Offset = (page - 1) * q.Limit
	return q, just, page, nil
}

func (h *Handler) search(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	allowed, opts, names, err := h.scope(ctx, p)
	if err != nil {
		return err
	}
	v := view{Form: r.URL.Query(), Ests: opts, Classes: []logs.Class{logs.ClassConnection, logs.ClassSystem, logs.ClassSecurity},
		Bases: []logs.Basis{logs.BasisIncident, logs.BasisJudicial, logs.BasisConsent}, Rules: logs.Rules, EstName: names,
		Lang: web.LangFromContext(ctx), Zones: Zones}
	var loc *time.Location
	v.TZ, loc = zoneOf(r.URL.Query())
	if h.deps.Retentions != nil {
		rs, err := h.deps.Retentions(ctx)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if allowed == nil || slices.Contains(allowed, r.Establishment) {
				v.Overrides = append(v.Overrides, r)
			}
		}
	}
	if h.deps.SetRetention != nil {
		for _, o := range opts {
			if o.ID != "deployment" && p.CanAdminister(o.ID) {
				v.AdminOf = append(v.AdminOf, o)
			}
		}
	}
	if h.deps.Queries != nil {
		if a, err := h.deps.Queries.LogArchiveSchedule(ctx); err == nil {
			v.Archive, v.ArchLast = a, h.when(a.LastRun)
		} else if !core.IsKind(err, core.NotFound) {
			return err
		}
	}
	status := http.StatusOK
	if r.URL.Query().Get("go") != "" {
		v.Searched = true
		q, just, page, err := h.query(r, allowed)
		if err == nil {
			var res *logs.Result
			res, err = logs.Consult(ctx, h.deps.Store, h.deps.Journal, q, just)
			if err == nil {
				v.Page, v.Justification = page, just.String()
				for _, rec := range res.Records {
					lt := rec.Time.In(loc)
					v.Rows = append(v.Rows, row{Time: rec.Time, Local: lt.Format("2006-01-02 15:04:05 -07:00"),
						ISO: lt.Format(time.RFC3339Nano), Establishment: names[rec.Establishment], Class: string(rec.Class),
						Source: rec.Source, Service: rec.Service, User: rec.User, Action: rec.Action, Object: rec.Object,
						Result: rec.Result, Message: rec.Message, Severity: int(rec.Severity)})
				}
				if page > 1 {
					v.PrevURL = withParam(r.URL.Query(), "page", strconv.Itoa(page-1), SearchPath)
				}
				if res.More {
					v.NextURL = withParam(r.URL.Query(), "page", strconv.Itoa(page+1), SearchPath)
				}
				if h.deps.Queries != nil {
					v.SaveURL = withParamAt(r.URL.Query(), "from", "search", QueriesPath) + "#form-title"
				}
				v.CSVURL = withParam(r.URL.Query(), "format", "csv", ExportPath)
				v.JSONURL = withParam(r.URL.Query(), "format", "json", ExportPath)
			}
		}
		if err != nil {
			status = http.StatusInternalServerError
			switch {
			case core.IsKind(err, core.Permission):
				status = http.StatusForbidden
			case core.IsKind(err, core.Invalid):
				status = http.StatusUnprocessableEntity
			}
			v.Error = errorKey(err)
		}
	}
	h.rd.Page(w, r, status, "logs/search", v)
	return nil
}

func errorKey(err error) string {
	var ce *core.Error
	if e, ok := err.(*core.Error); ok {
		ce = e
	}
	switch {
	case ce != nil && strings.HasPrefix(ce.Msg, "logs.error."):
		return ce.Msg
	case core.IsKind(err, core.Permission):
		return "logs.error.justification_needed"
	default:
		return "logs.error.failed"
	}
}

func (h *Handler) export(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	allowed, _, _, err := h.scope(ctx, core.PrincipalFromContext(ctx))
	if err != nil {
		return err
	}
	q, just, _, err := h.query(r, allowed)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	ctype := map[string]string{"csv": "text/csv; charset=utf-8", "json": "application/x-ndjson; charset=utf-8",
		"rfc5424": "text/plain; charset=utf-8"}[format]
	if ctype == "" {
		return core.E("logsweb.export", core.Invalid, "unknown export format %q: csv, json or rfc5424", format)
	}
	var buf bytes.Buffer
	if _, err := logs.Export(ctx, h.deps.Store, h.deps.Journal, q, just, format, &buf); err != nil {
		return err
	}
	ext := map[string]string{"csv": "csv", "json": "jsonl", "rfc5424": "log"}[format]
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="preau-logs-`+h.deps.Clock.Now().UTC().Format("20060102-150405")+"."+ext+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	return err
}

func withParam(v url.Values, k, val, path string) string {
	c := url.Values{}
	for key, vs := range v {
		c[key] = append([]string(nil), vs...)
	}
	c.Set(k, val)
	if path == ExportPath {
		c.Del("page")
	}
	return path + "?" + c.Encode()
}

// parseWhen reads "" (none), a duration back from now ("1h", "7d"), an
// RFC 3339 time (its own offset), or a date or date and time without zone,
// read in loc (the zone chosen in the form, stated next to the fields).
func parseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range []string{"2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, core.E("logsweb.parseWhen", core.Invalid, "bad time %q", s)
}
