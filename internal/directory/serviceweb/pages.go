// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package serviceweb

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirldap"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/web"
)

// presetAttrs are the attributes offered as checkboxes, as the served
// schema names them: identity, POSIX, groups and the SDET attributes an ENT
// or a school application asks for. Others (the INE, say) can be typed in,
// so that personal identifiers are a deliberate choice. userPassword
// is never offered nor accepted.
var presetAttrs = []string{"uid", "cn", "sn", "givenName", "displayName", "mail",
	"uidNumber", "gidNumber", "homeDirectory", "loginShell", "memberOf", "entryUUID", "accountStatus",
	"ENTPersonLogin", "ENTPersonProfils", "ENTPersonJointure", "ENTPersonStructRattach",
	"ENTEleveClasses", "ENTEleveGroupes", "ENTAuxEnsClasses", "ENTAuxEnsGroupes"}

// attrOption is one checkbox of the attribute list.
type attrOption struct {
	Name    string // as the schema spells it
	Value   string // canonical lower-case name, what the scope stores
	Checked bool
}

// profileOption is one checkbox of the profile list.
type profileOption struct {
	Value   core.Profile
	Checked bool
}

// row is one account of the list.
type row struct {
	*directory.Person
	EstNames []string
	Scope    directory.ServiceScope
}

type listView struct {
	Scope    *scope
	Accounts []row
	Total    int
}

// formView is the creation form and the account page.
type formView struct {
	Scope    *scope
	Account  *directory.Person // nil on the creation form
	EstNames []string
	BindDN   string
	Current  directory.ServiceScope
	Form     *web.Form
	Attrs    []attrOption
	Profiles []profileOption
	Extra    string // attributes outside the preset, comma-separated
	// LastBind is the account's last successful bind (nil: none
	// journaled); ShowLastBind is false when the journal is not readable here.
	LastBind     *journal.Entry
	ShowLastBind bool
}

// secretView shows a new password once, with what an application needs to
// bind.
type secretView struct {
	Scope    *scope
	Account  *directory.Person
	BindDN   string
	Password string
	URLs     []string
	Reset    bool
}

// list shows the service accounts of the establishments the principal
// administers (or the chosen one).
func (h *Handler) list(w http.ResponseWriter, r *http.Request, s *scope) error {
	ctx := r.Context()
	f := directory.PersonFilter{Establishments: s.ids(), Service: true, Sort: "login", Limit: 1000}
	if s.Est == "" && core.PrincipalFromContext(ctx).Operator() {
		f.Establishments = nil // every establishment, and accounts attached to none
	}
	people, total, err := h.Directory.People(ctx, f)
	if err != nil {
		return err
	}
	scopes, err := h.Scopes.ServiceScopes(ctx)
	if err != nil {
		return err
	}
	v := listView{Scope: s, Total: total}
	for _, p := range people {
		v.Accounts = append(v.Accounts, row{Person: p, EstNames: h.estNames(s, p), Scope: scopes[p.ID]})
	}
	h.Renderer.Page(w, r, http.StatusOK, "services/list", v)
	return nil
}

func (h *Handler) estNames(s *scope, p *directory.Person) []string {
	var out []string
	for _, id := range p.Establishments {
		if e := s.est(id); e != nil {
			out = append(out, e.Name+" ("+e.UAI+")")
		} else {
			out = append(out, id)
		}
	}
	return out
}

// newForm shows the creation form: no attribute ticked means the default
// scope.
func (h *Handler) newForm(w http.ResponseWriter, r *http.Request, s *scope) error {
	est := s.Est
	if est == "" {
		est = s.Choices[0].ID
	}
	f := web.NewForm(r.Context(), url.Values{"est": {est}})
	return h.renderForm(w, r, s, nil, f, directory.ServiceScope{}, http.StatusOK)
}

