// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/store"
	"github.com/preau/preau/internal/web/webtest"
)

// as starts a fresh browser (cookie jar) logged in as login, going to next.
func (n *node) as(login, pw, next string) *http.Response {
	n.t.Helper()
	n.client.Jar, _ = cookiejar.New(nil)
	resp, body := n.post("/login", url.Values{"login": {login}, "password": {pw}, "next": {next}})
	if resp.StatusCode != http.StatusSeeOther {
		n.t.Fatalf("login %s: %d\n%s", login, resp.StatusCode, body)
	}
	return resp
}

// csrf returns the CSRF token of a page the client can GET.
func (n *node) csrf(path string) string {
	n.t.Helper()
	_, body := n.get(path)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		n.t.Fatalf("no CSRF token on %s:\n%s", path, body)
	}
	return m[1]
}

// publishCharter writes a draft of the charte as the logged-in head and
// publishes it as version want.
func (n *node) publishCharter(title, body string, want int) {
	n.t.Helper()
	tok := n.csrf("/admin/charter/charte/edit")
	if r, b := n.post("/admin/charter/charte/edit", url.Values{"csrf": {tok}, "title": {title}, "body": {body},
		"action": {"save"}}); r.StatusCode != http.StatusSeeOther {
		n.t.Fatalf("saving the draft: %d\n%s", r.StatusCode, b)
	}
	_, page := n.get("/admin/charter/charte/publish")
	if !strings.Contains(page, "prochaine connexion") || !strings.Contains(page, title) {
		n.t.Fatalf("the publish page does not warn that everyone must accept again:\n%s", page)
	}
	seen := regexp.MustCompile(`name="seen" value="(\d+)"`).FindStringSubmatch(page)
	if seen == nil {
		n.t.Fatalf("no draft stamp on the publish page:\n%s", page)
	}
	if r, b := n.post("/admin/charter/charte/publish", url.Values{"csrf": {tok}, "version": {itoa(want)},
		"seen": {"1"}}); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/charter/charte/publish?est="+url.QueryEscape(n.est(page)) {
		n.t.Fatalf("publishing a draft changed since it was read: %d %s\n%s", r.StatusCode, r.Header.Get("Location"), b)
	}
	if r, b := n.post("/admin/charter/charte/publish", url.Values{"csrf": {tok}, "version": {itoa(want)}, "seen": {seen[1]}}); r.StatusCode != http.StatusSeeOther {
		n.t.Fatalf("publishing v%d: %d\n%s", want, r.StatusCode, b)
	}
}

// est returns the establishment ID in a console page's hidden field.
func (n *node) est(page string) string {
	n.t.Helper()
	m := regexp.MustCompile(`name="est" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		n.t.Fatalf("no establishment field:\n%s", page)
	}
	return m[1]
}

func itoa(n int) string { return strconv.Itoa(n) }

// accept ticks the box on the accept page reached from next and returns
// where the browser is sent.
func (n *node) accept(next string) string {
	n.t.Helper()
	r, page := n.get("/charter/accept?next=" + url.QueryEscape(next))
	if r.StatusCode != 200 {
		n.t.Fatalf("accept page: %d\n%s", r.StatusCode, page)
	}
	tok := csrfRE.FindStringSubmatch(page)[1]
	form := url.Values{"csrf": {tok}, "next": {next}, "agree": {"1"}, "action": {"accept"}}
	for _, m := range regexp.MustCompile(`name="doc" value="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		form.Add("doc", m[1])
	}
	r, b := n.post("/charter/accept", form)
	if r.StatusCode != http.StatusSeeOther {
		n.t.Fatalf("accepting: %d\n%s", r.StatusCode, b)
	}
	return r.Header.Get("Location")
}

