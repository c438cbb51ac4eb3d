// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/web/webtest"
)

// tiles returns the hrefs of the portal tiles on a page.
func tiles(page string) []string {
	var out []string
	for _, part := range strings.Split(page, `<a class="tile" href="`)[1:] {
		out = append(out, part[:strings.IndexByte(part, '"')])
	}
	return out
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestPortalTilesFollowTheRole: every person gets their account's tiles;
// teachers get pupils' password resets, école teachers the picture cards,
// admins the console.
func TestPortalTilesFollowTheRole(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	n.cli("user", "add", "lou.petit", "--uai", "0999001W", "--profile", "teacher", "--given", "Lou", "--family", "Petit",
		"--password", "Lou-Petit-Classe-2026", "--must-change=false")
	n.login("zoe.martin", "Bonjour-Zoe-2026")
	r, page := n.get("/")
	got := tiles(page)
	for _, want := range []string{"/password", "/account/security", "/account/sessions", "/account/data", "/privacy", "/charter"} {
		if !has(got, want) {
			t.Errorf("pupil lacks the tile %s: %v", want, got)
		}
	}
	if r.StatusCode != 200 || has(got, "/passwords/reset") || has(got, "/admin/") || has(got, "/pictures/classes") {
		t.Errorf("pupil tiles: %d %v", r.StatusCode, got)
	}
	if !strings.Contains(page, "Mon compte") || !strings.Contains(page, "Collège Jean Moulin (0999001W)") {
		t.Errorf("portal home:\n%s", page)
	}
	n.client.Jar, _ = cookiejar.New(nil)
	n.login("lou.petit", "Lou-Petit-Classe-2026")
	_, page = n.get("/?lang=en")
	got = tiles(page)
	if !has(got, "/passwords/reset") || has(got, "/pictures/classes") || has(got, "/admin/") || !strings.Contains(page, "My account") {
		t.Errorf("collège teacher tiles: %v", got)
	}
}

// TestPupilDownloadsMyDataWithoutSecret_INF_ANN_n1 drives the browser story
// of the issue: a pupil opens "my data", downloads it as JSON and CSV, and
// neither file holds their password, its hash, their authenticator seed,
// their recovery codes or their session cookie. The download is journaled.
// CARINE: INF-ANN-n1
func TestPupilDownloadsMyDataWithoutSecret_INF_ANN_n1(t *testing.T) {
	n := startNode(t)
	const pw = "Bonjour-Zoe-2026"
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", pw, "--must-change=false")
	if r := n.login("zoe.martin", pw); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", r.StatusCode)
	}
	seed, codes := n.enrolTOTP()
	r, page := n.get("/account/data")
	if r.StatusCode != 200 || !strings.Contains(page, `href="/account/data.json"`) || !strings.Contains(page, "Ce qui n’est jamais donné") {
		t.Fatalf("my data page: %d\n%s", r.StatusCode, page)
	}
	base, _ := url.Parse(n.base)
	secrets := []string{pw, seed, "$argon2id"}
	secrets = append(secrets, codes...)
	for _, c := range n.client.Jar.Cookies(base) {
		if len(c.Value) >= 16 {
			secrets = append(secrets, c.Value)
		}
	}
	for _, format := range []string{"json", "csv"} {
		resp, err := n.client.Get(n.base + "/account/data." + format)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="preau-mes-donnees-zoe.martin-`) {
			t.Fatalf("%s download: %d %v", format, resp.StatusCode, resp.Header)
		}
		for _, s := range secrets {
			if strings.Contains(string(body), s) {
				t.Errorf("the %s download holds the secret %q", format, s)
			}
		}
		for _, want := range []string{"zoe.martin", "Zoé", "Collège Jean Moulin", "totp", "auth.login"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("the %s download lacks %q", format, want)
			}
		}
		if format == "json" {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatalf("JSON: %v", err)
			}
			if ss := m["sessions"].([]any); len(ss) != 1 {
				t.Errorf("sessions %v", ss)
			}
		}
	}
	if out := n.cli("journal", "export"); strings.Count(out, `"action":"account.data.export"`) != 2 {
		t.Errorf("the two downloads are not journaled:\n%s", out)
	}
	// Anonymous visitors are sent to the login page.
	n.client.Jar, _ = cookiejar.New(nil)
	if r, _ := n.get("/account/data.json"); r.StatusCode != http.StatusSeeOther && r.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous download: %d", r.StatusCode)
	}
}