func (h *Handler) renderForm(w http.ResponseWriter, r *http.Request, s *scope, a *directory.Person, f *web.Form,
	sc directory.ServiceScope, code int) error {
	v := formView{Scope: s, Account: a, Form: f, Current: sc}
	if r.Method == http.MethodPost {
		// Tick again what the refused form ticked.
		sc = directory.ServiceScope{}
		for _, n := range f.Values["attr"] {
			if c, ok := dirldap.CanonicalAttribute(n); ok {
				sc.Attrs = append(sc.Attrs, c)
			}
		}
		for _, pr := range f.Values["profile"] {
			sc.Profiles = append(sc.Profiles, core.Profile(pr))
		}
	}
	var extra []string
	for _, name := range presetAttrs {
		c, _ := dirldap.CanonicalAttribute(name)
		v.Attrs = append(v.Attrs, attrOption{Name: name, Value: c, Checked: slices.Contains(sc.Attrs, c)})
	}
	for _, a := range sc.Attrs {
		if !slices.ContainsFunc(v.Attrs, func(o attrOption) bool { return o.Value == a }) {
			extra = append(extra, a)
		}
	}
	v.Extra = strings.Join(extra, ", ")
	if f.Values.Has("extra") {
		v.Extra = f.Value("extra")
	}
	for _, pr := range core.Profiles {
		v.Profiles = append(v.Profiles, profileOption{Value: pr, Checked: sc.SeesProfile(pr) && len(sc.Profiles) > 0})
	}
	if a != nil {
		v.EstNames = h.estNames(s, a)
		v.BindDN = h.bindDN(s, a)
		v.LastBind, v.ShowLastBind = h.lastBind(r.Context(), a)
	}
	tmpl := "services/new"
	if a != nil {
		tmpl = "services/account"
	}
	h.Renderer.Page(w, r, code, tmpl, v)
	return nil
}

// lastBind returns the account's last successful bind, and false when the
// journal cannot be read here (the page then says nothing about it).
func (h *Handler) lastBind(ctx context.Context, a *directory.Person) (*journal.Entry, bool) {
	if h.FindJournal == nil {
		return nil, false
	}
	es, err := h.FindJournal(ctx, journal.Filter{TargetID: a.ID, Action: "auth.login", Result: journal.Done,
		NewFirst: true, Limit: 1})
	if err != nil {
		h.Log.Warn("reading an application account's last bind failed", "account", a.Login, "err", err)
		return nil, false
	}
	if len(es) == 0 {
		return nil, true
	}
	return es[0], true
}

// bindDN is the DN the account binds with (its login is accepted too).
func (h *Handler) bindDN(s *scope, a *directory.Person) string {
	uai := ""
	if e := s.est(a.MainEstablishment()); e != nil {
		uai = e.UAI
	}
	return dirldap.PersonDN(a.Login, uai, h.BaseDN)
}

// parseScope reads the attribute and profile checkboxes and the typed-in
// attributes, naming each refused attribute on its field. The directory
// service parses the result again (ParseServiceScope).
func parseScope(f *web.Form) (directory.ServiceScope, bool) {
	check := func(field string, names []string) []string {
		var out []string
		for _, n := range names {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			if directory.ForbiddenServiceAttr(n) {
				f.Fail(field, "services.attr_forbidden", clip(n))
				continue
			}
			c, ok := dirldap.CanonicalAttribute(n)
			if !ok {
				f.Fail(field, "services.attr_unknown", clip(n))
				continue
			}
			out = append(out, c)
		}
		return out
	}
	attrs := check("attrs", f.Values["attr"])
	attrs = append(attrs, check("extra", strings.Split(f.Value("extra"), ","))...)
	var profiles []string
	for _, pr := range f.Values["profile"] {
		if !core.Profile(pr).Valid() {
			f.Fail("profiles", "services.profile_unknown", clip(pr))
			continue
		}
		profiles = append(profiles, pr)
	}
	if !f.Valid() {
		return directory.ServiceScope{}, false
	}
	sc, err := directory.ParseServiceScope(strings.Join(attrs, ","), strings.Join(profiles, ","), dirldap.CanonicalAttribute)
	if err != nil {
		f.Fail("extra", "services.scope_invalid", core.MessageOf(err))
		return directory.ServiceScope{}, false
	}
	return sc, true
}

