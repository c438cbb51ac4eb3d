// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package serviceweb is the console's application accounts pages ("Comptes
// d'application"): the directory accounts that Moodle, Nextcloud, a printer
// or a Wi-Fi controller bind with over LDAP, each with its read scope — the
// attributes and the profiles of people it reads (CARINE INF-ANN-1,
// INF-ANN-6). A technician or a head creates one, changes its scope, resets
// its password and disables it without the command line.
//
// Who may: operators for every establishment; a head or a technical admin
// for their own establishments (core.Principal.CanAdminister, the rule the
// directory service applies to creating accounts and changing scopes).
// Every change goes through the directory or authentication service, which
// journals it in the same transaction (INF-ANN-4).
package serviceweb

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of the pages.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

// Directory is what the pages ask of the directory service; it checks and
// journals every change.
type Directory interface {
	EstablishmentList(ctx context.Context) ([]*directory.Establishment, error)
	People(ctx context.Context, f directory.PersonFilter) ([]*directory.Person, int, error)
	Person(ctx context.Context, idOrLogin string) (*directory.Person, error)
	CreateServiceAccount(ctx context.Context, p *directory.Person, passwordHash string, scope directory.ServiceScope) error
	SetServiceScope(ctx context.Context, login string, scope directory.ServiceScope) error
	SetState(ctx context.Context, id string, st directory.State) (*directory.Person, error)
}

// Passwords hashes new passwords and resets them (auth.Service): a reset
// draws random passwords until one meets the account's policy, checks who
// may and journals it.
type Passwords interface {
	Hash(pw string) string
	ResetGenerated(ctx context.Context, p *directory.Person) (string, error)
}

// Scopes reads the service accounts' scopes (the store).
type Scopes interface {
	ServiceScopes(ctx context.Context) (map[string]directory.ServiceScope, error)
}

// Deps are the collaborators of the pages. Directory, Passwords, Scopes and
// Renderer are required.
type Deps struct {
	Directory Directory
	Passwords Passwords
	Scopes    Scopes
	Renderer  *web.Renderer
	// BaseDN is the directory's base (config ldap.base_dn); "" for dc=preau.
	BaseDN string
	// LDAPURLs returns the addresses applications bind to (ldap://…,
	// ldaps://…), shown with a new password; nil shows none.
	LDAPURLs func() []string
	// Journal records the changes these pages refuse themselves (the
	// services journal the refusals they decide); nil records none.
	Journal func(ctx context.Context, e journal.Entry) error
	// FindJournal reads the journal: an account's page shows its last
	// successful LDAP bind (dirldap journals each as "auth.login" about the
	// account). nil shows none.
	FindJournal func(ctx context.Context, f journal.Filter) ([]*journal.Entry, error)
	// Log receives what cannot be shown to the user; nil for slog's default.
	Log *slog.Logger
}

// Handler serves the pages.
type Handler struct {
	Deps
}

