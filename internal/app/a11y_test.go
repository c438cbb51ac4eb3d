// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	"github.com/preau/preau/internal/web/webtest"
)

// TestPagesAreAccessible runs axe-core (WCAG 2.1 AA) in headless Chromium on
// every page of the foundation, in French and English, anonymous and as a
// logged-in admin. A reverse proxy adds the admin's session cookie, since
// the harness's browser starts without one.
func TestPagesAreAccessible(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped with -short")
	}
	n := startNode(t)
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.cli("user", "add", "lou.petit", "--uai", "0999001W", "--profile", "teacher", "--given", "Lou", "--family", "Petit",
		"--password", "Lou-Petit-Classe-2026", "--must-change=false")
	anonymous := []string{"/login", "/login?lang=en", "/ca", "/progress", "/no/such/page"}
	webtest.Axe(t, n.base, anonymous...)

	if r := n.login("lou.petit", "Lou-Petit-Classe-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", r.StatusCode)
	}
	target, _ := url.Parse(n.base)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = n.client.Transport
	cookies := n.client.Jar.Cookies(target)
	director := proxy.Director
	proxy.Director = func(r *http.Request) {
		director(r)
		r.Host = target.Host
		for _, c := range cookies {
			r.AddCookie(c)
		}
	}
	front := httptest.NewServer(proxy)
	defer front.Close()
	webtest.Axe(t, front.URL, "/", "/?lang=en", "/password", "/admin/", "/account/security",
		"/account/security?required=1&lang=en", "/oidc/end_session", "/account/sessions", "/whoami", "/whoami?lang=en", "/passwords/reset")

	n.client.Jar, _ = cookiejar.New(nil)
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	cookies = n.client.Jar.Cookies(target)
	webtest.Axe(t, front.URL, "/admin/", "/admin/?lang=en", "/admin/journal", "/admin/journal?lang=en&action=auth.",
		"/admin/import", "/admin/import?lang=en", "/account/security", "/login/second-factor?lang=en",
		"/admin/rights", "/admin/rights?person=tech&lang=en", "/admin/zones", "/admin/zones?test=10.0.0.1&lang=en",
		"/admin/passwords?profile=teacher", "/admin/passwords?lang=en")
}
