// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logsweb

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/web"
)

// Saved queries and scheduled reports (MCO-JAL-5) in the console: the list
// of the queries a person may run, the form to save one (criteria, declared
// purpose, audience, establishment, optional standing justification,
// schedule), a query's page (run it page by page, its reports), the
// download of a report's CSV, and the scheduled archive's last result
// (MCO-JAL-3). Behind logs.read and strong authentication, as the search.

// QueryStore keeps the saved queries and their reports (the SQL store).
type QueryStore interface {
	LogQueries(ctx context.Context) ([]*logs.SavedQuery, error)
	LogQuery(ctx context.Context, id string) (*logs.SavedQuery, error)
	SaveLogQuery(ctx context.Context, q *logs.SavedQuery) error
	DeleteLogQuery(ctx context.Context, id string) ([]string, error)
	LogReports(ctx context.Context, queryID string, limit int) ([]*logs.QueryReport, error)
	LogReport(ctx context.Context, id string) (*logs.QueryReport, error)
	JournalLogReportDownload(ctx context.Context, rep *logs.QueryReport) error
	LogArchiveSchedule(ctx context.Context) (*logs.ArchiveSchedule, error)
	SetLogArchiveSchedule(ctx context.Context, a *logs.ArchiveSchedule) error
}

// Paths of the saved queries.
const (
	QueriesPath = "/admin/logs/queries"
	reportsPath = "/admin/logs/reports/"
)

// QueryPath is a saved query's page.
func QueryPath(id string) string { return QueriesPath + "/" + url.PathEscape(id) }

func reportPath(id string) string { return reportsPath + url.PathEscape(id) + ".csv" }

func (h *Handler) queryRoutes(mux *http.ServeMux, require func(http.Handler) http.Handler) {
	if h.deps.Queries == nil {
		return
	}
	mux.Handle("GET "+QueriesPath, require(web.HandlerFunc(h.queries)))
	mux.Handle("POST "+QueriesPath, require(web.HandlerFunc(h.saveQuery)))
	mux.Handle("GET "+QueriesPath+"/{id}", require(web.HandlerFunc(h.runQuery)))
	mux.Handle("POST "+QueriesPath+"/{id}/delete", require(web.HandlerFunc(h.deleteQuery)))
	mux.Handle("GET "+QueriesPath+"/{id}/export", require(web.HandlerFunc(h.exportQuery)))
	mux.Handle("GET "+reportsPath+"{file}", require(web.HandlerFunc(h.downloadReport)))
	mux.Handle("POST "+archiveSchedulePath, require(web.HandlerFunc(h.setArchiveSchedule)))
}

const archiveSchedulePath = "/admin/logs/archive-schedule"

// setArchiveSchedule sets the deployment's scheduled archive (MCO-JAL-3):
// operators only, as it covers every establishment.
func (h *Handler) setArchiveSchedule(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !core.PrincipalFromContext(ctx).Operator() {
		return core.E("logsweb.setArchiveSchedule", core.Permission, "the scheduled archive covers every establishment: operators only")
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	c, err := logs.ParseCadence(f.Value("every"))
	a := &logs.ArchiveSchedule{Cadence: c, Target: f.Value("to"), Recipients: strings.Fields(f.Value("recipients"))}
	key := ""
	switch {
	case err != nil:
		key = "logs.archive.error.cadence"
	case c != logs.Never && !strings.HasPrefix(a.Target, "s3://") && !strings.HasPrefix(a.Target, "/"):
		key = "logs.archive.error.target"
	default:
		if _, err := logs.ParseRecipients(a.Recipients); err != nil {
			key = "logs.archive.error.recipient"
		}
	}
	if key == "" {
		a.NextRun = c.FirstDue(h.deps.Clock.Now(), h.loc())
		if err := h.deps.Queries.SetLogArchiveSchedule(ctx, a); err != nil {
			if !core.IsKind(err, core.Invalid) {
				return err
			}
			key = "logs.archive.error.target"
		}
	}
	if key != "" {
		web.SetFlash(w, web.Flash{Kind: web.FlashError, Key: key})
	} else {
		web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "logs.archive.saved"})
	}
	http.Redirect(w, r, QueriesPath+"#archive-title", http.StatusSeeOther)
	return nil
}

type queryItem struct {
	Q         *logs.SavedQuery
	URL       string
	Est       string
	Criteria  string
	Audience  string
	MayChange bool
	EditURL   string
	Identify  bool
	NextRun   string
	LastRun   string
}