// New returns the pages.
func New(deps Deps) *Handler {
	if deps.BaseDN == "" {
		deps.BaseDN = "dc=preau"
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	return &Handler{Deps: deps}
}

// Path is the list of application accounts.
const Path = "/admin/services"

// Routes registers the pages on mux. login wraps each one: it must demand a
// logged-in principal (and the console's strong authentication where the
// deployment requires it); who may administer what is checked here.
func (h *Handler) Routes(mux *http.ServeMux, login func(http.Handler) http.Handler) {
	handle := func(pattern string, fn func(http.ResponseWriter, *http.Request, *scope) error) {
		mux.Handle(pattern, login(h.guard(fn)))
	}
	handle("GET "+Path, h.list)
	handle("GET "+Path+"/new", h.newForm)
	handle("POST "+Path, h.create)
	handle("GET "+Path+"/{id}", h.accountPage)
	handle("POST "+Path+"/{id}", h.action)
}

// scope is what a request works on: the establishments the principal
// administers (every one for operators) and the one chosen, if any.
type scope struct {
	Est     string // the chosen establishment's ID; "" for all of Choices
	Choices []*directory.Establishment
}

// Param returns the est query parameter value of s.
func (s *scope) Param() string {
	if s.Est == "" {
		return "*"
	}
	return s.Est
}

// Est returns the establishment of ID id among the choices, or nil.
func (s *scope) est(id string) *directory.Establishment {
	i := slices.IndexFunc(s.Choices, func(e *directory.Establishment) bool { return e.ID == id || e.UAI == id })
	if i < 0 {
		return nil
	}
	return s.Choices[i]
}

// ids returns the establishments a list covers.
func (s *scope) ids() []string {
	if s.Est != "" {
		return []string{s.Est}
	}
	out := make([]string, len(s.Choices))
	for i, e := range s.Choices {
		out[i] = e.ID
	}
	return out
}

// guard finds the establishments the principal administers and refuses one
// who administers none, or who names another establishment.
func (h *Handler) guard(fn func(http.ResponseWriter, *http.Request, *scope) error) http.Handler {
	return web.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		p := core.PrincipalFromContext(ctx)
		if !p.IsAdmin() {
			h.refused(r, "", "", "administers no establishment")
			return core.E("serviceweb", core.Permission, "services.refused")
		}
		ests, err := h.Directory.EstablishmentList(ctx)
		if err != nil {
			return err
		}
		s := &scope{}
		for _, e := range ests {
			if p.CanAdminister(e.ID) {
				s.Choices = append(s.Choices, e)
			}
		}
		if len(s.Choices) == 0 {
			h.refused(r, "", "", "administers no establishment")
			return core.E("serviceweb", core.Permission, "services.refused")
		}
		if want := r.URL.Query().Get("est"); want != "" && want != "*" {
			e := s.est(want)
			if e == nil {
				h.refused(r, "", "", "does not administer establishment "+clip(want))
				return core.E("serviceweb", core.Permission, "services.not_your_est")
			}
			s.Est = e.ID
		}
		return fn(w, r, s)
	})
}

// mayAdminister reports whether the principal administers one of the
// establishments of account a.
func mayAdminister(ctx context.Context, a *directory.Person) bool {
	p := core.PrincipalFromContext(ctx)
	return p.Operator() || slices.ContainsFunc(a.Establishments, p.CanAdminister)
}

// account returns the service account of the request, refusing one of an
// establishment the principal does not administer and a person who is not a
// service account.
func (h *Handler) account(r *http.Request) (*directory.Person, error) {
	a, err := h.Directory.Person(r.Context(), r.PathValue("id"))
	if core.IsKind(err, core.NotFound) {
		return nil, core.E("serviceweb", core.NotFound, "services.no_such")
	}
	if err != nil {
		return nil, err
	}
	if !a.Service {
		return nil, core.E("serviceweb", core.NotFound, "services.no_such")
	}
	if !mayAdminister(r.Context(), a) {
		h.refused(r, a.MainEstablishment(), a.Login, "does not administer the account's establishment")
		return nil, core.E("serviceweb", core.Permission, "services.not_your_est")
	}
	return a, nil
}

// refused journals a change (a POST) these pages refuse before any service
// sees it: who tried which action on which account, and why (INF-ANN-4).
// chain is the account's establishment, "" for the deployment's chain.
func (h *Handler) refused(r *http.Request, chain, target, reason string) {
	if h.Journal == nil || r.Method != http.MethodPost {
		return
	}
	e := journal.Entry{Chain: chain, Action: "directory.person.create", TargetType: "person", Result: journal.Refused,
		Reason: reason}
	if e.Chain == "" {
		e.Chain = journal.DeploymentChain
	}
	if id := r.PathValue("id"); id != "" {
		e.TargetID, e.TargetName = clip(id), target
		e.Action = refusedActions[r.PostFormValue("action")]
		if e.Action == "" {
			e.Action = "directory.service.change"
		}
	} else {
		e.TargetName = clip(r.PostFormValue("login"))
	}
	e.SetActor(core.PrincipalFromContext(r.Context()))
	if err := h.Journal(r.Context(), e); err != nil {
		h.Log.Error("journaling a refused change failed", "action", e.Action, "err", err)
	}
}

// refusedActions names in the journal the actions of the account page, as
// the services journal them.
var refusedActions = map[string]string{
	actScope: "directory.service.scope", actDefault: "directory.service.scope", actReset: "auth.password.reset",
	actDisable: "directory.person.update", actEnable: "directory.person.update",
}
