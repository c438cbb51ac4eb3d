// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package filterweb is the web face of the content filter: the teacher's
// page (their classes' rules in force, open or close a site or a category
// for a lesson, start and stop exam mode, "why is this address blocked?"),
// the establishment's filter settings (blocked categories, allowed and
// blocked sites) for the holders of filter.delegate, and the page where a
// pupil asks for a blocked site to be opened (INF-SEC-4, -6, -9, -10).
package filterweb

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of this package.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

var pages = []string{"filter/teacher", "filter/settings", "filter/ask", "filter/lists", "filter/schedules", "filter/national", "filter/blocked"}

// Paths.
const (
	TeacherPath  = "/filter"
	SettingsPath = "/filter/settings"
	AskPath      = "/filter/ask"
)

// Deps are the collaborators of the pages.
type Deps struct {
	Service  *filter.Service
	Renderer *web.Renderer
	Clock    core.Clock
	// Journal records a pupil's request to open a site (INF-SEC-11's duty
	// to alert, and the trace of who asked).
	Journal func(ctx context.Context, e journal.Entry) error
	// ListsInfo describes the lists in force for the settings page.
	ListsInfo func(ctx context.Context) string
	// Lists imports and downloads the category lists (the lists page).
	Lists ListsAdmin
	// Asks and AskPeople carry pupils' requests to open a site to the
	// teachers holding filter.delegate (without them, requests are only
	// journaled).
	Asks      AskStore
	AskPeople AskPeople
	// Zones lists the network zones (rooms) of an establishment, offered
	// to heads and operators in the exam-mode form (INF-SEC-4).
	Zones func(ctx context.Context, est string) ([]string, error)
	// Blocked reads what is being blocked for a group's pupils (the
	// "blocked now" page; without it the page is not offered).
	Blocked BlockedReader
}

// Handler serves the pages.
type Handler struct {
	d  Deps
	rd *web.Renderer
}

// New returns the handler; it fails when the renderer lacks its pages.
func New(d Deps) (*Handler, error) {
	if err := d.Renderer.Require(pages...); err != nil {
		return nil, err
	}
	return &Handler{d: d, rd: d.Renderer}, nil
}

// Routes registers the pages behind requireLogin; each checks the right.
func (h *Handler) Routes(mux *http.ServeMux, requireLogin func(http.Handler) http.Handler) {
	mux.Handle("GET "+TeacherPath, requireLogin(web.HandlerFunc(h.teacher)))
	mux.Handle("POST "+TeacherPath+"/delegate", requireLogin(web.HandlerFunc(h.delegate)))
	mux.Handle("POST "+TeacherPath+"/exam", requireLogin(web.HandlerFunc(h.exam)))
	mux.Handle("POST "+TeacherPath+"/end/{id}", requireLogin(web.HandlerFunc(h.end)))
	mux.Handle("GET "+SettingsPath, requireLogin(web.HandlerFunc(h.settings)))
	mux.Handle("POST "+SettingsPath, requireLogin(web.HandlerFunc(h.saveSettings)))
	mux.Handle("POST "+SettingsPath+"/group", requireLogin(web.HandlerFunc(h.saveGroup)))
	mux.Handle("GET "+AskPath, requireLogin(web.HandlerFunc(h.askForm)))
	mux.Handle("POST "+AskPath+"/{id}/{verb}", requireLogin(web.HandlerFunc(h.answer)))
	h.adminRoutes(mux, requireLogin)
	mux.Handle("POST "+AskPath, requireLogin(web.HandlerFunc(h.ask)))
}

// establishment returns the establishment where the principal holds the
// delegation, or a refusal naming the right.
func establishment(ctx context.Context) (string, error) {
	p := core.PrincipalFromContext(ctx)
	for _, e := range p.Establishments {
		if filter.MayDelegate(p, e) {
			return e, nil
		}
	}
	est := ""
	if len(p.Establishments) > 0 {
		est = p.Establishments[0]
	}
	return "", web.RightRefusal(ctx, core.RightFilterDelegate, est)
}

type option struct{ Value, Label string }

// Durations a teacher picks from, in minutes: a lesson, two, a half day,
// a day, a week.
var durations = []int{55, 110, 240, 600, 7 * 24 * 60}

type overrideRow struct {
	filter.Override
	GroupName string
	What      string
	Active    bool
}