type queriesView struct {
	Items    []queryItem
	Form     *web.Form
	Ests     []estOption
	Classes  []logs.Class
	Bases    []logs.Basis
	Profiles []core.Profile
	Cadences []logs.Cadence
	Editing  bool
	Error    string
	Archive  *logs.ArchiveSchedule
	ArchLast string
	ArchNext string
	Operator bool
}

func (h *Handler) loc() *time.Location {
	if h.deps.Loc != nil {
		return h.deps.Loc
	}
	return time.Local
}

func (h *Handler) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(h.loc()).Format("2006-01-02 15:04")
}

// queriesView builds the list page's view for p with form f.
func (h *Handler) queriesView(ctx context.Context, p core.Principal, f *web.Form) (*queriesView, error) {
	readable, opts, names, err := h.scope(ctx, p)
	if err != nil {
		return nil, err
	}
	all, err := h.deps.Queries.LogQueries(ctx)
	if err != nil {
		return nil, err
	}
	v := &queriesView{Form: f, Classes: []logs.Class{logs.ClassConnection, logs.ClassSystem, logs.ClassSecurity},
		Bases:    []logs.Basis{logs.BasisIncident, logs.BasisJudicial, logs.BasisConsent},
		Profiles: []core.Profile{core.ProfileAdmin, core.ProfileHead, core.ProfileStaff, core.ProfileTeacher},
		Cadences: logs.Cadences, Editing: f.Value("id") != "", Operator: p.Operator()}
	for _, o := range opts {
		if o.ID != "deployment" {
			v.Ests = append(v.Ests, o)
		}
	}
	for _, q := range all {
		if !q.MayRun(p, readable) {
			continue
		}
		est := names[q.Establishment]
		switch q.Establishment {
		case "":
			est = "*"
		case logs.DeploymentScope:
			est = "deployment"
		}
		it := queryItem{Q: q, URL: QueryPath(q.ID), Est: est, Criteria: q.Criteria.Query(nil, time.Time{}, time.Time{}).Summary(),
			Audience: q.Audience.String(), MayChange: mayChange(p, q, readable), Identify: q.Criteria.IdentifiesPeople(),
			NextRun: h.when(q.NextRun), LastRun: h.when(q.LastRun)}
		if it.MayChange {
			it.EditURL = QueriesPath + "?edit=" + url.QueryEscape(q.ID) + "#form-title"
		}
		v.Items = append(v.Items, it)
	}
	if a, err := h.deps.Queries.LogArchiveSchedule(ctx); err == nil {
		v.Archive, v.ArchLast, v.ArchNext = a, h.when(a.LastRun), h.when(a.NextRun)
	} else if !core.IsKind(err, core.NotFound) {
		return nil, err
	}
	return v, nil
}

// mayChange: the author, the establishment's administrators and heads, or
// an operator may change or delete a saved query.
func mayChange(p core.Principal, q *logs.SavedQuery, readable []string) bool {
	if p.Operator() {
		return true
	}
	if q.Establishment == "" || q.Establishment == logs.DeploymentScope || !slices.Contains(readable, q.Establishment) {
		return false
	}
	return p.Login == q.CreatedBy || p.CanAdminister(q.Establishment)
}

func (h *Handler) queries(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	f := web.NewForm(ctx, url.Values{"keep": {strconv.Itoa(logs.DefaultKeepDays)}})
	if id := r.URL.Query().Get("edit"); id != "" {
		q, err := h.deps.Queries.LogQuery(ctx, id)
		if err != nil {
			return err
		}
		readable, _, _, err := h.scope(ctx, p)
		if err != nil {
			return err
		}
		if !mayChange(p, q, readable) {
			return core.E("logsweb.queries", core.Permission, "only the query's author or the establishment's administrators change it")
		}
		f = web.NewForm(ctx, formOf(q))
	} else if src := r.URL.Query(); src.Get("from") == "search" {
		// "Save this search": the criteria of the search page.
		f = web.NewForm(ctx, url.Values{"keep": {strconv.Itoa(logs.DefaultKeepDays)}, "text": {src.Get("text")}, "user": {src.Get("user")},
			"host": {src.Get("host")}, "service": {src.Get("service")}, "class": {src.Get("class")}, "est": {src.Get("est")}})
	}
	v, err := h.queriesView(ctx, p, f)
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusOK, "logs/queries", v)
	return nil
}

