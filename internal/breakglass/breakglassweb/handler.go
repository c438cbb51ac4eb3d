// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package breakglassweb is the web face of break-glass (package
// breakglass): the console pages where a technical admin asks for access to
// a person's private content with its legal basis, the head of the
// establishment approves or refuses it, and anyone involved follows its
// timeline and closes it; and the page where a person sees every
// exceptional access that was granted to their own data.
package breakglassweb

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of this package.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

var pages = []string{"bg/list", "bg/new", "bg/detail", "bg/account"}

// Service is what the pages need of the break-glass service.
type Service interface {
	Request(ctx context.Context, a breakglass.Ask) (*breakglass.Request, error)
	Approve(ctx context.Context, id, comment string) (*breakglass.Request, error)
	Refuse(ctx context.Context, id, comment string) (*breakglass.Request, error)
	Cancel(ctx context.Context, id, comment string) (*breakglass.Request, error)
	Close(ctx context.Context, id, comment string) (*breakglass.Request, error)
	Get(ctx context.Context, id string) (*breakglass.Request, []*breakglass.Event, error)
	List(ctx context.Context, states ...breakglass.State) ([]*breakglass.Request, error)
	AboutMe(ctx context.Context) ([]*breakglass.Request, error)
}

// Directory names establishments.
type Directory interface {
	Establishments(ctx context.Context) ([]*directory.EstablishmentSummary, error)
}

// Deps are the collaborators of the pages. All are required.
type Deps struct {
	Service   Service
	Directory Directory
	Renderer  *web.Renderer
	Clock     core.Clock
}

// Handler serves the break-glass pages.
type Handler struct {
	deps Deps
	rd   *web.Renderer
}

// Paths.
const (
	ListPath    = "/admin/breakglass"
	NewPath     = "/admin/breakglass/new"
	AccountPath = breakglass.AccountPath
)

// New returns the handler; it fails when the renderer lacks its pages.
func New(deps Deps) (*Handler, error) {
	if err := deps.Renderer.Require(pages...); err != nil {
		return nil, err
	}
	return &Handler{deps: deps, rd: deps.Renderer}, nil
}

// Routes registers the console pages wrapped by requireAdmin and the
// person's own page wrapped by requireLogin.
func (h *Handler) Routes(mux *http.ServeMux, requireAdmin, requireLogin func(http.Handler) http.Handler) {
	mux.Handle("GET "+ListPath, requireAdmin(web.HandlerFunc(h.list)))
	mux.Handle("GET "+NewPath, requireAdmin(web.HandlerFunc(h.newForm)))
	mux.Handle("POST "+NewPath, requireAdmin(web.HandlerFunc(h.create)))
	mux.Handle("GET "+ListPath+"/{id}", requireAdmin(web.HandlerFunc(h.detail)))
	mux.Handle("POST "+ListPath+"/{id}/{action}", requireAdmin(web.HandlerFunc(h.act)))
	mux.Handle("GET "+AccountPath, requireLogin(web.HandlerFunc(h.account)))
}

// refusalKeys translates the refusals of the domain for the reader.
var refusalKeys = []struct {
	err error
	key string
}{
	{breakglass.ErrMayNotRequest, "bg.err.may_not_request"},
	{breakglass.ErrOwnData, "bg.err.own_data"},
	{breakglass.ErrNotHead, "bg.err.not_head"},
	{breakglass.ErrOwnRequest, "bg.err.own_request"},
	{breakglass.ErrNotRequester, "bg.err.not_requester"},
	{breakglass.ErrNotInvolved, "bg.err.not_involved"},
	{breakglass.ErrState, "bg.err.state"},
	{breakglass.ErrDuplicate, "bg.err.duplicate"},
}

// explain returns the message to show for a refusal err, in the reader's
// language when the refusal is one of the domain's; ok is false for errors
// that are not the reader's doing (internal, unavailable), which the caller
// returns instead.
func explain(ctx context.Context, err error) (msg string, status int, ok bool) {
	k := core.KindOf(err)
	switch k {
	case core.Invalid:
		status = http.StatusBadRequest
	case core.Permission:
		status = http.StatusForbidden
	case core.Conflict:
		status = http.StatusConflict
	case core.NotFound:
		status = http.StatusNotFound
	default:
		return "", 0, false
	}
	for _, rk := range refusalKeys {
		if errors.Is(err, rk.err) {
			return web.T(ctx, rk.key), status, true
		}
	}
	if k == core.Conflict {
		// Another person or node moved the request first.
		return web.T(ctx, "bg.err.state"), status, true
	}
	return core.MessageOf(err), status, true
}

