// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package monitorweb is the web face of supervision and the helpdesk
// (package monitor): the console's live state of checks, the declaration of
// targets, incidents and their timelines, the alert settings, the triage of
// users' requests, the dashboards of the head and of académie or
// collectivité operators with their CSV export; the portal pages where any
// person files and follows a request; and the Prometheus endpoint.
package monitorweb

import (
	"context"
	"embed"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/monitor"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of this package.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

var pages = []string{"monitor/home", "monitor/target", "monitor/incidents", "monitor/incident", "monitor/requests",
	"monitor/request", "monitor/mine", "monitor/dashboard", "monitor/settings"}

// Directory names establishments and counts their people.
type Directory interface {
	Establishments(ctx context.Context) ([]*directory.EstablishmentSummary, error)
}

// Settings reads and writes the alert settings (store scope "monitor").
type Settings interface {
	Setting(ctx context.Context, scope, name string) (string, error)
	PutSetting(ctx context.Context, scope, name, value string) error
}

// Deps are the collaborators of the pages. Service, Directory, Settings,
// Renderer and Clock are required.
type Deps struct {
	Service   *monitor.Service
	Engine    *monitor.Engine // live state; nil shows the stored state
	Directory Directory
	Settings  Settings
	Renderer  *web.Renderer
	Clock     core.Clock
	// Charts adds the directory's and charters' charts (account and
	// charter states) to the dashboard.
	Charts func(r *http.Request) ([]web.Chart, error)
	// Storage measures the data folder's file system and each part of the
	// data (nil: not shown).
	Storage func(ctx context.Context) (total, free uint64, parts map[string]int64, err error)
	// Changed is called after a target is saved or deleted (the engine
	// reloads).
	Changed func()
	// Internet sums the filtering proxy's and DNS's daily counts of ests
	// (nil: all) since a time, by establishment (nil: not shown).
	Internet func(ctx context.Context, ests []string, since time.Time) (map[string]monitor.InternetUse, error)
}

// Handler serves the pages.
type Handler struct {
	deps Deps
	rd   *web.Renderer
}

// Paths.
const (
	HomePath      = "/admin/monitor"
	TargetsPath   = "/admin/monitor/targets"
	IncidentsPath = "/admin/monitor/incidents"
	RequestsPath  = "/admin/monitor/requests"
	DashboardPath = "/admin/monitor/dashboard"
	SettingsPath  = "/admin/monitor/settings"
	MinePath      = "/requests"
)

// New returns the handler; it fails when the renderer lacks its pages.
func New(deps Deps) (*Handler, error) {
	if err := deps.Renderer.Require(pages...); err != nil {
		return nil, err
	}
	return &Handler{deps: deps, rd: deps.Renderer}, nil
}

// Routes registers the console pages behind requireRead (login, strong
// authentication where configured, and monitor.read or administration of
// an establishment; the service then scopes every figure) and the portal
// pages behind requireLogin.
func (h *Handler) Routes(mux *http.ServeMux, requireRead, requireLogin func(http.Handler) http.Handler) {
	mux.Handle("GET "+HomePath, requireRead(web.HandlerFunc(h.home)))
	mux.Handle("GET "+TargetsPath+"/new", requireRead(web.HandlerFunc(h.targetForm)))
	mux.Handle("POST "+TargetsPath, requireRead(web.HandlerFunc(h.targetSave)))
	mux.Handle("GET "+TargetsPath+"/{id}", requireRead(web.HandlerFunc(h.targetForm)))
	mux.Handle("POST "+TargetsPath+"/{id}", requireRead(web.HandlerFunc(h.targetSave)))
	mux.Handle("POST "+TargetsPath+"/{id}/delete", requireRead(web.HandlerFunc(h.targetDelete)))
	mux.Handle("GET "+IncidentsPath, requireRead(web.HandlerFunc(h.incidents)))
	mux.Handle("POST "+IncidentsPath, requireRead(web.HandlerFunc(h.incidentOpen)))
	mux.Handle("GET "+IncidentsPath+"/{id}", requireRead(web.HandlerFunc(h.incident)))
	mux.Handle("POST "+IncidentsPath+"/{id}/{action}", requireRead(web.HandlerFunc(h.incidentAct)))
	mux.Handle("GET "+RequestsPath, requireRead(web.HandlerFunc(h.requests)))
	mux.Handle("GET "+RequestsPath+"/{id}", requireRead(web.HandlerFunc(h.request)))
	mux.Handle("GET "+DashboardPath, requireRead(web.HandlerFunc(h.dashboard)))
	mux.Handle("GET "+DashboardPath+".csv", requireRead(web.HandlerFunc(h.dashboardCSV)))
	mux.Handle("GET "+DashboardPath+".json", requireRead(web.HandlerFunc(h.dashboardJSON)))
	mux.Handle("GET "+SettingsPath, requireRead(web.HandlerFunc(h.settings)))
	mux.Handle("POST "+SettingsPath, requireRead(web.HandlerFunc(h.settingsSave)))
	mux.Handle("GET "+MinePath, requireLogin(web.HandlerFunc(h.mine)))
	mux.Handle("POST "+MinePath, requireLogin(web.HandlerFunc(h.file)))
	mux.Handle("GET "+MinePath+"/{id}", requireLogin(web.HandlerFunc(h.request)))
	mux.Handle("GET "+MinePath+"/{id}/attachment", requireLogin(web.HandlerFunc(h.attachment)))
	mux.Handle("POST "+MinePath+"/{id}/{action}", requireLogin(web.HandlerFunc(h.requestAct)))
}

// estNames maps establishment IDs to their summary.
func (h *Handler) ests(ctx context.Context) (map[string]*directory.EstablishmentSummary, []*directory.EstablishmentSummary, error) {
	all, err := h.deps.Directory.Establishments(ctx)
	if err != nil {
		return nil, nil, err
	}
	m := make(map[string]*directory.EstablishmentSummary, len(all))
	for _, e := range all {
		m[e.ID] = e
	}
	return m, all, nil
}

func estLabel(m map[string]*directory.EstablishmentSummary, id string) string {
	if id == "" {
		return "Préau"
	}
	if e := m[id]; e != nil {
		return e.Name + " (" + e.UAI + ")"
	}
	return id
}

// option is a choice of a select.
type option struct{ Value, Label string }

// managed lists the establishments p administers, for the forms.
func managed(ctx context.Context, all []*directory.EstablishmentSummary) []option {
	p := core.PrincipalFromContext(ctx)
	var out []option
	for _, e := range all {
		if p.CanAdminister(e.ID) {
			out = append(out, option{e.ID, e.Name + " (" + e.UAI + ")"})
		}
	}
	return out
}

// explain turns a refusal or invalid input into a message for the page;
// ok is false for other errors, which the caller returns.
func explain(ctx context.Context, err error) (msg string, status int, ok bool) {
	switch core.KindOf(err) {
	case core.Invalid:
		return web.T(ctx, "monitor.err.invalid", core.MessageOf(err)), http.StatusBadRequest, true
	case core.Exists:
		return web.T(ctx, "monitor.err.exists"), http.StatusConflict, true
	case core.Conflict:
		return web.T(ctx, "monitor.err.conflict"), http.StatusConflict, true
	case core.Permission:
		switch {
		case errors.Is(err, monitor.ErrMayNotRead):
			return web.T(ctx, "monitor.err.read"), http.StatusForbidden, true
		case errors.Is(err, monitor.ErrNotYours):
			return web.T(ctx, "monitor.err.not_yours"), http.StatusForbidden, true
		}
		return web.T(ctx, "monitor.err.manage"), http.StatusForbidden, true
	}
	return "", 0, false
}

// targetRow is a target as the home page shows it.
type targetRow struct {
	monitor.Target
	EstName string
}

type homeView struct {
	Targets   []targetRow
	Incidents []incidentRow
	CanManage bool
	Probes    []string
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ts, err := h.deps.Service.Targets(ctx)
	if err != nil {
		return err
	}
	live := map[string]monitor.Target{}
	if h.deps.Engine != nil {
		for _, t := range h.deps.Engine.Snapshot() {
			live[t.ID] = t
		}
	}
	names, all, err := h.ests(ctx)
	if err != nil {
		return err
	}
	v := homeView{CanManage: len(managed(ctx, all)) > 0}
	for _, t := range ts {
		row := targetRow{Target: *t, EstName: estLabel(names, t.Establishment)}
		if l, ok := live[t.ID]; ok && !l.LastCheck.IsZero() {
			row.State, row.StateSince, row.Flapping = l.State, l.StateSince, l.Flapping
			row.LastCheck, row.LastLatency, row.LastError = l.LastCheck, l.LastLatency, l.LastError
		}
		v.Targets = append(v.Targets, row)
	}
	incs, err := h.deps.Service.Incidents(ctx, monitor.IncidentFilter{States: []monitor.IncidentState{monitor.Open, monitor.Acknowledged}, Limit: 50})
	if err != nil {
		return err
	}
	v.Incidents = h.incidentRows(incs, names)
	h.rd.Page(w, r, http.StatusOK, "monitor/home", v)
	return nil
}

type targetView struct {
	History        *web.Chart // the last days' results of an existing target
	Form           *web.Form
	Error          string
	ID             string
	Kinds          []monitor.Kind
	Establishments []option
}

func (h *Handler) targetForm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := web.NewForm(ctx, nil)
	id := r.PathValue("id")
	if id != "" {
		t, err := h.deps.Service.Target(ctx, id)
		if err != nil {
			return err
		}
		if t.Kind == monitor.KindSelf {
			return core.E("monitorweb", core.NotFound, "")
		}
		f.Values = targetValues(t)
		return h.renderTargetWith(w, r, http.StatusOK, f, id, "", h.history(r, id))
	} else {
		f.Values.Set("interval", "60")
		f.Values.Set("timeout", "5")
		f.Values.Set("retries", "2")
		f.Values.Set("restore", "4")
		f.Values.Set("enabled", "1")
	}
	return h.renderTarget(w, r, http.StatusOK, f, id, "")
}

