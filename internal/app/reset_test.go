// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// CARINE: INF-AUT-9, INF-AUT-7 — an admin resets a pupil's password on the
// reset page and gets a printable slip with the temporary password, shown
// once; the pupil logs in with it and must change it first.
func TestPasswordResetSlip_INF_AUT_9(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.login("tech", "Un-Mot-De-Passe-Solide")
	_, page := n.get("/passwords/reset")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("reset page:\n%s", page)
	}
	if r, body := n.post("/passwords/reset", url.Values{"csrf": {m[1]}, "login": {"nobody.here"}}); r.StatusCode != 422 ||
		!strings.Contains(body, "Aucun compte") {
		t.Fatalf("unknown login: %d", r.StatusCode)
	}
	r, slip := n.post("/passwords/reset", url.Values{"csrf": {m[1]}, "login": {"zoe.martin"}})
	pw := regexp.MustCompile(`Mot de passe provisoire</dt><dd><code>([^<]+)</code>`).FindStringSubmatch(slip)
	if r.StatusCode != 200 || pw == nil || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("slip: %d\n%s", r.StatusCode, slip)
	}
	pupil := *n
	pupil.client = &http.Client{Transport: n.client.Transport, CheckRedirect: n.client.CheckRedirect}
	pupil.client.Jar, _ = cookiejar.New(nil)
	if r := pupil.login("zoe.martin", html.UnescapeString(pw[1])); r.Header.Get("Location") != "/password" {
		t.Fatalf("login with the slip's password: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
}