type checkView struct {
	URL, Group string
	Done       bool
	Allow      bool
	Layer      string
	Rule       string
	Category   string
	Site       string
}

type teacherView struct {
	Groups     []option
	Rooms      []option // "zone:<name>" targets, for heads and operators
	Blocked    bool     // the "blocked now" page is offered
	Categories []option
	Durations  []int
	Rows       []overrideRow
	Delegate   *web.Form
	Exam       *web.Form
	Check      checkView
	Error      string
	Asks       []askRow
}

func (h *Handler) teacherView(ctx context.Context, est string, r *http.Request) (*teacherView, error) {
	gs, err := h.d.Service.Targets(ctx, est)
	if err != nil {
		return nil, err
	}
	v := &teacherView{Durations: durations, Delegate: web.NewForm(ctx, nil), Exam: web.NewForm(ctx, nil), Blocked: h.d.Blocked != nil}
	names := map[string]string{}
	for _, g := range gs {
		v.Groups = append(v.Groups, option{Value: g.Code, Label: g.Name + " (" + g.Code + ")"})
		names[g.Code] = g.Name
	}
	lang := web.LangFromContext(ctx)
	if l := h.d.Service.Engine().Lists(); l != nil {
		for _, c := range l.Categories() {
			v.Categories = append(v.Categories, option{Value: c.Name, Label: c.Label(lang)})
		}
		slices.SortFunc(v.Categories, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	}
	if p := core.PrincipalFromContext(ctx); h.d.Zones != nil && (p.Operator() || p.Profile == core.ProfileHead) {
		zs, err := h.d.Zones(ctx, est)
		if err != nil {
			return nil, err
		}
		for _, z := range zs {
			label := web.T(ctx, "filter.room", z)
			v.Rooms = append(v.Rooms, option{Value: "zone:" + z, Label: label})
			gs = append(gs, filter.GroupRef{Establishment: est, Code: "zone:" + z, Name: label})
			names["zone:"+z] = label
		}
	}
	os, err := h.d.Service.InForce(ctx, est, gs)
	if err != nil {
		return nil, err
	}
	if v.Asks, err = h.pendingAsks(ctx, est, v.Groups); err != nil {
		return nil, err
	}
	now := h.d.Clock.Now()
	for _, o := range os {
		row := overrideRow{Override: o, GroupName: names[o.Target], Active: o.Active(now)}
		switch o.Kind {
		case filter.KindDelegation:
			row.What = o.Site + o.Category
		default:
			row.What = strings.Join(o.Sites, ", ")
		}
		v.Rows = append(v.Rows, row)
	}
	if r != nil {
		q := r.URL.Query()
		v.Check.URL, v.Check.Group = strings.TrimSpace(q.Get("check")), q.Get("group")
		if v.Check.URL != "" {
			h.check(ctx, est, &v.Check)
		}
	}
	return v, nil
}

// check answers "why is this address blocked (or not) for this group?".
func (h *Handler) check(ctx context.Context, est string, c *checkView) {
	raw := c.URL
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	host, path, err := filter.NormalizeURL(raw)
	if err != nil {
		c.Layer = core.MessageOf(err)
		return
	}
	if i := strings.Index(raw, "://"); i >= 0 {
		hp := raw[i+3:]
		if j := strings.IndexAny(hp, "/?#"); j >= 0 {
			hp = hp[:j]
		}
		if full, err := filter.NormalizeHost(hp); err == nil {
			host = full
		}
	}
	req := filter.Request{Establishment: est, Host: host, Path: path, URL: raw, Profile: core.ProfilePupil,
		Time: h.d.Clock.Now()}
	if c.Group != "" {
		req.Groups = []string{c.Group}
	}
	d := h.d.Service.Engine().Decide(&req)
	c.Done, c.Allow, c.Layer, c.Rule, c.Category, c.Site = true, d.Allow, string(d.Layer), d.Rule, d.Category, d.Site
	if l := h.d.Service.Engine().Lists(); l != nil && d.Category != "" {
		if cat, ok := l.Category(d.Category); ok {
			c.Category = cat.Label(web.LangFromContext(ctx))
		}
	}
}

func (h *Handler) teacher(w http.ResponseWriter, r *http.Request) error {
	est, err := establishment(r.Context())
	if err != nil {
		return err
	}
	v, err := h.teacherView(r.Context(), est, r)
	if err != nil {
		return err
	}
	v.Delegate.Values.Set("duration", "55")
	v.Delegate.Values.Set("action", "open")
	v.Exam.Values.Set("duration", "110")
	h.rd.Page(w, r, http.StatusOK, "filter/teacher", v)
	return nil
}

// refusal returns the message of an error the reader caused, or ok=false.
func refusal(ctx context.Context, err error) (string, int, bool) {
	switch {
	case errors.Is(err, filter.ErrNotYourGroup):
		return web.T(ctx, "filter.err.not_your_group"), http.StatusForbidden, true
	case errors.Is(err, filter.ErrNotDelegate):
		return web.T(ctx, "filter.err.not_delegate"), http.StatusForbidden, true
	case core.IsKind(err, core.Invalid):
		return core.MessageOf(err), http.StatusBadRequest, true
	case core.IsKind(err, core.NotFound):
		return web.T(ctx, "filter.err.not_found"), http.StatusNotFound, true
	}
	return "", 0, false
}

func (h *Handler) delegate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	est, err := establishment(ctx)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	now := h.d.Clock.Now()
	o := &filter.Override{Establishment: est, Kind: filter.KindDelegation, Target: f.Required("group", "filter.field.group"),
		Allow: f.Value("action") != "close", Site: strings.TrimSpace(f.MaxLen("site", 253)), Category: f.Value("category"),
		Note: f.MaxLen("note", 200), From: now}
	if o.Site != "" && o.Category != "" {
		f.Fail("site", "filter.form.site_or_category")
	} else if o.Site == "" && o.Category == "" {
		f.Fail("site", "filter.form.site_or_category")
	}
	if o.Site != "" {
		if host, _, err := filter.NormalizeURL(withScheme(o.Site)); err == nil {
			o.Site = host
		} else {
			f.Fail("site", "filter.form.bad_site")
		}
	}
	o.Until = now.Add(time.Duration(f.Int("duration", 5, 366*24*60)) * time.Minute)
	return h.start(w, r, est, f, o, "delegate")
}

