// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package charterweb

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

// Gate makes a logged-in person accept the current version of every
// document they must accept before anything else (INF-AUT-5 for the admin
// charter): a page (GET or HEAD outside /api/) is redirected (303) to
// /charter/accept?next=<the page>, anything else gets a Permission error
// (JSON under /api/). It goes after the authentication middleware, which
// resolves the principal and applies the must-change-password rule first.
//
// It lets through: anonymous requests, system principals, service accounts
// and API tokens (only web sessions are interactive), a session that must
// still change its password (that comes first), a session opened with a
// picture sequence (young école pupils who cannot read yet: their charter
// is read and signed on paper with their families), and the paths a person
// needs to read, accept or refuse and leave: the charter pages, login,
// logout, the password pages, static files, health, the CA certificate and
// the SSO logout endpoints.
func (h *Handler) Gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := core.PrincipalFromContext(r.Context())
		if p.PersonID == "" || p.System || p.Service || p.Channel != core.ChannelWeb || p.SessionID == "" ||
			p.MustChangePassword || slices.Contains(p.AuthMethods, auth.PictureMethod) || exempt(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		pending, err := h.deps.Charter.Pending(r.Context())
		if err != nil {
			web.Error(w, r, err)
			return
		}
		if len(pending) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && !strings.HasPrefix(r.URL.Path, "/api/") {
			http.Redirect(w, r, "/charter/accept?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		web.Error(w, r, core.E("charterweb.Gate", core.Permission, "charter.gate.api"))
	})
}

// exempt reports whether path stays reachable before the charter is
// accepted.
func exempt(path string) bool {
	switch path {
	case "/logout", "/healthz", "/readyz", "/readyz/events", "/progress", "/charter",
		"/password", "/password/check", "/ca", "/ca.crt", "/ca.der",
		"/oidc/end_session", "/cas/logout", "/favicon.ico":
		return true
	}
	for _, prefix := range []string{"/login", "/static/", "/charter/"} {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}