// estNames maps establishment IDs to "Name (UAI)".
func (h *Handler) estNames(ctx context.Context) (map[string]string, []*directory.EstablishmentSummary, error) {
	ests, err := h.deps.Directory.Establishments(ctx)
	if err != nil {
		return nil, nil, err
	}
	m := make(map[string]string, len(ests))
	for _, e := range ests {
		m[e.ID] = e.Name + " (" + e.UAI + ")"
	}
	return m, ests, nil
}

// row is a request as the list shows it.
type row struct {
	*breakglass.Request
	EstName string
	InForce bool
	Span    Span
}

type listView struct {
	Rows   []row
	State  string
	States []breakglass.State
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v := listView{State: r.URL.Query().Get("state"), States: breakglass.States}
	var states []breakglass.State
	if v.State != "" {
		if !breakglass.State(v.State).Valid() {
			v.State = ""
		} else {
			states = []breakglass.State{breakglass.State(v.State)}
		}
	}
	rs, err := h.deps.Service.List(ctx, states...)
	if err != nil {
		return err
	}
	names, _, err := h.estNames(ctx)
	if err != nil {
		return err
	}
	now := h.deps.Clock.Now()
	for _, q := range rs {
		v.Rows = append(v.Rows, row{Request: q, EstName: names[q.Establishment], InForce: q.InForce(now),
			Span: spanOf(q.Duration)})
	}
	h.rd.Page(w, r, http.StatusOK, "bg/list", v)
	return nil
}

type option struct {
	Value, Label string
}

type newView struct {
	Form           *web.Form
	Error          string
	Establishments []option
	Scopes         []breakglass.Scope
	Bases          []breakglass.Basis
	Durations      []int
}

var durations = []int{1, 2, 4, 8, 24, 48, 72}

func (h *Handler) newView(ctx context.Context, f *web.Form) (newView, error) {
	_, ests, err := h.estNames(ctx)
	if err != nil {
		return newView{}, err
	}
	v := newView{Form: f, Scopes: breakglass.Scopes, Bases: breakglass.Bases, Durations: durations}
	p := core.PrincipalFromContext(ctx)
	for _, e := range ests {
		if p.Operator() || p.AttachedTo(e.ID) {
			v.Establishments = append(v.Establishments, option{Value: e.ID, Label: e.Name + " (" + e.UAI + ")"})
		}
	}
	return v, nil
}

func (h *Handler) newForm(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r.Context(), nil)
	f.Values.Set("duration", "4")
	f.Values.Set("target", r.URL.Query().Get("target"))
	v, err := h.newView(r.Context(), f)
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusOK, "bg/new", v)
	return nil
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	a := breakglass.Ask{Establishment: f.Value("establishment"), Target: f.Required("target", "bg.field.target"),
		Scope: breakglass.Scope(f.Value("scope")), Object: f.MaxLen("object", breakglass.MaxObject),
		Basis: breakglass.Basis(f.Value("basis")), Reference: f.Required("reference", "bg.field.reference"),
		Reason: f.Required("reason", "bg.field.reason")}
	if !a.Scope.Valid() {
		f.Fail("scope", "bg.form.choose", web.T(ctx, "bg.field.scope"))
	}
	if !a.Basis.Valid() {
		f.Fail("basis", "bg.form.choose", web.T(ctx, "bg.field.basis"))
	}
	f.MaxLen("reference", breakglass.MaxReference)
	if a.Reference != "" && !strings.ContainsFunc(a.Reference, func(c rune) bool {
		return unicode.IsLetter(c) || unicode.IsDigit(c)
	}) {
		f.Fail("reference", "bg.form.reference_chars")
	}
	if n := len([]rune(a.Reason)); n > 0 && n < 10 {
		f.Fail("reason", "bg.form.reason_short", 10)
	}
	f.MaxLen("reason", breakglass.MaxReason)
	hours := f.Int("duration", 1, int(breakglass.MaxDuration.Hours()))
	a.Duration = time.Duration(hours) * time.Hour
	var msg string
	status := http.StatusBadRequest
	if f.Valid() {
		q, err := h.deps.Service.Request(ctx, a)
		switch {
		case err == nil:
			web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "bg.flash.requested"})
			http.Redirect(w, r, ListPath+"/"+q.ID, http.StatusSeeOther)
			return nil
		case errors.Is(err, breakglass.ErrUnknownPerson):
			f.Fail("target", "bg.err.unknown_person")
		default:
			var ok bool
			if msg, status, ok = explain(ctx, err); !ok {
				return err
			}
		}
	}
	v, err := h.newView(ctx, f)
	if err != nil {
		return err
	}
	v.Error = msg
	h.rd.Page(w, r, status, "bg/new", v)
	return nil
}