func withScheme(s string) string {
	if strings.Contains(s, "://") {
		return s
	}
	return "http://" + s
}

func (h *Handler) exam(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	est, err := establishment(ctx)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	now := h.d.Clock.Now()
	o := &filter.Override{Establishment: est, Kind: filter.KindExam, Target: f.Required("group", "filter.field.group"),
		Note: f.MaxLen("note", 200), From: now}
	for line := range strings.FieldsSeq(strings.ReplaceAll(f.MaxLen("sites", 10000), ",", " ")) {
		host, _, err := filter.NormalizeURL(withScheme(line))
		if err != nil {
			f.Fail("sites", "filter.form.bad_site_named", line)
			break
		}
		o.Sites = append(o.Sites, host)
	}
	o.Until = now.Add(time.Duration(f.Int("duration", 5, 24*60)) * time.Minute)
	return h.start(w, r, est, f, o, "exam")
}

func (h *Handler) start(w http.ResponseWriter, r *http.Request, est string, f *web.Form, o *filter.Override, which string) error {
	ctx := r.Context()
	var msg string
	status := http.StatusBadRequest
	if f.Valid() {
		err := h.d.Service.Start(ctx, o)
		if err == nil {
			web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "filter.flash." + which})
			http.Redirect(w, r, TeacherPath, http.StatusSeeOther)
			return nil
		}
		var ok bool
		if msg, status, ok = refusal(ctx, err); !ok {
			return err
		}
	}
	v, err := h.teacherView(ctx, est, nil)
	if err != nil {
		return err
	}
	v.Error = msg
	if which == "exam" {
		v.Exam = f
		v.Delegate.Values.Set("duration", "55")
	} else {
		v.Delegate = f
		v.Exam.Values.Set("duration", "110")
	}
	h.rd.Page(w, r, status, "filter/teacher", v)
	return nil
}

func (h *Handler) end(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	est, err := establishment(ctx)
	if err != nil {
		return err
	}
	if _, err := web.ParseForm(r); err != nil {
		return err
	}
	if err := h.d.Service.End(ctx, est, r.PathValue("id")); err != nil {
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "filter.flash.ended"})
	http.Redirect(w, r, TeacherPath, http.StatusSeeOther)
	return nil
}

