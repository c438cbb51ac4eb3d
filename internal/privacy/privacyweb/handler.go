// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package privacyweb serves the privacy pages: "my data" (what Préau holds
// about the person, downloadable as JSON and CSV, without any secret), the
// privacy page every user may read (who is responsible for their data and
// who the delegates are, CARINE INF-ANN-n1) and the console page where the
// head of the establishment names them.
package privacyweb

import (
	"bytes"
	"context"
	"embed"
	"io"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/privacy"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of the privacy pages.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

// Retention is how long the data are kept, as the privacy page states it.
type Retention struct {
	LeaverGrace time.Duration // an account that left is deleted after this
	Journal     time.Duration // 0: the journal is kept without limit
	SessionMax  time.Duration // a session ends after this at the latest
}

// Directory lists the establishments the principal may see.
type Directory interface {
	Establishments(ctx context.Context) ([]*directory.EstablishmentSummary, error)
}

// Deps are the collaborators of the pages.
type Deps struct {
	Service   *privacy.Service
	Export    privacy.Deps // the store, the clock and the password expiry check
	Journal   func(ctx context.Context, e journal.Entry) error
	Directory Directory
	Retention Retention
}

// Handler serves the privacy pages.
type Handler struct {
	deps Deps
	rd   *web.Renderer
}

// New returns the handler; it fails when a page is missing.
func New(deps Deps, rd *web.Renderer) (*Handler, error) {
	if err := rd.Require("privacy/data", "privacy/notice", "privacy/admin"); err != nil {
		return nil, err
	}
	return &Handler{deps: deps, rd: rd}, nil
}

// Routes registers the pages. /privacy is open to anyone: a logged-in
// person sees their establishments, a visitor the one named by ?uai=.
func (h *Handler) Routes(mux *http.ServeMux, requireLogin, requireAdmin func(http.Handler) http.Handler) {
	mux.Handle("GET /account/data", requireLogin(web.HandlerFunc(h.dataPage)))
	mux.Handle("GET /account/data.json", requireLogin(web.HandlerFunc(h.dataJSON)))
	mux.Handle("GET /account/data.csv", requireLogin(web.HandlerFunc(h.dataCSV)))
	mux.Handle("GET /privacy", web.HandlerFunc(h.notice))
	mux.Handle("GET /admin/privacy", requireAdmin(web.HandlerFunc(h.admin)))
	mux.Handle("POST /admin/privacy/controller", requireAdmin(web.HandlerFunc(h.saveController)))
	mux.Handle("POST /admin/privacy/delegates", requireAdmin(web.HandlerFunc(h.addDelegate)))
	mux.Handle("POST /admin/privacy/delegates/{id}/end", requireAdmin(web.HandlerFunc(h.endDelegate)))
}

// category is one line of the "what is included" list of the data page.
type category struct {
	Key   string // translation key suffix and JSON key
	Count int    // items, or -1 for a single record
}

type dataView struct {
	Categories   []category
	JournalLimit int
	Withheld     []string
}

func (h *Handler) build(ctx context.Context) (*privacy.Export, error) {
	return privacy.Build(ctx, h.deps.Export, core.PrincipalFromContext(ctx).PersonID)
}

func (h *Handler) dataPage(w http.ResponseWriter, r *http.Request) error {
	x, err := h.build(r.Context())
	if err != nil {
		return err
	}
	n := x.Counts()
	v := dataView{JournalLimit: privacy.JournalLimit,
		Withheld: []string{"password", "password_history", "totp", "recovery_codes", "passkeys", "pictures", "sessions"}}
	for _, k := range []string{"identity", "establishments", "external_ids", "groups", "grants", "password",
		"second_factors", "passkeys", "picture_login", "sessions", "sso_logins", "api_tokens", "notices", "journal", "privacy"} {
		c, ok := n[k]
		if !ok {
			c = -1
		}
		v.Categories = append(v.Categories, category{Key: k, Count: c})
	}
	h.rd.Page(w, r, http.StatusOK, "privacy/data", v)
	return nil
}

func (h *Handler) dataJSON(w http.ResponseWriter, r *http.Request) error {
	return h.download(w, r, "json", "application/json; charset=utf-8", (*privacy.Export).WriteJSON)
}

func (h *Handler) dataCSV(w http.ResponseWriter, r *http.Request) error {
	return h.download(w, r, "csv", "text/csv; charset=utf-8", (*privacy.Export).WriteCSV)
}

// download builds the export, journals that the person took it and sends it
// as an attachment. The body is built in memory first, so that a failure
// gives an error page rather than a truncated file.
func (h *Handler) download(w http.ResponseWriter, r *http.Request, format, ctype string,
	write func(*privacy.Export, io.Writer) error) error {
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	x, err := h.build(ctx)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := write(x, &buf); err != nil {
		return core.Wrap("privacyweb.download", core.Internal, err)
	}
	chain := journal.DeploymentChain
	if len(p.Establishments) > 0 {
		chain = p.Establishments[0]
	}
	if err := h.deps.Journal(ctx, journal.Entry{Chain: chain, Action: "account.data.export", TargetType: "person",
		TargetID: p.PersonID, TargetName: p.Login, Attributes: []string{format}}); err != nil {
		return err
	}
	name := "preau-mes-donnees-" + x.Identity.Login + "-" + x.GeneratedAt.Format("2006-01-02") + "." + format
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	_, err = w.Write(buf.Bytes())
	return err
}

type noticeView struct {
	Notices   []*privacy.Notice
	Anonymous bool
	// How long things are kept, in the units the page states them.
	LeaverGraceDays, SessionHours, JournalDays int
	UAI                                        string
	Now                                        time.Time
}

// notice is the privacy page.
func (h *Handler) notice(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	ret := h.deps.Retention
	v := noticeView{Anonymous: p.Anonymous(), Now: h.deps.Export.Clock.Now(),
		LeaverGraceDays: int(ret.LeaverGrace.Hours() / 24), SessionHours: int(ret.SessionMax.Hours()),
		JournalDays: int(ret.Journal.Hours() / 24)}
	ests := p.Establishments
	if uai := r.URL.Query().Get("uai"); uai != "" {
		canon, err := core.ParseUAI(uai)
		if err != nil {
			return err
		}
		v.UAI, ests = canon, []string{canon}
	}
	for _, e := range ests {
		n, err := h.deps.Service.Notice(ctx, e)
		if err != nil {
			if core.IsKind(err, core.NotFound) && v.UAI != "" {
				return core.E("privacyweb.notice", core.NotFound, "no establishment %s here", v.UAI)
			}
			return err
		}
		v.Notices = append(v.Notices, n)
	}
	h.rd.Page(w, r, http.StatusOK, "privacy/notice", v)
	return nil
}

type adminView struct {
	Establishments []*directory.EstablishmentSummary // those the principal may open
	Current        *directory.EstablishmentSummary
	Controller     *privacy.Controller
	DefaultRole    string
	Delegates      []*privacy.Delegate
	CanEdit        bool
	Form           *web.Form // the controller form
	DelegateForm   *web.Form
	Now            time.Time
}

// admin is the console page of one establishment (?est=ID, default the first).
func (h *Handler) admin(w http.ResponseWriter, r *http.Request) error {
	v, err := h.adminView(r, r.URL.Query().Get("est"))
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusOK, "privacy/admin", v)
	return nil
}