// formOf fills the form with a saved query.
func formOf(q *logs.SavedQuery) url.Values {
	v := url.Values{"id": {q.ID}, "name": {q.Name}, "purpose": {q.Purpose}, "est": {q.Establishment},
		"text": {q.Criteria.Text}, "user": {q.Criteria.User}, "host": {q.Criteria.Host}, "service": {q.Criteria.Service},
		"class": {string(q.Criteria.Class)}, "window": {q.Criteria.Window}, "logins": {strings.Join(q.Audience.Logins, ", ")},
		"basis": {string(q.Justification.Basis)}, "reference": {q.Justification.Reference}, "schedule": {string(q.Schedule)},
		"keep": {strconv.Itoa(q.KeepDays)}}
	for _, pr := range q.Audience.Profiles {
		v.Set("aud_"+string(pr), "1")
	}
	return v
}

// validationKey maps a saved query's validation error to the form field
// and message key shown.
func validationKey(err error) (field, key string) {
	m := core.MessageOf(err)
	switch {
	case core.IsKind(err, core.Conflict):
		return "name", "logs.queries.error.conflict"
	case strings.Contains(m, "name of 1 to 80"):
		return "name", "logs.queries.error.name"
	case strings.Contains(m, "purpose"):
		return "purpose", "logs.queries.error.purpose"
	case strings.Contains(m, "audience"), strings.Contains(m, "not a login"):
		return "logins", "logs.queries.error.audience"
	case strings.Contains(m, "scheduled report must carry"):
		return "reference", "logs.queries.error.schedule_justification"
	case strings.Contains(m, "window"):
		return "window", "logs.queries.error.window"
	case strings.Contains(m, "kept 1 to 366"):
		return "keep", "logs.queries.error.keep"
	}
	return "name", "logs.queries.error.invalid"
}

func (h *Handler) saveQuery(w http.ResponseWriter, r *http.Request) error {
	const op = "logsweb.saveQuery"
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	readable, _, _, err := h.scope(ctx, p)
	if err != nil {
		return err
	}
	q := &logs.SavedQuery{}
	if id := f.Value("id"); id != "" {
		if q, err = h.deps.Queries.LogQuery(ctx, id); err != nil {
			return err
		}
		if !mayChange(p, q, readable) {
			return core.E(op, core.Permission, "only the query's author or the establishment's administrators change it")
		}
	} else {
		q.Establishment = f.Value("est")
		switch {
		case q.Establishment == "" && readable != nil && len(readable) == 1:
			q.Establishment = readable[0]
		case q.Establishment == "" && readable != nil:
			f.Fail("est", "logs.queries.error.establishment")
		case readable != nil && !slices.Contains(readable, q.Establishment):
			return core.E(op, core.Permission, "logs.error.establishment")
		}
	}
	q.Name, q.Purpose = f.MaxLen("name", 80), f.Value("purpose")
	q.Criteria = logs.Criteria{Text: f.Value("text"), User: f.Value("user"), Host: f.Value("host"), Service: f.Value("service"),
		Class: logs.Class(f.Value("class")), Window: f.Value("window")}
	q.Audience = logs.Audience{}
	for _, pr := range []core.Profile{core.ProfileAdmin, core.ProfileHead, core.ProfileStaff, core.ProfileTeacher} {
		if f.Checked("aud_" + string(pr)) {
			q.Audience.Profiles = append(q.Audience.Profiles, pr)
		}
	}
	for _, l := range strings.FieldsFunc(f.Value("logins"), func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if !slices.Contains(q.Audience.Logins, l) {
			q.Audience.Logins = append(q.Audience.Logins, l)
		}
	}
	q.Justification = logs.Justification{}
	if b, ref := f.Value("basis"), f.Value("reference"); b != "" || ref != "" {
		if q.Justification, err = logs.ParseJustification(b + ":" + ref); err != nil {
			f.Fail("reference", "logs.error.justification")
		}
	}
	if q.Schedule, err = logs.ParseCadence(f.Value("schedule")); err != nil {
		f.Fail("schedule", "logs.queries.error.invalid")
	}
	q.KeepDays = f.Int("keep", 1, 366)
	if f.Valid() {
		q.NextRun = q.Schedule.FirstDue(h.deps.Clock.Now(), h.loc())
		err = h.deps.Queries.SaveLogQuery(ctx, q)
		if err != nil && !core.IsKind(err, core.Invalid) && !core.IsKind(err, core.Conflict) {
			return err
		}
		if err != nil {
			field, key := validationKey(err)
			f.Fail(field, key)
		}
	}
	if !f.Valid() {
		v, err := h.queriesView(ctx, p, f)
		if err != nil {
			return err
		}
		h.rd.Page(w, r, http.StatusUnprocessableEntity, "logs/queries", v)
		return nil
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "logs.queries.saved"})
	http.Redirect(w, r, QueryPath(q.ID), http.StatusSeeOther)
	return nil
}