type catRow struct {
	Name, Label, Desc string
	Entries           int
	White             bool
	Blocked           bool
	National          bool
}

type settingsView struct {
	Form       *web.Form
	Categories []catRow
	Lists      string
	National   []string
	Error      string
	Groups     []option
	GroupRules []groupRow
	GroupForm  *web.Form
}

type groupRow struct {
	filter.GroupRule
	Name string
}

func (h *Handler) settingsView(ctx context.Context, est string, st filter.Settings, f *web.Form) (*settingsView, error) {
	nat, err := h.d.Service.National(ctx)
	if err != nil {
		return nil, err
	}
	v := &settingsView{Form: f, National: append(append([]string{}, nat.Categories...), nat.Sites...), GroupForm: web.NewForm(ctx, nil)}
	gs, err := h.d.Service.Targets(ctx, est)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, g := range gs {
		v.Groups = append(v.Groups, option{Value: g.Code, Label: g.Name + " (" + g.Code + ")"})
		names[g.Code] = g.Name
	}
	for _, g := range st.Groups {
		v.GroupRules = append(v.GroupRules, groupRow{GroupRule: g, Name: names[g.Group]})
	}
	if h.d.ListsInfo != nil {
		v.Lists = h.d.ListsInfo(ctx)
	}
	var pupil filter.ProfileSettings
	for _, p := range st.Profiles {
		if p.Name == "pupil" {
			pupil = p
		}
	}
	if f.Values.Get("allow_sites") == "" && f.Values.Get("block_sites") == "" && f.Valid() {
		f.Values.Set("allow_sites", strings.Join(pupil.AllowSites, "\n"))
		f.Values.Set("block_sites", strings.Join(pupil.BlockSites, "\n"))
	}
	lang := web.LangFromContext(ctx)
	if l := h.d.Service.Engine().Lists(); l != nil {
		for _, c := range l.Categories() {
			v.Categories = append(v.Categories, catRow{Name: c.Name, Label: c.Label(lang), Desc: c.Descs[lang],
				Entries: c.Domains + c.URLs, White: c.WhiteOnly(), Blocked: slices.Contains(pupil.BlockCategories, c.Name),
				National: slices.Contains(nat.Categories, c.Name)})
		}
		slices.SortFunc(v.Categories, func(a, b catRow) int { return strings.Compare(a.Label, b.Label) })
	}
	return v, nil
}

func (h *Handler) settings(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	est, err := establishment(ctx)
	if err != nil {
		return err
	}
	st, err := h.d.Service.Settings(ctx, est)
	if err != nil {
		return err
	}
	v, err := h.settingsView(ctx, est, st, web.NewForm(ctx, nil))
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusOK, "filter/settings", v)
	return nil
}

func splitSites(s string) []string { return strings.Fields(strings.ReplaceAll(s, ",", " ")) }

// trySave saves st when f is valid and redirects to next (done). Otherwise,
// or when the service refuses, it returns the message and status the page
// shows again; err is for failures that are not a refusal.
func (h *Handler) trySave(w http.ResponseWriter, r *http.Request, f *web.Form, est string, st filter.Settings,
	reason, next string) (done bool, msg string, status int, err error) {
	if !f.Valid() {
		return false, "", http.StatusBadRequest, nil
	}
	err = h.d.Service.SaveSettings(r.Context(), est, st, reason)
	if err == nil {
		web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "filter.flash.saved"})
		http.Redirect(w, r, next, http.StatusSeeOther)
		return true, "", 0, nil
	}
	msg, status, ok := refusal(r.Context(), err)
	if !ok {
		return false, "", 0, err
	}
	return false, msg, status, nil
}

// settingsChange reads what every settings form starts from: the
// establishment in force, the posted form and the current settings.
func (h *Handler) settingsChange(r *http.Request) (string, *web.Form, filter.Settings, error) {
	ctx := r.Context()
	est, err := establishment(ctx)
	if err != nil {
		return "", nil, filter.Settings{}, err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return "", nil, filter.Settings{}, err
	}
	st, err := h.d.Service.Settings(ctx, est)
	return est, f, st, err
}