// TestCharterVersionBumpForcesReacceptance_INF_SEC_3 is the story
// over HTTP: nothing is asked before the head publishes; publishing v1
// sends a pupil to the accept page at login (pages redirect, the API and
// forms get 403, an SSO login comes back after acceptance); accepting
// opens the portal; publishing v2 sends them there again at their next
// login. The annex follows the live password policy, and the statistics
// count the acceptances per profile.
// CARINE: INF-SEC-3, INF-AUT-5, INF-AUT-6, MCO-JAL-4, UTI-ESF-6, UTI-MSG-8
func TestCharterVersionBumpForcesReacceptance_INF_SEC_3(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "h.chef", "--uai", "0999001W", "--profile", "head", "--given", "Hélène", "--family", "Chef",
		"--password", "Chef-Etablissement-2026", "--must-change=false")
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	n.cli("user", "add", "sam.tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.cli("sso", "add", "cas", "ENT", "--service", "https://ent.example.test/*")

	// Before any publication: no gate, the model charter is information.
	n.as("zoe.martin", "Bonjour-Zoe-2026", "/")
	if r, _ := n.get("/"); r.StatusCode != 200 {
		t.Fatalf("portal before any charter: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	_, page := n.get("/charter")
	m := regexp.MustCompile(`href="/charter/([0-9a-f-]+)/charte"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "pas encore publié sa charte") {
		t.Fatalf("my charter page before publication:\n%s", page)
	}
	est := m[1]
	_, page = n.get("/charter/" + est + "/charte")
	if !strings.Contains(page, "charte type") || !strings.Contains(page, "PERSONNEL") || !strings.Contains(page, "Annexe technique") {
		t.Fatalf("model charter:\n%s", page)
	}

	// A technical admin drafts, but may not publish.
	n.client.Jar, _ = cookiejar.New(nil)
	n.adminLogin("sam.tech", "Un-Mot-De-Passe-Solide")
	tok := n.csrf("/admin/charter/charte/edit")
	if r, b := n.post("/admin/charter/charte/edit", url.Values{"csrf": {tok}, "title": {"Charte"},
		"body": {"Texte <script>alert(1)</script>"}, "action": {"save"}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(b, "Ligne 1 : le HTML n’est pas accepté") {
		t.Fatalf("raw HTML in a draft: %d\n%s", r.StatusCode, b)
	}
	if r, b := n.post("/admin/charter/charte/edit", url.Values{"csrf": {tok}, "title": {"Charte"},
		"body": {"## Règles\n\nBrouillon de l’administrateur."}, "action": {"preview"}}); r.StatusCode != 200 ||
		!strings.Contains(b, "<h3>Règles</h3>") {
		t.Fatalf("preview: %d\n%s", r.StatusCode, b)
	}
	if r, _ := n.post("/admin/charter/charte/edit", url.Values{"csrf": {tok}, "title": {"Charte"},
		"body": {"Brouillon de l’administrateur."}, "action": {"save"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin draft: %d", r.StatusCode)
	}
	if r, _ := n.post("/admin/charter/charte/publish", url.Values{"csrf": {tok}, "version": {"1"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a technical admin published: %d", r.StatusCode)
	}
	if _, b := n.get("/admin/charter"); !strings.Contains(b, "seul le chef d’établissement peut les publier") {
		t.Fatalf("the console does not say who publishes:\n%s", b)
	}

	// The head publishes v1.
	n.client.Jar, _ = cookiejar.New(nil)
	n.adminLogin("h.chef", "Chef-Etablissement-2026")
	headJar := n.client.Jar
	n.publishCharter("Charte du collège", "# Charte du collège\n\nVersion **une** : respectez les autres.", 1)
	if r, _ := n.get("/admin/charter"); r.StatusCode != http.StatusSeeOther ||
		r.Header.Get("Location") != "/charter/accept?next=%2Fadmin%2Fcharter" {
		t.Fatalf("the head is not asked to accept what they published: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if to := n.accept("/admin/charter"); to != "/admin/charter" {
		t.Fatalf("after accepting, the head goes to %q", to)
	}

	// The pupil's next login leads to the accept page.
	n.as("zoe.martin", "Bonjour-Zoe-2026", "/")
	r, _ := n.get("/")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/charter/accept?next=%2F" {
		t.Fatalf("portal with a charter to accept: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	req, _ := http.NewRequest("GET", n.base+"/api/v1/journal", nil)
	if resp, err := n.client.Do(req); err != nil || resp.StatusCode != http.StatusForbidden ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("API before acceptance: %v %v", err, resp)
	}
	casLogin := "/cas/login?service=" + url.QueryEscape("https://ent.example.test/app")
	if r, _ := n.get(casLogin); r.Header.Get("Location") != "/charter/accept?next="+url.QueryEscape(casLogin) {
		t.Fatalf("CAS login before acceptance: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	_, page = n.get("/charter/accept?next=%2F")
	for _, want := range []string{"Version <strong>une</strong>", "J’ai lu et j’accepte", "Annexe technique",
		"Élèves : au moins 8 caractères", "« PERSONNEL » ou « PRIVÉ »", "Transfert de la messagerie", "bris de glace",
		"Filtrage de l’accès à internet"} {
		if !strings.Contains(page, want) {
			t.Fatalf("accept page lacks %q:\n%s", want, page)
		}
	}
	tok = csrfRE.FindStringSubmatch(page)[1]
	if r, b := n.post("/charter/accept", url.Values{"csrf": {tok}, "next": {"/"}, "doc": {est + "|charte|1"}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(b, "Cochez") {
		t.Fatalf("accepting without ticking: %d", r.StatusCode)
	}
	if r, _ := n.post("/charter/accept", url.Values{"csrf": {tok}, "next": {"/"}, "action": {"refuse"}}); r.StatusCode != http.StatusSeeOther ||
		r.Header.Get("Location") != "/charter/refused?next=%2F" {
		t.Fatalf("refusing: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if _, b := n.get("/charter/refused?next=%2F"); !strings.Contains(b, "Me déconnecter") || !strings.Contains(b, `action="/logout"`) {
		t.Fatalf("refusal page:\n%s", b)
	}
	if to := n.accept(casLogin); to != casLogin {
		t.Fatalf("after accepting, the CAS login is not resumed: %q", to)
	}
	if r, _ := n.get(casLogin); !strings.HasPrefix(r.Header.Get("Location"), "https://ent.example.test/app?ticket=") {
		t.Fatalf("CAS login after acceptance: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if r, _ := n.get("/"); r.StatusCode != 200 {
		t.Fatalf("portal after acceptance: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	_, page = n.get("/charter")
	if !strings.Contains(page, "Acceptée le") {
		t.Fatalf("my charters after acceptance:\n%s", page)
	}

	// The annex follows the live pupil password policy (INF-AUT-6).
	db, err := store.Open(context.Background(), store.Config{DataDir: n.data, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ps := policy.Defaults()
	ps.Profiles[core.ProfilePupil] = policy.Policy{MinLength: 10, MinClasses: 3, RejectCommon: true, MaxAge: 90 * policy.Day}
	b, _ := json.Marshal(ps)
	sys := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:test", core.ChannelCLI))
	if err := db.PutSetting(sys, auth.SettingScope, auth.SettingPasswordPolicies, string(b)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, page = n.get("/charter/" + est + "/charte"); !strings.Contains(page, "Élèves : au moins 10 caractères") ||
		!strings.Contains(page, "à changer tous les 90 jours") {
		t.Fatalf("the annex does not follow the new pupil policy:\n%s", page)
	}
	// The annex states the live storage quotas and backup policy, not a
	// placeholder, and the live filtering defaults for pupils (CARINE:
	// UTI-ESF-7, MCO-SVG-9, INF-SEC-3).
	for _, want := range []string{"Espaces de stockage et quotas", "Élèves : 2 Go", "Enseignants : 10 Go",
		"Espaces de classe et de groupe : 5 Go", "Sauvegardes et restauration",
		"Catégories bloquées pour les élèves", "gambling", "Mode examen"} {
		if !strings.Contains(page, want) {
			t.Errorf("the annex lacks %q", want)
		}
	}
	if strings.Contains(page, "quotas des espaces de stockage seront indiqués") || strings.Contains(page, "filtrage (catégories bloquées") {
		t.Error("the annex still says storage quotas are to come")
	}

	// The head publishes v2: the pupil must accept again at the next login.
	n.client.Jar = headJar
	if r, _ := n.get("/charter/accept?next=%2Fadmin%2F"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/" {
		t.Fatalf("accept page with nothing to accept: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	n.publishCharter("Charte du collège", "# Charte du collège\n\nVersion **deux**.", 2)
	n.accept("/admin/charter")
	n.as("zoe.martin", "Bonjour-Zoe-2026", "/")
	if r, _ := n.get("/"); r.Header.Get("Location") != "/charter/accept?next=%2F" {
		t.Fatalf("v2 did not send the pupil back to the accept page: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if _, page = n.get("/charter/accept"); !strings.Contains(page, "Version <strong>deux</strong>") {
		t.Fatalf("accept page of v2:\n%s", page)
	}
	n.accept("/")
	if _, page = n.get("/charter"); !strings.Contains(page, `href="/charter/`+est+`/charte?v=1"`) {
		t.Fatalf("my acceptances do not link the versions:\n%s", page)
	}
	if _, page = n.get("/charter/" + est + "/charte?v=1"); !strings.Contains(page, "Version <strong>une</strong>") {
		t.Fatalf("version 1 as accepted:\n%s", page)
	}
	if r, _ := n.get("/charter/" + est + "/charte?v=3"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("a version that does not exist: %d", r.StatusCode)
	}

	// Statistics: the one pupil accepted v2; the technical admin did not.
	n.client.Jar = headJar
	_, page = n.get("/admin/charter/stats")
	if !regexp.MustCompile(`(?s)Élèves</th><td class="num">1</td><td class="num">1</td><td class="num">100 %`).MatchString(page) ||
		!regexp.MustCompile(`(?s)Administrateurs techniques</th><td class="num">2</td><td class="num">0</td><td class="num">0 %`).MatchString(page) ||
		!strings.Contains(page, "<meter") {
		t.Fatalf("statistics:\n%s", page)
	}
	if out := n.cli("journal", "verify"); !strings.Contains(out, "journal OK") {
		t.Fatalf("journal verify: %s", out)
	}
	if out := n.cli("journal", "export"); strings.Count(out, `"action":"charter.accept"`) != 4 ||
		strings.Count(out, `"action":"charter.publish"`) != 3 || // v1, v2 and the technical admin's refused attempt
		!regexp.MustCompile(`"actor_login":"sam.tech"[^\n]*"action":"charter.publish"[^\n]*"result":"refused"`).MatchString(out) {
		t.Fatalf("acceptances in the journal:\n%s", out)
	}
}

// TestCharterPagesAreAccessible runs axe-core over the charter pages, as a
// pupil who must accept and as the head in the console.
func TestCharterPagesAreAccessible(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped with -short")
	}
	n := startNode(t)
	n.cli("user", "add", "h.chef", "--uai", "0999001W", "--profile", "head", "--given", "Hélène", "--family", "Chef",
		"--password", "Chef-Etablissement-2026", "--must-change=false")
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	n.adminLogin("h.chef", "Chef-Etablissement-2026")
	tok := n.csrf("/admin/charter/charte/edit")
	title, body := "Charte du collège", "# Charte\n\n## Usages\n\n- respect\n- prudence\n\n| A | B |\n|---|---|\n| 1 | 2 |\n"
	if r, _ := n.post("/admin/charter/charte/edit", url.Values{"csrf": {tok}, "title": {title}, "body": {body}, "action": {"save"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("draft: %d", r.StatusCode)
	}

	front := proxyWithCookies(t, n)
	webtest.Axe(t, front.URL, "/admin/charter", "/admin/charter?lang=en", "/admin/charter/charte/edit",
		"/admin/charter/charte/edit?lang=en", "/admin/charter/charte/publish", "/admin/charter/stats",
		"/charter", "/charter?lang=en")
	n.publishCharter(title, body, 1)
	front.Close()
	front = proxyWithCookies(t, n)
	webtest.Axe(t, front.URL, "/charter/accept", "/charter/accept?lang=en")
	n.accept("/")
	webtest.Axe(t, front.URL, "/admin/charter/stats", "/admin/charter/stats?lang=en", "/charter")

	n.as("zoe.martin", "Bonjour-Zoe-2026", "/")
	front.Close()
	front = proxyWithCookies(t, n)
	defer front.Close()
	webtest.Axe(t, front.URL, "/charter/accept", "/charter/accept?lang=en", "/charter/refused", "/charter/refused?lang=en")
}

// proxyWithCookies serves the node through a reverse proxy that adds the
// client's current cookies, since the axe browser starts without them.
func proxyWithCookies(t *testing.T, n *node) *httptest.Server {
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
	t.Cleanup(front.Close)
	return front
}

// TestCharterCLI publishes a charter file from the command line while the
// node runs: the node asks for it at the next request.
// CARINE: INF-SEC-3
func TestCharterCLI(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	file := filepath.Join(t.TempDir(), "charte.md")
	if err := os.WriteFile(file, []byte("# Charte\n\nAdoptée par le conseil d’administration."), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := n.cli("charter", "publish", "--uai", "0999001W", "--title", "Charte du collège", file); !strings.Contains(out, "version 1 published") {
		t.Fatalf("publish: %s", out)
	}
	if out := n.cli("charter", "list", "--uai", "0999001W"); !regexp.MustCompile(`charte\s+v1 Charte du collège`).MatchString(out) {
		t.Fatalf("list: %s", out)
	}
	n.as("zoe.martin", "Bonjour-Zoe-2026", "/")
	if r, _ := n.get("/"); r.Header.Get("Location") != "/charter/accept?next=%2F" {
		t.Fatalf("the node does not ask for the charter published by the CLI: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	n.accept("/")
	if out := n.cli("charter", "stats", "--uai", "0999001W"); !regexp.MustCompile(`pupil\s+1\s+1\s+100%`).MatchString(out) {
		t.Fatalf("stats: %s", out)
	}
}
