// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package authweb is the web face of authentication: the login page, logout,
// the password change page, and the middleware that turns a session cookie
// or an API bearer token into the request's core.Principal.
package authweb

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of this package for the
// renderer.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

// CookieName is the session cookie. The __Host- prefix pins it to this host,
// path / and HTTPS.
const CookieName = "__Host-preau_session"

// Handler serves the authentication pages.
type Handler struct {
	auth *auth.Service
	rd   *web.Renderer
	log  *slog.Logger
	// OnLogout, when set, runs after a session ends (single logout of the
	// applications the session signed in to). It must not block long.
	OnLogout func(ctx context.Context, sessionID string)
}

// New returns the authentication pages.
func New(a *auth.Service, rd *web.Renderer, log *slog.Logger) *Handler {
	return &Handler{auth: a, rd: rd, log: log}
}

// Routes registers the pages on mux.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /login", h.loginPage)
	mux.Handle("POST /login", web.HandlerFunc(h.login))
	mux.Handle("POST /logout", web.HandlerFunc(h.logout))
	mux.Handle("GET /password", RequireLogin(http.HandlerFunc(h.passwordPage)))
	mux.Handle("POST /password", RequireLogin(web.HandlerFunc(h.changePassword)))
	h.strongRoutes(mux)
	h.passkeyRoutes(mux)
	h.sessionRoutes(mux)
	h.resetRoutes(mux)
	mux.Handle("POST /password/check", RequireLogin(web.HandlerFunc(h.checkPassword)))
}

// Middleware resolves the principal of each request: from an
// "Authorization: Bearer preau_…" API token, else from the session cookie; anonymous
// otherwise. With a session it also installs the CSRF token. A principal
// that must change its password may only reach the password page, logout
// and static files (INF-AUT-7).
func (h *Handler) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		src := clientIP(r)
		// Préau API tokens start with "preau_"; other bearer tokens (OIDC
		// access tokens at userinfo) are for the handler to check.
		if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok &&
			strings.HasPrefix(strings.TrimSpace(bearer), "preau_") {
			p, err := h.auth.TokenPrincipal(ctx, strings.TrimSpace(bearer))
			if err != nil {
				web.Error(w, r, err)
				return
			}
			p.Source, p.Zone = src, h.auth.ZoneFor(ctx, p.Establishments, src)
			next.ServeHTTP(w, r.WithContext(core.ContextWithPrincipal(ctx, p)))
			return
		}
		if c, err := r.Cookie(CookieName); err == nil {
			p, err := h.auth.SessionPrincipal(ctx, c.Value)
			if err == nil {
				p.Source, p.Zone = src, h.auth.ZoneFor(ctx, p.Establishments, src)
				ctx = core.ContextWithPrincipal(ctx, p)
				ctx = web.ContextWithCSRFToken(ctx, auth.CSRFToken(p.SessionID))
				if p.MustChangePassword && !mayPassWhileRestricted(r) {
					if wantsHTML(r) {
						http.Redirect(w, r, "/password", http.StatusSeeOther)
						return
					}
					web.Error(w, r.WithContext(ctx), core.E("authweb", core.Permission, "auth.must_change.api"))
					return
				}
			} else {
				clearCookie(w)
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func mayPassWhileRestricted(r *http.Request) bool {
	p := r.URL.Path
	return p == "/password" || p == "/password/check" || p == "/logout" || strings.HasPrefix(p, "/static/") ||
		p == "/healthz" || p == "/readyz" || p == "/ca.crt" || p == "/ca.der" || p == "/ca"
}

func wantsHTML(r *http.Request) bool {
	return !strings.HasPrefix(r.URL.Path, "/api/") && (r.Method == http.MethodGet || r.Method == http.MethodHead)
}

// RequireLogin sends anonymous requests to the login page (HTML) or answers
// 401 (API).
func RequireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if core.PrincipalFromContext(r.Context()).Anonymous() {
			if wantsHTML(r) {
				http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			web.Error(w, r, core.E("authweb.RequireLogin", core.Unauthenticated, "auth.required"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RequireAdmin lets through technical admins, heads and operators only.
func RequireAdmin(next http.Handler) http.Handler {
	return RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !core.PrincipalFromContext(r.Context()).IsAdmin() {
			web.Error(w, r, core.E("authweb.RequireAdmin", core.Permission, "auth.admin_only"))
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// clientIP returns the address the request came from. Proxy headers are not
// believed here; the app rewrites RemoteAddr for trusted proxies.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func setCookie(w http.ResponseWriter, value string) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: value, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode})
}

func clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}