func (h *Handler) saveSettings(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	est, f, st, err := h.settingsChange(r)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(st.Profiles, func(p filter.ProfileSettings) bool { return p.Name == "pupil" })
	if i < 0 {
		st.Profiles = append(st.Profiles, filter.ProfileSettings{Name: "pupil", Applies: []core.Profile{core.ProfilePupil}})
		i = len(st.Profiles) - 1
	}
	p := &st.Profiles[i]
	p.BlockCategories = slices.Clone(f.Values["block"])
	p.AllowSites = splitSites(f.MaxLen("allow_sites", 100000))
	p.BlockSites = splitSites(f.MaxLen("block_sites", 100000))
	done, msg, status, err := h.trySave(w, r, f, est, st, f.MaxLen("reason", 200), SettingsPath)
	if done || err != nil {
		return err
	}
	v, err := h.settingsView(ctx, est, st, f)
	if err != nil {
		return err
	}
	v.Error = msg
	h.rd.Page(w, r, status, "filter/settings", v)
	return nil
}

// saveGroup sets (or, all fields empty, removes) the rule of one group
// (INF-SEC-10).
func (h *Handler) saveGroup(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	est, f, st, err := h.settingsChange(r)
	if err != nil {
		return err
	}
	g := filter.GroupRule{Group: f.Required("group", "filter.field.group"),
		AllowSites: splitSites(f.MaxLen("group_allow", 100000)), BlockSites: splitSites(f.MaxLen("group_block", 100000)),
		BlockCategories: f.Values["group_categories"]}
	if g.Group != "" {
		gs, err := h.d.Service.Targets(ctx, est)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(gs, func(x filter.GroupRef) bool { return x.Code == g.Group }) {
			f.Fail("group", "filter.err.not_your_group")
		}
	}
	st.Groups = slices.DeleteFunc(st.Groups, func(x filter.GroupRule) bool { return x.Group == g.Group })
	if len(g.AllowSites)+len(g.BlockSites)+len(g.BlockCategories) > 0 {
		st.Groups = append(st.Groups, g)
	}
	done, msg, status, err := h.trySave(w, r, f, est, st, "group "+g.Group, SettingsPath+"#groups")
	if done || err != nil {
		return err
	}
	cur, err := h.d.Service.Settings(ctx, est)
	if err != nil {
		return err
	}
	v, err := h.settingsView(ctx, est, cur, web.NewForm(ctx, nil))
	if err != nil {
		return err
	}
	v.Error, v.GroupForm = msg, f
	h.rd.Page(w, r, status, "filter/settings", v)
	return nil
}

type askView struct {
	Form *web.Form
	Site string
}

func (h *Handler) askForm(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r.Context(), nil)
	site := r.URL.Query().Get("site")
	if host, err := filter.NormalizeHost(site); err == nil {
		site = host
	} else {
		site = ""
	}
	f.Values.Set("site", site)
	h.rd.Page(w, r, http.StatusOK, "filter/ask", askView{Form: f, Site: site})
	return nil
}

// ask records a request to open a site: journaled in the pupil's
// establishment, where the holders of filter.delegate see it in the
// journal (action filter.ask).
func (h *Handler) ask(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	site := f.Required("site", "filter.field.site")
	if site != "" {
		if host, err := filter.NormalizeHost(site); err == nil {
			site = host
		} else {
			f.Fail("site", "filter.form.bad_site")
		}
	}
	reason := f.Required("reason", "filter.field.reason")
	f.MaxLen("reason", 500)
	if !f.Valid() {
		h.rd.Page(w, r, http.StatusBadRequest, "filter/ask", askView{Form: f, Site: site})
		return nil
	}
	p := core.PrincipalFromContext(ctx)
	chain := journal.DeploymentChain
	if len(p.Establishments) > 0 {
		chain = p.Establishments[0]
	}
	if h.d.Asks != nil && len(p.Establishments) > 0 {
		if err := h.recordAsk(ctx, p, chain, site, reason); err != nil {
			return err
		}
		web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "filter.flash.asked"})
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	if len(reason) > 200 {
		reason = reason[:200]
	}
	e := journal.Entry{Chain: chain, Action: "filter.ask", TargetType: "site", TargetName: site, Reason: reason,
		Attributes: []string{"profile:" + string(p.Profile)}}
	e.SetActor(p)
	if err := h.d.Journal(ctx, e); err != nil {
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "filter.flash.asked"})
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// Minutes formats a duration choice for the pages.
func Minutes(n int) string { return strconv.Itoa(n) }