// clip shortens what a user typed before it is echoed in a message.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// create validates the form, creates the account with its scope in one
// transaction and shows its password once.
func (h *Handler) create(w http.ResponseWriter, r *http.Request, s *scope) error {
	ctx := r.Context()
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	login := f.Required("login", "services.login")
	if login != "" {
		if l, err := directory.ParseLogin(login); err != nil {
			f.Fail("login", "services.bad_login", core.MessageOf(err))
		} else {
			login = l
		}
	}
	display := f.Required("display", "services.display")
	f.MaxLen("display", 100)
	est := s.est(f.Value("est"))
	code := http.StatusUnprocessableEntity
	if est == nil {
		f.Fail("est", "services.est_refused", clip(f.Value("est")))
		code = http.StatusForbidden
		h.refused(r, "", "", "does not administer establishment "+clip(f.Value("est")))
	}
	sc, _ := parseScope(f)
	if !f.Valid() {
		return h.renderForm(w, r, s, nil, f, sc, code)
	}
	a := &directory.Person{Login: login, GivenName: display, FamilyName: display, DisplayName: display,
		Profile: core.ProfileStaff, Establishments: []string{est.ID}}
	pw := auth.GeneratePassword()
	switch err := h.Directory.CreateServiceAccount(ctx, a, h.Passwords.Hash(pw), sc); {
	case core.IsKind(err, core.Exists), core.IsKind(err, core.Conflict):
		f.Fail("login", "services.login_taken", login)
		return h.renderForm(w, r, s, nil, f, sc, http.StatusConflict)
	case core.IsKind(err, core.Invalid):
		f.Fail("login", "services.invalid", core.MessageOf(err))
		return h.renderForm(w, r, s, nil, f, sc, http.StatusUnprocessableEntity)
	case err != nil:
		return err
	}
	return h.showSecret(w, r, s, a, pw, false)
}

// showSecret shows a new password once: the page is not cached and the
// password is in no URL nor cookie.
func (h *Handler) showSecret(w http.ResponseWriter, r *http.Request, s *scope, a *directory.Person, pw string, reset bool) error {
	v := secretView{Scope: s, Account: a, BindDN: h.bindDN(s, a), Password: pw, Reset: reset}
	if h.LDAPURLs != nil {
		v.URLs = h.LDAPURLs()
	}
	w.Header().Set("Cache-Control", "no-store")
	h.Renderer.Page(w, r, http.StatusOK, "services/secret", v)
	return nil
}

// accountPage shows one account with its scope form and actions.
func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request, s *scope) error {
	a, err := h.account(r)
	if err != nil {
		return err
	}
	scopes, err := h.Scopes.ServiceScopes(r.Context())
	if err != nil {
		return err
	}
	return h.renderForm(w, r, s, a, web.NewForm(r.Context(), nil), scopes[a.ID], http.StatusOK)
}

// Actions of the account page.
const (
	actScope   = "scope"
	actDefault = "default"
	actReset   = "reset"
	actDisable = "disable"
	actEnable  = "enable"
)

// action applies one action of the account page through the services that
// check and journal it.
func (h *Handler) action(w http.ResponseWriter, r *http.Request, s *scope) error {
	ctx := r.Context()
	a, err := h.account(r)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	var flash string
	switch f.Value("action") {
	case actScope:
		sc, ok := parseScope(f)
		if !ok {
			scopes, err := h.Scopes.ServiceScopes(ctx)
			if err != nil {
				return err
			}
			return h.renderForm(w, r, s, a, f, scopes[a.ID], http.StatusUnprocessableEntity)
		}
		if err = h.Directory.SetServiceScope(ctx, a.Login, sc); err == nil {
			flash = "services.scope_saved"
		}
	case actDefault:
		if err = h.Directory.SetServiceScope(ctx, a.Login, directory.ServiceScope{}); err == nil {
			flash = "services.scope_default_saved"
		}
	case actReset:
		pw, err := h.Passwords.ResetGenerated(ctx, a)
		if err != nil {
			return err
		}
		return h.showSecret(w, r, s, a, pw, true)
	case actDisable, actEnable:
		st, key := directory.Disabled, "services.disabled"
		if f.Value("action") == actEnable {
			st, key = directory.Active, "services.enabled"
		}
		if _, err = h.Directory.SetState(ctx, a.ID, st); err == nil {
			flash = key
		}
	default:
		return core.E("serviceweb", core.Invalid, "services.no_action")
	}
	if err != nil {
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: flash, Args: []string{a.Login}})
	http.Redirect(w, r, Path+"/"+a.ID+"?est="+url.QueryEscape(s.Param()), http.StatusSeeOther)
	return nil
}