func targetValues(t *monitor.Target) url.Values {
	v := url.Values{}
	v.Set("establishment", t.Establishment)
	v.Set("name", t.Name)
	v.Set("kind", string(t.Kind))
	v.Set("address", t.Address)
	v.Set("service", t.Service)
	v.Set("interval", strconv.Itoa(int(t.Interval/time.Second)))
	v.Set("timeout", strconv.Itoa(int(t.Timeout/time.Second)))
	v.Set("retries", strconv.Itoa(t.Retries))
	if t.ExpectStatus != 0 {
		v.Set("status", strconv.Itoa(t.ExpectStatus))
	}
	v.Set("body", t.ExpectBody)
	if t.CertDays != 0 {
		v.Set("cert_days", strconv.Itoa(t.CertDays))
	}
	v.Set("restore", strconv.Itoa(int(t.Restore()/time.Hour)))
	if t.Enabled {
		v.Set("enabled", "1")
	}
	return v
}

func (h *Handler) renderTarget(w http.ResponseWriter, r *http.Request, status int, f *web.Form, id, msg string) error {
	return h.renderTargetWith(w, r, status, f, id, msg, nil)
}

func (h *Handler) renderTargetWith(w http.ResponseWriter, r *http.Request, status int, f *web.Form, id, msg string, hist *web.Chart) error {
	_, all, err := h.ests(r.Context())
	if err != nil {
		return err
	}
	h.rd.Page(w, r, status, "monitor/target", targetView{History: hist, Form: f, Error: msg, ID: id, Kinds: monitor.Kinds,
		Establishments: managed(r.Context(), all)})
	return nil
}