func (h *Handler) adminView(r *http.Request, est string) (*adminView, error) {
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	all, err := h.deps.Directory.Establishments(ctx)
	if err != nil {
		return nil, err
	}
	v := &adminView{Now: h.deps.Export.Clock.Now()}
	for _, e := range all {
		if privacy.CanRead(p, e.ID) {
			v.Establishments = append(v.Establishments, e)
		}
	}
	if len(v.Establishments) == 0 {
		return nil, core.E("privacyweb.admin", core.Permission, "you administer no establishment")
	}
	v.Current = v.Establishments[0]
	if est != "" {
		i := slices.IndexFunc(v.Establishments, func(e *directory.EstablishmentSummary) bool { return e.ID == est })
		if i < 0 {
			return nil, core.E("privacyweb.admin", core.NotFound, "no such establishment among those you administer")
		}
		v.Current = v.Establishments[i]
	}
	v.CanEdit = privacy.CanEdit(p, v.Current.ID)
	v.DefaultRole = privacy.DefaultRole(v.Current.Type)
	n, err := h.deps.Service.Notice(ctx, v.Current.ID)
	if err != nil {
		return nil, err
	}
	v.Controller = n.Controller
	if v.Delegates, err = h.deps.Service.AllDelegates(ctx, v.Current.ID); err != nil {
		return nil, err
	}
	vals := map[string][]string{}
	if c := v.Controller; c != nil {
		vals = map[string][]string{"name": {c.Name}, "role": {c.Role}, "contact": {c.Contact},
			"dpo_name": {c.DPOName}, "dpo_contact": {c.DPOContact}}
	}
	v.Form = web.NewForm(ctx, vals)
	v.DelegateForm = web.NewForm(ctx, map[string][]string{"from": {v.Now.Format(dateLayout)}})
	return v, nil
}