type detailView struct {
	R          *breakglass.Request
	EstName    string
	Events     []*breakglass.Event
	Actions    breakglass.Actions
	InForce    bool
	Span       Span
	Error      string
	Form       *web.Form
	JournalURL string
}

func (h *Handler) detailData(ctx context.Context, id string) (*detailView, error) {
	q, evs, err := h.deps.Service.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	names, _, err := h.estNames(ctx)
	if err != nil {
		return nil, err
	}
	return &detailView{R: q, EstName: names[q.Establishment], Events: evs, InForce: q.InForce(h.deps.Clock.Now()),
		Span: spanOf(q.Duration), Actions: breakglass.ActionsFor(core.PrincipalFromContext(ctx), q),
		JournalURL: "/admin/journal?action=breakglass.&target=" + q.Target.ID}, nil
}

func (h *Handler) detail(w http.ResponseWriter, r *http.Request) error {
	v, err := h.detailData(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	v.Form = web.NewForm(r.Context(), nil)
	h.rd.Page(w, r, http.StatusOK, "bg/detail", v)
	return nil
}

var flashes = map[string]string{"approve": "bg.flash.approved", "refuse": "bg.flash.refused",
	"cancel": "bg.flash.cancelled", "close": "bg.flash.closed"}

// act approves, refuses, cancels or closes a request. A refusal of the
// domain is shown on the request's page, with the comment kept.
func (h *Handler) act(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, action := r.PathValue("id"), r.PathValue("action")
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	var fn func(context.Context, string, string) (*breakglass.Request, error)
	switch action {
	case "approve":
		fn = h.deps.Service.Approve
		if !f.Checked("confirm") {
			f.Fail("confirm", "bg.form.confirm_needed")
		}
	case "refuse":
		fn = h.deps.Service.Refuse
		f.Required("refuse_comment", "bg.field.refuse_comment")
	case "cancel":
		fn = h.deps.Service.Cancel
	case "close":
		fn = h.deps.Service.Close
	default:
		return core.E("breakglassweb.act", core.NotFound, "")
	}
	comment := f.MaxLen("comment", breakglass.MaxComment)
	if action == "refuse" {
		comment = f.MaxLen("refuse_comment", breakglass.MaxComment)
	}
	var msg string
	status := http.StatusBadRequest
	if f.Valid() {
		if _, err = fn(ctx, id, comment); err == nil {
			web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: flashes[action]})
			http.Redirect(w, r, ListPath+"/"+id, http.StatusSeeOther)
			return nil
		}
		var ok bool
		if msg, status, ok = explain(ctx, err); !ok || status == http.StatusNotFound {
			return err
		}
	}
	v, err := h.detailData(ctx, id)
	if err != nil {
		return err
	}
	v.Error, v.Form = msg, f
	h.rd.Page(w, r, status, "bg/detail", v)
	return nil
}

type accountView struct {
	Rows []row
}

// account lists the exceptional accesses granted to the principal's own
// data: "accès exceptionnels à mes données".
func (h *Handler) account(w http.ResponseWriter, r *http.Request) error {
	rs, err := h.deps.Service.AboutMe(r.Context())
	if err != nil {
		return err
	}
	now := h.deps.Clock.Now()
	v := accountView{}
	for _, q := range rs {
		v.Rows = append(v.Rows, row{Request: q, InForce: q.InForce(now), Span: spanOf(q.Duration)})
	}
	h.rd.Page(w, r, http.StatusOK, "bg/account", v)
	return nil
}

// Span is a duration as the pages say it: whole hours, or minutes.
type Span struct {
	Hours, Minutes int
}

func spanOf(d time.Duration) Span {
	if d%time.Hour == 0 {
		return Span{Hours: int(d / time.Hour)}
	}
	return Span{Minutes: int(d / time.Minute)}
}