// historyDays is how far back the target page draws its results.
const historyDays = 14

// history draws a target's share of successful checks per day.
func (h *Handler) history(r *http.Request, id string) *web.Chart {
	ctx := r.Context()
	days, err := h.deps.Service.History(ctx, id, h.deps.Clock.Now().Add(-historyDays*24*time.Hour))
	if err != nil {
		return nil
	}
	c := web.Chart{Title: web.T(ctx, "monitor.chart.history.title", historyDays), Desc: web.T(ctx, "monitor.chart.history.desc"),
		Percent: true, Series: []string{web.T(ctx, "monitor.chart.history.ok"), web.T(ctx, "monitor.chart.history.failed")},
		Empty: web.T(ctx, "monitor.chart.availability.empty")}
	for _, d := range days {
		c.Rows = append(c.Rows, web.ChartRow{Label: d.Hour.Format("2006-01-02"), Values: []int{int(d.Checks - d.Failures), int(d.Failures)}})
	}
	return &c
}

func (h *Handler) targetSave(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	t := &monitor.Target{ID: id, Establishment: f.Value("establishment"), Name: f.Required("name", "monitor.field.name"),
		Kind: monitor.Kind(f.Value("kind")), Address: f.Required("address", "monitor.field.address"), Service: f.Value("service"),
		Interval: time.Duration(f.Int("interval", 1, 86400)) * time.Second, Timeout: time.Duration(f.Int("timeout", 1, 60)) * time.Second,
		Retries: f.Int("retries", 0, monitor.MaxRetries), ExpectBody: f.MaxLen("body", 200),
		RestoreTarget: time.Duration(f.Int("restore", 1, 720)) * time.Hour, Enabled: f.Checked("enabled")}
	if f.Value("status") != "" {
		t.ExpectStatus = f.Int("status", 100, 599)
	}
	if f.Value("cert_days") != "" {
		t.CertDays = f.Int("cert_days", 0, 365)
	}
	if !slices.Contains(monitor.Kinds, t.Kind) {
		f.Fail("kind", "monitor.form.choose", web.T(ctx, "monitor.field.kind"))
	}
	if t.Address != "" && slices.Contains(monitor.Kinds, t.Kind) {
		if err := monitor.CheckAddress(t.Kind, t.Address); err != nil {
			f.Fail("address", "monitor.form.address", web.T(ctx, "monitor.kind.hint."+string(t.Kind)))
		}
	}
	if !f.Valid() {
		return h.renderTarget(w, r, http.StatusBadRequest, f, id, "")
	}
	if err := h.deps.Service.SaveTarget(ctx, t); err != nil {
		msg, status, ok := explain(ctx, err)
		if !ok {
			return err
		}
		return h.renderTarget(w, r, status, f, id, msg)
	}
	if h.deps.Changed != nil {
		h.deps.Changed()
	}
	http.Redirect(w, r, HomePath, http.StatusSeeOther)
	return nil
}