// TestPrivacyControllerAndDelegates_INF_ANN_n1: the head names the data
// controller and a delegate, every user reads them on the privacy page, a
// technical admin only reads, a phone number is refused as a contact, and
// each change is journaled.
// CARINE: INF-ANN-n1
func TestPrivacyControllerAndDelegates_INF_ANN_n1(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "c.martin", "--uai", "0999001W", "--profile", "head", "--given", "Claire", "--family", "Martin",
		"--password", "Claire-Martin-Direction-26", "--must-change=false")
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")

	n.adminLogin("c.martin", "Claire-Martin-Direction-26")
	_, page := n.get("/admin/privacy")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `action="/admin/privacy/controller"`) {
		t.Fatalf("head's console page:\n%s", page)
	}
	csrf := m[1]
	form := url.Values{"csrf": {csrf}, "name": {"Mme Claire Martin"}, "role": {"Principale du collège"},
		"contact": {"06 12 34 56 78"}, "dpo_name": {"DPD de l’académie"}, "dpo_contact": {"dpd@ac-demo.fr"}}
	r, body := n.post("/admin/privacy/controller", form)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "jamais un numéro de téléphone") {
		t.Fatalf("a phone number as contact: %d\n%s", r.StatusCode, body)
	}
	form.Set("contact", "ce.0999001w@ac-demo.fr")
	if r, body := n.post("/admin/privacy/controller", form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving the controller: %d\n%s", r.StatusCode, body)
	}
	r, body = n.post("/admin/privacy/delegates", url.Values{"csrf": {csrf}, "d_name": {"M. Paul Durand, gestionnaire"},
		"d_scope": {"Comptes des élèves"}, "from": {"2026-09-01"}, "until": {"2026-08-01"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "après la date de début") {
		t.Fatalf("a delegation ending before it starts: %d", r.StatusCode)
	}
	if r, body := n.post("/admin/privacy/delegates", url.Values{"csrf": {csrf}, "d_name": {"M. Paul Durand, gestionnaire"},
		"d_scope": {"Comptes des élèves"}, "from": {"2020-09-01"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("adding a delegate: %d\n%s", r.StatusCode, body)
	}

	// Every user reads it.
	n.client.Jar, _ = cookiejar.New(nil)
	n.login("zoe.martin", "Bonjour-Zoe-2026")
	_, page = n.get("/privacy")
	for _, want := range []string{"Mme Claire Martin, Principale du collège", `href="mailto:ce.0999001w@ac-demo.fr"`,
		"DPD de l’académie", "M. Paul Durand, gestionnaire", "Comptes des élèves", `href="/account/data"`, "30 jours"} {
		if !strings.Contains(page, want) {
			t.Errorf("privacy page lacks %q", want)
		}
	}
	if r, _ := n.get("/admin/privacy"); r.StatusCode != http.StatusForbidden {
		t.Errorf("a pupil opens the console page: %d", r.StatusCode)
	}
	// Anonymous, by UAI.
	n.client.Jar, _ = cookiejar.New(nil)
	if r, page := n.get("/privacy?uai=0999001W&lang=en"); r.StatusCode != 200 || !strings.Contains(page, "Mme Claire Martin") {
		t.Errorf("anonymous privacy page: %d", r.StatusCode)
	}
	if r, _ := n.get("/privacy?uai=nonsense"); r.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad UAI: %d", r.StatusCode)
	}

	// The technical admin reads only.
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	_, page = n.get("/admin/privacy")
	if strings.Contains(page, `action="/admin/privacy/controller"`) || !strings.Contains(page, "Mme Claire Martin") {
		t.Errorf("technical admin's page:\n%s", page)
	}
	csrf = csrfRE.FindStringSubmatch(page)[1]
	form.Set("csrf", csrf)
	form.Set("name", "Quelqu’un d’autre")
	if r, _ := n.post("/admin/privacy/controller", form); r.StatusCode != http.StatusForbidden {
		t.Errorf("a technical admin changes the controller: %d", r.StatusCode)
	}
	out := n.cli("journal", "export")
	for _, want := range []string{`"action":"privacy.controller.put"`, `"action":"privacy.delegate.add"`} {
		if !strings.Contains(out, want) {
			t.Errorf("journal lacks %s", want)
		}
	}
	if strings.Contains(out, "ce.0999001w@ac-demo.fr") {
		t.Error("the journal holds a field value, not only its name")
	}
}

// TestAdminDashboardCharts: the console's home draws people per profile,
// account states, pending password changes and charter acceptance as
// accessible SVG; the counts are also served as JSON.
// CARINE: MCO-SEI-6
func TestAdminDashboardCharts(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026")
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	_, page := n.get("/admin/")
	for _, want := range []string{"Personnes par profil", "État des comptes", "Changements de mot de passe en attente",
		`role="img"`, "<desc id=", "Élèves: 1", "À changer 1 (100"} {
		if !strings.Contains(page, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	r, body := n.get("/api/v1/stats/people")
	var stats struct {
		Counts []struct {
			Profile    string `json:"profile"`
			State      string `json:"state"`
			MustChange bool   `json:"must_change"`
			Count      int    `json:"count"`
		} `json:"counts"`
	}
	if err := json.Unmarshal([]byte(body), &stats); err != nil || r.StatusCode != 200 {
		t.Fatalf("stats API: %d %v %s", r.StatusCode, err, body)
	}
	pupils := 0
	for _, c := range stats.Counts {
		if c.Profile == "pupil" && c.MustChange {
			pupils += c.Count
		}
	}
	if pupils != 1 || strings.Contains(body, "zoe.martin") {
		t.Errorf("stats API: %s", body)
	}

	// Charter acceptance: none published yet, then one that the admin accepts.
	if !strings.Contains(page, "Acceptation de la charte") || !strings.Contains(page, "Aucune charte publiée pour l’instant.") {
		t.Errorf("charter chart before publication")
	}
	file := filepath.Join(t.TempDir(), "charte.md")
	if err := os.WriteFile(file, []byte("# Charte\n\nAdoptée par le conseil d’administration."), 0o600); err != nil {
		t.Fatal(err)
	}
	n.cli("charter", "publish", "--uai", "0999001W", "--title", "Charte du collège", file)
	// The node sees the new version once its cache of published versions
	// expires (charter.CacheFor).
	for deadline := time.Now().Add(3 * charter.CacheFor); ; time.Sleep(200 * time.Millisecond) {
		if r, _ := n.get("/charter/accept?next=%2Fadmin%2F"); r.StatusCode == 200 || time.Now().After(deadline) {
			break
		}
	}
	n.accept("/admin/")
	_, page = n.get("/admin/")
	// Two technical admins (init's and tech), one of whom accepted.
	for _, want := range []string{"Admins techniques: Acceptée 1 (50", "Élèves: Acceptée 0 (0"} {
		if !strings.Contains(page, want) {
			t.Errorf("charter chart lacks %q:\n%s", want, page[strings.Index(page, "Acceptation de la charte"):])
		}
	}
}

// TestPortalPagesAreAccessible runs axe-core over the portal, my data, the
// privacy page and the console's privacy page and dashboard.
func TestPortalPagesAreAccessible(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped with -short")
	}
	n := startNode(t)
	n.cli("user", "add", "c.martin", "--uai", "0999001W", "--profile", "head", "--given", "Claire", "--family", "Martin",
		"--password", "Claire-Martin-Direction-26", "--must-change=false")
	webtest.Axe(t, n.base, "/privacy", "/privacy?uai=0999001W&lang=en")
	n.adminLogin("c.martin", "Claire-Martin-Direction-26")
	_, page := n.get("/admin/privacy")
	csrf := csrfRE.FindStringSubmatch(page)[1]
	n.post("/admin/privacy/controller", url.Values{"csrf": {csrf}, "name": {"Mme Claire Martin"}, "role": {"Principale"},
		"contact": {"ce.0999001w@ac-demo.fr"}})
	n.post("/admin/privacy/delegates", url.Values{"csrf": {csrf}, "d_name": {"Le référent numérique"},
		"d_scope": {"Sauvegardes"}, "from": {"2020-09-01"}})
	front := proxyWithCookies(t, n)
	webtest.Axe(t, front.URL, "/", "/?lang=en", "/account/data", "/account/data?lang=en", "/privacy", "/privacy?lang=en",
		"/admin/privacy", "/admin/privacy?lang=en", "/admin/", "/admin/?lang=en")
}
