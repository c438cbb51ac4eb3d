// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package authweb

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

type loginView struct {
	Form  *web.Form
	Next  string
	Error string // translation key of a failed attempt
	// Reauth is set when an application asked for a fresh proof of
	// identity (OIDC prompt=login or max_age, CAS renew): the form shows
	// even to a logged-in person, and the new login replaces the session.
	Reauth bool
	// Forgot is the deployment's forgotten-password procedure (INF-AUT-9);
	// "" shows the default text, translated.
	Forgot string
}

// loginForm renders the login page with the forgotten-password procedure.
func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request, status int, v loginView) {
	v.Forgot = h.auth.ForgottenPasswordText(r.Context())
	h.rd.Page(w, r, status, "auth/login", v)
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	web.AllowFormRedirects(w) // the form may end at an SSO application
	reauth := r.URL.Query().Get("reauth") != ""
	if !reauth && !core.PrincipalFromContext(r.Context()).Anonymous() {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.loginForm(w, r, http.StatusOK, loginView{Form: web.NewForm(r.Context(), nil),
		Next: safeNext(r.URL.Query().Get("next")), Reauth: reauth})
}

// login checks the credentials, opens a session and redirects. A failure
// re-renders the form with one message that does not tell whether the login
// exists; every attempt is journaled by auth.Service.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	login := f.Required("login", "auth.login.login")
	pw := f.Values.Get("password")
	if pw == "" {
		f.Fail("password", "web.form.required", web.T(r.Context(), "auth.login.password"))
	}
	next := safeNext(f.Value("next"))
	web.AllowFormRedirects(w)
	if !f.Valid() {
		h.loginForm(w, r, http.StatusUnprocessableEntity, loginView{Form: f, Next: next})
		return nil
	}
	cookie, p, err := h.auth.Login(r.Context(), auth.Attempt{Login: login, Password: pw, Channel: core.ChannelWeb,
		Source: clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		key := "auth.login.failed"
		switch core.KindOf(err) {
		case core.TooMany:
			key = "auth.login.throttled"
		case core.Permission:
			key = "auth.login.disabled"
		case core.Unauthenticated:
		default:
			return err
		}
		h.loginForm(w, r, http.StatusUnauthorized, loginView{Form: f, Next: next, Error: key})
		return nil
	}
	setCookie(w, cookie)
	if p.MustChangePassword {
		next = "/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) error {
	if err := h.EndSession(w, r); err != nil {
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "auth.logout.done"})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// EndSession ends the browser's session: the session row, the cookie, and
// (through OnLogout) the sessions it opened in applications by single
// sign-on. Every logout path (the portal, OIDC end-session, CAS logout)
// goes through it.
func (h *Handler) EndSession(w http.ResponseWriter, r *http.Request) error {
	p := core.PrincipalFromContext(r.Context())
	if err := h.auth.Logout(r.Context()); err != nil {
		return err
	}
	clearCookie(w)
	if h.OnLogout != nil && p.SessionID != "" {
		h.OnLogout(r.Context(), p.SessionID)
	}
	return nil
}

// safeNext keeps only local paths, so that the login page cannot redirect to
// another site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