func (h *Handler) targetDelete(w http.ResponseWriter, r *http.Request) error {
	if err := h.deps.Service.DeleteTarget(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	if h.deps.Changed != nil {
		h.deps.Changed()
	}
	http.Redirect(w, r, HomePath, http.StatusSeeOther)
	return nil
}

// incidentRow is an incident as lists show it.
type incidentRow struct {
	*monitor.Incident
	EstName    string
	Restore    time.Duration
	RestoreFor string // Restore as text
	TargetFor  string // the restore target as text
	Breached   bool
}

func (h *Handler) incidentRows(incs []*monitor.Incident, names map[string]*directory.EstablishmentSummary) []incidentRow {
	now := h.deps.Clock.Now()
	out := make([]incidentRow, 0, len(incs))
	for _, i := range incs {
		out = append(out, incidentRow{Incident: i, EstName: estLabel(names, i.Establishment),
			Restore: i.TimeToRestore(now).Round(time.Second), RestoreFor: monitor.Span(i.TimeToRestore(now)),
			TargetFor: monitor.Span(i.RestoreTarget), Breached: i.Breached(now)})
	}
	return out
}

type incidentsView struct {
	Rows           []incidentRow
	Form           *web.Form
	Error          string
	Establishments []option
	State          string
	States         []monitor.IncidentState
}

func (h *Handler) incidents(w http.ResponseWriter, r *http.Request) error {
	return h.renderIncidents(w, r, http.StatusOK, web.NewForm(r.Context(), url.Values{"restore": {"4"}}), "")
}

func (h *Handler) renderIncidents(w http.ResponseWriter, r *http.Request, status int, f *web.Form, msg string) error {
	ctx := r.Context()
	v := incidentsView{Form: f, Error: msg, State: r.URL.Query().Get("state"), States: monitor.IncidentStates}
	var fl monitor.IncidentFilter
	if slices.Contains(monitor.IncidentStates, monitor.IncidentState(v.State)) {
		fl.States = []monitor.IncidentState{monitor.IncidentState(v.State)}
	} else {
		v.State = ""
	}
	fl.Limit = 200
	incs, err := h.deps.Service.Incidents(ctx, fl)
	if err != nil {
		return err
	}
	names, all, err := h.ests(ctx)
	if err != nil {
		return err
	}
	v.Rows = h.incidentRows(incs, names)
	v.Establishments = managed(ctx, all)
	if core.PrincipalFromContext(ctx).IsAdmin() {
		v.Establishments = append([]option{{"", web.T(ctx, "monitor.deployment")}}, v.Establishments...)
	}
	h.rd.Page(w, r, status, "monitor/incidents", v)
	return nil
}

func (h *Handler) incidentOpen(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	title := f.Required("title", "monitor.field.title")
	restore := time.Duration(f.Int("restore", 1, 720)) * time.Hour
	if !f.Valid() {
		return h.renderIncidents(w, r, http.StatusBadRequest, f, "")
	}
	i, err := h.deps.Service.OpenIncident(ctx, f.Value("establishment"), title, f.Value("service"), f.MaxLen("note", 2000), restore)
	if err != nil {
		msg, status, ok := explain(ctx, err)
		if !ok {
			return err
		}
		return h.renderIncidents(w, r, status, f, msg)
	}
	http.Redirect(w, r, IncidentsPath+"/"+i.ID, http.StatusSeeOther)
	return nil
}

type incidentView struct {
	incidentRow
	Target    *monitor.Target
	CanManage bool
	Error     string
}

func (h *Handler) incident(w http.ResponseWriter, r *http.Request) error {
	return h.renderIncident(w, r, http.StatusOK, "")
}

func (h *Handler) renderIncident(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	ctx := r.Context()
	i, err := h.deps.Service.Incident(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	names, _, err := h.ests(ctx)
	if err != nil {
		return err
	}
	p := core.PrincipalFromContext(ctx)
	v := incidentView{incidentRow: h.incidentRows([]*monitor.Incident{i}, names)[0], Error: msg,
		CanManage: (i.Establishment == "" && p.IsAdmin()) || (i.Establishment != "" && p.CanAdminister(i.Establishment))}
	if i.TargetID != "" {
		v.Target, _ = h.deps.Service.Target(ctx, i.TargetID)
	}
	h.rd.Page(w, r, status, "monitor/incident", v)
	return nil
}

func (h *Handler) incidentAct(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := h.deps.Service.ActOnIncident(ctx, id, monitor.IncidentAction(r.PathValue("action")), f.Value("text")); err != nil {
		msg, status, ok := explain(ctx, err)
		if !ok {
			return err
		}
		return h.renderIncident(w, r, status, msg)
	}
	http.Redirect(w, r, IncidentsPath+"/"+id, http.StatusSeeOther)
	return nil
}

type settingsView struct {
	Form  *web.Form
	Saved bool
}

// Alert settings names in the store (scope "monitor").
const (
	SettingScope   = "monitor"
	SettingOnCall  = "oncall"
	SettingWebhook = "webhook_url"
	SettingSecret  = "webhook_secret"
)

func (h *Handler) settings(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !core.PrincipalFromContext(ctx).IsAdmin() {
		return monitor.ErrMayNotManage
	}
	f := web.NewForm(ctx, nil)
	for _, k := range []string{SettingOnCall, SettingWebhook} {
		v, err := h.deps.Settings.Setting(ctx, SettingScope, k)
		if err != nil && !core.IsKind(err, core.NotFound) {
			return err
		}
		f.Values.Set(k, v)
	}
	h.rd.Page(w, r, http.StatusOK, "monitor/settings", settingsView{Form: f, Saved: r.URL.Query().Get("saved") != ""})
	return nil
}

func (h *Handler) settingsSave(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !core.PrincipalFromContext(ctx).IsAdmin() {
		return monitor.ErrMayNotManage
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	var mails []string
	for _, m := range strings.FieldsFunc(f.Value(SettingOnCall), func(c rune) bool { return c == ',' || c == ';' || c == '\n' || c == ' ' }) {
		if !strings.Contains(m, "@") || strings.ContainsAny(m, "<>\"") {
			f.Fail(SettingOnCall, "monitor.form.mail", m)
		}
		mails = append(mails, m)
	}
	hook := f.Value(SettingWebhook)
	if hook != "" {
		u, err := url.Parse(hook)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			f.Fail(SettingWebhook, "monitor.form.url")
		}
	}
	if !f.Valid() {
		h.rd.Page(w, r, http.StatusBadRequest, "monitor/settings", settingsView{Form: f})
		return nil
	}
	if err := h.deps.Settings.PutSetting(ctx, SettingScope, SettingOnCall, strings.Join(mails, ", ")); err != nil {
		return err
	}
	if err := h.deps.Settings.PutSetting(ctx, SettingScope, SettingWebhook, hook); err != nil {
		return err
	}
	if s := f.Value(SettingSecret); s != "" {
		if err := h.deps.Settings.PutSetting(ctx, SettingScope, SettingSecret, s); err != nil {
			return err
		}
	}
	http.Redirect(w, r, SettingsPath+"?saved=1", http.StatusSeeOther)
	return nil
}

// requestRow is a request as lists show it.
type requestRow struct {
	*monitor.Request
	EstName string
}

type requestsView struct {
	Rows   []requestRow
	State  string
	States []monitor.RequestState
}

func (h *Handler) requests(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v := requestsView{State: r.URL.Query().Get("state"), States: monitor.RequestStates}
	var states []monitor.RequestState
	switch {
	case v.State == "open" || v.State == "":
		v.State = "open"
		states = []monitor.RequestState{monitor.ReqNew, monitor.ReqAssigned, monitor.ReqAnswered}
	case slices.Contains(monitor.RequestStates, monitor.RequestState(v.State)):
		states = []monitor.RequestState{monitor.RequestState(v.State)}
	default:
		v.State = "all"
	}
	rs, err := h.deps.Service.Requests(ctx, false, states...)
	if err != nil {
		return err
	}
	names, _, err := h.ests(ctx)
	if err != nil {
		return err
	}
	for _, q := range rs {
		v.Rows = append(v.Rows, requestRow{Request: q, EstName: estLabel(names, q.Establishment)})
	}
	h.rd.Page(w, r, http.StatusOK, "monitor/requests", v)
	return nil
}

type requestView struct {
	R        *monitor.Request
	Triage   bool
	Triagers []monitor.Triager // whom it may be assigned to
	Mine     bool
	Error    string
	Base     string // the path of actions (/requests/{id})
	Back     string
}

func (h *Handler) request(w http.ResponseWriter, r *http.Request) error {
	return h.renderRequest(w, r, http.StatusOK, "")
}

func (h *Handler) renderRequest(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	ctx := r.Context()
	q, triage, err := h.deps.Service.Request(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := core.PrincipalFromContext(ctx)
	v := requestView{R: q, Triage: triage, Mine: q.RequesterID == p.PersonID, Error: msg, Base: MinePath + "/" + q.ID, Back: MinePath}
	if triage && strings.HasPrefix(r.URL.Path, RequestsPath) {
		v.Back = RequestsPath
	}
	if triage {
		if v.Triagers, err = h.deps.Service.Triagers(ctx, q.Establishment); err != nil {
			return err
		}
	}
	h.rd.Page(w, r, status, "monitor/request", v)
	return nil
}

func (h *Handler) requestAct(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	act := func() (*monitor.Request, error) {
		return h.deps.Service.ActOnRequest(ctx, id, monitor.RequestAction(r.PathValue("action")), f.Value("text"))
	}
	if to := f.Value("assignee"); to != "" && r.PathValue("action") == string(monitor.ReqActAssign) {
		act = func() (*monitor.Request, error) { return h.deps.Service.AssignRequest(ctx, id, to) }
	}
	if _, err := act(); err != nil {
		msg, status, ok := explain(ctx, err)
		if !ok {
			return err
		}
		return h.renderRequest(w, r, status, msg)
	}
	back := MinePath + "/" + id
	if f.Value("back") == "admin" {
		back = RequestsPath + "/" + id
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

type mineView struct {
	Rows       []*monitor.Request
	Form       *web.Form
	Error      string
	Categories []monitor.Category
	Filed      bool
}

func (h *Handler) mine(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r.Context(), nil)
	f.Values.Set("device", r.URL.Query().Get("device"))
	return h.renderMine(w, r, http.StatusOK, f, "")
}

func (h *Handler) renderMine(w http.ResponseWriter, r *http.Request, status int, f *web.Form, msg string) error {
	rs, err := h.deps.Service.Requests(r.Context(), true)
	if err != nil {
		return err
	}
	h.rd.Page(w, r, status, "monitor/mine", mineView{Rows: rs, Form: f, Error: msg, Categories: monitor.Categories,
		Filed: r.URL.Query().Get("filed") != ""})
	return nil
}

// maxUpload bounds a filing's body: the attachment and the fields.
const maxUpload = monitor.MaxAttachment + 64<<10

func (h *Handler) file(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var f *web.Form
	var att *monitor.Attachment
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(maxUpload); err != nil {
			return core.E("monitorweb.file", core.Invalid, "the form could not be read (attachment at most %d KB): %v", monitor.MaxAttachment>>10, err)
		}
		f = web.NewForm(ctx, r.Form)
		if file, hdr, err := r.FormFile("attachment"); err == nil {
			defer file.Close()
			b, err := io.ReadAll(io.LimitReader(file, monitor.MaxAttachment+1))
			if err != nil {
				return err
			}
			att = &monitor.Attachment{Name: hdr.Filename, Type: http.DetectContentType(b), Content: b}
		}
	} else {
		var err error
		if f, err = web.ParseForm(r); err != nil {
			return err
		}
	}
	n := monitor.NewRequest{Category: monitor.Category(f.Value("category")), Device: f.MaxLen("device", 100),
		Subject: f.Required("subject", "monitor.field.subject"), Description: f.Required("description", "monitor.field.description"),
		Attachment: att}
	f.MaxLen("subject", 150)
	f.MaxLen("description", 5000)
	if !n.Category.Valid() {
		f.Fail("category", "monitor.form.choose", web.T(ctx, "monitor.field.category"))
	}
	if att != nil && len(att.Content) > monitor.MaxAttachment {
		f.Fail("attachment", "monitor.form.too_big", monitor.MaxAttachment>>10)
	}
	if !f.Valid() {
		return h.renderMine(w, r, http.StatusBadRequest, f, "")
	}
	q, err := h.deps.Service.FileRequest(ctx, n)
	if err != nil {
		msg, status, ok := explain(ctx, err)
		if !ok {
			return err
		}
		return h.renderMine(w, r, status, f, msg)
	}
	http.Redirect(w, r, MinePath+"/"+q.ID+"?filed=1", http.StatusSeeOther)
	return nil
}

func (h *Handler) attachment(w http.ResponseWriter, r *http.Request) error {
	a, err := h.deps.Service.Attachment(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	// Served as a download, never rendered in Préau's origin.
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.Map(func(c rune) rune {
		if c < 0x20 || c == '"' || c == '\\' || c == 0x7f {
			return '_'
		}
		return c
	}, a.Name)+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(a.Content)
	return err
}