const dateLayout = "2006-01-02"

// contactField checks a contact field of f.
func contactField(f *web.Form, name string, required bool) string {
	v := f.MaxLen(name, 254)
	if v == "" {
		if required {
			f.Fail(name, "privacy.form.contact_required")
		}
		return v
	}
	if privacy.CheckContact("privacyweb", name, v, false) != nil {
		f.Fail(name, "privacy.form.contact_invalid")
	}
	return v
}

func (h *Handler) saveController(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	est := f.Value("est")
	v, err := h.adminView(r, est)
	if err != nil {
		return err
	}
	c := &privacy.Controller{Establishment: v.Current.ID}
	c.Name = f.Required("name", "privacy.admin.name")
	f.MaxLen("name", 200)
	c.Role = f.Required("role", "privacy.admin.role")
	f.MaxLen("role", 200)
	c.Contact = contactField(f, "contact", true)
	c.DPOName = f.MaxLen("dpo_name", 200)
	c.DPOContact = contactField(f, "dpo_contact", c.DPOName != "")
	if f.Valid() {
		err = h.deps.Service.PutController(r.Context(), c)
		if err == nil {
			web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "privacy.admin.saved"})
			http.Redirect(w, r, "/admin/privacy?est="+v.Current.ID, http.StatusSeeOther)
			return nil
		}
		if !core.IsKind(err, core.Invalid) {
			return err
		}
		f.Fail("name", "privacy.form.refused", core.MessageOf(err))
	}
	v.Form = f
	h.rd.Page(w, r, http.StatusUnprocessableEntity, "privacy/admin", v)
	return nil
}

func (h *Handler) addDelegate(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	v, err := h.adminView(r, f.Value("est"))
	if err != nil {
		return err
	}
	d := &privacy.Delegate{Establishment: v.Current.ID}
	d.Name = f.Required("d_name", "privacy.admin.delegate_name")
	f.MaxLen("d_name", 200)
	d.Scope = f.Required("d_scope", "privacy.admin.scope")
	f.MaxLen("d_scope", 500)
	d.Contact = contactField(f, "d_contact", false)
	loc := v.Now.Location()
	if s := f.Value("from"); s != "" {
		if d.From, err = time.ParseInLocation(dateLayout, s, loc); err != nil {
			f.Fail("from", "privacy.form.date")
		}
	}
	if s := f.Value("until"); s != "" {
		if d.Until, err = time.ParseInLocation(dateLayout, s, loc); err != nil {
			f.Fail("until", "privacy.form.date")
		} else if !d.From.IsZero() && !d.Until.After(d.From) {
			f.Fail("until", "privacy.form.until_after")
		}
	}
	if f.Valid() {
		err = h.deps.Service.AddDelegate(r.Context(), d)
		if err == nil {
			web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "privacy.admin.delegate_added"})
			http.Redirect(w, r, "/admin/privacy?est="+v.Current.ID, http.StatusSeeOther)
			return nil
		}
		if !core.IsKind(err, core.Invalid) {
			return err
		}
		f.Fail("d_name", "privacy.form.refused", core.MessageOf(err))
	}
	v.DelegateForm = f
	h.rd.Page(w, r, http.StatusUnprocessableEntity, "privacy/admin", v)
	return nil
}

func (h *Handler) endDelegate(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	v, err := h.adminView(r, f.Value("est"))
	if err != nil {
		return err
	}
	if err := h.deps.Service.EndDelegate(r.Context(), v.Current.ID, r.PathValue("id")); err != nil {
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "privacy.admin.delegate_ended"})
	http.Redirect(w, r, "/admin/privacy?est="+v.Current.ID, http.StatusSeeOther)
	return nil
}