func (h *Handler) deleteQuery(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	if _, err := web.ParseForm(r); err != nil {
		return err
	}
	q, err := h.deps.Queries.LogQuery(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	readable, _, _, err := h.scope(ctx, p)
	if err != nil {
		return err
	}
	if !mayChange(p, q, readable) {
		return core.E("logsweb.deleteQuery", core.Permission, "only the query's author or the establishment's administrators delete it")
	}
	keys, err := h.deps.Queries.DeleteLogQuery(ctx, q.ID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		_ = h.deps.Reports.Delete(ctx, k)
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "logs.queries.deleted"})
	http.Redirect(w, r, QueriesPath, http.StatusSeeOther)
	return nil
}

type reportItem struct {
	R                *logs.QueryReport
	URL              string
	Since, Until     string
	Created, Expires string
}

type queryView struct {
	Item          queryItem
	Form          url.Values
	Bases         []logs.Basis
	Searched      bool
	Error         string
	Rows          []row
	Page          int
	PrevURL       string
	NextURL       string
	CSVURL        string
	Justification string
	TZ            string
	Zones         []string
	Reports       []reportItem
	NeedsJust     bool
}

// runQuery shows a saved query, runs it when asked (?go=1), page by page,
// and lists its reports.
func (h *Handler) runQuery(w http.ResponseWriter, r *http.Request) error {
	const op = "logsweb.runQuery"
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	q, err := h.deps.Queries.LogQuery(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	readable, _, names, err := h.scope(ctx, p)
	if err != nil {
		return err
	}
	if !q.MayRun(p, readable) {
		return core.E(op, core.Permission, "you are not in the audience of this saved query, or may not read its establishment's logs")
	}
	form := r.URL.Query()
	tz, loc := zoneOf(form)
	v := queryView{Form: form, Bases: []logs.Basis{logs.BasisIncident, logs.BasisJudicial, logs.BasisConsent}, TZ: tz, Zones: Zones,
		NeedsJust: q.Criteria.IdentifiesPeople() && q.Justification.Basis == ""}
	v.Item = queryItem{Q: q, URL: QueryPath(q.ID), Est: names[q.Establishment], Criteria: q.Criteria.Query(nil, time.Time{}, time.Time{}).Summary(),
		Audience: q.Audience.String(), MayChange: mayChange(p, q, readable), NextRun: h.when(q.NextRun), LastRun: h.when(q.LastRun)}
	if q.Establishment == "" {
		v.Item.Est = "*"
	}
	if v.Item.MayChange {
		v.Item.EditURL = QueriesPath + "?edit=" + url.QueryEscape(q.ID) + "#form-title"
	}
	reps, err := h.deps.Queries.LogReports(ctx, q.ID, 50)
	if err != nil {
		return err
	}
	for _, rp := range reps {
		v.Reports = append(v.Reports, reportItem{R: rp, URL: reportPath(rp.ID), Since: h.when(rp.Since), Until: h.when(rp.Until),
			Created: h.when(rp.Created), Expires: rp.Expires.In(h.loc()).Format("2006-01-02")})
	}
	status := http.StatusOK
	if form.Get("go") != "" {
		v.Searched = true
		err := h.runSaved(ctx, q, readable, form, loc, names, &v)
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
	h.rd.Page(w, r, status, "logs/query", v)
	return nil
}

// savedQuery reads a run's form (period, justification, page) into the
// search of q for a person reading readable.
func (h *Handler) savedQuery(q *logs.SavedQuery, readable []string, form url.Values, loc *time.Location) (logs.Query, logs.Justification, int, error) {
	const op = "logsweb.runSaved"
	now := h.deps.Clock.Now()
	since, err := parseWhen(form.Get("since"), now, loc)
	if err != nil {
		return logs.Query{}, logs.Justification{}, 0, core.E(op, core.Invalid, "logs.error.since")
	}
	until, err := parseWhen(form.Get("until"), now, loc)
	if err != nil {
		return logs.Query{}, logs.Justification{}, 0, core.E(op, core.Invalid, "logs.error.until")
	}
	if since.IsZero() && q.Criteria.Window != "" {
		d, _ := logs.ParseWindow(q.Criteria.Window)
		since = now.Add(-d)
	}
	var just logs.Justification
	if b, ref := form.Get("basis"), strings.TrimSpace(form.Get("reference")); b != "" || ref != "" {
		if just, err = logs.ParseJustification(b + ":" + ref); err != nil {
			return logs.Query{}, logs.Justification{}, 0, core.E(op, core.Invalid, "logs.error.justification")
		}
	}
	page, _ := strconv.Atoi(form.Get("page"))
	page = max(page, 1)
	sq := q.Criteria.Query(q.Scope(readable), since, until)
	sq.Limit, sq.Offset = 50, (page-1)*50
	return sq, just, page, nil
}

func (h *Handler) runSaved(ctx context.Context, q *logs.SavedQuery, readable []string, form url.Values, loc *time.Location,
	names map[string]string, v *queryView) error {
	sq, just, page, err := h.savedQuery(q, readable, form, loc)
	if err != nil {
		return err
	}
	res, err := logs.Run(ctx, h.deps.Store, h.deps.Journal, q, sq, just)
	if err != nil {
		return err
	}
	v.Page = page
	if just.Basis == "" {
		just = q.Justification
	}
	v.Justification = just.String()
	for _, rec := range res.Records {
		lt := rec.Time.In(loc)
		v.Rows = append(v.Rows, row{Time: rec.Time, Local: lt.Format("2006-01-02 15:04:05 -07:00"), ISO: lt.Format(time.RFC3339Nano),
			Establishment: names[rec.Establishment], Class: string(rec.Class), Source: rec.Source, Service: rec.Service, User: rec.User,
			Action: rec.Action, Object: rec.Object, Result: rec.Result, Message: rec.Message, Severity: int(rec.Severity)})
	}
	if page > 1 {
		v.PrevURL = withParamAt(form, "page", strconv.Itoa(page-1), QueryPath(q.ID))
	}
	if res.More {
		v.NextURL = withParamAt(form, "page", strconv.Itoa(page+1), QueryPath(q.ID))
	}
	exp := url.Values{}
	for k, vs := range form {
		exp[k] = vs
	}
	exp.Del("page")
	exp.Del("go")
	v.CSVURL = QueryPath(q.ID) + "/export?" + exp.Encode()
	return nil
}

// exportQuery sends the whole result of a saved query's run as CSV, with
// the rules of a run, journaled (logs.query.export) before it is sent.
func (h *Handler) exportQuery(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	q, err := h.deps.Queries.LogQuery(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	readable, _, _, err := h.scope(ctx, p)
	if err != nil {
		return err
	}
	if !q.MayRun(p, readable) {
		return core.E("logsweb.exportQuery", core.Permission, "you are not in the audience of this saved query")
	}
	_, loc := zoneOf(r.URL.Query())
	sq, just, _, err := h.savedQuery(q, readable, r.URL.Query(), loc)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := logs.ExportSaved(ctx, h.deps.Store, h.deps.Journal, q, sq, just, &buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="preau-requete-`+h.deps.Clock.Now().UTC().Format("20060102-150405")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	return err
}

func withParamAt(v url.Values, k, val, path string) string {
	c := url.Values{}
	for key, vs := range v {
		c[key] = append([]string(nil), vs...)
	}
	c.Set(k, val)
	return path + "?" + c.Encode()
}

// downloadReport sends a report's CSV to a member of its query's audience
// who may read the establishment's logs, journaled before it is sent.
func (h *Handler) downloadReport(w http.ResponseWriter, r *http.Request) error {
	const op = "logsweb.downloadReport"
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	id, ok := strings.CutSuffix(r.PathValue("file"), ".csv")
	if !ok {
		return core.E(op, core.NotFound, "no such report")
	}
	rep, err := h.deps.Queries.LogReport(ctx, id)
	if err != nil {
		return err
	}
	q, err := h.deps.Queries.LogQuery(ctx, rep.QueryID)
	if err != nil {
		return err
	}
	readable, _, _, err := h.scope(ctx, p)
	if err != nil {
		return err
	}
	if !q.MayRun(p, readable) {
		return core.E(op, core.Permission, "you are not in the audience of this report")
	}
	rc, _, err := h.deps.Reports.Open(ctx, rep.Key)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := h.deps.Queries.JournalLogReportDownload(ctx, rep); err != nil {
		return err
	}
	name := "preau-rapport-" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, rep.QueryName) + "-" + rep.Since.In(h.loc()).Format("20060102") + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = io.Copy(w, rc)
	return err
}
