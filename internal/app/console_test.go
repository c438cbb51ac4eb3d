// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/preau/preau/internal/web/webtest"
)

// CARINE: INF-ANN-4, INF-AUT-9 — the console's people and groups pages and
// the password sheets, in headless Chromium: an admin builds an ad-hoc
// group (a custom group with a teacher as owner and pupils of different
// classes) through the pages; the list, person, groups and group pages, the
// confirmation and the sheet pass axe-core (WCAG 2.1 AA) in French and
// English; then the teacher ticks pupils of that group on the reset page and
// gets one printable sheet with a card per pupil.
func TestConsolePagesAreAccessible(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped with -short")
	}
	n := startNode(t)
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.cli("user", "add", "lou.petit", "--uai", "0999001W", "--profile", "teacher", "--given", "Lou", "--family", "Petit",
		"--password", "Lou-Petit-Classe-2026", "--must-change=false")
	for _, p := range [][2]string{{"zoe.martin", "Zoé"}, {"leo.bernard", "Léo"}, {"ines.roux", "Inès"}} {
		n.cli("user", "add", p[0], "--uai", "0999001W", "--profile", "pupil", "--given", p[1], "--family", "Élève",
			"--password", "Bonjour-Eleve-2026", "--must-change=false")
	}
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	_, page := n.get("/admin/groups")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("groups page:\n%s", page)
	}
	csrf := m[1]
	r, _ := n.post("/admin/groups", url.Values{"csrf": {csrf}, "code": {"SOUTIEN"}, "name": {"Soutien du mardi"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("create group: %d", r.StatusCode)
	}
	group := strings.SplitN(r.Header.Get("Location"), "?", 2)[0]
	for _, add := range [][2]string{{"lou.petit", "owner"}, {"zoe.martin", "member"}, {"leo.bernard", "member"}} {
		if r, body := n.post(group, url.Values{"csrf": {csrf}, "action": {"add"}, "login": {add[0]}, "role": {add[1]}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("add %s: %d\n%s", add[0], r.StatusCode, body)
		}
	}
	if _, home := n.get("/"); !strings.Contains(home, `href="/admin/people"`) {
		t.Fatal("the admin's navigation lacks the people pages")
	}
	// A second group of the teacher: ticking all of one group leaves the other alone.
	r, _ = n.post("/admin/groups", url.Values{"csrf": {csrf}, "code": {"LATIN"}})
	latin := strings.SplitN(r.Header.Get("Location"), "?", 2)[0]
	for _, add := range [][2]string{{"lou.petit", "owner"}, {"ines.roux", "member"}} {
		if r, _ := n.post(latin, url.Values{"csrf": {csrf}, "action": {"add"}, "login": {add[0]}, "role": {add[1]}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("add %s to LATIN: %d", add[0], r.StatusCode)
		}
	}
	_, list := n.get("/admin/people?q=zoe")
	pm := regexp.MustCompile(`href="(/admin/people/[0-9a-f-]{36})\?`).FindStringSubmatch(list)
	if pm == nil {
		t.Fatalf("people list:\n%s", list)
	}

	front := proxyWithCookies(t, n)
	webtest.Axe(t, front.URL, "/admin/people", "/admin/people?lang=en&profile=pupil&sort=login", "/admin/people?q=zz",
		pm[1], pm[1]+"?lang=en", "/admin/groups", "/admin/groups?lang=en", group, group+"?lang=en&find=l")

	ctx := webtest.Tab(t)
	if err := webtest.RecordCSP(ctx); err != nil {
		t.Fatal(err)
	}
	click := func(sel string) {
		t.Helper()
		if err := webtest.AwaitNavigation(ctx, func() error { return webtest.Do(ctx, chromedp.Click(sel)) }); err != nil {
			t.Fatalf("click %s: %v", sel, err)
		}
	}
	if err := webtest.Do(ctx, chromedp.Navigate(front.URL+group)); err != nil {
		t.Fatal(err)
	}
	click(`form[action="/admin/people/bulk"] button`)
	webtest.AxeCurrent(t, ctx, "sheet confirmation")
	click(`form[action="/admin/people/bulk/apply"] button.button-primary`)
	webtest.AxeCurrent(t, ctx, "group password sheet")
	if cards, _ := webtest.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.sheet-card').length`)); cards != 2 {
		t.Fatalf("group sheet: %d cards", cards)
	}

	// The teacher prints the sheet of pupils picked in their ad-hoc group.
	n.client.Jar, _ = cookiejar.New(nil)
	if r := n.login("lou.petit", "Lou-Petit-Classe-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("teacher login: %d", r.StatusCode)
	}
	front = proxyWithCookies(t, n)
	if _, home := n.get("/"); strings.Contains(home, `href="/admin/people"`) {
		t.Fatal("a teacher's navigation offers the console's people pages")
	}
	gid := strings.TrimPrefix(group, "/admin/groups/")
	if err := webtest.Do(ctx, chromedp.Navigate(front.URL+"/passwords/reset"), chromedp.Click(`#all-`+gid)); err != nil {
		t.Fatal(err)
	}
	ticked, err := webtest.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('input[name=pupil]:checked')).map(function (c) { return c.value })`))
	if err != nil || strings.Join(ticked, " ") != "leo.bernard zoe.martin" {
		t.Fatalf("ticking the whole SOUTIEN group: %v %v", ticked, err)
	}
	webtest.AxeCurrent(t, ctx, "reset page with the pupils to tick")
	if err := webtest.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true }`)); err != nil {
		t.Fatal(err)
	}
	click(`form[action="/passwords/sheet"] .actions button`)
	webtest.AxeCurrent(t, ctx, "teacher's password sheet")
	text, err := webtest.Run(ctx, chromedp.Text(".sheet-cards"))
	if err != nil || !strings.Contains(text, "zoe.martin") || !strings.Contains(text, "leo.bernard") || strings.Contains(text, "ines.roux") {
		t.Fatalf("teacher's sheet: %v\n%s", err, text)
	}
	if !regexp.MustCompile(`[a-z]+-[a-z]+-\d\d`).MatchString(text) {
		t.Fatalf("no pupil password on the sheet:\n%s", text)
	}
}
